"""Serving the app: the ``erlen run`` command, and ``app.run()`` (:func:`run_app`).

Each settles debug mode (the option, else ``ERLEN_DEBUG``), then either
starts the reloader, which runs the program again on every change, or
serves: with erlen's development server, or through uvicorn with
``--asgi``. The servers are looked up in :mod:`erlen.dev.server` when called.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import typing as t

import click

from ..app import Erlen
from .discovery import _source_folders
from .env import _flag_from_env, _load_default_dotenv
from .group import _ARGV_KEY, ScriptInfo, main

__all__ = ["run_app"]


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
        from ..dev.asgi_runner import _uvicorn_missing

        click.echo(_uvicorn_missing(), err=True)
        raise SystemExit(1)


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
