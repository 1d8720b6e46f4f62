"""Pure HTTP helpers: status phrases, dates, ETags, header values, Accept.

Nothing here knows about requests or applications: strings in, values out.
"""

from __future__ import annotations

import re
import time
import typing as t
from datetime import datetime, timezone
from http import HTTPStatus
from urllib.parse import unquote

__all__ = [
    "HTTP_STATUS_PHRASES",
    "status_line",
    "http_date",
    "parse_date",
    "quote_etag",
    "unquote_etag",
    "parse_etags",
    "generate_etag",
    "parse_options_header",
    "parse_accept",
    "Accept",
    "parse_qs",
]

HTTP_STATUS_PHRASES: dict[int, str] = {s.value: s.phrase for s in HTTPStatus}
# RFC 9110 §15 names, whatever the Python version (3.13 changed several).
HTTP_STATUS_PHRASES.update(
    {
        413: "Content Too Large",
        414: "URI Too Long",
        416: "Range Not Satisfiable",
        418: "I'm a teapot",
        422: "Unprocessable Content",
        425: "Too Early",
    }
)

# perf: status lines for every known code are built once, not per response.
_STATUS_LINES: dict[int, str] = {c: f"{c} {p}" for c, p in HTTP_STATUS_PHRASES.items()}


def status_line(code: int) -> str:
    """Return ``"404 Not Found"`` for ``404``; unknown codes get ``"UNKNOWN"``."""
    line = _STATUS_LINES.get(code)
    if line is None:
        line = f"{code} UNKNOWN"
    return line


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


# RFC 9110 §5.6.6: parameters = *( OWS ";" OWS [ parameter ] )
_PARAM_RE = re.compile(r';\s*([!#$%&\'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def parse_options_header(value: str | None) -> tuple[str, dict[str, str]]:
    """Split ``text/html; charset=utf-8`` into ``("text/html", {"charset": "utf-8"})``.

    The main value is lower-cased; parameter names are lower-cased, values
    unquoted. Malformed parameters are skipped, never an error.
    """
    if not value:
        return "", {}
    main, sep, rest = value.partition(";")
    params: dict[str, str] = {}
    if sep:
        for match in _PARAM_RE.finditer(";" + rest):
            name, raw = match.group(1).lower(), match.group(2).strip()
            if raw[:1] == '"' and raw[-1:] == '"' and len(raw) >= 2:
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            params.setdefault(name, raw)
    return main.strip().lower(), params


class Accept(list[tuple[str, float]]):
    """A parsed ``Accept`` header: ``(value, quality)`` pairs, best first."""

    def quality(self, offer: str) -> float:
        """Return how much the client wants ``offer`` (0 when not at all)."""
        best = 0.0
        best_specificity = -1
        for value, q in self:
            specificity = _match(value, offer)
            if specificity > best_specificity:
                best, best_specificity = q, specificity
        return best if best_specificity >= 0 else 0.0

    def best_match(self, offers: t.Sequence[str], default: str | None = None) -> str | None:
        """Return the offer the client prefers, earlier offers winning ties."""
        if not self:
            return offers[0] if offers else default
        best, best_q = default, 0.0
        for offer in offers:
            q = self.quality(offer)
            if q > best_q:
                best, best_q = offer, q
        return best

    def __contains__(self, offer: object) -> bool:
        return isinstance(offer, str) and self.quality(offer) > 0

    def accepts(self, offer: str) -> bool:
        """Whether the client takes ``offer`` at all."""
        return self.quality(offer) > 0

    @property
    def accept_json(self) -> bool:
        return self.accepts("application/json")

    @property
    def accept_html(self) -> bool:
        return self.accepts("text/html")


def _match(pattern: str, offer: str) -> int:
    """Return how specifically ``pattern`` matches ``offer``, -1 if not at all."""
    if pattern == "*" or pattern == "*/*":
        return 0
    offer = offer.lower()
    if pattern == offer:
        return 2
    p_type, _, p_sub = pattern.partition("/")
    o_type, _, o_sub = offer.partition("/")
    if p_sub == "*" and p_type == o_type:
        return 1
    return -1


def parse_accept(value: str | None) -> Accept:
    """Parse an ``Accept``-style header (RFC 9110 §12.5.1); bad items are skipped."""
    result = Accept()
    if not value:
        return result
    items = []
    for index, item in enumerate(value.split(",")):
        media, params = parse_options_header(item)
        if not media:
            continue
        try:
            q = float(params.get("q", "1"))
        except ValueError:
            continue
        if not 0 <= q <= 1:
            continue
        items.append((-q, index, media, q))
    items.sort()
    result.extend((media, q) for _, _, media, q in items)
    return result


# "40" -> "@", in both cases of hex digit, for the ASCII range.
_ASCII_ESCAPES = {
    f"{high}{low}": chr(code)
    for code in range(128)
    for high in {f"{code:02x}"[0], f"{code:02X}"[0]}
    for low in {f"{code:02x}"[1], f"{code:02X}"[1]}
}


def _unquote(text: str, charset: str) -> str:
    # perf: escapes of ASCII characters (%40, %2F, %20 ...) are mapped by a
    # dict lookup; anything else goes to urllib's general decoder.
    parts = text.split("%")
    out = [parts[0]]
    lookup = _ASCII_ESCAPES.get
    for part in parts[1:]:
        char = lookup(part[:2])
        if char is None:
            return unquote(text, charset, "replace")
        out.append(char)
        out.append(part[2:])
    return "".join(out)


def parse_qs(
    query: str, max_fields: int | None = None, charset: str = "utf-8"
) -> list[tuple[str, str]]:
    """Parse a query string or urlencoded body into ``(key, value)`` pairs.

    Blank values are kept (``?a=`` gives ``("a", "")``); empty fields are
    skipped; malformed percent escapes are kept literally; escaped bytes that
    are not ``charset`` become U+FFFD. Raises ``ValueError`` when there are
    more than ``max_fields`` fields (checked before any work is done).
    """
    if not query:
        return []
    # Each field takes at least two characters ("a&"), so a short string
    # cannot exceed the limit: the count is only needed for long ones.
    if max_fields is not None and len(query) > 2 * max_fields:
        if query.count("&") >= max_fields:
            fields = sum(1 for field in query.split("&") if field)
            if fields > max_fields:
                raise ValueError(f"{fields} fields, more than the limit of {max_fields}")
    # perf: '+' is replaced in the whole string at once (an escaped %2B is
    # decoded later, so it stays a plus); fields without '%' skip decoding.
    if "+" in query:
        query = query.replace("+", " ")
    pairs: list[tuple[str, str]] = []
    append = pairs.append
    if "%" not in query:
        for field in query.split("&"):
            if field:
                name, _, value = field.partition("=")
                append((name, value))
        return pairs
    escapes = _ASCII_ESCAPES
    for field in query.split("&"):
        if field:
            name, _, value = field.partition("=")
            if "%" in name:
                name = _unquote(name, charset)
            if "%" in value:
                # perf: _unquote inlined for the usual ASCII escapes (%40, %2F ...).
                parts = value.split("%")
                decoded = parts[0]
                for part in parts[1:]:
                    char = escapes.get(part[:2])
                    if char is None:
                        decoded = _unquote(value, charset)
                        break
                    decoded += char + part[2:]
                value = decoded
            append((name, value))
    return pairs
