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
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import queue
import selectors
import shutil
import signal
import site
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import typing as t
from collections.abc import Iterable, Iterator
from functools import lru_cache
from types import FrameType, TracebackType

__all__ = ["run_with_reloader", "inherited_fd", "in_reloader_child", "report_modules"]

FD_ENV = "ERLEN_SERVER_FD"
STATE_ENV = "ERLEN_RELOADER_STATE"
METHOD_ENV = "ERLEN_RELOADER"
POLL_INTERVAL = 0.5  # seconds between two scans when polling
REPORT_INTERVAL = 1.0  # seconds between two module reports (and reads of them)
STOP_TIMEOUT = 3.0  # seconds a child gets to exit on SIGTERM before SIGKILL
# A file newly reported by the child is also checked by its mtime this long,
# until the watcher surely covers it.
_GRACE = 2.5
# Under the folders the supervisor watches, these files are the app's.
WATCHED_SUFFIXES = frozenset({".py", ".html", ".htm", ".jinja", ".jinja2", ".j2"})
# Never descended into (nor any folder starting with "." or holding pyvenv.cfg).
IGNORED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "dist-packages"})
# At most this many folders are watched under the roots (an app.py in a home
# folder would otherwise have the whole home folder walked).
MAX_FOLDERS = 1000

_STATE_PREFIX = "erlen-reloader-"  # the supervisor's temporary folder
_Event = tuple[str, t.Any]
_Stamp = tuple[int, int]  # (mtime_ns, size)


# -- the child's side ----------------------------------------------------------


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


# -- what the supervisor watches -------------------------------------------------


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


# -- the supervisor --------------------------------------------------------------


class _ReloaderError(Exception):
    """A problem to report in one message, after which the reloader exits 1."""


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


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


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
    from .server import bind_error_message, listen

    try:
        return listen(host, port)
    except OSError as error:
        message = bind_error_message(host, port, error)
        raise _ReloaderError(
            message or f"Could not listen on {host}:{port}: {error.strerror or error}."
        ) from None


