"""Headers: ordered, case-insensitive, multi-valued, injection-proof."""

from __future__ import annotations

import pytest

from erlen.http.headers import Headers, check_header


def make() -> Headers:
    return Headers(
        [
            ("Content-Type", "text/plain"),
            ("Set-Cookie", "a=1"),
            ("X-Trace", "abc"),
            ("Set-Cookie", "b=2"),
        ]
    )


@pytest.mark.parametrize("name", ["content-type", "Content-Type", "CONTENT-TYPE", "cOnTeNt-TyPe"])
def test_lookups_ignore_case(name):
    headers = make()
    assert headers[name] == "text/plain"
    assert headers.get(name) == "text/plain"
    assert name in headers
    assert headers.getlist(name) == ["text/plain"]


def test_missing_name():
    headers = make()
    with pytest.raises(KeyError):
        headers["X-Missing"]
    assert headers.get("X-Missing") is None
    assert headers.get("X-Missing", "fallback") == "fallback"
    assert "X-Missing" not in headers
    assert headers.getlist("X-Missing") == []


def test_contains_non_string_is_false():
    assert 1 not in make()
    assert None not in make()


def test_order_is_kept():
    headers = make()
    assert headers.keys() == ["Content-Type", "Set-Cookie", "X-Trace", "Set-Cookie"]
    assert headers.values() == ["text/plain", "a=1", "abc", "b=2"]
    assert list(headers) == headers.items()
    assert len(headers) == 4


def test_multi_values_first_by_index_all_by_getlist():
    headers = make()
    assert headers["set-cookie"] == "a=1"
    assert headers.getlist("SET-COOKIE") == ["a=1", "b=2"]
    assert headers.get_all("set-cookie") == ["a=1", "b=2"]


def test_get_with_type():
    headers = Headers({"Content-Length": "42", "X-Bad": "nope"})
    assert headers.get("content-length", type=int) == 42
    assert headers.get("x-bad", -1, type=int) == -1
    assert headers.get("x-missing", 7, type=int) == 7


def test_set_replaces_all_values_keeping_first_position():
    headers = make()
    headers.set("set-cookie", "c=3")
    assert headers.items() == [
        ("Content-Type", "text/plain"),
        ("set-cookie", "c=3"),
        ("X-Trace", "abc"),
    ]


def test_setitem_is_set_and_appends_new_names():
    headers = make()
    headers["X-New"] = "1"
    headers["X-Trace"] = "def"
    assert headers.items()[-1] == ("X-New", "1")
    assert headers.getlist("x-trace") == ["def"]
    assert headers.keys().index("X-Trace") == 2


def test_setdefault():
    headers = Headers({"A": "1"})
    assert headers.setdefault("a", "2") == "1"
    assert headers.setdefault("B", 3) == "3"
    assert headers.items() == [("A", "1"), ("B", "3")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("text", "text"), (42, "42"), (1.5, "1.5"), (b"caf\xe9", "café")],
)
def test_values_become_strings(value, expected):
    headers = Headers()
    headers.add("X-Value", value)
    headers.set("X-Set", value)
    assert headers["x-value"] == expected
    assert headers["x-set"] == expected


def test_add_keeps_existing_values():
    headers = Headers({"Vary": "Accept"})
    headers.add("vary", "Cookie")
    headers.append("Vary", "Origin")
    assert headers.getlist("Vary") == ["Accept", "Cookie", "Origin"]


@pytest.mark.parametrize(
    "source",
    [
        {"A": "1", "B": ["2", "3"]},
        [("A", "1"), ("B", "2"), ("B", "3")],
        [("A", "1"), ("B", ("2", "3"))],
        Headers([("A", "1"), ("B", "2"), ("B", "3")]),
    ],
    ids=["dict", "pairs", "pairs-with-tuple", "headers"],
)
def test_extend_and_construct_from_dict_list_headers(source):
    expected = [("X", "0"), ("A", "1"), ("B", "2"), ("B", "3")]
    headers = Headers([("X", "0")])
    headers.extend(source)
    assert headers.items() == expected
    updated = Headers([("X", "0")])
    updated.update(source)
    assert updated.items() == expected
    assert Headers(source).items() == expected[1:]


def test_extend_from_headers_copies_not_shares():
    source = Headers({"A": "1"})
    headers = Headers(source)
    headers.add("B", "2")
    assert "B" not in source


def test_remove():
    headers = make()
    assert headers.remove("SET-COOKIE") is True
    assert headers.keys() == ["Content-Type", "X-Trace"]
    assert headers.remove("set-cookie") is False


def test_delitem():
    headers = make()
    del headers["set-cookie"]
    assert "Set-Cookie" not in headers
    assert len(headers) == 2
    with pytest.raises(KeyError):
        del headers["set-cookie"]


