"""Every parser runs in time linear in its input (issue 15, item 1).

Each case feeds a parser a long run of the character (or short string)
that its patterns find hardest: whitespace between two OWS rules, quotes
left open, separators with nothing between them. ``assert_linear`` times
an input of n and of 16 n characters and fails when the work grows
faster than the input: a backtracking regular expression grows as n²
(or worse), so 16 n takes about 256 times as long, not 16. No absolute
time limit: the ratio holds on a slow machine as on a fast one.

The development server's parser has its cases in tests/dev/test_http11.py.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from erlen.http.auth import Authorization, WWWAuthenticate
from erlen.http.cache_control import parse_cache_control_header
from erlen.http.converters import BaseConverter
from erlen.http.cookies import parse_cookie
from erlen.http.dates import parse_date
from erlen.http.etags import parse_etags
from erlen.http.forms import parse_form_data, parse_urlencoded
from erlen.http.headers import Headers
from erlen.http.hosts import parse_host
from erlen.http.lists import HeaderSet, parse_dict_header, parse_list_header
from erlen.http.negotiation import parse_accept, parse_options_header
from erlen.http.query import parse_qs
from erlen.http.ranges import parse_content_range_header, parse_if_range_header, parse_range_header
from erlen.middleware import parse_forwarded
from erlen.routing import Router, Rule
from linear import assert_linear

#: ``(id, parser, make)``: ``make(n)`` is an input about n characters long.
HEADER_CASES: list[tuple[str, Callable[[str], object], Callable[[int], str]]] = []


def case(parser: Callable[[str], object], *makers: tuple[str, Callable[[int], str]]) -> None:
    for name, make in makers:
        HEADER_CASES.append((f"{getattr(parser, '__name__', 'parser')}-{name}", parser, make))


#: Inputs that trouble most header grammars; each parser gets them all.
COMMON = [
    ("spaces-then-x", lambda n: "a" + " " * n + "x"),
    ("spaces-then-quote", lambda n: " " * n + '"'),
    ("tabs-between", lambda n: "a=" + "\t" * n + "b"),
    ("open-quote", lambda n: 'a="' + "b" * n),
    ("open-quote-spaces", lambda n: '"' + " " * n),
    ("quotes", lambda n: '"' * n),
    ("backslashes-in-quotes", lambda n: 'a="' + "\\" * n),
    ("commas", lambda n: "," * n),
    ("semicolons", lambda n: ";" * n),
    ("equals", lambda n: "=" * n),
    ("semicolon-spaces", lambda n: "a;" + " ;" * (n // 2)),
    ("comma-spaces", lambda n: "a," + " ," * (n // 2)),
    ("params-open-quote", lambda n: ';a="' * (n // 4)),
    ("params-escaped-quote", lambda n: ';a="\\"' * (n // 6)),
    ("weak-tags", lambda n: "W/" * (n // 2)),
    ("digits-dash", lambda n: "bytes=" + "0-" * (n // 2)),
    ("dashes", lambda n: "-" * n),
]

for _parser in (
    parse_list_header,
    parse_dict_header,
    HeaderSet.from_header,
    parse_options_header,
    parse_accept,
    Authorization.from_header,
    WWWAuthenticate.from_header,
    parse_cache_control_header,
    parse_etags,
    parse_range_header,
    parse_content_range_header,
    parse_if_range_header,
    parse_date,
    parse_host,
    parse_forwarded,
    parse_cookie,
    parse_qs,
):
    case(_parser, *COMMON)

case(
    parse_cookie,
    ("quoted-escapes", lambda n: 'a="' + "\\0" * (n // 2) + '"'),
    ("octal-escapes", lambda n: 'a="' + "\\101" * (n // 4) + '"'),
    ("many-empty", lambda n: "; " * (n // 2)),
)
case(
    parse_qs,
    ("percents", lambda n: "a=" + "%" * n),
    ("ampersands", lambda n: "&" * n),
    ("percent-ampersand", lambda n: "%&" * (n // 2)),
    ("pluses", lambda n: "+" * n),
)
case(
    parse_forwarded,
    ("spaces-before-stray", lambda n: "for=a" + " \t" * (n // 2) + "x"),
    ("open-quote-pairs", lambda n: 'for="' + "\\a" * (n // 2)),
)
case(parse_etags, ("spaces-then-open-quote", lambda n: " \t" * (n // 2) + '"'))


@pytest.mark.parametrize(
    ("parser", "make"),
    [(parser, make) for _, parser, make in HEADER_CASES],
    ids=[name for name, _, _ in HEADER_CASES],
)
def test_header_value_parsers_are_linear(parser, make):
    def prepare(n: int) -> Callable[[], object]:
        value = make(n)
        return lambda: parser(value)

    assert_linear(prepare)


def test_headers_are_linear():
    def prepare(n: int) -> Callable[[], object]:
        items = [("X-A", "a" + " " * n + "b"), ("X-B", "a" + "\t" * n + "b")]
        return lambda: Headers(items).get("x-b")

    assert_linear(prepare)


@pytest.mark.parametrize(
    "make",
    [
        lambda n: b"a=" + b"%" * n,
        lambda n: b"&" * n,
        lambda n: b"=" * n,
        lambda n: b"%2" * (n // 2),
        lambda n: b"a=%&" * (n // 4),
        lambda n: b"a=" + b"%41" * (n // 3),
    ],
    ids=["percents", "ampersands", "equals", "half-escapes", "fields-with-percent", "escapes"],
)
def test_urlencoded_forms_are_linear(make):
    def prepare(n: int) -> Callable[[], object]:
        body = make(n)
        return lambda: parse_urlencoded(body, None)

    assert_linear(prepare)


@pytest.mark.parametrize(
    "disposition",
    [
        lambda n: b"form-data; name=" + b" " * n + b"x",
        lambda n: b'form-data; name="' + b" " * n,
        lambda n: b'form-data; name="a"' + b"; " * (n // 2),
        lambda n: b'form-data; name="a"' + b';a="\\"' * (n // 6),
        lambda n: b'form-data; name="a"; filename="' + b"\\" * n + b'"',
    ],
    ids=["spaces", "open-quote", "empty-params", "escaped-quotes", "backslashes"],
)
def test_multipart_part_headers_are_linear(disposition):
    def prepare(n: int) -> Callable[[], object]:
        body = b"--B\r\nContent-Disposition: " + disposition(n) + b"\r\n\r\nv\r\n--B--\r\n"

        def parse() -> object:
            form, files = parse_form_data(
                io.BytesIO(body),
                "multipart/form-data",
                {"boundary": "B"},
                max_part_header_size=len(body),
            )
            for upload in files.values():
                upload.close()
            return form

        return parse

    assert_linear(prepare)


class _Segment(BaseConverter):
    regex = "[^/]+"  # a custom converter's own regex: not part_isolating by name


class _Overlap(BaseConverter):
    regex = r"\w+\d+"  # two repeats that share the digits


#: ``(rule, path)``: a rule, and a path it misses (the slow case for a regex).
ROUTES = [
    ("/<a>.<b>", lambda n: "/" + "." * n + "/"),
    ("/<a>-<b>", lambda n: "/" + "-" * n + "/"),
    ("/<a>.<b>.json", lambda n: "/" + "." * n),
    ("/<a>.<b>.json/", lambda n: "/" + "." * n + "/x"),
    ("/x<a>.<b>y", lambda n: "/x" + "." * n + "x"),
    ("/<path:p>.<ext>", lambda n: "/" + "." * n + "/"),
    ("/<int:a>.<b>", lambda n: "/1" + "." * n + "/"),
    ("/<a>/<b>", lambda n: "/" + "a" * n + "/b/"),
    ("/<path:p>/edit", lambda n: "/" + "/" * n),
    ("/<path:p>/<int:id>", lambda n: "/" + "a/" * (n // 2)),
    ("/x/<path:p>", lambda n: "/y/" + "/" * n),
    ("/<string(minlength=2):a>.<int:b>", lambda n: "/" + ".1" * (n // 2) + "x"),
    ("/<any(a, b):kind>/<a>.<b>", lambda n: "/a/" + "." * n + "/"),
    # Three or more variables in a segment, one after the first able to
    # fail: one regex took time quadratic (cubic, ...) in the segment.
    ("/<a>.<b>.<int:c>", lambda n: "/" + "." * n + "x"),
    ("/<a>.<b>.<c>.<int:d>", lambda n: "/" + "." * n + "x"),
    ("/<a>-<b>.<float:c>", lambda n: "/" + "-." * (n // 2) + "1.x"),
    ("/<a><int:b>", lambda n: "/" + "1" * n + "x"),
    ("/<segment:a>.<b>.<int:c>", lambda n: "/" + "." * n + "x"),
    ("/<path:p>/<a>.<b>.<int:c>", lambda n: "/x/" + "." * n + "x"),
    ("/<path:p>.<a>.<int:c>", lambda n: "/x/" + "." * n + "x"),
    ("/<a>-<path:p>.<ext>", lambda n: "/" + "-" * n + "/" + "." * n + "/"),
    # One converter whose own regex has two repeats that may trade characters.
    ("/<overlap:a>", lambda n: "/" + "1" * n + "x"),
    ("/w/<overlap:a>.json", lambda n: "/w/" + "1" * n + ".jsonx"),
]


@pytest.mark.parametrize(("rule", "make"), ROUTES, ids=[rule for rule, _ in ROUTES])
def test_router_matching_is_linear(rule, make):
    router = Router()
    router.converters["segment"] = _Segment
    router.converters["overlap"] = _Overlap
    router.add(Rule(rule, endpoint="e"))
    router.add(Rule("/", endpoint="index"))

    def prepare(n: int) -> Callable[[], object]:
        path = make(n)

        def match() -> object:
            try:
                return router.match("GET", path)
            except Exception as error:  # NotFound, or a redirect: either is an answer
                return error

        return match

    assert_linear(prepare)
