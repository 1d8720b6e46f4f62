"""The application object: registration and the IO-free request cycle.

:meth:`Erlen.handle` turns a :class:`Request` into a :class:`Response`
without touching a socket; the WSGI adapter (and the ASGI one) drive it.
"""

from __future__ import annotations

import inspect
import os
import sys
import typing as t
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import CoroutineType, GeneratorType

from . import json as _json
from .config import DEFAULT_CONFIG, Config
from .csrf import SAFE_METHODS, CrossOriginRequestRefused, check_request, check_websocket
from .ctx import AppContext, RequestContext, _AppCtxGlobals, _cv
from .http.exceptions import BadRequest, HTTPException, InternalServerError, UpgradeRequired
from .http.headers import Headers
from .http.hosts import check_host
from .request import Request
from .response import Response
from .routing import RequestRedirect, Router, Rule
from .scaffold import Scaffold, _check_websocket_handler, _describe
from .serving.concurrency import drive as _drive
from .serving.concurrency import run_coroutine as _run_coroutine
from .serving.wsgi import serve as _wsgi_serve

if t.TYPE_CHECKING:
    import logging
    from concurrent.futures import ThreadPoolExecutor

    from jinja2 import Environment

    from .blueprints import Blueprint
    from .sessions import SessionInterface
    from .testing import Client, ErlenCliRunner

__all__ = ["Erlen"]

F = t.TypeVar("F", bound=Callable[..., t.Any])
T = t.TypeVar("T")

_JSON_TYPE = "application/json"
_INVALID_PATH = (
    "The URL path is not valid UTF-8. Percent-encode the path as UTF-8 bytes (for example "
    "%C3%A9 for 'é')."
)
_HTML_TYPE = "text/html; charset=utf-8"


class _LazyASGI:
    """``Erlen.asgi_app`` until first use; asyncio is imported only for ASGI."""

    def __get__(self, instance: t.Any, owner: type) -> t.Any:
        from .serving.asgi import serve

        owner.asgi_app = serve  # type: ignore[attr-defined]
        return serve if instance is None else serve.__get__(instance, owner)


