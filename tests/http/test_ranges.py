"""Range, Content-Range and If-Range: header values in, positions out."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from erlen.http.conditional import evaluate_conditions
from erlen.http.ranges import (
    ContentRange,
    IfRange,
    Range,
    parse_content_range_header,
    parse_if_range_header,
    parse_range_header,
)

# -- Range ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ranges"),
    [
        ("bytes=0-9", [(0, 10)]),
        ("bytes=0-", [(0, None)]),
        ("bytes=-5", [(-5, None)]),
        ("bytes=0-0", [(0, 1)]),
        ("bytes=0-9,20-29", [(0, 10), (20, 30)]),
        ("bytes=0-9, 20-, -5", [(0, 10), (20, None), (-5, None)]),
        ("bytes=0-9,", [(0, 10)]),  # RFC 9110 §5.6.1: empty list items are allowed
        (" Bytes = 0-9 ", [(0, 10)]),
        ("items=0-4", [(0, 5)]),
    ],
)
def test_valid_ranges(value, ranges):
    parsed = parse_range_header(value)
    assert parsed is not None
    assert parsed.ranges == ranges
    assert parsed.units == value.split("=")[0].strip().lower()


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "bytes",
        "bytes=",
        "bytes=,",
        "bytes=9-0",  # last before first
        "bytes=-0",  # an empty suffix: no representation satisfies it
        "bytes=-5-9",
        "bytes=--5",
        "bytes=+1-2",
        "bytes=1 - 2",
        "bytes=0x1-2",
        "bytes=٣-٤",  # digits, but not ASCII ones
        "bytes=a-b",
        "bytes=0-1-2",
        "bytes=0-9,junk",
        "by tes=0-9",
        "=0-9",
        "bytes=" + "9" * 5000 + "-",  # starts past the end of anything
    ],
)
def test_malformed_ranges_are_none(value):
    assert parse_range_header(value) is None


def test_many_ranges_parse_in_one_pass():
    value = "bytes=" + ",".join(f"{index}-{index}" for index in range(0, 40_000, 2))
    parsed = parse_range_header(value)
    assert parsed is not None and len(parsed.ranges) == 20_000
    assert parsed.range_for_length(100) is None  # several ranges: not one answer
    assert parse_range_header("bytes=" + "," * 100_000) is None


def test_huge_positions_never_overflow():
    parsed = parse_range_header("bytes=0-99999999999999999999999999")
    assert parsed is not None
    assert parsed.range_for_length(100) == (0, 100)
    suffix = parse_range_header("bytes=-" + "9" * 5000)
    assert suffix is not None
    assert suffix.range_for_length(100) == (0, 100)


@pytest.mark.parametrize(
    ("value", "length", "expected", "content_range"),
    [
        ("bytes=0-9", 100, (0, 10), "bytes 0-9/100"),
        ("bytes=90-", 100, (90, 100), "bytes 90-99/100"),
        ("bytes=95-1000", 100, (95, 100), "bytes 95-99/100"),
        ("bytes=-5", 100, (95, 100), "bytes 95-99/100"),
        ("bytes=-1000", 100, (0, 100), "bytes 0-99/100"),
        ("bytes=99-99", 100, (99, 100), "bytes 99-99/100"),
        ("bytes=100-", 100, None, None),  # past the end: unsatisfiable
        ("bytes=0-9", None, None, None),  # length unknown
        ("items=0-9", 100, None, None),  # not bytes
    ],
)
def test_range_for_length(value, length, expected, content_range):
    parsed = parse_range_header(value)
    assert parsed is not None
    assert parsed.range_for_length(length) == expected
    assert parsed.to_content_range_header(length) == content_range


def test_range_round_trips():
    for value in ["bytes=0-9", "bytes=5-", "bytes=-5", "bytes=0-1,4-5,-3"]:
        parsed = parse_range_header(value)
        assert parsed is not None
        assert parsed.to_header() == value == str(parsed)
    assert repr(Range("bytes", [(0, 10)])) == "<Range 'bytes=0-9'>"


# -- Content-Range -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fields"),
    [
        ("bytes 0-9/100", ("bytes", 0, 10, 100)),
        ("bytes 5-9/*", ("bytes", 5, 10, None)),
        ("bytes */100", ("bytes", None, None, 100)),
        ("Bytes 0-0/1", ("bytes", 0, 1, 1)),
    ],
)
def test_content_range(value, fields):
    parsed = parse_content_range_header(value)
    assert parsed is not None
    assert (parsed.units, parsed.start, parsed.stop, parsed.length) == fields
    assert parsed


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "junk",
        "bytes",
        "bytes 9-0/100",
        "bytes 0-100/100",  # ends past the length
        "bytes 0-9/",
        "bytes */*",
        "bytes -1-9/100",
        "bytes 0-9/" + "9" * 5000,
    ],
)
def test_malformed_content_range_is_none(value):
    assert parse_content_range_header(value) is None


def test_content_range_set_and_unset_call_back():
    seen: list[str] = []
    content_range = ContentRange(None, None, None, on_update=lambda c: seen.append(str(c)))
    assert not content_range
    content_range.set(0, 10, 100)
    content_range.set(None, None, 100)
    content_range.set(5, 10)
    content_range.unset()
    assert seen == ["bytes 0-9/100", "bytes */100", "bytes 5-9/*", ""]


@pytest.mark.parametrize(
    ("start", "stop", "length"), [(5, 5, None), (-1, 3, None), (0, None, None), (0, 11, 10)]
)
def test_content_range_refuses_impossible_ranges(start, stop, length):
    with pytest.raises(ValueError, match="stop"):
        ContentRange(None, None, None).set(start, stop, length)


# -- If-Range ----------------------------------------------------------------------


def test_if_range_forms():
    tag = parse_if_range_header('"abc"')
    assert (tag.etag, tag.date, tag.weak) == ("abc", None, False)
    assert tag.to_header() == '"abc"'
    weak = parse_if_range_header('W/"abc"')
    assert (weak.etag, weak.weak) == ("abc", True)
    date = parse_if_range_header("Wed, 21 Oct 2015 07:28:00 GMT")
    assert date.date == datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)
    assert date.etag is None
    assert str(date) == "Wed, 21 Oct 2015 07:28:00 GMT"


@pytest.mark.parametrize("value", [None, "", "junk", '"unterminated', 'W/"a"b"', "Fri, 99 Foo"])
def test_if_range_absent_or_invalid_is_empty(value):
    if_range = parse_if_range_header(value)
    assert not if_range
    assert (if_range.etag, if_range.date) == (None, None)
    assert if_range.to_header() == ""
    assert repr(IfRange()) == "<IfRange ''>"


# -- evaluating a request against a representation ------------------------------------


def conditions(method: str = "GET", size: int | None = 100, **headers: str):
    environ = {f"HTTP_{name.upper()}": value for name, value in headers.items()}
    return evaluate_conditions(method, environ.get, "tag", False, 1_000_000_000, size)


def test_evaluation_follows_rfc_9110_order():
    assert conditions() == (200, 0, 100)
    assert conditions(if_match='"other"', if_none_match='"tag"') == (412, 0, 100)
    assert conditions(if_none_match='W/"tag"') == (304, 0, 100)
    assert conditions("POST", if_none_match="*") == (412, 0, 100)
    assert conditions(range="bytes=10-19") == (206, 10, 10)
    assert conditions(range="bytes=-0") == (416, 0, 100)
    assert conditions(range="bytes=500-") == (416, 0, 100)
    assert conditions(range="bytes=0-1,5-6") == (200, 0, 100)
    assert conditions(range="bytes=0-1", if_range='"stale"') == (200, 0, 100)
    assert conditions(range="bytes=0-1", if_range='"tag"') == (206, 0, 2)
    assert conditions("HEAD", range="bytes=0-1") == (200, 0, 100)
    assert conditions(range="bytes=0-1", size=None) == (200, 0, None)
