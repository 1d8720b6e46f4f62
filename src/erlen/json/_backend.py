"""The encoders behind :mod:`erlen.json`: orjson when installed, else :mod:`json`.

Nothing here knows an app. ``dumps_bytes`` (compact UTF-8, keys in
insertion order) serves erlen's own helpers; ``response_encoder`` builds
the function that writes the body of the default provider's JSON
responses; ``loads`` parses. ``default`` is what the default provider
does with the types JSON lacks.
"""

from __future__ import annotations

import sys
import typing as t
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone

from ..http.dates import http_date

Encoder = Callable[[t.Any], bytes]


def default(o: t.Any) -> t.Any:
    """Return a JSON-able stand-in for ``o``, or raise :exc:`TypeError`.

    Dates and datetimes become HTTP dates (a naive datetime is taken as
    UTC), ``Decimal`` and ``UUID`` strings, dataclasses dicts, anything
    with ``__html__`` its markup, and sets lists.
    """
    if isinstance(o, date):
        if not isinstance(o, datetime):
            o = datetime(o.year, o.month, o.day, tzinfo=timezone.utc)
        return http_date(o)
    # perf: Decimal and UUID are looked up only if their modules are loaded
    # (an object cannot be one otherwise), so erlen never imports them.
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(o, decimal.Decimal):
        return str(o)
    uuid = sys.modules.get("uuid")
    if uuid is not None and isinstance(o, uuid.UUID):
        return str(o)
    if hasattr(type(o), "__dataclass_fields__") and not isinstance(o, type):
        import dataclasses

        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    if isinstance(o, (set, frozenset)):
        return list(o)
    raise TypeError(
        f"Object of type {type(o).__name__} is not JSON serializable. Convert it to "
        "a dict, list, str, int, float, bool or None first (for example with a "
        "to_dict() method), or teach the app's JSON provider the type: subclass "
        "erlen.json.provider.DefaultJSONProvider, override its default() and set "
        "Erlen.json_provider_class (see docs/json.md)."
    )


# -- the standard library ------------------------------------------------------


def _stdlib_dumps(value: t.Any, **kwargs: t.Any) -> str:
    import json

    kwargs.setdefault("default", default)
    kwargs.setdefault("ensure_ascii", False)
    kwargs.setdefault("separators", (",", ":"))
    return json.dumps(value, **kwargs)


def _utf8(text: str, value: t.Any, ascii_again: Callable[[t.Any], str]) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError:
        # A lone surrogate (JSON can escape one, UTF-8 cannot hold it): keep
        # it as a \uXXXX escape, which is valid JSON in plain ASCII.
        return ascii_again(value).encode()


_encode: Callable[[t.Any], str] | None = None


def _stdlib_dumps_bytes(value: t.Any) -> bytes:
    global _encode
    if _encode is None:
        import json

        # perf: json.dumps builds a new encoder per call when given options.
        _encode = json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), default=default
        ).encode
    return _utf8(_encode(value), value, lambda value: _stdlib_dumps(value, ensure_ascii=True))


def _stdlib_loads(data: str | bytes) -> t.Any:
    import json

    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8")  # UnicodeDecodeError is a ValueError
    return json.loads(data)


def _stdlib_response_encoder(sort_keys: bool, ensure_ascii: bool, indent: bool) -> Encoder:
    """Return a function writing what the default provider's ``response()`` sends."""
    import json

    options: dict[str, t.Any] = {
        "ensure_ascii": ensure_ascii,
        "sort_keys": sort_keys,
        "default": default,
    }
    if indent:
        options["indent"] = 2
    else:
        options["separators"] = (",", ":")
    # perf: one encoder, made once, instead of one per json.dumps call.
    encode = json.JSONEncoder(**options).encode
    if ensure_ascii:
        return lambda value: f"{encode(value)}\n".encode()
    ascii_encode = json.JSONEncoder(**{**options, "ensure_ascii": True}).encode
    return lambda value: _utf8(
        f"{encode(value)}\n", value, lambda value: f"{ascii_encode(value)}\n"
    )


# -- orjson ----------------------------------------------------------------------

_ORJSON_MINIMUM = (3, 9, 15)


def _orjson() -> t.Any:
    """Return the orjson module if a safe version is installed, else ``None``."""
    try:
        import orjson
    except ImportError:
        return None
    # Before 3.9.15 orjson parsed documents nested without limit, a stack
    # overflow waiting for hostile input (CVE-2024-27454): do without it.
    version = tuple(int(part) for part in orjson.__version__.split(".")[:3] if part.isdigit())
    if version < _ORJSON_MINIMUM:
        return None
    return orjson


