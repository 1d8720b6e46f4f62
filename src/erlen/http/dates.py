"""HTTP dates (RFC 9110 §5.6.7).

The entity-tag functions that lived here are in :mod:`erlen.http.etags`,
and are still importable from this module.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from .etags import generate_etag, parse_etags, quote_etag, unquote_etag

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
