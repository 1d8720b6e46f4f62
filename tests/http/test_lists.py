"""List headers: items, key=value items, quoting, and HeaderSet."""

from __future__ import annotations

import pytest

from erlen.http.lists import (
    HeaderSet,
    dump_header,
    header_set_value,
    parse_dict_header,
    parse_list_header,
    quote_header_value,
    unquote_header_value,
)


@pytest.mark.parametrize(
    ("value", "items"),
    [
        (None, []),
        ("", []),
        ("a", ["a"]),
        ("a, b ,c", ["a", "b", "c"]),
        ("a,,, b,", ["a", "b"]),
        ('a, "b, c", d', ["a", "b, c", "d"]),
        (r'"x \"y\", z"', ['x "y", z']),
        ('"never closed, a', ['"never closed, a']),
    ],
)
def test_parse_list_header(value, items):
    assert parse_list_header(value) == items


def test_parse_dict_header():
    assert parse_dict_header('a=1, B="x, y", c, =d, "e"=1, f g=2') == {
        "a": "1",
        "b": "x, y",
        "c": None,
    }
    assert parse_dict_header("a=1, A=2") == {"a": "1"}
    assert parse_dict_header(None) == {}


def test_quoting_round_trips():
    for value in ["token", "two words", 'a "quoted" \\ back', "", "a,b"]:
        assert unquote_header_value(quote_header_value(value)) == value
    assert quote_header_value("tok") == "tok"
    assert quote_header_value("tok", allow_token=False) == '"tok"'
    assert dump_header({"a": None, "b": "x y", "c": 1}) == 'a, b="x y", c=1'
    assert dump_header(["GET", "a b"]) == 'GET, "a b"'


def test_header_set_is_ordered_and_ignores_case():
    seen: list[str] = []
    methods = HeaderSet(["GET", "POST", "get"], on_update=lambda s: seen.append(s.to_header()))
    assert list(methods) == ["GET", "POST"]
    assert "post" in methods and "PUT" not in methods and 1 not in methods
    assert methods.find("Post") == 1 and methods.find("x") == -1
    assert methods.index("post") == 1
    with pytest.raises(ValueError, match="not in this header set"):
        methods.index("x")
    methods.add("PUT")
    methods.add("put")  # already there: no change, no callback
    methods.update(["DELETE", "get"])
    methods.discard("absent")
    methods.discard("post")
    with pytest.raises(KeyError):
        methods.remove("absent")
    methods.remove("put")
    assert seen == ["GET, POST, PUT", "GET, POST, PUT, DELETE", "GET, PUT, DELETE", "GET, DELETE"]
    assert methods == {"get", "delete"} and methods[0] == "GET" and len(methods) == 2
    assert methods.as_set(preserve_casing=True) == {"GET", "DELETE"}
    methods.clear()
    assert not methods and seen[-1] == ""
    with pytest.raises(TypeError, match="strings"):
        methods.update([1])  # type: ignore[list-item]
    assert repr(HeaderSet.from_header("a, b")) == "HeaderSet(['a', 'b'])"


def test_header_set_value_for_assignment():
    assert header_set_value({"POST", "GET"}) == "GET, POST"  # sets are sorted
    assert header_set_value(["b", "a", "B"]) == "b, a"
    assert header_set_value("Accept-Encoding") == "Accept-Encoding"
    assert header_set_value([]) is None
    assert header_set_value("") is None
    assert header_set_value(None) is None
