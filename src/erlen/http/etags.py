"""Entity tags (RFC 9110 §8.8.3) and the ``If-Match``/``If-None-Match`` lists."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

__all__ = ["quote_etag", "unquote_etag", "parse_etags", "generate_etag", "ETags"]


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
# The last alternative takes any other character, so every position matches
# and finditer() never rescans a run of whitespace from each of its
# characters (which made a long run of spaces quadratic; issue 15).
_ETAG_RE = re.compile(r'\s*(?:(W/)?"([^"]*)"|([^",\s]+)|.?)\s*,?')


def parse_etags(value: str | None) -> tuple[set[str], set[str], bool]:
    """Parse ``If-None-Match``/``If-Match``: ``(strong, weak, star)``.

    :meth:`ETags.from_header() <erlen.http.etags.ETags.from_header>` gives the same as an object with
    Werkzeug's methods (``contains``, ``contains_weak`` ...).
    """
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


class ETags:
    """The entity tags of an ``If-Match`` or ``If-None-Match`` header.

    Tags are given and compared unquoted. :meth:`contains` (and ``in``)
    is the strong comparison of RFC 9110 §8.8.3.2, which ``If-Match`` uses;
    :meth:`contains_weak` the weak one, for ``If-None-Match``. ``*``
    (``star_tag``) contains every tag. An absent header is empty and
    false.
    """

    __slots__ = ("_strong", "_weak", "star_tag")

    def __init__(
        self,
        strong_etags: Iterable[str] | None = None,
        weak_etags: Iterable[str] | None = None,
        star_tag: bool = False,
    ) -> None:
        self._strong = frozenset(strong_etags or ())
        self._weak = frozenset(weak_etags or ())
        self.star_tag = star_tag

    @classmethod
    def from_header(cls, value: str | None) -> ETags:
        """Parse a header value; anything that is not a tag is skipped."""
        strong, weak, star = parse_etags(value)
        return cls(strong, weak, star)

    def is_strong(self, etag: str) -> bool:
        """Whether ``etag`` is listed as a strong tag."""
        return etag in self._strong

    def is_weak(self, etag: str) -> bool:
        """Whether ``etag`` is listed as a weak tag (``W/"..."``)."""
        return etag in self._weak

    def contains(self, etag: str) -> bool:
        """Whether ``etag`` matches by strong comparison (or the header is ``*``)."""
        return self.star_tag or etag in self._strong

    def contains_weak(self, etag: str) -> bool:
        """Whether ``etag`` matches by weak comparison (or the header is ``*``)."""
        return self.star_tag or etag in self._strong or etag in self._weak

    def contains_raw(self, etag: str) -> bool:
        """Like :meth:`contains`, for a quoted tag; a weak one compares weakly."""
        tag, weak = unquote_etag(etag)
        if tag is None:
            return False
        return self.contains_weak(tag) if weak else self.contains(tag)

    def as_set(self, include_weak: bool = False) -> set[str]:
        """Return the strong tags (and the weak ones, if asked) as a set."""
        tags = set(self._strong)
        if include_weak:
            tags |= self._weak
        return tags

    def to_header(self) -> str:
        """Return the header value these tags would be sent as."""
        if self.star_tag:
            return "*"
        strong = [f'"{tag}"' for tag in sorted(self._strong)]
        weak = [f'W/"{tag}"' for tag in sorted(self._weak)]
        return ", ".join(strong + weak)

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __iter__(self) -> Iterator[str]:
        return iter(self._strong)

    def __len__(self) -> int:
        return len(self._strong) + len(self._weak)

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<ETags {self.to_header()!r}>"
