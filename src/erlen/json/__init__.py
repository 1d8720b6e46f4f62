"""JSON, as :mod:`flask.json`: through the current app's provider when there is one.

Inside an app context, :func:`dumps`, :func:`dump`, :func:`loads`,
:func:`load` and :func:`jsonify` call the app's provider (``app.json``,
see :mod:`erlen.json.provider`), so an app that changes it changes them
all. Outside one, they use :mod:`json` with the default provider's
handling of dates, ``Decimal``, ``UUID``, dataclasses and ``__html__``.

``dumps_bytes`` is erlen's own: compact UTF-8 JSON with keys in insertion
order, app or not (what erlen's server-sent events and WebSockets send).
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

from . import _backend
from .provider import _response_value

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..ctx import AppContext
    from ..response import Response

__all__ = ["dumps", "dump", "loads", "load", "jsonify", "dumps_bytes", "JSONDecodeError"]

#: What :func:`loads` raises for malformed JSON (orjson's and json's errors are ones).
JSONDecodeError = ValueError

_context: ContextVar[AppContext] | None = None


def _current_app() -> Erlen | None:
    global _context
    if _context is None:
        # perf: looked up once; erlen.ctx is a layer above (tests/test_layout.py).
        from ..ctx import _cv

        _context = _cv
    context = _context.get(None)
    return None if context is None else context.app


def dumps(obj: t.Any, **kwargs: t.Any) -> str:
    """Return ``obj`` as JSON text: ``current_app.json.dumps``, else :func:`json.dumps`.

    Keyword arguments go to that function. Inside an app the default
    provider sorts keys and escapes non-ASCII text; outside, keys keep
    their order.
    """
    app = _current_app()
    if app is not None:
        return app.json.dumps(obj, **kwargs)
    import json

    kwargs.setdefault("default", _backend.default)
    return json.dumps(obj, **kwargs)


def dump(obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
    """Write ``obj`` as JSON to the text file ``fp``, as :func:`dumps` writes it."""
    app = _current_app()
    if app is not None:
        app.json.dump(obj, fp, **kwargs)
        return
    import json

    kwargs.setdefault("default", _backend.default)
    json.dump(obj, fp, **kwargs)


def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
    """Return the value JSON text or UTF-8 bytes hold: ``current_app.json.loads``.

    Malformed JSON raises :exc:`ValueError` (``JSONDecodeError``).
    """
    app = _current_app()
    if app is not None:
        return app.json.loads(s, **kwargs)
    if kwargs:
        import json

        return json.loads(s, **kwargs)
    return _backend.loads(s)


def load(fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
    """Return the value the JSON in the file ``fp`` holds (text or UTF-8 bytes)."""
    app = _current_app()
    if app is not None:
        return app.json.load(fp, **kwargs)
    return loads(fp.read(), **kwargs)


_encode_without_app: _backend.Encoder | None = None


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """Return a JSON response: ``current_app.json.response(*args, **kwargs)``.

    One value is sent as it is, several as a list, keywords as an object,
    nothing as ``null``::

        @app.get("/users/<int:uid>")
        def user(uid):
            if uid == 3:
                return jsonify(id=3, name="ann")  # {"id": 3, "name": "ann"}
            return jsonify(load_user(uid).to_dict())

    A view can also return the dict or list itself. Outside an app
    context (where Flask raises), the response is what the default
    provider writes out of debug mode.
    """
    app = _current_app()
    if app is not None:
        return app.json.response(*args, **kwargs)
    global _encode_without_app
    value = _response_value(args, kwargs)
    if _encode_without_app is None:
        _encode_without_app = _backend.response_encoder(True, True, indent=False, config={})
    # erlen.response is a layer above (tests/test_layout.py); loaded by now anyway.
    from ..response import Response

    return Response(_encode_without_app(value), content_type="application/json")


def dumps_bytes(value: t.Any) -> bytes:
    """Return ``value`` as compact UTF-8 JSON, keys in insertion order.

    erlen's own, not Flask's: it ignores the app's provider. Types JSON
    lacks are written as the default provider writes them.
    """
    return _backend.dumps_bytes(value)
