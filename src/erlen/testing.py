"""The test client: requests sent to the app in-process, no sockets.

Requests go through WSGI, or through ASGI with ``asgi=True``; websockets
always go through ASGI::

    client = app.test_client()
    response = client.post("/login", data={"name": "ada"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Welcome" in response.text

    with client.websocket("/echo") as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "hi"

Under ASGI the client checks every message the app sends against the ASGI
spec and fails the test with an ``AssertionError`` on the first violation.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import io
import queue
import secrets
import sys
import threading
import time
import typing as t
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, unquote, unquote_to_bytes, urlencode, urlsplit

import click
from click.testing import CliRunner, Result

from . import asgi as _asgi
from . import json as _json
from .cli import ScriptInfo
from .headers import Headers
from .http import parse_date
from .response import Response
from .websockets import WebSocketDisconnect

if t.TYPE_CHECKING:
    from .app import Erlen

__all__ = [
    "Client",
    "ErlenCliRunner",
    "TestResponse",
    "WebSocketDenied",
    "WebSocketSession",
    "build_environ",
    "build_scope",
]

T = t.TypeVar("T")
Message = dict[str, t.Any]

_REDIRECTS = (301, 302, 303, 305, 307, 308)
_ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}
#: Characters left as they are when a path or query string goes into raw ASGI bytes.
_URL_SAFE = "/?:@!$&'()*+,;=%[]~"
# RFC 6455 §7.4.1-2: codes an endpoint may send in a Close frame.
_SENDABLE_CLOSE_CODES = frozenset(range(1000, 1015)) - {1004, 1005, 1006}


class TestResponse(Response):
    """A response as the test client saw it, with ``request`` and ``history``."""

    __test__ = False  # not a pytest test class
    default_mimetype = None

    request: t.Any = None
    history: tuple[TestResponse, ...] = ()
    #: The non-empty body pieces in the order the app sent them (WSGI
    #: iterable items, or ASGI ``http.response.body`` messages).
    chunks: tuple[bytes, ...] = ()


def _is_file(value: t.Any) -> bool:
    return hasattr(value, "read") or (
        isinstance(value, tuple) and len(value) >= 2 and hasattr(value[0], "read")
    )


def _encode_multipart(fields: list[tuple[str, t.Any]]) -> tuple[bytes, str]:
    boundary = "erlen-" + secrets.token_hex(16)
    out = io.BytesIO()
    for name, value in fields:
        out.write(f"--{boundary}\r\n".encode())
        quoted = name.replace('"', "%22")
        if _is_file(value):
            if isinstance(value, tuple):
                stream, filename, *rest = value
                content_type = rest[0] if rest else "application/octet-stream"
            else:
                stream = value
                filename = getattr(value, "name", "upload")
                content_type = "application/octet-stream"
            filename = str(filename).replace("\\", "/").rsplit("/", 1)[-1].replace('"', "%22")
            out.write(
                f'Content-Disposition: form-data; name="{quoted}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode()
            )
            content = stream.read()
            out.write(content.encode() if isinstance(content, str) else content)
        else:
            out.write(f'Content-Disposition: form-data; name="{quoted}"\r\n\r\n'.encode())
            out.write(value.encode() if isinstance(value, str) else bytes(value))
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _form_pairs(data: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]]) -> list[tuple[str, t.Any]]:
    pairs: list[tuple[str, t.Any]] = []
    items = data.items() if isinstance(data, Mapping) else data
    for key, value in items:
        if isinstance(value, list):
            pairs.extend((key, item) for item in value)
        else:
            pairs.append((key, value))
    return pairs


def _latin1(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode()


# -- one request, two protocols ------------------------------------------------


@dataclass
class _Outgoing:
    """A request as the client sends it: the one source of a WSGI environ and an ASGI scope."""

    method: str
    scheme: str
    host: str  # the URL's authority, such as "localhost" or "example.test:8443"
    root_path: str  # percent-encoded, without a trailing slash
    path: str  # percent-encoded
    query: str
    #: Every header as sent; Host, Content-Type and Content-Length occur at most once.
    headers: list[tuple[str, str]]
    body: bytes
    environ_base: Mapping[str, t.Any] | None = None

    @property
    def server_name(self) -> str:
        return self.host.partition(":")[0]

    @property
    def server_port(self) -> str:
        port = self.host.partition(":")[2]
        return port or ("443" if self.scheme in ("https", "wss") else "80")

    def add_cookies(self, value: str) -> None:
        """Send the cookie jar's ``name=value`` pairs, after any Cookie header given."""
        for index in range(len(self.headers) - 1, -1, -1):
            name, existing = self.headers[index]
            if name.lower() == "cookie":
                self.headers[index] = (name, f"{existing}; {value}")
                return
        self.headers.append(("Cookie", value))

    def to_environ(self) -> dict[str, t.Any]:
        """Return the request as a PEP 3333 environ."""
        environ: dict[str, t.Any] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": unquote_to_bytes(self.root_path).decode("latin-1"),
            "PATH_INFO": unquote_to_bytes(self.path).decode("latin-1"),
            "QUERY_STRING": self.query,
            "SERVER_NAME": self.server_name,
            "SERVER_PORT": self.server_port,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.scheme,
            "wsgi.input": io.BytesIO(self.body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers:
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            if key in environ:
                environ[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
            else:
                environ[key] = value
        if self.environ_base:
            environ.update(self.environ_base)
        return environ

    def to_scope(self, kind: str = "http") -> Message:
        """Return the request as an ASGI ``http`` or ``websocket`` connection scope.

        ``environ_base`` keys with an ASGI counterpart (``REMOTE_ADDR``,
        ``SERVER_NAME``, ``HTTP_*``, ...) are carried over; others raise
        ``TypeError``, since the test then depends on WSGI.
        """
        scheme = self.scheme
        if kind == "websocket":
            scheme = {"http": "ws", "https": "wss"}.get(scheme, scheme)
        full_path = self.root_path + self.path
        headers = list(self.headers)
        client: tuple[str, int] = ("127.0.0.1", 50000)
        server: tuple[str, int] = (self.server_name, int(self.server_port))
        http_version = "1.1"
        for key, value in (self.environ_base or {}).items():
            if key == "REMOTE_ADDR":
                client = (value, client[1])
            elif key == "REMOTE_PORT":
                client = (client[0], int(value))
            elif key == "SERVER_NAME":
                server = (value, server[1])
            elif key == "SERVER_PORT":
                server = (server[0], int(value))
            elif key == "SERVER_PROTOCOL":
                http_version = value.partition("/")[2] or http_version
            elif key == "wsgi.url_scheme":
                scheme = value
            elif key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                name = key.removeprefix("HTTP_").replace("_", "-").lower()
                headers = [pair for pair in headers if pair[0].lower() != name]
                headers.append((name, value))
            else:
                raise TypeError(
                    f"environ_base[{key!r}] has no ASGI counterpart, so this request cannot "
                    "be sent through ASGI. The test depends on WSGI: run it with a WSGI "
                    "client (asgi=False)."
                )
        scope: Message = {
            "type": kind,
            "asgi": dict(_ASGI_VERSION),
            "http_version": http_version,
            "scheme": scheme,
            "path": unquote(full_path),
            "raw_path": quote(full_path, safe=_URL_SAFE).encode("ascii"),
            "query_string": quote(self.query, safe=_URL_SAFE).encode("ascii"),
            "root_path": unquote(self.root_path),
            "headers": [
                (name.lower().encode("latin-1"), _latin1(value)) for name, value in headers
            ],
            "client": client,
            "server": server,
            "extensions": {},
        }
        if kind == "http":
            scope["method"] = self.method
        return scope


def _build_request(
    path: str = "/",
    base_url: str | None = None,
    query_string: str | bytes | Mapping[str, t.Any] | None = None,
    method: str = "GET",
    headers: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | None = None,
    data: t.Any = None,
    json: t.Any = None,
    content_type: str | None = None,
    environ_base: Mapping[str, t.Any] | None = None,
    **kwargs: t.Any,
) -> _Outgoing:
    if kwargs:
        raise TypeError(f"Unknown request argument(s): {', '.join(sorted(kwargs))}.")
    parts = urlsplit(path)
    base = urlsplit(base_url or "http://localhost/")
    scheme = parts.scheme or base.scheme or "http"
    host = parts.netloc or base.netloc or "localhost"
    if query_string is None:
        query = parts.query
    elif isinstance(query_string, bytes):
        query = query_string.decode("latin-1")
    elif isinstance(query_string, str):
        query = query_string
    else:
        query = urlencode(_form_pairs(query_string))
    request_headers = Headers(headers or ())
    body = b""
    if json is not None:
        if data is not None:
            raise TypeError("Pass data= or json=, not both.")
        body = _json.dumps_bytes(json)
        content_type = content_type or "application/json"
    elif isinstance(data, (bytes, bytearray)):
        body = bytes(data)
    elif isinstance(data, str):
        body = data.encode()
    elif hasattr(data, "read"):
        body = data.read()
    elif data is not None:
        pairs = _form_pairs(data)
        if any(_is_file(value) for _, value in pairs):
            body, form_type = _encode_multipart(pairs)
        else:
            body = urlencode([(k, str(v)) for k, v in pairs]).encode()
            form_type = "application/x-www-form-urlencoded"
        content_type = content_type or request_headers.get("Content-Type") or form_type
    content_type = content_type or request_headers.get("Content-Type")
    method = method.upper()
    length = str(len(body)) if body or method in ("POST", "PUT", "PATCH") else None
    sent: list[tuple[str, str]] = [("Host", host)]
    for name, value in request_headers:
        lower = name.lower()
        if lower == "host":
            sent[0] = (name, value)
        elif lower == "content-length":
            length = value  # the test's own value wins, even a wrong one
        elif lower != "content-type":  # the content_type argument (or the first one) wins
            sent.append((name, value))
    if content_type:
        sent.insert(1, ("Content-Type", content_type))
    if length is not None:
        sent.insert(1, ("Content-Length", length))
    return _Outgoing(
        method=method,
        scheme=scheme,
        host=host,
        root_path=base.path.rstrip("/"),
        path=parts.path or "/",
        query=query,
        headers=sent,
        body=body,
        environ_base=environ_base,
    )


def build_environ(app: Erlen | None = None, path: str = "/", **kwargs: t.Any) -> dict[str, t.Any]:
    """Return a WSGI environ for a request, as the test client sends it.

    Takes the request arguments of :meth:`Client.open`: ``base_url``,
    ``query_string``, ``method``, ``headers``, ``data``, ``json``,
    ``content_type`` and ``environ_base``.
    """
    return _build_request(path, **kwargs).to_environ()


def build_scope(app: Erlen | None = None, path: str = "/", **kwargs: t.Any) -> Message:
    """Return an ASGI HTTP scope for a request, as the test client sends it.

    Takes the same arguments as :func:`build_environ`. The body is not part
    of a scope: the client sends it through ``receive()``.
    """
    return _build_request(path, **kwargs).to_scope()


# -- running coroutines from synchronous tests ---------------------------------


async def _bounded(awaitable: Awaitable[T], timeout: float, describe: Callable[[], str]) -> T:
    """Await ``awaitable`` for at most ``timeout`` seconds, then cancel it and raise."""
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
        raise TimeoutError(describe())
    return task.result()


def _in_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _run_on(
    loop: asyncio.AbstractEventLoop, coroutine: Coroutine[t.Any, t.Any, T], timeout: float
) -> T:
    """Run ``coroutine`` on ``loop`` to its end, from synchronous code."""
    if not _in_running_loop():
        return loop.run_until_complete(coroutine)
    # An async test is running a loop in this thread, and loops do not nest:
    # run ours in a helper thread, with the caller's context variables.
    context = contextvars.copy_context()
    outcome: dict[str, t.Any] = {}

    def run() -> None:
        try:
            outcome["value"] = context.run(loop.run_until_complete, coroutine)
        except BaseException as error:  # noqa: BLE001 - handed back to the caller
            outcome["error"] = error

    thread = threading.Thread(target=run, name="erlen-test-client", daemon=True)
    thread.start()
    thread.join(timeout + 5.0)  # the coroutine bounds itself; this catches a blocked loop
    if thread.is_alive():
        raise TimeoutError(
            f"The app blocked the test client's event loop for over {timeout:g} s (a blocking "
            "call inside an async def view?); the helper thread running it was abandoned."
        )
    if "error" in outcome:
        raise outcome["error"]
    return t.cast(T, outcome["value"])


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is left on a loop that is not running, then close it."""
    if loop.is_closed() or loop.is_running():
        return
    try:
        if not _in_running_loop():
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=1.0))
            shutdown = loop.create_task(loop.shutdown_asyncgens())
            loop.run_until_complete(asyncio.wait({shutdown}, timeout=1.0))
    finally:
        loop.close()


# -- an ASGI HTTP request --------------------------------------------------------


def _checked_headers(where: str, headers: t.Any) -> list[tuple[bytes, bytes]] | str:
    """Return ASGI response headers as a list, or (a ``str``) what is wrong with them."""
    try:
        pairs = list(headers)
    except TypeError:
        return f"The app sent headers={headers!r} in {where}; ASGI wants an iterable of pairs."
    for pair in pairs:
        if (
            not isinstance(pair, (list, tuple))
            or len(pair) != 2
            or not isinstance(pair[0], bytes)
            or not isinstance(pair[1], bytes)
        ):
            return (
                f"The app sent the header {pair!r} in {where}; an ASGI header is a "
                "[name, value] pair of bytes."
            )
        name, value = pair
        if name != name.lower() or name.startswith(b":"):
            return (
                f"The app sent the header name {name!r} in {where}; ASGI wants lowercase "
                "names and no pseudo-headers."
            )
        if b"\r" in value or b"\n" in value or b"\0" in value:
            return f"The app sent the header {name!r} with a CR, LF or NUL in its value {value!r}."
    return pairs


class _HTTPExchange:
    """One request over ASGI: feed the body, check and collect what the app sends."""

    def __init__(self, scope: Message, body: bytes, chunk_size: int) -> None:
        self.scope = scope
        size = max(chunk_size, 1)
        self._chunks = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.complete = False
        self.returned = False
        self.violation: str | None = None
        self._complete_event: asyncio.Event | None = None

    async def run(self, application: Callable[..., t.Any]) -> None:
        try:
            await application(self.scope, self.receive, self.send)
        except Exception:
            if self.violation is not None:
                raise AssertionError(self.violation)  # noqa: B904 - the first fault is the cause
            raise
        self.returned = True
        self._check_finished()

    async def receive(self) -> Message:
        if self._chunks:
            chunk = self._chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(self._chunks)}
        # As a server does: the next event is the disconnect, once the response is sent.
        if not self.complete:
            if self._complete_event is None:
                self._complete_event = asyncio.Event()
            await self._complete_event.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        problem = self._accept(message)
        if problem is not None:
            if self.violation is None:
                self.violation = problem
            raise AssertionError(problem)

    def _accept(self, message: t.Any) -> str | None:
        if not isinstance(message, Mapping) or not isinstance(message.get("type"), str):
            return f"The app sent {message!r}; an ASGI message is a dict with a 'type' string."
        kind = message["type"]
        if self.complete:
            return (
                f"The app sent {kind!r} after the final http.response.body "
                "(more_body=False); nothing may follow it."
            )
        if kind == "http.response.start":
            if self.status is not None:
                return "The app sent http.response.start twice; send it once, then the body."
            status = message.get("status")
            if type(status) is not int or not 100 <= status <= 599:
                return f"The app sent http.response.start with status={status!r}; use an int."
            headers = _checked_headers("http.response.start", message.get("headers", ()))
            if isinstance(headers, str):
                return headers
            if message.get("trailers"):
                return (
                    "The app sent http.response.start with trailers=True, but the test client "
                    "offers no http.response.trailers extension."
                )
            self.status = status
            self.headers = headers
            return None
        if kind == "http.response.body":
            if self.status is None:
                return "The app sent http.response.body before http.response.start."
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if not isinstance(body, bytes):
                return (
                    f"The app sent http.response.body with a {type(body).__name__} body; use bytes."
                )
            if not isinstance(more, bool):
                return f"The app sent http.response.body with more_body={more!r}; use a bool."
            if body:
                self.body.append(body)
            if not more:
                self.complete = True
                if self._complete_event is not None:
                    self._complete_event.set()
            return None
        return (
            f"The app sent a {kind!r} message to an http scope, which takes only "
            "http.response.start and http.response.body."
        )

    def _check_finished(self) -> None:
        if self.violation is not None:
            raise AssertionError(self.violation)
        if self.status is None:
            raise AssertionError(
                f"The app returned without sending http.response.start for "
                f"{self.scope['method']} {self.scope['path']}; an ASGI app must answer "
                "every request."
            )
        if not self.complete:
            raise AssertionError(
                f"The app returned before finishing its response to {self.scope['method']} "
                f"{self.scope['path']}: the last http.response.body had more_body=True."
            )
        size = sum(map(len, self.body))
        if self.scope["method"] == "HEAD" or self.status in (204, 304) or self.status < 200:
            if size:
                raise AssertionError(
                    f"The app sent a {size}-byte body with a {self.status} response to "
                    f"{self.scope['method']}; such a response has no body (RFC 9110 §6.4.1)."
                )
            return
        lengths = [value for name, value in self.headers if name == b"content-length"]
        if lengths and (len(lengths) > 1 or lengths[0] != str(size).encode()):
            raise AssertionError(
                f"The app sent content-length {b', '.join(lengths).decode()} with a "
                f"{size}-byte body; a client would wait for the rest or read the excess as "
                "the next response."
            )

    def describe_wait(self) -> str:
        if self.returned:
            what = "returned"
        elif self.status is None:
            what = "sent no http.response.start"
        elif not self.complete:
            what = (
                f"sent the start and {sum(map(len, self.body))} body bytes but no final "
                "http.response.body (more_body=False)"
            )
        else:
            what = "sent the whole response but has not returned"
        return (
            f"The app did not finish {self.scope['method']} {self.scope['path']} in time: "
            f"it {what}. Pass a larger timeout= to the client if the view is meant to be slow."
        )


# -- websockets -------------------------------------------------------------------


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


# -- the client -------------------------------------------------------------------


class _Cookie(t.NamedTuple):
    value: str
    path: str
    domain: str
    secure: bool = False
    host_only: bool = True

    def matches(self, host: str, path: str, https: bool) -> bool:
        """Whether a browser would send this cookie (RFC 6265 §5.4)."""
        if self.secure and not https:
            return False
        if self.host_only:
            if host != self.domain:
                return False
        elif host != self.domain and not host.endswith("." + self.domain):
            return False
        return path == self.path or path.startswith(self.path.rstrip("/") + "/")


class Client:
    """Send requests to an app in-process and read its responses.

    Cookies set by responses are sent back on later requests, as a browser
    does (``use_cookies=False`` turns that off). With ``asgi=True`` requests
    go through the app's ASGI interface on one event loop per client, and
    ``with client:`` runs the app's lifespan (``before_serving`` and
    ``after_serving``) around the block. ``timeout`` bounds every wait.
    """

    __test__ = False

    def __init__(
        self,
        app: Erlen,
        use_cookies: bool = True,
        asgi: bool = False,
        timeout: float = 10.0,
        **defaults: t.Any,
    ) -> None:
        self.app = app
        #: The WSGI callable requests go to (tests may wrap it, e.g. in a validator).
        self.application: t.Callable[..., t.Any] = app
        #: The ASGI callable that websockets, and requests when ``asgi`` is
        #: true, go to (tests may wrap it too).
        self.asgi_application: t.Callable[..., t.Any] = app
        self.use_cookies = use_cookies
        self.asgi = asgi
        self.timeout = timeout
        #: Under ASGI, the request body reaches the app in pieces of this size.
        self.body_chunk_size = 65536
        self.defaults = defaults
        self._cookies: dict[tuple[str, str, str], _Cookie] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_lock = threading.Lock()
        self._close_loop: weakref.finalize[[asyncio.AbstractEventLoop], Client] | None = None
        self._state: dict[str, t.Any] | None = None
        self._lifespan: tuple[asyncio.Queue[Message], asyncio.Queue[Message]] | None = None
        if asgi:
            # Opened now rather than on the first request, so a test that
            # counts open files (the loop holds a few) sees the same before and after.
            self._open_loop()

    def _open_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._close_loop = weakref.finalize(self, _close_loop, self._loop)
        return self._loop

    # -- cookies ---------------------------------------------------------

    def get_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> _Cookie | None:
        """Return the stored cookie ``key`` (with ``.value``), or ``None``."""
        return self._cookies.get((domain, path, key))

    def set_cookie(
        self, key: str, value: str = "", domain: str = "localhost", path: str = "/"
    ) -> None:
        """Store a cookie to send with later requests."""
        self._cookies[(domain, path, key)] = _Cookie(value, path, domain)

    def delete_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> None:
        self._cookies.pop((domain, path, key), None)

    def _cookie_header(self, outgoing: _Outgoing) -> str | None:
        host = outgoing.server_name
        path = unquote_to_bytes(outgoing.path).decode("latin-1") or "/"
        https = outgoing.scheme in ("https", "wss")
        pairs = [
            f"{name}={cookie.value}"
            for (_, _, name), cookie in sorted(
                self._cookies.items(), key=lambda item: -len(item[0][1])
            )
            if cookie.matches(host, path, https)
        ]
        return "; ".join(pairs) or None

    def _store_cookies(self, headers: Headers, host: str) -> None:
        now = datetime.now(timezone.utc)
        for header in headers.getlist("Set-Cookie"):
            first, *attributes = header.split(";")
            name, sep, value = first.partition("=")
            name = name.strip()
            if not sep or not name:
                continue
            path, domain, expired = "/", host, False
            secure, host_only = False, True
            for attribute in attributes:
                key, _, attribute_value = attribute.strip().partition("=")
                key = key.lower()
                if key == "path" and attribute_value:
                    path = attribute_value
                elif key == "domain" and attribute_value:
                    domain = attribute_value.lstrip(".").lower()
                    host_only = False
                elif key == "secure":
                    secure = True
                elif key == "max-age":
                    expired = not attribute_value.strip().isdigit() or int(attribute_value) <= 0
                elif key == "expires":
                    when = parse_date(attribute_value)
                    expired = expired or (when is not None and when <= now)
            if expired:
                self._cookies.pop((domain, path, name), None)
            else:
                self._cookies[(domain, path, name)] = _Cookie(
                    value.strip(), path, domain, secure, host_only
                )

    # -- requests --------------------------------------------------------

    def open(
        self,
        path: str = "/",
        method: str = "GET",
        *,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        """Send a request and return the response (see :func:`build_environ`)."""
        options = {**self.defaults, **kwargs}
        response = self._send(path, method, options)
        history: list[TestResponse] = []
        while follow_redirects and response.status_code in _REDIRECTS:
            if len(history) >= 20:
                raise RuntimeError(
                    f"Followed 20 redirects from {path!r} without reaching a page: the app "
                    "redirects in a loop."
                )
            history.append(response)
            location = response.headers.get("Location", "")
            target = urlsplit(location)
            next_path = (target.path or "/") + (f"?{target.query}" if target.query else "")
            if response.status_code not in (307, 308):
                method = "GET" if method != "HEAD" else "HEAD"
                options = {
                    k: v
                    for k, v in options.items()
                    if k not in ("data", "json", "content_type", "query_string")
                }
            else:
                options.pop("query_string", None)
                data = options.get("data")
                seek = getattr(data, "seek", None)
                if seek is not None:
                    seek(0)
            response = self._send(next_path, method, options)
        response.history = tuple(history)
        return response

    def _send(self, path: str, method: str, options: dict[str, t.Any]) -> TestResponse:
        outgoing = _build_request(path, method=method, **options)
        if self.use_cookies:
            header = self._cookie_header(outgoing)
            if header:
                outgoing.add_cookies(header)
        status: int | str
        if self.asgi:
            scope, status, headers, chunks = self._send_asgi(outgoing)
            # The request as erlen's ASGI adapter saw it.
            environ = _asgi.build_environ(scope, io.BytesIO(outgoing.body))
        else:
            environ = outgoing.to_environ()
            status, headers, chunks = self._send_wsgi(environ)
        response = TestResponse(None, status, Headers(headers))
        response.response = [b"".join(chunks)]  # keep the app's own Content-Length (HEAD!)
        response.chunks = tuple(chunk for chunk in chunks if chunk)
        response.request = self.app.request_class(environ, self.app.config)
        if self.use_cookies:
            self._store_cookies(response.headers, outgoing.server_name)
        return response

    def _send_wsgi(
        self, environ: dict[str, t.Any]
    ) -> tuple[str, list[tuple[str, str]], list[bytes]]:
        captured: dict[str, t.Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
        ) -> t.Callable[[bytes], None]:
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None

        body_iter = self.application(environ, start_response)
        try:
            chunks = list(body_iter)
        finally:
            close = getattr(body_iter, "close", None)
            if close is not None:
                close()
        return captured["status"], captured["headers"], chunks

    def _send_asgi(
        self, outgoing: _Outgoing
    ) -> tuple[Message, int, list[tuple[str, str]], list[bytes]]:
        scope = outgoing.to_scope("http")
        if self._state is not None:
            scope["state"] = dict(self._state)
        exchange = _HTTPExchange(scope, outgoing.body, self.body_chunk_size)
        self._run(exchange.run(self.asgi_application), exchange.describe_wait)
        assert exchange.status is not None  # _check_finished saw to it
        headers = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in exchange.headers
        ]
        return scope, exchange.status, headers, exchange.body

    def _run(self, coroutine: Coroutine[t.Any, t.Any, T], describe: Callable[[], str]) -> T:
        """Run ``coroutine`` on the client's event loop, for at most ``timeout`` seconds."""
        bounded = _bounded(coroutine, self.timeout, describe)
        if self._loop_lock.acquire(blocking=False):
            try:
                return _run_on(self._open_loop(), bounded, self.timeout)
            finally:
                self._loop_lock.release()
        # Another thread is sending through this client right now: this
        # request gets a loop of its own, so both run at once as on a server.
        loop = asyncio.new_event_loop()
        try:
            return _run_on(loop, bounded, self.timeout)
        finally:
            _close_loop(loop)

    def get(self, path: str = "/", **kwargs: t.Any) -> TestResponse:
        return self.open(path, "GET", **kwargs)

    def post(self, path: str = "/", **kwargs: t.Any) -> TestResponse:
        return self.open(path, "POST", **kwargs)

    def put(self, path: str = "/", **kwargs: t.Any) -> TestResponse:
        return self.open(path, "PUT", **kwargs)

    def patch(self, path: str = "/", **kwargs: t.Any) -> TestResponse:
        return self.open(path, "PATCH", **kwargs)

    def delete(self, path: str = "/", **kwargs: t.Any) -> TestResponse:
        return self.open(path, "DELETE", **kwargs)

    def head(self, path: str = "/", **kwargs: t.Any) -> TestResponse:
        return self.open(path, "HEAD", **kwargs)

    def options(self, path: str = "/", **kwargs: t.Any) -> TestResponse:
        return self.open(path, "OPTIONS", **kwargs)

    # -- websockets --------------------------------------------------------

    def websocket(
        self,
        path: str,
        subprotocols: Sequence[str] | None = None,
        headers: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | None = None,
        query_string: str | bytes | Mapping[str, t.Any] | None = None,
        *,
        timeout: float | None = None,
        http_response_extension: bool = True,
    ) -> WebSocketSession:
        """Open a websocket to the app; use the result in a ``with`` block.

        ::

            with client.websocket("/chat", subprotocols=["v1"]) as ws:
                ws.send_json({"say": "hi"})
                assert ws.receive_json() == {"said": "hi"}

        The handshake goes through ASGI whatever kind of client this is.
        Entering the block raises :class:`WebSocketDenied` if the app refuses
        the connection. ``http_response_extension=False`` stops offering the
        ``websocket.http.response`` extension, as some servers do.
        """
        extra = [
            ("Connection", "Upgrade"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", base64.b64encode(secrets.token_bytes(16)).decode()),
        ]
        if subprotocols:
            extra.append(("Sec-WebSocket-Protocol", ", ".join(subprotocols)))
        outgoing = _build_request(
            path,
            base_url=self.defaults.get("base_url"),
            query_string=query_string,
            headers=[
                *Headers(headers if headers is not None else self.defaults.get("headers") or ()),
                *extra,
            ],
            environ_base=self.defaults.get("environ_base"),
        )
        if self.use_cookies:
            cookies = self._cookie_header(outgoing)
            if cookies:
                outgoing.add_cookies(cookies)
        scope = outgoing.to_scope("websocket")
        scope["subprotocols"] = list(subprotocols or ())
        if http_response_extension:
            scope["extensions"]["websocket.http.response"] = {}
        if self._state is not None:
            scope["state"] = dict(self._state)
        host = outgoing.server_name

        def store_cookies(headers: Headers) -> None:
            if self.use_cookies:
                self._store_cookies(headers, host)

        return WebSocketSession(
            self.asgi_application,
            scope,
            self.timeout if timeout is None else timeout,
            store_cookies,
        )

    # -- lifespan and cleanup ------------------------------------------------

    def __enter__(self) -> Client:
        if self.asgi:
            self._run(self._start_lifespan(), lambda: self._lifespan_late("startup"))
        return self

    def __exit__(self, exc_type: t.Any, exc: BaseException | None, tb: t.Any) -> None:
        try:
            if self._lifespan is not None:
                self._run(self._stop_lifespan(), lambda: self._lifespan_late("shutdown"))
        finally:
            self.close()

    async def _start_lifespan(self) -> None:
        inbox: asyncio.Queue[Message] = asyncio.Queue()
        outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._lifespan = (inbox, outbox)
        self._state = {}
        scope = {"type": "lifespan", "asgi": dict(_ASGI_VERSION), "state": self._state}

        async def run() -> None:
            try:
                await self.asgi_application(scope, inbox.get, outbox.put)
            except BaseException as error:  # noqa: BLE001 - handed to the test
                await outbox.put({"type": "_raised", "error": error})
            else:
                await outbox.put({"type": "_returned"})

        asyncio.ensure_future(run())
        await inbox.put({"type": "lifespan.startup"})
        await self._lifespan_reply("startup")

    async def _stop_lifespan(self) -> None:
        assert self._lifespan is not None
        await self._lifespan[0].put({"type": "lifespan.shutdown"})
        try:
            await self._lifespan_reply("shutdown")
        finally:
            self._lifespan = None

    async def _lifespan_reply(self, phase: str) -> None:
        assert self._lifespan is not None
        message = await self._lifespan[1].get()
        kind = message.get("type")
        if kind == f"lifespan.{phase}.complete":
            return
        if kind == f"lifespan.{phase}.failed":
            raise RuntimeError(f"The app's lifespan {phase} failed: {message.get('message', '')}")
        if kind == "_raised":
            raise message["error"]
        raise AssertionError(
            f"The app answered lifespan.{phase} with {message!r}; it should send "
            f"lifespan.{phase}.complete or lifespan.{phase}.failed."
        )

    def _lifespan_late(self, phase: str) -> str:
        return (
            f"The app did not finish its lifespan {phase} within {self.timeout:g} s "
            f"(before_serving/after_serving hooks). Pass a larger timeout= if that is expected."
        )

    def close(self) -> None:
        """Close the client's event loop (ASGI); a closed client may be used again."""
        with self._loop_lock:
            if self._close_loop is not None:
                self._close_loop()
            self._loop = None
            self._close_loop = None
            self._lifespan = None
            self._state = None

    def __repr__(self) -> str:
        kind = "ASGI" if self.asgi else "WSGI"
        return f"<Client ({kind}) for {self.app!r}>"


class ErlenCliRunner(CliRunner):
    """Invoke the app's commands in-process, for tests: ``app.test_cli_runner()``.

    ::

        result = app.test_cli_runner().invoke(args=["hello"])
        assert result.output == "Hello\\n"
    """

    def __init__(self, app: Erlen, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self,
        cli: click.Command | None = None,
        args: str | Sequence[str] | None = None,
        input: str | bytes | t.IO[t.Any] | None = None,
        env: Mapping[str, str | None] | None = None,
        catch_exceptions: bool | None = None,
        color: bool = False,
        **extra: t.Any,
    ) -> Result:
        """Run ``cli`` (default: ``app.cli``) with ``args``; the app is loaded already."""
        extra.setdefault("obj", ScriptInfo(app=self.app))
        return super().invoke(
            self.app.cli if cli is None else cli,
            args,
            input=input,
            env=env,
            catch_exceptions=catch_exceptions,
            color=color,
            **extra,
        )
