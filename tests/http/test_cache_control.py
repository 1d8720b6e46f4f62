"""Cache-Control for requests and responses: directives in, typed values out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from erlen.http.cache_control import (
    RequestCacheControl,
    ResponseCacheControl,
    parse_cache_control_header,
)


def request_cc(value: str | None) -> RequestCacheControl:
    return parse_cache_control_header(value)


def response_cc(value: str | None, seen: list[str] | None = None) -> ResponseCacheControl:
    def write(control: object) -> None:
        if seen is not None:
            seen.append(str(control))

    return parse_cache_control_header(value, write, ResponseCacheControl)


def test_absent_header_is_empty_and_false():
    control = request_cc(None)
    assert not control
    assert dict(control) == {}
    assert control.provided is False
    assert (control.no_cache, control.no_store, control.max_age) == (False, False, None)
    assert (control.max_stale, control.min_fresh, control.only_if_cached) == (None, None, False)
    assert control.no_transform is False
    assert control.to_header() == ""


def test_request_directives():
    control = request_cc(
        "no-cache, no-store, max-age=0, min-fresh=30, no-transform, only-if-cached"
    )
    assert control.no_cache is True
    assert control.no_store is True
    assert control.max_age == 0
    assert control.min_fresh == 30
    assert control.no_transform is True
    assert control.only_if_cached is True
    assert control.provided is True


def test_max_stale_with_and_without_a_value():
    assert request_cc("max-stale").max_stale is True
    assert request_cc("max-stale=60").max_stale == 60
    assert request_cc("").max_stale is None


def test_directive_names_ignore_case_and_mapping_access():
    control = request_cc('No-Store, MAX-AGE=5, x-ext="a, b"')
    assert control.no_store is True
    assert control.max_age == 5
    assert control["x-ext"] == "a, b"
    assert "no-store" in control
    assert control.get("missing") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=abc", None),
        ("max-age=-1", None),
        ("max-age=1.5", None),
        ("max-age=", None),
        ("max-age=٣", None),  # a digit, but not an ASCII one
        ("max-age=99999999999", 2**31),  # RFC 9111 §1.2.2: cap, never overflow
        ("max-age=" + "9" * 5000, 2**31),
        ('max-age="60"', 60),
        ("max-age", None),
    ],
)
def test_bad_numbers_are_none_and_big_ones_capped(value, expected):
    assert request_cc(value).max_age == expected


def test_hostile_lists_never_raise():
    commas = request_cc("," * 100_000)
    assert dict(commas) == {}
    many = request_cc(", ".join(f"d{index}" for index in range(10_000)))
    assert len(many) == 10_000
    assert dict(request_cc('"no-store", =5, a b, max-age=1')) == {"max-age": "1"}
    assert request_cc('private="unterminated, no-store').no_store is False


def test_request_cache_control_is_read_only():
    control = request_cc("no-cache")
    with pytest.raises(TypeError, match="response.cache_control"):
        control["max-age"] = "1"
    with pytest.raises(TypeError, match="read-only"):
        control.no_store = True
    with pytest.raises(TypeError):
        control.pop("no-cache")
    with pytest.raises(TypeError):
        control.clear()
    with pytest.raises(TypeError):
        del control["no-cache"]
    assert control.no_cache is True


def test_response_directives_write_back():
    seen: list[str] = []
    control = response_cc(None, seen)
    control.max_age = 300
    control.public = True
    assert seen[-1] == "max-age=300, public"
    control.no_cache = True
    assert control.no_cache is True
    control.no_cache = "Set-Cookie"
    assert seen[-1] == "max-age=300, public, no-cache=Set-Cookie"
    assert control.no_cache == "Set-Cookie"
    control.public = False
    control.max_age = None
    assert seen[-1] == "no-cache=Set-Cookie"
    control.private = True
    control.immutable = True
    control.s_maxage = timedelta(minutes=1)
    control.must_revalidate = True
    control.proxy_revalidate = True
    control.must_understand = True
    control.stale_while_revalidate = 30
    control.stale_if_error = "60"
    assert seen[-1] == (
        "no-cache=Set-Cookie, private, immutable, s-maxage=60, must-revalidate, "
        "proxy-revalidate, must-understand, stale-while-revalidate=30, stale-if-error=60"
    )
    del control.immutable
    assert "immutable" not in control
    control.clear()
    assert seen[-1] == ""


def test_response_quoted_field_lists():
    control = response_cc('private="Set-Cookie, Authorization", max-age=10')
    assert control.private == "Set-Cookie, Authorization"
    assert control.to_header() == 'private="Set-Cookie, Authorization", max-age=10'


@pytest.mark.parametrize("bad", ["abc", -1, 1.5, "1e3"])
def test_response_seconds_must_be_whole_and_not_negative(bad):
    control = response_cc(None)
    with pytest.raises(ValueError, match="whole number of seconds"):
        control.max_age = bad
    assert "max-age" not in control


def test_response_mapping_changes_write_back():
    seen: list[str] = []
    control = response_cc("no-store", seen)
    control["x-custom"] = "1"
    control.update({"max-age": "5"})
    control.setdefault("public", None)
    control.pop("no-store")
    control.pop("absent", None)
    assert seen == [
        "no-store, x-custom=1",
        "no-store, x-custom=1, max-age=5",
        "no-store, x-custom=1, max-age=5, public",
        "x-custom=1, max-age=5, public",
    ]
    assert repr(control) == "<ResponseCacheControl 'x-custom=1, max-age=5, public'>"
