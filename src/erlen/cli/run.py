"""Serving the app: the ``erlen run`` command, and ``app.run()`` (:func:`run_app`).

Each settles debug mode (the option, else ``ERLEN_DEBUG``), then either
starts the reloader, which runs the program again on every change, or
serves: with erlen's development server, or through uvicorn with
``--asgi``. The servers are looked up in :mod:`erlen.dev.server` when called.

``erlen run`` takes Flask's options. Those erlen's servers cannot honour
(``--cert``, ``--without-threads``, ``--exclude-patterns``) stop it with a
message that says so, rather than being ignored.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import typing as t

import click

from ..app import Erlen
from .discovery import _source_folders
from .env import _debug_option, _flag_from_env, _load_default_dotenv
from .params import CertParamType, SeparatedPathType
from .script import _ARGV_KEY, ScriptInfo, pass_script_info

__all__ = ["run_app", "run_command", "show_server_banner"]

_NO_TLS = (
    "erlen run serves plain HTTP only: neither its development server nor --asgi can "
    "use a certificate, so --cert and --key are not supported. Leave them out and open "
    "http://, or serve HTTPS with uvicorn itself: uvicorn app:app --ssl-certfile "
    "cert.pem --ssl-keyfile key.pem"
)


class _RunCertType(CertParamType):
    """``--cert`` of ``erlen run``: a bad value's message also says TLS is not served."""

    def fail(
        self, message: str, param: click.Parameter | None = None, ctx: click.Context | None = None
    ) -> t.NoReturn:
        super().fail(f"{message} (And note: {_NO_TLS}.)", param, ctx)


