"""The ``erlen`` command group: :class:`ErlenGroup`, and ``erlen`` itself (:func:`main`).

:class:`ErlenGroup` joins the built-in commands (``run``, ``shell``,
``routes``), commands of installed packages (the ``erlen.commands`` entry
points) and the app's own, and gives the options ``--app``, ``--env-file``,
``--debug`` and ``--version``. :func:`main` is the ``erlen`` command; a
project can make a command of its own with ``ErlenGroup(create_app=...)``.
An error in the app's code is printed without erlen's frames.
"""

from __future__ import annotations

import importlib
import os
import sys
import typing as t
from collections.abc import Callable

import click

from ..app import Erlen
from ..ctx import current_app, has_app_context
from .commands import openapi_command, routes_command, shell_command
from .discovery import _APP_ERROR, NoAppException, _add_note
from .env import _NEEDS_DOTENV, _debug_option, flask_alias, load_dotenv
from .run import run_command
from .script import _ARGV_KEY, AppGroup, ScriptInfo

__all__ = ["ErlenGroup", "cli", "get_version", "main"]

_NOTE_KEY = "erlen.no_app_commands"  # ctx.meta: why --help lists no app commands
_PLUGIN_GROUP = "erlen.commands"  # the entry points of installed packages' commands
_FLASK_PLUGIN_GROUP = "flask.commands"  # Flask's, read with the flask alias on


class ErlenGroup(AppGroup):
    """A command group for an erlen app, as the ``erlen`` command is one.

    The app is loaded only to run or list a command that is not built in.
    For a project's own command (``wiki run``, ``wiki init-db``)::

        import click
        from erlen import Erlen
        from erlen.cli import ErlenGroup

        def create_app():
            app = Erlen("wiki")
            ...
            return app

        @click.group(cls=ErlenGroup, create_app=create_app)
        def cli():
            "Manage the wiki."

    :param add_default_commands: add ``run``, ``shell`` and ``routes`` (and
        ``openapi``, listed for an app with typed views).
    :param create_app: a function that returns the app (no ``--app`` needed).
    :param add_version_option: add ``--version``.
    :param load_dotenv: load ``.env`` and ``.erlenenv`` (with python-dotenv).
    :param set_debug_flag: apply ``ERLEN_DEBUG`` to the app.
    :param extra: passed to :class:`click.Group`.

    Options of every command can come from the environment:
    ``ERLEN_<COMMAND>_<OPTION>``, as ``ERLEN_RUN_PORT=8000``.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: Callable[..., Erlen] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: t.Any,
    ) -> None:
        params: list[click.Parameter] = list(extra.pop("params", None) or ())
        # --flask-alias first, then --env-file before --app: all are eager, and
        # ERLEN_APP may come from a file, or from FLASK_APP with the alias on.
        params.extend((_flask_alias_option(), _env_file_option(), _app_option(), _debug_option()))
        if add_version_option:
            params.append(_version_option())
        settings = extra["context_settings"] = dict(extra.get("context_settings") or {})
        settings.setdefault("auto_envvar_prefix", "ERLEN")
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        self.add_default_commands = add_default_commands
        if add_default_commands:
            for command in (run_command, shell_command, routes_command):
                self.add_command(command)
        self._plugin_groups: set[str] = set()  # the entry point groups read

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        """Make Click's context, with a ``ScriptInfo`` that finds the app as its ``obj``."""
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta.setdefault(_ARGV_KEY, list(args))  # for the reloader's child
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            # The help comes before the options are read: read --env-file and
            # --app from the environment first, so it lists the app's commands.
            for param in self.params:
                if param.name in ("env_file", "app"):
                    param.handle_parse_result(ctx, {}, [])
        try:
            return super().parse_args(ctx, args)
        except BaseException:
            # Click drops the context without closing it (the help shown for no
            # arguments, a usage error): pop the app contexts its help pushed.
            ctx.close()
            raise

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        """Return ``--help``, read after ``--app`` and ``--env-file`` so it lists the app's commands."""
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

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """Return the command ``name``: erlen's own, a plugin's, or the app's."""
        command = super().get_command(ctx, name)
        if command is None and self._load_plugin_commands():
            command = super().get_command(ctx, name)
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
                f"No such command {name!r}: it is not built in ({built_in}), and the app, "
                f"which may define it, could not be loaded. {error.message}"
            ) from None
        # The app's context for the command, its options' callbacks and its
        # subcommands, unless this app's context is active already.
        if not has_app_context() or current_app._get_current_object() is not app:  # type: ignore[attr-defined]  # the proxy's own method
            ctx.with_resource(app.app_context())
        command = app.cli.get_command(ctx, name)
        if command is None and self._load_plugin_commands():
            # The app's module turned the flask alias on: Flask's extensions' commands.
            command = super().get_command(ctx, name)
        if command is None and name == "openapi" and self.add_default_commands:
            # Built in, but listed only for an app with typed views (see list_commands).
            command = openapi_command
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        names = set(super().list_commands(ctx))
        try:
            app = ctx.ensure_object(ScriptInfo).load_app()
        except Exception as error:  # --help must work with a broken app
            ctx.meta[_NOTE_KEY] = _why_not_loaded(error)
        else:
            names.update(app.cli.list_commands(ctx))
            if self.add_default_commands and app.__dict__.get("_has_typed_views"):
                names.add("openapi")
            if self._load_plugin_commands():  # the app turned the flask alias on
                names.update(super().list_commands(ctx))
        return sorted(names)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_commands(ctx, formatter)
        note = ctx.meta.get(_NOTE_KEY)
        if note:
            formatter.write_paragraph()
            formatter.write(f"The app's own commands are not listed: {note}\n")

    def _load_plugin_commands(self) -> bool:
        """Add the commands of installed packages, once; return whether any was new.

        With the flask alias on, the commands of Flask's extensions too (the
        ``flask.commands`` entry points: Flask-Migrate's ``db``).
        """
        groups = [_PLUGIN_GROUP, _FLASK_PLUGIN_GROUP] if flask_alias() else [_PLUGIN_GROUP]
        groups = [group for group in groups if group not in self._plugin_groups]
        if not groups:
            return False
        self._plugin_groups.update(groups)
        # perf: only when a command is not built in, so `erlen run` never scans packages.
        from importlib.metadata import entry_points

        added = False
        for group in groups:
            for entry_point in entry_points(group=group):
                if entry_point.name in self.commands:
                    continue  # the group's own commands come first
                try:
                    command = entry_point.load()
                except Exception as error:
                    _add_note(
                        error,
                        f"erlen was loading the command {entry_point.name!r} "
                        f"({entry_point.value}) that an installed package adds through the "
                        f"{group!r} entry points. Fix or uninstall that package.",
                    )
                    raise
                self.add_command(command, entry_point.name)
                added = True
        return added


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


