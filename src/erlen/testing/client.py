"""The test client: requests sent to the app in-process, and its responses.

:class:`Client` sends each request through WSGI, or through ASGI with
``asgi=True``, keeps a browser's cookie jar, follows redirects when asked,
runs the app's lifespan around a ``with`` block, and opens websockets.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import itertools
import secrets
import threading
import typing as t
import weakref
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

from ..ctx import RequestContext, _cv, _outer, _sharing
from ..http.headers import Headers
from ..http.hosts import split_host
from ..response import Response
from ..serving import asgi as _asgi
from ..typing import Message
from .asgi import WebSocketSession
from .builders import _ARGUMENTS, EnvironBuilder, _method_first
from .cookies import Cookie, _CookieJar
from .exchange import _HTTPExchange
from .loop import _bounded, _close_loop, _run_on
from .outgoing import _ASGI_VERSION, _Outgoing

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..sessions import SessionInterface, SessionMixin

__all__ = ["Client", "ErlenClient", "TestResponse"]

T = t.TypeVar("T")
_C = t.TypeVar("_C", bound="Client")

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
    #: The request as the client sent it, for :meth:`Client.resolve_redirect`.
    _sent: _Outgoing | None = None
    _buffered = False

    @property
    def is_streamed(self) -> bool:
        """True unless the request was sent with ``buffered=True``, as in Flask.

        Flask's test client hands back an unbuffered body through an
        iterator, so its responses count as streamed whatever the view
        returned (Flask-Compress's tests check it). erlen's holds the body
        read whole either way.
        """
        return not self._buffered


def _test_response_class(wrapper: type[Response] | None) -> type[TestResponse]:
    """Return the class of the client's responses: ``TestResponse`` mixed into ``wrapper``."""
    if wrapper is None or wrapper is Response:
        return TestResponse
    if issubclass(wrapper, TestResponse):
        return wrapper
    mixed = _MIXED.get(wrapper)
    if mixed is None:
        # As in Werkzeug: the response is also an instance of the app's response_class.
        mixed = _MIXED[wrapper] = type(
            f"Test{wrapper.__name__}", (TestResponse, wrapper), {"__test__": False}
        )
    return mixed


#: One mixed class per response class, so responses of two clients share a class.
_MIXED: dict[type[Response], type[TestResponse]] = {}


class Client:
    """Send requests to an app in-process and read its responses.

    Made by ``app.test_client()`` (which uses ``app.test_client_class``
    when set, so a subclass can add its own defaults). Cookies set by
    responses are sent back on later requests, as a browser does
    (``use_cookies=False`` turns that off). ``environ_base`` holds environ
    defaults sent with every request (``REMOTE_ADDR``,
    ``HTTP_USER_AGENT``). With ``asgi=True`` requests go through the app's
    ASGI interface on one event loop per client, and ``with client:`` runs
    the app's lifespan (``before_serving`` and ``after_serving``) around the
    block. ``timeout`` bounds every wait. Other keyword arguments are
    defaults for every request (``base_url=``, ``headers=``, ...).
    """

    __test__ = False

    def __init__(
        self,
        app: Erlen,
        response_wrapper: type[Response] | None = None,
        use_cookies: bool = True,
        allow_subdomain_redirects: bool = False,
        *args: t.Any,
        asgi: bool = False,
        timeout: float = 10.0,
        **defaults: t.Any,
    ) -> None:
        if args:
            raise TypeError(
                f"The test client takes the app, response_wrapper, use_cookies and "
                f"allow_subdomain_redirects by position, and got {len(args)} more "
                f"({', '.join(repr(arg) for arg in args)}); pass the rest by name "
                "(asgi=, timeout=, base_url=, ...)."
            )
        self.app = app
        #: The WSGI callable requests go to (tests may wrap it, e.g. in a validator).
        self.application: t.Callable[..., t.Any] = app
        #: The ASGI callable that websockets, and requests when ``asgi`` is
        #: true, go to (tests may wrap it too).
        self.asgi_application: t.Callable[..., t.Any] = app
        self.response_wrapper = _test_response_class(response_wrapper)
        self.use_cookies = use_cookies
        #: Whether ``follow_redirects`` follows a redirect to a subdomain of the host.
        self.allow_subdomain_redirects = allow_subdomain_redirects
        self.asgi = asgi
        self.timeout = timeout
        #: Under ASGI, the request body reaches the app in pieces of this size.
        self.body_chunk_size = 65536
        unknown = sorted(set(defaults) - _ARGUMENTS)
        if unknown:
            raise TypeError(
                f"The test client got {', '.join(map(repr, unknown))}, which is not a request "
                "argument (base_url=, headers=, environ_base=, ...). A subclass of "
                "ErlenClient takes its own arguments out of kwargs before calling "
                "super().__init__(*args, **kwargs)."
            )
        #: Request arguments used for every request (``base_url=``, ``headers=``, ...).
        self.defaults = defaults
        #: Environ defaults for every request; a request's own values win.
        self.environ_base: dict[str, t.Any] = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"erlen/{_version()}",
        }
        self._cookies = _CookieJar()
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

    def _jar(self, what: str) -> _CookieJar:
        if not self.use_cookies:
            raise TypeError(
                f"This client was made with use_cookies=False, so it keeps no cookies and "
                f"cannot {what}. Make it with app.test_client() (use_cookies=True)."
            )
        return self._cookies

    def get_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> Cookie | None:
        """Return the cookie ``key`` stored for ``domain`` and ``path``, or ``None``.

        The result has ``.value`` (as sent), ``.decoded_value``, ``.expires``,
        ``.max_age``, ``.secure``, ``.http_only``, ``.same_site`` and so on.
        """
        return self._jar("get a cookie").get(key, domain, path)

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        domain: str = "localhost",
        origin_only: bool = True,
        path: str = "/",
        **kwargs: t.Any,
    ) -> None:
        """Store a cookie to send with later requests, as if a response had set it.

        ``kwargs`` are the attributes of ``Response.set_cookie``
        (``max_age``, ``expires``, ``secure``, ``httponly``, ``samesite``).
        ``origin_only=False`` sends it to subdomains of ``domain`` too.
        """
        self._jar("set a cookie").set(key, value, domain, origin_only, path, **kwargs)

    def delete_cookie(self, key: str, *, domain: str = "localhost", path: str = "/") -> None:
        """Forget the cookie ``key`` stored for ``domain`` and ``path``."""
        self._jar("delete a cookie").delete(key, domain, path)

    def _add_cookies(self, outgoing: _Outgoing) -> _Outgoing:
        if not self.use_cookies:
            return outgoing
        path = unquote_to_bytes(outgoing.root_path + outgoing.path).decode("latin-1") or "/"
        https = outgoing.scheme in ("https", "wss")
        return outgoing.with_cookies(self._cookies.header_for(outgoing.server_name, path, https))

    def _request_from_builder_args(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> t.Any:
        """The request ``open(*args, **kwargs)`` would send, built but not sent.

        Flask's private helper, which Flask-SocketIO's test client calls to
        build the environ of its handshake (then adding the cookies with
        :meth:`_add_cookies_to_wsgi`).
        """
        outgoing = self._outgoing(args, dict(kwargs))
        return self.app.request_class(outgoing.to_environ(), self.app.config)

    def _add_cookies_to_wsgi(self, environ: dict[str, t.Any]) -> None:
        """Set ``environ``'s ``Cookie`` header from this client's cookies (Werkzeug's private)."""
        sent = self._add_cookies(_Outgoing.from_environ(environ, b""))
        cookie = next((value for name, value in sent.headers if name.lower() == "cookie"), None)
        if cookie:
            environ["HTTP_COOKIE"] = cookie

    @contextlib.contextmanager
    def session_transaction(self, *args: t.Any, **kwargs: t.Any) -> Iterator[SessionMixin]:
        """Open the session this client's cookie holds, and save it back after the block.

        ::

            with client.session_transaction() as session:
                session["user_id"] = 1
            client.get("/profile")  # sent with the changed session cookie

        The session is opened and saved by the app's session interface in a
        request context made from ``args`` and ``kwargs`` (the arguments of
        ``app.test_request_context()``), as if a request had come in. It
        works the same for WSGI and ASGI clients: no request reaches the app.
        """
        jar = self._jar("hold a session")
        app = self.app
        builder = EnvironBuilder(app, *args, **kwargs)
        outgoing = self._add_cookies(builder._outgoing(self.environ_base))
        context = RequestContext(app, outgoing.to_environ())
        interface = app.session_interface
        with context:
            session = interface.open_session(app, context.request)  # type: ignore[arg-type]
        if session is None:
            raise RuntimeError(_no_session(app, interface))
        yield session
        if interface.is_null_session(session):
            return
        response = app.response_class()
        with context:
            interface.save_session(app, session, response)
        jar.store(response.headers.getlist("Set-Cookie"), outgoing.server_name)

    # -- requests --------------------------------------------------------

    def open(
        self,
        *args: t.Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        """Send a request and return the response.

        Takes the arguments of :class:`EnvironBuilder` after the app
        (``path``, ``base_url``, ``query_string``, ``method``, ``headers``,
        ``data``, ``json``, ``auth``, ...), or one ready request: an
        ``EnvironBuilder``, a WSGI environ dict or a ``Request``. As a
        shortcut, ``open("/path", "POST")`` sets the method. The response is
        always read whole; ``buffered`` only makes its ``is_streamed`` false,
        as in Flask. With
        ``follow_redirects=True`` the client follows redirects on the same
        host and the response's ``history`` holds the redirects.
        """
        outgoing = self._outgoing(args, kwargs)
        response = self._send(outgoing)
        if not follow_redirects:
            response._buffered = buffered
            return response
        history: list[TestResponse] = []
        while response.status_code in _REDIRECTS:
            if len(history) >= 20:
                raise RuntimeError(
                    f"Followed 20 redirects from {outgoing.url!r} without reaching a page: "
                    "the app redirects in a loop."
                )
            history.append(response)
            response = self.resolve_redirect(response)
        response.history = tuple(history)
        response._buffered = buffered
        return response

    def resolve_redirect(self, response: TestResponse, buffered: bool = False) -> TestResponse:
        """Send the request that follows ``response``'s redirect, and return its response.

        ``open(..., follow_redirects=True)`` calls it for each redirect. As
        a browser does, a 301, 302 or 303 turns the request into a ``GET``
        without the body (a ``HEAD`` stays one); a 307 or 308 repeats the
        request to the new URL. A redirect to another host raises
        ``RuntimeError``. ``buffered`` changes nothing: responses are read whole.
        """
        if "Location" not in response.headers:
            raise ValueError(
                f"The response ({response.status}) has no Location header, so there is no "
                "redirect to follow. Pass a redirect response (301, 302, 303, 307, 308)."
            )
        sent = response._sent
        if sent is None:
            request = response.request
            if request is None:
                raise TypeError(
                    "resolve_redirect() follows a response of the test client, which knows "
                    "the request it answers; this response has no request."
                )
            sent = _Outgoing.from_environ(request.environ, b"")
        return self._send(self._redirected(sent, response))

    def _outgoing(self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> _Outgoing:
        first = args[0] if args else None
        if first is None or isinstance(first, str):
            args = _method_first(args, kwargs)
            builder = EnvironBuilder(self.app, *args, **{**self.defaults, **kwargs})
            return builder._outgoing(self.environ_base)
        if len(args) > 1 or kwargs:
            raise TypeError(
                f"client.open() was given a ready request ({type(first).__name__}) and more "
                "arguments; pass either the request alone, or the path and its arguments."
            )
        if isinstance(first, EnvironBuilder):
            return first._outgoing(self.environ_base)
        if isinstance(first, Mapping):  # a WSGI environ
            outgoing = _Outgoing.from_environ(first)
        elif isinstance(getattr(first, "environ", None), Mapping):  # a Request
            outgoing = _Outgoing.from_environ(first.environ, first.get_data())
        else:
            raise TypeError(
                f"client.open() takes a path, an EnvironBuilder, a WSGI environ or a "
                f"Request, not {type(first).__name__}."
            )
        outgoing.environ_base = self.environ_base
        return outgoing

    def _redirected(self, outgoing: _Outgoing, response: TestResponse) -> _Outgoing:
        """Return the request that follows ``response``'s redirect."""
        location = response.headers.get("Location", "")
        target = urlsplit(urljoin(outgoing.url, location))
        host = target.netloc or outgoing.host
        name = split_host(host)[0].lower()
        here = outgoing.server_name.lower()
        if name != here:
            subdomain = name.endswith("." + here)
            if not (subdomain and self.allow_subdomain_redirects):
                hint = (
                    " (a subdomain: make the client with allow_subdomain_redirects=True to "
                    "follow it)"
                    if subdomain
                    else ""
                )
                raise RuntimeError(
                    f"The app redirected to {location!r}, on another host than the request "
                    f"({outgoing.host}){hint}. The test client sends requests only to the app, "
                    "so it cannot follow it; read response.headers['Location'] without "
                    "follow_redirects=True instead."
                )
        path, root = target.path or "/", outgoing.root_path
        if root and (path == root or path.startswith(root + "/")):
            path = path[len(root) :] or "/"
        else:
            root = ""
        headers = [("Host", host) if n.lower() == "host" else (n, v) for n, v in outgoing.headers]
        method, body = outgoing.method, outgoing.body
        if response.status_code not in (307, 308):
            # 301, 302 and 303 turn into a GET without the body (RFC 9110 §15.4).
            method = "HEAD" if method == "HEAD" else "GET"
            body = b""
            headers = [
                (n, v) for n, v in headers if n.lower() not in ("content-type", "content-length")
            ]
        return replace(
            outgoing,
            method=method,
            scheme=target.scheme or outgoing.scheme,
            host=host,
            root_path=root,
            path=path,
            query=target.query,
            headers=headers,
            body=body,
        )

    def _send(self, outgoing: _Outgoing) -> TestResponse:
        sent = self._add_cookies(outgoing)
        self._pop_kept()
        outer = _cv.get(None)
        if outer is None or outer.app is not self.app:
            return self._send_now(outgoing, sent)
        # Inside `with app.app_context():` (or a test request context) of the
        # same app: the request shares that context's g, as in Flask.
        if not _sharing:
            _sharing.append(True)
        token = _outer.set(outer)
        try:
            return self._send_now(outgoing, sent)
        finally:
            _outer.reset(token)

    def _send_now(self, outgoing: _Outgoing, sent: _Outgoing) -> TestResponse:
        status: int | str
        if self.asgi:
            scope, status, headers, chunks, context = self._send_asgi(sent)
            # The request as erlen's ASGI adapter saw it.
            environ = _asgi.build_environ(scope, io.BytesIO(sent.body))
        else:
            environ = sent.to_environ()
            status, headers, chunks, context = self._send_wsgi(environ)
        if self._preserving and context is not None:  # None: answered before a context existed
            # Pushed again in the test's own thread, so `request`, `session`
            # and `g` keep answering until the next request or the end of `with`.
            self._kept.append((context, _cv.set(context)))
        response = self.response_wrapper(None, status, Headers(headers))
        response.response = [b"".join(chunks)]  # keep the app's own Content-Length (HEAD!)
        response.chunks = tuple(chunk for chunk in chunks if chunk)
        response._sent = outgoing
        response.request = self.app.request_class(environ, self.app.config)
        if self.use_cookies:
            self._cookies.store(response.headers.getlist("Set-Cookie"), sent.server_name)
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

    def _open_as(
        self, method: str, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> TestResponse:
        if "method" in kwargs:
            raise TypeError(
                f"client.{method.lower()}() sends a {method} request and takes no method= "
                f"(it got {kwargs['method']!r}); call client.open(..., method=...) instead."
            )
        kwargs["method"] = method
        return self.open(*args, **kwargs)

    def get(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """Send a ``GET``: :meth:`open`'s arguments (``path``, ``base_url``, ... by position)."""
        return self._open_as("GET", args, kwargs)

    def post(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """Send a ``POST``, with :meth:`open`'s arguments."""
        return self._open_as("POST", args, kwargs)

    def put(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """Send a ``PUT``, with :meth:`open`'s arguments."""
        return self._open_as("PUT", args, kwargs)

    def patch(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """Send a ``PATCH``, with :meth:`open`'s arguments."""
        return self._open_as("PATCH", args, kwargs)

    def delete(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """Send a ``DELETE``, with :meth:`open`'s arguments."""
        return self._open_as("DELETE", args, kwargs)

    def head(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """Send a ``HEAD``, with :meth:`open`'s arguments."""
        return self._open_as("HEAD", args, kwargs)

    def options(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """Send an ``OPTIONS``, with :meth:`open`'s arguments."""
        return self._open_as("OPTIONS", args, kwargs)

    def trace(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """Send a ``TRACE``, with :meth:`open`'s arguments."""
        return self._open_as("TRACE", args, kwargs)

    def run_wsgi_app(
        self, environ: Mapping[str, t.Any], buffered: bool = False
    ) -> tuple[Iterable[bytes], str, Headers]:
        """Call the app's WSGI side with ``environ``; return ``(app_iter, status, headers)``.

        The lowest level of the client, as in Werkzeug: the client's cookies
        are added to (a copy of) the environ and the cookies the response
        sets are kept, but nothing else is done — no redirects, no response
        object, no kept context. It always goes through WSGI, on an ASGI
        client too. With ``buffered=True`` the body is read (and the app's
        iterable closed) before returning; otherwise ``app_iter`` is read
        lazily, and the test should call its ``close()`` when done.
        """
        environ = dict(environ)
        host = split_host(
            str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "localhost")
        )[0]
        if self.use_cookies:
            path = str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))
            https = environ.get("wsgi.url_scheme") == "https"
            cookies = self._cookies.header_for(host, path or "/", https)
            if cookies:
                given = environ.get("HTTP_COOKIE")
                environ["HTTP_COOKIE"] = f"{given}; {cookies}" if given else cookies
        started: list[tuple[str, list[tuple[str, str]]]] = []
        written: list[bytes] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
        ) -> t.Callable[[bytes], None]:
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [(status, headers)]
            return written.append

        result = self.application(environ, start_response)
        close = getattr(result, "close", None)
        app_iter: Iterable[bytes]
        if buffered:
            try:
                for chunk in result:
                    written.append(chunk)
            finally:
                if close is not None:
                    close()
            app_iter = written
        else:
            rest = iter(result)
            # The app may call start_response only when its body starts.
            while not started:
                try:
                    written.append(next(rest))
                except StopIteration:
                    break
            app_iter = _ClosingIterator(itertools.chain(written, rest), close)
        if not started:
            raise AssertionError(
                f"The app returned its response to {environ.get('REQUEST_METHOD', 'GET')} "
                f"{environ.get('PATH_INFO', '/')} without calling start_response; a WSGI app "
                "must call it before (or while) giving its body."
            )
        status, header_list = started[0]
        headers = Headers(header_list)
        if self.use_cookies:
            self._cookies.store(headers.getlist("Set-Cookie"), host)
        return app_iter, status, headers

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
        builder = EnvironBuilder(
            self.app,
            path,
            base_url=self.defaults.get("base_url"),
            query_string=query_string,
            headers=[
                *Headers(headers if headers is not None else self.defaults.get("headers") or ()),
                *extra,
            ],
            environ_base=self.defaults.get("environ_base"),
            environ_overrides=self.defaults.get("environ_overrides"),
        )
        outgoing = self._add_cookies(builder._outgoing(self.environ_base))
        scope = outgoing.to_scope("websocket")
        scope["subprotocols"] = list(subprotocols or ())
        if http_response_extension:
            scope["extensions"]["websocket.http.response"] = {}
        if self._state is not None:
            scope["state"] = dict(self._state)
        host = outgoing.server_name

        def store_cookies(headers: Headers) -> None:
            if self.use_cookies:
                self._cookies.store(headers.getlist("Set-Cookie"), host)

        return WebSocketSession(
            self.asgi_application,
            scope,
            self.timeout if timeout is None else timeout,
            store_cookies,
        )

    # -- lifespan and cleanup ------------------------------------------------

    def __enter__(self: _C) -> _C:
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
        return f"<{type(self).__name__} ({kind}) for {self.app!r}>"


#: Flask's ``FlaskClient``, under erlen's name: subclass it and set
#: ``app.test_client_class`` to give every test client more defaults.
ErlenClient = Client


class _ClosingIterator:
    """The body ``run_wsgi_app`` returns unbuffered: read lazily, closed with the app's ``close``."""

    def __init__(self, iterator: Iterator[bytes], close: Callable[[], t.Any] | None) -> None:
        self._iterator = iterator
        self._close = close

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return next(self._iterator)

    def close(self) -> None:
        if self._close is not None:
            close, self._close = self._close, None
            close()


def _version() -> str:
    from .. import __version__

    return __version__


def _no_session(app: Erlen, interface: SessionInterface) -> str:
    """Say why ``session_transaction()`` got no session, and what to do."""
    what = (
        f"session_transaction() found no session to open: "
        f"{type(interface).__name__}.open_session() returned None."
    )
    if not app.secret_key:
        return (
            f"{what} The app has no secret key, and without one the session cookie "
            "cannot be signed. Set app.secret_key (or SECRET_KEY in the config) before "
            "the test uses the session."
        )
    return (
        f"{what} The app's session interface did not open a session for this request; "
        "check its open_session() (it should return a session object, not None)."
    )
