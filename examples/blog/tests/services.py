"""A real PostgreSQL and a real Redis for the tests, each in a temporary folder.

Both come from Debian's packages (``postgresql``, ``redis-server``); each
server listens on a free loopback port, is waited for with a bounded poll,
and is stopped by its pid. PostgreSQL refuses to run as root, so when the
tests run as root it runs as the ``postgres`` account that Debian's package
creates (or ``nobody``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import typing as t
from pathlib import Path

import pytest

from servers import HOST, free_port, poll_until

INSTALL_HINT = (
    "Install Debian's packages with: apt-get install --no-install-recommends "
    "postgresql redis-server (the repository's scripts/test does this when apt-get "
    "is available)."
)


def _find(program: str, *patterns: str) -> str:
    found = shutil.which(program)
    if found:
        return found
    # Debian keeps PostgreSQL's server programs off PATH, one folder per version.
    for pattern in patterns:
        matches = sorted(glob.glob(pattern), key=lambda path: _version_key(path))
        if matches:
            return matches[-1]
    pytest.fail(f"The tests need {program}, which is not installed. {INSTALL_HINT}", pytrace=False)


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in Path(path).parts if part.isdigit())


def _stop(process: subprocess.Popen[bytes], first: int, timeout: float = 10.0) -> None:
    """Send ``first`` to the process, then SIGKILL if it has not exited in time."""
    if process.poll() is not None:
        return
    try:
        os.kill(process.pid, first)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        process.wait(timeout=timeout)


def _log_tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-4000:]
    except FileNotFoundError:
        return "(no log)"


class _Server:
    """A server process of the tests' own, on a free port, in a folder of its own."""

    #: The signal that asks the server to shut down.
    stop_signal = signal.SIGTERM

    def __init__(self, prefix: str, log_name: str) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=prefix))
        self.log_path = self.folder / log_name
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def _launch(self, port: int, log: t.IO[bytes]) -> subprocess.Popen[bytes]:
        raise NotImplementedError

    def _ready_or_exited(self) -> bool:
        raise NotImplementedError

    def _start(self, timeout: float, not_ready: str) -> None:
        """Launch on a free port until the server answers; another try if the port was taken."""
        for _attempt in range(3):
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                self.process = self._launch(self.port, log)
            if poll_until(self._ready_or_exited, timeout) and self.process.poll() is None:
                return
            taken = "Address already in use" in _log_tail(self.log_path)
            self.stop(keep_folder=True)
            if not taken:
                break
        pytest.fail(
            f"{not_ready} on port {self.port} within {timeout} s. "
            f"Its log:\n{_log_tail(self.log_path)}",
            pytrace=False,
        )

    def stop(self, keep_folder: bool = False) -> None:
        process, self.process = self.process, None
        if process is not None:
            _stop(process, self.stop_signal)
        if not keep_folder:
            shutil.rmtree(self.folder, ignore_errors=True)


class Postgres(_Server):
    """A PostgreSQL server of its own; :attr:`url` is SQLAlchemy's URL for it."""

    user = "blog"
    stop_signal = signal.SIGINT  # "fast" shutdown: ends sessions, then exits

    def __init__(self) -> None:
        self.initdb = _find("initdb", "/usr/lib/postgresql/*/bin/initdb")
        self.postgres = _find("postgres", "/usr/lib/postgresql/*/bin/postgres")
        super().__init__("blog-postgres-", "postgres.log")
        self._data = self.folder / "data"
        self.run_as: str | None = None
        if os.geteuid() == 0:
            self.run_as = "postgres" if _has_account("postgres") else "nobody"
            account = pwd.getpwnam(self.run_as)
            os.chown(self.folder, account.pw_uid, account.pw_gid)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@{HOST}:{self.port}/{database}"

    def start(self, timeout: float = 30.0) -> None:
        result = subprocess.run(
            [self.initdb, "-D", str(self._data), "-U", self.user, "--auth=trust"]
            + ["--encoding=UTF8", "--locale=C", "--no-sync"],
            user=self.run_as,
            cwd=self.folder,
            capture_output=True,
            timeout=120,
        )
        if result.returncode != 0:
            pytest.fail(
                f"initdb failed (status {result.returncode}):\n"
                f"{result.stdout.decode(errors='replace')}{result.stderr.decode(errors='replace')}",
                pytrace=False,
            )
        self._start(timeout, "PostgreSQL did not accept connections")

    def _launch(self, port: int, log: t.IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [self.postgres, "-D", str(self._data), "-p", str(port)]
            + [
                "-c",
                f"listen_addresses={HOST}",
                "-c",
                f"unix_socket_directories={self.folder}",
            ]
            # A throwaway database: no need to survive a crash.
            + ["-c", "fsync=off", "-c", "synchronous_commit=off"]
            + ["-c", "full_page_writes=off"],
            user=self.run_as,
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def _ready_or_exited(self) -> bool:
        import psycopg

        assert self.process is not None
        if self.process.poll() is not None:
            return True  # start() then reports the log
        try:
            psycopg.connect(
                host=HOST, port=self.port, user=self.user, dbname="postgres", connect_timeout=2
            ).close()
        except psycopg.OperationalError:
            return False
        return True

    def create_database(self, name: str) -> str:
        """Create an empty database; return its URL."""
        import psycopg

        with psycopg.connect(
            host=HOST, port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


class Redis(_Server):
    """A Redis server of its own, keeping nothing on disk."""

    def __init__(self) -> None:
        self.program = _find("redis-server")
        super().__init__("blog-redis-", "redis.log")

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def client(self):  # -> redis.Redis
        import redis

        return redis.Redis(host=HOST, port=self.port, socket_timeout=5)

    def start(self, timeout: float = 20.0) -> None:
        self._start(timeout, "Redis did not answer PING")

    def _launch(self, port: int, log: t.IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [self.program, "--port", str(port), "--bind", HOST]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def _ready_or_exited(self) -> bool:
        import redis

        assert self.process is not None
        if self.process.poll() is not None:
            return True  # start() then reports the log
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.ConnectionError:
            return False


def _has_account(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
