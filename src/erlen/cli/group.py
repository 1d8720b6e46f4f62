"""The ``erlen`` command group, and the app each of its commands works on.

:class:`ScriptInfo` finds and loads the app once; :func:`with_appcontext`
and :class:`AppGroup` run commands inside its context; :class:`ErlenGroup`
is ``erlen`` itself (:func:`main`), which joins the built-in commands with
the app's own and prints an error in the app's code without erlen's frames.
The built-in commands are added to :func:`main` in :mod:`erlen.cli.run`
and :mod:`erlen.cli.commands`.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import typing as t
from collections.abc import Callable

import click

from ..app import Erlen
from .discovery import _APP_ERROR, NoAppException, _what, locate_app
from .env import _env_set, _flag_from_env, load_dotenv

__all__ = ["AppGroup", "ErlenGroup", "ScriptInfo", "main", "with_appcontext"]

F = t.TypeVar("F", bound=Callable[..., t.Any])

_ARGV_KEY = "erlen.argv"  # ctx.meta: the arguments `erlen` was given
_NOTE_KEY = "erlen.no_app_commands"  # ctx.meta: why --help lists no app commands


class ScriptInfo:
    """What a command knows about its app: where it is, and the app once loaded.

    Click keeps one in ``ctx.obj``. The app is imported on the first
    :meth:`load_app`, not before, so commands that do not need it (``run``
    with the reloader, ``--help`` of a built-in command) never import it.
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: Callable[[], Erlen] | None = None,
        *,
        app: Erlen | None = None,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
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
                    raise NoAppException(
                        f"create_app returned {_what(app)}, not an erlen app. End it with "
                        "'return app'."
                    )
            else:
                app = locate_app(self.app_import_path)
        debug = _flag_from_env("ERLEN_DEBUG")
        if debug is not None and self.create_app is None:
            app.debug = debug
        self._app = app
        return app


def _script_app() -> Erlen:
    return click.get_current_context().ensure_object(ScriptInfo).load_app()


def with_appcontext(function: F) -> F:
    """Run a command's callback inside the app's context (``current_app``, ``g``).

    Commands made with ``app.cli.command()`` get this by default.
    """

    @functools.wraps(function)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with _script_app().app_context():
            return function(*args, **kwargs)

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


class ErlenGroup(AppGroup):
    """The ``erlen`` command: built-in commands, then the app's own (``app.cli``).

    The app is loaded only to run or list a command that is not built in.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta.setdefault(_ARGV_KEY, list(args))  # for the reloader's child
        return super().parse_args(ctx, args)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            # After --app and --env-file, whatever their order, so that the
            # help lists the commands of the app they name.
            option.is_eager = False
        return option

    def invoke(self, ctx: click.Context) -> t.Any:
        try:
            return super().invoke(ctx)
        except Exception as error:
            if not getattr(error, _APP_ERROR, False):
                raise
            _print_app_error(error)
            ctx.exit(1)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as error:
            if ctx.resilient_parsing:
                return None
            built_in = ", ".join(super().list_commands(ctx))
            raise NoAppException(
                f"No such command {cmd_name!r}: it is not built in ({built_in}), and the app, "
                f"which may define it, could not be loaded. {error.message}"
            ) from None
        return app.cli.get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        try:
            app = ctx.ensure_object(ScriptInfo).load_app()
        except Exception as error:  # --help must work with a broken app
            ctx.meta[_NOTE_KEY] = _why_not_loaded(error)
        else:
            names.update(app.cli.list_commands(ctx))
        return sorted(names)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_commands(ctx, formatter)
        note = ctx.meta.get(_NOTE_KEY)
        if note:
            formatter.write_paragraph()
            formatter.write(f"The app's own commands are not listed: {note}\n")


def _print_app_error(error: BaseException) -> None:
    """Print the traceback of an error in the app's code, without erlen's frames."""
    machinery = (
        os.path.dirname(click.__file__),
        os.path.dirname(__file__),
        os.path.dirname(importlib.__file__),
    )
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith((*machinery, "<frozen ")):
        tb = tb.tb_next
    # Through sys.excepthook, so that the reloader learns the files of the error.
    sys.excepthook(type(error), error.with_traceback(tb), tb)


def _why_not_loaded(error: Exception) -> str:
    if isinstance(error, NoAppException):
        first, _, rest = error.message.partition(". ")
        return first + ("." if rest else "")
    text = str(error).splitlines()[0] if str(error) else ""
    return (
        f"loading the app raised {type(error).__name__}"
        f"{': ' + text if text else ''}. Run 'erlen routes' to see the whole error."
    )


# -- the erlen command -------------------------------------------------------


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.ensure_object(ScriptInfo).app_import_path = value


def _load_env_files(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if not ctx.resilient_parsing:
        load_dotenv(value)


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    from .. import __version__

    click.echo(f"erlen {__version__} (Python {sys.version.split()[0]}, Click {version('click')})")
    ctx.exit()


@click.group(
    cls=ErlenGroup,
    name="erlen",
    invoke_without_command=True,
    no_args_is_help=False,
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the erlen, Python and Click versions.",
)
@click.option(
    "--env-file",
    "-e",
    type=click.Path(exists=True, dir_okay=False),
    expose_value=False,
    is_eager=True,
    callback=_load_env_files,
    help="Load environment variables from this file (needs python-dotenv). "
    ".env and .erlenenv are loaded too, without overriding set variables.",
)
@click.option(
    "--app",
    "-A",
    metavar="IMPORT",
    envvar="ERLEN_APP",
    expose_value=False,
    is_eager=True,
    callback=_set_app,
    help="The app: a file (app.py), a module (pkg.app), module:name or "
    "'module:create_app()'. [env: ERLEN_APP; default: wsgi.py or app.py here]",
)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Run and manage erlen apps.

    The commands below are the built-in ones and the app's own, made with
    @app.cli.command() or a blueprint's bp.cli.command().
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