def _orjson_dumps_bytes(orjson: t.Any) -> Encoder:
    options = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
    encode_error = orjson.JSONEncodeError
    orjson_dumps = orjson.dumps

    def dumps_bytes(value: t.Any) -> bytes:
        try:
            return orjson_dumps(value, default=default, option=options)  # type: ignore[no-any-return]
        except encode_error:
            # Integers beyond 64 bits, or a type default() refused: the
            # standard library handles the first and words the error for the second.
            return _stdlib_dumps_bytes(value)

    return dumps_bytes


def _orjson_response_encoder(
    orjson: t.Any, sort_keys: bool, ensure_ascii: bool, debug_config: Mapping[str, t.Any] | None
) -> Encoder:
    # Dates go to default() (HTTP dates); non-str keys, integers beyond 64
    # bits and types default() refuses make orjson raise, and the standard
    # library writes them (or words the error) as Flask would. Output that is
    # not ASCII is written again with \uXXXX escapes when ensure_ascii asks.
    options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_APPEND_NEWLINE
    if sort_keys:
        # orjson writes a dataclass's fields in their own order, even then:
        # default() turns it into a dict first, as dataclasses.asdict.
        options |= orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
    encode_error = orjson.JSONEncodeError
    orjson_dumps = orjson.dumps
    fallback = _stdlib_response_encoder(sort_keys, ensure_ascii, indent=False)
    indented = _stdlib_response_encoder(sort_keys, ensure_ascii, indent=True)

    if debug_config is not None and ensure_ascii:
        # perf: the default provider's settings get a function of their own,
        # with no test of a setting that cannot change.
        def encode_default(value: t.Any) -> bytes:
            if debug_config["DEBUG"]:
                return indented(value)
            try:
                body: bytes = orjson_dumps(value, default=default, option=options)
            except encode_error:
                return fallback(value)
            return body if body.isascii() else fallback(value)

        return encode_default

    def encode(value: t.Any) -> bytes:
        if debug_config is not None and debug_config["DEBUG"]:
            return indented(value)
        try:
            body: bytes = orjson_dumps(value, default=default, option=options)
        except encode_error:
            return fallback(value)
        if ensure_ascii and not body.isascii():
            return fallback(value)
        return body

    return encode


# -- the chosen backend ------------------------------------------------------------


def response_encoder(
    sort_keys: bool, ensure_ascii: bool, indent: bool | None, config: Mapping[str, t.Any]
) -> Encoder:
    """Return a function that writes the body of a JSON response.

    The body is compact JSON and a newline; indented (two spaces) instead
    when ``indent`` is true, or when it is ``None`` and ``config["DEBUG"]``
    is true at the time of the call.
    """
    orjson = _orjson()
    if indent:
        return _stdlib_response_encoder(sort_keys, ensure_ascii, indent=True)
    debug_config = config if indent is None else None
    if orjson is not None:
        return _orjson_response_encoder(orjson, sort_keys, ensure_ascii, debug_config)
    compact = _stdlib_response_encoder(sort_keys, ensure_ascii, indent=False)
    if debug_config is None:
        return compact
    indented = _stdlib_response_encoder(sort_keys, ensure_ascii, indent=True)
    return lambda value: indented(value) if debug_config["DEBUG"] else compact(value)


def dumps_bytes(value: t.Any) -> bytes:
    """Return ``value`` as compact UTF-8 JSON, keys in insertion order."""
    _load_backend()
    return dumps_bytes(value)


def loads(data: str | bytes) -> t.Any:
    """Parse JSON text or UTF-8 bytes; raises ``ValueError`` on malformed input."""
    _load_backend()
    return loads(data)


def _orjson_loads(orjson: t.Any) -> t.Callable[[str | bytes], t.Any]:
    """orjson's parser, except where it would lose an integer's digits.

    orjson reads an integer beyond 64 bits as a float, silently rounding
    it; the standard library keeps every digit. Such an integer has at
    least 19 digits in a row, so a body with such a run (rare, and maybe
    only inside a string) is parsed by the standard library instead.
    """
    import re

    parse = orjson.loads
    long_bytes = re.compile(rb"[0-9]{19}").search
    long_text = re.compile(r"[0-9]{19}").search

    def loads(data: str | bytes) -> t.Any:
        value = parse(data)
        if len(data) >= 19:
            search = long_text if isinstance(data, str) else long_bytes
            if search(data) is not None:  # type: ignore[arg-type]
                return _stdlib_loads(data)
        return value

    return loads


def _load_backend() -> None:
    # perf: orjson (or the json module) is imported on first use, not with erlen.
    global dumps_bytes, loads
    orjson = _orjson()
    if orjson is None:
        dumps_bytes, loads = _stdlib_dumps_bytes, _stdlib_loads
    else:
        dumps_bytes = _orjson_dumps_bytes(orjson)  # type: ignore[assignment]  # the stub goes
        loads = _orjson_loads(orjson)  # type: ignore[assignment]  # the stub goes
