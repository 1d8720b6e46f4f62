"""The test client: requests sent to the app in-process, and its responses.

:class:`Client` sends each request through WSGI, or through ASGI with
``asgi=True``, keeps a browser's cookie jar, follows redirects when asked,
runs the app's lifespan around a ``with`` block, and opens websockets.
"""

from __future__ import annotations

import asyncio
import base64
import io
import secrets
import threading
import typing as t
import weakref
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from urllib.parse import unquote_to_bytes, urlsplit

from ..ctx import _cv
from ..http.dates import parse_date
from ..http.headers import Headers
from ..response import Response
from ..serving import asgi as _asgi
from ..typing import Message
from .asgi import WebSocketSession
from .builders import _ASGI_VERSION, _build_request, _Outgoing
from .exchange import _HTTPExchange
from .loop import _bounded, _close_loop, _run_on

if t.TYPE_CHECKING:
    from ..app import Erlen

__all__ = ["Client", "TestResponse"]

T = t.TypeVar("T")

_REDIRECTS = (301, 302, 303, 305, 307, 308)


class TestResponse(Response):
    """A response as the test client saw it, with ``request`` and ``history``."""

    __test__ = False  # not a pytest test class
    default_mimetype = None

    request: t.Any = None
    history: tuple[TestResponse, ...] = ()
    #: The non-empty body pieces in the order the app sent them (WSGI
    #: iterable items, or ASGI ``http.response.body`` messages).
    chunks: tuple[bytes, ...] = ()


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
        #: Inside ``with client:``, the contexts of the last request, kept pushed.
        self._preserving = False
        self._kept: list[tuple[t.Any, t.Any]] = []
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
        self._pop_kept()
        status: int | str
        if self.asgi:
            scope, status, headers, chunks, context = self._send_asgi(outgoing)
            # The request as erlen's ASGI adapter saw it.
            environ = _asgi.build_environ(scope, io.BytesIO(outgoing.body))
        else:
            environ = outgoing.to_environ()
            status, headers, chunks, context = self._send_wsgi(environ)
        if self._preserving and context is not None:  # None: answered before a context existed
            # Pushed again in the test's own thread, so `request`, `session`
            # and `g` keep answering until the next request or the end of `with`.
            self._kept.append((context, _cv.set(context)))
        response = TestResponse(None, status, Headers(headers))
        response.response = [b"".join(chunks)]  # keep the app's own Content-Length (HEAD!)
        response.chunks = tuple(chunk for chunk in chunks if chunk)
        response.request = self.app.request_class(environ, self.app.config)
        if self.use_cookies:
            self._store_cookies(response.headers, outgoing.server_name)
        return response

    def _send_wsgi(
        self, environ: dict[str, t.Any]
    ) -> tuple[str, list[tuple[str, str]], list[bytes], t.Any]:
        captured: dict[str, t.Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
        ) -> t.Callable[[bytes], None]:
            captured["status"] = status
            captured["headers"] = headers
            # erlen calls start_response with the request's context still set,
            # so `with client:` can keep it without the adapter's help.
            captured.setdefault("context", _cv.get(None))
            return lambda data: None

        body_iter = self.application(environ, start_response)
        try:
            chunks = list(body_iter)
        finally:
            close = getattr(body_iter, "close", None)
            if close is not None:
                close()
        return captured["status"], captured["headers"], chunks, captured.get("context")

    def _send_asgi(
        self, outgoing: _Outgoing
    ) -> tuple[Message, int, list[tuple[str, str]], list[bytes], t.Any]:
        scope = outgoing.to_scope("http")
        if self._state is not None:
            scope["state"] = dict(self._state)
        exchange = _HTTPExchange(scope, outgoing.body, self.body_chunk_size)
        self._run(exchange.run(self.asgi_application), exchange.describe_wait)
        assert exchange.status is not None  # _check_finished saw to it
        headers = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in exchange.headers
        ]
        return scope, exchange.status, headers, exchange.body, exchange.context

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
        """Keep each request's context after it, until the next one or the end of ``with``.

        Inside ``with client:`` a test can look at ``request``, ``session``
        and ``g`` as the last request left them. Under ASGI the app's
        lifespan also starts here (``before_serving``) and ends on exit.
        """
        if self._preserving:
            raise RuntimeError(
                "This test client is already in a 'with client:' block; nest a second "
                "client (app.test_client()) instead."
            )
        self._preserving = True
        if self.asgi:
            self._run(self._start_lifespan(), lambda: self._lifespan_late("startup"))
        return self

    def __exit__(self, exc_type: t.Any, exc: BaseException | None, tb: t.Any) -> None:
        self._preserving = False
        self._pop_kept()
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

    def _pop_kept(self) -> None:
        while self._kept:
            _, token = self._kept.pop()
            _cv.reset(token)

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
