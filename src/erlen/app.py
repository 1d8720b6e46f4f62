"""The application object: registration and the IO-free request cycle.

:meth:`Erlen.handle` turns a :class:`Request` into a :class:`Response`
without touching a socket; the WSGI adapter (and the ASGI one) drive it.
"""

from __future__ import annotations

import os
import sys
import typing as t
from collections.abc import Callable, Iterator
from types import CoroutineType, GeneratorType

from . import json as _json
from .config import DEFAULT_CONFIG, Config
from .ctx import AppContext, RequestContext, _AppCtxGlobals, _cv
from .exceptions import BadRequest, HTTPException, InternalServerError
from .headers import Headers
from .request import Request
from .response import Response
from .routing import RequestRedirect, Router, Rule
from .wsgi import serve as _wsgi_serve

if t.TYPE_CHECKING:
    import logging

    from .testing import Client

__all__ = ["Erlen"]

F = t.TypeVar("F", bound=Callable[..., t.Any])
ErrorKey = t.Union[int, type[BaseException]]

_JSON_TYPE = "application/json"
_HTML_TYPE = "text/html; charset=utf-8"


def _root_path_of(import_name: str) -> str:
    module = sys.modules.get(import_name)
    path = getattr(module, "__file__", None)
    if isinstance(path, str):
        return os.path.dirname(os.path.abspath(path))
    return os.getcwd()


