"""What the reloader's supervisor watches, and how it learns of changes.

:class:`_PollingWatcher` scans modification times every half second;
:class:`_WatchfilesWatcher` lets watchfiles (the operating system's file
events) report changes as events on the supervisor's queue. Both watch the
app's kind of files (:data:`WATCHED_SUFFIXES`) under the roots, skipping
virtualenvs, ``node_modules`` and hidden folders, and the files the child
reported wherever they are.
"""

from __future__ import annotations

import os
import queue
import threading
import typing as t
from collections.abc import Iterable, Iterator

from .reloader_child import REPORT_INTERVAL

POLL_INTERVAL = 0.5  # seconds between two scans when polling
# Under the folders the supervisor watches, these files are the app's.
WATCHED_SUFFIXES = frozenset({".py", ".html", ".htm", ".jinja", ".jinja2", ".j2"})
# Never descended into (nor any folder starting with "." or holding pyvenv.cfg).
IGNORED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "dist-packages"})
# At most this many folders are watched under the roots (an app.py in a home
# folder would otherwise have the whole home folder walked).
MAX_FOLDERS = 1000

_Event = tuple[str, t.Any]
_Stamp = tuple[int, int]  # (mtime_ns, size)


def _skip_dir(parent: str, name: str) -> bool:
    return (
        name.startswith(".")
        or name in IGNORED_DIRS
        or os.path.isfile(os.path.join(parent, name, "pyvenv.cfg"))
    )


def _is_watched_name(name: str) -> bool:
    return not name.startswith(".") and os.path.splitext(name)[1] in WATCHED_SUFFIXES


class _Tree:
    """The folders under the roots, skipping virtualenvs and such, and their files."""

    truncated = False  # set once MAX_FOLDERS was reached

    def walk(self, roots: Iterable[str]) -> Iterator[tuple[str, list[str]]]:
        """Yield (folder, file names), at most MAX_FOLDERS of them."""
        count = 0
        for root in roots:
            for folder, dirnames, filenames in os.walk(root):
                count += 1
                if count > MAX_FOLDERS:
                    self.truncated = True
                    return
                dirnames[:] = [name for name in dirnames if not _skip_dir(folder, name)]
                yield folder, filenames


def _stamp(path: str) -> _Stamp | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class _PollingWatcher:
    """Scan the watched files' modification times every half second."""

    interval = POLL_INTERVAL

    def __init__(self) -> None:
        self.tree = _Tree()
        self._roots: list[str] = []
        self._files: frozenset[str] = frozenset()
        self._snapshot: dict[str, _Stamp | None] = {}

    def update(self, roots: list[str], files: Iterable[str]) -> None:
        self._roots = roots
        self._files = frozenset(files)
        # Known files keep their old stamp, so a change not yet checked still shows.
        old = self._snapshot
        self._snapshot = {path: old.get(path, stamp) for path, stamp in self._scan().items()}

    def check(self) -> str | None:
        """Return a changed, added or removed file since the last check, if any."""
        current = self._scan()
        changed = sorted(
            path
            for path in current.keys() | self._snapshot.keys()
            if current.get(path, 0) != self._snapshot.get(path, 0)
        )
        self._snapshot = current
        return changed[0] if changed else None

    def close(self) -> None:
        pass

    def _scan(self) -> dict[str, _Stamp | None]:
        stamps = {path: _stamp(path) for path in self._files}
        for folder, filenames in self.tree.walk(self._roots):
            for name in filenames:
                if _is_watched_name(name):
                    path = os.path.join(folder, name)
                    stamps[path] = _stamp(path)
        return stamps


class _WatchfilesWatcher:
    """Let watchfiles (the operating system's file events) report changes.

    Every folder under the roots is watched on its own (not recursively), so
    a virtualenv or ``node_modules`` inside the app's folder costs nothing; a
    new folder triggers a rescan. Files outside the roots are watched through
    their folder, which also sees editors that save by renaming.
    """

    interval = REPORT_INTERVAL

    def __init__(self, events: queue.SimpleQueue[_Event]) -> None:
        self._events = events
        self.tree = _Tree()
        self._files: frozenset[str] = frozenset()
        self._folders: frozenset[str] = frozenset()  # the folders under the roots
        self._watched: frozenset[str] = frozenset()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def update(self, roots: list[str], files: Iterable[str]) -> None:
        self._files = frozenset(files)
        self._folders = frozenset(folder for folder, _ in self.tree.walk(roots))
        parents = {os.path.dirname(path) for path in self._files}
        watched = frozenset(path for path in self._folders | parents if os.path.isdir(path))
        if watched != self._watched or self._thread is None or not self._thread.is_alive():
            self.close()
            self._watched = watched
            if not watched:
                return
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(watched, self._stop), name="erlen-watch", daemon=True
            )
            self._thread.start()

    def check(self) -> str | None:
        return None  # changes arrive as events

    def close(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self, watched: frozenset[str], stop: threading.Event) -> None:
        import watchfiles  # type: ignore[import-not-found, unused-ignore]

        try:
            for changes in watchfiles.watch(
                *sorted(watched),
                watch_filter=None,
                step=25,  # ms without events that ends a batch: 50 by default
                stop_event=stop,
                recursive=False,
                raise_interrupt=False,
            ):
                self._handle(sorted(path for _, path in changes))
        except FileNotFoundError:  # a folder vanished before the watch began
            if not stop.is_set():
                self._events.put(("rescan", None))
        except Exception as error:  # such as the OS's limit of watches: fall back
            if not stop.is_set():
                self._events.put(("fallback", f"{type(error).__name__}: {error}"))

    def _handle(self, paths: list[str]) -> None:
        changed = None
        rescan = False
        for path in paths:
            parent, name = os.path.split(path)
            if path in self._files:
                changed = changed or path
            elif path in self._watched or (
                parent in self._folders and os.path.isdir(path) and not _skip_dir(parent, name)
            ):
                rescan = True  # a folder came or went
            elif parent in self._folders and _is_watched_name(name):
                changed = changed or path
        if rescan:
            self._events.put(("rescan", None))
        if changed:
            self._events.put(("change", changed))
