"""Conditional requests and byte ranges for file responses (RFC 9110 §13, §14).

:func:`evaluate_conditions` reads a request's preconditions and its
``Range`` and says what to answer: the whole file, one range of it, 304,
412 or 416. :mod:`erlen.sendfile` builds the response from that.
"""

from __future__ import annotations

import re
import typing as t

from .http.dates import parse_date, parse_etags, unquote_etag

if t.TYPE_CHECKING:
    from .request import Request


def evaluate_conditions(
    request: Request, tag: str | None, weak: bool, mtime: float | None, size: int | None
) -> tuple[int, int, int | None]:
    """Apply the request's preconditions and Range: ``(status, first byte, length)``.

    Follows the order of RFC 9110 §13.2.2. ``tag`` and ``weak`` are the
    file's entity tag, ``mtime`` its modification time; ``size`` is
    ``None`` when ranges are not offered.
    """
    header = request._raw_header
    if_match = header("HTTP_IF_MATCH")
    if_unmodified_since = header("HTTP_IF_UNMODIFIED_SINCE")
    if_none_match = header("HTTP_IF_NONE_MATCH")
    if_modified_since = header("HTTP_IF_MODIFIED_SINCE")
    range_value = header("HTTP_RANGE")
    # perf: a plain request has none of these; skip all parsing.
    if not (if_match or if_unmodified_since or if_none_match or if_modified_since or range_value):
        return 200, 0, size
    method = request.method
    seconds = int(mtime) if mtime is not None else None

    # §13.1.1 If-Match: strong comparison; "*" matches any current file.
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
    span = _parse_range(range_value, size)
    if span is None:
        return 200, 0, size
    first, last = span
    if first >= size:
        return 416, 0, size
    return 206, first, last - first + 1


def _if_range_matches(value: str, tag: str | None, weak: bool, seconds: int | None) -> bool:
    """Whether ``If-Range`` names the current file (RFC 9110 §13.1.5)."""
    if value[:1] == '"' or value[:2] in ("W/", "w/"):
        # An entity tag, compared strongly: a weak one never matches.
        other, other_weak = unquote_etag(value)
        return tag is not None and not weak and not other_weak and other == tag
    date = parse_date(value)
    return date is not None and seconds is not None and date.timestamp() == seconds


# RFC 9110 §14.1.2: int-range = first-pos "-" [ last-pos ]; suffix-range = "-" suffix-length
_RANGE_SPEC_RE = re.compile(r"(\d+)-(\d*)|-(\d+)")


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    """Parse a ``Range`` header into ``(first, last)`` byte positions.

    ``None`` means "send the whole file": a malformed header (RFC 9110 §14.2
    says to ignore it), another unit, or several ranges. Serving several
    ranges as multipart/byteranges is allowed but never required, and a
    200 with the whole file is always a correct answer; it also shuts out
    the many-small-ranges amplification trick. ``(size, size)`` means
    unsatisfiable.
    """
    unit, sep, spec = value.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    # A list may hold empty elements (RFC 9110 §5.6.1): "bytes=0-9, ".
    specs = [item.strip() for item in spec.split(",") if item.strip()]
    if len(specs) != 1:
        return None
    match = _RANGE_SPEC_RE.fullmatch(specs[0])
    if match is None:
        return None
    first_text, last_text, suffix_text = match.groups()
    try:
        if suffix_text is not None:
            suffix = int(suffix_text)
            if suffix == 0:
                return size, size
            return max(size - suffix, 0), size - 1
        first = int(first_text)
        last = int(last_text) if last_text else None
    except ValueError:  # more digits than int() takes
        return None
    if last is not None and last < first:
        return None  # invalid (§14.1.1), so the header is ignored
    if first >= size:
        return size, size
    return first, size - 1 if last is None or last >= size else last
