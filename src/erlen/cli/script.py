"""The app a command works on, and running commands inside its context.

:class:`ScriptInfo` finds and loads the app once; :func:`with_appcontext`
and :class:`AppGroup` run commands inside its context; :func:`pass_script_info`
hands a command its :class:`ScriptInfo`. The ``erlen`` group itself is in
:mod:`erlen.cli.group`.
"""

from __future__ import annotations

import functools
import typing as t
from collections.abc import Callable

import click

from ..app import Erlen
from ..ctx import has_app_context
from .discovery import NoAppException, _locate, _what
from .env import _env_set, _flag_from_env

__all__ = ["AppGroup", "ScriptInfo", "pass_script_info", "with_appcontext"]

F = t.TypeVar("F", bound=Callable[..., t.Any])

_ARGV_KEY = "erlen.argv"  # ctx.meta: the arguments `erlen` was given


class ScriptInfo:
    """What a command knows about its app: where it is, and the app once loaded.

    Click keeps one in ``ctx.obj``. The app is imported on the first
    :meth:`load_app`, not before, so commands that do not need it (``run``
    with the reloader, ``--help`` of a built-in command) never import it.

    :param app_import_path: what ``--app`` names (``module:name``).
    :param create_app: a function that returns the app, called with no
        arguments; it wins over ``app_import_path``.
    :param set_debug_flag: apply ``ERLEN_DEBUG`` (when set) to the app.
    :param load_dotenv_defaults: whether ``.env`` and ``.erlenenv`` are
        loaded (false when ``ERLEN_SKIP_DOTENV`` is set). ScriptInfo only
        records it; the ``--env-file`` option acts on it.
    :param app: the app itself, already loaded (``app.test_cli_runner()``).
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: Callable[..., Erlen] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
        *,
        app: Erlen | None = None,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        #: Anything a command wants to keep for the others.
        self.data: dict[t.Any, t.Any] = {}
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = load_dotenv_defaults and not _flag_from_env("ERLEN_SKIP_DOTENV")
        self._app = app

    @property
    def loaded(self) -> bool:
        return self._app is not None

    def load_app(self) -> Erlen:
        """Return the app, importing (or making) it on the first call."""
        if self._app is not None:
            return self._app
        # An unguarded app.run() in the module must not start a server here.
        with _env_set("ERLEN_RUN_FROM_CLI", "true"):
            if self.create_app is not None:
                app = self.create_app()
                if not isinstance(app, Erlen):
                    name = getattr(self.create_app, "__name__", "create_app")
                    raise NoAppException(
                        f"{name}() returned {_what(app)}, not an erlen app. End it with "
                        "'return app'."
                    )
            else:
                app = _locate(self.app_import_path)
        if self.set_debug_flag:
            debug = _flag_from_env("ERLEN_DEBUG")
            if debug is not None:
                app.debug = debug
        self._app = app
        return app


#: Pass the command's :class:`ScriptInfo` as its first argument (made if missing).
pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def _script_app() -> Erlen:
    return click.get_current_context().ensure_object(ScriptInfo).load_app()


def with_appcontext(f: F) -> F:
    """Run a command inside the app's context (``current_app``, ``g``).

    The context stays until the command ends, so the subcommands of a group
    marked this way have it too. If an app context is active already, that
    one is used. Commands made with ``app.cli.command()`` get this by default.
    """

    @functools.wraps(f)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        if not has_app_context():
            ctx = click.get_current_context()
            ctx.with_resource(_script_app().app_context())
        return f(*args, **kwargs)

    return t.cast(F, wrapper)


class AppGroup(click.Group):
    """A Click group whose commands run inside the app's context.

    ``@app.cli.command()`` and ``@blueprint.cli.command()`` make these; pass
    ``with_appcontext=False`` for a command that must not load the app.
    ``group()`` makes nested :class:`AppGroup` groups.
    """

    @t.overload
    def command(self, __func: Callable[..., t.Any]) -> click.Command: ...

    @t.overload
    def command(
        self, *args: t.Any, **kwargs: t.Any
    ) -> Callable[[Callable[..., t.Any]], click.Command]: ...

    def command(
        self, *args: t.Any, **kwargs: t.Any
    ) -> Callable[[Callable[..., t.Any]], click.Command] | click.Command:
        """Add a command, as ``click.Group.command``, wrapped in the app context."""
        return t.cast(click.Command, _decorator(super().command, args, kwargs))

    @t.overload
    def group(self, __func: Callable[..., t.Any]) -> click.Group: ...

    @t.overload
    def group(
        self, *args: t.Any, **kwargs: t.Any
    ) -> Callable[[Callable[..., t.Any]], click.Group]: ...

    def group(
        self, *args: t.Any, **kwargs: t.Any
    ) -> Callable[[Callable[..., t.Any]], click.Group] | click.Group:
        """Add a nested :class:`AppGroup`; its callback runs in the app context."""
        kwargs.setdefault("cls", AppGroup)
        return t.cast(click.Group, _decorator(super().group, args, kwargs))


def _decorator(
    add: Callable[..., t.Any], args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
) -> t.Any:
    """Return ``add(*args, **kwargs)``, with the callback wrapped in the app context."""
    wrap = kwargs.pop("with_appcontext", True)
    function = None
    if len(args) == 1 and callable(args[0]):  # used bare: @app.cli.command
        (function,), args = args, ()

    def decorator(callback: Callable[..., t.Any]) -> t.Any:
        return add(*args, **kwargs)(with_appcontext(callback) if wrap else callback)

    return decorator if function is None else decorator(function)
