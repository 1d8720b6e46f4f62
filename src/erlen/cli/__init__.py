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

# Importing commands and run adds the built-in commands to main.
from .commands import routes_command as routes_command
from .commands import shell_command as shell_command
from .discovery import NoAppException, locate_app
from .env import load_dotenv
from .group import AppGroup, ErlenGroup, ScriptInfo, main, with_appcontext
from .run import run_app
from .run import run_command as run_command

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
