"""MultiDict and FileStorage."""

from __future__ import annotations

import io

import pytest

from erlen.http.datastructures import FileStorage, MultiDict
from erlen.http.exceptions import BadRequest, BadRequestKeyError, HTTPException
from erlen.http.headers import Headers


def make() -> MultiDict[str]:
    return MultiDict([("a", "1"), ("b", "x"), ("a", "2"), ("c", "3")])


# construction


@pytest.mark.parametrize(
    ("source", "lists"),
    [
        (None, {}),
        ([], {}),
        ([("a", "1"), ("a", "2"), ("b", "3")], {"a": ["1", "2"], "b": ["3"]}),
        ({"a": "1", "b": "3"}, {"a": ["1"], "b": ["3"]}),
        ({"a": ["1", "2"], "b": ("3",)}, {"a": ["1", "2"], "b": ["3"]}),
        (MultiDict([("a", "1"), ("a", "2")]), {"a": ["1", "2"]}),
        ((pair for pair in [("a", "1"), ("a", "2")]), {"a": ["1", "2"]}),
    ],
    ids=["none", "empty", "pairs", "dict", "dict-of-lists", "multidict", "generator"],
)
def test_construct(source, lists):
    assert dict(MultiDict(source).lists()) == lists


def test_construct_from_multidict_copies_lists():
    source = MultiDict([("a", "1")])
    copy = MultiDict(source)
    copy.add("a", "2")
    assert source.getlist("a") == ["1"]


# reading


def test_first_value_by_index_and_get():
    d = make()
    assert d["a"] == "1"
    assert d.get("a") == "1"
    assert d["b"] == "x"


def test_getlist():
    d = make()
    assert d.getlist("a") == ["1", "2"]
    assert d.getlist("missing") == []


def test_getlist_returns_a_copy():
    d = make()
    d.getlist("a").append("3")
    assert d.getlist("a") == ["1", "2"]


def test_getlist_with_type_drops_bad_values():
    d = MultiDict([("n", "1"), ("n", "x"), ("n", "3")])
    assert d.getlist("n", type=int) == [1, 3]


@pytest.mark.parametrize(
    ("key", "kwargs", "expected"),
    [
        ("a", {}, "1"),
        ("missing", {}, None),
        ("missing", {"default": "d"}, "d"),
        ("a", {"type": int}, 1),
        ("b", {"type": int}, None),
        ("b", {"default": 0, "type": int}, 0),
        ("missing", {"default": 5, "type": int}, 5),
        ("c", {"type": float}, 3.0),
        ("b", {"type": str.upper}, "X"),
    ],
)
def test_get(key, kwargs, expected):
    assert make().get(key, **kwargs) == expected


def test_get_type_raising_type_error_gives_default():
    def strict(value):
        raise TypeError("no")

    assert make().get("a", "fallback", type=strict) == "fallback"


def test_get_type_other_errors_propagate():
    def broken(value):
        raise RuntimeError("bug in the converter")

    with pytest.raises(RuntimeError):
        make().get("a", type=broken)


def test_contains_and_len_count_keys():
    d = make()
    assert "a" in d
    assert "missing" not in d
    assert len(d) == 3
    assert list(d) == ["a", "b", "c"]


@pytest.mark.parametrize("where", ["index", "pop"])
def test_missing_key_is_bad_request_key_error(where):
    d = make()
    with pytest.raises(BadRequestKeyError) as info:
        if where == "index":
            d["username"]
        else:
            d.pop("username")
    error = info.value
    assert isinstance(error, KeyError)
    assert isinstance(error, BadRequest)
    assert isinstance(error, HTTPException)
    assert error.code == 400
    assert error.key == "username"
    assert "'username'" in error.description
    assert ".get('username')" in error.description
    assert str(error).startswith("400 Bad Request: ")
    assert "'username'" in str(error)


def test_missing_key_caught_as_key_error():
    try:
        make()["nope"]
    except KeyError as error:
        assert error.code == 400
    else:
        pytest.fail("no KeyError")