class Erlen(Scaffold):
    """A web application: register views on it, then serve it.

    ``import_name`` is usually ``__name__``; it tells erlen where the
    application lives, to find its ``templates/`` and ``static/`` folders::

        app = Erlen(__name__)

        @app.route("/")
        def index():
            return "Hello"

    The object is a WSGI application (``gunicorn module:app``).
    """

    request_class = Request
    response_class = Response
    app_ctx_globals_class = _AppCtxGlobals
    default_config = DEFAULT_CONFIG

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | None = "static",
        template_folder: str | None = "templates",
        root_path: str | None = None,
    ) -> None:
        super().__init__(import_name, static_folder, static_url_path, template_folder, root_path)
        self.config = Config(self.root_path, self.default_config)
        self.url_map = Router()
        self._async_views: dict[Callable[..., t.Any], bool] = {}
        self.teardown_appcontext_funcs: list[Callable[..., t.Any]] = []
        self.blueprints: dict[str, Blueprint] = {}
        self.jinja_options: dict[str, t.Any] = {}
        #: Template filters, globals and tests, applied when Jinja2 loads.
        self.template_extras: dict[str, dict[str, t.Any]] = {
            "filters": {},
            "globals": {},
            "tests": {},
        }
        if self.has_static_folder:
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                view_func=self.send_static_file,
            )
        self.extensions: dict[str, t.Any] = {}
        self._logger: logging.Logger | None = None
        self.before_serving_funcs: list[Callable[[], t.Any]] = []
        self.after_serving_funcs: list[Callable[[], t.Any]] = []
        # perf and compatibility: servers that sniff the app (uvicorn, hypercorn)
        # read ``app.__call__`` and treat the app as ASGI 3 when it is a
        # coroutine function; calling the app still goes through the class's
        # __call__, which serves WSGI too.
        self.__dict__["__call__"] = self._asgi_entry

    # -- properties ------------------------------------------------------

    @property
    def name(self) -> str:
        """The app's name: its module's, or the script's file name for ``__main__``."""
        if self.import_name == "__main__":
            path = getattr(sys.modules.get("__main__"), "__file__", None)
            if isinstance(path, str):
                return os.path.splitext(os.path.basename(path))[0]
        return self.import_name

    @property
    def debug(self) -> bool:
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value

    @property
    def testing(self) -> bool:
        return bool(self.config["TESTING"])

    @testing.setter
    def testing(self, value: bool) -> None:
        self.config["TESTING"] = value

    @property
    def secret_key(self) -> t.Any:
        return self.config["SECRET_KEY"]

    @secret_key.setter
    def secret_key(self, value: t.Any) -> None:
        self.config["SECRET_KEY"] = value

    @property
    def logger(self) -> logging.Logger:
        """The app's logger, named after the app; logs to stderr unless configured."""
        if self._logger is None:
            import logging

            logger = logging.getLogger(self.name)
            if not logger.hasHandlers():
                handler = logging.StreamHandler()
                handler.setFormatter(
                    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
                )
                logger.addHandler(handler)
            if logger.level == logging.NOTSET:
                logger.setLevel(logging.DEBUG if self.debug else logging.INFO)
            self._logger = logger
        return self._logger

    # -- registration ----------------------------------------------------

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Connect a URL rule to a view function (what ``@app.route`` does)."""
        if endpoint is None:
            if view_func is None:
                raise TypeError("add_url_rule() needs a view_func or an endpoint name.")
            endpoint = view_func.__name__
        if "." in endpoint:
            raise ValueError(
                f"The endpoint name {endpoint!r} contains a dot, which erlen reserves for "
                "blueprints ('blueprint.view'). Choose a name without dots."
            )
        self._add_rule(rule, endpoint, view_func, provide_automatic_options, **options)

    def _add_rule(
        self,
        rule: str,
        endpoint: str,
        view_func: Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        methods = options.pop("methods", None)
        if options.get("websocket"):
            _check_websocket_handler(view_func, methods)
            methods = ("GET",)
            provide_automatic_options = False
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                f"methods must be a list of method names, such as methods=['GET', 'POST'], "
                f"not the string {methods!r}."
            )
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", True)
        unknown = set(options) - {"defaults", "strict_slashes", "websocket", "stream_body"}
        if unknown:
            raise TypeError(
                f"Unknown route option(s): {', '.join(sorted(unknown))}. Routes accept "
                "methods, endpoint, defaults, strict_slashes, stream_body and "
                "provide_automatic_options."
            )
        if "stream_body" not in options and getattr(view_func, "stream_body", False):
            options["stream_body"] = True
        if view_func is not None:
            existing = self.view_functions.get(endpoint)
            if existing is not None and existing is not view_func:
                raise ValueError(
                    f"View function mapping is overwriting an existing endpoint function: "
                    f"{endpoint!r} is already {_describe(existing)}, and now {rule!r} maps it "
                    f"to {_describe(view_func)}. Give the view another name or pass "
                    "endpoint='...'. If both come from one decorator, make the decorator "
                    "use functools.wraps."
                )
        url_rule = Rule(
            rule,
            endpoint,
            [m.upper() for m in methods],
            provide_automatic_options=bool(provide_automatic_options),
            **options,
        )
        self.url_map.add(url_rule)
        if view_func is not None:
            self.view_functions[endpoint] = view_func
            # Decided once, here: the ASGI adapter runs an async view on the
            # event loop and a plain one in the thread pool.
            self._async_views[view_func] = inspect.iscoroutinefunction(view_func)

    def _is_async_view(self, view: Callable[..., t.Any]) -> bool:
        """Whether ``view`` is an ``async def`` view (run on the event loop under ASGI)."""
        found = self._async_views.get(view)
        if found is None:  # put straight into view_functions, not through add_url_rule
            found = self._async_views[view] = inspect.iscoroutinefunction(view)
        return found

    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Add a blueprint's routes, hooks and handlers to the app.

        Options override the blueprint's own: ``url_prefix``, ``name`` (to
        register one blueprint twice), ``url_defaults``.
        """
        blueprint.register(self, options)

    def iter_blueprints(self) -> t.Iterator[Blueprint]:
        """The registered blueprints, in registration order."""
        return iter(self.blueprints.values())

    def teardown_appcontext(self, function: F) -> F:
        """Call ``function(error)`` when each app context ends."""
        self.teardown_appcontext_funcs.append(function)
        return function

    # -- the request cycle -----------------------------------------------

    def handle(self, request: Request, context: RequestContext) -> Response:
        """Turn a request into a response: route, hooks, view, errors.

        This is the cycle for WSGI, and for a plain ``def`` view under ASGI
        (in a worker thread). :meth:`handle_async` is its twin for an
        ``async def`` view on the event loop: the same steps, with the view,
        hooks and handlers awaited. Every step lives in the helpers both
        call (:meth:`_route` first); only this skeleton is written twice,
        because driving the async twin from sync code costs a fifth of a
        WSGI request.
        """
        try:
            try:
                rule, args = self._route(request)
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
                response = _drive(self._handle_user_exception(error, request, False))
            if (
                self.after_request_funcs
                or context._after_request_functions
                or context._session is not None
            ):
                response = _drive(self._process_response(response, context))
            return response
        except Exception as error:  # noqa: BLE001 - last resort: a 500
            return _drive(self._handle_exception(error, request, False))

    async def handle_async(self, request: Request, context: RequestContext) -> Response:
        """Turn a request into a response, awaiting the view, hooks and handlers.

        The ASGI adapter awaits this for an ``async def`` view, on the
        server's event loop; see :meth:`handle`, its sync twin.
        """
        try:
            try:
                rule, args = self._route(request)
                if self.before_request_funcs or self.url_value_preprocessors:
                    value = await self._preprocess(request, True)
                    if value is not None:
                        return await self._process_response(self.make_response(value), context)
                if request.method == "OPTIONS" and rule.provide_automatic_options:
                    return await self._process_response(self._options_response(request), context)
                value = self.view_functions[rule.endpoint](**args)  # type: ignore[index]
                if value.__class__ is CoroutineType:
                    value = await value
                response = self.make_response(value)
            except Exception as error:  # noqa: BLE001 - handlers decide
                response = await self._handle_user_exception(error, request, True)
            if (
                self.after_request_funcs
                or context._after_request_functions
                or context._session is not None
            ):
                response = await self._process_response(response, context)
            return response
        except Exception as error:  # noqa: BLE001 - last resort: a 500
            return await self._handle_exception(error, request, True)

    def _route(self, request: Request, websocket: bool = False) -> tuple[Rule, dict[str, t.Any]]:
        """The checks and routing every request and handshake starts with; raise to refuse."""
        trusted = self.config["TRUSTED_HOSTS"]
        if trusted is not None:
            check_host(request, trusted)
        rule = request.url_rule
        if rule is None:
            if request._invalid_path:
                raise BadRequest(_INVALID_PATH)
            rule, args = self.url_map.match(request.method, request.path, websocket)
            request.url_rule = rule
            request.view_args = args
        else:
            args = request.view_args  # type: ignore[assignment]
        if websocket:
            if self.config["CSRF_PROTECTION"]:
                self._check_handshake(request, rule)
        elif request.method not in SAFE_METHODS and self.config["CSRF_PROTECTION"]:
            check_request(self, request, self.view_functions.get(rule.endpoint))
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
        try:
            rule, args = self.url_map.match(request.method, request.path, websocket)
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
        for name in names:
            for function in hooks.get(name, ()):
                value = function()
                if value.__class__ is CoroutineType:
                    value = (await value) if on_loop else _run_coroutine(value)
                if value is not None:
                    return value
        return None

    def process_response(self, response: Response, context: RequestContext) -> Response:
        """Run ``after_request`` hooks (latest first) and save the session."""
        return _drive(self._process_response(response, context))

    async def _process_response(self, response: Response, context: RequestContext) -> Response:
        functions: list[Callable[[Response], Response]] = []
        if context._after_request_functions:
            functions.extend(context._after_request_functions)
        request = context.request
        for name in _scopes(request):
            functions.extend(reversed(self.after_request_funcs.get(name, ())))
        for function in functions:
            result: t.Any = function(response)
            if result.__class__ is CoroutineType:
                result = (await result) if context.on_loop else _run_coroutine(result)
            if result is None:
                raise TypeError(
                    f"The after_request function {_describe(function)} returned None. "
                    "It must return the response it was given (or a new one)."
                )
            response = result
        if context._session is not None:
            self._save_session(context, response)
        return response

    def _options_response(self, request: Request) -> Response:
        response = self.response_class()
        response.headers.set("Allow", ", ".join(sorted(self.url_map.allowed_methods(request.path))))
        return response

    def make_response(self, value: t.Any) -> Response:
        """Turn a view's return value into a :class:`Response`.

        Accepts ``str``/``bytes``, a ``dict`` or ``list`` (JSON), a generator
        (streamed), a :class:`Response`, or a tuple ``(body, status)``,
        ``(body, headers)`` or ``(body, status, headers)``.
        """
        cls = value.__class__
        # perf: the common returns are tested by exact type first, and built
        # without the general constructor when response_class keeps its own.
        if self.response_class.__init__ is Response.__init__:
            if cls is str:
                return self.response_class._of_bytes(value.encode(), _HTML_TYPE)
            if cls is bytes:
                return self.response_class._of_bytes(value, _HTML_TYPE)
            if cls is dict or cls is list:
                return self.response_class._of_bytes(_json.dumps_bytes(value), _JSON_TYPE)
        status = headers = None
        if cls is tuple:
            if len(value) == 3:
                value, status, headers = value
            elif len(value) == 2:
                value, second = value
                if isinstance(second, (Headers, dict, list)):
                    headers = second
                else:
                    status = second
            else:
                raise TypeError(
                    f"The view function returned a tuple of {len(value)} items. A tuple must be "
                    "(body, status), (body, headers) or (body, status, headers)."
                )
        if value is None:
            raise TypeError(
                f"The view function for {_current_endpoint()!r} did not return a valid response: "
                "it returned None, or ended without a return statement. Return a string, a "
                "dict, a tuple or a Response."
            )
        if isinstance(value, Response):
            response = value
        elif isinstance(value, (str, bytes, bytearray)):
            response = self.response_class(value, status, headers)
            return response
        elif isinstance(value, (dict, list)):
            response = self.response_class(_json.dumps_bytes(value), content_type=_JSON_TYPE)
        elif isinstance(value, (GeneratorType, Iterator)) or hasattr(value, "__aiter__"):
            response = self.response_class(value, status, headers)
            return response
        elif isinstance(value, HTTPException):
            response = value.get_response(_current_request())
        else:
            raise TypeError(
                f"The view function for {_current_endpoint()!r} returned a "
                f"{type(value).__name__}, which erlen cannot send. Return a string, a dict "
                "or list (sent as JSON), a generator (streamed), a tuple or a Response."
            )
        if status is not None:
            response.status = status
        if headers:
            _merge_headers(response.headers, headers)
        return response

    def _find_error_handler(
        self, error: BaseException, request: Request | None
    ) -> Callable[..., t.Any] | None:
        spec = self.error_handler_spec
        if not spec:
            return None
        code = error.code if isinstance(error, HTTPException) else None
        for name in _scopes(request):
            handlers = spec.get(name)
            if not handlers:
                continue
            if code is not None and code in handlers:
                return handlers[code]
            for cls in type(error).__mro__:
                if cls in handlers:
                    return handlers[cls]
        return None

    def handle_user_exception(self, error: Exception, request: Request) -> Response:
        """Answer an error raised while handling a request, or re-raise it."""
        return _drive(self._handle_user_exception(error, request, False))

    async def _handle_user_exception(
        self, error: Exception, request: Request, on_loop: bool
    ) -> Response:
        if isinstance(error, HTTPException):
            if isinstance(error, RequestRedirect):
                error.new_url = _safe_redirect_target(request, error.new_path)
            if self.config["TRAP_HTTP_EXCEPTIONS"]:
                raise error
        handler = self._find_error_handler(error, request)
        if handler is None:
            if isinstance(error, HTTPException):
                if error.code == 404 and self.debug and error.response is None:
                    from .dev.notfound import not_found_page

                    return not_found_page(self, request, error)
                if isinstance(error, UpgradeRequired):
                    problem = error.handshake_problem(request)
                    if problem is not None:
                        self.logger.warning("%s", problem)
                return error.get_response(request)
            raise error
        value = handler(error)
        if value.__class__ is CoroutineType:
            value = (await value) if on_loop else _run_coroutine(value)
        return self.make_response(value)

    def handle_exception(self, error: Exception, request: Request | None) -> Response:
        """Log an unhandled error once and answer 500.

        In debug mode the answer is the debug page; in tests (or with
        ``PROPAGATE_EXCEPTIONS``) the error is raised to the caller instead.
        """
        return _drive(self._handle_exception(error, request, False))

    async def _handle_exception(
        self, error: Exception, request: Request | None, on_loop: bool
    ) -> Response:
        propagate = self._propagates()
        method = request.method if request is not None else "?"
        path = request.path if request is not None else "?"
        self.logger.error("Exception on %s [%s]", path, method, exc_info=error)
        context = _cv.get(None)
        if isinstance(context, RequestContext):
            context.error = error
        if propagate:
            raise error
        if self.debug:
            from .dev.debug import debug_page

            return debug_page(self, request, error)
        server_error = InternalServerError(original_exception=error)
        handler = self._find_error_handler(server_error, request)
        if handler is not None:
            try:
                value = handler(server_error)
                if value.__class__ is CoroutineType:
                    value = (await value) if on_loop else _run_coroutine(value)
                return self.make_response(value)
            except Exception:  # noqa: BLE001 - a broken handler must not hide the 500
                self.logger.exception("The error handler for 500 failed as well")
        return server_error.get_response(request)

    def _propagates(self) -> bool:
        """Whether unhandled errors are raised to the caller (tests) rather than answered."""
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        return self.testing if propagate is None else bool(propagate)

    def _stream_failed(self, request: Request | None) -> bool:
        """Log the error a streamed body raised midway; return whether to raise it on.

        Call it in the ``except`` block. The adapters cut the connection
        rather than end the body, so the client cannot take a partial body
        for a whole one.
        """
        self.logger.exception(
            "Exception while streaming the response to %s [%s]; the connection is cut so "
            "the client does not take a partial body for a whole one",
            getattr(request, "path", "?"),
            getattr(request, "method", "?"),
        )
        return self._propagates()

    def do_teardown_request(self, error: BaseException | None = None) -> None:
        """Call the ``teardown_request`` hooks (latest first)."""
        if not self.teardown_request_funcs:
            return
        request = _cv.get().request
        for name in _scopes(request):
            for function in reversed(self.teardown_request_funcs.get(name, ())):
                self._call_teardown(function, error)

    def do_teardown_appcontext(self, error: BaseException | None = None) -> None:
        """Call the ``teardown_appcontext`` hooks (latest first)."""
        for function in reversed(self.teardown_appcontext_funcs):
            self._call_teardown(function, error)

    def _call_teardown(self, function: Callable[..., t.Any], error: BaseException | None) -> None:
        try:
            value = function(error)
            if value.__class__ is CoroutineType:
                _run_coroutine(value)
        except Exception:  # noqa: BLE001 - one failing teardown must not skip the others
            self.logger.exception("Error in teardown function %s", _describe(function))

    # -- sessions --------------------------------------------------------

    @property
    def session_interface(self) -> SessionInterface:
        """How sessions are loaded and saved; a signed cookie unless replaced."""
        interface = self.__dict__.get("_session_interface")
        if interface is None:
            from .sessions import SecureCookieSessionInterface

            interface = self.__dict__["_session_interface"] = SecureCookieSessionInterface()
        return t.cast("SessionInterface", interface)

    @session_interface.setter
    def session_interface(self, interface: SessionInterface) -> None:
        self.__dict__["_session_interface"] = interface

    def _open_session(self, context: RequestContext) -> t.Any:
        interface = self.session_interface
        session = interface.open_session(self, t.cast(Request, context.request))
        if session is None:
            session = interface.make_null_session(self)
        return session

    def _save_session(self, context: RequestContext, response: Response) -> None:
        session = context._session
        interface = self.session_interface
        if getattr(session, "accessed", True):
            # The response depends on the cookie: caches must not share it.
            _add_vary(response, "Cookie")
        if not interface.is_null_session(session):
            interface.save_session(self, session, response)

    # -- templates -------------------------------------------------------

    @property
    def jinja_env(self) -> Environment:
        """The Jinja2 environment, created (and Jinja2 imported) on first use."""
        environment = self.__dict__.get("_jinja_env")
        if environment is None:
            from .templating import create_environment

            environment = self.__dict__["_jinja_env"] = create_environment(self)
        return t.cast("Environment", environment)

    def _add_template_extra(self, kind: str, function: t.Any, name: str | None) -> None:
        name = name or function.__name__
        self.template_extras[kind][name] = function
        environment = self.__dict__.get("_jinja_env")
        if environment is not None:
            getattr(environment, kind)[name] = function

    def add_template_filter(self, function: Callable[..., t.Any], name: str | None = None) -> None:
        """Make ``function`` a filter in templates: ``{{ value|name }}``."""
        self._add_template_extra("filters", function, name)

    def add_template_global(self, function: Callable[..., t.Any], name: str | None = None) -> None:
        """Make ``function`` callable from every template."""
        self._add_template_extra("globals", function, name)

    def add_template_test(self, function: Callable[..., t.Any], name: str | None = None) -> None:
        """Make ``function`` a test in templates: ``{% if value is name %}``."""
        self._add_template_extra("tests", function, name)

    def template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator form of :meth:`add_template_filter`."""

        def decorator(function: F) -> F:
            self.add_template_filter(function, name)
            return function

        return decorator

    def template_global(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator form of :meth:`add_template_global`."""

        def decorator(function: F) -> F:
            self.add_template_global(function, name)
            return function

        return decorator

    def template_test(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator form of :meth:`add_template_test`."""

        def decorator(function: F) -> F:
            self.add_template_test(function, name)
            return function

        return decorator

    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        """Let the ``url_defaults`` functions fill in ``values`` for ``endpoint``."""
        names: list[str | None] = [None]
        if "." in endpoint:
            parts = endpoint.split(".")[:-1]
            names.extend(".".join(parts[: i + 1]) for i in range(len(parts)))
        for name in names:
            for function in self.url_default_functions.get(name, ()):
                function(endpoint, values)

    def update_template_context(self, context: dict[str, t.Any]) -> None:
        """Add what the context processors give to ``context``.

        Values the caller passed win over processors' values. ``request``,
        ``session``, ``g`` and ``config`` need no processor: they are globals
        of every template.
        """
        if not self.template_context_processors:
            return  # perf: nothing to add, nothing to do
        request = _current_request()
        names: tuple[str | None, ...] = _scopes(request)
        extra: dict[str, t.Any] = {}
        for name in reversed(names):
            for processor in self.template_context_processors.get(name, ()):
                extra.update(processor())
        extra.update(context)
        context.update(extra)

    # -- static files ----------------------------------------------------

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """How long browsers may cache a static file (``SEND_FILE_MAX_AGE_DEFAULT``)."""
        value = self.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return int(value)

    # -- contexts and serving --------------------------------------------

    def app_context(self) -> AppContext:
        """Return an app context: ``with app.app_context(): ...``."""
        return AppContext(self)

    def request_context(self, environ: dict[str, t.Any]) -> RequestContext:
        """Return a request context for a WSGI environ."""
        return RequestContext(self, self.request_class(environ, self.config))

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """Return a request context for a made-up request (arguments as the test client's)."""
        from .testing import build_environ

        return self.request_context(build_environ(self, *args, **kwargs))

    def test_client(self, use_cookies: bool = True, **kwargs: t.Any) -> Client:
        """Return a client that sends requests to the app in-process."""
        from .testing import Client

        return Client(self, use_cookies=use_cookies, **kwargs)

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: t.Any,
    ) -> None:
        """Serve the app with the development server (for ``python app.py``).

        ``debug=True`` turns on the debug page and the reloader. Under
        ``erlen run`` this does nothing, so the app is never served twice.
        Not for production: use gunicorn, uWSGI or waitress there.
        """
        from .cli import run_app

        run_app(self, host=host, port=port, debug=debug, load_dotenv=load_dotenv, **options)

    def test_cli_runner(self, **kwargs: t.Any) -> ErlenCliRunner:
        """Return a runner that invokes the app's commands in-process, for tests."""
        from .testing import ErlenCliRunner

        return ErlenCliRunner(self, **kwargs)

    #: The WSGI application proper; wrap this one with WSGI middleware
    #: (``app.wsgi_app = Middleware(app.wsgi_app)``).
    wsgi_app = _wsgi_serve

    #: The ASGI application proper; wrap this one with ASGI middleware
    #: (``app.asgi_app = Middleware(app.asgi_app)``).
    asgi_app: Callable[..., t.Any] = t.cast("Callable[..., t.Any]", _LazyASGI())

    def __call__(self, environ: t.Any, start_response: t.Any, send: t.Any = None) -> t.Any:
        """Serve one request: ``(environ, start_response)`` is WSGI, ``(scope, receive, send)`` ASGI.

        Called with three arguments it returns the coroutine the ASGI server
        awaits.
        """
        if send is None:
            return self.wsgi_app(environ, start_response)
        return self.asgi_app(environ, start_response, send)

    async def _asgi_entry(self, scope: t.Any, receive: t.Any, send: t.Any) -> None:
        # What ``app.__call__`` shows a server that inspects it (see __init__).
        await self.asgi_app(scope, receive, send)

    # -- serving (ASGI lifespan) -----------------------------------------

    def before_serving(self, function: F) -> F:
        """Run ``function`` (sync or async) once when an ASGI server starts the app.

        It runs in an app context. If it raises, the server reports the
        error and does not start. (WSGI servers have no such event.)
        """
        self.before_serving_funcs.append(function)
        return function

    def after_serving(self, function: F) -> F:
        """Run ``function`` (sync or async) once when an ASGI server shuts down."""
        self.after_serving_funcs.append(function)
        return function

    @property
    def _executor(self) -> ThreadPoolExecutor:
        executor = self.__dict__.get("_thread_pool")
        if executor is None:
            from concurrent.futures import ThreadPoolExecutor

            executor = self.__dict__["_thread_pool"] = ThreadPoolExecutor(
                max_workers=int(self.config["ASGI_THREADS"]), thread_name_prefix="erlen-view"
            )
        return t.cast("ThreadPoolExecutor", executor)

    def __repr__(self) -> str:
        return f"<Erlen {self.name!r}>"


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


def _current_request() -> Request | None:
    context = _cv.get(None)
    return context.request if context is not None else None


def _current_endpoint() -> str | None:
    request = _current_request()
    return request.endpoint if request is not None else None


def _add_vary(response: Response, value: str) -> None:
    current = response.headers.get("Vary")
    if not current:
        response.headers.set("Vary", value)
    elif value.lower() not in {part.strip().lower() for part in current.split(",")}:
        response.headers.set("Vary", f"{current}, {value}")
