"""The RSGI adapter (granian's native interface): the same cycle as ASGI.

``granian --interface rsgi app:app`` calls ``app.__rsgi__(scope, protocol)``
for each request and WebSocket. The scope is read as the ASGI scope it
stands for, and the request runs through the ASGI adapter's own driver
(:func:`erlen.serving.asgi.serve`): the same routing, limits, thread per
request, streaming and teardown. Only the two ends differ. The body comes
from the protocol (``async for chunk in protocol``); the response goes out
in one call (``protocol.response_bytes``), with no ASGI messages, or,
streamed, through the transport ``protocol.response_stream`` returns. WebSockets and ASGI middleware on ``app.asgi_app`` get ASGI's
``receive`` and ``send`` made of the protocol, so they run unchanged.

``__rsgi_init__`` and ``__rsgi_del__`` run the ``before_serving`` and
``after_serving`` functions, as the ASGI lifespan does.

What granian's protocol cannot carry, erlen cannot send: a close code on
an accepted WebSocket, a chosen subprotocol, or a streamed body cut short
on error (granian ends it cleanly). ``docs/asgi.md`` lists these.
"""

from __future__ import annotations

import typing as t
from urllib.parse import quote

from ..http.scope import BodyHeaders, announces_body
from .asgi import ClientDisconnected, request_lane, run_serving_hooks, stream_response
from .asgi import serve as asgi_serve

if t.TYPE_CHECKING:
    import asyncio

    from ..app import Erlen
    from ..ctx import RequestContext
    from ..response import Response
    from ..typing import Message, Receive, Scope

__all__ = ["serve", "start", "stop", "asgi_scope"]

# RSGI names HTTP/1.0 "1"; ASGI "1.0".
_HTTP_VERSIONS = {"1": "1.0", "1.1": "1.1", "2": "2", "3": "3"}
_ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}


class _Scope(dict):  # type: ignore[type-arg]
    """The ASGI scope an RSGI scope stands for, its costlier keys made when first read.

    The method and the path are set at once; the headers, the query string,
    the addresses and the scheme come from the RSGI scope the first time
    something asks for them (most requests never build their environ), so a
    request pays for none of it unless it reads it.
    """

    __slots__ = ("rsgi", "rsgi_headers")
    rsgi: t.Any
    rsgi_headers: t.Any

    def __missing__(self, key: str) -> t.Any:
        rsgi = self.rsgi
        if key == "headers":
            value: t.Any = [
                (name.encode("latin-1"), item.encode("latin-1"))
                for name, item in self.rsgi_headers.items()
            ]
        elif key == "query_string":
            value = rsgi.query_string.encode()
        elif key == "client":
            value = _address(rsgi.client)
        elif key == "server":
            value = _address(rsgi.server)
        elif key == "scheme":
            value = rsgi.scheme
        elif key == "asgi":
            value = _ASGI_VERSION
        else:
            raise KeyError(key)
        self[key] = value
        return value

    def get(self, key: str, default: t.Any = None) -> t.Any:
        try:
            return self[key]
        except KeyError:
            return default


_LAZY_KEYS = ("headers", "query_string", "client", "server", "scheme", "asgi")


def _scope(scope: t.Any, kind: str = "http") -> _Scope:
    path: str = scope.path
    found = _Scope(
        type=kind,
        http_version=_HTTP_VERSIONS.get(scope.http_version, "1.1"),
        method=scope.method,
        path=path,
        root_path="",
    )
    found.rsgi = scope
    found.rsgi_headers = scope.headers  # perf: granian copies its headers on each read
    if "\ufffd" in path:
        # granian gives the path decoded, with U+FFFD for bytes that were not
        # UTF-8, and no raw path: take such a path for one that was not UTF-8
        # (a 400), as the same request gets under ASGI servers.
        found["raw_path"] = quote(path, safe="/").replace("%EF%BF%BD", "%FF").encode("ascii")
    return found


def asgi_scope(scope: t.Any, kind: str = "http") -> Scope:
    """Return the ASGI ``http`` or ``websocket`` scope an RSGI scope stands for, whole."""
    lazy = _scope(scope, kind)
    for key in _LAZY_KEYS:
        lazy[key]  # noqa: B018 - made now
    found = dict(lazy)
    if kind == "websocket":
        found["scheme"] = "wss" if found["scheme"] == "https" else "ws"
        found["subprotocols"] = [
            offered.strip()
            for value in lazy.rsgi_headers.get_all("sec-websocket-protocol")
            for offered in value.split(",")
            if offered.strip()
        ]
        found["extensions"] = {"websocket.http.response": {}}
    return found


