"""What apps and blueprints share: registering views, hooks and handlers.

:class:`Scaffold` stores everything under the key ``None`` ("this object's
own"); the app uses its dicts directly, and a blueprint's are copied into
the app's under the blueprint's name when it is registered.
"""

from __future__ import annotations

import os
import sys
import typing as t
from collections import defaultdict
from collections.abc import Callable

from ._packages import root_path_of
from .ctx import _cv

if t.TYPE_CHECKING:
    from .cli import AppGroup
    from .response import Response

__all__ = ["Scaffold"]

F = t.TypeVar("F", bound=Callable[..., t.Any])
ErrorKey = t.Union[int, type[BaseException]]


class SetupTooLate(AssertionError, RuntimeError):
    """A setup method was called when it could no longer take effect.

    An :exc:`AssertionError`, as Flask raises, and a :exc:`RuntimeError`.
    """


class Scaffold:
    """The registration API of :class:`~erlen.Erlen` and :class:`~erlen.Blueprint`."""

    #: The word used in messages: "app" or "blueprint".
    _kind = "app"

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.root_path = root_path if root_path is not None else root_path_of(import_name)
        self._static_folder = os.fspath(static_folder) if static_folder is not None else None
        self._static_url_path = static_url_path
        self.template_folder = os.fspath(template_folder) if template_folder is not None else None
        self.view_functions: dict[str, Callable[..., t.Any]] = {}
        # Hooks and handlers by blueprint name; None holds this object's own.
        # defaultdicts, as in Flask: extensions write app.before_request_funcs[None].
        self.before_request_funcs: dict[str | None, list[Callable[[], t.Any]]] = defaultdict(list)
        self.before_websocket_funcs: dict[str | None, list[Callable[[], t.Any]]] = defaultdict(list)
        self.after_request_funcs: dict[str | None, list[Callable[[Response], Response]]] = (
            defaultdict(list)
        )
        self.teardown_request_funcs: dict[str | None, list[Callable[..., t.Any]]] = defaultdict(
            list
        )
        self.error_handler_spec: dict[str | None, dict[ErrorKey, Callable[..., t.Any]]] = (
            defaultdict(dict)
        )
        self.template_context_processors: dict[str | None, list[Callable[[], dict[str, t.Any]]]] = (
            defaultdict(list)
        )
        self.url_value_preprocessors: dict[
            str | None, list[Callable[[str | None, dict[str, t.Any] | None], None]]
        ] = defaultdict(list)
        self.url_default_functions: dict[
            str | None, list[Callable[[str, dict[str, t.Any]], None]]
        ] = defaultdict(list)

    # -- folders ---------------------------------------------------------

    @property
    def static_folder(self) -> str | None:
        """The absolute path of the static folder, or ``None``."""
        if self._static_folder is None:
            return None
        return os.path.join(self.root_path, self._static_folder)

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        self._static_folder = os.fspath(value).rstrip("/\\") if value is not None else None

    @property
    def has_static_folder(self) -> bool:
        return self._static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """The URL prefix static files are served under, such as ``/static``."""
        if self._static_url_path is not None:
            return self._static_url_path
        if self._static_folder is not None:
            return "/" + os.path.basename(self._static_folder.rstrip("/\\"))
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        self._static_url_path = value.rstrip("/") if value is not None else None

    def send_static_file(self, filename: str) -> Response:
        """The view behind ``/static/<path:filename>``: a file from the static folder."""
        folder = self.static_folder
        if folder is None:
            raise RuntimeError(
                f"This {self._kind} has no static folder; pass static_folder= to serve files."
            )
        from .sendfile import send_from_directory

        app = _cv.get().app  # perf: not the current_app proxy
        max_age = app.get_send_file_max_age(filename)
        follow = bool(app.config["STATIC_FOLLOW_SYMLINKS"])
        return send_from_directory(folder, filename, max_age=max_age, follow_symlinks=follow)

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> t.IO[t.Any]:
        """Open a file of the app's (or blueprint's) code, relative to ``root_path``.

        For files that ship with the code, such as ``schema.sql`` beside the
        package: ``with app.open_resource("schema.sql") as f: ...``. Only
        reading is allowed; ``encoding`` applies in text mode (``mode="r"``).
        """
        if mode not in ("r", "rt", "rb"):
            raise ValueError(
                f"open_resource() opens files for reading only (mode 'rb' or 'r'), not "
                f"{mode!r}. To write a file, open a path in the instance folder: "
                "app.open_instance_resource(name, 'w')."
            )
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)  # noqa: SIM115 - the caller closes it
        return open(path, mode, encoding=encoding)  # noqa: SIM115

    @property
    def cli(self) -> AppGroup:
        """Commands of this app or blueprint: ``@app.cli.command()``, ``@bp.cli.command()``.

        An app's commands join ``erlen``; a blueprint's make ``erlen <bp> <name>``.
        """
        group = self.__dict__.get("_cli")
        if group is None:
            from .cli import AppGroup  # perf: Click loads only when commands are made

            group = self.__dict__["_cli"] = AppGroup(t.cast(str, self.name))  # type: ignore[attr-defined]  # both subclasses have a name
        return t.cast("AppGroup", group)

    # -- routes ----------------------------------------------------------

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        raise NotImplementedError

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
                f"{self._kind}.{method.lower()}() sets the method itself; use "
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

    def websocket(self, rule: str, **options: t.Any) -> Callable[[F], F]:
        """Register the decorated ``async def`` function as a WebSocket handler.

        ::

            @app.websocket("/ws/<room>")
            async def chat(room):
                await websocket.accept()
                async for message in websocket:
                    await websocket.send(f"{room}: {message}")

        WebSockets need an ASGI server (``uvicorn module:app``).
        """

        def decorator(function: F) -> F:
            _check_websocket_handler(function, options.get("methods"))
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(
                rule,
                endpoint,
                function,
                websocket=True,
                **options,
            )
            return function

        return decorator

    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        """Register the decorated function as the view of ``endpoint``."""

        def decorator(function: F) -> F:
            self._set_view(endpoint, function)
            return function

        return decorator

    def _check_setup(self, what: str) -> None:
        """Refuse a setup method once it could no longer take effect (see the subclasses)."""

    def _set_view(self, endpoint: str, function: Callable[..., t.Any]) -> None:
        self.view_functions[endpoint] = function

    def before_request(self, f: F) -> F:
        """Run ``f`` before each view; a non-``None`` return becomes the response."""
        self._check_setup("before_request")
        self.before_request_funcs.setdefault(None, []).append(f)
        return f

    def before_websocket(self, f: F) -> F:
        """Run ``f`` before each WebSocket handler (``abort()`` refuses the handshake)."""
        self._check_setup("before_websocket")
        self.before_websocket_funcs.setdefault(None, []).append(f)
        return f

    def after_request(self, f: F) -> F:
        """Pass each response through ``f``, which must return a response."""
        self._check_setup("after_request")
        self.after_request_funcs.setdefault(None, []).append(f)
        return f

    def teardown_request(self, f: F) -> F:
        """Call ``f(error)`` when each request ends, even after an error."""
        self._check_setup("teardown_request")
        self.teardown_request_funcs.setdefault(None, []).append(f)
        return f

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

    def register_error_handler(self, code_or_exception: ErrorKey, f: Callable[..., t.Any]) -> None:
        """Handle an HTTP status code or an exception class with ``f`` (what ``errorhandler`` does)."""
        self._check_setup("register_error_handler")
        key = _error_key(code_or_exception)
        self.error_handler_spec.setdefault(None, {})[key] = f

    def context_processor(self, f: F) -> F:
        """Add the dict ``f()`` returns to every template's context."""
        self._check_setup("context_processor")
        self.template_context_processors.setdefault(None, []).append(f)
        return f

    def url_value_preprocessor(self, f: F) -> F:
        """Call ``f(endpoint, values)`` before the view, to pull values out."""
        self._check_setup("url_value_preprocessor")
        self.url_value_preprocessors.setdefault(None, []).append(f)
        return f

    def url_defaults(self, f: F) -> F:
        """Call ``f(endpoint, values)`` in ``url_for``, to fill in values."""
        self._check_setup("url_defaults")
        self.url_default_functions.setdefault(None, []).append(f)
        return f


