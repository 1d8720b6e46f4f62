"""Contexts and the ``request``, ``g``, ``current_app`` and ``session`` proxies.

One :class:`~contextvars.ContextVar` holds the current context. Threads and
asyncio tasks each see their own value, so the proxies are right under any
server. An :class:`AppContext` carries the app and ``g``; a
:class:`RequestContext` adds the request and the session.
"""

from __future__ import annotations

import functools
import typing as t
from collections.abc import Callable, Iterator
from contextvars import ContextVar

if t.TYPE_CHECKING:
    import asyncio

    from .app import Erlen
    from .request import Request
    from .response import Response
    from .websockets import WebSocket


__all__ = [
    "AppContext",
    "RequestContext",
    "request",
    "g",
    "current_app",
    "session",
    "websocket",
    "has_request_context",
    "has_app_context",
    "after_this_request",
    "copy_current_request_context",
]

F = t.TypeVar("F", bound=Callable[..., t.Any])

_cv: ContextVar[AppContext] = ContextVar("erlen.context")
# perf: the bound methods, for the adapters: a global read, where ``_cv.set``
# is an attribute lookup Python 3.11 does not specialize.
_set_context = _cv.set
_reset_context = _cv.reset

#: :mod:`erlen.signals`, once a receiver has been connected to one of its
#: signals; empty until then. Every place that sends a signal tests this
#: list first: while nobody has connected, that one truthiness test is all
#: signals cost, and blinker is never imported. (A list, filled in place,
#: so modules that imported it see the change; it is never emptied again, so
#: reading ``_signals[0]`` after the test cannot race a disconnect.)
_signals: list[t.Any] = []

#: Whether a test client ever sent a request inside a context the test pushed
#: for the same app (``with app.app_context(): client.get(...)``); ``_outer``
#: is that context while the request runs. As in Flask, the request then
#: shares the outer context's ``g``. Until a test client does so, this empty
#: list is all the sharing costs a request, and only when it first uses ``g``.
_sharing: list[bool] = []
_outer: ContextVar[AppContext | None] = ContextVar("erlen.outer_context", default=None)

_NO_APP = (
    "Working outside of application context. This code needs the app (current_app, "
    "g, url_for ...), but no app context is active. Inside a view or a hook one is "
    "set up for you; elsewhere, wrap the code in 'with app.app_context():'."
)
_NO_REQUEST = (
    "Working outside of request context. This code reads the current request "
    "(request, session ...), but no request is being handled. Inside a view or a "
    "hook one is set up for you; in a test or a script, use "
    "'with app.test_request_context():' or the test client."
)


