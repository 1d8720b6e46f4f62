"""The reloader: a supervisor that restarts the app's process when a file changes.

``erlen run --reload`` runs :func:`run_with_reloader`. The supervisor never
imports the app, so nothing in the app runs twice: it binds the port once,
runs the app in a child process that serves on the inherited socket, and
starts a new child when a source file of the app, a template or an extra file
changes. The port stays bound across restarts, so a browser that reloads
during a restart waits a moment instead of failing.

Changes come from watchfiles when it is installed (the operating system
reports them; idle CPU near zero), else from polling modification times twice
a second. ``ERLEN_RELOADER=poll`` forces polling (for network or container
file systems that send no events); ``ERLEN_RELOADER=watchfiles`` insists on
watchfiles. When the app stops on an error (a ``SyntaxError`` after an edit,
say), its traceback is in the terminal, requests get a 503 that says so, and
the next change starts it again.

The child's side: :func:`report_modules` tells the supervisor which files the
app imported, :func:`inherited_fd` gives the listening socket's file
descriptor, :func:`in_reloader_child` says whether a supervisor runs us.
The socket passes by file descriptor, so the reloader needs a POSIX system.

This module is the entry point. The pieces live beside it: the supervisor
in :mod:`erlen.dev.supervisor`, the file watchers in
:mod:`erlen.dev.watchers`, the child's side in :mod:`erlen.dev.reloader_child`.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from collections.abc import Iterable

from .reloader_child import FD_ENV as FD_ENV
from .reloader_child import STATE_ENV as STATE_ENV
from .reloader_child import in_reloader_child, inherited_fd, report_modules
from .supervisor import _ReloaderError, _say, _Supervisor

__all__ = ["run_with_reloader", "inherited_fd", "in_reloader_child", "report_modules"]

METHOD_ENV = "ERLEN_RELOADER"


def run_with_reloader(
    child_argv: list[str],
    *,
    host: str,
    port: int,
    watch: Iterable[str] = (),
    extra_files: Iterable[str] = (),
    env: dict[str, str] | None = None,
    method: str | None = None,
) -> int:
    """Serve through ``child_argv`` and restart it whenever a file changes.

    Binds ``host:port`` once, then runs ``child_argv`` with the listening
    socket inherited (its number in ``ERLEN_SERVER_FD``) until SIGINT or
    SIGTERM; returns the exit status (1 when the port cannot be bound).

    :param watch: folders whose Python files and templates are watched,
        recursively (virtualenvs, ``node_modules`` and hidden folders are
        skipped). The modules the child reports are watched as well.
    :param extra_files: more files to watch (a folder counts as ``watch``).
    :param env: the child's environment; ``os.environ`` by default.
    :param method: ``"watchfiles"``, ``"poll"`` or ``"auto"`` (watchfiles when
        installed); by default from ``ERLEN_RELOADER``, else ``"auto"``.
    """
    try:
        chosen = _choose_method(method)
        listener = _listen(host, port)
    except _ReloaderError as error:
        _say(str(error))
        return 1
    roots = [os.path.abspath(path) for path in watch]
    files: set[str] = set()
    for path in map(os.path.abspath, extra_files):
        if os.path.isdir(path):
            roots.append(path)
        else:
            files.add(path)
    try:
        supervisor = _Supervisor(child_argv, listener, roots, files, env, chosen)
        return supervisor.run()
    except _ReloaderError as error:
        _say(str(error))
        return 1
    finally:
        listener.close()


def _choose_method(method: str | None) -> str:
    chosen = (method or os.environ.get(METHOD_ENV) or "auto").strip().lower()
    if chosen not in ("auto", "watchfiles", "poll"):
        raise _ReloaderError(
            f"Unknown reloader method {chosen!r}: use 'auto', 'watchfiles' or 'poll' "
            f"(set {METHOD_ENV}, or leave it unset for watchfiles when installed)."
        )
    if chosen == "poll":
        return chosen
    if importlib.util.find_spec("watchfiles") is None:
        if chosen == "watchfiles":
            raise _ReloaderError(
                f"{METHOD_ENV}=watchfiles, but watchfiles is not installed: run "
                f"pip install watchfiles, or unset {METHOD_ENV} to poll for changes."
            )
        return "poll"
    return "watchfiles"


def _listen(host: str, port: int) -> socket.socket:
    """Bind and listen on ``host:port``; raise _ReloaderError saying what to do."""
    from .startup import bind_error_message, listen

    try:
        return listen(host, port)
    except OSError as error:
        message = bind_error_message(host, port, error)
        raise _ReloaderError(
            message or f"Could not listen on {host}:{port}: {error.strerror or error}."
        ) from None
