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
import io
import secrets
import sys
import threading
import typing as t
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, unquote, unquote_to_bytes, urlencode, urlsplit

import click
from click.testing import CliRunner, Result

from .. import json as _json
from ..cli import ScriptInfo
from ..http.dates import parse_date
from ..http.headers import Headers
from ..http.hosts import split_host
from ..response import Response
from ..serving import asgi as _asgi
from ..typing import Message
from .asgi import (
    _ASGI_VERSION,
    WebSocketDenied,
    WebSocketSession,
    _close_loop,
    _HTTPExchange,
    _run_on,
)

if t.TYPE_CHECKING:
    from ..app import Erlen

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

_REDIRECTS = (301, 302, 303, 305, 307, 308)
#: Characters left as they are when a path or query string goes into raw ASGI bytes.
_URL_SAFE = "/?:@!$&'()*+,;=%[]~"


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
        return split_host(self.host)[0]

    @property
    def server_port(self) -> str:
        port = split_host(self.host)[1]
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