def test_pop():
    headers = make()
    assert headers.pop("set-cookie") == "a=1"
    assert "set-cookie" not in headers
    assert headers.pop("set-cookie") is None
    assert headers.pop("set-cookie", "gone") == "gone"


def test_clear_and_bool():
    headers = make()
    assert headers
    headers.clear()
    assert not headers
    assert len(headers) == 0
    assert not Headers()


def test_copy_is_independent():
    headers = make()
    copy = headers.copy()
    copy.add("X-Other", "1")
    copy.set("Content-Type", "text/html")
    assert "X-Other" not in headers
    assert headers["Content-Type"] == "text/plain"
    assert copy["content-type"] == "text/html"


@pytest.mark.parametrize(
    "other",
    [
        Headers([("content-type", "text/plain"), ("X-A", "1")]),
        Headers([("X-A", "1"), ("Content-Type", "text/plain")]),
        [("CONTENT-TYPE", "text/plain"), ("x-a", "1")],
        {"Content-Type": "text/plain", "X-A": "1"},
    ],
    ids=["headers-lower", "headers-reordered", "pairs", "dict"],
)
def test_equality_ignores_name_case(other):
    assert Headers([("Content-Type", "text/plain"), ("X-A", "1")]) == other


@pytest.mark.parametrize(
    "other",
    [
        Headers([("Content-Type", "text/html"), ("X-A", "1")]),
        Headers([("Content-Type", "text/plain")]),
        Headers([("Content-Type", "text/plain"), ("X-A", "1"), ("X-A", "1")]),
        [("Content-Type", "TEXT/PLAIN"), ("X-A", "1")],
    ],
    ids=["other-value", "fewer", "more", "value-case"],
)
def test_inequality(other):
    assert Headers([("Content-Type", "text/plain"), ("X-A", "1")]) != other


def test_equality_with_unrelated_type():
    assert Headers() != 0
    assert Headers() != "x"


def test_str_is_wire_format():
    headers = Headers([("A", "1"), ("B", "2")])
    assert str(headers) == "A: 1\r\nB: 2\r\n\r\n"
    assert headers.to_wsgi_list() == [("A", "1"), ("B", "2")]
    assert "A" in repr(headers)


BAD_VALUES = [
    "a\rb",
    "a\nb",
    "a\r\nSet-Cookie: admin=1",
    "a\x00b",
    "\n",
    "value\r\n\r\n<html>",
]


@pytest.mark.parametrize("value", BAD_VALUES)
def test_injection_in_value_is_refused(value):
    with pytest.raises(ValueError, match="newline or NUL") as info:
        check_header("X-Test", value)
    assert "Remove them, or encode the value" in str(info.value)


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("how", ["set", "setitem", "add", "extend", "init", "setdefault"])
def test_every_way_in_checks_values(how, value):
    headers = Headers({"X-Test": "safe"})
    with pytest.raises(ValueError, match="newline or NUL"):
        if how == "set":
            headers.set("X-Test", value)
        elif how == "setitem":
            headers["X-Test"] = value
        elif how == "add":
            headers.add("X-Test", value)
        elif how == "extend":
            headers.extend({"X-Other": value})
        elif how == "init":
            Headers([("X-Test", value)])
        else:
            headers.setdefault("X-New", value)
    assert headers.items() == [("X-Test", "safe")]


def test_injection_in_bytes_value_is_refused():
    with pytest.raises(ValueError):
        Headers().add("X-Test", b"a\r\nb")


@pytest.mark.parametrize(
    "name",
    ["X Test", "X-Test:", "X:Test", "", " X", "X\r\nY", "X\x00", "Ünicode", "X(Y)", "X/Y"],
)
def test_bad_names_are_refused(name):
    with pytest.raises(ValueError, match="token") as info:
        check_header(name, "value")
    assert "no spaces or colons" in str(info.value)
    with pytest.raises(ValueError):
        Headers().add(name, "value")
    with pytest.raises(ValueError):
        Headers().set(name, "value")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Test", ""),
        ("X-Test", "tab\tinside"),
        ("X-Test", "café"),
        ("!#$%&'*+-.^_`|~", "1"),
        ("X-Test", 'quoted "value"; with=params, and commas'),
    ],
)
def test_good_headers_pass(name, value):
    check_header(name, value)
    assert Headers([(name, value)])[name] == value


def test_encode_headers_for_asgi_caches_pairs_and_copes_with_list_pairs():
    from erlen.http.headers import Headers
    from erlen.http.scope import encode_headers

    headers = Headers([("Content-Type", "text/plain"), ("X-Name", "é")])
    assert encode_headers(headers) == [(b"content-type", b"text/plain"), (b"x-name", b"\xe9")]
    assert encode_headers(headers) == [(b"content-type", b"text/plain"), (b"x-name", b"\xe9")]
    headers._list.append(["X-List", "1"])  # type: ignore[arg-type]  # code that edited _list
    assert encode_headers(headers)[-1] == (b"x-list", b"1")
