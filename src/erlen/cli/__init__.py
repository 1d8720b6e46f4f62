"""The ``erlen`` command: ``run``, ``routes``, ``shell`` and the app's own commands.

.. code-block:: sh

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

The names are Flask's (``flask.cli``), with ``Erlen`` for ``Flask``:
:class:`ErlenGroup` makes a project's own command, and :class:`ScriptInfo`,
:func:`with_appcontext` and :func:`locate_app` work as Flask's.
"""

from __future__ import annotations

from .commands import routes_command, shell_command
from .discovery import (
    NoAppException,
    find_app_by_string,
    find_best_app,
    locate_app,
    prepare_import,
)
from .env import load_dotenv
from .group import ErlenGroup, cli, get_version, main
from .params import CertParamType, SeparatedPathType
from .run import run_app, run_command, show_server_banner
from .script import AppGroup, ScriptInfo, pass_script_info, with_appcontext

__all__ = [
    "AppGroup",
    "CertParamType",
    "ErlenGroup",
    "NoAppException",
    "ScriptInfo",
    "SeparatedPathType",
    "cli",
    "find_app_by_string",
    "find_best_app",
    "get_version",
    "load_dotenv",
    "locate_app",
    "main",
    "pass_script_info",
    "prepare_import",
    "routes_command",
    "run_app",
    "run_command",
    "shell_command",
    "show_server_banner",
    "with_appcontext",
]
