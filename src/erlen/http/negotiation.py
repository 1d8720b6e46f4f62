"""Header values with parameters, and content negotiation (``Accept``)."""

from __future__ import annotations

import re
import typing as t

__all__ = ["parse_options_header", "parse_accept", "Accept"]

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
    """A parsed ``Accept`` header: ``(value, quality)`` pairs, best first.

    ``accept["text/html"]`` is the quality of an offer (as
    :meth:`quality`); ``accept.best`` the value the client wants most.
    """

    @t.overload  # type: ignore[override]
    def __getitem__(self, key: str) -> float: ...
    @t.overload
    def __getitem__(self, key: t.SupportsIndex) -> tuple[str, float]: ...
    @t.overload
    def __getitem__(self, key: slice) -> list[tuple[str, float]]: ...

    def __getitem__(self, key: t.Any) -> t.Any:
        if isinstance(key, str):
            return self.quality(key)
        return super().__getitem__(key)

    @property
    def best(self) -> str | None:
        """The value the client wants most, or ``None`` for an empty header."""
        return self[0][0] if self else None

    @property
    def provided(self) -> bool:
        """Whether the client listed anything."""
        return bool(self)

    def values(self) -> t.Iterator[str]:
        """Yield the listed values, best first."""
        for value, _ in self:
            yield value

    def find(self, value: str) -> int:
        """Return the position of ``value`` as listed (no wildcards), or -1."""
        value = value.lower()
        for index, (listed, _) in enumerate(self):
            if listed == value:
                return index
        return -1

    def to_header(self) -> str:
        """Return the header value: ``text/html,application/json;q=0.9``."""
        return ",".join(
            value if quality == 1 else f"{value};q={quality:g}" for value, quality in self
        )

    def __str__(self) -> str:
        return self.to_header()

    def quality(self, offer: str) -> float:
        """Return how much the client wants ``offer`` (0 when not at all)."""
        best = 0.0
        best_specificity = -1
        for value, q in self:
            specificity = _match(value, offer)
            if specificity > best_specificity:
                best, best_specificity = q, specificity
        return best if best_specificity >= 0 else 0.0

    def best_match(self, offers: t.Iterable[str], default: str | None = None) -> str | None:
        """Return the offer the client prefers, earlier offers winning ties.

        ``offers`` may be any iterable (Flask-RESTful passes a dict of media
        types). Without the header it is the first offer (Flask answers
        ``default``); when no offer is acceptable, ``default``.
        """
        if not self:
            return next(iter(offers), default)
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

    @property
    def accept_xhtml(self) -> bool:
        return self.accepts("application/xhtml+xml")


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