class Erlen:
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
        self.import_name = import_name
        self.root_path = root_path if root_path is not None else _root_path_of(import_name)
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        self.config = Config(self.root_path, self.default_config)
        self.url_map = Router()
        self.view_functions: dict[str, Callable[..., t.Any]] = {}
        # Hooks by blueprint name; None holds the app's own.
        self.before_request_funcs: dict[str | None, list[Callable[[], t.Any]]] = {}
        self.after_request_funcs: dict[str | None, list[Callable[[Response], Response]]] = {}
        self.teardown_request_funcs: dict[str | None, list[Callable[..., t.Any]]] = {}
        self.teardown_appcontext_funcs: list[Callable[..., t.Any]] = []
        self.error_handler_spec: dict[str | None, dict[ErrorKey, Callable[..., t.Any]]] = {}
        self.extensions: dict[str, t.Any] = {}
        self._logger: logging.Logger | None = None

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
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                f"methods must be a list of method names, such as methods=['GET', 'POST'], "
                f"not the string {methods!r}."
            )
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", True)
        unknown = set(options) - {"defaults", "strict_slashes", "websocket"}
        if unknown:
            raise TypeError(
                f"Unknown route option(s): {', '.join(sorted(unknown))}. Routes accept "
                "methods, endpoint, defaults, strict_slashes and provide_automatic_options."
            )
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

    def route(self, rule: str, **options: t.Any) -> Callable[[F], F]:
        """Register the decorated function as the view for ``rule``.

        ::

            @app.route("/user/<int:uid>", methods=["GET", "POST"])
            def user(uid): ...
        """

        def decorator(function: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, function, **options)
            return function

        return decorator

    def _method_route(self, method: str, rule: str, options: dict[str, t.Any]) -> Callable[[F], F]:
        if "methods" in options:
            raise TypeError(
                f"app.{method.lower()}() sets the method itself; use "
                f"@app.route({rule!r}, methods=[...]) for several methods."
            )
        return self.route(rule, methods=[method], **options)

    def get(self, rule: str, **options: t.Any) -> Callable[[F], F]:
        """``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: t.Any) -> Callable[[F], F]:
        """``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: t.Any) -> Callable[[F], F]:
        """``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, options)

    def patch(self, rule: str, **options: t.Any) -> Callable[[F], F]:
        """``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, options)

    def delete(self, rule: str, **options: t.Any) -> Callable[[F], F]:
        """``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, options)

    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        """Register the decorated function as the view of ``endpoint``."""

        def decorator(function: F) -> F:
            self.view_functions[endpoint] = function
            return function

        return decorator

    def before_request(self, function: F) -> F:
        """Run ``function`` before each view; a non-``None`` return becomes the response."""
        self.before_request_funcs.setdefault(None, []).append(function)
        return function

    def after_request(self, function: F) -> F:
        """Pass each response through ``function``, which must return a response."""
        self.after_request_funcs.setdefault(None, []).append(function)
        return function

    def teardown_request(self, function: F) -> F:
        """Call ``function(error)`` when each request ends, even after an error."""
        self.teardown_request_funcs.setdefault(None, []).append(function)
        return function

    def teardown_appcontext(self, function: F) -> F:
        """Call ``function(error)`` when each app context ends."""
        self.teardown_appcontext_funcs.append(function)
        return function

    def errorhandler(self, code_or_exception: ErrorKey) -> Callable[[F], F]:
        """Handle an HTTP status code or an exception class with the decorated function.

        ::

            @app.errorhandler(404)
            def not_found(error):
                return "Nothing here", 404
        """

        _error_key(code_or_exception)  # a mistake is reported here, at the decorator

        def decorator(function: F) -> F:
            self.register_error_handler(code_or_exception, function)
            return function

        return decorator

    def register_error_handler(
        self, code_or_exception: ErrorKey, function: Callable[..., t.Any]
    ) -> None:
        key = _error_key(code_or_exception)
        self.error_handler_spec.setdefault(None, {})[key] = function

    # -- the request cycle -----------------------------------------------

    def handle(self, request: Request, context: RequestContext) -> Response:
        """Turn a request into a response: route, hooks, view, errors."""
        try:
            try:
                if request._invalid_path:
                    raise BadRequest(
                        "The URL path is not valid UTF-8. Percent-encode the path as UTF-8 "
                        "bytes (for example %C3%A9 for 'é')."
                    )
                rule, args = self.url_map.match(request.method, request.path)
                request.url_rule = rule
                request.view_args = args
                if self.before_request_funcs:
                    value = self.preprocess_request(request)
                    if value is not None:
                        return self.process_response(self.make_response(value), context)
                if request.method == "OPTIONS" and rule.provide_automatic_options:
                    return self.process_response(self._options_response(request), context)
                value = self.view_functions[rule.endpoint](**args)  # type: ignore[index]
                if value.__class__ is CoroutineType:
                    value = _run_coroutine(value)
                response = self.make_response(value)
            except Exception as error:  # noqa: BLE001 - handlers decide
                response = self.handle_user_exception(error, request)
            if self.after_request_funcs or context._after_request_functions or context._session:
                response = self.process_response(response, context)
            return response
        except Exception as error:  # noqa: BLE001 - last resort: a 500
            return self.handle_exception(error, request)

    def preprocess_request(self, request: Request) -> t.Any:
        """Run the ``before_request`` hooks; return the first non-``None`` value."""
        for name in _scopes(request):
            for function in self.before_request_funcs.get(name, ()):
                value = function()
                if value.__class__ is CoroutineType:
                    value = _run_coroutine(value)
                if value is not None:
                    return value
        return None

    def process_response(self, response: Response, context: RequestContext) -> Response:
        """Run ``after_request`` hooks (latest first) and save the session."""
        functions: list[Callable[[Response], Response]] = []
        if context._after_request_functions:
            functions.extend(context._after_request_functions)
        request = context.request
        for name in _scopes(request):
            functions.extend(reversed(self.after_request_funcs.get(name, ())))
        for function in functions:
            result: t.Any = function(response)
            if result.__class__ is CoroutineType:
                result = _run_coroutine(result)
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
        if cls is str or cls is bytes:
            return self.response_class(value)
        if cls is dict or cls is list:
            return self.response_class(_json.dumps_bytes(value), content_type=_JSON_TYPE)
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
        if isinstance(error, HTTPException):
            if isinstance(error, RequestRedirect):
                error.new_url = _safe_redirect_target(request, error.new_path)
            if self.config["TRAP_HTTP_EXCEPTIONS"]:
                raise error
        handler = self._find_error_handler(error, request)
        if handler is None:
            if isinstance(error, HTTPException):
                return error.get_response(request)
            raise error
        value = handler(error)
        if value.__class__ is CoroutineType:
            value = _run_coroutine(value)
        return self.make_response(value)

    def handle_exception(self, error: Exception, request: Request | None) -> Response:
        """Log an unhandled error once and answer 500 (or re-raise in tests)."""
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing or self.debug
        method = request.method if request is not None else "?"
        path = request.path if request is not None else "?"
        self.logger.error("Exception on %s [%s]", path, method, exc_info=error)
        if propagate:
            raise error
        server_error = InternalServerError(original_exception=error)
        handler = self._find_error_handler(server_error, request)
        if handler is not None:
            try:
                value = handler(server_error)
                if value.__class__ is CoroutineType:
                    value = _run_coroutine(value)
                return self.make_response(value)
            except Exception:  # noqa: BLE001 - a broken handler must not hide the 500
                self.logger.exception("The error handler for 500 failed as well")
        return server_error.get_response(request)

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

    # -- sessions (the cookie session arrives with the sessions feature) --

    def _open_session(self, context: RequestContext) -> t.Any:
        raise RuntimeError("Sessions are not available yet in this version of erlen.")

    def _save_session(self, context: RequestContext, response: Response) -> None:
        return None

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
        self, host: str | None = None, port: int | None = None, debug: bool | None = None
    ) -> None:
        """Serve the app with the development server (for ``python app.py``).

        Not for production: use gunicorn, uWSGI or waitress there.
        """
        if debug is not None:
            self.debug = debug
        from .devserver import run_simple

        run_simple(host or "127.0.0.1", 5000 if port is None else int(port), self)

    #: The WSGI application proper; wrap this one with WSGI middleware
    #: (``app.wsgi_app = Middleware(app.wsgi_app)``).
    wsgi_app = _wsgi_serve

    def __call__(self, environ: t.Any, start_response: t.Any, send: t.Any = None) -> t.Any:
        """Serve one request: ``(environ, start_response)`` is WSGI."""
        if send is None:
            return self.wsgi_app(environ, start_response)
        raise RuntimeError(
            "This erlen app was called as an ASGI application, which this version does not "
            "support yet. Serve it with a WSGI server such as gunicorn."
        )

    def __repr__(self) -> str:
        return f"<Erlen {self.name!r}>"


def _scopes(request: Request | None) -> tuple[str | None, ...]:
    """The hook scopes of a request: its blueprints (innermost first), then the app."""
    blueprint = request.blueprint if request is not None else None
    if not blueprint:
        return (None,)
    parts = blueprint.split(".")
    return (*(".".join(parts[:i]) for i in range(len(parts), 0, -1)), None)


def _error_key(code_or_exception: ErrorKey) -> ErrorKey:
    if isinstance(code_or_exception, int):
        from .exceptions import default_exceptions

        if code_or_exception not in default_exceptions:
            raise ValueError(
                f"{code_or_exception} is not an HTTP error code erlen knows. Register a handler "
                "for a 4xx/5xx code, or for an exception class."
            )
        return code_or_exception
    if isinstance(code_or_exception, type) and issubclass(code_or_exception, BaseException):
        return code_or_exception
    raise TypeError(
        f"errorhandler() takes an HTTP status code or an exception class, "
        f"not {code_or_exception!r}. Pass the class (ValueError), not an instance."
    )


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


def _describe(function: t.Any) -> str:
    name = getattr(function, "__qualname__", None) or repr(function)
    module = getattr(function, "__module__", None)
    return f"{module}.{name}" if module else name


def _current_request() -> Request | None:
    context = _cv.get(None)
    return context.request if context is not None else None


def _current_endpoint() -> str | None:
    request = _current_request()
    return request.endpoint if request is not None else None


_loops: t.Any = None


def _run_coroutine(coroutine: t.Any) -> t.Any:
    """Run an ``async def`` view's coroutine to completion under WSGI."""
    global _loops
    import asyncio
    import threading

    if _loops is None:
        _loops = threading.local()
    loop = getattr(_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = _loops.loop = asyncio.new_event_loop()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return loop.run_until_complete(coroutine)
    # Called from inside a running loop (an async test, say): use a thread.
    from concurrent.futures import ThreadPoolExecutor
    from contextvars import copy_context

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(copy_context().run, asyncio.run, coroutine).result()
