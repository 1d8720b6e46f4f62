"""HTTP headers: ordered, case-insensitive, multi-valued."""

from __future__ import annotations

import re
import typing as t
from collections.abc import Iterable, Iterator, Mapping

__all__ = ["Headers", "check_header"]

# RFC 9110 §5.1: field-name = token
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 9110 §5.5: a field value never holds CR, LF or NUL (header injection),
# nor any other control character but the tab (h11, under uvicorn, drops the
# whole response for one).
_BAD_VALUE_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

T = t.TypeVar("T")


def check_header(name: str, value: str) -> None:
    """Raise ``ValueError`` unless ``name: value`` is a safe header line.

    Refused: a name that is not a token; a value with CR, LF, NUL or any
    other control character but the tab; a value that starts or ends with
    a space or a tab. RFC 9110 §5.5 leaves such whitespace out of the
    value and browsers trim it, so ``"\\t//evil.example"`` would send them
    to another site although it does not start with ``//``.
    """
    if not _TOKEN_RE.fullmatch(name):
        raise ValueError(
            f"Invalid header name {name!r}: a header name is a token "
            "(letters, digits and !#$%&'*+-.^_`|~), with no spaces or colons."
        )
    found = _BAD_VALUE_RE.search(value)
    if found is not None:
        char = found.group()
        if char in "\r\n\x00":
            raise ValueError(
                f"Header {name!r} has a value with a newline or NUL character: {value!r}. "
                "These would let the value inject extra headers, so they are refused. "
                "Remove them, or encode the value (for example with urllib.parse.quote)."
            )
        raise ValueError(
            f"Header {name!r} has a value with the control character {char!r}: "
            f"{value!r}. RFC 9110 §5.5 allows none but the tab, and some servers drop "
            "the whole response for one. Remove it, or encode the value (for example "
            "with urllib.parse.quote)."
        )
    # perf: strip() gives back the very same string when there is nothing to
    # strip, so this costs a few tens of nanoseconds and no copy.
    if value != value.strip(" \t"):
        where = "starts" if value[0] in " \t" else "ends"
        raise ValueError(
            f"Header {name!r} has a value that {where} with whitespace: {value!r}. RFC "
            "9110 §5.5: a header value has no leading or trailing spaces or tabs; clients "
            "trim them (so '\\t//evil.example' in Location leads to another site) and some "
            "servers refuse the response. Strip the value first: value.strip()."
        )


def _to_str(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


class _HeadersBase:
    """Empty: where ``erlen.flask_compat`` puts Werkzeug's ``Headers``.

    A class's bases can change only for bases of the same layout; this one
    lets the Flask alias make erlen's ``Headers`` pass ``isinstance`` checks
    against Werkzeug's. With the alias off it does nothing.
    """

    # perf: having no __slots__, it gives Headers room for a __dict__, as
    # Werkzeug's has: about 15 ns more to make one, no change per request.


class Headers(_HeadersBase):
    """An ordered list of header ``(name, value)`` pairs.

    Lookups ignore case; a name may occur several times (``Set-Cookie``).
    Indexing and :meth:`get` return the first value, :meth:`getlist` all of
    them. Values are checked when set: a CR, LF or NUL raises ``ValueError``.

    >>> h = Headers({"Content-Type": "text/plain"})
    >>> h["content-type"]
    'text/plain'
    """

    __slots__ = ("_list",)

    def __init__(
        self,
        items: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | Headers | None = None,
    ) -> None:
        self._list: list[tuple[str, str]] = []
        if items is not None:
            self.extend(items)

    @classmethod
    def _trusted(cls, pairs: list[tuple[str, str]]) -> Headers:
        # perf: wraps an already-checked list without copying or re-checking.
        headers = cls.__new__(cls)
        headers._list = pairs
        return headers

    def __getitem__(self, name: str) -> str:
        lower = name.lower()
        for key, value in self._list:
            if key.lower() == lower:
                return value
        raise KeyError(name)

    def get(self, name: str, default: t.Any = None, type: t.Any = None) -> t.Any:  # noqa: A002
        """Return the first value of ``name``, or ``default``."""
        lower = name.lower()
        for key, value in self._list:
            if key.lower() == lower:
                if type is None:
                    return value
                try:
                    return type(value)
                except (ValueError, TypeError):
                    return default
        return default

    def getlist(self, name: str) -> list[str]:
        """Return every value of ``name``, in order."""
        lower = name.lower()
        return [value for key, value in self._list if key.lower() == lower]

    get_all = getlist

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        lower = name.lower()
        return any(key.lower() == lower for key, _ in self._list)

    def __setitem__(self, name: str, value: t.Any) -> None:
        self.set(name, value)

    def set(self, name: str, value: t.Any) -> None:
        """Replace all values of ``name`` with ``value``, keeping its place."""
        value = _to_str(value)
        check_header(name, value)
        lower = name.lower()
        pairs = self._list
        for index, (key, _) in enumerate(pairs):
            if key.lower() == lower:
                pairs[index] = (name, value)
                self._list = pairs[: index + 1] + [
                    p for p in pairs[index + 1 :] if p[0].lower() != lower
                ]
                return
        pairs.append((name, value))

    def setdefault(self, name: str, default: t.Any) -> str:
        """Return ``name``'s value, setting it to ``default`` when absent."""
        value = self.get(name)
        if value is None:
            self.set(name, default)
            return _to_str(default)
        return t.cast(str, value)

    def add(self, name: str, value: t.Any) -> None:
        """Add a value for ``name``, keeping those already there."""
        value = _to_str(value)
        check_header(name, value)
        self._list.append((name, value))

    append = add

    def extend(self, items: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | Headers) -> None:
        """Add every pair of ``items`` (a mapping, pairs or ``Headers``)."""
        if isinstance(items, Headers):
            self._list.extend(items._list)
            return
        pairs = items.items() if isinstance(items, Mapping) else items
        for name, value in pairs:
            if isinstance(value, (list, tuple)):
                for item in value:
                    self.add(name, item)
            else:
                self.add(name, value)

    update = extend

    def __delitem__(self, name: str) -> None:
        if not self.remove(name):
            raise KeyError(name)

    def remove(self, name: str) -> bool:
        """Remove every value of ``name``; return whether there were any."""
        lower = name.lower()
        kept = [pair for pair in self._list if pair[0].lower() != lower]
        removed = len(kept) != len(self._list)
        self._list = kept
        return removed

    def pop(self, name: str, default: t.Any = None) -> t.Any:
        """Remove ``name`` and return its first value, or ``default``."""
        value = self.get(name)
        if value is None:
            return default
        self.remove(name)
        return value

    def clear(self) -> None:
        self._list = []

    def keys(self) -> list[str]:
        return [key for key, _ in self._list]

    def values(self) -> list[str]:
        return [value for _, value in self._list]

    def items(self) -> list[tuple[str, str]]:
        return list(self._list)

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """Return the pairs as a list, as ``start_response`` wants them."""
        return self._list

    def copy(self) -> Headers:
        return Headers._trusted(list(self._list))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def __bool__(self) -> bool:
        return bool(self._list)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            other = other._list
        if isinstance(other, Mapping):
            other = list(other.items())
        if not isinstance(other, list):
            return NotImplemented
        return _normalized(self._list) == _normalized(other)

    def __repr__(self) -> str:
        return f"Headers({self._list!r})"

    def __str__(self) -> str:
        return "".join(f"{key}: {value}\r\n" for key, value in self._list) + "\r\n"


def _normalized(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted((name.lower(), value) for name, value in pairs)
