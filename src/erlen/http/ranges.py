"""Range requests (RFC 9110 §14): ``Range``, ``Content-Range`` and ``If-Range``.

Positions here are Python's: a range is ``(start, stop)`` with ``stop``
exclusive, so ``bytes=0-9`` is ``(0, 10)``. ``bytes=5-`` is ``(5, None)``
and the suffix ``bytes=-5`` (the last five bytes) is ``(-5, None)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from .dates import http_date, parse_date
from .etags import quote_etag, unquote_etag

__all__ = [
    "Range",
    "ContentRange",
    "IfRange",
    "parse_range_header",
    "parse_content_range_header",
    "parse_if_range_header",
]

# RFC 9110 §14.1.1: range-unit = token; int-range = first-pos "-" [ last-pos ];
# suffix-range = "-" suffix-length. [0-9], not \d: \d also takes other scripts' digits.
_UNIT_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_SPEC_RE = re.compile(r"([0-9]+)-([0-9]*)|-([0-9]+)")
# §14.4: Content-Range = range-unit SP ( range-resp / unsatisfied-range )
_CONTENT_RANGE_RE = re.compile(r"([0-9]+)-([0-9]+)/([0-9]+|\*)|\*/([0-9]+)")

#: More digits than any real length has; int() refuses past 4300 anyway.
_MAX_DIGITS = 19


class Range:
    """A parsed ``Range`` header: its ``units`` and its ``ranges``.

    ``ranges`` is a list of ``(start, stop)``: ``stop`` is exclusive, and
    ``None`` for "to the end"; a negative ``start`` counts from the end.
    """

    __slots__ = ("units", "ranges")

    def __init__(self, units: str, ranges: list[tuple[int, int | None]]) -> None:
        self.units = units
        self.ranges = ranges

    def range_for_length(self, length: int | None) -> tuple[int, int] | None:
        """Return ``(start, stop)`` within a representation of ``length`` bytes.

        ``None`` when that cannot be answered with one range: the unit is
        not ``bytes``, there are several ranges, the length is unknown, or
        the range starts past the end (unsatisfiable, RFC 9110 §14.1.1).
        """
        if self.units != "bytes" or length is None or len(self.ranges) != 1:
            return None
        start, stop = self.ranges[0]
        if start < 0:  # a suffix: the last -start bytes
            return max(length + start, 0), length
        if start >= length:
            return None
        return start, length if stop is None else min(stop, length)

    def make_content_range(self, length: int | None) -> ContentRange | None:
        """Return the :class:`ContentRange` answering this range, or ``None``."""
        span = self.range_for_length(length)
        if span is None:
            return None
        return ContentRange(self.units, span[0], span[1], length)

    def to_content_range_header(self, length: int | None) -> str | None:
        """Return the ``Content-Range`` value answering this range, or ``None``."""
        content_range = self.make_content_range(length)
        return content_range.to_header() if content_range is not None else None

    def to_header(self) -> str:
        """Return the header value: ``bytes=0-9,20-``."""
        specs = []
        for start, stop in self.ranges:
            if start < 0:
                specs.append(str(start))
            else:
                specs.append(f"{start}-{'' if stop is None else stop - 1}")
        return f"{self.units}={','.join(specs)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<Range {self.to_header()!r}>"


def parse_range_header(value: str | None) -> Range | None:
    """Parse a ``Range`` header; ``None`` if it is absent or malformed.

    Malformed means what RFC 9110 §14.2 tells a server to ignore: no
    ``=``, a spec that is not ``first-last``, ``first-`` or ``-suffix``, a
    last position before the first, or an empty suffix (``-0``, which no
    representation can satisfy). Empty list items (``bytes=0-9,``) are
    skipped.
    """
    if not value:
        return None
    unit, sep, spec = value.partition("=")
    unit = unit.strip()
    if not sep or not _UNIT_RE.fullmatch(unit):
        return None
    ranges: list[tuple[int, int | None]] = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        match = _SPEC_RE.fullmatch(item)
        if match is None:
            return None
        first, last, suffix = match.groups()
        if suffix is not None:
            if len(suffix) > _MAX_DIGITS:
                suffix = "9" * _MAX_DIGITS  # longer than any representation: all of it
            length = int(suffix)
            if length == 0:
                return None
            ranges.append((-length, None))
            continue
        if len(first) > _MAX_DIGITS:
            return None  # starts past the end of anything
        start = int(first)
        if not last:
            ranges.append((start, None))
            continue
        if len(last) > _MAX_DIGITS:
            last = "9" * _MAX_DIGITS  # past the end: to the end
        stop = int(last) + 1
        if stop <= start:
            return None
        ranges.append((start, stop))
    if not ranges:
        return None
    return Range(unit.lower(), ranges)


class ContentRange:
    """A ``Content-Range`` header: ``units``, ``start``, ``stop`` (exclusive), ``length``.

    Unset (false) when the header is absent. ``bytes */100`` (the answer
    to an unsatisfiable range) has ``start`` and ``stop`` ``None``; an
    unknown total ``length`` (``bytes 0-9/*``) is ``None``. On a response,
    :meth:`set` and :meth:`unset` rewrite the header.
    """

    __slots__ = ("units", "start", "stop", "length", "_on_update")

    def __init__(
        self,
        units: str | None,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        on_update: Callable[[ContentRange], None] | None = None,
    ) -> None:
        self.units = units
        self.start = start
        self.stop = stop
        self.length = length
        self._on_update = on_update

    def set(
        self, start: int | None, stop: int | None, length: int | None = None, units: str = "bytes"
    ) -> None:
        """Set the range: ``set(0, 10, 100)`` writes ``bytes 0-9/100``."""
        if (start is None) != (stop is None) or (
            start is not None and stop is not None and not 0 <= start < stop
        ):
            raise ValueError(
                f"Invalid content range start={start!r}, stop={stop!r}: give 0 <= start < stop "
                "(stop is exclusive), or both None for an unsatisfied range ('bytes */length')."
            )
        if length is not None and stop is not None and stop > length:
            raise ValueError(
                f"Invalid content range: stop={stop} is past the length {length} "
                "(stop is exclusive, so it is at most the length)."
            )
        self.units, self.start, self.stop, self.length = units, start, stop, length
        if self._on_update is not None:
            self._on_update(self)

    def unset(self) -> None:
        """Remove the range (and, on a response, the header)."""
        self.units = self.start = self.stop = self.length = None
        if self._on_update is not None:
            self._on_update(self)

    def to_header(self) -> str:
        """Return the header value, or ``""`` when unset."""
        if self.units is None:
            return ""
        length = "*" if self.length is None else str(self.length)
        if self.start is None or self.stop is None:
            return f"{self.units} */{length}"
        return f"{self.units} {self.start}-{self.stop - 1}/{length}"

    def __bool__(self) -> bool:
        return self.units is not None

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<ContentRange {self.to_header()!r}>"


