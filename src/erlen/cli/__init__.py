"""The ``erlen`` command: ``run``, ``routes``, ``shell`` and the app's own commands.

::

    erlen --app hello.py run --debug      # serve, reload on changes
    erlen run --asgi --debug              # the same through uvicorn (ASGI)
    erlen routes --sort rule              # list the URL rules
    erlen shell                           # a Python shell with app and g
    erlen hello                           # @app.cli.command("hello")

The app is found from ``--app`` or ``ERLEN_APP`` (a file ``app.py``, a module
``pkg.module``, ``module:name``, or a factory call ``module:create_app()``);
without either, from ``wsgi.py`` or ``app.py`` in the current folder. It is
imported lazily, once, and only when a command needs it: ``erlen run`` with
the reloader never imports it in the watching process.
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import importlib.util
import os
import sys
import typing as t
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from ..app import Erlen
from .discovery import (
    _APP_ERROR,
    NoAppException,
    _source_folders,
    _what,
    locate_app,
)

__all__ = [
    "AppGroup",
    "ErlenGroup",
    "NoAppException",
    "ScriptInfo",
    "load_dotenv",
    "locate_app",
    "main",
    "run_app",
    "with_appcontext",
]

F = t.TypeVar("F", bound=Callable[..., t.Any])

_DOTENV_FILES = (".env", ".erlenenv")  # .env first: its values win
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_ARGV_KEY = "erlen.argv"  # ctx.meta: the arguments `erlen` was given
_NOTE_KEY = "erlen.no_app_commands"  # ctx.meta: why --help lists no app commands


def _load_default_dotenv() -> bool:
    try:
        import dotenv
    except ImportError:
        for name in _DOTENV_FILES:
            if os.path.isfile(name):
                click.echo(
                    f" * Found {name} but python-dotenv is not installed: "
                    "pip install python-dotenv",
                    err=True,
                )
                break
        return False
    loaded = False
    for name in _DOTENV_FILES:
        path = dotenv.find_dotenv(name, usecwd=True)
        if path:
            loaded = dotenv.load_dotenv(path, encoding="utf-8", override=False) or loaded
    return loaded


def load_dotenv(path: str | os.PathLike[str] | None = None) -> bool:
    """Load environment variables from ``path``, then ``.env`` and ``.erlenenv``.

    The default files are looked for in the current folder and its parents.
    Variables already set are never changed; a file loaded earlier wins over
    a later one. Return whether any file was loaded. Without python-dotenv,
    say so when such a file exists (and fail for an explicit ``path``).
    """
    loaded = False
    if path is not None:
        try:
            import dotenv
        except ImportError:
            raise click.UsageError(
                f"Could not load {os.fspath(path)!r}: reading env files needs python-dotenv. "
                "pip install python-dotenv"
            ) from None
        loaded = dotenv.load_dotenv(path, encoding="utf-8", override=False)
    if _flag_from_env("ERLEN_SKIP_DOTENV"):
        return loaded
    return _load_default_dotenv() or loaded


def _flag_from_env(name: str) -> bool | None:
    """Read a yes/no environment variable; None when it is unset or empty."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise click.UsageError(
        f"{name}={os.environ[name]!r} is not a yes/no value: use 1, true or yes to turn it "
        "on, and 0, false or no to turn it off."
    )


