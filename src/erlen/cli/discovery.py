"""Finding the app that ``erlen`` commands serve: ``--app``, ``ERLEN_APP`` or a file.

``--app`` names a file (``app.py``), a module (``pkg.module``), an object in
it (``module:name``) or a factory call (``module:create_app("dev")``);
without it, ``wsgi.py`` or ``app.py`` in the current folder. Every failure is
a :class:`NoAppException` that says what was looked for, where, and what to do.

The steps are public, under Flask's names: :func:`prepare_import` turns a
file into an import name, :func:`locate_app` imports the module and finds
the app in it, by :func:`find_best_app` or :func:`find_app_by_string`.
"""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import importlib.util
import inspect
import os
import re
import sys
import typing as t
from collections.abc import Callable, Sequence
from types import ModuleType

import click

from ..app import Erlen

__all__ = [
    "NoAppException",
    "find_app_by_string",
    "find_best_app",
    "locate_app",
    "prepare_import",
]

_FACTORY_NAMES = ("create_app", "make_app")
_APP_NAMES = ("app", "application")
_DEFAULT_FILES = ("wsgi.py", "app.py")
_APP_ERROR = "_erlen_app_error"  # set on errors raised by the app's own code as it loads


class NoAppException(click.UsageError):
    """The app could not be found or loaded; the message says why and what to do."""


class _NotFound(NoAppException):
    """The module or file that should hold the app does not exist."""


# -- finding the app ---------------------------------------------------------


def _is_path(target: str) -> bool:
    return target.endswith(".py") or os.sep in target or "/" in target


def _prepend_path(folder: str) -> None:
    if folder not in sys.path:
        sys.path.insert(0, folder)


def prepare_import(path: str) -> str:
    """Return the import name of the Python file ``path``, ready to import.

    A file inside packages (folders with an ``__init__.py``) is named from
    the outermost one, ``shop/web/app.py`` as ``shop.web.app``, and the
    folder that holds that package goes first on ``sys.path``; a package's
    ``__init__.py`` or folder is named as the package.
    """
    stem, extension = os.path.splitext(os.path.realpath(path))
    if extension != ".py":
        stem += extension
    if os.path.basename(stem) == "__init__":
        stem = os.path.dirname(stem)
    folder, name = os.path.split(stem)
    names = [name]
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder, name = os.path.split(folder)
        names.insert(0, name)
    if not sys.path or sys.path[0] != folder:
        sys.path.insert(0, folder)
    return ".".join(names)


def _split_target(target: str) -> tuple[str, str | None]:
    """Split ``module:name`` in two; the colon of a Windows drive (``C:\\``) stays."""
    module_part, *rest = re.split(r":(?![\\/])", target, maxsplit=1)
    return module_part, (rest[0] if rest and rest[0] else None)


def _add_note(error: BaseException, note: str) -> None:
    """Mark an error the app raised while loading, and add ``note`` under it."""
    setattr(error, _APP_ERROR, True)  # noqa: B010
    if hasattr(error, "add_note"):
        error.add_note(note)
    else:  # pragma: no cover - Python 3.10
        click.echo(note, err=True)


def _default_target() -> str:
    for candidate in _DEFAULT_FILES:
        if os.path.isfile(candidate):
            return candidate
    raise _NotFound(
        f"Could not find an app: no --app option, no ERLEN_APP variable, and no "
        f"app.py or wsgi.py in {os.getcwd()}. Run erlen from your app's folder, or "
        "point at it: erlen --app hello.py run (or ERLEN_APP=hello.py)."
    )


def _app_file(target: str) -> str:
    path = os.path.abspath(target)
    if not os.path.isfile(path):
        raise _NotFound(
            f"There is no file {target!r} (looked for {path}). Check the name, or run "
            "erlen from the folder that holds your app."
        )
    return path


def _no_module(module_name: str) -> NoAppException:
    return _NotFound(
        f"Could not import {module_name!r}: no such module in {os.getcwd()} or on the "
        "Python path. Point --app (or ERLEN_APP) at your app, as in --app app.py or "
        "--app package.module."
    )


