"""The ``Cache-Control`` header (RFC 9111 §5.2), for requests and responses.

Both classes are dicts of directive -> value (``None`` for a directive
without one, such as ``no-store``) with a property per directive:
``cache_control.max_age`` reads ``max-age`` as an ``int``. The response's is
writable, and writing it rewrites the response's header.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta

from .datastructures import CallbackDict
from .lists import dump_header, parse_dict_header

__all__ = ["RequestCacheControl", "ResponseCacheControl", "parse_cache_control_header"]

#: RFC 9111 §1.2.2: a delta-seconds too large to store is taken as 2**31.
_MAX_DELTA = 2**31


def _seconds(value: str) -> int | None:
    """Read delta-seconds (``1*DIGIT``); ``None`` when it is not that."""
    if not (value.isdigit() and value.isascii()):
        return None
    if len(value) > 10:
        return _MAX_DELTA
    return min(int(value), _MAX_DELTA)


class _Directive:
    """A property for one directive: a flag, a number of seconds, or a value."""

    def __init__(self, name: str, kind: str, doc: str) -> None:
        self.name = name
        self.kind = kind  # "flag", "seconds", "seconds-or-true", "value-or-true"
        self.__doc__ = doc

    @t.overload
    def __get__(self, instance: None, owner: type) -> _Directive: ...
    @t.overload
    def __get__(self, instance: _CacheControl, owner: type) -> t.Any: ...

    def __get__(self, instance: _CacheControl | None, owner: type) -> t.Any:
        if instance is None:
            return self
        if self.kind == "flag":
            return self.name in instance
        if self.name not in instance:
            return None
        value = instance[self.name]
        if value is None:
            return True if self.kind.endswith("-or-true") else None
        if self.kind.startswith("seconds"):
            return _seconds(value)
        return value

    def __set__(self, instance: _CacheControl, value: t.Any) -> None:
        name = self.name
        if self.kind == "flag":
            if value:
                instance[name] = None
            else:
                instance.pop(name, None)
            return
        if value is None or value is False:
            instance.pop(name, None)
        elif value is True:
            instance[name] = None
        elif self.kind.startswith("seconds"):
            if isinstance(value, timedelta):
                value = int(value.total_seconds())
            seconds = _seconds(str(value))
            if seconds is None:
                raise ValueError(
                    f"Cache-Control {name} takes a whole number of seconds (such as 3600, "
                    "or a timedelta), "
                    f"not {value!r}."
                )
            instance[name] = str(seconds)
        else:
            instance[name] = str(value)

    def __delete__(self, instance: _CacheControl) -> None:
        instance.pop(self.name, None)


class _CacheControl(CallbackDict[str, str | None]):
    """What request and response cache controls share."""

    no_store = _Directive("no-store", "flag", "``no-store``: whether it is there.")
    max_age = _Directive("max-age", "seconds", "``max-age`` in seconds, or ``None``.")
    no_transform = _Directive("no-transform", "flag", "``no-transform``: whether it is there.")
    stale_if_error = _Directive(
        "stale-if-error", "seconds", "``stale-if-error`` (RFC 5861) in seconds, or ``None``."
    )

    def __init__(
        self,
        values: Mapping[str, str | None] | Iterable[tuple[str, str | None]] | None = None,
        on_update: Callable[[_CacheControl], None] | None = None,
    ) -> None:
        super().__init__(values, on_update)
        self.provided = values is not None

    def to_header(self) -> str:
        """Return the header value: ``max-age=60, public``."""
        return dump_header(self)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class RequestCacheControl(_CacheControl):
    """A request's ``Cache-Control``: what the client will take from a cache.

    Read-only; an absent header gives an empty (false) one.
    """

    no_cache = _Directive("no-cache", "flag", "``no-cache``: whether it is there.")
    max_stale = _Directive(
        "max-stale",
        "seconds-or-true",
        "``max-stale`` in seconds, ``True`` without a value (any staleness), or ``None``.",
    )
    min_fresh = _Directive("min-fresh", "seconds", "``min-fresh`` in seconds, or ``None``.")
    only_if_cached = _Directive(
        "only-if-cached", "flag", "``only-if-cached``: whether it is there."
    )

    def _read_only(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise TypeError(
            "The request's Cache-Control is read-only: it is what the client sent. "
            "Set caching for your answer on response.cache_control."
        )

    __setitem__ = __delitem__ = _read_only
    pop = popitem = clear = update = setdefault = _read_only  # type: ignore[assignment]
    __ior__ = _read_only  # type: ignore[assignment]


class ResponseCacheControl(_CacheControl):
    """A response's ``Cache-Control``: how caches may keep the response.

    Setting a directive rewrites the response's header::

        response.cache_control.max_age = 3600
        response.cache_control.public = True   # Cache-Control: max-age=3600, public

    ``False`` or ``None`` removes a directive; ``True`` writes it without a
    value.
    """

    no_cache = _Directive(
        "no-cache",
        "value-or-true",
        "``no-cache``: ``True`` without a value, the listed field names, or ``None``.",
    )
    public = _Directive("public", "flag", "``public``: whether it is there.")
    private = _Directive(
        "private",
        "value-or-true",
        "``private``: ``True`` without a value, the listed field names, or ``None``.",
    )
    must_revalidate = _Directive(
        "must-revalidate", "flag", "``must-revalidate``: whether it is there."
    )
    proxy_revalidate = _Directive(
        "proxy-revalidate", "flag", "``proxy-revalidate``: whether it is there."
    )
    s_maxage = _Directive("s-maxage", "seconds", "``s-maxage`` in seconds, or ``None``.")
    immutable = _Directive("immutable", "flag", "``immutable`` (RFC 8246): whether it is there.")
    must_understand = _Directive(
        "must-understand", "flag", "``must-understand``: whether it is there."
    )
    stale_while_revalidate = _Directive(
        "stale-while-revalidate",
        "seconds",
        "``stale-while-revalidate`` (RFC 5861) in seconds, or ``None``.",
    )


C = t.TypeVar("C", bound=_CacheControl)


def parse_cache_control_header(
    value: str | None,
    on_update: Callable[[_CacheControl], None] | None = None,
    cls: type[C] | None = None,
) -> C:
    """Parse a ``Cache-Control`` header into ``cls`` (a request's by default).

    Directive names are lower-cased (RFC 9111 §5.2 compares them without
    case); malformed items are skipped.
    """
    kind: type[_CacheControl] = cls if cls is not None else RequestCacheControl
    if not value:
        return t.cast(C, kind(None, on_update))
    return t.cast(C, kind(parse_dict_header(value), on_update))
