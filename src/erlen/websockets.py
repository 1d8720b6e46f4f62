"""WebSockets over ASGI: the :class:`WebSocket` behind the ``websocket`` proxy.

::

    @app.websocket("/ws/<room>")
    async def chat(room):
        await websocket.accept()
        async for message in websocket:
            await websocket.send(f"{room}: {message}")

A message the handler cannot take (binary where it asked for text, JSON
that does not parse, a message over ``MAX_WEBSOCKET_MESSAGE_SIZE``) closes
the connection with the matching code from RFC 6455 §7.4.1; other
connections are not affected.

A handshake a browser sends from another site's page is refused with 403
before any ``before_websocket`` hook, by the rule that guards unsafe
requests (see :mod:`erlen.csrf`).
"""

from __future__ import annotations

import typing as t

from . import json as _json
from .http.scope import encode_headers

if t.TYPE_CHECKING:
    from .http.datastructures import MultiDict
    from .http.headers import Headers
    from .request import Request
    from .response import Response
    from .typing import Receive, Scope, Send

__all__ = ["WebSocket", "WebSocketDisconnect", "WebSocketError"]

# RFC 6455 §7.4.1
CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008
CLOSE_UNSUPPORTED = 1003
CLOSE_INVALID_DATA = 1007
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011


class WebSocketDisconnect(Exception):
    """The client closed the connection (or it was lost); ``code`` says how."""

    def __init__(self, code: int = 1005, reason: str = "") -> None:
        super().__init__(
            f"The WebSocket was closed with code {code}" + (f": {reason}" if reason else ".")
        )
        self.code = code
        self.reason = reason


class WebSocketError(Exception):
    """A message the handler could not take; the connection closes with ``code``.

    Raised by the ``receive_*`` methods. Unless the handler catches it,
    erlen closes the connection with ``code`` and ``reason``.
    """

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{reason} (closing with code {code})")
        self.code = code
        self.reason = reason


