"""The reloader's child side: the inherited socket, and the files to watch.

A process that the reloader's supervisor (:mod:`erlen.dev.supervisor`)
starts finds the listening socket's descriptor in ``ERLEN_SERVER_FD``
(:func:`inherited_fd`) and the supervisor's state file in
``ERLEN_RELOADER_STATE``; :func:`report_modules` writes to that file the
app's source files it imported, and keeps them up to date, so that the
supervisor watches them.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import signal
import site
import sys
import sysconfig
import threading
import time
from functools import lru_cache
from types import TracebackType

__all__ = ["inherited_fd", "in_reloader_child", "report_modules"]

FD_ENV = "ERLEN_SERVER_FD"
STATE_ENV = "ERLEN_RELOADER_STATE"
REPORT_INTERVAL = 1.0  # seconds between two module reports (and reads of them)

_STATE_PREFIX = "erlen-reloader-"  # the supervisor's temporary folder


def inherited_fd() -> int | None:
    """Return the listening socket's file descriptor passed by the supervisor.

    ``None`` outside the reloader: the server then binds its own socket.
    """
    value = os.environ.get(FD_ENV)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise RuntimeError(
            f"{FD_ENV}={value!r} is not a file descriptor number. erlen's reloader sets it "
            "for the process it starts; unset it to let the server bind its own port."
        ) from None


def in_reloader_child() -> bool:
    """Return whether this process runs under the reloader's supervisor."""
    return bool(os.environ.get(STATE_ENV))


_report_lock = threading.Lock()
_reporter: threading.Thread | None = None
_last_report: frozenset[str] = frozenset()
_error_files: set[str] = set()


def report_modules() -> None:
    """Tell the supervisor which files this process imported; keep telling it.

    Writes the files of loaded modules outside the standard library and
    site-packages to the supervisor's state file, then re-reports every
    second from a daemon thread, so that modules imported later are watched
    too. A no-op outside the reloader. Call it early, even before loading
    the app: the files of an error that stops the process (such as a
    ``SyntaxError`` in a module) are reported as well, so fixing them
    restarts the app. The thread also stops this process (SIGTERM) when the
    supervisor is gone, so that no orphan keeps serving.
    """
    global _reporter
    path = os.environ.get(STATE_ENV)
    if not path:
        return
    _write_report(path)
    with _report_lock:
        if _reporter is not None:
            return
        _reporter = threading.Thread(
            target=_report_forever, args=(path, os.getppid()), name="erlen-reloader", daemon=True
        )
        _reporter.start()
    atexit.register(_write_report, path)
    previous_hook = sys.excepthook

    def excepthook(
        kind: type[BaseException], error: BaseException, traceback: TracebackType | None
    ) -> None:
        _error_files.update(_files_of_error(error))
        _write_report(path)
        previous_hook(kind, error, traceback)

    sys.excepthook = excepthook


def _report_forever(path: str, parent: int) -> None:
    while True:
        time.sleep(REPORT_INTERVAL)
        if os.getppid() != parent:  # the supervisor died (SIGKILL): do not outlive it
            folder = os.path.dirname(path)
            if os.path.basename(folder).startswith(_STATE_PREFIX):
                shutil.rmtree(folder, ignore_errors=True)  # the supervisor could not
            os.kill(os.getpid(), signal.SIGTERM)
            return
        _write_report(path)


def _write_report(path: str) -> None:
    """Write the app's files to the state file, atomically, if they changed."""
    global _last_report
    with _report_lock:
        files = frozenset(_module_files() | _error_files)
        if files == _last_report:
            return
        temporary = f"{path}.{os.getpid()}.tmp"
        try:
            with open(temporary, "w", encoding="utf-8", errors="surrogateescape") as state:
                # One line for our pid, then one per file (json would cost an import).
                state.write("\n".join([str(os.getpid()), *sorted(files)]) + "\n")
            os.replace(temporary, path)
        except OSError:
            return  # the supervisor is gone or cleaning up: nothing to tell
        _last_report = files


def _module_files() -> set[str]:
    """Return the source files of loaded modules that belong to the app."""
    files = set()
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if isinstance(filename, str):
            source = _app_file(filename)
            if source is not None:
                files.add(source)
    return files


def _app_file(filename: str) -> str | None:
    """Return the absolute source path, or None for library and missing files."""
    if filename.endswith((".pyc", ".pyo")):
        try:
            source = importlib.util.source_from_cache(filename)
        except ValueError:  # a .pyc outside __pycache__ (a sourceless module)
            source = filename
        filename = source if os.path.isfile(source) else filename
    path = os.path.abspath(filename)
    if "\n" in path or path.startswith(_library_prefixes()) or not os.path.isfile(path):
        return None
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return None
    return path


@lru_cache(maxsize=1)
def _library_prefixes() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    found = [paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths]
    found += site.getsitepackages() if hasattr(site, "getsitepackages") else []
    found.append(site.getusersitepackages())
    prefixes = set()
    for path in found:
        for form in (os.path.abspath(path), os.path.realpath(path)):
            prefixes.add(form.rstrip(os.sep) + os.sep)
    return tuple(sorted(prefixes))


def _files_of_error(error: BaseException | None) -> set[str]:
    """Return the app's files named by an error, its traceback and its causes."""
    files: set[str] = set()
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, SyntaxError) and error.filename:
            files.add(error.filename)
        traceback = error.__traceback__
        while traceback is not None:
            files.add(traceback.tb_frame.f_code.co_filename)
            traceback = traceback.tb_next
        error = error.__cause__ or error.__context__
    return {path for path in map(_app_file, files) if path is not None}
