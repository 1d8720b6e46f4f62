"""The environment of the ``erlen`` command: ``.env`` files and yes/no variables."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import click

__all__ = ["load_dotenv"]

_DOTENV_FILES = (".env", ".erlenenv")  # .env first: its values win
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


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