def test_key_with_no_values_is_missing():
    d = make()
    d.setlist("a", [])
    with pytest.raises(BadRequestKeyError):
        d["a"]
    assert d.get("a", "d") == "d"
    assert d.getlist("a") == []


def test_where_names_the_source():
    class FormDict(MultiDict[str]):
        where = "the form (request.form)"

    with pytest.raises(BadRequestKeyError, match=r"request\.form"):
        FormDict()["x"]


# views


def test_items_values_lists():
    d = make()
    assert list(d.items()) == [("a", "1"), ("b", "x"), ("c", "3")]
    assert list(d.items(multi=True)) == [("a", "1"), ("a", "2"), ("b", "x"), ("c", "3")]
    assert list(d.values()) == ["1", "x", "3"]
    assert list(d.lists()) == [("a", ["1", "2"]), ("b", ["x"]), ("c", ["3"])]


def test_items_skip_keys_without_values():
    d = make()
    d.setlist("b", [])
    assert list(d.items()) == [("a", "1"), ("c", "3")]
    assert list(d.values()) == ["1", "3"]


def test_to_dict():
    d = make()
    assert d.to_dict() == {"a": "1", "b": "x", "c": "3"}
    assert d.to_dict(flat=False) == {"a": ["1", "2"], "b": ["x"], "c": ["3"]}
    assert type(d.to_dict()) is dict


def test_to_dict_flat_false_is_a_copy():
    d = make()
    d.to_dict(flat=False)["a"].append("9")
    assert d.getlist("a") == ["1", "2"]


def test_repr():
    assert repr(MultiDict([("a", "1"), ("a", "2")])) == "MultiDict([('a', '1'), ('a', '2')])"


# writing


def test_setitem_replaces_all_values():
    d = make()
    d["a"] = "9"
    assert d.getlist("a") == ["9"]


def test_add_keeps_existing_values():
    d = make()
    d.add("a", "3")
    d.add("new", "n")
    assert d.getlist("a") == ["1", "2", "3"]
    assert d["new"] == "n"


@pytest.mark.parametrize(
    "other",
    [
        [("a", "3"), ("d", "4")],
        {"a": "3", "d": "4"},
        MultiDict([("a", "3"), ("d", "4")]),
    ],
    ids=["pairs", "dict", "multidict"],
)
def test_update_keeps_existing_values(other):
    d = make()
    d.update(other)
    assert d.getlist("a") == ["1", "2", "3"]
    assert d.getlist("d") == ["4"]
    assert d.getlist("b") == ["x"]


def test_update_with_lists_and_kwargs():
    d = make()
    d.update({"a": ["3", "4"]}, b="y")
    assert d.getlist("a") == ["1", "2", "3", "4"]
    assert d.getlist("b") == ["x", "y"]


def test_setlist():
    d = make()
    d.setlist("a", iter(["7", "8"]))
    assert d.getlist("a") == ["7", "8"]
    assert d["a"] == "7"


def test_setdefault():
    d = make()
    assert d.setdefault("a", "z") == "1"
    assert d.getlist("a") == ["1", "2"]
    assert d.setdefault("new", "z") == "z"
    assert d.getlist("new") == ["z"]


def test_pop():
    d = make()
    assert d.pop("a") == "1"
    assert "a" not in d
    assert d.pop("a", "default") == "default"
    assert d.pop("a", None) is None


def test_poplist():
    d = make()
    assert d.poplist("a") == ["1", "2"]
    assert "a" not in d
    assert d.poplist("a") == []


def test_copy_is_independent():
    d = make()
    copy = d.copy()
    copy.add("a", "3")
    copy["b"] = "y"
    copy.pop("c")
    assert d.getlist("a") == ["1", "2"]
    assert d["b"] == "x"
    assert "c" in d
    assert copy.getlist("a") == ["1", "2", "3"]