def _check_key(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None and not ctx.resilient_parsing:
        raise click.UsageError(_NO_TLS, ctx)


def _flatten(
    ctx: click.Context, param: click.Parameter, value: tuple[list[str], ...]
) -> list[str] | None:
    return [path for paths in value for path in paths] or None


def show_server_banner(debug: bool | None, app_import_path: str | None) -> None:
    """Print which app is served and whether debug mode is on.

    Nothing in a reloader's child, which would repeat it on every restart.
    ``erlen run`` does not call this: its servers print a banner of their own.
    """
    from ..dev.reloader import in_reloader_child

    if in_reloader_child():
        return
    if app_import_path is not None:
        click.echo(f" * Serving erlen app {app_import_path!r}")
    if debug is not None:
        click.echo(f" * Debug mode: {'on' if debug else 'off'}")


@click.command("run", short_help="Serve the app with the development server.")
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
    "--cert",
    type=_RunCertType(),
    is_eager=True,
    help="Not supported: erlen run serves plain HTTP only.",
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    expose_value=False,
    callback=_check_key,
    help="Not supported, as --cert.",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Restart the server when a source file changes. [default: on with --debug]",
)
@click.option(
    "--debugger/--no-debugger",
    default=None,
    help="The debug page for errors. [default: on with --debug] --no-debugger leaves "
    "errors to the server (a plain 500, the traceback in the terminal).",
)
@click.option(
    "--with-threads/--without-threads",
    default=True,
    help="Each connection on its own thread: always on in erlen's server.",
)
@click.option(
    "--extra-files",
    type=SeparatedPathType(),
    multiple=True,
    callback=_flatten,
    help=f"More files for the reloader to watch, separated by {os.pathsep!r}.",
)
@click.option(
    "--exclude-patterns",
    type=SeparatedPathType(),
    help="Not supported: erlen's reloader watches only the app's own files.",
)
@click.option(
    "--asgi/--no-asgi",
    default=None,
    allow_from_autoenv=False,  # ERLEN_RUN_ASGI is read below, with erlen's message
    help="Serve through uvicorn (ASGI: async views on the event loop, websockets) instead "
    "of the development server. [env: ERLEN_RUN_ASGI=1]",
)
@click.option(
    "--head-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    envvar="ERLEN_RUN_HEAD_TIMEOUT",
    help="Seconds a client has to send a whole request head, from its first byte; then "
    "a 408 and the connection closes. [default: 10; env: ERLEN_RUN_HEAD_TIMEOUT]",
)
@click.option(
    "--body-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    envvar="ERLEN_RUN_BODY_TIMEOUT",
    help="Seconds a client has to send a whole request body, from when the app starts "
    "reading it. [default: 60; env: ERLEN_RUN_BODY_TIMEOUT]",
)
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=None,
    envvar="ERLEN_RUN_MAX_CONNECTIONS",
    help="Most connections served at once; past it a new one drops the connection that "
    "waited longest for a request, or gets a 503 if all are busy. "
    "[default: 64; env: ERLEN_RUN_MAX_CONNECTIONS]",
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    cert: t.Any,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
    asgi: bool | None = None,
    head_timeout: float | None = None,
    body_timeout: float | None = None,
    max_connections: int | None = None,
) -> None:
    """Serve the app with the development server, or uvicorn with --asgi.

    For development only: in production, use gunicorn, uWSGI or waitress (WSGI),
    or uvicorn or hypercorn (ASGI). --debug turns on the reloader and the debug page.
    """
    ctx = click.get_current_context()
    _refuse_what_erlen_cannot_do(cert, with_threads, exclude_patterns)
    debug = _flag_from_env("ERLEN_DEBUG")
    if debugger and not debug:
        raise click.UsageError(
            "erlen shows its debug page in debug mode only, so --debugger needs debug mode: "
            "use --debug (or ERLEN_DEBUG=1) instead of --debugger.",
            ctx,
        )
    if asgi is None:
        asgi = bool(_flag_from_env("ERLEN_RUN_ASGI"))
    if asgi:
        _require_uvicorn()  # before the reloader starts a child that could only fail
    use_reloader = bool(debug) if reload is None else reload
    files = [os.path.abspath(path) for path in extra_files or ()]
    fd = None
    if use_reloader:
        from ..dev import reloader

        if reloader.in_reloader_child():
            os.environ["ERLEN_RUN_FROM_CLI"] = "true"
            reloader.report_modules()  # first: the files of an import error are reported too
            app = info.load_app()
            fd = reloader.inherited_fd()
        else:
            # The watcher: it never imports the app, so a broken app cannot stop it.
            argv = _child_argv(ctx)
            if argv is not None:
                root, module_folder = _watched_folders(info)
                watch = [root]
                templates = os.path.join(module_folder, "templates")
                if os.path.isdir(templates):
                    watch.append(templates)
                ctx.exit(
                    reloader.run_with_reloader(
                        argv, host=host, port=port, watch=watch, extra_files=files
                    )
                )
            click.echo(" * The reloader is off: this program cannot be started again.", err=True)
            use_reloader = False
    if not use_reloader:
        if files:
            click.echo(" * --extra-files has no effect without the reloader (--reload).", err=True)
        os.environ["ERLEN_RUN_FROM_CLI"] = "true"  # app.run() in the module becomes a no-op
        app = info.load_app()
    if debug is not None:
        app.debug = debug
    if debugger is False and app.debug and app.config.get("PROPAGATE_EXCEPTIONS") is None:
        app.config["PROPAGATE_EXCEPTIONS"] = True  # errors reach the server: no debug page
    if asgi:
        from ..dev.server import run_asgi

        if (head_timeout, body_timeout, max_connections) != (None, None, None):
            click.echo(
                " * --head-timeout, --body-timeout and --max-connections are the development "
                "server's; with --asgi, uvicorn's own limits apply.",
                err=True,
            )

        run_asgi(host, port, app, fd=fd, debug=app.debug)
        return
    from ..dev.server import run_simple

    given = {
        "head_timeout": head_timeout,
        "body_timeout": body_timeout,
        "max_connections": max_connections,
    }
    limits: dict[str, t.Any] = {k: v for k, v in given.items() if v is not None}
    run_simple(host, port, app, fd=fd, debug=app.debug, **limits)


run_command.params.insert(0, _debug_option())


def _refuse_what_erlen_cannot_do(
    cert: t.Any, with_threads: bool, exclude_patterns: list[str] | None
) -> None:
    """Stop with a message for the Flask options erlen's servers cannot honour."""
    if cert is not None:
        raise click.UsageError(_NO_TLS)
    if not with_threads:
        raise click.UsageError(
            "erlen's development server has no single-threaded mode: it always serves each "
            "connection on a thread of its own, so --without-threads is not supported. "
            "Leave it out."
        )
    if exclude_patterns:
        raise click.UsageError(
            "erlen's reloader has no --exclude-patterns: it watches only the app's own "
            "Python files and templates (never virtualenvs, node_modules or hidden "
            "folders) and the --extra-files. Leave the option out, or use --no-reload to "
            "stop reloading."
        )


