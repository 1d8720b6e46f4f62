"""Pure HTTP helpers: status lines, dates, ETags, options headers, Accept, queries."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from erlen.http import (
    HTTP_STATUS_PHRASES,
    Accept,
    generate_etag,
    http_date,
    parse_accept,
    parse_date,
    parse_etags,
    parse_options_header,
    parse_qs,
    quote_etag,
    status_line,
    unquote_etag,
)

# status_line


@pytest.mark.parametrize(
    ("code", "line"),
    [
        (200, "200 OK"),
        (201, "201 Created"),
        (204, "204 No Content"),
        (301, "301 Moved Permanently"),
        (304, "304 Not Modified"),
        (308, "308 Permanent Redirect"),
        (404, "404 Not Found"),
        (405, "405 Method Not Allowed"),
        (418, "418 I'm a teapot"),
        (425, "425 Too Early"),
        (429, "429 Too Many Requests"),
        (500, "500 Internal Server Error"),
        (503, "503 Service Unavailable"),
    ],
)
def test_status_line_known(code, line):
    assert status_line(code) == line
    assert HTTP_STATUS_PHRASES[code] == line.split(" ", 1)[1]


@pytest.mark.parametrize("code", [299, 499, 599, 999, 123])
def test_status_line_unknown(code):
    assert status_line(code) == f"{code} UNKNOWN"


# http_date

IMF_FIXDATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT"
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(1994, 11, 6, 8, 49, 37, tzinfo=timezone.utc), "Sun, 06 Nov 1994 08:49:37 GMT"),
        (datetime(1994, 11, 6, 8, 49, 37), "Sun, 06 Nov 1994 08:49:37 GMT"),
        (
            datetime(1994, 11, 6, 10, 49, 37, tzinfo=timezone(timedelta(hours=2))),
            "Sun, 06 Nov 1994 08:49:37 GMT",
        ),
        (
            datetime(1994, 11, 5, 23, 49, 37, tzinfo=timezone(timedelta(hours=-9))),
            "Sun, 06 Nov 1994 08:49:37 GMT",
        ),
        (
            datetime(2030, 1, 2, 3, 4, 5, 999999, tzinfo=timezone.utc),
            "Wed, 02 Jan 2030 03:04:05 GMT",
        ),
        (784111777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (784111777.9, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (0.0, "Thu, 01 Jan 1970 00:00:00 GMT"),
    ],
)
def test_http_date(value, expected):
    assert http_date(value) == expected
    assert IMF_FIXDATE.fullmatch(expected)


def test_http_date_now():
    before = datetime.now(timezone.utc).replace(microsecond=0)
    value = http_date()
    after = datetime.now(timezone.utc)
    assert IMF_FIXDATE.fullmatch(value)
    parsed = parse_date(value)
    assert parsed is not None
    assert before <= parsed <= after


# parse_date

NOV_6 = datetime(1994, 11, 6, 8, 49, 37, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",  # IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT",  # RFC 850
        "Sun Nov  6 08:49:37 1994",  # asctime
        "  Sun, 06 Nov 1994 08:49:37 GMT  ",
        "Sun, 06 Nov 1994 10:49:37 +0200",
        "Sun, 06 Nov 1994 08:49:37 +0000",
        "06 Nov 1994 08:49:37 GMT",
    ],
)
def test_parse_date(value):
    parsed = parse_date(value)
    assert parsed == NOV_6
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "garbage",
        "0",
        "1994",
        "Sun, 06 Nov 1994",
        "Sun, 99 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 06 Nov 1994 08:61:37 GMT",
        "Mon, 31 Feb 2020 00:00:00 GMT",
        "Sun, 06 Nov 99999 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 +9999",
        "Sun, 06 Nov -1994 08:49:37 GMT",
        "\x00\xff",
        'W/"etag"',
        "1e400",
    ],
)
def test_parse_date_garbage_is_none(value):
    assert parse_date(value) is None


@pytest.mark.parametrize(
    "value",
    [
        datetime(2000, 2, 29, 23, 59, 59, tzinfo=timezone.utc),
        datetime(1970, 1, 1, tzinfo=timezone.utc),
        datetime(2099, 12, 31, 12, 0, 1, tzinfo=timezone.utc),
    ],
)
def test_http_date_round_trip(value):
    assert parse_date(http_date(value)) == value


# ETags


@pytest.mark.parametrize(
    ("etag", "weak", "expected"),
    [
        ("abc", False, '"abc"'),
        ("abc", True, 'W/"abc"'),
        ("", False, '""'),
        ("a b,c", False, '"a b,c"'),
    ],
)
def test_quote_etag(etag, weak, expected):
    assert quote_etag(etag, weak) == expected
    assert unquote_etag(expected) == (etag, weak)


def test_quote_etag_refuses_quote():
    with pytest.raises(ValueError, match="double quote"):
        quote_etag('a"b')


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, (None, False)),
        ("", (None, False)),
        ('"abc"', ("abc", False)),
        ('W/"abc"', ("abc", True)),
        ('w/"abc"', ("abc", True)),
        ('  "abc"  ', ("abc", False)),
        ("abc", ("abc", False)),
        ('""', ("", False)),
        ('"', ('"', False)),
    ],
)
def test_unquote_etag(value, expected):
    assert unquote_etag(value) == expected


@pytest.mark.parametrize(
    ("value", "strong", "weak", "star"),
    [
        (None, set(), set(), False),
        ("", set(), set(), False),
        ("*", set(), set(), True),
        (" * ", set(), set(), True),
        ('"a"', {"a"}, set(), False),
        ('W/"a"', set(), {"a"}, False),
        ('"a", "b"', {"a", "b"}, set(), False),
        ('"a","b" ,W/"c",  W/"d"', {"a", "b"}, {"c", "d"}, False),
        ('"a,b", W/"c"', {"a,b"}, {"c"}, False),
        ('W/"a", "a"', {"a"}, {"a"}, False),
        ('"a", bare', {"a", "bare"}, set(), False),
        ('""', {""}, set(), False),
    ],
)
def test_parse_etags(value, strong, weak, star):
    assert parse_etags(value) == (strong, weak, star)


def test_generate_etag():
    tag = generate_etag(b"hello")
    assert tag == generate_etag(b"hello")
    assert tag != generate_etag(b"hello!")
    assert re.fullmatch(r"[0-9a-f]{40}", tag)
    assert parse_etags(quote_etag(tag)) == ({tag}, set(), False)


# parse_options_header


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ("", {})),
        ("", ("", {})),
        ("text/html", ("text/html", {})),
        ("Text/HTML", ("text/html", {})),
        ("  text/html  ", ("text/html", {})),
        ("text/html; charset=utf-8", ("text/html", {"charset": "utf-8"})),
        ("text/html;charset=UTF-8", ("text/html", {"charset": "UTF-8"})),
        ("text/html; Charset = utf-8 ", ("text/html", {"charset": "utf-8"})),
        (
            'form-data; name="field"; filename="a b.txt"',
            ("form-data", {"name": "field", "filename": "a b.txt"}),
        ),
        ('attachment; filename="a;b.txt"', ("attachment", {"filename": "a;b.txt"})),
        ('attachment; filename="a=b.txt"', ("attachment", {"filename": "a=b.txt"})),
        (r'attachment; filename="say \"hi\".txt"', ("attachment", {"filename": 'say "hi".txt'})),
        (r'attachment; filename="back\\slash"', ("attachment", {"filename": "back\\slash"})),
        ('x; a=""', ("x", {"a": ""})),
        ("x; a=1; A=2", ("x", {"a": "1"})),
        ("x; a=1; b=two words", ("x", {"a": "1", "b": "two words"})),
        ("multipart/form-data; boundary=----abc", ("multipart/form-data", {"boundary": "----abc"})),
    ],
)
def test_parse_options_header(value, expected):
    assert parse_options_header(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text/html; charset", ("text/html", {})),
        ("text/html; ;;", ("text/html", {})),
        ("text/html; =utf-8", ("text/html", {})),
        ("text/html; bad name=1; b=2", ("text/html", {"b": "2"})),
        ("text/html; flag; charset=utf-8", ("text/html", {"charset": "utf-8"})),
        ("text/html; a=1; junk; b=2", ("text/html", {"a": "1", "b": "2"})),
        ('text/html; a="unterminated', ("text/html", {"a": '"unterminated'})),
    ],
)
def test_parse_options_header_malformed_params_skipped(value, expected):
    assert parse_options_header(value) == expected


# Accept


def test_parse_accept_orders_by_quality_keeping_ties():
    accept = parse_accept("text/plain;q=0.5, text/html, application/json, */*;q=0.1")
    assert isinstance(accept, Accept)
    assert list(accept) == [
        ("text/html", 1.0),
        ("application/json", 1.0),
        ("text/plain", 0.5),
        ("*/*", 0.1),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, []),
        ("", []),
        (",,,", []),
        ("text/html;q=abc", []),
        ("text/html;q=2", []),
        ("text/html;q=1.01", []),
        ("text/html;q=-0.1", []),
        ("text/html;q=nan", []),
        ("text/html;q=inf", []),
        ("text/html;q=abc, text/plain;q=0.3", [("text/plain", 0.3)]),
        ("text/html;q=0", [("text/html", 0.0)]),
        ("text/html;q=1", [("text/html", 1.0)]),
        ("TEXT/HTML;Q=0.5", [("text/html", 0.5)]),
        ("text/html; level=1; q=0.7", [("text/html", 0.7)]),
        ("en-US, en;q=0.9, *;q=0.5", [("en-us", 1.0), ("en", 0.9), ("*", 0.5)]),
    ],
)
def test_parse_accept(value, expected):
    assert list(parse_accept(value)) == expected


@pytest.mark.parametrize(
    ("header", "offer", "quality"),
    [
        ("text/html", "text/html", 1.0),
        ("text/html", "TEXT/HTML", 1.0),
        ("text/html", "text/plain", 0.0),
        ("text/*;q=0.5", "text/plain", 0.5),
        ("text/*;q=0.5", "image/png", 0.0),
        ("*/*;q=0.2", "image/png", 0.2),
        ("*;q=0.2", "image/png", 0.2),
        # The most specific range wins, whatever its quality (RFC 9110 §12.5.1).
        ("text/*;q=0.5, text/html;q=0, */*;q=0.1", "text/html", 0.0),
        ("text/*;q=0.5, text/html;q=0, */*;q=0.1", "text/plain", 0.5),
        ("text/*;q=0.5, text/html;q=0, */*;q=0.1", "image/png", 0.1),
        ("*/*;q=0.1, text/html;q=0.9", "text/html", 0.9),
        ("", "text/html", 0.0),
    ],
)
def test_accept_quality(header, offer, quality):
    accept = parse_accept(header)
    assert accept.quality(offer) == quality
    assert (offer in accept) is (quality > 0)


@pytest.mark.parametrize(
    ("header", "offers", "expected"),
    [
        ("", ["text/html", "application/json"], "text/html"),
        (None, ["application/json", "text/html"], "application/json"),
        ("application/json", ["text/html", "application/json"], "application/json"),
        ("text/html, application/json", ["text/html", "application/json"], "text/html"),
        ("text/html, application/json", ["application/json", "text/html"], "application/json"),
        ("*/*", ["text/html", "application/json"], "text/html"),
        ("*/*", ["application/json", "text/html"], "application/json"),
        ("text/*", ["application/json", "text/plain"], "text/plain"),
        (
            "text/html;q=0.5, application/json",
            ["text/html", "application/json"],
            "application/json",
        ),
        ("text/html;q=0.9, */*;q=0.8", ["application/json", "text/html"], "text/html"),
        ("text/html;q=0, */*", ["text/html", "application/json"], "application/json"),
        ("image/png", ["text/html", "application/json"], None),
        ("text/html;q=0", ["text/html"], None),
    ],
)
def test_best_match(header, offers, expected):
    assert parse_accept(header).best_match(offers) == expected


def test_best_match_default():
    assert parse_accept("image/png").best_match(["text/html"], default="x/y") == "x/y"
    assert parse_accept("").best_match([], default="x/y") == "x/y"
    assert parse_accept("").best_match([]) is None


@pytest.mark.parametrize(
    ("header", "json", "html"),
    [
        ("application/json", True, False),
        ("text/html", False, True),
        ("*/*", True, True),
        ("text/*", False, True),
        ("text/html, application/json;q=0", False, True),
    ],
)
def test_accept_json_and_html(header, json, html):
    accept = parse_accept(header)
    assert accept.accept_json is json
    assert accept.accept_html is html


def test_accept_contains_non_string():
    assert 1 not in parse_accept("*/*")


# parse_qs


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", []),
        ("a=1", [("a", "1")]),
        ("a=1&b=2&a=3", [("a", "1"), ("b", "2"), ("a", "3")]),
        ("a=", [("a", "")]),
        ("a", [("a", "")]),
        ("a&b=", [("a", ""), ("b", "")]),
        ("&&a=1&&", [("a", "1")]),
        ("a=1+2", [("a", "1 2")]),
        ("a+b=c+d", [("a b", "c d")]),
        ("a=%2B", [("a", "+")]),
        ("a=%2b%20", [("a", "+ ")]),
        ("a=x=y", [("a", "x=y")]),
        ("a=%3D%26", [("a", "=&")]),
        ("%61%62=%63", [("ab", "c")]),
        ("a=caf%C3%A9", [("a", "café")]),
        ("a=café", [("a", "café")]),
        ("a=%zz", [("a", "%zz")]),
        ("a=%", [("a", "%")]),
        ("a=%2", [("a", "%2")]),
        ("a=100%", [("a", "100%")]),
        ("%zz=1", [("%zz", "1")]),
        ("a=%ff", [("a", "\ufffd")]),
        ("a=caf%E9", [("a", "caf\ufffd")]),
        ("%ff=1", [("\ufffd", "1")]),
        ("a=%C3", [("a", "\ufffd")]),
        ("=x", [("", "x")]),
        ("a;b=1", [("a;b", "1")]),
    ],
)
def test_parse_qs(query, expected):
    assert parse_qs(query) == expected


def test_parse_qs_charset():
    assert parse_qs("a=caf%E9", charset="latin-1") == [("a", "café")]


@pytest.mark.parametrize(
    ("query", "limit"),
    [
        ("a=1&b=2", 1),
        ("a&b&c", 2),
        ("a=1&" * 10 + "z=1", 10),
        ("&".join(f"k{i}=v" for i in range(1000)), 999),
    ],
)
def test_parse_qs_max_fields_exceeded(query, limit):
    with pytest.raises(ValueError, match=f"limit of {limit}"):
        parse_qs(query, max_fields=limit)


@pytest.mark.parametrize(
    ("query", "limit", "count"),
    [
        ("a=1", 1, 1),
        ("a=1&b=2", 2, 2),
        ("a&&&b", 2, 2),
        ("a&b&", 2, 2),
        ("&".join(f"k{i}=v" for i in range(1000)), 1000, 1000),
    ],
)
def test_parse_qs_max_fields_within(query, limit, count):
    assert len(parse_qs(query, max_fields=limit)) == count


@pytest.mark.parametrize(
    ("code", "line"),
    [
        (413, "413 Content Too Large"),
        (414, "414 URI Too Long"),
        (416, "416 Range Not Satisfiable"),
        (422, "422 Unprocessable Content"),
    ],
)
def test_status_lines_use_rfc_9110_names_on_every_python(code, line):
    assert status_line(code) == line
