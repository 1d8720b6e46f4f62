"""The ``erlen`` command: ``erlen run`` serves an app with the development server.

The app is found from ``--app`` or ``ERLEN_APP`` (a file ``app.py``, a module
``pkg.module``, ``module:name``, or a factory call ``module:create_app()``);
without either, from ``app.py`` or ``wsgi.py`` in the current folder.
"""

from __future__ import annotations

import ast
import importlib
import os
import sys
import typing as t

import click

from .app import Erlen

__all__ = ["main", "locate_app", "NoAppException"]

_FACTORY_NAMES = ("create_app", "make_app")
_APP_NAMES = ("app", "application")


class NoAppException(click.UsageError):
    """The app could not be found or loaded; the message says why and what to do."""


def _import_module(target: str) -> t.Any:
    """Import a module by name or by file path (``app.py``, ``src/site.py``)."""
    if target.endswith(".py") or os.sep in target or "/" in target:
        path = os.path.abspath(target)
        if not os.path.isfile(path):
            raise NoAppException(
                f"There is no file {target!r} (looked for {path}). Check the name, or run "
                "erlen from the folder that holds your app."
            )
        folder, filename = os.path.split(path)
        module_name = os.path.splitext(filename)[0]
        if folder not in sys.path:
            sys.path.insert(0, folder)
    else:
        module_name = target
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name and not module_name.startswith(f"{error.name}."):
            raise  # the app's own import failed: show the real error
        raise NoAppException(
            f"Could not import {module_name!r}: no such module in {os.getcwd()}. Point "
            "--app (or ERLEN_APP) at your app, as in --app app.py or --app package.module."
        ) from None


def _call_factory(module: t.Any, expression: str) -> t.Any:
    try:
        call = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(f"Could not parse {expression!r} as a name or a call.") from None
    if isinstance(call, ast.Name):
        return getattr(module, call.id, None)
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
        raise NoAppException(
            f"{expression!r} must be a name (app) or a call of a factory (create_app())."
        )
    factory = getattr(module, call.func.id, None)
    if factory is None:
        return None
    try:
        args = [ast.literal_eval(arg) for arg in call.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}
    except ValueError:
        raise NoAppException(
            f"The arguments in {expression!r} must be literals (strings, numbers ...)."
        ) from None
    return factory(*args, **kwargs)


def locate_app(target: str | None) -> Erlen:
    """Find and return the app that ``target`` names (see the module docstring)."""
    if target is None:
        for candidate in ("wsgi.py", "app.py"):
            if os.path.isfile(candidate):
                target = candidate
                break
        else:
            raise NoAppException(
                f"Could not find an app: no --app option, no ERLEN_APP variable, and no "
                f"app.py or wsgi.py in {os.getcwd()}. Run erlen from your app's folder, or "
                "point at it: erlen --app hello.py run (or ERLEN_APP=hello.py)."
            )
    module_part, _, name = target.partition(":")
    module = _import_module(module_part)
    if name:
        found = _call_factory(module, name)
        if found is None:
            raise NoAppException(f"{module_part!r} has no attribute {name.split('(')[0]!r}.")
    else:
        found = _find_in_module(module)
    if not isinstance(found, Erlen):
        raise NoAppException(
            f"{target!r} is a {type(found).__name__}, not an erlen app. Point --app at the "
            "object made with app = Erlen(__name__), or at a factory that returns one."
        )
    return found


def _find_in_module(module: t.Any) -> t.Any:
    for name in _APP_NAMES:
        value = getattr(module, name, None)
        if isinstance(value, Erlen):
            return value
    apps = [value for value in vars(module).values() if isinstance(value, Erlen)]
    if len(apps) == 1:
        return apps[0]
    if len(apps) > 1:
        raise NoAppException(
            f"{module.__name__!r} holds several erlen apps; name one: --app {module.__name__}:app."
        )
    for name in _FACTORY_NAMES:
        factory = getattr(module, name, None)
        if callable(factory):
            return factory()
    raise NoAppException(
        f"Found no erlen app in {module.__name__!r} (looked for {', '.join(_APP_NAMES)} and "
        f"the factories {', '.join(_FACTORY_NAMES)}). Create one with app = Erlen(__name__)."
    )


@click.group(help="Run and manage erlen applications.")
@click.option("--app", "-A", "app_target", envvar="ERLEN_APP", help="The app to load.")
@click.pass_context
def main(context: click.Context, app_target: str | None) -> None:
    context.obj = app_target


@main.command("run", help="Serve the app with the development server.")
@click.option("--host", "-h", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--port", "-p", default=5000, show_default=True, envvar="ERLEN_RUN_PORT", help="Port to bind."
)
@click.option("--debug/--no-debug", default=None, envvar="ERLEN_DEBUG", help="Debug mode.")
@click.pass_context
def run_command(context: click.Context, host: str, port: int, debug: bool | None) -> None:
    os.environ["ERLEN_RUN_FROM_CLI"] = "true"  # app.run() in the module becomes a no-op
    app = locate_app(context.obj)
    if debug is not None:
        app.debug = debug
    from .devserver import run_simple

    run_simple(host, port, app)


@main.command("routes", help="List the app's routes.")
@click.pass_context
def routes_command(context: click.Context) -> None:
    app = locate_app(context.obj)
    rows = [
        (rule.endpoint or "", ", ".join(sorted(rule.methods - {"HEAD", "OPTIONS"})), rule.rule)
        for rule in app.url_map.iter_rules()
    ]
    widths = [
        max([len(h)] + [len(r[i]) for r in rows])
        for i, h in enumerate(("Endpoint", "Methods", "Rule"))
    ]
    for row in [("Endpoint", "Methods", "Rule"), tuple("-" * w for w in widths), *sorted(rows)]:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