class _AppCtxGlobals:
    """``g``: a namespace for data that lives as long as one context."""

    def get(self, name: str, default: t.Any = None) -> t.Any:
        return self.__dict__.get(name, default)

    def pop(self, name: str, *default: t.Any) -> t.Any:
        return self.__dict__.pop(name, *default)

    def setdefault(self, name: str, default: t.Any = None) -> t.Any:
        return self.__dict__.setdefault(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self.__dict__

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        return f"<erlen.g of {_cv.get().app.name!r}>" if _cv.get(None) else object.__repr__(self)


class AppContext:
    """The app context: makes ``current_app`` and ``g`` point at ``app``."""

    request: Request | None = None
    websocket: WebSocket | None = None
    _g: _AppCtxGlobals | None = None
    _tokens: list[t.Any] | None = None
    #: Under ASGI: the server's event loop, where coroutines from worker threads run.
    loop: asyncio.AbstractEventLoop | None = None
    #: Whether the request cycle runs on that loop (an ``async def`` view):
    #: the ASGI adapter sets it once it knows the view.
    on_loop = False

    def __init__(self, app: Erlen) -> None:
        self.app = app

    @property
    def g(self) -> _AppCtxGlobals:
        """This context's ``g``, made on first use."""
        # perf: most requests never touch g, so it is not built for them.
        g = self._g
        if g is None:
            if _sharing and self.request is not None:
                outer = _outer.get()
                if outer is not None and outer.app is self.app:
                    g = self._g = outer.g
                    return g
            g = self._g = self.app.app_ctx_globals_class()
        return g

    def push(self) -> None:
        """Make this context the current one (``appcontext_pushed`` is sent)."""
        if self._tokens is None:
            self._tokens = []
        self._tokens.append(_cv.set(self))
        if _signals:
            signals = _signals[0]
            try:
                signals._send(signals.appcontext_pushed, self.app)
            except BaseException:
                # A receiver refused: leave no half-pushed context behind.
                _cv.reset(self._tokens.pop())
                raise

    def pop(self, exc: BaseException | None = None) -> None:
        """End this context: teardown on the last pop, then ``appcontext_popped``."""
        try:
            if self._tokens is not None and len(self._tokens) == 1:
                self.teardown(exc)
        finally:
            if not self._tokens:
                raise RuntimeError("This context was popped more often than it was pushed.")
            _cv.reset(self._tokens.pop())
        if _signals:
            signals = _signals[0]
            signals._send(signals.appcontext_popped, self.app)

    def teardown(self, exc: BaseException | None) -> None:
        """Call the app's ``teardown_appcontext`` functions with ``exc``."""
        self.app.do_teardown_appcontext(exc)

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(self, exc_type: t.Any, exc: BaseException | None, tb: t.Any) -> None:
        self.pop(exc)


class RequestContext(AppContext):
    """The request context: ``request`` and ``session`` too."""

    _after_request_functions: list[Callable[[Response], Response]] | None = None
    _session: t.Any = None
    #: The flashed messages of this request, once read from the session.
    flashes: list[tuple[str, t.Any]] | None = None
    #: An error answered with a 500: teardown functions still get to see it.
    error: BaseException | None = None
    #: Whether ``appcontext_pushed`` was sent for this request as it started
    #: (the adapters set the context without ``push()``); if so, its end
    #: sends ``appcontext_popped``.
    signalled = False
    #: Whether the request's teardown has run (under ASGI it may run on the
    #: worker thread, before the body is sent).
    ended = False
    #: Under ASGI: the request's worker thread, once it needed one.
    lane: t.Any = None

    def __init__(
        self,
        app: Erlen,
        environ: dict[str, t.Any] | None = None,
        request: Request | None = None,
        session: t.Any = None,
    ) -> None:
        # The adapters do not come through here: they set app and request
        # on a bare instance, a Python call cheaper per request.
        if request is None:
            if environ is None:
                raise TypeError(
                    "RequestContext needs the request: pass a WSGI environ or request=. "
                    "For a made-up request use app.test_request_context()."
                )
            request = app.request_class(environ, app.config)
        self.app = app
        self.request = request
        if session is not None:
            self._session = session

    def copy(self) -> RequestContext:
        """A context for the same request and session, to push in another thread or task.

        :func:`~erlen.copy_current_request_context` uses it.
        """
        copied = RequestContext(self.app, request=self.request, session=self._session)
        copied.loop = self.loop
        return copied

    def match_request(self) -> None:
        """Match the request against the app's rules; a miss is kept as ``request.routing_exception``."""
        self.app.match_request(t.cast("Request", self.request))

    @property
    def session(self) -> t.Any:
        """The session, opened on first use."""
        session = self._session
        if session is None:
            session = self._session = self.app._open_session(self)
        return session

    def needs_teardown(self) -> bool:
        """Whether ending this request has work to do: teardown hooks, files, signals."""
        app = self.app
        # perf: the global _signals, not self.signalled: a class attribute read
        # through an instance costs Python 3.11 four times as much.
        if app.teardown_request_funcs or app.teardown_appcontext_funcs or _signals:
            return True
        request = self.request
        # perf: the files (empty after a form without any) as they are, no bool() call.
        return request is not None and request.__dict__.get("files")  # type: ignore[return-value]

    def teardown(self, exc: BaseException | None) -> None:
        """End the request: teardown functions (given ``exc``), then close its files.

        For a request whose start was signalled, ``appcontext_popped`` comes
        last; like a teardown function, a receiver that fails is logged.
        """
        if exc is None:
            exc = self.error
        try:
            self.app.do_teardown_request(exc)
        finally:
            try:
                # A test-client request inside a context the test pushed for
                # the same app ends with that context still open, as in Flask:
                # its teardown_appcontext functions (Flask-SQLAlchemy's
                # session.remove()) wait for the test's own context to end.
                if not (_sharing and _shares_outer(self.app)):
                    self.app.do_teardown_appcontext(exc)
            finally:
                self.request.close()  # type: ignore[union-attr]
        if self.signalled:
            signals = _signals[0]
            self.app._send_at_teardown(signals.appcontext_popped)


def _current() -> AppContext:
    context = _cv.get(None)
    if context is None:
        raise RuntimeError(_NO_APP)
    return context


def _shares_outer(app: Erlen) -> bool:
    """Whether this request runs inside a context the test pushed for ``app``."""
    outer = _outer.get()
    return outer is not None and outer.app is app


def _current_app_context() -> AppContext:
    """What ``flask.globals.app_ctx`` stands for: the current app context.

    A test-client request inside a context the test pushed for the same app
    (``with app.app_context(): client.get(...)``) stands for that outer
    context, as in Flask, where such a request reuses it: extensions that
    key state on the context object (Flask-SQLAlchemy's session) see the
    test's.
    """
    context = _current()
    if _sharing and context.request is not None and _shares_outer(context.app):
        return t.cast("AppContext", _outer.get())
    return context


def _current_request() -> Request | None:
    """The request being handled here, or ``None`` (no context, or an app context only)."""
    context = _cv.get(None)
    return None if context is None else context.request


def _current_request_context() -> RequestContext:
    context = _cv.get(None)
    if context is None or context.request is None:
        raise RuntimeError(_NO_REQUEST)
    return t.cast(RequestContext, context)


class _Proxy:
    """Forward everything to the object the current context holds."""

    __slots__ = ("_erlen_find", "__wrapped__")

    def __init__(self, find: Callable[[], t.Any], name: str) -> None:
        object.__setattr__(self, "_erlen_find", find)
        object.__setattr__(self, "__wrapped__", name)

    def __getattribute__(self, name: str) -> t.Any:
        # perf: one slot read and one call per attribute, no __getattr__ miss.
        if name == "_get_current_object":
            return _find_slot.__get__(self)
        try:
            target = _find_slot.__get__(self)()
        except RuntimeError:
            if name == "__class__":
                # isinstance(request, X) outside a request is simply False.
                return type(self)
            if name == "__wrapped__":
                # inspect.unwrap() and doctest's finder (pytest --doctest-modules
                # over a module that imports current_app) ask every global.
                return _wrapped_slot.__get__(self)
            raise
        return getattr(target, name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        setattr(_find_slot.__get__(self)(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_find_slot.__get__(self)(), name)

    def __repr__(self) -> str:
        try:
            return repr(_find_slot.__get__(self)())
        except RuntimeError:
            return f"<unbound proxy {_wrapped_slot.__get__(self)}>"

    def __str__(self) -> str:
        return str(_find_slot.__get__(self)())

    def __bool__(self) -> bool:
        try:
            return bool(_find_slot.__get__(self)())
        except RuntimeError:
            return False

    def __eq__(self, other: object) -> bool:
        return bool(_find_slot.__get__(self)() == other)

    def __ne__(self, other: object) -> bool:
        return bool(_find_slot.__get__(self)() != other)

    def __hash__(self) -> int:
        return hash(_find_slot.__get__(self)())

    def __contains__(self, item: object) -> bool:
        return item in _find_slot.__get__(self)()

    def __iter__(self) -> Iterator[t.Any]:
        return iter(_find_slot.__get__(self)())

    def __len__(self) -> int:
        return len(_find_slot.__get__(self)())

    def __getitem__(self, key: t.Any) -> t.Any:
        return _find_slot.__get__(self)()[key]

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        _find_slot.__get__(self)()[key] = value

    def __delitem__(self, key: t.Any) -> None:
        del _find_slot.__get__(self)()[key]

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return _find_slot.__get__(self)()(*args, **kwargs)

    def __aiter__(self) -> t.Any:
        # `async for message in websocket`: special methods are looked up on the type.
        return _find_slot.__get__(self)().__aiter__()


_find_slot = _Proxy.__dict__["_erlen_find"]
_wrapped_slot = _Proxy.__dict__["__wrapped__"]


def _find_request() -> Request:
    # perf: inlined; every `request.x` in a view goes through here.
    context = _cv.get(None)
    if context is not None:
        request = context.request
        if request is not None:
            return request
    raise RuntimeError(_NO_REQUEST)


def _find_websocket() -> WebSocket:
    context = _cv.get(None)
    if context is None or context.websocket is None:
        raise RuntimeError(
            "Working outside of a WebSocket context. 'websocket' is only bound inside a "
            "WebSocket handler (@app.websocket) and its before_websocket hooks."
        )
    return context.websocket


def _find_session() -> t.Any:
    return _current_request_context().session


def _find_g() -> _AppCtxGlobals:
    context = _cv.get(None)
    if context is None:
        raise RuntimeError(_NO_APP)
    return context.g


def _find_app() -> Erlen:
    return _current().app


_context_of = _cv.get


class _RequestProxy(_Proxy):
    __slots__ = ()

    def __getattribute__(self, name: str) -> t.Any:
        # perf: the context lookup is inlined: one Python call per attribute.
        context = _context_of(None)
        if context is not None and name != "_get_current_object":
            found = context.request
            if found is not None:
                return getattr(found, name)
        return _Proxy.__getattribute__(self, name)


class _GProxy(_Proxy):
    __slots__ = ()

    def __getattribute__(self, name: str) -> t.Any:
        context = _context_of(None)
        if context is not None and name != "_get_current_object":
            return getattr(context._g or context.g, name)
        return _Proxy.__getattribute__(self, name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        context = _context_of(None)
        if context is None:
            raise RuntimeError(_NO_APP)
        setattr(context._g or context.g, name, value)


class _AppProxy(_Proxy):
    __slots__ = ()

    def __getattribute__(self, name: str) -> t.Any:
        context = _context_of(None)
        if context is not None and name != "_get_current_object":
            return getattr(context.app, name)
        return _Proxy.__getattribute__(self, name)


request: Request = t.cast("Request", _RequestProxy(_find_request, "request"))
session: t.Any = _Proxy(_find_session, "session")
g: _AppCtxGlobals = t.cast(_AppCtxGlobals, _GProxy(_find_g, "g"))
current_app: Erlen = t.cast("Erlen", _AppProxy(_find_app, "current_app"))
websocket: WebSocket = t.cast("WebSocket", _Proxy(_find_websocket, "websocket"))


def has_request_context() -> bool:
    """Whether a request is being handled in this thread or task."""
    context = _cv.get(None)
    return context is not None and context.request is not None


def has_app_context() -> bool:
    """Whether an app context is active."""
    return _cv.get(None) is not None


def after_this_request(f: Callable[[Response], Response]) -> Callable[[Response], Response]:
    """Run ``f`` on the response of the current request only."""
    context = _current_request_context()
    if context._after_request_functions is None:
        context._after_request_functions = []
    context._after_request_functions.append(f)
    return f


def copy_current_request_context(f: F) -> F:
    """Let ``f`` run with the current request's context, later, in another thread or task.

    Decorate a function inside a view; when it is called (in a thread, a
    greenlet, a task), ``request``, ``session`` and ``g`` are those of the
    request that decorated it::

        import threading

        @app.post("/signup")
        def signup():
            @copy_current_request_context
            def send_mail():
                mail.send(to=request.form["email"])

            threading.Thread(target=send_mail).start()
            return "Check your inbox"
    """
    context = _cv.get(None)
    if context is None or context.request is None:
        raise RuntimeError(
            "copy_current_request_context() decorates a function while a request is "
            "being handled, to run it later with that request. Use it inside a view or "
            "a hook, or inside app.test_request_context()."
        )
    copied = t.cast(RequestContext, context).copy()

    @functools.wraps(f)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        token = _cv.set(copied)
        try:
            return f(*args, **kwargs)
        finally:
            _cv.reset(token)

    return t.cast(F, wrapper)