class _Supervisor:
    """Run the child, watch the files, restart; one instance per reloader run."""

    def __init__(
        self,
        child_argv: list[str],
        listener: socket.socket,
        roots: list[str],
        files: set[str],
        env: dict[str, str] | None,
        method: str,
    ) -> None:
        self.child_argv = list(child_argv)
        self.listener = listener
        self.roots = roots
        self.files = files  # extra files, then every module file any child reported
        self.events: queue.SimpleQueue[_Event] = queue.SimpleQueue()
        self.watcher: _PollingWatcher | _WatchfilesWatcher = (
            _WatchfilesWatcher(self.events) if method == "watchfiles" else _PollingWatcher()
        )
        self.state_dir = tempfile.mkdtemp(prefix=_STATE_PREFIX)
        self.state_path = os.path.join(self.state_dir, "modules.txt")
        self.state_stamp: _Stamp | None = None
        self.env = dict(os.environ if env is None else env)
        self.env[FD_ENV] = str(listener.fileno())
        self.env[STATE_ENV] = self.state_path
        self.child: subprocess.Popen[bytes] | None = None
        self.child_pid = 0  # the last child started (it may have stopped)
        self.child_done = threading.Event()  # set once that child has exited
        self.child_started = 0.0  # time.time() at its start
        self.grace: dict[str, float] = {}  # newly reported file -> end of its mtime check
        self.stop_signal: int | None = None
        self.warned_truncated = False
        self.fallback = _StoppedAppResponder(listener)

    def run(self) -> int:
        previous = self._install_signal_handlers()
        try:
            if isinstance(self.watcher, _WatchfilesWatcher):
                _say(" * Reloading on changes (watchfiles)")
            else:
                _say(
                    f" * Reloading on changes (polling every {POLL_INTERVAL:g} s; "
                    "pip install watchfiles to be told of changes instead)"
                )
            self._update_watcher()
            self._start_child()
            self._loop()
            return 0
        finally:
            self._stop_child()
            self.fallback.stop()
            self.watcher.close()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def _loop(self) -> None:
        next_tick = time.monotonic() + self.watcher.interval
        while self.stop_signal is None:
            try:
                event: _Event | None = self.events.get(
                    timeout=max(0.0, next_tick - time.monotonic())
                )
            except queue.Empty:
                event = None
            if self.stop_signal is not None:
                return
            changed = None
            if event is not None:
                kind, value = event
                if kind == "change":
                    changed = value
                elif kind == "exit":
                    self._child_exited(value)
                elif kind == "rescan":
                    self._update_watcher()
                elif kind == "fallback":
                    _say(f" * watchfiles stopped watching ({value}); polling for changes instead")
                    self.watcher.close()
                    self.watcher = _PollingWatcher()
                    self._update_watcher()
            if time.monotonic() >= next_tick:
                next_tick = time.monotonic() + self.watcher.interval
                changed = changed or self.watcher.check() or self._read_report()
            if changed:
                self._restart(changed)

    def _update_watcher(self) -> None:
        self.watcher.update(self.roots, self.files)
        if self.watcher.tree.truncated and not self.warned_truncated:
            self.warned_truncated = True
            _say(
                f" * Watching only the first {MAX_FOLDERS} folders under "
                f"{', '.join(self.roots)}: run erlen from a smaller folder that holds just "
                "the app (the modules it imports are watched wherever they are)."
            )

    def _read_report(self) -> str | None:
        """Learn the files the child imported; return one changed since it started."""
        stamp = _stamp(self.state_path)
        if stamp is not None and stamp != self.state_stamp:
            self.state_stamp = stamp
            try:
                with open(self.state_path, encoding="utf-8", errors="surrogateescape") as state:
                    pid, *reported = state.read().splitlines()
            except (OSError, ValueError):
                pid, reported = "", []
            new = set(reported) - self.files
            if new:
                self.files |= new
                self._update_watcher()
                if pid == str(self.child_pid):
                    deadline = time.monotonic() + _GRACE
                    self.grace.update(dict.fromkeys(new, deadline))
        now = time.monotonic()
        for path, deadline in list(self.grace.items()):
            if now > deadline:
                del self.grace[path]
            else:
                # Edited after the child started, perhaps before it was watched.
                stamp = _stamp(path)
                if stamp is not None and stamp[0] / 1e9 > self.child_started:
                    del self.grace[path]
                    return path
        return None

    def _restart(self, path: str) -> None:
        _say(f" * Detected a change in {path}, reloading")
        self._stop_child()
        # Changes seen while the old child stopped are in the new one already.
        pending = []
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            if event[0] != "change":
                pending.append(event)
        for event in pending:
            self.events.put(event)
        if self.stop_signal is None:
            self._start_child()

    def _start_child(self) -> None:
        self.fallback.stop()
        try:
            child = subprocess.Popen(
                self.child_argv, env=self.env, pass_fds=(self.listener.fileno(),)
            )
        except OSError as error:
            raise _ReloaderError(
                f"Could not start the app with {self.child_argv!r}: {error.strerror or error}."
            ) from None
        self.child = child
        self.child_pid = child.pid
        self.child_started = time.time()
        self.child_done = threading.Event()
        threading.Thread(
            target=self._wait_for, args=(child, self.child_done), name="erlen-wait", daemon=True
        ).start()

    def _wait_for(self, child: subprocess.Popen[bytes], done: threading.Event) -> None:
        child.wait()
        done.set()  # perf: wakes _stop_child at once (Popen.wait(timeout) polls)
        self.events.put(("exit", child))

    def _child_exited(self, child: subprocess.Popen[bytes]) -> None:
        if child is not self.child:
            return  # one we stopped ourselves
        self.child = None
        code = child.returncode
        how = f"exit code {code}"
        if code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        _say(f" * The app stopped ({how}); fix the error and save: erlen is still watching")
        self.fallback.start(how)

    def _stop_child(self) -> None:
        child, self.child = self.child, None
        if child is None or self.child_done.is_set():
            return
        child.terminate()
        if not self.child_done.wait(STOP_TIMEOUT):
            child.kill()
            self.child_done.wait(STOP_TIMEOUT)

    def _install_signal_handlers(self) -> dict[int, t.Any]:
        def stop(signum: int, frame: FrameType | None) -> None:
            self.stop_signal = signum
            self.events.put(("signal", signum))  # SimpleQueue.put is reentrant

        previous: dict[int, t.Any] = {}
        if threading.current_thread() is not threading.main_thread():
            return previous  # only the main thread may set handlers
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, stop)
        return previous


class _StoppedAppResponder:
    """While the app is stopped, answer requests with a 503 that says why.

    Without it a browser would wait on the bound port until the app is back.
    Stopped before a child starts, so the two never accept at once; the
    listener stays blocking (its flags are shared with the child), so
    readiness comes from a selector.
    """

    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()

    def start(self, how: str) -> None:
        self.stop()
        body = (
            f"The app stopped ({how}), so nothing can answer this request.\n"
            "The error is in the terminal that runs erlen. Fix it and save the file:\n"
            "erlen is still watching, and restarts the app.\n"
        ).encode()
        response = (
            b"HTTP/1.1 503 Service Unavailable\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n"
            b"Content-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s"
        ) % (len(body), body)
        self.stopping = threading.Event()
        self.thread = threading.Thread(
            target=self._serve, args=(response, self.stopping), name="erlen-stopped", daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        if self.thread is not None:
            self.stopping.set()
            self.thread.join(timeout=5)
            self.thread = None

    def _serve(self, response: bytes, stopping: threading.Event) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.listener, selectors.EVENT_READ)
            while not stopping.is_set():
                if not selector.select(timeout=0.05):
                    continue
                try:
                    connection, _ = self.listener.accept()
                except OSError:
                    continue
                with connection:
                    try:
                        connection.settimeout(2.0)
                        head = b""
                        while b"\r\n\r\n" not in head and len(head) < 65536:
                            chunk = connection.recv(4096)
                            if not chunk:
                                break
                            head += chunk
                        connection.sendall(response)
                        connection.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
