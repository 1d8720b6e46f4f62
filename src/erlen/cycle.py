"""The request cycle: one request in, one response out, no IO.

:class:`RequestCycle` is the half of :class:`~erlen.Erlen` that serves
requests; :mod:`erlen.app` holds the other half, registration. The cycle:
check the host, route, ``before_request`` hooks, the view (sync, or
awaited), its return value made a :class:`~erlen.Response`,
``after_request`` hooks, the session saved; errors go to the matching
error handler, else to a default error page. The adapters in
:mod:`erlen.serving` push the context, call :meth:`RequestCycle.handle`
(or await :meth:`RequestCycle.handle_async`) and write what it returns.

The cycle is written twice, as ``handle`` and ``handle_async``: driving
the async twin from sync code costs a fifth of a WSGI request. Every step
lives in helpers both call, and ``tests/test_cycle.py`` holds the two
skeletons to the same steps in the same order.
"""

from __future__ import annotations

import sys
import typing as t
from collections.abc import Callable, Iterator
from types import CoroutineType, GeneratorType

from .csrf import SAFE_METHODS, CrossOriginRequestRefused, check_request, check_websocket
from .ctx import RequestContext, _current_request, _cv, _signals
from .http.exceptions import (
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    UpgradeRequired,
    from_werkzeug,
)
from .http.headers import Headers
from .http.hosts import check_host
from .request import Request
from .response import Response, _fix_headers, response_of_bytes
from .routing import RequestRedirect, Router, Rule
from .scaffold import Scaffold, _describe
from .serving.concurrency import drive as _drive
from .serving.concurrency import run_coroutine as _run_coroutine

if t.TYPE_CHECKING:
    import logging

    from .config import Config
    from .json.provider import JSONProvider
    from .sessions import SessionInterface

__all__ = ["RequestCycle"]

_JSON_TYPE = "application/json"
_INVALID_PATH = (
    "The URL path is not valid UTF-8. Percent-encode the path as UTF-8 bytes (for example "
    "%C3%A9 for 'é')."
)
_HTML_TYPE = "text/html; charset=utf-8"
#: What routing raises when no rule takes a request. As in Flask, where the
#: error waits for dispatch, the before_request hooks still run first and may
#: answer instead (Flask-Talisman redirects http:// to https:// for any path).
_ROUTING_MISSES = (NotFound, MethodNotAllowed, RequestRedirect)


