"""The environment of the ``erlen`` command: ``.env`` files and yes/no variables."""

from __future__ import annotations

import os
import sys
import typing as t
from collections.abc import Iterator
from contextlib import contextmanager

import click

__all__ = ["load_dotenv"]

_DOTENV_FILES = (".env", ".erlenenv")  # .env first: its values win
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_NEEDS_DOTENV = "reading env files needs python-dotenv. pip install python-dotenv"


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Set environment variables from ``path``, then from ``.env`` and ``.erlenenv``.

    With the flask alias on (``erlen.flask_compat``), ``.flaskenv`` is
    read last, and ``FLASK_*`` variables are read as ``ERLEN_*`` ones.

    The default files (only with ``load_defaults``) are looked for in the
    current folder and its parents. A variable already set is never
    changed, and a file read earlier wins over a later one: ``path`` over
    ``.env`` over ``.erlenenv``. A ``path`` that is not a file is skipped.

    Return whether any file held a variable. Without python-dotenv nothing
    is loaded; if ``path`` or a default file exists, a line on stderr says
    how to install it.
    """
    try:
        import dotenv
    except ImportError:
        _say_dotenv_is_missing(path, load_defaults)
        return False
    loaded = False
    if path is not None and os.path.isfile(path):
        loaded = dotenv.load_dotenv(path, encoding="utf-8", override=False)
    alias = flask_alias()
    if load_defaults:
        for name in _DOTENV_FILES + ((".flaskenv",) if alias is not None else ()):
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                loaded = dotenv.load_dotenv(found, encoding="utf-8", override=False) or loaded
    if alias is not None:
        alias.copy_environ()  # FLASK_APP from a file is read as ERLEN_APP
    return loaded


def flask_alias() -> t.Any:
    """The flask alias's finder if the alias is on (``erlen.flask_compat``), else ``None``.

    Never turns it on (importing that module would), and never imports it:
    ``python -m erlen.flask_compat`` runs it as ``__main__``.
    """
    for finder in sys.meta_path:
        if getattr(finder, "erlen_flask_alias", False):
            return finder
    return None


def _say_dotenv_is_missing(path: str | os.PathLike[str] | None, load_defaults: bool) -> None:
    if path is not None and os.path.isfile(path):
        click.echo(f" * Could not load {os.fspath(path)!r}: {_NEEDS_DOTENV}", err=True)
        return
    for name in _DOTENV_FILES if load_defaults else ():
        if os.path.isfile(name):
            click.echo(
                f" * Found {name} but python-dotenv is not installed: pip install python-dotenv",
                err=True,
            )
            return


def _load_default_dotenv() -> bool:
    """Load ``.env`` and ``.erlenenv`` unless ``ERLEN_SKIP_DOTENV`` is set."""
    if _flag_from_env("ERLEN_SKIP_DOTENV"):
        return False
    return load_dotenv()


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


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool | None) -> None:
    """The ``--debug/--no-debug`` options: set ``ERLEN_DEBUG`` for the app and its factory."""
    if value is not None and not ctx.resilient_parsing:
        # In the environment, not on the app: a factory can read it, and a
        # reloader's child inherits it.
        os.environ["ERLEN_DEBUG"] = "1" if value else "0"


def _debug_option() -> click.Option:
    return click.Option(
        ["--debug/--no-debug"],
        default=None,
        expose_value=False,
        callback=_set_debug,
        allow_from_autoenv=False,  # ERLEN_DEBUG is read by erlen, with its own message
        help="Debug mode: the debug page, template reloading, the reloader. [env: ERLEN_DEBUG=1/0]",
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