def test_copy_keeps_subclass():
    class Sub(MultiDict[str]):
        pass

    assert type(Sub([("a", "1")]).copy()) is Sub


def test_equality_compares_all_values():
    assert MultiDict([("a", "1"), ("a", "2")]) == MultiDict({"a": ["1", "2"]})
    assert MultiDict([("a", "1"), ("a", "2")]) != MultiDict([("a", "1")])


# FileStorage


def make_file(data=b"hello world", **kwargs) -> FileStorage:
    kwargs.setdefault("filename", "hello.txt")
    return FileStorage(io.BytesIO(data), **kwargs)


def test_read():
    storage = make_file()
    assert storage.read(5) == b"hello"
    assert storage.read() == b" world"
    assert storage.read() == b""
    storage.seek(0)
    assert storage.read() == b"hello world"


def test_iterate_lines():
    storage = make_file(b"one\ntwo\n")
    assert list(storage) == [b"one\n", b"two\n"]


def test_save_to_path(tmp_path):
    target = tmp_path / "out.bin"
    data = bytes(range(256)) * 200
    make_file(data).save(target)
    assert target.read_bytes() == data


def test_save_to_str_path(tmp_path):
    target = tmp_path / "out.txt"
    make_file().save(str(target))
    assert target.read_bytes() == b"hello world"


def test_save_to_file_object():
    out = io.BytesIO()
    make_file(b"x" * 50000).save(out, buffer_size=1024)
    assert out.getvalue() == b"x" * 50000


def test_save_ignores_client_filename(tmp_path):
    target = tmp_path / "chosen.txt"
    make_file(filename="../../etc/passwd").save(target)
    assert [p.name for p in tmp_path.iterdir()] == ["chosen.txt"]


@pytest.mark.parametrize(
    ("content_type", "mimetype"),
    [
        (None, "application/octet-stream"),
        ("", "application/octet-stream"),
        ("text/plain", "text/plain"),
        ("Text/Plain; charset=UTF-8", "text/plain"),
        ("image/png ;x=1", "image/png"),
    ],
)
def test_mimetype(content_type, mimetype):
    storage = make_file(content_type=content_type)
    assert storage.mimetype == mimetype
    assert storage.content_type == (content_type or "application/octet-stream")


@pytest.mark.parametrize(("filename", "truth"), [("a.txt", True), ("", False), (None, False)])
def test_bool_is_whether_a_file_was_chosen(filename, truth):
    assert bool(FileStorage(io.BytesIO(b"data"), filename=filename)) is truth


def test_attributes_and_repr():
    headers = Headers({"Content-Type": "text/plain"})
    storage = make_file(name="upload", content_type="text/plain", headers=headers)
    assert storage.name == "upload"
    assert storage.filename == "hello.txt"
    assert storage.headers is headers
    assert repr(storage) == "<FileStorage: 'hello.txt' ('text/plain')>"


def test_close():
    storage = make_file()
    storage.close()
    assert storage.stream.closed
    storage.close()  # closing twice is fine


def test_callback_dict_calls_back_on_each_change_only():
    from erlen.http.datastructures import CallbackDict

    seen = []
    values = CallbackDict({"a": 1}, lambda d: seen.append(dict(d)))
    values["b"] = 2
    del values["a"]
    assert values.pop("missing", None) is None  # no change, no call
    assert values.setdefault("b", 9) == 2  # present: no change, no call
    values.setdefault("c", 3)
    values.update(d=4)
    values |= {"e": 5}
    assert values.pop("e") == 5
    values.popitem()
    values.clear()
    assert seen == [
        {"a": 1, "b": 2},
        {"b": 2},
        {"b": 2, "c": 3},
        {"b": 2, "c": 3, "d": 4},
        {"b": 2, "c": 3, "d": 4, "e": 5},
        {"b": 2, "c": 3, "d": 4},
        {"b": 2, "c": 3},
        {},
    ]
    with pytest.raises(KeyError):
        values.pop("gone")
    assert CallbackDict() == {}