class WebSocket:
    """One WebSocket connection: accept it, receive and send messages, close it."""

    def __init__(
        self, scope: Scope, receive: Receive, send: Send, request: Request, max_size: int | None
    ) -> None:
        self.scope = scope
        self.request = request
        self._receive = receive
        self._send = send
        self._max_size = max_size
        #: "connecting", then "open", then "closed".
        self.state = "connecting"
        #: The close code, once the connection is closed.
        self.close_code: int | None = None

    # -- what the client asked for ---------------------------------------

    @property
    def path(self) -> str:
        return self.request.path

    @property
    def args(self) -> MultiDict[str]:
        return self.request.args

    @property
    def headers(self) -> Headers:
        return self.request.headers

    @property
    def cookies(self) -> MultiDict[str]:
        return self.request.cookies

    @property
    def url(self) -> str:
        return self.request.url

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offered, in its order of preference."""
        return list(self.scope.get("subprotocols") or ())

    # -- the connection --------------------------------------------------

    async def accept(
        self, subprotocol: str | None = None, headers: t.Iterable[tuple[str, str]] | None = None
    ) -> None:
        """Accept the connection, choosing ``subprotocol`` from :attr:`subprotocols`."""
        if self.state != "connecting":
            raise RuntimeError(
                f"websocket.accept() was called on a connection that is already {self.state}."
            )
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise ValueError(
                f"The subprotocol {subprotocol!r} was not offered by the client, which "
                f"offered {self.subprotocols or 'none'}. Pick one of websocket.subprotocols."
            )
        message: dict[str, t.Any] = {"type": "websocket.accept", "subprotocol": subprotocol}
        if headers:
            message["headers"] = [
                (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers
            ]
        await self._send(message)
        self.state = "open"

    async def receive(self) -> str | bytes:
        """Wait for the next message: ``str`` for a text message, ``bytes`` for binary.

        Raises :class:`WebSocketDisconnect` when the client has gone.
        """
        if self.state == "connecting":
            await self.accept()
        elif self.state == "closed":
            raise WebSocketDisconnect(self.close_code or 1006, "the connection is closed")
        message = await self._receive()
        if message["type"] == "websocket.disconnect":
            self.state = "closed"
            self.close_code = message.get("code", 1005)
            raise WebSocketDisconnect(self.close_code, message.get("reason") or "")
        text = message.get("text")
        value: str | bytes = text if text is not None else message.get("bytes") or b""
        limit = self._max_size
        if limit is not None and len(value) * (4 if text is not None else 1) > limit:
            size = len(value.encode()) if isinstance(value, str) else len(value)
            if size > limit:
                raise WebSocketError(
                    CLOSE_TOO_BIG,
                    f"message of {size} bytes is over the limit of {limit} "
                    "(MAX_WEBSOCKET_MESSAGE_SIZE)",
                )
        return value

    async def receive_text(self) -> str:
        """Wait for a text message; a binary one closes the connection with 1003."""
        value = await self.receive()
        if not isinstance(value, str):
            raise WebSocketError(CLOSE_UNSUPPORTED, "expected a text message, got a binary one")
        return value

    async def receive_bytes(self) -> bytes:
        """Wait for a binary message; a text one closes the connection with 1003."""
        value = await self.receive()
        if not isinstance(value, bytes):
            raise WebSocketError(CLOSE_UNSUPPORTED, "expected a binary message, got a text one")
        return value

    async def receive_json(self) -> t.Any:
        """Wait for a message holding JSON; anything else closes the connection with 1007."""
        value = await self.receive()
        try:
            return _json.loads(value)
        except (ValueError, RecursionError):
            raise WebSocketError(CLOSE_INVALID_DATA, "the message is not valid JSON") from None

    async def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message."""
        if self.state == "connecting":
            await self.accept()
        elif self.state == "closed":
            raise WebSocketDisconnect(self.close_code or 1006, "the connection is closed")
        if isinstance(data, str):
            message: dict[str, t.Any] = {"type": "websocket.send", "text": data}
        elif isinstance(data, (bytes, bytearray, memoryview)):
            message = {"type": "websocket.send", "bytes": bytes(data)}
        else:
            raise TypeError(
                f"websocket.send() takes str or bytes, not {type(data).__name__}. "
                "Use websocket.send_json() for other values."
            )
        try:
            await self._send(message)
        except OSError:  # ASGI 2.4: the client has gone
            self.state = "closed"
            raise WebSocketDisconnect(1006, "the client has gone") from None

    async def send_text(self, data: str) -> None:
        await self.send(str(data))

    async def send_bytes(self, data: bytes) -> None:
        await self.send(bytes(data))

    async def send_json(self, value: t.Any) -> None:
        """Send ``value`` as JSON in a text message."""
        await self.send(_json.dumps_bytes(value).decode())

    async def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Close the connection (before :meth:`accept`, this refuses the handshake)."""
        if self.state == "closed":
            return
        self.state = "closed"
        self.close_code = code
        # RFC 6455 §5.5: a close frame's reason is at most 123 bytes of UTF-8.
        encoded = reason.encode()
        if len(encoded) > 123:
            reason = encoded[:123].decode("utf-8", "ignore")
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except OSError:
            pass  # already gone

    def __aiter__(self) -> t.AsyncIterator[str | bytes]:
        return self._messages()

    async def _messages(self) -> t.AsyncIterator[str | bytes]:
        try:
            while True:
                yield await self.receive()
        except WebSocketDisconnect:
            return

    async def _deny(self, response: Response) -> None:
        """Refuse the handshake with an HTTP response, if the server can send one."""
        self.state = "closed"
        self.close_code = CLOSE_POLICY
        if "websocket.http.response" not in (self.scope.get("extensions") or {}):
            # The server answers the handshake with 403.
            await self._send({"type": "websocket.close", "code": CLOSE_POLICY})
            return
        body = b"".join(response.iter_encoded())
        response.close()
        await self._send(
            {
                "type": "websocket.http.response.start",
                "status": response.status_code,
                "headers": encode_headers(response.headers),
            }
        )
        await self._send({"type": "websocket.http.response.body", "body": body})

    def __repr__(self) -> str:
        return f"<WebSocket {self.path!r} {self.state}>"
