"""parse_cookie and dump_cookie: RFC 6265, quoting, and cookie tossing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from erlen.http.cookies import dump_cookie, parse_cookie
from erlen.http.exceptions import BadRequestKeyError

# parse_cookie


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1", [("a", "1")]),
        ("a=1; b=2", [("a", "1"), ("b", "2")]),
        ("a=1;b=2", [("a", "1"), ("b", "2")]),
        ("  a = 1 ;   b=2  ", [("a", "1"), ("b", "2")]),
        ("a=", [("a", "")]),
        ("a=1; a=2", [("a", "1"), ("a", "2")]),
        ("token=x=y=z", [("token", "x=y=z")]),
        ('a="quoted"', [("a", "quoted")]),
        ('a=""', [("a", "")]),
        ('a=" spaced "', [("a", " spaced ")]),
        (r'a="\012\073"', [("a", "\n;")]),
        (r'a="caf\303\251"', [("a", "café")]),
        (r'a="say \"hi\" \\o/"', [("a", 'say "hi" \\o/')]),
        ('a="unterminated', [("a", '"unterminated')]),
        ("!#$%&'*+-.^_`|~=ok", [("!#$%&'*+-.^_`|~", "ok")]),
    ],
)
def test_parse(header, expected):
    assert list(parse_cookie(header).items(multi=True)) == expected


@pytest.mark.parametrize("header", [None, "", ";", " ; ; ", "novalue", "=", "=x"])
def test_parse_nothing(header):
    assert parse_cookie(header) == {}


@pytest.mark.parametrize(
    "header",
    [
        "a=1; novalue; b=2",
        "a=1; =orphan; b=2",
        "a=1; bad name=x; b=2",
        'a=1; "q"=x; b=2',
        "a=1; na(me)=x; b=2",
        "a=1; ;;; b=2",
        "a=1; x\x00y=z; b=2",
        "a=1; =; b=2",
    ],
)
def test_malformed_pairs_are_skipped(header):
    cookies = parse_cookie(header)
    assert list(cookies.items(multi=True)) == [("a", "1"), ("b", "2")]


@pytest.mark.parametrize(
    "header",
    [
        "=__Host-x=1",
        '"__Host-x"=1',
        " =__Host-x=1",
        '"__Host-x" =1',
        "=__Secure-x=1",
        "__Host-x",
    ],
)
def test_nameless_or_quoted_cookie_cannot_pose_as_prefixed(header):
    cookies = parse_cookie(header)
    assert "__Host-x" not in cookies
    assert "__Secure-x" not in cookies
    assert all(not key.startswith(("__Host", "__Secure", '"')) for key in cookies)


@pytest.mark.parametrize(
    "header",
    [
        "=__Host-x=1; __Host-x=2",
        '"__Host-x"=1; __Host-x=2',
        '=__Host-x=1; "__Host-x"=1; __Host-x=2',
    ],
)
def test_real_prefixed_cookie_after_a_forged_one_is_kept(header):
    cookies = parse_cookie(header)
    assert cookies["__Host-x"] == "2"
    assert cookies.getlist("__Host-x") == ["2"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a=\xff", "\ufffd"),
        (b"a=\xff\xfe", "\ufffd\ufffd"),
        (b"a=caf\xc3\xa9", "café"),
        (b"a=caf\xe9", "caf\ufffd"),
        (b'a="\xc3\xa9\xff"', "é\ufffd"),
    ],
)
def test_wsgi_latin1_header_decoded_as_utf8(raw, expected):
    # WSGI gives headers as latin-1 decoded strings of the wire bytes.
    assert parse_cookie(raw.decode("latin-1"))["a"] == expected


def test_invalid_utf8_octal_escape_is_replaced():
    assert parse_cookie(r'a="\377x"')["a"] == "\ufffdx"


@pytest.mark.parametrize(("limit", "count"), [(1, 1), (2, 2), (3, 3), (10, 3), (None, 3)])
def test_max_cookies(limit, count):
    cookies = parse_cookie("a=1; b=2; c=3", max_cookies=limit)
    assert len(cookies) == count
    assert list(cookies)[:count] == ["a", "b", "c"][:count]


def test_max_cookies_counts_only_valid_pairs():
    cookies = parse_cookie("=x; bad name=1; a=1; b=2", max_cookies=1)
    assert list(cookies.items(multi=True)) == [("a", "1")]


def test_missing_cookie_is_a_400_naming_cookies():
    with pytest.raises(BadRequestKeyError) as info:
        parse_cookie("a=1")["session"]
    assert "'session'" in info.value.description
    assert "cookies" in info.value.description


# round trip


ROUND_TRIP_VALUES = [
    "",
    "plain",
    "with space",
    " leading and trailing ",
    "semi;colon",
    "comma,separated",
    'double"quote',
    '"fully quoted"',
    "back\\slash",
    "\\",
    '\\"',
    "equals=sign==",
    "café",
    "日本語",
    "emoji 🍪",
    "tab\there",
    "new\nline",
    "cr\rlf\n",
    "nul\x00byte",
    "\x7f delete",
    "\\012 looks like an escape",
    "%20 percent",
    "a=1; __Host-x=2",
    'ü;"\\, é',
]


@pytest.mark.parametrize("value", ROUND_TRIP_VALUES)
def test_round_trip(value):
    header = dump_cookie("name", value, path=None)
    assert "\n" not in header and "\r" not in header and "\x00" not in header
    # A value must not be able to add a cookie or an attribute of its own.
    assert list(parse_cookie(header).items(multi=True)) == [("name", value)]


def test_round_trip_among_other_cookies():
    values = {f"c{i}": value for i, value in enumerate(ROUND_TRIP_VALUES)}
    header = "; ".join(dump_cookie(k, v, path=None) for k, v in values.items())
    assert parse_cookie(header).to_dict() == values


def test_plain_values_are_not_quoted():
    assert dump_cookie("a", "abc-123_!#$%&'()*+./:<=>?@[]^`{|}~", path=None) == (
        "a=abc-123_!#$%&'()*+./:<=>?@[]^`{|}~"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a b", '"a b"'),
        ("a;b", r'"a\073b"'),
        ("a,b", r'"a\054b"'),
        ('a"b', r'"a\"b"'),
        ("a\\b", r'"a\\b"'),
        ("é", r'"\303\251"'),
    ],
)
def test_quoting(value, expected):
    assert dump_cookie("a", value, path=None) == f"a={expected}"


# dump_cookie attributes


def test_defaults():
    assert dump_cookie("a", "1") == "a=1; Path=/"
    assert dump_cookie("a") == "a=; Path=/"


@pytest.mark.parametrize(
    ("kwargs", "attribute"),
    [
        ({"max_age": 3600}, "Max-Age=3600"),
        ({"max_age": 0}, "Max-Age=0"),
        ({"max_age": timedelta(hours=1)}, "Max-Age=3600"),
        ({"max_age": timedelta(days=1, seconds=1.9)}, "Max-Age=86401"),
        ({"max_age": 1.7}, "Max-Age=1"),
        (
            {"expires": datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)},
            "Expires=Wed, 02 Jan 2030 03:04:05 GMT",
        ),
        ({"expires": datetime(2030, 1, 2, 3, 4, 5)}, "Expires=Wed, 02 Jan 2030 03:04:05 GMT"),
        (
            {"expires": datetime(2030, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))},
            "Expires=Wed, 02 Jan 2030 03:04:05 GMT",
        ),
        ({"expires": 0}, "Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
        ({"expires": 1893553445.0}, "Expires=Wed, 02 Jan 2030 03:04:05 GMT"),
        (
            {"expires": "Thu, 01 Jan 1970 00:00:00 GMT"},
            "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ),
        ({"path": "/app"}, "Path=/app"),
        ({"domain": "example.com"}, "Domain=example.com"),
        ({"domain": ".example.com"}, "Domain=.example.com"),
        ({"secure": True}, "Secure"),
        ({"httponly": True}, "HttpOnly"),
        ({"samesite": "Strict"}, "SameSite=Strict"),
        ({"samesite": "lax"}, "SameSite=Lax"),
        ({"samesite": "LAX"}, "SameSite=Lax"),
        ({"samesite": "None"}, "SameSite=None"),
        ({"partitioned": True}, "Partitioned"),
    ],
)
def test_attribute(kwargs, attribute):
    parts = dump_cookie("a", "1", **kwargs).split("; ")
    assert parts[0] == "a=1"
    assert attribute in parts[1:]


@pytest.mark.parametrize(
    ("kwargs", "absent"),
    [
        ({}, "Secure"),
        ({}, "HttpOnly"),
        ({}, "SameSite"),
        ({}, "Partitioned"),
        ({}, "Domain"),
        ({}, "Expires"),
        ({}, "Max-Age"),
        ({"path": None}, "Path"),
        ({"domain": ""}, "Domain"),
        ({"secure": False, "samesite": "Lax"}, "Secure"),
    ],
)
def test_attribute_absent(kwargs, absent):
    parts = dump_cookie("a", "1", **kwargs).split("; ")
    assert not any(part.startswith(absent) for part in parts[1:])


@pytest.mark.parametrize(
    "kwargs",
    [{"samesite": "None"}, {"samesite": "none"}, {"partitioned": True}],
)
def test_samesite_none_and_partitioned_force_secure(kwargs):
    parts = dump_cookie("a", "1", secure=False, **kwargs).split("; ")
    assert parts.count("Secure") == 1


def test_secure_not_repeated():
    parts = dump_cookie("a", "1", secure=True, samesite="None", partitioned=True).split("; ")
    assert parts.count("Secure") == 1


def test_all_attributes_together():
    header = dump_cookie(
        "session",
        "abc",
        max_age=timedelta(minutes=5),
        expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        path="/app",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="Strict",
        partitioned=True,
    )
    assert sorted(header.split("; ")) == sorted(
        [
            "session=abc",
            "Domain=example.com",
            "Expires=Wed, 02 Jan 2030 03:04:05 GMT",
            "Max-Age=300",
            "Path=/app",
            "Secure",
            "HttpOnly",
            "SameSite=Strict",
            "Partitioned",
        ]
    )


def test_max_age_alone_also_gives_expires(monkeypatch):
    # As Werkzeug's dump_cookie (and so Flask's set_cookie) does, for clients
    # that read only Expires.
    import types

    import erlen.http.cookies

    monkeypatch.setattr(
        erlen.http.cookies, "time", types.SimpleNamespace(time=lambda: 1_700_000_000.0)
    )
    in_a_minute = "Expires=Tue, 14 Nov 2023 22:14:20 GMT"
    assert dump_cookie("a", "1", max_age=60) == f"a=1; {in_a_minute}; Max-Age=60; Path=/"
    assert in_a_minute in dump_cookie("a", "1", max_age=timedelta(minutes=1))
    assert "Expires" not in dump_cookie("a", "1", max_age=60, sync_expires=False)
    given = dump_cookie("a", "1", max_age=60, expires=0)
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in given.split("; ")


@pytest.mark.parametrize("samesite", ["", "Loose", "strictly", "Lax; Secure", "None\n"])
def test_bad_samesite(samesite):
    with pytest.raises(ValueError, match="samesite"):
        dump_cookie("a", "1", samesite=samesite)


@pytest.mark.parametrize(
    "key",
    ["", "a b", "a;b", "a=b", '"a"', "a,b", "a\nb", "a\rb", "a\x00b", "é", "a(b)", "a/b"],
)
def test_bad_names(key):
    with pytest.raises(ValueError, match="Invalid cookie name") as info:
        dump_cookie(key, "1")
    assert "token" in str(info.value)


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("path", "/a;b"),
        ("path", "/a\nb"),
        ("path", "/a\r\nSet-Cookie: x=1"),
        ("path", "/a\x00"),
        ("domain", "example.com; Secure"),
        ("domain", "example.com\n"),
        ("domain", "exa\x7fmple.com"),
        ("expires", "Thu, 01 Jan 1970 00:00:00 GMT; Domain=evil.com"),
        ("expires", "Thu, 01 Jan 1970\r\n"),
    ],
)
def test_attribute_injection_is_refused(attribute, value):
    with pytest.raises(ValueError, match="Set-Cookie") as info:
        dump_cookie("a", "1", **{attribute: value})
    assert attribute in str(info.value)