class RequestCycle(Scaffold):
    """The request cycle of :class:`~erlen.Erlen`: routing, hooks, views, errors."""

    # Set up by Erlen; declared here for the type checker.
    config: Config
    url_map: Router
    request_class: type[Request]
    response_class: type[Response]
    json: JSONProvider
    teardown_appcontext_funcs: list[Callable[..., t.Any]]
    _async_views: dict[Callable[..., t.Any], bool]

    if t.TYPE_CHECKING:

        @property
        def debug(self) -> bool: ...

        @property
        def testing(self) -> bool: ...

        @property
        def logger(self) -> logging.Logger: ...

        @property
        def session_interface(self) -> SessionInterface: ...

        def log_exception(self, exc_info: t.Any) -> None: ...

        def do_teardown_request(self, error: BaseException | None = None) -> None: ...

    # -- the request cycle -----------------------------------------------

    def handle(self, request: Request, context: RequestContext) -> Response:
        """Turn a request into a response: route, hooks, view, errors.

        This is the cycle for WSGI, and for a plain ``def`` view under ASGI
        (in a worker thread). :meth:`handle_async` is its twin for an
        ``async def`` view on the event loop: the same steps, with the view,
        hooks and handlers awaited. Every step lives in the helpers both
        call (``_route`` first); only this skeleton is written twice,
        because driving the async twin from sync code costs a fifth of a
        WSGI request.
        """
        try:
            try:
                if _signals:
                    _drive(self._signal_start(context, False))
                try:
                    rule, args = self._route(request)
                except _ROUTING_MISSES:
                    if self.before_request_funcs:
                        value = _drive(self._preprocess(request, False))
                        if value is not None:
                            response = self.make_response(value)
                            return _drive(self._process_response(response, context))
                    raise
                if self.before_request_funcs or self.url_value_preprocessors:
                    value = _drive(self._preprocess(request, False))
                    if value is not None:
                        response = self.make_response(value)
                        return _drive(self._process_response(response, context))
                if request.method == "OPTIONS" and rule.provide_automatic_options:
                    response = self._options_response(request)
                    return _drive(self._process_response(response, context))
                value = self.view_functions[rule.endpoint](**args)  # type: ignore[index]
                if value.__class__ is CoroutineType:
                    value = _run_coroutine(value)
                response = self.make_response(value)
            except Exception as error:  # noqa: BLE001 - handlers decide
                response = _drive(self._answer_user_error(error, request, False))
            if (
                self.after_request_funcs
                or context._after_request_functions
                or context._session is not None
                or _signals
            ):
                response = _drive(self._process_response(response, context))
            return response
        except Exception as error:  # noqa: BLE001 - last resort: a 500
            return _drive(self._answer_server_error(error, request, False))

    async def handle_async(self, request: Request, context: RequestContext) -> Response:
        """Turn a request into a response, awaiting the view, hooks and handlers.

        The ASGI adapter awaits this for an ``async def`` view, on the
        server's event loop; see :meth:`handle`, its sync twin.
        """
        try:
            try:
                if _signals:
                    await self._signal_start(context, True)
                try:
                    rule, args = self._route(request)
                except _ROUTING_MISSES:
                    if self.before_request_funcs:
                        value = await self._preprocess(request, True)
                        if value is not None:
                            response = self.make_response(value)
                            return await self._process_response(response, context)
                    raise
                if self.before_request_funcs or self.url_value_preprocessors:
                    value = await self._preprocess(request, True)
                    if value is not None:
                        response = self.make_response(value)
                        return await self._process_response(response, context)
                if request.method == "OPTIONS" and rule.provide_automatic_options:
                    response = self._options_response(request)
                    return await self._process_response(response, context)
                value = self.view_functions[rule.endpoint](**args)  # type: ignore[index]
                if value.__class__ is CoroutineType:
                    value = await value
                response = self.make_response(value)
            except Exception as error:  # noqa: BLE001 - handlers decide
                response = await self._answer_user_error(error, request, True)
            if (
                self.after_request_funcs
                or context._after_request_functions
                or context._session is not None
                or _signals
            ):
                response = await self._process_response(response, context)
            return response
        except Exception as error:  # noqa: BLE001 - last resort: a 500
            return await self._answer_server_error(error, request, True)

    async def _signal_start(self, context: RequestContext, on_loop: bool) -> None:
        """Send ``appcontext_pushed`` and ``request_started``: the request starts.

        The adapters set the request's context without :meth:`AppContext.push`,
        so its ``appcontext_pushed`` is sent here, in the thread (or on the
        loop) where the request's code runs; the context's teardown sends
        ``appcontext_popped``.
        """
        signals = _signals[0]
        context.signalled = True
        await signals._dispatch(signals.appcontext_pushed, self, on_loop)
        await signals._dispatch(signals.request_started, self, on_loop)

    def _route(self, request: Request, websocket: bool = False) -> tuple[Rule, dict[str, t.Any]]:
        """The checks and routing every request and handshake starts with; raise to refuse."""
        trusted = self.config["TRUSTED_HOSTS"]
        if trusted is not None:
            check_host(request, trusted)
        rule = request.url_rule
        if rule is None:
            if request._invalid_path:
                raise BadRequest(_INVALID_PATH)
            url_map = self.url_map
            if url_map.host_aware:  # perf: a flag set at setup; most apps skip the host
                rule, args = url_map.match_request(request, self.config["SERVER_NAME"], websocket)
            else:
                rule, args = url_map.match(request.method, request.path, websocket)
            request.url_rule = rule
            request.view_args = args
        else:
            args = request.view_args  # type: ignore[assignment]
        if websocket:
            if self.config["CSRF_PROTECTION"]:
                self._check_handshake(request, rule)
        elif (
            request.method not in SAFE_METHODS
            # perf: the ASGI adapter saw no browser header in the body's headers
            and request.__dict__.get("_from_browser") is not False
            and self.config["CSRF_PROTECTION"]
        ):
            check_request(self, request)  # type: ignore[arg-type]  # self is the Erlen
        return rule, args

    def _check_handshake(self, request: Request, rule: Rule) -> None:
        try:
            check_websocket(self, request, self.view_functions.get(rule.endpoint))  # type: ignore[arg-type]
        except CrossOriginRequestRefused as refused:
            # Not an error of the app's: one line, no traceback, as for a bad message.
            self.logger.info("WebSocket %s refused: %s", request.path, refused.description)
            raise

    def match_request(
        self, request: Request, websocket: bool = False
    ) -> Callable[..., t.Any] | None:
        """Route ``request`` ahead of :meth:`handle`; return its view, or ``None`` on a miss.

        The ASGI adapter calls this to learn whether the view is ``async def``
        before it decides where to run the request. A miss leaves the error
        for :meth:`handle` to raise and answer.
        """
        if request._invalid_path:
            return None
        url_map = self.url_map
        try:
            if url_map.host_aware:  # perf: a flag set at setup; most apps skip the host
                rule, args = url_map.match_request(request, self.config["SERVER_NAME"], websocket)
            else:
                rule, args = url_map.match(request.method, request.path, websocket)
        except HTTPException as error:
            request.routing_exception = error
            return None
        request.url_rule = rule
        request.view_args = args
        return self.view_functions.get(rule.endpoint)  # type: ignore[arg-type]

    def preprocess_request(self, request: Request) -> t.Any:
        """Run URL value preprocessors, then ``before_request`` hooks.

        The app's run first, then each blueprint's from the outermost in.
        The first hook to return a value ends the request with it.
        """
        return _drive(self._preprocess(request, False))

    async def _preprocess(
        self, request: Request, on_loop: bool, hooks: dict[str | None, list[t.Any]] | None = None
    ) -> t.Any:
        names = _scopes(request)[::-1]
        if self.url_value_preprocessors:
            for name in names:
                for preprocessor in self.url_value_preprocessors.get(name, ()):
                    preprocessor(request.endpoint, request.view_args)
        if hooks is None:
            hooks = self.before_request_funcs
        off_loop = on_loop and self.config.get("ASGI_HOOKS_IN_THREAD")
        for name in names:
            for function in hooks.get(name, ()):
                value = (await _in_thread(function)) if off_loop else function()
                if value.__class__ is CoroutineType:
                    value = (await value) if on_loop else _run_coroutine(value)
                if value is not None:
                    return value
        return None

    def process_response(self, response: Response, context: RequestContext) -> Response:
        """Run ``after_request`` hooks (latest first) and save the session.

        Then ``request_finished`` is sent with the response, as in Flask.
        """
        return _drive(self._process_response(response, context))

    async def _process_response(self, response: Response, context: RequestContext) -> Response:
        functions: list[Callable[[Response], Response]] = []
        if context._after_request_functions:
            functions.extend(context._after_request_functions)
        request = context.request
        for name in _scopes(request):
            functions.extend(reversed(self.after_request_funcs.get(name, ())))
        off_loop = context.on_loop and self.config.get("ASGI_HOOKS_IN_THREAD")
        for function in functions:
            result: t.Any = (
                (await _in_thread(function, response)) if off_loop else function(response)
            )
            if result.__class__ is CoroutineType:
                result = (await result) if context.on_loop else _run_coroutine(result)
            if result is None:
                raise TypeError(
                    f"The after_request function {_describe(function)} returned None. "
                    "It must return the response it was given (or a new one)."
                )
            response = result
        if functions and response.headers.__class__ is not Headers:
            _fix_headers(response)  # a hook assigned a dict or Werkzeug's headers
        if context._session is not None:
            self._save_session(context, response)
        if _signals:
            signals = _signals[0]
            await signals._dispatch(
                signals.request_finished, self, context.on_loop, response=response
            )
        return response

    def _options_response(self, request: Request) -> Response:
        response = self.response_class()
        url_map = self.url_map
        if url_map.host_aware:
            allowed = url_map.allowed_methods_for(request, self.config["SERVER_NAME"])
        else:
            allowed = url_map.allowed_methods(request.path)
        response.headers.set("Allow", ", ".join(sorted(allowed)))
        return response

    def make_response(self, rv: t.Any) -> Response:
        """Turn a view's return value (``rv``) into a :class:`Response`.

        Accepts ``str``/``bytes``, a ``dict`` or ``list`` (JSON), a generator
        (streamed), a :class:`Response`, or a tuple ``(body, status)``,
        ``(body, headers)`` or ``(body, status, headers)``.
        """
        cls = rv.__class__
        # perf: the common returns are tested by exact type first, and built
        # without the general constructor when response_class keeps its own.
        # (``is Response`` first: a class attribute of a class is a slow read.)
        response_class = self.response_class
        if cls is response_class and rv.headers.__class__ is Headers:
            return rv  # type: ignore[no-any-return]  # perf: a typed view's usual answer
        if response_class is Response or response_class._own_init:
            if cls is str:
                return response_of_bytes(response_class, rv.encode(), _HTML_TYPE)
            if cls is bytes:
                return response_of_bytes(response_class, rv, _HTML_TYPE)
            if cls is dict or cls is list:
                encode = self.json._response_body  # perf: None unless app.json's defaults
                if encode is not None:
                    return response_of_bytes(response_class, encode(rv), _JSON_TYPE)
        status = headers = None
        if cls is tuple:
            if len(rv) == 3:
                rv, status, headers = rv
            elif len(rv) == 2:
                rv, second = rv
                if isinstance(second, (Headers, dict, list)):
                    headers = second
                else:
                    status = second
            else:
                raise TypeError(
                    f"The view function returned a tuple of {len(rv)} items. A tuple must be "
                    "(body, status), (body, headers) or (body, status, headers)."
                )
        if rv is None:
            raise TypeError(
                f"The view function for {_current_endpoint()!r} did not return a valid response: "
                "it returned None, or ended without a return statement. Return a string, a "
                "dict, a tuple or a Response."
            )
        if isinstance(rv, Response):
            response = rv
            if response.headers.__class__ is not Headers:
                _fix_headers(response)  # the view assigned a dict or Werkzeug's headers
        elif isinstance(rv, (str, bytes, bytearray)):
            response = self.response_class(rv, status, headers)
            return response
        elif isinstance(rv, (dict, list)):
            response = self.json.response(rv)
        elif isinstance(rv, (GeneratorType, Iterator)) or hasattr(rv, "__aiter__"):
            response = self.response_class(rv, status, headers)
            return response
        elif isinstance(rv, HTTPException):
            response = rv.get_response(_current_request())
        elif (converted := _from_werkzeug_response(self.response_class, rv)) is not None:
            response = converted
        elif (error := from_werkzeug(rv, request := _current_request())) is not None:
            response = error.get_response(request)  # a handler's `return e`
        else:
            raise TypeError(
                f"The view function for {_current_endpoint()!r} returned a "
                f"{type(rv).__name__}, which erlen cannot send. Return a string, a dict "
                "or list (sent as JSON), a generator (streamed), a tuple or a Response."
            )
        if status is not None:
            response.status = status
        if headers:
            _merge_headers(response.headers, headers)
        return response

    def _find_error_handler(
        self, error: BaseException, request: Request | None, original: BaseException | None = None
    ) -> Callable[..., t.Any] | None:
        spec = self.error_handler_spec
        if not spec:
            return None
        code = error.code if isinstance(error, HTTPException) else None
        for name in _scopes(request):
            handlers = spec.get(name)
            if not handlers:
                continue
            if original is not None:
                # A handler for an extension's own subclass of a Werkzeug
                # error (RateLimitExceeded) comes before the one for its code.
                for cls in type(original).__mro__:
                    if cls.__module__.startswith("werkzeug."):
                        break
                    if cls in handlers:
                        return handlers[cls]
            if code is not None and code in handlers:
                return handlers[code]
            for cls in type(error).__mro__:
                if cls in handlers:
                    return handlers[cls]
        return None

    def handle_user_exception(self, e: Exception) -> Response:
        """Answer an error raised while handling the current request, or re-raise it."""
        return _drive(self._handle_user_exception(e, _request_for("handle_user_exception"), False))

    async def _handle_user_exception(
        self, error: Exception, request: Request, on_loop: bool
    ) -> Response:
        original = None
        if not isinstance(error, HTTPException):
            # Werkzeug's errors (Flask code, extensions) are answered as erlen's
            # of their code; their handlers get the error that was raised.
            converted = from_werkzeug(error, request)
            if converted is not None:
                original, error = error, converted
        if isinstance(error, HTTPException):
            if isinstance(error, RequestRedirect):
                error.new_url = _safe_redirect_target(request, error.new_path)
            if self.trap_http_exception(error):
                # Trapped: only a handler for the error itself answers it;
                # otherwise it is raised as any other error would be.
                handler = self._find_error_handler(error, request, original)
                if handler is None:
                    raise error if original is None else original
                return await self._call_handler(
                    handler, error if original is None else original, on_loop
                )
        handler = self._find_error_handler(error, request, original)
        if handler is None:
            if isinstance(error, HTTPException):
                if error.code == 404 and self.debug and error.response is None:
                    from .dev.notfound import not_found_page

                    return not_found_page(self, request, error)  # type: ignore[arg-type]  # self is the Erlen
                if isinstance(error, UpgradeRequired):
                    problem = error.handshake_problem(request)
                    if problem is not None:
                        self.logger.warning("%s", problem)
                response = error.get_response(request)
                if response.headers.__class__ is not Headers:
                    _fix_headers(response)  # abort(response) with headers made elsewhere
                return response
            raise error
        return await self._call_handler(handler, error if original is None else original, on_loop)

    async def _call_handler(
        self, handler: Callable[..., t.Any], error: BaseException, on_loop: bool
    ) -> Response:
        value = handler(error)
        if value.__class__ is CoroutineType:
            value = (await value) if on_loop else _run_coroutine(value)
        return self.make_response(value)

    def trap_http_exception(self, e: Exception) -> bool:
        """Whether the HTTP error ``e`` is raised rather than answered with its page.

        ``TRAP_HTTP_EXCEPTIONS`` traps every HTTP error;
        ``TRAP_BAD_REQUEST_ERRORS`` traps 400s, and when it is left at
        ``None``, debug mode traps a missing form or query key
        (:class:`~erlen.exceptions.BadRequestKeyError`), so the debug page
        names the key. A trapped error still goes to a handler registered
        for it; without one it is an unhandled error (a 500, the debug
        page, or raised in tests).
        """
        config = self.config
        if config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = config.get("TRAP_BAD_REQUEST_ERRORS")
        if trap_bad_request is None:
            return self.debug and isinstance(e, BadRequestKeyError)
        return bool(trap_bad_request) and isinstance(e, BadRequest)

    def handle_http_exception(self, e: HTTPException) -> t.Any:
        """Answer the HTTP error ``e``: its handler's return value, or the error itself.

        The error is a response of its own (its page); a redirect raised by
        routing is returned as it is, whatever handlers say.
        """
        if isinstance(e, RequestRedirect):
            return e
        handler = self._find_error_handler(e, _current_request())
        if handler is None:
            return e
        return self.ensure_sync(handler)(e)

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Whether teardown functions should not see ``error``; never, unless overridden."""
        return False

    def raise_routing_exception(self, request: Request) -> t.NoReturn:
        """Raise the routing error (404, 405, a slash redirect) recorded on ``request``."""
        error = request.routing_exception
        if error is None:
            raise RuntimeError(
                "raise_routing_exception() was called for a request that matched a rule; "
                "call it only when request.routing_exception is set."
            )
        raise error

    def make_default_options_response(self) -> Response:
        """The answer to an ``OPTIONS`` request: an empty 200 whose ``Allow`` lists the methods."""
        context = _cv.get(None)
        if context is None or context.request is None:
            raise RuntimeError(
                "make_default_options_response() needs the request whose methods it lists. "
                "Call it while handling a request, or inside app.test_request_context()."
            )
        return self._options_response(context.request)

    def ensure_sync(self, func: Callable[..., t.Any]) -> Callable[..., t.Any]:
        """Return ``func`` callable from sync code: an ``async def`` is wrapped to run to its end."""
        import inspect

        if inspect.iscoroutinefunction(func):
            return self.async_to_sync(func)
        return func

    def async_to_sync(
        self, func: Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]
    ) -> Callable[..., t.Any]:
        """Wrap the coroutine func ``func`` so that calling it runs it and returns its result.

        Called in a thread with no event loop running (a WSGI request, a
        sync view under ASGI), it runs the coroutine there. erlen needs no
        extra package for this, unlike Flask's ``asgiref``.
        """
        from functools import wraps

        @wraps(func)
        def run(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return _run_coroutine(func(*args, **kwargs))

        return run

    def dispatch_request(self) -> t.Any:
        """Call the view the current request matched and return what it returns.

        Routing errors are raised; ``OPTIONS`` gets the automatic answer
        when the rule provides it. Hooks, error handlers and the response
        conversion are left to :meth:`full_dispatch_request`.
        """
        request = _request_for("dispatch_request")
        if request.routing_exception is not None:
            self.raise_routing_exception(request)
        rule, args = self._route(request)
        if request.method == "OPTIONS" and rule.provide_automatic_options:
            return self.make_default_options_response()
        view = self.view_functions[rule.endpoint]  # type: ignore[index]
        return self.ensure_sync(view)(**args)

    def full_dispatch_request(self) -> Response:
        """Handle the current request whole: hooks, view, error handlers, after-request hooks."""
        request = _request_for("full_dispatch_request")
        context = t.cast(RequestContext, _cv.get(None))
        return self.handle(request, context)

    def finalize_request(self, rv: t.Any, from_error_handler: bool = False) -> Response:
        """Turn a view's return value into the response, and run the after-request hooks.

        With ``from_error_handler`` (the value came from handling an error),
        a failing after-request hook is logged rather than raised.
        """
        response = self.make_response(rv)
        context = t.cast(RequestContext, _cv.get(None))
        try:
            return self.process_response(response, context)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
        return response

    def handle_exception(self, e: Exception) -> Response:
        """Log an unhandled error once and answer 500.

        ``got_request_exception`` is sent first, and ``request_finished``
        with the 500 response, as in Flask.

        In debug mode the answer is the debug page; in tests (or with
        ``PROPAGATE_EXCEPTIONS``) the error is raised to the caller instead.
        """
        return _drive(self._handle_exception(e, _current_request(), False))

    async def _answer_user_error(
        self, error: Exception, request: Request, on_loop: bool
    ) -> Response:
        """Answer an error raised by a hook or the view, as handle_user_exception() does.

        When an app subclass or an extension (Flask-Cors) replaces
        :meth:`handle_user_exception`, the replacement answers, as in Flask.
        """
        if _replaced(self, "handle_user_exception"):
            return self.make_response(self.handle_user_exception(error))
        return await self._handle_user_exception(error, request, on_loop)

    async def _answer_server_error(
        self, error: Exception, request: Request, on_loop: bool
    ) -> Response:
        """Answer an error no handler took, as handle_exception() does (or its replacement)."""
        if _replaced(self, "handle_exception"):
            return self.make_response(self.handle_exception(error))
        return await self._handle_exception(error, request, on_loop)

    async def _handle_exception(
        self, error: Exception, request: Request | None, on_loop: bool
    ) -> Response:
        if _signals:
            signals = _signals[0]
            await signals._dispatch(signals.got_request_exception, self, on_loop, exception=error)
        propagate = self._propagates()
        self.log_exception((type(error), error, error.__traceback__))
        context = _cv.get(None)
        if isinstance(context, RequestContext):
            context.error = error
        if propagate:
            raise error
        if self.debug:
            from .dev.debug import debug_page

            return debug_page(self, request, error)  # type: ignore[arg-type]  # self is the Erlen
        server_error = InternalServerError(original_exception=error)
        handler = self._find_error_handler(server_error, request)
        response = None
        if handler is not None:
            try:
                value = handler(server_error)
                if value.__class__ is CoroutineType:
                    value = (await value) if on_loop else _run_coroutine(value)
                response = self.make_response(value)
            except Exception:  # noqa: BLE001 - a broken handler must not hide the 500
                self.logger.exception("The error handler for 500 failed as well")
        if response is None:
            response = server_error.get_response(request)
        if _signals:
            signals = _signals[0]
            try:
                await signals._dispatch(signals.request_finished, self, on_loop, response=response)
            except Exception:  # noqa: BLE001 - the 500 is sent all the same
                self.logger.exception("A receiver of request_finished failed on the 500 response")
        return response

    def _propagates(self) -> bool:
        """Whether unhandled errors are raised to the caller (tests) rather than answered."""
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        return self.testing if propagate is None else bool(propagate)

    # -- sessions --------------------------------------------------------

    def _open_session(self, context: RequestContext) -> t.Any:
        interface = self.session_interface
        session = interface.open_session(self, t.cast(Request, context.request))  # type: ignore[arg-type]  # self is the Erlen
        if session is None:
            session = interface.make_null_session(self)  # type: ignore[arg-type]  # self is the Erlen
        return session

    def _save_session(self, context: RequestContext, response: Response) -> None:
        session = context._session
        interface = self.session_interface
        if getattr(session, "accessed", True):
            # The response depends on the cookie: caches must not share it.
            _add_vary(response, "Cookie")
        if not interface.is_null_session(session):
            interface.save_session(self, session, response)  # type: ignore[arg-type]  # self is the Erlen


def _from_werkzeug_response(response_class: type[Response], value: t.Any) -> Response | None:
    """Return ``value`` as a ``response_class``, if it is a Werkzeug ``Response``; else ``None``.

    Flask code builds Werkzeug's responses (``werkzeug.Response(...)``, or
    ones a Werkzeug helper returns). Werkzeug is never imported here: only a
    loaded Werkzeug can have made one.
    """
    wrappers = sys.modules.get("werkzeug.wrappers.response")
    if wrappers is None or not isinstance(value, wrappers.Response):
        return None
    # A body held in memory is copied whole; a streamed one stays streamed.
    body = value.get_data() if value.is_sequence else value.iter_encoded()
    response = response_class(body, value.status_code, value.headers.to_wsgi_list())
    response.call_on_close(value.close)
    return response


async def _in_thread(function: Callable[..., t.Any], *args: t.Any) -> t.Any:
    """Call a hook of an ``async def`` view on the request's worker thread (ASGI_HOOKS_IN_THREAD).

    An ``async def`` hook returns its coroutine from there, which the caller
    awaits on the loop as usual.
    """
    from .serving.threads import Lane

    context = t.cast(RequestContext, _cv.get(None))
    lane = context.lane
    if lane is None:
        lane = context.lane = Lane(t.cast(t.Any, context.app)._workers)
    return await lane.run(function, *args)


def _replaced(app: RequestCycle, name: str) -> bool:
    """Whether the method ``name`` is replaced on ``app`` or on its class."""
    # Called on the error path only: a request without errors never pays for it.
    return name in vars(app) or getattr(type(app), name) is not getattr(RequestCycle, name)


def _request_for(method: str) -> Request:
    context = _cv.get(None)
    if context is None or context.request is None:
        raise RuntimeError(
            f"{method}() works on the current request, and there is none. Call it while "
            "handling a request, or inside app.test_request_context()."
        )
    return context.request


def _scopes(request: Request | None) -> tuple[str | None, ...]:
    """The hook scopes of a request: its blueprints (innermost first), then the app."""
    blueprint = request.blueprint if request is not None else None
    if not blueprint:
        return (None,)
    parts = blueprint.split(".")
    return (*(".".join(parts[:i]) for i in range(len(parts), 0, -1)), None)


def _merge_headers(target: Headers, extra: t.Any) -> None:
    pairs = list(extra.items()) if isinstance(extra, dict) else list(extra)
    for name in {name.lower() for name, _ in pairs}:
        target.remove(name)
    for name, value in pairs:
        target.add(name, value)


def _safe_redirect_target(request: Request, path: str) -> str:
    from urllib.parse import quote

    # A path such as //evil.example/ must never become a protocol-relative
    # Location; quote() also turns a backslash (which browsers read as a
    # slash) into %5C.
    location = quote(request.root_path + path, safe="/!$&'()*+,;=:@-._~")
    location = "/" + location.lstrip("/")
    query = request.query_string
    if query:
        location += "?" + query.decode("latin-1")
    return location


def _current_endpoint() -> str | None:
    request = _current_request()
    return request.endpoint if request is not None else None


def _add_vary(response: Response, value: str) -> None:
    current = response.headers.get("Vary")
    if not current:
        response.headers.set("Vary", value)
    elif value.lower() not in {part.strip().lower() for part in current.split(",")}:
        response.headers.set("Vary", f"{current}, {value}")