def parse_content_range_header(
    value: str | None, on_update: Callable[[ContentRange], None] | None = None
) -> ContentRange | None:
    """Parse a ``Content-Range`` header; ``None`` if absent or malformed."""
    if not value:
        return None
    unit, _, rest = value.strip().partition(" ")
    if not _UNIT_RE.fullmatch(unit):
        return None
    match = _CONTENT_RANGE_RE.fullmatch(rest.strip())
    if match is None or any(len(group or "") > _MAX_DIGITS for group in match.groups()):
        return None
    first, last, total, unsatisfied = match.groups()
    if unsatisfied is not None:
        return ContentRange(unit.lower(), None, None, int(unsatisfied), on_update)
    start, stop = int(first), int(last) + 1
    length = None if total == "*" else int(total)
    if stop <= start or (length is not None and stop > length):
        return None  # RFC 9110 §14.4: an invalid range-resp
    return ContentRange(unit.lower(), start, stop, length, on_update)


class IfRange:
    """An ``If-Range`` header: an entity tag or a date (or neither, when absent).

    ``etag`` is unquoted; ``weak`` says it was sent as ``W/"..."``, which
    never matches (RFC 9110 §13.1.5 compares strongly).
    """

    __slots__ = ("etag", "date", "weak")

    def __init__(
        self, etag: str | None = None, date: datetime | None = None, weak: bool = False
    ) -> None:
        self.etag = etag
        self.date = date
        self.weak = weak

    def to_header(self) -> str:
        """Return the header value, or ``""`` when empty."""
        if self.date is not None:
            return http_date(self.date)
        if self.etag is not None:
            return quote_etag(self.etag, self.weak)
        return ""

    def __bool__(self) -> bool:
        return self.etag is not None or self.date is not None

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<IfRange {self.to_header()!r}>"


def parse_if_range_header(value: str | None) -> IfRange:
    """Parse an ``If-Range`` header; an empty :class:`IfRange` if absent or malformed."""
    if not value:
        return IfRange()
    value = value.strip()
    if value[:1] == '"' or value[:2] in ("W/", "w/"):
        tag, weak = unquote_etag(value)
        if tag is None or '"' in tag:
            return IfRange()
        return IfRange(etag=tag, weak=weak)
    date = parse_date(value)
    return IfRange(date=date) if date is not None else IfRange()