def _child_argv(ctx: click.Context) -> list[str] | None:
    """The command line that serves the app again in the reloader's child."""
    from .group import main

    if ctx.find_root().command is main:
        return [sys.executable, "-m", "erlen", *ctx.meta.get(_ARGV_KEY, sys.argv[1:])]
    return _restart_argv()  # a script of its own (ErlenGroup): run it again


def _watched_folders(info: ScriptInfo) -> tuple[str, str]:
    """(Folder to watch, the app module's folder), without importing the app."""
    if info.loaded:
        root = info.load_app().root_path
        return root, root
    if info.create_app is not None:
        try:
            source = inspect.getsourcefile(info.create_app)
        except TypeError:
            source = None
        folder = os.path.dirname(os.path.abspath(source)) if source else os.getcwd()
        return folder, folder
    return _source_folders(info.app_import_path)


def _require_uvicorn() -> None:
    """Exit 1 with one line saying how to install uvicorn, when it is missing.

    Only looks for it (importing uvicorn takes a while); the server imports it.
    """
    if importlib.util.find_spec("uvicorn") is None:
        from ..dev.asgi_runner import _uvicorn_missing

        click.echo(_uvicorn_missing(), err=True)
        raise SystemExit(1)


# -- app.run() ---------------------------------------------------------------

#: The options app.run() takes: Werkzeug's run_simple()'s, as Flask passes
#: them on, and erlen's asgi. _run_options() says what each one does here.
_RUN_OPTIONS = (
    "use_reloader",
    "use_debugger",
    "use_evalex",
    "extra_files",
    "exclude_patterns",
    "reloader_interval",
    "reloader_type",
    "threaded",
    "processes",
    "passthrough_errors",
    "ssl_context",
    "static_files",
    "request_handler",
    "asgi",
)


def _run_options(app: Erlen, options: dict[str, t.Any]) -> None:
    """Apply app.run()'s Flask options, or say why one cannot be honoured here."""
    unknown = sorted(set(options) - set(_RUN_OPTIONS))
    if unknown:
        raise TypeError(
            f"app.run() got options it does not know: {', '.join(unknown)}. It takes host, "
            f"port, debug, load_dotenv and {', '.join(_RUN_OPTIONS)} (see docs/cli.md)."
        )
    if options.get("ssl_context") is not None:
        raise ValueError(_NO_TLS.replace("--cert and --key are", "ssl_context is"))
    if options.get("threaded") is False:
        raise ValueError(
            "erlen's development server has no single-threaded mode: it always serves each "
            "connection on a thread of its own. Leave threaded= out."
        )
    if (options.get("processes") or 1) != 1:
        raise ValueError(
            "erlen's development server runs one process. For several, serve the app "
            "with gunicorn (gunicorn -w 4 module:app); leave processes= out here."
        )
    if options.get("exclude_patterns"):
        raise ValueError(
            "erlen's reloader has no exclude_patterns: it watches only the app's own Python "
            "files and templates (never virtualenvs, node_modules or hidden folders) and "
            "extra_files. Leave it out, or pass use_reloader=False."
        )
    for name, what in (
        ("static_files", "serve them from the app's static folder"),
        ("request_handler", "erlen's server has its own"),
    ):
        if options.get(name) is not None:
            raise ValueError(f"app.run({name}=...) is Werkzeug's; {what}. Leave it out.")
    debugger = options.get("use_debugger")
    if debugger and not app.debug:
        raise ValueError(
            "erlen shows its debug page in debug mode only, so use_debugger=True needs "
            "debug mode: pass debug=True (or set ERLEN_DEBUG=1) instead."
        )
    if debugger is False or options.get("passthrough_errors"):
        # No debug page: an unhandled error is raised to the server (a plain 500).
        if app.config.get("PROPAGATE_EXCEPTIONS") is None:
            app.config["PROPAGATE_EXCEPTIONS"] = True


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
    if load_dotenv:
        _load_default_dotenv()
    if debug is None:
        debug = _flag_from_env("ERLEN_DEBUG")
    if debug is not None:
        app.debug = debug
    _run_options(app, options)
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
