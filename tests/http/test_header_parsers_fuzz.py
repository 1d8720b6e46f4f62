"""The header parsers on input nobody wrote by hand: they never raise."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from erlen.http.auth import Authorization, WWWAuthenticate
from erlen.http.cache_control import ResponseCacheControl, parse_cache_control_header
from erlen.http.etags import ETags
from erlen.http.lists import HeaderSet, parse_dict_header, parse_list_header
from erlen.http.ranges import (
    parse_content_range_header,
    parse_if_range_header,
    parse_range_header,
)

#: What a header value can hold as WSGI hands it over: latin-1 text without CR, LF, NUL.
HEADER = st.text(st.characters(max_codepoint=255, blacklist_characters="\r\n\x00"))
#: Text built from the characters these grammars care about, to reach deeper branches.
SHAPED = st.text(st.sampled_from(list('bytes=-0123456789,;" \\W/*Basic Bearer=+/abc')))
VALUES = HEADER | SHAPED

CHECKED = settings(max_examples=400, deadline=None)


@CHECKED
@given(VALUES)
def test_authorization_never_raises(value):
    auth = Authorization.from_header(value)
    if auth is not None:
        assert auth.type == auth.type.lower()
        if auth.type == "basic":
            assert isinstance(auth.username, str) and isinstance(auth.password, str)
        str(auth)


@CHECKED
@given(VALUES)
def test_www_authenticate_never_raises(value):
    challenge = WWWAuthenticate.from_header(value)
    if challenge is not None:
        challenge.to_header()


@CHECKED
@given(VALUES)
def test_cache_control_never_raises(value):
    control = parse_cache_control_header(value)
    for name in ["max_age", "max_stale", "min_fresh", "no_cache", "no_store"]:
        getattr(control, name)
    response = parse_cache_control_header(value, None, ResponseCacheControl)
    for name in ["max_age", "s_maxage", "private", "no_cache", "public"]:
        getattr(response, name)
    assert parse_cache_control_header(response.to_header(), None, ResponseCacheControl) == response


@CHECKED
@given(VALUES, st.integers(min_value=0, max_value=10**12))
def test_range_never_raises_and_stays_inside(value, length):
    parsed = parse_range_header(value)
    if parsed is not None:
        span = parsed.range_for_length(length)
        if span is not None:
            start, stop = span
            assert 0 <= start < stop <= length
        assert parse_range_header(parsed.to_header()).ranges == parsed.ranges  # type: ignore[union-attr]


@CHECKED
@given(VALUES)
def test_other_parsers_never_raise(value):
    parse_content_range_header(value)
    parse_if_range_header(value)
    ETags.from_header(value)
    parse_list_header(value)
    parse_dict_header(value)
    HeaderSet.from_header(value).to_header()
