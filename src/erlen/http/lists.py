"""Comma-separated header values: lists, ``key=value`` lists and header sets.

``Allow``, ``Vary``, ``Cache-Control``, ``WWW-Authenticate``'s parameters
and many more are lists (RFC 9110 §5.6.1) whose items may be quoted strings
(§5.6.4), so a comma inside quotes is not a separator. The parsers here
scan once, left to right, and never raise: what does not parse is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping

__all__ = [
    "parse_list_header",
    "parse_dict_header",
    "quote_header_value",
    "unquote_header_value",
    "dump_header",
    "HeaderSet",
]

# RFC 9110 §5.6.2: token = 1*tchar
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# §5.6.4: quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
_QUOTED_PAIR_RE = re.compile(r"\\(.)", re.DOTALL)


def _split(value: str) -> Iterator[str]:
    """Yield the items of a list, splitting on commas outside quoted strings."""
    if '"' not in value:
        # perf: the usual list has no quoted strings; str.split does it all.
        yield from value.split(",")
        return
    start = 0
    quoted = False
    escaped = False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == ",":
            yield value[start:index]
            start = index + 1
    yield value[start:]


def unquote_header_value(value: str) -> str:
    """Return a quoted string's content (``"a \\"b\\""`` -> ``a "b"``); other values as they are."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        return _QUOTED_PAIR_RE.sub(r"\1", inner) if "\\" in inner else inner
    return value


def quote_header_value(value: object, allow_token: bool = True) -> str:
    """Return ``value`` as a header item: as it is if it is a token, else quoted.

    ``allow_token=False`` quotes tokens as well (some schemes want
    ``realm="x"`` even where ``realm=x`` would parse).
    """
    text = str(value)
    if allow_token and _TOKEN_RE.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_list_header(value: str | None) -> list[str]:
    """Split a list header into its items: ``'a, "b, c"'`` -> ``["a", "b, c"]``.

    Empty items (``a,,b``) are dropped, as RFC 9110 §5.6.1 asks; quoted
    items are unquoted.
    """
    if not value:
        return []
    items = []
    for item in _split(value):
        item = item.strip()
        if item:
            items.append(unquote_header_value(item))
    return items


def parse_dict_header(value: str | None) -> dict[str, str | None]:
    """Parse ``a=1, b="x, y", c`` into ``{"a": "1", "b": "x, y", "c": None}``.

    Names are lower-cased (they are case-insensitive wherever HTTP uses this
    form: cache directives, auth parameters); the first of a repeated name
    wins. An item whose name is not a token is skipped.
    """
    result: dict[str, str | None] = {}
    if not value:
        return result
    for item in _split(value):
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not _TOKEN_RE.fullmatch(name):
            continue
        name = name.lower()
        if name in result:
            continue
        result[name] = unquote_header_value(raw.strip()) if sep else None
    return result


def dump_header(items: Mapping[str, object] | Iterable[object]) -> str:
    """Return a list header from items, or ``key=value`` pairs from a mapping.

    Values that are not tokens are quoted; a mapping value of ``None``
    writes the bare key (``no-store``).
    """
    if isinstance(items, Mapping):
        parts = []
        for key, value in items.items():
            if value is None:
                parts.append(str(key))
            else:
                parts.append(f"{key}={quote_header_value(value)}")
        return ", ".join(parts)
    return ", ".join(quote_header_value(item) for item in items)


class HeaderSet:
    """A list header as an ordered set of strings, compared without case.

    ``response.allow`` and ``response.vary`` are header sets: changing one
    (``add``, ``discard``, ``update`` ...) rewrites the header.

    >>> methods = HeaderSet(["GET", "POST"])
    >>> "get" in methods
    True
    >>> methods.to_header()
    'GET, POST'
    """

    __slots__ = ("_items", "_on_update")

    def __init__(
        self,
        items: Iterable[str] | None = None,
        on_update: Callable[[HeaderSet], None] | None = None,
    ) -> None:
        self._items: list[str] = []
        self._on_update = None
        if items is not None:
            self.update(items)
        self._on_update = on_update

    @classmethod
    def from_header(
        cls, value: str | None, on_update: Callable[[HeaderSet], None] | None = None
    ) -> HeaderSet:
        """Return the set a list header holds."""
        return cls(parse_list_header(value), on_update)

    def _changed(self) -> None:
        if self._on_update is not None:
            self._on_update(self)

    def find(self, item: str) -> int:
        """Return the position of ``item`` (any case), or -1."""
        lower = item.lower()
        for index, value in enumerate(self._items):
            if value.lower() == lower:
                return index
        return -1

    def index(self, item: str) -> int:
        """Return the position of ``item`` (any case); ``ValueError`` if absent."""
        index = self.find(item)
        if index < 0:
            raise ValueError(f"{item!r} is not in this header set.")
        return index

    def add(self, item: str) -> None:
        """Add ``item`` unless it is there already (in any case)."""
        if self.find(item) < 0:
            self._items.append(item)
            self._changed()

    def update(self, items: Iterable[str]) -> None:
        """Add each of ``items`` not there already."""
        if isinstance(items, str):
            items = (items,)
        added = False
        for item in items:
            if not isinstance(item, str):
                raise TypeError(f"A header set holds strings, not {type(item).__name__}.")
            if self.find(item) < 0:
                self._items.append(item)
                added = True
        if added:
            self._changed()

    def discard(self, item: str) -> None:
        """Remove ``item`` (any case) if it is there."""
        index = self.find(item)
        if index >= 0:
            del self._items[index]
            self._changed()

    def remove(self, item: str) -> None:
        """Remove ``item`` (any case); ``KeyError`` if it is not there."""
        index = self.find(item)
        if index < 0:
            raise KeyError(item)
        del self._items[index]
        self._changed()

    def clear(self) -> None:
        self._items.clear()
        self._changed()

    def as_set(self, preserve_casing: bool = False) -> set[str]:
        """Return the items as a plain set, lower-cased unless told otherwise."""
        if preserve_casing:
            return set(self._items)
        return {item.lower() for item in self._items}

    def to_header(self) -> str:
        """Return the header value: the items joined by ``", "``."""
        return dump_header(self._items)

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and self.find(item) >= 0

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __getitem__(self, index: int) -> str:
        return self._items[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HeaderSet):
            return self.as_set() == other.as_set()
        if isinstance(other, (set, frozenset, list, tuple)):
            return self.as_set() == {str(item).lower() for item in other}
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"HeaderSet({self._items!r})"


def header_set_value(value: str | Iterable[str] | None) -> str | None:
    """Return what to write for a header set assigned ``value``; ``None`` removes it.

    A string is written as it is; a ``set`` is sorted, so the header does
    not change from one run to the next; any other iterable keeps its order.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, HeaderSet):
        items: Iterable[str] = value
    elif isinstance(value, (set, frozenset)):
        items = sorted(value)
    else:
        items = value
    header = HeaderSet(items).to_header()
    return header or None