def _framing(scope: _Scope) -> BodyHeaders | None:
    """What ``body_headers()`` finds, asked of granian's headers."""
    headers = scope.rsgi_headers
    length = headers.get("content-length")
    if not announces_body(
        None if length is None else length.encode("latin-1"),
        "transfer-encoding" in headers,
        scope["http_version"],
    ):
        return None
    content_type = headers.get("content-type")
    return (
        None if length is None else length.encode("latin-1"),
        None if content_type is None else content_type.encode("latin-1"),
        len(headers.get_all("content-length")) > 1 or len(headers.get_all("content-type")) > 1,
        "origin" in headers or "sec-fetch-site" in headers,
    )


def _address(text: str) -> tuple[str, int | None] | None:
    """``("127.0.0.1", 8000)`` from RSGI's ``"127.0.0.1:8000"`` (``"[::1]:8000"`` for IPv6)."""
    if not text:
        return None
    host, colon, port = text.rpartition(":")
    if not colon or not port.isdigit():
        return (text, None)  # a Unix socket's path
    return (host.removeprefix("[").removesuffix("]"), int(port))


# -- HTTP ----------------------------------------------------------------


async def serve(app: Erlen, scope: t.Any, protocol: t.Any) -> None:
    """Serve one RSGI connection (``http`` or ``ws``) with ``app``: ``app.__rsgi__``."""
    if scope.proto != "http":
        if scope.proto != "ws":
            raise ValueError(
                f"erlen cannot serve the RSGI protocol {scope.proto!r}; it serves 'http' and 'ws'."
            )
        connection = _WebSocket(protocol)
        await app.asgi_app(asgi_scope(scope, "websocket"), connection.receive, connection.send)
        return
    receive = _Receiver(protocol)
    send = _Sender(protocol)
    if "asgi_app" in app.__dict__:
        # ASGI middleware wraps the app (app.asgi_app = ProxyFix(app.asgi_app)):
        # requests go through it, as under an ASGI server, with the whole scope.
        await app.asgi_app(asgi_scope(scope), receive, send)
    else:
        found = _scope(scope)
        await asgi_serve(app, found, receive, send, _respond, _framing)
    if receive.cut and not send.answered:
        # The body broke off. Under ASGI that means the client left and nobody
        # is answered; granian asks for an answer, and with a broken chunked
        # body the client may still be there to read it.
        response = ClientDisconnected().get_response()
        send.whole(response.status_code, response.headers._list, list(response.iter_encoded()))


async def _respond(
    app: Erlen,
    context: RequestContext,
    response: Response,
    chunks: list[bytes] | None,
    receive: Receive,
    send: t.Any,
) -> None:
    """Write ``response`` through the protocol: in one call, or streamed as it is produced."""
    # Even for a body the client cut short: granian needs an answer, and the
    # client may still be there (a broken chunked body).
    if chunks is not None:
        send.whole(response.status_code, response.headers._list, chunks)
    else:
        send.open_stream(response.status_code, response.headers._list)
        try:
            await stream_response(app, context, response, receive, send, request_lane(context))
        finally:
            # Ends the body now, also after an error that left the last message
            # unsent: RSGI has no way to cut a body short.
            send.end_stream()


class _Receiver:
    """ASGI's ``receive`` over an RSGI HTTP protocol: the body's chunks, then the disconnect."""

    __slots__ = ("_protocol", "_chunks", "_ended", "cut")

    def __init__(self, protocol: t.Any) -> None:
        self._protocol = protocol
        self._chunks: t.Any = None
        self._ended = False
        #: Whether the body broke off before its end.
        self.cut = False

    async def __call__(self) -> Message:
        if self._ended:
            # The body is in: what comes next is the client leaving.
            await self._protocol.client_disconnect()
            return {"type": "http.disconnect"}
        chunks = self._chunks
        if chunks is None:
            chunks = self._chunks = self._protocol.__aiter__()
        try:
            chunk = await chunks.__anext__()
        except (StopAsyncIteration, RuntimeError):  # RuntimeError: granian's ProtocolClosed
            chunk = b""
        if chunk:
            return {"type": "http.request", "body": chunk, "more_body": True}
        self._ended = True
        # granian ends a body with one empty chunk. A body that broke off (the
        # client left, or sent a broken chunked body) gives a second one first;
        # so does one with trailers, which erlen cannot tell apart from it.
        try:
            await chunks.__anext__()
        except StopAsyncIteration:
            return {"type": "http.request", "body": b"", "more_body": False}
        except RuntimeError:
            pass
        self.cut = True
        return {"type": "http.disconnect"}


