"""Conditional requests and byte ranges (RFC 9110 §13, §14): what to answer.

:func:`evaluate_conditions` reads a request's preconditions and its
``Range`` against the current representation (its entity tag, its
modification time, its size) and says what to answer: all of it, one
range of it, 304, 412 or 416. ``send_file`` and
``Response.make_conditional`` build their responses from that.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .dates import parse_date
from .etags import parse_etags, unquote_etag
from .ranges import parse_range_header

__all__ = ["evaluate_conditions"]

# "bytes=-0": a valid suffix-range of length zero.
_EMPTY_SUFFIX_RE = re.compile(r"\s*bytes\s*=\s*-0+[\s,]*", re.IGNORECASE)


def evaluate_conditions(
    method: str,
    header: Callable[[str], str | None],
    tag: str | None,
    weak: bool,
    mtime: float | None,
    size: int | None,
) -> tuple[int, int, int | None]:
    """Apply the request's preconditions and Range: ``(status, first byte, length)``.

    Follows the order of RFC 9110 §13.2.2. ``header`` returns a request
    header by its CGI name (``HTTP_IF_MATCH``). ``tag`` and ``weak`` are
    the representation's entity tag, ``mtime`` its modification time;
    ``size`` is ``None`` when ranges are not offered.
    """
    if_match = header("HTTP_IF_MATCH")
    if_unmodified_since = header("HTTP_IF_UNMODIFIED_SINCE")
    if_none_match = header("HTTP_IF_NONE_MATCH")
    if_modified_since = header("HTTP_IF_MODIFIED_SINCE")
    range_value = header("HTTP_RANGE")
    # perf: a plain request has none of these; skip all parsing.
    if not (if_match or if_unmodified_since or if_none_match or if_modified_since or range_value):
        return 200, 0, size
    seconds = int(mtime) if mtime is not None else None

    # §13.1.1 If-Match: strong comparison; "*" matches any current representation.
    if if_match:
        strong, _, star = parse_etags(if_match)
        if not star and (tag is None or weak or tag not in strong):
            return 412, 0, size
    # §13.1.4 If-Unmodified-Since, only without If-Match.
    elif if_unmodified_since and seconds is not None:
        date = parse_date(if_unmodified_since)
        if date is not None and seconds > date.timestamp():
            return 412, 0, size
    # §13.1.2 If-None-Match: weak comparison.
    if if_none_match:
        strong, weak_tags, star = parse_etags(if_none_match)
        if star or (tag is not None and (tag in strong or tag in weak_tags)):
            return (304 if method in ("GET", "HEAD") else 412), 0, size
    # §13.1.3 If-Modified-Since, only without If-None-Match, only GET/HEAD.
    elif if_modified_since and seconds is not None and method in ("GET", "HEAD"):
        date = parse_date(if_modified_since)
        if date is not None and seconds <= date.timestamp():
            return 304, 0, size

    # §14.2: Range is defined for GET only; anything else ignores it.
    if not range_value or size is None or method != "GET":
        return 200, 0, size
    if_range = header("HTTP_IF_RANGE")
    if if_range and not _if_range_matches(if_range.strip(), tag, weak, seconds):
        return 200, 0, size
    span = _one_range(range_value, size)
    if span is None:
        return 200, 0, size
    first, stop = span
    if first >= size:
        return 416, 0, size
    return 206, first, stop - first


def _if_range_matches(value: str, tag: str | None, weak: bool, seconds: int | None) -> bool:
    """Whether ``If-Range`` names the current representation (RFC 9110 §13.1.5)."""
    if value[:1] == '"' or value[:2] in ("W/", "w/"):
        # An entity tag, compared strongly: a weak one never matches.
        other, other_weak = unquote_etag(value)
        return tag is not None and not weak and not other_weak and other == tag
    date = parse_date(value)
    return date is not None and seconds is not None and date.timestamp() == seconds


def _one_range(value: str, size: int) -> tuple[int, int] | None:
    """Return the ``(first, stop)`` bytes a ``Range`` header asks for.

    ``None`` means "send all of it": a malformed header (RFC 9110 §14.2
    says to ignore it), another unit, or several ranges. Serving several
    ranges as multipart/byteranges is allowed but never required, and a
    200 with the whole representation is always a correct answer; it also
    shuts out the many-small-ranges amplification trick. A first byte at or
    past ``size`` means unsatisfiable (416), and so does ``bytes=-0``.
    """
    parsed = parse_range_header(value)
    if parsed is None and _EMPTY_SUFFIX_RE.fullmatch(value):
        return size, size  # has no (start, stop) in a Range; never satisfiable (§14.1.1)
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
        return None
    start, stop = parsed.ranges[0]
    if start < 0:
        return max(size + start, 0), size
    if start >= size:
        return size, size
    return start, size if stop is None else min(stop, size)
