"""The development server against slow and hostile clients (issue 15, items 1 and 4).

The server runs as ``erlen run`` in a subprocess (as a user starts it), with
a short head deadline and a small connection limit so the tests stay quick.
Clients here trickle bytes to hold connections, or send header lines that
once made the parser backtrack; meanwhile an ordinary request must still
be answered. Every wait is bounded by ``TIMEOUT``; the only sleeps are the
pauses of the trickling clients themselves.
"""

from __future__ import annotations

import http.client
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from linear import assert_linear
from servers import HOST, ServerProcess, server_env

TESTS = Path(__file__).resolve().parents[1]
TIMEOUT = 5.0
#: The head deadline the server is started with, in seconds.
HEAD_TIMEOUT = 0.5
#: The connection limit it is started with.
MAX_CONNECTIONS = 8

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("limits")
    process = ServerProcess(
        lambda port: [
            *(sys.executable, "-m", "erlen", "--app", "hostileapp.app:app"),
            *("run", "--no-reload", "--port", str(port)),
            *("--head-timeout", str(HEAD_TIMEOUT), "--body-timeout", "1"),
            *("--max-connections", str(MAX_CONNECTIONS)),
        ],
        cwd=directory,
        env=server_env(TESTS),
        log_path=directory / "server.log",
        ready_marker=" * Serving",
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


def ordinary_request(server: ServerProcess) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, server.port, timeout=TIMEOUT)
    try:
        connection.request("GET", "/", headers={"Connection": "close"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def read_all(sock: socket.socket) -> bytes:
    """Read until the server closes (or TIMEOUT passes: then fail)."""
    data = b""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
    pytest.fail(f"the server kept the connection open past {TIMEOUT} s; got {data!r}")


class Trickler:
    """A client that sends a request head one byte at a time, never finishing."""

    def __init__(self, server: ServerProcess, pause: float) -> None:
        self.sock = socket.create_connection((HOST, server.port), timeout=TIMEOUT)
        self.pause = pause
        self.closed = threading.Event()
        self.received = b""
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        head = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 10_000
        try:
            for byte in head:
                self.sock.sendall(bytes([byte]))
                if self.closed.wait(self.pause):
                    return
        except OSError:
            pass
        finally:
            self.closed.set()

    def close(self) -> None:
        self.closed.set()
        self.thread.join(TIMEOUT)
        self.sock.close()


def test_a_head_that_trickles_past_its_deadline_gets_408_and_a_close(server):
    with socket.create_connection((HOST, server.port), timeout=TIMEOUT) as sock:
        started = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(HEAD_TIMEOUT / 5)
        answer = b""
        # Send a header byte every tenth of the deadline: each read is quick,
        # but the head as a whole is never done. The server must end it.
        while time.monotonic() - started < TIMEOUT:
            try:
                sock.sendall(b"a")
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            if not chunk:
                break
            answer += chunk
        elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b"request head within the 0.5 seconds" in answer
    assert elapsed < TIMEOUT  # closed by the deadline, not by the test's bound


def test_trickling_clients_do_not_stop_an_ordinary_request(server):
    # Twice the connection limit of clients, each holding a connection by
    # sending a byte now and then: the ordinary requests still get answers,
    # because the oldest waiting connection is dropped to make room.
    tricklers = [Trickler(server, pause=0.05) for _ in range(2 * MAX_CONNECTIONS)]
    try:
        for _ in range(3):
            status, body = ordinary_request(server)
            assert (status, body) == (200, b"hostile: ok")
    finally:
        for trickler in tricklers:
            trickler.close()
    assert "to make room for a new one" in server.log()


def test_past_the_limit_with_every_connection_busy_a_new_one_gets_503_at_once(server):
    # Connections whose request the app is serving are never dropped: with
    # all of them busy (here: reading a body that trickles), a new
    # connection is told so at once, not left waiting.
    head = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n"
    busy = []
    try:
        for _ in range(MAX_CONNECTIONS):
            sock = socket.create_connection((HOST, server.port), timeout=TIMEOUT)
            busy.append(sock)
            sock.sendall(head)
            # The 100 Continue comes when the app starts reading the body:
            # from then on the connection is busy, not waiting for a head.
            assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
            sock.sendall(b"a")
        with socket.create_connection((HOST, server.port), timeout=TIMEOUT) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = read_all(sock)
        assert answer.startswith(b"HTTP/1.1 503 "), answer
        assert b"limit of %d connections" % MAX_CONNECTIONS in answer
    finally:
        for sock in busy:
            sock.close()
    # The slow bodies hit their deadline; the server answers again.
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        status, _ = ordinary_request(server)
        if status == 200:
            break
    assert status == 200


def test_a_slow_body_gets_408(server):
    with socket.create_connection((HOST, server.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b"request body" in answer


def test_ten_header_lines_of_spaces_take_the_server_linear_time(server):
    # The report: ten lines, each a few KB of spaces between two
    # characters, made the old parser backtrack for seconds, holding the
    # GIL while other clients waited. The time for lines of n and 16 n
    # spaces, through the real server, must grow no faster than linearly.
    def prepare(n: int):
        lines = b"".join(b"X-%d: a%sb\r\n" % (i, b" " * n) for i in range(10))
        hostile = b"GET /echo HTTP/1.1\r\nHost: x\r\n" + lines + b"Connection: close\r\n\r\n"

        def send() -> bytes:
            with socket.create_connection((HOST, server.port), timeout=TIMEOUT) as sock:
                sock.sendall(hostile)
                answer = read_all(sock)
            assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
            return answer

        return send

    # 16 n = 8000 spaces: within the 8 KiB line limit. Wall-clock time: the
    # work is the server's, in another process.
    assert_linear(prepare, n=500, clock=time.perf_counter)
    assert ordinary_request(server) == (200, b"hostile: ok")