@contextmanager
def _env_set(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


# -- the app in a command ----------------------------------------------------


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


class _PathList(click.ParamType):  # type: ignore[type-arg]  # generic only in Click 8.2+
    """Paths separated by ``os.pathsep`` (``:``, or ``;`` on Windows)."""

    name = "paths"

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> list[str]:
        if isinstance(value, list):
            return value
        return [os.path.abspath(part) for part in str(value).split(os.pathsep) if part]


@main.command("run", with_appcontext=False)
@click.option(
    "--host",
    "-h",
    default="127.0.0.1",
    show_default=True,
    envvar="ERLEN_RUN_HOST",
    help="Interface to bind; 0.0.0.0 for every interface.",
)
@click.option(
    "--port",
    "-p",
    type=click.IntRange(0, 65535),
    default=5000,
    show_default=True,
    envvar="ERLEN_RUN_PORT",
    help="Port to bind. [env: ERLEN_RUN_PORT]",
)
@click.option(
    "--debug/--no-debug",
    default=None,
    help="Debug mode: the debug page, template reloading, the reloader. [env: ERLEN_DEBUG=1/0]",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Restart the server when a source file changes. [default: on with --debug]",
)
@click.option(
    "--extra-files",
    type=_PathList(),
    multiple=True,
    help=f"More files for the reloader to watch, separated by {os.pathsep!r}.",
)
@click.option(
    "--asgi/--no-asgi",
    default=None,
    help="Serve through uvicorn (ASGI: async views on the event loop, websockets) instead "
    "of the development server. [env: ERLEN_RUN_ASGI=1]",
)
@click.pass_context
def run_command(
    ctx: click.Context,
    host: str,
    port: int,
    debug: bool | None,
    reload: bool | None,
    extra_files: tuple[list[str], ...],
    asgi: bool | None,
) -> None:
    """Serve the app with the development server, or uvicorn with --asgi."""
    if debug is None:
        debug = _flag_from_env("ERLEN_DEBUG")
    else:
        os.environ["ERLEN_DEBUG"] = "1" if debug else "0"  # for the app, and a reloader child
    if asgi is None:
        asgi = bool(_flag_from_env("ERLEN_RUN_ASGI"))
    if asgi:
        _require_uvicorn()  # before the reloader starts a child that could only fail
    use_reloader = bool(debug) if reload is None else reload
    files = [path for paths in extra_files for path in paths]
    info = ctx.ensure_object(ScriptInfo)
    fd = None
    if use_reloader:
        from ..dev import reloader

        if not reloader.in_reloader_child():
            # The watcher: it never imports the app, so a broken app cannot stop it.
            if info.loaded:
                root = module_folder = info.load_app().root_path
            else:
                root, module_folder = _source_folders(info.app_import_path)
            watch = [root]
            templates = os.path.join(module_folder, "templates")
            if os.path.isdir(templates):
                watch.append(templates)
            argv = ctx.meta.get(_ARGV_KEY, sys.argv[1:])
            ctx.exit(
                reloader.run_with_reloader(
                    [sys.executable, "-m", "erlen", *argv],
                    host=host,
                    port=port,
                    watch=watch,
                    extra_files=files,
                )
            )
        os.environ["ERLEN_RUN_FROM_CLI"] = "true"
        reloader.report_modules()  # first: the files of an import error are reported too
        app = info.load_app()
        fd = reloader.inherited_fd()
    else:
        if files:
            click.echo(" * --extra-files has no effect without the reloader (--reload).", err=True)
        os.environ["ERLEN_RUN_FROM_CLI"] = "true"  # app.run() in the module becomes a no-op
        app = info.load_app()
    if debug is not None:
        app.debug = debug
    if asgi:
        from ..dev.server import run_asgi

        run_asgi(host, port, app, fd=fd, debug=app.debug)
        return
    from ..dev.server import run_simple

    run_simple(host, port, app, fd=fd, debug=app.debug)


def _require_uvicorn() -> None:
    """Exit 1 with one line saying how to install uvicorn, when it is missing.

    Only looks for it (importing uvicorn takes a while); the server imports it.
    """
    if importlib.util.find_spec("uvicorn") is None:
        from ..dev.server import _uvicorn_missing

        click.echo(_uvicorn_missing(), err=True)
        raise SystemExit(1)


@main.command("routes")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "rule", "match")),
    default="endpoint",
    show_default=True,
    help="Order of the rows; 'match' is the order the rules were added.",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS too.")
def routes_command(sort: str, all_methods: bool) -> None:
    """List the app's URL rules."""
    app = _script_app()
    hidden = set() if all_methods else {"HEAD", "OPTIONS"}
    rows = [
        (
            rule.endpoint or "",
            "WEBSOCKET" if rule.websocket else ", ".join(sorted(rule.methods - hidden)),
            rule.rule,
        )
        for rule in app.url_map.iter_rules()
    ]
    if not rows:
        click.echo("The app has no routes yet. Add one with @app.route('/').")
        return
    keys: dict[str, Callable[[tuple[str, str, str]], tuple[str, ...]]] = {
        "endpoint": lambda row: (row[0], row[2]),
        "methods": lambda row: (row[1], row[2]),
        "rule": lambda row: (row[2], row[0]),
    }
    if sort in keys:
        rows.sort(key=keys[sort])
    header = ("Endpoint", "Methods", "Rule")
    widths = [max([len(header[i])] + [len(row[i]) for row in rows]) for i in range(3)]
    for row in [header, tuple("-" * width for width in widths), *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@main.command("shell")
def shell_command() -> None:
    """Start a Python shell in the app's context, with app and g ready."""
    import code

    from ..ctx import g

    app = _script_app()
    namespace: dict[str, t.Any] = {"app": app, "g": g}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup, encoding="utf-8") as file:
            exec(compile(file.read(), startup, "exec"), namespace)
    if sys.stdin.isatty():
        try:
            import readline
            import rlcompleter
        except ImportError:  # pragma: no cover - Python built without readline
            pass
        else:
            readline.set_completer(rlcompleter.Completer(namespace).complete)
            readline.parse_and_bind("tab: complete")
    banner = (
        f"Python {sys.version.split()[0]} on {sys.platform}\n"
        f"erlen shell for the app {app.name!r} ({app.root_path}).\n"
        "The app context is active: app and g are ready. Ctrl-D to leave."
    )
    code.interact(banner=banner, local=namespace, exitmsg="")


