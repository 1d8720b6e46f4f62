"""The reloader's supervisor: run the app in a child process, restart it on changes.

:class:`_Supervisor` starts the child with the listening socket and the
state file in its environment (see :mod:`erlen.dev.reloader_child`), waits
for file changes (:mod:`erlen.dev.watchers`), the child's exit or a signal,
and restarts the child. While the app is stopped on an error,
:class:`_StoppedAppResponder` answers requests with a 503 that says why.
"""

from __future__ import annotations

import os
import queue
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import typing as t
from types import FrameType

from .reloader_child import _STATE_PREFIX, FD_ENV, STATE_ENV
from .watchers import (
    MAX_FOLDERS,
    POLL_INTERVAL,
    _Event,
    _PollingWatcher,
    _Stamp,
    _stamp,
    _WatchfilesWatcher,
)

STOP_TIMEOUT = 3.0  # seconds a child gets to exit on SIGTERM before SIGKILL
# A file newly reported by the child is also checked by its mtime this long,
# until the watcher surely covers it.
_GRACE = 2.5


class _ReloaderError(Exception):
    """A problem to report in one message, after which the reloader exits 1."""


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


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
