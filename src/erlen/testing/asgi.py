"""The test client's websockets: a session with the app over ASGI.

The app runs in a background thread with its own event loop, and every
message it sends is checked against the ASGI spec. HTTP requests over ASGI
are in :mod:`erlen.testing.exchange`; :mod:`erlen.testing` is the public face.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
import time
import typing as t
from collections.abc import Callable, Mapping

from .. import json as _json
from ..http.headers import Headers
from ..typing import Message
from ..websockets import WebSocketDisconnect
from .exchange import _checked_headers
from .loop import _close_loop

__all__ = ["WebSocketDenied", "WebSocketSession"]

# RFC 6455 §7.4.1: codes an endpoint may send (1004-1006 are reserved).
_SENDABLE_CLOSE_CODES = frozenset(range(1000, 1015)) - {1004, 1005, 1006}


class WebSocketDenied(Exception):
    """The app refused a test client's websocket handshake.

    ``status`` is the HTTP status a browser would see (403 when the app just
    closed); ``close_code`` is the code the app closed with, if it did.
    """

    def __init__(
        self,
        status: int,
        headers: Headers | None = None,
        body: bytes = b"",
        close_code: int | None = None,
        reason: str = "",
    ) -> None:
        self.status = status
        self.headers = headers if headers is not None else Headers()
        self.body = body
        self.close_code = close_code
        self.reason = reason
        if close_code is not None:
            how = f"closed before accepting, with code {close_code}"
        else:
            how = f"answered HTTP {status}"
        detail = f": {reason or body[:200]!r}" if reason or body else ""
        super().__init__(f"The app refused the websocket handshake: it {how}{detail}.")


class _ClientGone(OSError):
    """Raised into an app that sends on a websocket the client has closed (ASGI 2.4)."""


class WebSocketSession:
    """A test's end of a websocket: ``with client.websocket("/ws") as ws:``.

    The app runs in a background thread with its own event loop. Every wait
    is bounded by ``timeout`` seconds. ``receive*()`` raise
    :class:`~erlen.websockets.WebSocketDisconnect` once the app has closed;
    ``close_code`` then holds its code. Leaving the ``with`` block closes the
    connection and waits for the app to return, re-raising its error.
    """

    __test__ = False

    def __init__(
        self,
        application: Callable[..., t.Any],
        scope: Message,
        timeout: float,
        on_headers: Callable[[Headers], None] | None = None,
    ) -> None:
        self.scope = scope
        self.timeout = timeout
        #: The subprotocol the app accepted, or ``None``.
        self.subprotocol: str | None = None
        #: The extra headers the app sent with its accept.
        self.headers = Headers()
        #: The code the app closed with (1006 if it returned without closing).
        self.close_code: int | None = None
        self.close_reason = ""
        self._application = application
        self._on_headers = on_headers
        self._events: queue.Queue[tuple[str, t.Any]] = queue.Queue()
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._loop = asyncio.new_event_loop()
        self._loop_closed = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None
        self._app_state = "connecting"  # then open, denying, closed
        self._denial: list[t.Any] = []
        self._disconnect: Message | None = None
        self._client_closed = False
        self._app_done = False
        self._error: BaseException | None = None
        self._error_raised = False
        self._violation: str | None = None
        self._violation_reported = False

    # -- the app's side (on the background loop) ----------------------------

    def _thread_main(self) -> None:
        try:
            self._loop.run_until_complete(self._run_app())
        finally:
            with self._lock:
                self._loop_closed = True
            _close_loop(self._loop)
            self._events.put(("done", None))

    async def _run_app(self) -> None:
        self._task = asyncio.current_task()  # type: ignore[assignment]
        try:
            await self._application(self.scope, self._receive, self._send)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            self._error = error

    async def _receive(self) -> Message:
        if self._disconnect is not None:
            return dict(self._disconnect)
        message = await self._inbox.get()
        if message["type"] == "websocket.disconnect":
            self._disconnect = message
        return message

    async def _send(self, message: Message) -> None:
        if self._client_closed and self._app_state in ("open", "connecting"):
            kind = message.get("type") if isinstance(message, Mapping) else None
            if kind == "websocket.close":
                return  # closing a connection the client closed: nothing to do
            raise _ClientGone(f"The client closed the websocket; the app cannot send {kind!r}.")
        problem = self._accept(message)
        if problem is not None:
            if self._violation is None:
                self._violation = problem
                self._events.put(("violation", problem))
            raise AssertionError(problem)

    def _accept(self, message: t.Any) -> str | None:
        if not isinstance(message, Mapping) or not isinstance(message.get("type"), str):
            return f"The app sent {message!r}; an ASGI message is a dict with a 'type' string."
        kind = message["type"]
        state = self._app_state
        if kind == "websocket.close" and state in ("connecting", "open"):
            code, reason = message.get("code", 1000), message.get("reason") or ""
            if type(code) is not int or not (code in _SENDABLE_CLOSE_CODES or 3000 <= code <= 4999):
                return (
                    f"The app closed the websocket with code {code!r}; RFC 6455 §7.4 allows "
                    "1000-1003, 1007-1014 and 3000-4999."
                )
            if not isinstance(reason, str):
                return f"The app closed the websocket with reason={reason!r}; use a str."
            if len(reason.encode()) > 123:
                return (
                    f"The app closed the websocket with a {len(reason.encode())}-byte reason; "
                    "a close frame holds at most 123 bytes of it (RFC 6455 §5.5)."
                )
            self._app_state = "closed"
            self._events.put(("close", (code, reason)))
        elif kind == "websocket.accept" and state == "connecting":
            subprotocol = message.get("subprotocol")
            if subprotocol is not None and subprotocol not in self.scope["subprotocols"]:
                return (
                    f"The app accepted the subprotocol {subprotocol!r}, which the client did "
                    f"not offer (it offered {self.scope['subprotocols']!r})."
                )
            headers = _checked_headers("websocket.accept", message.get("headers", ()))
            if isinstance(headers, str):
                return headers
            if any(name == b"sec-websocket-protocol" for name, _ in headers):
                return "The app sent sec-websocket-protocol in accept headers; use subprotocol=."
            self._app_state = "open"
            self._events.put(("accept", (subprotocol, headers)))
        elif kind == "websocket.send" and state == "open":
            data, text = message.get("bytes"), message.get("text")
            if (data is None) == (text is None):
                return "The app sent websocket.send with both or neither of bytes and text."
            if data is not None and not isinstance(data, bytes):
                return f"The app sent websocket.send with a {type(data).__name__} 'bytes'."
            if text is not None and not isinstance(text, str):
                return f"The app sent websocket.send with a {type(text).__name__} 'text'."
            self._events.put(("message", text if data is None else data))
        elif kind == "websocket.http.response.start" and state == "connecting":
            if "websocket.http.response" not in self.scope["extensions"]:
                return (
                    "The app sent websocket.http.response.start, but this connection does not "
                    "offer the websocket.http.response extension; close instead."
                )
            status = message.get("status")
            if type(status) is not int or not 100 <= status <= 599:
                return f"The app sent websocket.http.response.start with status={status!r}."
            headers = _checked_headers("websocket.http.response.start", message.get("headers", ()))
            if isinstance(headers, str):
                return headers
            self._app_state = "denying"
            self._denial = [status, headers, b""]
        elif kind == "websocket.http.response.body" and state == "denying":
            body = message.get("body", b"")
            if not isinstance(body, bytes):
                return f"The app sent websocket.http.response.body with a {type(body).__name__}."
            self._denial[2] += body
            if not message.get("more_body", False):
                self._app_state = "closed"
                self._events.put(("denied", tuple(self._denial)))
        elif state == "closed":
            return f"The app sent {kind!r} after it had closed the websocket."
        else:
            return f"The app sent {kind!r}, which a websocket in state {state!r} does not take."
        return None

    # -- the test's side --------------------------------------------------------

    def _put(self, message: Message) -> None:
        with self._lock:
            if not self._loop_closed:
                self._loop.call_soon_threadsafe(self._inbox.put_nowait, message)

    def _next(self, waiting_for: str, timeout: float | None = None) -> tuple[str, t.Any]:
        limit = self.timeout if timeout is None else timeout
        try:
            kind, value = self._events.get(timeout=limit)
        except queue.Empty:
            raise TimeoutError(
                f"Waited {limit:g} s for the app to {waiting_for} on {self.scope['path']}, "
                "and it did not. Check the handler, or pass a larger timeout=."
            ) from None
        if kind == "done":
            self._app_done = True
        elif kind == "violation":
            self._violation_reported = True
            raise AssertionError(value)
        return kind, value

    def __enter__(self) -> WebSocketSession:
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._thread_main,), name="erlen-websocket", daemon=True
        )
        self._thread.start()
        self._put({"type": "websocket.connect"})
        try:
            kind, value = self._next("accept the connection (websocket.accept)")
        except BaseException:
            self._shutdown(1006)
            raise
        if kind == "accept":
            self.subprotocol = value[0]
            self.headers = Headers(
                [(n.decode("latin-1"), v.decode("latin-1")) for n, v in value[1]]
            )
            if self._on_headers is not None:
                self._on_headers(self.headers)
            return self
        self._shutdown(1006)
        if kind == "close":
            denied = WebSocketDenied(403, close_code=value[0], reason=value[1])
        elif kind == "denied":
            status, pairs, body = value
            headers = Headers([(n.decode("latin-1"), v.decode("latin-1")) for n, v in pairs])
            if self._on_headers is not None:
                self._on_headers(headers)
            denied = WebSocketDenied(status, headers, body)
        else:
            denied = None
        if denied is not None:
            # An app error behind the refusal (TESTING propagates it) is the cause.
            if self._error is not None and not self._error_raised:
                self._error_raised = True
                raise denied from self._error
            raise denied
        self._raise_app_error()
        raise WebSocketDenied(403, reason="the app returned without accepting the connection")

    def __exit__(self, exc_type: t.Any, exc: BaseException | None, tb: t.Any) -> None:
        if exc is not None:
            # The test's own failure says most; do not replace it with a later one.
            with contextlib.suppress(Exception):
                self._shutdown(1000)
            return
        self._shutdown(1000)
        self._raise_app_error()

    def _shutdown(self, code: int) -> None:
        """Disconnect (unless the test did), then wait for the app to return."""
        if not self._client_closed:
            self.close(code)
        deadline = time.monotonic() + self.timeout
        while not self._app_done:
            remaining = deadline - time.monotonic()
            try:
                kind, value = self._events.get(timeout=max(remaining, 0.0))
            except queue.Empty:
                break
            if kind == "done":
                self._app_done = True
            elif kind == "close" and self.close_code is None:
                self.close_code, self.close_reason = value
        if not self._app_done:
            with self._lock:
                if not self._loop_closed and self._task is not None:
                    self._loop.call_soon_threadsafe(self._task.cancel)
            assert self._thread is not None
            self._thread.join(timeout=2.0)
            raise TimeoutError(
                f"The app's websocket handler for {self.scope['path']} did not return within "
                f"{self.timeout:g} s after the client disconnected (websocket.disconnect "
                f"code {code}); it was cancelled. A handler should return once receive() "
                "reports the disconnect."
            )
        assert self._thread is not None
        self._thread.join(timeout=self.timeout)
        if self._violation is not None and not self._violation_reported:
            self._violation_reported = True
            raise AssertionError(self._violation)

    def _raise_app_error(self) -> None:
        if self._error is not None and not self._error_raised:
            self._error_raised = True
            raise self._error

    def _closed_error(self) -> WebSocketDisconnect:
        return WebSocketDisconnect(self.close_code or 1006, self.close_reason)

    def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message to the app."""
        if isinstance(data, str):
            self._send_message({"type": "websocket.receive", "text": data, "bytes": None})
        elif isinstance(data, (bytes, bytearray, memoryview)):
            self._send_message({"type": "websocket.receive", "bytes": bytes(data), "text": None})
        else:
            raise TypeError(f"send() takes str or bytes, not {type(data).__name__}.")

    def _send_message(self, message: Message) -> None:
        if self._client_closed:
            raise RuntimeError("This websocket was closed by the test; open a new one to send.")
        # Like a network, a message sent after the app closed is lost, not an error.
        self._put(message)

    def send_text(self, data: str) -> None:
        if not isinstance(data, str):
            raise TypeError(f"send_text() takes str, not {type(data).__name__}.")
        self.send(data)

    def send_bytes(self, data: bytes) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"send_bytes() takes bytes, not {type(data).__name__}.")
        self.send(data)

    def send_json(self, value: t.Any, mode: str = "text") -> None:
        """Send ``value`` as JSON, in a text message (or binary, ``mode="binary"``)."""
        text = _json.dumps(value)
        self.send(text if mode == "text" else text.encode())

    def receive(self, timeout: float | None = None) -> str | bytes:
        """Return the app's next message: ``str`` for text, ``bytes`` for binary."""
        if self.close_code is not None:
            raise self._closed_error()
        kind, value = self._next("send a message (websocket.send)", timeout)
        if kind == "message":
            return t.cast("str | bytes", value)
        if kind == "close":
            self.close_code, self.close_reason = value
        else:  # the app returned (or raised) without closing
            self._raise_app_error()
            self.close_code = 1006
            self.close_reason = "the app returned without sending websocket.close"
        raise self._closed_error()

    def receive_text(self, timeout: float | None = None) -> str:
        message = self.receive(timeout)
        if not isinstance(message, str):
            raise AssertionError(f"Expected a text message from the app, got bytes {message!r}.")
        return message

    def receive_bytes(self, timeout: float | None = None) -> bytes:
        message = self.receive(timeout)
        if not isinstance(message, bytes):
            raise AssertionError(f"Expected a binary message from the app, got text {message!r}.")
        return message

    def receive_json(self, timeout: float | None = None) -> t.Any:
        return _json.loads(self.receive(timeout))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Tell the app the client has gone (``websocket.disconnect``)."""
        if not self._client_closed:
            self._client_closed = True
            self._put({"type": "websocket.disconnect", "code": code, "reason": reason})

    def __repr__(self) -> str:
        return f"<WebSocketSession {self.scope['path']!r}>"
