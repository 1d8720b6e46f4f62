"""Flask's SQLite-in-``g`` pattern under real servers, with many clients at once.

The app (tests/dbapp) opens a SQLite connection in ``g`` in a plain ``def``
view and closes it in ``teardown_appcontext``; SQLite refuses a connection
used from another thread. Under every server, each request's view, the
steps of its streamed body and its teardown must run on one thread: no
error, and every connection opened is closed.
"""

from __future__ import annotations

import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from servers import HOST, poll_until, server_env, server_process

pytestmark = pytest.mark.server

TESTS = Path(__file__).resolve().parents[1]
CLIENTS = 16
REQUESTS_EACH = 8


@pytest.fixture(params=["gunicorn", "uvicorn", "hypercorn", "granian", "granian-rsgi"])
def served(request, tmp_path):
    process = server_process(
        request.param,
        "dbapp.app:app",
        cwd=tmp_path,
        env=server_env(TESTS),
        log_path=tmp_path / "server.log",
    )
    process.start()
    yield process
    process.stop()


def fetch(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection(HOST, port, timeout=20)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def client(port: int, number: int) -> list[tuple[int, str]]:
    paths = ["/count", "/stream"]
    return [fetch(port, paths[(number + i) % 2]) for i in range(REQUESTS_EACH)]


def test_every_connection_is_closed_on_the_thread_that_opened_it(served):
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [
            a for batch in pool.map(client, [served.port] * CLIENTS, range(CLIENTS)) for a in batch
        ]
    assert len(answers) == CLIENTS * REQUESTS_EACH
    assert set(answers) == {(200, "10"), (200, "0\n1\n2\n3\n4\n")}

    def all_closed() -> bool:
        stats = json.loads(fetch(served.port, "/stats")[1])
        return stats["closed"] == stats["opened"] == CLIENTS * REQUESTS_EACH

    assert poll_until(all_closed, timeout=20), fetch(served.port, "/stats")[1]
    stats = json.loads(fetch(served.port, "/stats")[1])
    assert stats["errors"] == []
    log = served.log()
    assert "Traceback" not in log, log
    assert "ProgrammingError" not in log, log