# -- the options of every ErlenGroup ------------------------------------------


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if not value and not ctx.resilient_parsing:
        value = _app_from_flask_app()
    if value:
        ctx.ensure_object(ScriptInfo).app_import_path = value


def _app_from_flask_app() -> str | None:
    """``FLASK_APP``, with a note on stderr, when it is set and ``ERLEN_APP`` is not.

    A Flask project often sets ``FLASK_APP`` (in the shell, or in ``.env``);
    erlen reads ``ERLEN_APP``, so rather than ignore it, erlen uses it and
    says so. With the flask alias on, ``FLASK_*`` variables are already read
    as ``ERLEN_*`` ones, silently: there is nothing to say.
    """
    found = os.environ.get("FLASK_APP")
    if not found or os.environ.get("ERLEN_APP") or flask_alias() is not None:
        return None
    click.echo(
        f" * Using FLASK_APP={found} to find the app: erlen reads ERLEN_APP, which is "
        f"not set. Set ERLEN_APP={found} (or pass --app {found}) to say it the erlen way.",
        err=True,
    )
    # Set for the reloader's child (and the app's own subprocesses), which then
    # find the app without saying it again.
    os.environ["ERLEN_APP"] = found
    return found


def _load_env_files(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if ctx.resilient_parsing:
        return
    if value is not None:
        try:
            import dotenv  # noqa: F401
        except ImportError:
            raise click.BadParameter(
                f"Could not load {value!r}: {_NEEDS_DOTENV}", ctx, param
            ) from None
    defaults = ctx.ensure_object(ScriptInfo).load_dotenv_defaults
    if value is not None or defaults:
        load_dotenv(value, load_defaults=defaults)


def get_version(ctx: click.Context, param: click.Parameter, value: t.Any) -> None:
    """The ``--version`` option: print the erlen, Python and Click versions, and exit."""
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    from .. import __version__

    click.echo(
        f"erlen {__version__} (Python {sys.version.split()[0]}, Click {version('click')})",
        color=ctx.color,
    )
    ctx.exit()


def _turn_on_flask_alias(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    try:
        from .. import flask_compat  # importing it turns the alias on

        flask_compat.install()  # again, if a test turned it off since
    except ImportError as error:
        if error.name != "flask":
            raise
        raise click.UsageError(str(error), ctx) from None  # Flask itself is imported
    info = ctx.ensure_object(ScriptInfo)
    if info.load_dotenv_defaults:
        load_dotenv(None)  # .flaskenv, and FLASK_* from files read before this option
    else:
        flask_alias().copy_environ()


def _flask_alias_option() -> click.Option:
    return click.Option(
        ["--flask-alias"],
        is_flag=True,
        default=False,
        is_eager=True,
        expose_value=False,
        envvar="ERLEN_FLASK_ALIAS",
        allow_from_autoenv=False,
        callback=_turn_on_flask_alias,
        help="Turn on the flask alias (erlen.flask_compat) before the app loads: 'import "
        "flask' gives erlen, so Flask's extensions run unchanged, and FLASK_* variables and "
        ".flaskenv are read too. [env: ERLEN_FLASK_ALIAS=1]",
    )


def _env_file_option() -> click.Option:
    return click.Option(
        ["-e", "--env-file"],
        type=click.Path(exists=True, dir_okay=False),
        is_eager=True,
        expose_value=False,
        callback=_load_env_files,
        help="Load environment variables from this file (needs python-dotenv). "
        ".env and .erlenenv are loaded too; none overrides a variable already set.",
    )


def _app_option() -> click.Option:
    return click.Option(
        ["-A", "--app"],
        metavar="IMPORT",
        envvar="ERLEN_APP",
        is_eager=True,
        expose_value=False,
        callback=_set_app,
        help="The app: a file (app.py), a module (pkg.app), module:name or "
        "'module:create_app()'. [env: ERLEN_APP; default: wsgi.py or app.py here]",
    )


def _version_option() -> click.Option:
    return click.Option(
        ["--version"],
        is_flag=True,
        is_eager=True,
        expose_value=False,
        callback=get_version,
        allow_from_autoenv=False,
        help="Show the erlen, Python and Click versions.",
    )


# -- the erlen command ----------------------------------------------------------


@click.group(cls=ErlenGroup, name="erlen", invoke_without_command=True)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Run and manage erlen apps.

    The commands below are the built-in ones and the app's own, made with
    @app.cli.command() or a blueprint's bp.cli.command().
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


#: The ``erlen`` command, under the name Flask gives it (``flask.cli.cli``).
cli = main
