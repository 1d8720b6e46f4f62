"""HTTP dates (RFC 9110 §5.6.7) and entity tags (RFC 9110 §8.8.3)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

__all__ = [
    "http_date",
    "parse_date",
    "quote_etag",
    "unquote_etag",
    "parse_etags",
    "generate_etag",
]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(value: datetime | float | int | None = None) -> str:
    """Format a datetime or a Unix timestamp as an IMF-fixdate (RFC 9110 §5.6.7).

    A naive datetime is taken as UTC; ``None`` means now.
    """
    if value is None:
        seconds = time.time()
    elif isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        seconds = value.timestamp()
    else:
        seconds = value
    # perf: time.gmtime and one f-string, several times faster than email.utils.
    tm = time.gmtime(int(seconds // 1))
    return (
        f"{_WEEKDAYS[tm.tm_wday]}, {tm.tm_mday:02d} {_MONTHS[tm.tm_mon - 1]} {tm.tm_year:04d} "
        f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} GMT"
    )


def parse_date(value: str | None) -> datetime | None:
    """Parse an HTTP date (any of the three RFC 9110 §5.6.7 forms) to UTC.

    Returns ``None`` for a missing or malformed value, never raises.
    """
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        parsed = parsedate_to_datetime(value.strip())
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=timezone.utc)
        # A date at the edge of year 9999 with an offset overflows here.
        return parsed.astimezone(timezone.utc)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def quote_etag(etag: str, weak: bool = False) -> str:
    """Return ``etag`` as a header value: ``"abc"`` or ``W/"abc"``."""
    if '"' in etag:
        raise ValueError(f"An ETag cannot contain a double quote: {etag!r}.")
    value = f'"{etag}"'
    return f"W/{value}" if weak else value


def unquote_etag(value: str | None) -> tuple[str | None, bool]:
    """Return ``(etag, is_weak)`` from a header value."""
    if not value:
        return None, False
    value = value.strip()
    weak = value[:2] in ("W/", "w/")
    if weak:
        value = value[2:]
    if value[:1] == value[-1:] == '"' and len(value) >= 2:
        value = value[1:-1]
    return value, weak


# RFC 9110 §8.8.3: entity-tag = [ weak ] opaque-tag; lists are comma-separated.
_ETAG_RE = re.compile(r'\s*(W/)?"([^"]*)"\s*,?|\s*([^",\s]+)\s*,?')


def parse_etags(value: str | None) -> tuple[set[str], set[str], bool]:
    """Parse ``If-None-Match``/``If-Match``: ``(strong, weak, star)``."""
    strong: set[str] = set()
    weak: set[str] = set()
    if not value:
        return strong, weak, False
    if value.strip() == "*":
        return strong, weak, True
    for match in _ETAG_RE.finditer(value):
        is_weak, quoted, bare = match.groups()
        tag = quoted if quoted is not None else bare
        if tag is None:
            continue
        (weak if is_weak else strong).add(tag)
    return strong, weak, False


def generate_etag(data: bytes) -> str:
    """Return a strong ETag (unquoted) for ``data``."""
    from hashlib import sha1

    return sha1(data, usedforsecurity=False).hexdigest()
