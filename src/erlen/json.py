"""JSON for request bodies and responses; uses orjson when it is installed.

``dumps`` returns ``str``; ``dumps_bytes`` returns UTF-8 ``bytes`` (what a
response body needs, without a round trip through ``str`` under orjson).
Beyond what JSON knows, both encode ``datetime``/``date`` (ISO 8601),
``UUID``, ``Decimal``, dataclasses and anything with an ``__html__`` method.
"""

from __future__ import annotations

import typing as t
from datetime import date

__all__ = ["dumps", "dumps_bytes", "loads", "JSONDecodeError"]

JSONDecodeError = ValueError


def _default(value: t.Any) -> t.Any:
    if isinstance(value, date):
        return value.isoformat()
    module = type(value).__module__
    if module in ("decimal", "uuid", "_pydecimal"):  # Decimal, UUID
        return str(value)
    if hasattr(type(value), "__dataclass_fields__") and not isinstance(value, type):
        import dataclasses

        return dataclasses.asdict(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(
        f"Object of type {type(value).__name__} is not JSON serializable. Convert it to "
        "a dict, list, str, int, float, bool or None first (for example with a "
        "to_dict() method), or return a Response you build yourself."
    )


def _stdlib_dumps(value: t.Any, **kwargs: t.Any) -> str:
    import json

    kwargs.setdefault("default", _default)
    kwargs.setdefault("ensure_ascii", False)
    kwargs.setdefault("separators", (",", ":"))
    return json.dumps(value, **kwargs)


_encode: t.Callable[[t.Any], str] | None = None


def _stdlib_dumps_bytes(value: t.Any) -> bytes:
    global _encode
    if _encode is None:
        import json

        # perf: json.dumps builds a new encoder per call when given options.
        _encode = json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), default=_default
        ).encode
    try:
        return _encode(value).encode()
    except UnicodeEncodeError:
        # A lone surrogate (JSON can escape one, UTF-8 cannot hold it): keep
        # it as a \uXXXX escape, which is valid JSON in plain ASCII.
        return _stdlib_dumps(value, ensure_ascii=True).encode()


def _stdlib_loads(data: str | bytes) -> t.Any:
    import json

    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8")  # UnicodeDecodeError is a ValueError
    return json.loads(data)


_ORJSON_MINIMUM = (3, 9, 15)


def _orjson_backend() -> tuple[t.Any, t.Any, t.Any] | None:
    try:
        import orjson
    except ImportError:
        return None
    # Before 3.9.15 orjson parsed documents nested without limit, a stack
    # overflow waiting for hostile input (CVE-2024-27454): do without it.
    version = tuple(int(part) for part in orjson.__version__.split(".")[:3] if part.isdigit())
    if version < _ORJSON_MINIMUM:
        return None
    options = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
    encode_error = orjson.JSONEncodeError
    orjson_dumps = orjson.dumps

    def dumps_bytes(value: t.Any) -> bytes:
        try:
            return orjson_dumps(value, default=_default, option=options)
        except encode_error:
            # Integers beyond 64 bits, or a type _default refused: the
            # standard library handles the first and words the error for the second.
            return _stdlib_dumps_bytes(value)

    def dumps(value: t.Any, **kwargs: t.Any) -> str:
        if kwargs:
            return _stdlib_dumps(value, **kwargs)
        return dumps_bytes(value).decode()

    return dumps, dumps_bytes, orjson.loads


def dumps(value: t.Any, **kwargs: t.Any) -> str:
    """Return ``value`` as a JSON string (keyword arguments go to ``json.dumps``)."""
    _load_backend()
    return dumps(value, **kwargs)


def dumps_bytes(value: t.Any) -> bytes:
    """Return ``value`` as UTF-8 encoded JSON."""
    _load_backend()
    return dumps_bytes(value)


def loads(data: str | bytes) -> t.Any:
    """Parse JSON text; raises ``ValueError`` on malformed input."""
    _load_backend()
    return loads(data)


def _load_backend() -> None:
    # perf: orjson (or the json module) is imported on first use, not with erlen.
    global dumps, dumps_bytes, loads
    backend = _orjson_backend()
    if backend is None:
        dumps, dumps_bytes, loads = _stdlib_dumps, _stdlib_dumps_bytes, _stdlib_loads
    else:
        dumps, dumps_bytes, loads = backend
