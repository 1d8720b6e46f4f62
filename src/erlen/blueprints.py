"""Blueprints: groups of views, hooks and files, registered on an app later.

::

    admin = Blueprint("admin", __name__, url_prefix="/admin")

    @admin.route("/")
    def index():
        return "admin home"          # endpoint "admin.index"

    app.register_blueprint(admin)

Everything a blueprint records is replayed on the app at registration, so
one blueprint can be registered on several apps (the app-factory pattern).
"""

from __future__ import annotations

import os
import typing as t
from collections.abc import Callable
from types import EllipsisType

from .scaffold import ErrorKey, F, Scaffold, SetupTooLate, _check_websocket_handler, _error_key

if t.TYPE_CHECKING:
    from .app import Erlen

__all__ = ["Blueprint", "BlueprintSetupState"]

DeferredFunction = Callable[["BlueprintSetupState"], None]

# The hook tables copied into the app under the blueprint's name.
_HOOK_TABLES = (
    "before_request_funcs",
    "before_websocket_funcs",
    "after_request_funcs",
    "teardown_request_funcs",
    "template_context_processors",
    "url_value_preprocessors",
    "url_default_functions",
)


class BlueprintSetupState:
    """What a blueprint's recorded functions see while it is registered."""

    def __init__(
        self, blueprint: Blueprint, app: Erlen, options: dict[str, t.Any], first_registration: bool
    ) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        self.first_registration = first_registration
        url_prefix = options.get("url_prefix")
        self.url_prefix: str | None = url_prefix if url_prefix is not None else blueprint.url_prefix
        self.name: str = options.get("name", blueprint.name)
        self.name_prefix: str = options.get("name_prefix", "")
        self.url_defaults = {**blueprint.url_values_defaults, **options.get("url_defaults", {})}
        subdomain = options.get("subdomain")
        #: The subdomain the blueprint's rules serve, or ``None`` for the app's.
        self.subdomain: str | None = subdomain if subdomain is not None else blueprint.subdomain

    @property
    def full_name(self) -> str:
        return f"{self.name_prefix}.{self.name}".lstrip(".")

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., t.Any] | None = None,
        **options: t.Any,
    ) -> None:
        """Add a blueprint rule to the app, under the prefix and the blueprint's name."""
        if self.url_prefix is not None:
            rule = (
                "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
                if rule
                else self.url_prefix
            )
        if endpoint is None:
            if view_func is None:
                raise TypeError("add_url_rule() needs a view_func or an endpoint name.")
            endpoint = view_func.__name__
        defaults = {**self.url_defaults, **(options.pop("defaults", None) or {})}
        if self.subdomain is not None:
            options.setdefault("subdomain", self.subdomain)
        self.app._add_rule(
            rule, f"{self.full_name}.{endpoint}", view_func, defaults=defaults or None, **options
        )