# -- app.run() ---------------------------------------------------------------

_RUN_OPTIONS = ("use_reloader", "extra_files", "threaded", "asgi")


def _restart_argv() -> list[str] | None:
    """The command line that started this program, to start it again (or None)."""
    if not sys.argv or not sys.argv[0]:
        return None  # the interactive interpreter: nothing to restart
    argv = getattr(sys, "orig_argv", None)
    if argv:
        return [sys.executable, *argv[1:]]  # keeps -m, -X and -W options
    return [sys.executable, *sys.argv]  # pragma: no cover - Python < 3.10


def run_app(
    app: Erlen,
    *,
    host: str | None = None,
    port: int | None = None,
    debug: bool | None = None,
    load_dotenv: bool = True,
    **options: t.Any,
) -> None:
    """Serve ``app`` with the development server: ``app.run()`` calls this.

    It does nothing under the ``erlen`` command, which loads and serves the
    app itself. ``debug`` (else ``ERLEN_DEBUG``) turns on debug mode and the
    reloader; ``use_reloader=False`` keeps the reloader off. ``asgi=True``
    (else ``ERLEN_RUN_ASGI``) serves through uvicorn instead.
    """
    if os.environ.get("ERLEN_RUN_FROM_CLI") == "true":
        click.echo(
            " * Ignoring app.run(): the erlen command serves the app itself. Put app.run() "
            "under 'if __name__ == \"__main__\":' so it runs only for python app.py.",
            err=True,
        )
        return
    unknown = sorted(set(options) - set(_RUN_OPTIONS))
    if unknown:
        raise TypeError(
            f"app.run() got options erlen's development server does not have: "
            f"{', '.join(unknown)}. It takes host, port, debug, load_dotenv, use_reloader, "
            "extra_files and asgi."
        )
    if load_dotenv:
        _load_default_dotenv()
    if debug is None:
        debug = _flag_from_env("ERLEN_DEBUG")
    if debug is not None:
        app.debug = debug
    host = host or os.environ.get("ERLEN_RUN_HOST") or "127.0.0.1"
    if port is None:
        raw = os.environ.get("ERLEN_RUN_PORT", "5000")
        if not raw.isdigit():
            raise ValueError(f"ERLEN_RUN_PORT={raw!r} is not a port number, such as 5000.")
        port = int(raw)
    use_reloader = options.get("use_reloader")
    if use_reloader is None:
        use_reloader = app.debug
    asgi = options.get("asgi")
    if asgi is None:
        asgi = _flag_from_env("ERLEN_RUN_ASGI")
    if asgi:
        _require_uvicorn()
    from ..dev import server

    serve = server.run_asgi if asgi else server.run_simple
    if not use_reloader:
        serve(host, int(port), app, debug=app.debug)
        return
    from ..dev import reloader

    if reloader.in_reloader_child():
        reloader.report_modules()
        serve(host, int(port), app, fd=reloader.inherited_fd(), debug=app.debug)
        return
    argv = _restart_argv()
    if argv is None:
        click.echo(" * The reloader is off: this program cannot be started again.", err=True)
        serve(host, int(port), app, debug=app.debug)
        return
    raise SystemExit(
        reloader.run_with_reloader(
            argv,
            host=host,
            port=int(port),
            watch=[app.root_path],
            extra_files=[os.fspath(path) for path in options.get("extra_files") or ()],
        )
    )


# -- testing -----------------------------------------------------------------