def _what(value: object) -> str:
    """Describe ``value`` for a message: 'a str', 'a module', 'the class Erlen'."""
    kind = type(value)
    if value is None:
        return "None"
    if inspect.ismodule(value):
        return f"the module {value.__name__!r}"
    if inspect.isclass(value):
        return f"the class {value.__qualname__} (not an instance of it)"
    if inspect.isroutine(value):
        return f"the function {getattr(value, '__qualname__', '?')}"
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    described = f"{'an' if name[0] in 'aeiou' else 'a'} {name}"
    if kind.__module__.split(".")[0] == "flask":  # a Flask app left over from porting
        described += (
            " (from Flask: import from erlen instead, as in from erlen import Erlen as Flask)"
        )
    return described


def _import_module(module_part: str) -> ModuleType:
    """Import the app's module by name or by file path (``app.py``, ``src/site.py``)."""
    path = None
    if _is_path(module_part):
        path = _app_file(module_part)
        module_name = prepare_import(path)
    else:
        module_name = module_part
        _prepend_path(os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name or module_name.startswith(f"{error.name}."):
            raise _no_module(module_name) from None
        hint = f"erlen was importing your app ({module_part}) when this happened."
        if error.name == "flask":
            hint += " erlen apps import from erlen: from erlen import Erlen as Flask, ..."
        else:
            hint += (
                f" Is {error.name!r} installed in this Python ({sys.executable})? Activate "
                f"your virtual environment, or pip install it."
            )
        _add_note(error, hint)
        raise
    except Exception as error:
        _add_note(error, f"erlen was importing your app ({module_part}) when this happened.")
        raise
    found = getattr(module, "__file__", None)
    if path is not None and found is not None and not _same_file(found, path):
        stem = os.path.splitext(os.path.basename(path))[0]
        raise NoAppException(
            f"Importing {module_name!r} gave another module ({found}), not your file {path}: "
            f"the name {module_name!r} is taken (often by Python's own modules). Rename "
            f"your file, for example to {stem}_app.py."
        )
    return module


def _same_file(first: str, second: str) -> bool:
    return os.path.realpath(first) == os.path.realpath(second)


def _call_factory(
    factory: Callable[..., t.Any], where: str, args: Sequence[t.Any] = (), **kwargs: t.Any
) -> t.Any:
    """Call an app factory; say which one when it needs arguments or raises."""
    shown = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
    name = getattr(factory, "__name__", "factory")
    call = f"{name}({shown})"
    try:
        inspect.signature(factory).bind(*args, **kwargs)
    except TypeError as error:
        raise NoAppException(
            f"Could not call the factory {call} in {where}: {error}. Give its parameters "
            f"defaults, or pass literal values: --app \"{where}:{name}('value')\"."
        ) from None
    except ValueError:
        pass  # no signature to check (a builtin); just call it
    try:
        app = factory(*args, **kwargs)
    except Exception as error:
        _add_note(error, f"erlen called the app factory {call} in {where}, and it raised this.")
        raise
    if not isinstance(app, Erlen):
        raise NoAppException(
            f"The factory {call} in {where} returned {_what(app)}, not an erlen app. "
            "End it with 'return app'."
        )
    return app


def _find_by_expression(module: ModuleType, where: str, expression: str) -> t.Any:
    """Evaluate ``name`` or ``factory(literal, ...)`` from ``module:expression``."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(
            f"Could not parse {expression!r} as a name or a call: use --app "
            f'{where}:app or --app "{where}:create_app()".'
        ) from None
    if isinstance(node, ast.Name):
        name, call = node.id, None
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name, call = node.func.id, node
    else:
        raise NoAppException(
            f"{expression!r} must be a name (app) or a call of a factory (create_app())."
        )
    if not hasattr(module, name):
        apps = [key for key, value in vars(module).items() if isinstance(value, Erlen)]
        there = f" It holds an erlen app as {', '.join(apps)}." if apps else ""
        raise NoAppException(f"{where!r} has no attribute {name!r}.{there}")
    value = getattr(module, name)
    if call is None:
        return _call_factory(value, where) if inspect.isfunction(value) else value
    try:
        args = [ast.literal_eval(arg) for arg in call.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}
    except ValueError:
        raise NoAppException(
            f"The arguments in {expression!r} must be literals (strings, numbers ...)."
        ) from None
    if not callable(value):
        raise NoAppException(f"{where}.{name} is {_what(value)}, which cannot be called.")
    return _call_factory(value, where, args, **kwargs)


def find_best_app(module: ModuleType) -> Erlen:
    """Return the app in ``module``; raise :class:`NoAppException` saying why not.

    Tried in order: ``app`` or ``application``, the only erlen app in the
    module, then a factory ``create_app()`` or ``make_app()`` called with no
    arguments. Several apps, or a factory that needs arguments, is an error
    that says how to name the one meant.
    """
    where = module.__name__
    for name in _APP_NAMES:
        value = getattr(module, name, None)
        if isinstance(value, Erlen):
            return value
    apps = {id(v): k for k, v in vars(module).items() if isinstance(v, Erlen)}
    if len(apps) == 1:
        return t.cast(Erlen, getattr(module, next(iter(apps.values()))))
    if len(apps) > 1:
        names = ", ".join(sorted(apps.values()))
        raise NoAppException(
            f"{where!r} holds several erlen apps ({names}); name one: --app {where}:app."
        )
    for name in _FACTORY_NAMES:
        factory = getattr(module, name, None)
        if callable(factory):
            return t.cast(Erlen, _call_factory(factory, where))
    others = [
        f" {where}.{name} is {_what(getattr(module, name))}, not an erlen app."
        for name in _APP_NAMES
        if hasattr(module, name)
    ]
    raise NoAppException(
        f"Found no erlen app in {where!r} ({getattr(module, '__file__', None) or where}): "
        f"looked for {' and '.join(_APP_NAMES)}, any Erlen object, and the factories "
        f"{' and '.join(_FACTORY_NAMES)}.{''.join(others)} Create one with "
        "app = Erlen(__name__)."
    )


def find_app_by_string(module: ModuleType, app_name: str) -> Erlen:
    """Return the app that ``app_name`` names in ``module``.

    ``app_name`` is a name (``app``; a function there is called as a
    factory) or a factory call with literal arguments
    (``create_app("dev", testing=True)``).
    """
    where = module.__name__
    found = _find_by_expression(module, where, app_name)
    if not isinstance(found, Erlen):
        raise NoAppException(
            f"'{where}:{app_name}' is {_what(found)}, not an erlen app. Point --app at the "
            "object made with app = Erlen(__name__), or at a factory that returns one."
        )
    return found


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[True] = True
) -> Erlen: ...


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = ...
) -> Erlen | None: ...


def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = True
) -> Erlen | None:
    """Import ``module_name`` and return the app in it.

    ``app_name`` goes to :func:`find_app_by_string`; without it,
    :func:`find_best_app` looks for the app. ``module_name`` is an import
    name (``pkg.site``; see :func:`prepare_import` for a file) or a file
    path. When the module does not exist, return None if
    ``raise_if_not_found`` is false. An error raised by the module's own
    code while it is imported is raised as it is, with a note.
    """
    try:
        module = _import_module(module_name)
    except _NotFound:
        if raise_if_not_found:
            raise
        return None
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


def _locate(target: str | None) -> Erlen:
    """Find the app that ``--app`` names (see the module docstring)."""
    module_part, app_name = _split_target(_default_target() if target is None else target)
    return locate_app(module_part, app_name)


def _source_folders(target: str | None) -> tuple[str, str]:
    """Return (folder to watch, the app module's folder) without importing the app."""
    module_part = _split_target(target or _default_target())[0]
    if _is_path(module_part):
        folder = os.path.dirname(_app_file(module_part))
        return folder, folder
    _prepend_path(os.getcwd())
    top, _, rest = module_part.partition(".")
    try:
        # A top-level name is found without importing anything.
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise _no_module(module_part)
    root = _spec_folder(spec)
    for part in rest.split(".") if rest else ():
        locations = spec.submodule_search_locations
        found = None
        if locations is not None:  # a package: look inside it, still without importing
            found = importlib.machinery.PathFinder.find_spec(f"{spec.name}.{part}", list(locations))
        if found is None:
            raise _no_module(module_part)
        spec = found
    return root, _spec_folder(spec)


def _spec_folder(spec: importlib.machinery.ModuleSpec) -> str:
    if spec.submodule_search_locations:
        return os.path.abspath(list(spec.submodule_search_locations)[0])
    if spec.origin and os.path.isfile(spec.origin):
        return os.path.dirname(os.path.abspath(spec.origin))
    return os.getcwd()


# -- .env files --------------------------------------------------------------
