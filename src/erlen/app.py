"""The application object: what it is made of, and how things are registered on it.

:class:`Erlen` holds the configuration, the URL map, the views, hooks and
error handlers (registered through :class:`~erlen.scaffold.Scaffold`'s
decorators), blueprints, template helpers, and the entry points servers
and tests use: ``__call__`` (WSGI and ASGI), ``test_client``, ``run``.
Serving a request is the other half, in :mod:`erlen.cycle`.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import typing as t
import weakref
from collections.abc import Callable
from datetime import timedelta
from types import CoroutineType, FunctionType

from ._packages import find_instance_path
from ._typed_views import OPENAPI_OPTIONS, may_be_typed, typed_or_same
from .config import DEFAULT_CONFIG, Config, ConfigAttribute
from .ctx import AppContext, RequestContext, _AppCtxGlobals, _current_request, _cv, _signals
from .cycle import RequestCycle, _scopes
from .http.exceptions import Aborter
from .json.provider import DefaultJSONProvider, JSONProvider
from .request import Request
from .response import Response
from .response import redirect as _redirect
from .routing import MapAdapter, Router, Rule
from .scaffold import SetupTooLate, _check_websocket_handler, _describe
from .serving.concurrency import run_coroutine as _run_coroutine
from .serving.wsgi import serve as _wsgi_serve

if t.TYPE_CHECKING:
    import logging

    from .blueprints import Blueprint
    from .serving.threads import WorkerPool
    from .sessions import SessionInterface
    from .templating import Environment
    from .testing import Client, ErlenCliRunner

__all__ = ["Erlen"]

# The options of a rule (Werkzeug's, and erlen's own) that routes pass on.
_RULE_OPTIONS = frozenset(
    {
        "defaults",
        "strict_slashes",
        "merge_slashes",
        "subdomain",
        "host",
        "redirect_to",
        "build_only",
        "alias",
        "websocket",
        "stream_body",
    }
)


class _SetupError(ValueError, AssertionError):
    """A mistake in setting the app up; an AssertionError too, as Flask raises."""


F = t.TypeVar("F", bound=Callable[..., t.Any])


def _as_timedelta(value: timedelta | int | float) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


async def _asgi_entry(
    app_ref: weakref.ref[Erlen], scope: t.Any, receive: t.Any, send: t.Any
) -> None:
    # What ``app.__call__`` shows a server that inspects it (see __init__);
    # it holds the app weakly, so the app is freed with its last reference.
    app = app_ref()
    if app is None:  # pragma: no cover - only a server holding __call__ alone
        raise RuntimeError("The erlen app this ASGI entry belonged to has been freed.")
    await app.asgi_app(scope, receive, send)


class _Lazy:
    """A class attribute that is a name of another erlen module, imported on first use.

    So asyncio and a protocol adapter load only for the protocol a server
    speaks (``asgi_app``, ``__rsgi__`` ...), and Jinja2 only for an app that
    renders templates (``jinja_environment``). A function found this way
    becomes a method of the class.
    """

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name
        self.attribute = name

    def __set_name__(self, owner: type, attribute: str) -> None:
        self.attribute = attribute

    def __get__(self, instance: t.Any, owner: type) -> t.Any:
        from importlib import import_module

        value = getattr(import_module(f".{self.module}", __package__), self.name)
        setattr(owner, self.attribute, value)
        if instance is not None and isinstance(value, FunctionType):
            return value.__get__(instance, owner)
        return value


class Erlen(RequestCycle):
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
    #: The class of ``test_client()``'s clients (default: ``erlen.testing.ErlenClient``).
    test_client_class: type[Client] | None = None
    #: The class of ``test_cli_runner()``'s runners (default: ``erlen.testing.ErlenCliRunner``).
    test_cli_runner_class: type[ErlenCliRunner] | None = None
    default_config = DEFAULT_CONFIG
    #: The class of :attr:`url_map`, the app's rules.
    url_map_class = Router
    #: The class of each rule ``add_url_rule`` makes (a subclass of
    #: :class:`~erlen.routing.Rule`; it is given the same arguments).
    url_rule_class = Rule
    #: The class of ``config``; :meth:`make_config` creates it.
    config_class = Config
    #: The class of :attr:`aborter`; :meth:`make_aborter` creates it.
    aborter_class = Aborter
    #: The class of :attr:`jinja_env`.
    jinja_environment: type[Environment] = t.cast(
        "type[Environment]", _Lazy("templating", "Environment")
    )
    #: Options for the Jinja2 environment, read when it is created.
    jinja_options: dict[str, t.Any] = {}
    #: The class of :attr:`json`, made for each app (see :mod:`erlen.json.provider`).
    json_provider_class: type[JSONProvider] = DefaultJSONProvider

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(import_name, static_folder, static_url_path, template_folder, root_path)
        if instance_path is None:
            instance_path = find_instance_path(import_name, self.name)
        elif not os.path.isabs(instance_path):
            raise ValueError(
                f"The instance path must be absolute, and {instance_path!r} is relative. "
                "Pass an absolute path, such as os.path.abspath(...), or leave it out to "
                "use the 'instance' folder beside your package."
            )
        #: The folder for files of this deployment (a local config, a SQLite
        #: database), outside the code; it need not exist.
        self.instance_path = instance_path
        self.config = self.make_config(instance_relative_config)
        #: Raises the HTTP error for a status code: what :func:`erlen.abort` calls.
        self.aborter = self.make_aborter()
        #: Functions whose dicts ``erlen shell`` adds to its namespace.
        self.shell_context_processors: list[Callable[[], dict[str, t.Any]]] = []
        #: Called, in order, when :func:`~erlen.url_for` cannot build a URL:
        #: ``(error, endpoint, values)``; the first to return a URL wins.
        self.url_build_error_handlers: list[Callable[[Exception, str, dict[str, t.Any]], str]] = []
        #: How the app writes and reads JSON (``jsonify``, dict returns, ``get_json``).
        self.json: JSONProvider = self.json_provider_class(self)
        self.url_map = self.url_map_class(host_matching=host_matching)
        #: Whether rules with ``subdomain=`` match the part of a request's
        #: host before ``SERVER_NAME`` (as Flask's ``subdomain_matching``).
        self.subdomain_matching = subdomain_matching
        self._async_views: dict[Callable[..., t.Any], bool] = {}
        self.teardown_appcontext_funcs: list[Callable[..., t.Any]] = []
        self.blueprints: dict[str, Blueprint] = {}
        self.jinja_options = dict(self.jinja_options)
        #: Template filters, globals and tests, applied when Jinja2 loads.
        self.template_extras: dict[str, dict[str, t.Any]] = {
            "filters": {},
            "globals": {},
            "tests": {},
        }
        if self.has_static_folder:
            if bool(static_host) != host_matching:
                raise _SetupError(
                    "static_host and host_matching go together: with host_matching=True, "
                    "pass static_host='static.example.com' (the host static files are "
                    "served from), and without it leave static_host out. An app with no "
                    "static files can pass static_folder=None instead."
                    if host_matching
                    else "static_host= only works with host_matching=True: pass both, or "
                    "leave static_host out."
                )
            # A weak reference, not the bound method: the app is freed with
            # its last reference, without waiting for the garbage collector.
            app_ref = weakref.ref(self)

            def static(filename: str) -> Response:
                return app_ref().send_static_file(filename)  # type: ignore[union-attr]

            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                view_func=static,
                host=static_host,
            )
        self.extensions: dict[str, t.Any] = {}
        self._logger: logging.Logger | None = None
        # perf: on the instance, where Python 3.11 reads them per request
        # faster than through it from the class; a subclass's choice still wins.
        cls = type(self)
        self.request_class = cls.request_class
        self.response_class = cls.response_class
        self.before_serving_funcs: list[Callable[[], t.Any]] = []
        self.after_serving_funcs: list[Callable[[], t.Any]] = []
        # perf and compatibility: servers that sniff the app (uvicorn, hypercorn)
        # read ``app.__call__`` and treat the app as ASGI 3 when it is a
        # coroutine function; calling the app still goes through the class's
        # __call__, which serves WSGI too.
        self.__dict__["__call__"] = functools.partial(_asgi_entry, weakref.ref(self))

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
    def subdomain_matching(self) -> bool:
        """Whether ``subdomain=`` rules match requests (under ``SERVER_NAME``)."""
        return self.url_map.subdomain_matching

    @subdomain_matching.setter
    def subdomain_matching(self, value: bool) -> None:
        self.url_map.subdomain_matching = value

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

    #: How long a permanent session lasts (``PERMANENT_SESSION_LIFETIME``,
    #: a :class:`~datetime.timedelta`; seconds are accepted too).
    permanent_session_lifetime = ConfigAttribute("PERMANENT_SESSION_LIFETIME", _as_timedelta)

    def make_config(self, instance_relative: bool = False) -> Config:
        """Create ``config``, relative to the instance folder when ``instance_relative``."""
        root = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = _debug_from_env(defaults["DEBUG"])
        return self.config_class(root, defaults)

    def auto_find_instance_path(self) -> str:
        """The instance folder erlen uses when none is given (see :doc:`/config`)."""
        return find_instance_path(self.import_name, self.name)

    def make_aborter(self) -> Aborter:
        """Create :attr:`aborter`, an instance of :attr:`aborter_class`."""
        return self.aborter_class()

    def redirect(self, location: str, code: int = 302) -> Response:
        """Return a redirect to ``location`` built with :attr:`response_class`.

        :func:`erlen.redirect` calls this on the current app.
        """
        return _redirect(location, code=code, Response=self.response_class)

    def shell_context_processor(self, f: F) -> F:
        """Register ``f``, returning a dict, whose names ``erlen shell`` starts with."""
        self._check_setup("shell_context_processor")
        self.shell_context_processors.append(f)
        return f

    def make_shell_context(self) -> dict[str, t.Any]:
        """The names ``erlen shell`` starts with: ``app``, ``g`` and the processors' names."""
        from .ctx import g

        namespace: dict[str, t.Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            namespace.update(processor())
        return namespace

    def handle_url_build_error(
        self, error: Exception, endpoint: str, values: dict[str, t.Any]
    ) -> str:
        """Ask :attr:`url_build_error_handlers` for a URL ``url_for`` could not build.

        The first handler to return something other than ``None`` gives the
        URL; when none does, ``error`` is raised again.
        """
        for handler in self.url_build_error_handlers:
            try:
                url = handler(error, endpoint, values)
            except Exception as other:  # noqa: BLE001 - a handler may pass the error on
                if other is not error:
                    raise
                continue
            if url is not None:
                return url
        if error is sys.exc_info()[1]:
            raise  # noqa: PLE0704 - keep the original traceback
        raise error

    @property
    def logger(self) -> logging.Logger:
        """The app's logger, named after the app; logs to stderr unless configured."""
        if self._logger is None:
            from .logging import create_logger

            logger = create_logger(self)  # type: ignore[arg-type]  # self is the Erlen
            self._logger = logger
        return self._logger

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.Any]:
        """Open a file in the :attr:`instance_path` folder, for reading or writing.

        ``encoding`` applies in text mode only.
        """
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)  # noqa: SIM115 - the caller closes it
        return open(path, mode, encoding=encoding)  # noqa: SIM115

    # -- registration ----------------------------------------------------

    #: Set when the app serves its first request; setup methods refuse after it.
    _got_first_request = False

    def _check_setup(self, what: str) -> None:
        if self._got_first_request:
            raise SetupTooLate(
                f"{what}() was called on the app after it handled its first request, so "
                "the requests already served (and those served by other workers) would not "
                "see the change. Do all the setup (imports, routes, hooks, blueprints) "
                "before the app serves requests, for example in the app factory."
            )

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Connect a URL rule to a view function (what ``@app.route`` does)."""
        self._check_setup("add_url_rule")
        if endpoint is None:
            if view_func is None:
                raise TypeError("add_url_rule() needs a view_func or an endpoint name.")
            endpoint = view_func.__name__
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
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            # As in Flask: automatic OPTIONS unless the view answers OPTIONS itself.
            provide_automatic_options = "OPTIONS" not in {
                m.upper() for m in methods
            } and self.config.get("PROVIDE_AUTOMATIC_OPTIONS", True)
        on_loop = options.pop("on_loop", None)
        described = {name: options.pop(name) for name in OPENAPI_OPTIONS & options.keys()}
        unknown = set(options) - _RULE_OPTIONS
        if unknown:
            raise TypeError(
                f"Unknown route option(s): {', '.join(sorted(unknown))}. Routes accept "
                "methods, endpoint, defaults, strict_slashes, merge_slashes, subdomain, "
                "host, redirect_to, build_only, alias, stream_body, on_loop and "
                "provide_automatic_options; and, for the OpenAPI document, responses, "
                "tags, security, deprecated, summary and include_in_schema."
            )
        if "stream_body" not in options and getattr(view_func, "stream_body", False):
            options["stream_body"] = True
        required = getattr(view_func, "required_methods", None)
        if required:
            methods = [*methods, *required]
        existing = None
        if view_func is not None:
            existing = self.view_functions.get(endpoint)
            # != as Flask: a bound method is a new object each time it is read.
            # A typed view registered again is compared by the function it wraps.
            if (
                existing is not None
                and existing != view_func
                and not (
                    hasattr(existing, "_erlen_typed")
                    and getattr(existing, "__wrapped__", None) == view_func
                )
            ):
                raise _SetupError(
                    f"View function mapping is overwriting an existing endpoint function: "
                    f"{endpoint!r} is already {_describe(existing)}, and now {rule!r} maps it "
                    f"to {_describe(view_func)}. Give the view another name or pass "
                    "endpoint='...'. If both come from one decorator, make the decorator "
                    "use functools.wraps."
                )
        url_rule = self.url_rule_class(
            rule,
            endpoint,
            [m.upper() for m in methods],
            provide_automatic_options=bool(provide_automatic_options),
            **options,
        )
        self.url_map.add(url_rule)
        if described:
            self.__dict__.setdefault("_openapi_options", {})[endpoint] = described
        if view_func is not None:
            # perf: only a view with annotations (or a class-based one) is looked
            # at; any other is registered as it is, and erlen.typed never loads.
            if may_be_typed(view_func):
                view_func = typed_or_same(self, view_func, url_rule, existing)
            self.view_functions[endpoint] = view_func
            # Decided once, here: the ASGI adapter runs an async view on the
            # event loop and a plain one in the thread pool, unless on_loop=True
            # says that this plain view never blocks.
            if self._is_async_view(view_func) is False and on_loop:
                self._async_views[view_func] = True

    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Add a blueprint's routes, hooks and handlers to the app.

        Options override the blueprint's own: ``url_prefix``, ``name`` (to
        register one blueprint twice), ``url_defaults``, ``subdomain``.
        """
        self._check_setup("register_blueprint")
        blueprint.register(self, options)

    def iter_blueprints(self) -> t.Iterator[Blueprint]:
        """The registered blueprints, in registration order."""
        return iter(self.blueprints.values())

    def teardown_appcontext(self, f: F) -> F:
        """Call ``f(error)`` when each app context ends."""
        self._check_setup("teardown_appcontext")
        self.teardown_appcontext_funcs.append(f)
        return f

    # -- errors and teardown (logged from here, so log lines say "in app") --

    def log_exception(self, exc_info: t.Any) -> None:
        """Log an error the app did not handle, with the request line and traceback.

        ``exc_info`` is what :func:`sys.exc_info` returns (or the error
        itself). Override it to log unhandled errors elsewhere.
        """
        request = _current_request()
        method = request.method if request is not None else "?"
        path = request.path if request is not None else "?"
        self.logger.error("Exception on %s [%s]", path, method, exc_info=exc_info)

    def _stream_failed(self, request: Request | None, cut: bool = True) -> bool:
        """Log the error a streamed body raised midway; return whether to raise it on.

        Call it in the ``except`` block. The adapters cut the connection
        rather than end the body, so the client cannot take a partial body
        for a whole one; under RSGI, which cannot (``cut=False``), the log
        says the body was ended.
        """
        self.logger.exception(
            "Exception while streaming the response to %s [%s]; "
            + (
                "the connection is cut so the client does not take a partial body for a whole one"
                if cut
                else "the body was ended there (RSGI cannot cut the connection): the client "
                "may take the partial body for a whole one"
            ),
            getattr(request, "path", "?"),
            getattr(request, "method", "?"),
        )
        return self._propagates()

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        """Call the ``teardown_request`` hooks (latest first), then the signal.

        ``request_tearing_down`` is sent last, as in Flask.
        """
        if self.teardown_request_funcs:
            request = _cv.get().request
            for name in _scopes(request):
                for function in reversed(self.teardown_request_funcs.get(name, ())):
                    self._call_teardown(function, exc)
        if _signals:
            self._send_at_teardown(_signals[0].request_tearing_down, exc=exc)

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        """Call the ``teardown_appcontext`` hooks (latest first), then the signal.

        ``appcontext_tearing_down`` is sent last, as in Flask.
        """
        for function in reversed(self.teardown_appcontext_funcs):
            self._call_teardown(function, exc)
        if _signals:
            self._send_at_teardown(_signals[0].appcontext_tearing_down, exc=exc)

    def _call_teardown(self, function: Callable[..., t.Any], error: BaseException | None) -> None:
        try:
            value = function(error)
            if value.__class__ is CoroutineType:
                _run_coroutine(value)
        except Exception:  # noqa: BLE001 - one failing teardown must not skip the others
            self.logger.exception("Error in teardown function %s", _describe(function))

    def _send_at_teardown(self, signal: t.Any, **kwargs: t.Any) -> None:
        """Send a signal of a context's end; log a receiver's error, as a teardown's."""
        try:
            _signals[0]._send(signal, self, **kwargs)
        except Exception:  # noqa: BLE001 - the rest of the teardown still runs
            self.logger.exception("Error in a receiver of the signal %r", signal.name)

    def _is_async_view(self, view: Callable[..., t.Any]) -> bool:
        """Whether ``view`` is an ``async def`` view (run on the event loop under ASGI)."""
        found = self._async_views.get(view)
        if found is None:  # put straight into view_functions, not through add_url_rule
            found = self._async_views[view] = inspect.iscoroutinefunction(view)
        return found

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

    # -- templates -------------------------------------------------------

    @property
    def jinja_env(self) -> Environment:
        """The Jinja2 environment, created (and Jinja2 imported) on first use."""
        environment = self.__dict__.get("_jinja_env")
        if environment is None:
            environment = self.__dict__["_jinja_env"] = self.create_jinja_environment()
        return t.cast("Environment", environment)

    def create_jinja_environment(self) -> Environment:
        """Create the Jinja2 environment; :attr:`jinja_env` calls this once."""
        from .templating import create_environment

        return create_environment(self)

    def create_global_jinja_loader(self) -> t.Any:
        """The loader of :attr:`jinja_env`: the app's templates, then its blueprints'."""
        from .templating import DispatchingJinjaLoader

        return DispatchingJinjaLoader(self)

    @property
    def jinja_loader(self) -> t.Any:
        """A loader for this app's own template folder, or ``None`` when it has none."""
        if self.template_folder is None:
            return None
        import jinja2

        return jinja2.FileSystemLoader(os.path.join(self.root_path, self.template_folder))

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Whether a template is autoescaped: strings, and ``.html``, ``.htm``, ``.xml``, ``.xhtml``, ``.svg`` files."""
        from .templating import _select_autoescape

        return _select_autoescape(filename)

    def _add_template_extra(self, kind: str, function: t.Any, name: str | None) -> None:
        self._check_setup(f"add_template_{kind.rstrip('s')}")
        name = name or function.__name__
        self.template_extras[kind][name] = function
        environment = self.__dict__.get("_jinja_env")
        if environment is not None:
            getattr(environment, kind)[name] = function

    def add_template_filter(self, f: Callable[..., t.Any], name: str | None = None) -> None:
        """Make ``f`` a filter in templates: ``{{ value|name }}``."""
        self._add_template_extra("filters", f, name)

    def add_template_global(self, f: Callable[..., t.Any], name: str | None = None) -> None:
        """Make ``f`` callable from every template."""
        self._add_template_extra("globals", f, name)

    def add_template_test(self, f: Callable[..., t.Any], name: str | None = None) -> None:
        """Make ``f`` a test in templates: ``{% if value is name %}``."""
        self._add_template_extra("tests", f, name)

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

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """Return the URL map bound to ``request``'s host, or to ``SERVER_NAME``.

        As Flask's: under host matching the request's host is used as it
        is; without ``subdomain_matching`` the subdomain is always the
        default one. Outside a request, ``None`` unless ``SERVER_NAME`` is set.
        """
        url_map = self.url_map
        if request is not None:
            server_name = self.config["SERVER_NAME"]
            subdomain = None
            if url_map.host_matching:
                server_name = None
            elif not url_map.subdomain_matching:
                subdomain = url_map.default_subdomain or ""
            return url_map.bind_request(
                request.host,
                request.scheme,
                request.root_path,
                server_name,
                subdomain,
                request.method,
                request.path,
                request.query_string.decode("latin-1"),
            )
        if self.config["SERVER_NAME"] is not None:
            return url_map.bind(
                self.config["SERVER_NAME"],
                script_name=self.config["APPLICATION_ROOT"],
                url_scheme=self.config["PREFERRED_URL_SCHEME"],
            )
        return None

    def url_for(self, endpoint: str, /, **values: t.Any) -> str:
        """Return the URL of ``endpoint``; see :func:`erlen.url_for`.

        Works outside a request too, in an app context of its own.
        """
        from .helpers import url_for

        context = _cv.get(None)
        if context is not None and context.app is self:
            return url_for(endpoint, **values)
        with self.app_context():
            return url_for(endpoint, **values)

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
        return RequestContext(self, environ)

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """Return a request context for a made-up request (``EnvironBuilder``'s arguments).

        The request is matched against the URL rules, so ``request.endpoint``
        and ``request.view_args`` are set (``request.routing_exception`` on a miss).
        """
        from .testing import EnvironBuilder

        builder = EnvironBuilder(self, *args, **kwargs)
        try:
            context = self.request_context(builder.get_environ())
        finally:
            builder.close()
        self.match_request(t.cast(Request, context.request))
        return context

    def test_client(self, use_cookies: bool = True, **kwargs: t.Any) -> Client:
        """Return a client that sends requests to the app in-process (``test_client_class``)."""
        from .testing import Client

        cls = self.test_client_class or Client
        return cls(self, self.response_class, use_cookies=use_cookies, **kwargs)

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

        cls = self.test_cli_runner_class or ErlenCliRunner
        return cls(self, **kwargs)

    #: The WSGI application proper; wrap this one with WSGI middleware
    #: (``app.wsgi_app = Middleware(app.wsgi_app)``).
    wsgi_app = _wsgi_serve

    #: The ASGI application proper; wrap this one with ASGI middleware
    #: (``app.asgi_app = Middleware(app.asgi_app)``).
    asgi_app: Callable[..., t.Any] = t.cast("Callable[..., t.Any]", _Lazy("serving.asgi", "serve"))

    #: granian's native interface, RSGI (``granian --interface rsgi app:app``):
    #: the same cycle as ASGI; ``__rsgi_init__`` and ``__rsgi_del__`` run the
    #: serving hooks, as the ASGI lifespan does (see :mod:`erlen.serving.rsgi`).
    __rsgi__: Callable[..., t.Any] = t.cast("Callable[..., t.Any]", _Lazy("serving.rsgi", "serve"))
    __rsgi_init__: Callable[..., t.Any] = t.cast(
        "Callable[..., t.Any]", _Lazy("serving.rsgi", "start")
    )
    __rsgi_del__: Callable[..., t.Any] = t.cast(
        "Callable[..., t.Any]", _Lazy("serving.rsgi", "stop")
    )

    def __call__(self, environ: t.Any, start_response: t.Any, send: t.Any = None) -> t.Any:
        """Serve one request: ``(environ, start_response)`` is WSGI, ``(scope, receive, send)`` ASGI.

        Called with three arguments it returns the coroutine the ASGI server
        awaits.
        """
        if send is None:
            return self.wsgi_app(environ, start_response)
        return self.asgi_app(environ, start_response, send)

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
    def _workers(self) -> WorkerPool:
        """The threads of ASGI requests' synchronous code (``ASGI_THREADS`` of them)."""
        pool = self.__dict__.get("_thread_pool")
        if pool is None:
            from .serving.threads import WorkerPool

            timeout = self.config.get("ASGI_THREAD_TIMEOUT")
            pool = self.__dict__["_thread_pool"] = WorkerPool(
                int(self.config["ASGI_THREADS"]),
                None if timeout is None else float(timeout),
                name="erlen-view",
            )
        return t.cast("WorkerPool", pool)

    def __repr__(self) -> str:
        return f"<Erlen {self.name!r}>"


def _debug_from_env(default: bool) -> bool:
    """``ERLEN_DEBUG`` as Flask reads ``FLASK_DEBUG`` for a new app's ``DEBUG``."""
    raw = os.environ.get("ERLEN_DEBUG")
    if not raw:
        return default
    return raw.lower() not in ("0", "false", "no")