class Blueprint(Scaffold):
    """A named group of routes, hooks, error handlers, templates and static files.

    :param name: the endpoint prefix (``"admin"`` makes ``"admin.index"``).
    :param import_name: usually ``__name__``; locates the blueprint's folders.
    :param url_prefix: prepended to every rule, such as ``"/admin"``.
    :param subdomain: the subdomain the blueprint's rules serve, such as
        ``"api"`` (with ``subdomain_matching`` and ``SERVER_NAME`` on the app).
    :param url_defaults: default values for the rules' variables.
    :param cli_group: the name of the blueprint's command group
        (``erlen <cli_group> <command>``); the default ``...`` uses the
        blueprint's name, and ``None`` adds its commands to the app's own.
    """

    _kind = "blueprint"

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, t.Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None | EllipsisType = ...,
    ) -> None:
        super().__init__(import_name, static_folder, static_url_path, template_folder, root_path)
        if not name:
            raise ValueError("A blueprint needs a name, such as Blueprint('admin', __name__).")
        if "." in name:
            raise ValueError(
                f"The blueprint name {name!r} contains a dot, which erlen uses to join "
                "nested blueprint names. Choose a name without dots."
            )
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.url_values_defaults = url_defaults or {}
        self.deferred_functions: list[DeferredFunction] = []
        self._blueprints: list[tuple[Blueprint, dict[str, t.Any]]] = []
        self._registered = False
        self.cli_group = cli_group

    def __repr__(self) -> str:
        return f"<Blueprint {self.name!r}>"

    # -- recording -------------------------------------------------------

    def _check_setup(self, what: str) -> None:
        if self._registered:
            raise SetupTooLate(
                f"{what} was called on the blueprint {self.name!r} after it was registered "
                "on an app, so the app would never see it. Set the blueprint up completely "
                "before app.register_blueprint()."
            )

    def record(self, func: DeferredFunction) -> None:
        """Call ``func(state)`` each time the blueprint is registered."""
        self._check_setup(getattr(func, "__name__", "A setup function"))
        self.deferred_functions.append(func)

    def record_once(self, func: DeferredFunction) -> None:
        """Call ``func(state)`` on the blueprint's first registration on an app only."""

        def wrapper(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(wrapper)

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Record a rule; it is added to the app when the blueprint is registered."""
        if endpoint is not None and "." in endpoint:
            raise ValueError(f"The endpoint name {endpoint!r} may not contain a dot.")
        name = getattr(view_func, "__name__", None)
        if endpoint is None and name and "." in name:
            raise ValueError(f"The view function name {name!r} may not contain a dot.")
        self._check_setup(f"add_url_rule({rule!r})")
        if options.get("websocket"):
            _check_websocket_handler(view_func, options.get("methods"))
        self.deferred_functions.append(
            lambda state: state.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    def _set_view(self, endpoint: str, function: Callable[..., t.Any]) -> None:
        def register(state: BlueprintSetupState) -> None:
            state.app.view_functions[f"{state.full_name}.{endpoint}"] = function

        self.record(register)

    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Nest ``blueprint`` in this one: its names become ``"outer.inner"``."""
        if blueprint is self:
            raise ValueError("A blueprint cannot be registered on itself.")
        self._check_setup(f"register_blueprint({blueprint.name!r})")
        self._blueprints.append((blueprint, options))

    # -- app-wide registration from a blueprint --------------------------

    def _app_hook(self, table: str, function: F) -> F:
        def register(state: BlueprintSetupState) -> None:
            getattr(state.app, table).setdefault(None, []).append(function)

        self.record_once(register)
        return function

    def before_app_request(self, f: F) -> F:
        """Like ``app.before_request``: for every request, not only this blueprint's."""
        return self._app_hook("before_request_funcs", f)

    def before_app_websocket(self, f: F) -> F:
        """Like ``app.before_websocket``: for every WebSocket, not only this blueprint's."""
        return self._app_hook("before_websocket_funcs", f)

    def after_app_request(self, f: F) -> F:
        """Like ``app.after_request``."""
        return self._app_hook("after_request_funcs", f)

    def teardown_app_request(self, f: F) -> F:
        """Like ``app.teardown_request``."""
        return self._app_hook("teardown_request_funcs", f)

    def app_context_processor(self, f: F) -> F:
        """Like ``app.context_processor``."""
        return self._app_hook("template_context_processors", f)

    def app_url_value_preprocessor(self, f: F) -> F:
        """Like ``app.url_value_preprocessor``."""
        return self._app_hook("url_value_preprocessors", f)

    def app_url_defaults(self, f: F) -> F:
        """Like ``app.url_defaults``."""
        return self._app_hook("url_default_functions", f)

    def app_errorhandler(self, code: ErrorKey) -> Callable[[F], F]:
        """Like ``app.errorhandler``: handles errors from the whole app."""
        _error_key(code)

        def decorator(function: F) -> F:
            def register(state: BlueprintSetupState) -> None:
                state.app.register_error_handler(code, function)

            self.record_once(register)
            return function

        return decorator

    def _app_template_extra(self, kind: str, function: F, name: str | None) -> F:
        def register(state: BlueprintSetupState) -> None:
            state.app._add_template_extra(kind, function, name)

        self.record_once(register)
        return function

    def add_app_template_filter(self, f: Callable[..., t.Any], name: str | None = None) -> None:
        """Like ``app.add_template_filter``."""
        self._app_template_extra("filters", f, name)

    def add_app_template_global(self, f: Callable[..., t.Any], name: str | None = None) -> None:
        """Like ``app.add_template_global``."""
        self._app_template_extra("globals", f, name)

    def add_app_template_test(self, f: Callable[..., t.Any], name: str | None = None) -> None:
        """Like ``app.add_template_test``."""
        self._app_template_extra("tests", f, name)

    def app_template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """Like ``app.template_filter``."""
        return lambda function: self._app_template_extra("filters", function, name)

    def app_template_global(self, name: str | None = None) -> Callable[[F], F]:
        """Like ``app.template_global``."""
        return lambda function: self._app_template_extra("globals", function, name)

    def app_template_test(self, name: str | None = None) -> Callable[[F], F]:
        """Like ``app.template_test``."""
        return lambda function: self._app_template_extra("tests", function, name)

    # -- registration ----------------------------------------------------

    def make_setup_state(
        self, app: Erlen, options: dict[str, t.Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        """The object the recorded setup functions get for one registration on ``app``."""
        return BlueprintSetupState(self, app, options, first_registration)

    @property
    def jinja_loader(self) -> t.Any:
        """A loader for this blueprint's own template folder, or ``None`` when it has none."""
        if self.template_folder is None:
            return None
        import jinja2

        return jinja2.FileSystemLoader(os.path.join(self.root_path, self.template_folder))

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """How long browsers may cache this blueprint's static files: the app's setting."""
        from .ctx import current_app

        return current_app.get_send_file_max_age(filename)

    def register(self, app: Erlen, options: dict[str, t.Any]) -> None:
        """Add everything recorded to ``app`` (``app.register_blueprint`` calls this)."""
        name_prefix = options.get("name_prefix", "")
        own_name = options.get("name", self.name)
        if "." in own_name:
            raise ValueError(f"The blueprint name {own_name!r} may not contain a dot.")
        name = f"{name_prefix}.{own_name}".lstrip(".")
        existing = app.blueprints.get(name)
        if existing is not None:
            same = (
                "this blueprint is" if existing is self else f"another blueprint ({existing!r}) is"
            )
            raise ValueError(
                f"The name {name!r} is already registered: {same} registered under it. "
                f"Pass name='...' to register_blueprint to register it under another name."
            )
        first_registration = not any(bp is self for bp in app.blueprints.values())
        app.blueprints[name] = self
        self._registered = True
        state = self.make_setup_state(app, options, first_registration)
        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                "static",
                self.send_static_file,
            )
        self._merge_into(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        self._register_cli(app, own_name, options)
        for blueprint, child_options in self._blueprints:
            child_options = dict(child_options)
            child_prefix = child_options.get("url_prefix", blueprint.url_prefix)
            if state.url_prefix is not None and child_prefix is not None:
                child_options["url_prefix"] = (
                    state.url_prefix.rstrip("/") + "/" + child_prefix.lstrip("/")
                )
            elif state.url_prefix is not None:
                child_options["url_prefix"] = state.url_prefix
            child_options["name_prefix"] = name
            child_subdomain = child_options.get("subdomain", blueprint.subdomain)
            if state.subdomain is not None and child_subdomain is not None:
                # Nested subdomains read outwards: "v1" in "api" is "v1.api".
                child_options["subdomain"] = f"{child_subdomain}.{state.subdomain}"
            elif state.subdomain is not None:
                child_options["subdomain"] = state.subdomain
            blueprint.register(app, child_options)

    def _register_cli(self, app: Erlen, name: str, options: dict[str, t.Any]) -> None:
        group = self.__dict__.get("_cli")
        if group is None or not group.commands:
            return
        cli_group = options.get("cli_group", self.cli_group)
        if cli_group is None:
            app.cli.commands.update(group.commands)
        else:
            app.cli.add_command(group, name if cli_group is ... else cli_group)

    def _merge_into(self, app: Erlen, name: str) -> None:
        for table in _HOOK_TABLES:
            for key, functions in getattr(self, table).items():
                scope = name if key is None else f"{name}.{key}"
                getattr(app, table).setdefault(scope, []).extend(functions)
        for key, handlers in self.error_handler_spec.items():
            scope = name if key is None else f"{name}.{key}"
            app.error_handler_spec.setdefault(scope, {}).update(handlers)
