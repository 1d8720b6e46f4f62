"""ETags: If-Match and If-None-Match lists, strong and weak comparison."""

from __future__ import annotations

import pytest

from erlen.http import dates
from erlen.http.etags import ETags, parse_etags, quote_etag, unquote_etag


def test_absent_header_is_empty_and_false():
    tags = ETags.from_header(None)
    assert not tags
    assert len(tags) == 0
    assert not tags.star_tag
    assert not tags.contains("a") and not tags.contains_weak("a")
    assert "a" not in tags
    assert tags.to_header() == ""


def test_star_contains_everything():
    tags = ETags.from_header(" * ")
    assert tags and tags.star_tag
    assert tags.contains("anything") and tags.contains_weak("anything")
    assert "anything" in tags
    assert str(tags) == "*"


def test_strong_and_weak_comparison():
    tags = ETags.from_header('"a", W/"b"')
    assert tags.contains("a") and "a" in tags
    assert not tags.contains("b") and "b" not in tags  # weak: no strong match
    assert tags.contains_weak("a") and tags.contains_weak("b")
    assert tags.is_strong("a") and not tags.is_weak("a")
    assert tags.is_weak("b") and not tags.is_strong("b")
    assert tags.as_set() == {"a"}
    assert tags.as_set(include_weak=True) == {"a", "b"}
    assert set(tags) == {"a"}
    assert tags.contains_raw('W/"b"') and tags.contains_raw('"a"')
    assert not tags.contains_raw('"b"') and not tags.contains_raw("")
    assert tags.to_header() == '"a", W/"b"'
    assert repr(tags) == """<ETags '"a", W/"b"'>"""


def test_bare_tags_are_read_and_junk_skipped():
    tags = ETags.from_header(',,,"x", junk ,,W/"y",')
    assert tags.as_set(include_weak=True) == {"x", "junk", "y"}
    assert 123 not in tags  # type: ignore[operator]


def test_hostile_lists_parse():
    tags = ETags.from_header(", ".join(f'"t{index}"' for index in range(20_000)))
    assert len(tags) == 20_000 and tags.contains("t19999")
    assert not ETags.from_header("," * 100_000)
    assert ETags.from_header('"' * 10_001).as_set(include_weak=True) <= {""}


def test_quote_round_trip_and_old_import_path():
    assert unquote_etag(quote_etag("abc", weak=True)) == ("abc", True)
    assert unquote_etag(None) == (None, False)
    with pytest.raises(ValueError, match="double quote"):
        quote_etag('a"b')
    assert dates.parse_etags is parse_etags  # erlen.http.dates still serves them
