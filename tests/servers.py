"""Run a real server process on a free loopback port, and always stop it.

::

    server = ServerProcess(lambda port: [sys.executable, "-m", "gunicorn", ...,
                                         f"--bind=127.0.0.1:{port}", "app:app"],
                           cwd=app_dir, env=server_env(app_dir), log_path=tmp / "log")
    server.start()          # waits (bounded) until it answers HTTP
    try: ... server.port ...
    finally: server.stop()  # SIGTERM, then SIGKILL if it does not exit
"""

from __future__ import annotations

import errno
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[1] / "src"
HOST = "127.0.0.1"

# What servers print when their port was taken between free_port() and bind().
_PORT_TAKEN = (
    "Address already in use",
    "Connection in use",
    f"[Errno {errno.EADDRINUSE}]",
    "is in use by another program",  # erlen's development server
)


def free_port() -> int:
    """Return a loopback port that was free a moment ago (the OS picked it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_env(*paths: str | os.PathLike[str], **extra: str) -> dict[str, str]:
    """The environment for a server process: erlen's ``src`` and ``paths`` importable."""
    env = dict(os.environ)
    python_path = [str(SRC), *(str(p) for p in paths)]
    if env.get("PYTHONPATH"):
        python_path.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(python_path)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class ServerError(RuntimeError):
    """The server did not start; the message holds the end of its log."""


class ServerProcess:
    """A server subprocess bound to a free loopback port."""

    def __init__(
        self,
        argv: Callable[[int], Sequence[str]],
        *,
        cwd: str | os.PathLike[str],
        env: dict[str, str],
        log_path: str | os.PathLike[str],
        ready_path: str = "/",
        ready_marker: str | None = None,
        timeout: float = 20.0,
        attempts: int = 3,
    ) -> None:
        self.argv = argv
        self.cwd = cwd
        self.env = env
        self.log_path = Path(log_path)
        self.ready_path = ready_path
        self.ready_marker = ready_marker
        self.timeout = timeout
        self.attempts = attempts
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log_start = 0  # where the current attempt's output begins

    @property
    def host(self) -> str:
        return HOST

    def log(self) -> str:
        """Return what the server printed during the current attempt."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._log_start)
                return log.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self) -> None:
        """Start the server; retry on another port if its port was taken."""
        for attempt in range(1, self.attempts + 1):
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                log.write(f"--- attempt {attempt}, port {self.port}\n".encode())
                log.flush()
                self._log_start = log.tell()
                self.process = subprocess.Popen(
                    list(self.argv(self.port)),
                    cwd=self.cwd,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            try:
                self._wait_until_ready()
                return
            except ServerError:
                port_taken = any(marker in self.log() for marker in _PORT_TAKEN)
                # It never served: no need for a graceful exit (gunicorn, say,
                # only reads its SIGTERM after five seconds of bind retries).
                self.stop(timeout=1.0)
                if not port_taken or attempt == self.attempts:
                    raise
        raise AssertionError("unreachable")

    def _wait_until_ready(self) -> None:
        """Poll (50 ms apart) until the server answers an HTTP request.

        With ``ready_marker`` (what the server prints once it has bound its
        port, such as gunicorn's "Listening at"), requests are only tried after
        it appears, so a stranger that grabbed the port first is never taken
        for our server.
        """
        assert self.process is not None
        deadline = time.monotonic() + self.timeout
        while True:
            if self.process.poll() is not None:
                raise ServerError(
                    f"The server exited with status {self.process.returncode} before "
                    f"answering. Its log:\n{self.log()[-4000:]}"
                )
            log = self.log()
            if any(marker in log for marker in _PORT_TAKEN):
                raise ServerError(f"Port {self.port} was taken.\n{log[-4000:]}")
            if self.ready_marker is None or self.ready_marker in log:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=1)
                try:
                    connection.request("GET", self.ready_path)
                    connection.getresponse().read()
                    return
                except OSError:
                    pass  # not listening (or not answering) yet
                finally:
                    connection.close()
            if time.monotonic() > deadline:
                raise ServerError(
                    f"The server did not answer on port {self.port} within {self.timeout} s. "
                    f"Its log:\n{self.log()[-4000:]}"
                )
            time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server by its pid: SIGTERM, then SIGKILL after ``timeout``."""
        process = self.process
        if process is None:
            return
        self.process = None
        if process.poll() is None:
            try:
                os.kill(process.pid, signal.SIGTERM)
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=timeout)
            except ProcessLookupError:
                process.wait(timeout=timeout)
        else:
            process.wait()

    def connection(self, timeout: float = 5.0) -> http.client.HTTPConnection:
        """Return a new HTTP connection to the server."""
        return http.client.HTTPConnection(HOST, self.port, timeout=timeout)

    def get(self, path: str = "/") -> tuple[int, dict[str, str], str]:
        """GET ``path``; return the status, the headers (names lower-cased) and the body."""
        connection = self.connection()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            headers = {name.lower(): value for name, value in response.getheaders()}
            return response.status, headers, response.read().decode()
        finally:
            connection.close()

    def wait_for_body(self, text: str, path: str = "/", timeout: float = 20.0) -> None:
        """Poll (50 ms apart) until GET ``path`` answers 200 with ``text``; bounded.

        The one way the tests wait for a (re)started server to serve what
        they expect; on time-out the assertion quotes the last answer and
        the server's log.
        """
        last: object = None

        def served() -> bool:
            nonlocal last
            try:
                status, _, body = self.get(path)
            except (OSError, http.client.HTTPException) as error:
                last = error
                return False
            last = (status, body)
            return last == (200, text)

        if not poll_until(served, timeout):
            raise AssertionError(
                f"{path} never answered {text!r} within {timeout} s; last {last!r}\n"
                f"{self.log()[-4000:]}"
            )

    def wait_for_log(self, text: str, timeout: float = 20.0) -> None:
        """Poll until ``text`` appears in the server's log; bounded."""
        if not poll_until(lambda: text in self.log(), timeout):
            raise AssertionError(f"{text!r} never appeared in the log:\n{self.log()[-4000:]}")

    def raw(self, data: bytes, timeout: float = 5.0) -> bytes:
        """Send raw bytes, then read until the server closes the connection."""
        with socket.create_connection((HOST, self.port), timeout=timeout) as sock:
            sock.sendall(data)
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)


