"""The ASGI ``websocket`` adapter: a handshake routed, checked and handed to its handler.

The handshake goes through the application's own checks and routing
(:meth:`Erlen._route`: trusted hosts, the route, cross-site handshakes),
then the ``before_websocket`` hooks, then the handler, which talks through
:class:`~erlen.websockets.WebSocket`. Errors go to the app's error handlers;
before the handshake is accepted they can still answer with an HTTP response.
"""

from __future__ import annotations

import asyncio
import typing as t
from types import CoroutineType

from ..ctx import RequestContext, _cv, _signals
from ..http.exceptions import HTTPException, InternalServerError
from ..websockets import (
    CLOSE_INTERNAL_ERROR,
    CLOSE_POLICY,
    WebSocket,
    WebSocketDisconnect,
    WebSocketError,
)
from .asgi import teardown_in_pool

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..request import Request
    from ..typing import Receive, Scope, Send

__all__ = ["serve_websocket"]


async def serve_websocket(app: Erlen, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve one ASGI ``websocket`` connection with ``app``."""
    loop = asyncio.get_running_loop()
    request = app.request_class.from_scope(scope, None, app.config)
    connection = WebSocket(
        scope, receive, send, request, app.config.get("MAX_WEBSOCKET_MESSAGE_SIZE")
    )
    context = RequestContext(app, request=request)
    context.loop = loop
    context.websocket = connection
    context.on_loop = True
    token = _cv.set(context)
    error: BaseException | None = None
    try:
        message = await receive()
        if message["type"] != "websocket.connect":
            return  # gone before the handshake
        try:
            if _signals:
                # Set without push(), as for HTTP: the context's teardown sends the pop.
                context.signalled = True
                signals = _signals[0]
                await signals._dispatch(signals.appcontext_pushed, app, True)
            await _dispatch(app, request, connection)
        except WebSocketDisconnect:
            pass
        except WebSocketError as refused:
            app.logger.info(
                "WebSocket %s closed with code %s: %s", request.path, refused.code, refused.reason
            )
            await connection.close(refused.code, refused.reason)
        except Exception as exc:  # noqa: BLE001 - answered below
            error = exc
            await _handle_error(app, request, connection, exc)
    finally:
        try:
            if context.needs_teardown():
                await teardown_in_pool(app, context, error)
        finally:
            _cv.reset(token)


async def _dispatch(app: Erlen, request: Request, connection: WebSocket) -> None:
    # The app's own checks and routing, as for an HTTP request: the host,
    # the route (404 / 405 / a canonical-slash redirect) and cross-site handshakes.
    rule, args = app._route(request, websocket=True)
    handler = app.view_functions[rule.endpoint]  # type: ignore[index]
    if app.before_websocket_funcs or app.url_value_preprocessors:
        value = await app._preprocess(request, True, app.before_websocket_funcs)
        if value is not None:
            await connection._deny(app.make_response(value))
            return
    result = handler(**args)
    if result.__class__ is CoroutineType:
        await result
    await connection.close()


async def _handle_error(
    app: Erlen, request: Request, connection: WebSocket, error: Exception
) -> None:
    handler = app._find_error_handler(error, request)
    if handler is not None:
        try:
            value = handler(error)
            if value.__class__ is CoroutineType:
                value = await value
        except Exception as handler_error:  # noqa: BLE001 - falls through to the default
            error = handler_error
        else:
            if connection.state == "connecting" and value is not None:
                await connection._deny(app.make_response(value))
            else:
                await connection.close(CLOSE_INTERNAL_ERROR)
            return
    if isinstance(error, HTTPException):
        if connection.state == "connecting":
            await connection._deny(error.get_response(request))
        else:
            await connection.close(CLOSE_POLICY, error.description)
        return
    app.logger.error("Exception on WebSocket %s", request.path, exc_info=error)
    if connection.state == "connecting":
        await connection._deny(InternalServerError().get_response(request))
    else:
        await connection.close(CLOSE_INTERNAL_ERROR)
    if app._propagates():
        raise error
