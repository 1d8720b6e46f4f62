"""Click parameter types of the ``run`` command, under Flask's names.

:class:`SeparatedPathType` reads ``a.cfg:b.cfg`` as two paths;
:class:`CertParamType` reads a TLS certificate option.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import typing as t

import click

__all__ = ["CertParamType", "SeparatedPathType"]


class SeparatedPathType(click.Path):  # type: ignore[type-arg]  # generic only in Click 8.2+
    """Paths separated by ``os.pathsep`` (``:``, or ``;`` on Windows), as a list.

    Each one is checked as :class:`click.Path` checks a single path, with
    the same arguments (``exists=True`` and so on).
    """

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        """Split ``value`` at ``os.pathsep`` and check each path."""
        if isinstance(value, (list, tuple)):
            parts = list(value)
        else:
            parts = [part for part in str(value).split(os.pathsep) if part]
        check = super().convert
        return [check(part, param, ctx) for part in parts]


class CertParamType(click.ParamType):  # type: ignore[type-arg]  # generic only in Click 8.2+
    """A TLS certificate: a file, ``adhoc``, or the import path of an ``ssl.SSLContext``.

    Converts to the file's absolute path, the string ``"adhoc"`` (which
    needs the ``cryptography`` package), or the ``SSLContext`` object found
    at ``module:name`` or ``module.name``.
    """

    name = "path"

    def __init__(self) -> None:
        self.path_type = click.Path(exists=True, dir_okay=False, resolve_path=True)

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        """Return the file's absolute path, ``"adhoc"``, or the ``SSLContext`` named."""
        try:
            import ssl
        except ImportError:  # pragma: no cover - Python built without OpenSSL
            self.fail(
                "a certificate needs Python's ssl module, and this Python was built "
                "without it. Use a Python built with OpenSSL.",
                param,
                ctx,
            )
        if isinstance(value, ssl.SSLContext):
            return value
        text = str(value)
        if os.path.isfile(text):
            return self.path_type.convert(text, param, ctx)
        if text.lower() == "adhoc":
            if importlib.util.find_spec("cryptography") is None:
                self.fail(
                    "'adhoc' makes a throwaway certificate, which needs the cryptography "
                    "package: pip install cryptography",
                    param,
                    ctx,
                )
            return "adhoc"
        found = _import_object(text)
        if isinstance(found, ssl.SSLContext):
            return found
        if found is not None:
            self.fail(
                f"{text!r} is {type(found).__name__}, not an ssl.SSLContext. Give a "
                "certificate file, 'adhoc', or the import path of an ssl.SSLContext.",
                param,
                ctx,
            )
        self.fail(
            f"{text!r} is not a file ({os.path.abspath(text)} does not exist), 'adhoc', or "
            "the import path of an ssl.SSLContext (module:name). Check the path of the "
            "certificate file.",
            param,
            ctx,
        )


def _import_object(path: str) -> t.Any:
    """Return the object at ``module:name`` or ``module.name``; None if there is none."""
    if ":" in path:
        module_name, _, name = path.partition(":")
    else:
        module_name, _, name = path.rpartition(".")
    if (
        not module_name
        or not name
        or not all(part.isidentifier() for part in (*module_name.split("."), name))
    ):
        return None
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, name, None)
