"""Query strings and urlencoded bodies (the WHATWG urlencoded format)."""

from __future__ import annotations

from urllib.parse import unquote

__all__ = ["parse_qs"]

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
