"""The ``flask`` alias: unmodified Flask extensions run on erlen.

Importing this module turns the alias on, for the whole process:

.. code-block:: python
    :class: fragment

    import erlen.flask_compat  # first, before anything imports flask
    from flask import Flask    # erlen.Erlen
    from flask_login import LoginManager

From then on ``import flask`` and every ``flask.*`` module Flask 3.1 has
(``flask.globals``, ``flask.json.provider``, ``flask.testing`` ...) give
erlen's objects under Flask's names: ``flask.Flask`` is ``erlen.Erlen``,
``flask.testing.FlaskClient`` ``erlen.testing.ErlenClient``.
``importlib.metadata.version("flask")`` answers the Flask version whose API
erlen gives, ``FLASK_*`` variables are read as ``ERLEN_*`` ones (an
``ERLEN_*`` one set too wins), and once Werkzeug is imported, erlen's HTTP
errors, ``Headers``, ``MultiDict`` and ``FileStorage`` are also Werkzeug's
(``except werkzeug.exceptions.NotFound`` catches ``abort(404)``).

It never turns on by itself: only this import, ``erlen --flask-alias``
(or ``ERLEN_FLASK_ALIAS=1``) and ``python -m erlen.flask_compat COMMAND``
(for servers that import the app themselves) do. If Flask itself is
already imported, it refuses with :class:`FlaskAlreadyImported`: objects
of the two would mix. If Flask is installed but not imported, the alias
wins, and ``flask.__doc__`` and ``flask.__erlen__`` say so. Modules are
made when imported, from erlen's: turning the alias on costs a finder in
``sys.meta_path``, nothing per request. ``pytest -p erlen.flask_compat``
turns it on before any ``conftest.py``.

``python -m erlen.flask_compat COMMAND [ARGS...]`` runs COMMAND with the
alias on, for servers and tools that import the app themselves, when its
module cannot start with ``import erlen.flask_compat``:

.. code-block:: sh

    python -m erlen.flask_compat gunicorn app:app -w 4
    python -m erlen.flask_compat uvicorn app:app --workers 2
    python -m erlen.flask_compat flask --app app run   # erlen's command, as 'flask'
    python -m erlen.flask_compat -m celery -A app worker
    python -m erlen.flask_compat manage.py db upgrade

COMMAND is ``flask`` (erlen's command under Flask's name), a console script
installed in this environment, ``-m MODULE``, or a Python file. It runs in
this process, with ``sys.argv`` as if it had been started itself. Workers a
server forks inherit the alias; uvicorn's spawned ones (``--workers``,
``--reload``) get it too, since multiprocessing starts them by importing
this module. (Spawned children of a ``-m MODULE`` start with that module,
not this one, and go without.)
"""

from __future__ import annotations

import os
import sys
import typing as t

from ._flask_alias import FLASK_VERSION, FlaskAliasFinder, active_finder, is_alias

__all__ = ["FLASK_VERSION", "FlaskAlreadyImported", "install", "is_installed", "uninstall"]


class FlaskAlreadyImported(ImportError):
    """Flask itself was imported before the alias could be turned on."""


def install() -> None:
    """Turn the alias on (what importing this module does); a second call does nothing."""
    if _finder() is not None:
        return
    _refuse_real_flask()
    finder = FlaskAliasFinder()
    sys.meta_path.insert(0, finder)
    finder.copy_environ()
    from . import _werkzeug_bases

    _werkzeug_bases.patch_loaded()


def uninstall() -> None:
    """Turn the alias off: the ``flask`` modules go, erlen's classes get their own bases back.

    For tests: an extension imported meanwhile keeps the objects it took.
    """
    finder = _finder()
    if finder is None:
        return
    sys.meta_path.remove(finder)
    for name in [name for name, module in sys.modules.items() if _is_flask_name(name)]:
        if is_alias(sys.modules[name]):
            del sys.modules[name]
    for name in finder.environ_added:
        os.environ.pop(name, None)
    from . import _werkzeug_bases

    _werkzeug_bases.unpatch()


def is_installed() -> bool:
    """Whether the alias is on."""
    return _finder() is not None


def _finder() -> FlaskAliasFinder | None:
    return active_finder()


def _is_flask_name(name: str) -> bool:
    return name == "flask" or name.startswith("flask.")


def _refuse_real_flask() -> None:
    real = [name for name, module in sys.modules.items() if _is_flask_name(name) and module]
    real = [name for name in real if not is_alias(sys.modules[name])]
    if not real:
        return
    module = sys.modules.get("flask")
    where = getattr(module, "__file__", None) or "an unknown location"
    raise FlaskAlreadyImported(
        f"erlen.flask_compat cannot serve 'flask': Flask itself is already imported (from "
        f"{where}). Extensions that imported it hold Flask's objects, which do not work "
        "with erlen's. Turn the alias on before anything imports flask: make "
        "'import erlen.flask_compat' the first import of the module your server loads, or "
        "start with 'python -m erlen.flask_compat gunicorn app:app' (any command), "
        "'erlen --flask-alias run', or 'pytest -p erlen.flask_compat'. To run on Flask "
        "instead, remove the import of erlen.flask_compat.",
        name="flask",
    )


# -- python -m erlen.flask_compat COMMAND ---------------------------------------

USAGE = (
    "usage: python -m erlen.flask_compat COMMAND [ARGS...]\n\n"
    "Run COMMAND with erlen's flask alias on: 'import flask' gives erlen.\n"
    "COMMAND is 'flask' (erlen's command under Flask's name), a console script\n"
    "(gunicorn, uvicorn, celery ...), '-m MODULE', or a Python file.\n"
)


def main(argv: list[str]) -> None:
    """Run ``argv`` (a command and its arguments) with the alias on: ``python -m`` this module."""
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        raise SystemExit(0 if argv else 2)
    import runpy

    command, args = argv[0], argv[1:]
    if command == "-m":
        if not args:
            sys.exit("python -m erlen.flask_compat -m: name the module to run, as in -m celery.")
        sys.argv = [args[0], *args[1:]]
        runpy.run_module(args[0], run_name="__main__", alter_sys=True)
        return
    if command == "flask":
        from .cli import main as cli

        sys.argv = ["flask", *args]
        cli(args, prog_name="flask")
        return
    if command.endswith(".py") or os.sep in command:
        if not os.path.isfile(command):
            sys.exit(f"python -m erlen.flask_compat: no such file: {command}")
        sys.argv = [command, *args]
        sys.path[0] = os.path.dirname(os.path.abspath(command))  # as `python FILE` has it
        runpy.run_path(command, run_name="__main__")
        return
    function = _console_script(command)
    if function is None:
        sys.exit(
            f"python -m erlen.flask_compat: {command!r} is not a console script installed in "
            "this environment. Give one (gunicorn, uvicorn ...), 'flask' for erlen's command, "
            "'-m MODULE' for a module, or a Python file."
        )
    import shutil

    sys.argv = [shutil.which(command) or command, *args]
    sys.exit(function())


def _console_script(name: str) -> t.Callable[[], t.Any] | None:
    from importlib.metadata import entry_points

    for entry_point in entry_points(group="console_scripts", name=name):
        return t.cast("t.Callable[[], t.Any]", entry_point.load())
    return None


install()

if __name__ == "__main__":
    main(sys.argv[1:])