# -- the servers erlen runs under -----------------------------------------------

#: What each server prints once it has bound its port: ServerProcess's ``ready_marker``.
READY_MARKERS = {
    "gunicorn": "Listening at",
    "uvicorn": "Uvicorn running on",
    "hypercorn": "Running on http://",
    "granian": "Started worker-1",
    "granian-rsgi": "Started worker-1",
}


def server_argv(kind: str, target: str, port: int, *options: str) -> list[str]:
    """Return the command that serves ``target`` ("module:app") with ``kind`` on ``port``.

    ``kind`` is ``gunicorn`` (WSGI: one worker, threads, so connections stay
    alive), ``uvicorn`` or ``hypercorn`` (ASGI, which they find out by
    themselves), ``granian`` (ASGI) or ``granian-rsgi`` (granian's RSGI). Each gets a short graceful-shutdown timeout, so that a
    connection left open cannot hold up :meth:`ServerProcess.stop`.
    """
    if kind == "gunicorn":
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers=1",
            # The gthread worker keeps connections alive (the sync worker closes each).
            "--worker-class=gthread",
            "--threads=4",
            f"--bind={HOST}:{port}",
            "--graceful-timeout=3",
            "--timeout=30",
            "--log-level=info",  # prints "Listening at", which start() waits for
        ]
        import gunicorn.config

        if hasattr(gunicorn.config, "ControlSocketDisable"):
            argv.append("--no-control-socket")  # else one shared socket in $HOME
    elif kind == "uvicorn":
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            f"--host={HOST}",
            f"--port={port}",
            "--timeout-graceful-shutdown=3",
            "--log-level=info",  # prints "Uvicorn running on"
        ]
    elif kind == "hypercorn":
        argv = [
            sys.executable,
            "-m",
            "hypercorn",
            f"--bind={HOST}:{port}",
            "--graceful-timeout=3",
            "--log-level=info",  # prints "Running on"
        ]
    elif kind in ("granian", "granian-rsgi"):
        argv = [
            sys.executable,
            "-m",
            "granian",
            "--interface=rsgi" if kind == "granian-rsgi" else "--interface=asgi",
            f"--host={HOST}",
            f"--port={port}",
            "--workers=1",
            "--workers-kill-timeout=3",
        ]
    else:
        raise ValueError(f"Unknown server {kind!r}: use one of {', '.join(READY_MARKERS)}.")
    return [*argv, *options, target]


def server_process(
    kind: str,
    target: str,
    *,
    cwd: str | os.PathLike[str],
    env: dict[str, str],
    log_path: str | os.PathLike[str],
    options: Sequence[str] = (),
    **kwargs: Any,
) -> ServerProcess:
    """Return a (not yet started) :class:`ServerProcess` serving ``target`` with ``kind``."""
    if kind == "gunicorn":
        env = {**env, "XDG_RUNTIME_DIR": os.fspath(cwd)}  # where a control socket may go
    return ServerProcess(
        lambda port: server_argv(kind, target, port, *options),
        cwd=cwd,
        env=env,
        log_path=log_path,
        ready_marker=READY_MARKERS[kind],
        **kwargs,
    )


def poll_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Call ``predicate`` 20 times a second until it is true; give up after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
