"""The context-bound names, at Flask's module path (``flask.globals``).

``current_app``, ``g``, ``request`` and ``session`` are the proxies
:mod:`erlen` exports. ``app_ctx`` and ``request_ctx`` stand for the current
:class:`~erlen.ctx.AppContext` and :class:`~erlen.ctx.RequestContext`
themselves (``request_ctx.request``, ``app_ctx.g``); outside one, using
them raises a :class:`RuntimeError` that says what to do.
"""

from __future__ import annotations

import typing as t

from .ctx import (
    _current_app_context,
    _current_request_context,
    _Proxy,
    current_app,
    g,
    request,
    session,
    websocket,
)

if t.TYPE_CHECKING:
    from .ctx import AppContext, RequestContext

__all__ = [
    "app_ctx",
    "request_ctx",
    "current_app",
    "g",
    "request",
    "session",
    "websocket",
]

app_ctx: AppContext = t.cast("AppContext", _Proxy(_current_app_context, "app_ctx"))
request_ctx: RequestContext = t.cast(
    "RequestContext", _Proxy(_current_request_context, "request_ctx")
)