class _Sender:
    """ASGI's ``send`` over an RSGI HTTP protocol: a whole response, or a stream."""

    __slots__ = ("_protocol", "_start", "_transport", "answered")

    #: RSGI has no way to cut a body short: a stream that fails ends cleanly.
    cuts_bodies = False

    def __init__(self, protocol: t.Any) -> None:
        self._protocol = protocol
        self._start: Message | None = None
        self._transport: t.Any = None
        #: Whether a response has been handed to the server.
        self.answered = False

    def whole(self, status: int, headers: list[tuple[str, str]], chunks: list[bytes]) -> None:
        """Send a response held in memory (``headers`` as pairs of ``str``)."""
        self.answered = True
        if not chunks:
            self._protocol.response_empty(status, headers)
        else:
            body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            self._protocol.response_bytes(status, headers, body)

    def open_stream(self, status: int, headers: list[tuple[str, str]]) -> None:
        """Start a streamed response; its chunks come as ASGI body messages."""
        self.answered = True
        self._transport = self._protocol.response_stream(status, headers)

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self._start = message
            return
        if kind != "http.response.body":
            raise ValueError(
                f"erlen's RSGI adapter cannot send the ASGI message {kind!r}; it sends "
                "'http.response.start' and 'http.response.body'."
            )
        body = message.get("body", b"")
        more = message.get("more_body", False)
        transport = self._transport
        if transport is None:
            start = self._start
            if start is None:
                raise RuntimeError(
                    "An ASGI app sent 'http.response.body' before 'http.response.start'."
                )
            headers = [
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in start.get("headers", ())
            ]
            if not more:
                self.whole(start["status"], headers, [body])
                return
            self.open_stream(start["status"], headers)
            transport = self._transport
        if body:
            try:
                await transport.send_bytes(body)
            except RuntimeError:  # granian's ProtocolClosed: the client has gone
                raise OSError("The client has closed the connection.") from None
        if not more:
            self.end_stream()

    def end_stream(self) -> None:
        """End a streamed body: granian ends it once the transport is dropped."""
        self._transport = None


# -- WebSockets ----------------------------------------------------------


class _WebSocket:
    """ASGI's ``receive`` and ``send`` over an RSGI WebSocket protocol."""

    def __init__(self, protocol: t.Any) -> None:
        self._protocol = protocol
        self._transport: t.Any = None
        self._connected = False
        self._refusal = 403

    async def receive(self) -> Message:
        if not self._connected:
            self._connected = True
            return {"type": "websocket.connect"}
        if self._transport is None:
            raise RuntimeError("A WebSocket message was awaited before the handshake was accepted.")
        try:
            message = await self._transport.receive()
        except RuntimeError:  # granian's ProtocolClosed: the connection was lost
            return {"type": "websocket.disconnect", "code": 1006}
        if message.kind == 2:
            return {"type": "websocket.receive", "text": message.data}
        if message.kind == 1:
            return {"type": "websocket.receive", "bytes": message.data}
        # RSGI does not pass the close code on: 1005, "no status received".
        return {"type": "websocket.disconnect", "code": 1005}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            if message.get("subprotocol") or message.get("headers"):
                raise RuntimeError(
                    "granian's RSGI interface cannot send a subprotocol or headers with the "
                    "WebSocket handshake. Call websocket.accept() without them, or serve "
                    "the app with 'granian --interface asgi'."
                )
            self._transport = await self._protocol.accept()
        elif kind == "websocket.send":
            text = message.get("text")
            try:
                if text is not None:
                    await self._transport.send_str(text)
                else:
                    await self._transport.send_bytes(message.get("bytes") or b"")
            except RuntimeError:  # granian's ProtocolClosed: the client has gone
                raise OSError("The client has closed the connection.") from None
        elif kind == "websocket.close":
            # Before the handshake: the server refuses it with this HTTP status.
            # After: granian closes without a code (RSGI has no way to send one).
            self._protocol.close(self._refusal if self._transport is None else None)
        elif kind == "websocket.http.response.start":
            self._refusal = message["status"]  # RSGI refuses with a status alone
        elif kind == "websocket.http.response.body":
            if not message.get("more_body", False):
                self._protocol.close(self._refusal)
        else:
            raise ValueError(f"erlen's RSGI adapter cannot send the ASGI message {kind!r}.")


# -- serving hooks ------------------------------------------------------------


def start(app: Erlen, loop: asyncio.AbstractEventLoop) -> None:
    """Run the ``before_serving`` functions as granian starts a worker: ``app.__rsgi_init__``.

    If one raises, the error is logged and the worker exits, so granian
    stops instead of serving an app that could not start.
    """
    try:
        loop.run_until_complete(run_serving_hooks(app, app.before_serving_funcs))
    except Exception as error:  # noqa: BLE001 - logged, then the worker stops
        app.logger.error(
            "The app could not start: a before_serving function raised an error.", exc_info=error
        )
        raise SystemExit(1) from None


def stop(app: Erlen, loop: asyncio.AbstractEventLoop) -> None:
    """Run the ``after_serving`` functions as a granian worker stops: ``app.__rsgi_del__``."""
    try:
        loop.run_until_complete(run_serving_hooks(app, app.after_serving_funcs))
    except Exception as error:  # noqa: BLE001 - logged; the worker is stopping anyway
        app.logger.error("An after_serving function raised an error.", exc_info=error)