def _error_key(code_or_exception: ErrorKey) -> ErrorKey:
    if isinstance(code_or_exception, int):
        from .http.exceptions import default_exceptions

        if code_or_exception not in default_exceptions:
            raise ValueError(
                f"{code_or_exception} is not an HTTP error code erlen knows. Register a handler "
                "for a 4xx/5xx code, or for an exception class."
            )
        return code_or_exception
    if isinstance(code_or_exception, type) and issubclass(code_or_exception, BaseException):
        werkzeug = sys.modules.get("werkzeug.exceptions")
        if werkzeug is not None and issubclass(code_or_exception, werkzeug.HTTPException):
            if code_or_exception is werkzeug.HTTPException:
                # Flask's "every HTTP error" handler: it gets erlen's, of every code.
                from .http.exceptions import HTTPException

                return HTTPException
            # Werkzeug's own errors are keyed by their code, so erlen's of that
            # code reach the handler too; an extension's subclass (Flask-Limiter's
            # RateLimitExceeded) stays a class of its own, as in Flask.
            code = getattr(code_or_exception, "code", None)
            if isinstance(code, int) and code_or_exception.__module__.startswith("werkzeug."):
                return _error_key(code)
        return code_or_exception
    raise TypeError(
        f"errorhandler() takes an HTTP status code or an exception class, "
        f"not {code_or_exception!r}. Pass the class (ValueError), not an instance."
    )


def _check_websocket_handler(view_func: t.Any, methods: t.Any) -> None:
    import inspect

    if methods is not None:
        raise TypeError("WebSocket routes take no methods; remove methods=[...].")
    if view_func is not None and not inspect.iscoroutinefunction(view_func):
        raise TypeError(
            f"The WebSocket handler {_describe(view_func)} is a plain function. WebSocket "
            "handlers must be 'async def' functions, because they await "
            "websocket.receive() and websocket.send()."
        )


def _describe(function: t.Any) -> str:
    name = getattr(function, "__qualname__", None) or repr(function)
    module = getattr(function, "__module__", None)
    return f"{module}.{name}" if module else name
