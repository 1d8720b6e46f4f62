"""One erlen app (tests/realapp) under real servers, spoken to over real sockets.

The same behaviour tests run against gunicorn (WSGI), uvicorn and hypercorn
(ASGI) and granian's RSGI interface: each server is started once per module,
on a free loopback port, and each test runs once per server. WebSocket and
lifespan tests run against the ASGI and RSGI servers only (their ``server``
parameter is narrowed with ``ASGI_ONLY``). Where RSGI cannot do what ASGI
does (a close code, a body cut short), the test says what granian does.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import signal
import socket
import subprocess
import threading
import uuid
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from servers import (
    HOST,
    ServerProcess,
    free_port,
    poll_until,
    server_argv,
    server_env,
    server_process,
)

pytestmark = pytest.mark.server

TESTS = Path(__file__).resolve().parents[1]
APP = "realapp.app:app"
SERVERS = ["gunicorn", "uvicorn", "hypercorn", "granian-rsgi"]

#: Narrow a test to the servers of async protocols, ASGI and RSGI (WebSockets,
#: lifespan); the servers are still shared.
ASGI_ONLY = pytest.mark.parametrize(
    "server", ["uvicorn", "hypercorn", "granian-rsgi"], indirect=True
)
#: Narrow a test to the WSGI server.
WSGI_ONLY = pytest.mark.parametrize("server", ["gunicorn"], indirect=True)


@dataclass
class Served:
    """A running server of one kind, and where its app leaves marker files."""

    kind: str
    process: ServerProcess
    markers: Path

    @property
    def port(self) -> int:
        return self.process.port

    def connection(self, timeout: float = 5.0) -> http.client.HTTPConnection:
        return self.process.connection(timeout)

    def raw(self, data: bytes, timeout: float = 5.0) -> bytes:
        return self.process.raw(data, timeout)

    def websocket(self, path: str, **options: object) -> ClientConnection:
        """Open a WebSocket to ``path``; every wait is bounded."""
        return connect(f"ws://{HOST}:{self.port}{path}", open_timeout=5, close_timeout=2, **options)


def _start(kind: str, directory: Path, *options: str) -> Served:
    markers = directory / "markers"
    markers.mkdir()
    process = server_process(
        kind,
        APP,
        cwd=directory,
        env=server_env(TESTS, REALAPP_MARKERS=str(markers)),
        log_path=directory / "server.log",
        options=options,
    )
    process.start()
    return Served(kind, process, markers)


@pytest.fixture(scope="module", params=SERVERS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    served = _start(request.param, tmp_path_factory.mktemp(request.param))
    try:
        yield served
    finally:
        served.process.stop()


def fetch(server, method, path, body=None, headers=None):
    """Send one request on a new connection; return (response, body bytes)."""
    connection = server.connection()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def read_marker(path: Path, timeout: float = 10.0) -> str:
    """Wait (bounded) for a marker file the app writes; return its text."""
    assert poll_until(path.exists, timeout), f"{path.name} did not appear within {timeout} s"
    return path.read_text()


# -- plain requests -----------------------------------------------------------


def test_get_text(server):
    response, body = fetch(server, "GET", "/")
    assert response.status == 200
    if server.kind == "gunicorn":
        # Under ASGI the server picks the reason phrase (hypercorn sends none).
        assert response.reason == "OK"
    assert body == b"Hello from erlen"
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert response.getheader("Content-Length") == str(len(body))


def test_get_with_query(server):
    response, body = fetch(server, "GET", "/search?q=caf%C3%A9+au+lait&tag=a&tag=b%26c")
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(body) == {"q": "café au lait", "tags": ["a", "b&c"]}


def test_request_sees_the_real_connection(server):
    response, body = fetch(server, "GET", "/whoami?x=1")
    assert response.status == 200
    assert json.loads(body) == {
        "host": f"127.0.0.1:{server.port}",
        "url": f"http://127.0.0.1:{server.port}/whoami?x=1",
        "remote_addr": "127.0.0.1",
        "scheme": "http",
        "multithread": True if server.kind == "gunicorn" else None,
    }


def test_int_converter(server):
    response, body = fetch(server, "GET", "/api/items/21")
    assert response.status == 200
    assert json.loads(body) == {"id": 21, "double": 42}
    response, body = fetch(server, "GET", "/api/items/twenty-one")
    assert response.status == 404


def test_async_view(server):
    response, body = fetch(server, "GET", "/async?q=%E2%98%83")
    assert response.status == 200
    assert json.loads(body) == {"async": True, "path": "/async", "q": "☃"}


def test_post_urlencoded_form(server):
    body = urlencode([("name", "Ada Lovelace"), ("lang", "é"), ("lang", "x&y=z")])
    response, data = fetch(
        server,
        "POST",
        "/form",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 200
    assert json.loads(data) == {"name": ["Ada Lovelace"], "lang": ["é", "x&y=z"]}


def test_post_json(server):
    payload = {"numbers": [1, 2.5, None], "text": "snow ☃", "nested": {"ok": True}}
    response, data = fetch(
        server,
        "POST",
        "/json",
        body=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 200
    assert json.loads(data) == {"received": payload}


def test_post_invalid_json(server):
    response, data = fetch(
        server, "POST", "/json", body=b"{bad", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert b"Failed to decode JSON" in data


def test_post_multipart_with_a_file(server):
    boundary = uuid.uuid4().hex
    content = bytes(range(256)) * 1000  # every byte value, CR and LF included
    body = b"".join(
        [
            f"--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="title"\r\n\r\n',
            "Résumé".encode(),
            f"\r\n--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="document"; filename="data.bin"\r\n',
            b"Content-Type: application/octet-stream\r\n\r\n",
            content,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    response, data = fetch(
        server,
        "POST",
        "/upload",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status == 200, data
    assert json.loads(data) == {
        "filename": "data.bin",
        "content_type": "application/octet-stream",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "title": "Résumé",
    }


def test_chunked_upload(server):
    connection = server.connection()
    try:
        chunks = [b"0123456789", b"x" * 100_000, b"end"]
        connection.request(
            "POST",
            "/data",
            body=iter(chunks),
            headers={"Content-Type": "application/octet-stream"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read()) == {"size": 100_013, "start": "0123456789"}
    finally:
        connection.close()


def test_chunked_upload_over_the_limit(server):
    connection = server.connection()
    try:
        chunks = [b"x" * 65536] * 20  # 1.25 MiB, the app takes 1 MiB
        connection.request(
            "POST",
            "/data",
            body=iter(chunks),
            headers={"Content-Type": "application/octet-stream"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        assert response.status == 413
        assert b"MAX_CONTENT_LENGTH" in response.read()
    finally:
        connection.close()


def test_announced_body_over_the_limit_is_refused_before_it_is_sent(server):
    connection = server.connection()
    try:
        connection.putrequest("POST", "/data")
        connection.putheader("Content-Type", "application/octet-stream")
        connection.putheader("Content-Length", str(2 * 1024 * 1024))
        connection.endheaders()  # and never send the body
        response = connection.getresponse()
        assert response.status == 413
        assert b"MAX_CONTENT_LENGTH" in response.read()
    finally:
        connection.close()


# -- errors and redirects -----------------------------------------------------


def test_not_found(server):
    response, body = fetch(server, "GET", "/no/such/page")
    assert response.status == 404
    assert b"Not Found" in body
    assert b"Traceback" not in body


def test_method_not_allowed(server):
    response, body = fetch(server, "GET", "/only-post")
    assert response.status == 405
    assert response.getheader("Allow") == "OPTIONS, POST"
    response, body = fetch(server, "POST", "/only-post", body=b"")
    assert response.status == 200
    assert body == b"posted"


@pytest.mark.parametrize("path", ["/error", "/async-error"])
def test_server_error_page_shows_no_traceback(server, path):
    response, body = fetch(server, "GET", path)
    assert response.status == 500
    assert b"Internal Server Error" in body
    assert b"Traceback" not in body
    assert b"realapp secret" not in body
    # The server keeps serving.
    response, body = fetch(server, "GET", "/")
    assert body == b"Hello from erlen"


def test_slash_redirect(server):
    response, body = fetch(server, "GET", "/dir?x=1")
    assert response.status == 308
    assert response.getheader("Location") == "/dir/?x=1"
    response, body = fetch(server, "GET", "/dir/")
    assert response.status == 200
    assert body == b"the directory"


def test_slash_redirect_for_a_protocol_relative_path_stays_on_site(server):
    # "//evil.example" matches /<first>/<second>/ without its slash; a naive
    # redirect to "//evil.example/" would send the browser off-site.
    response = server.raw(
        b"GET //evil.example HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    assert head.startswith("HTTP/1.1 308 ")
    locations = [
        line.partition(":")[2].strip()
        for line in head.split("\r\n")[1:]
        if line.lower().startswith("location:")
    ]
    assert locations == ["/evil.example/"]


def test_non_utf8_path(server):
    # ASGI servers decode the path themselves (uvicorn into U+FFFD); the app
    # must look at raw_path to see that it was not UTF-8.
    response = server.raw(b"GET /%FF%FE HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    status_line, _, rest = response.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 400 ")
    assert b"UTF-8" in rest


def test_head(server):
    response, body = fetch(server, "HEAD", "/")
    assert response.status == 200
    assert body == b""
    assert response.getheader("Content-Length") == str(len(b"Hello from erlen"))
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"


def test_head_on_a_stream(server):
    response, body = fetch(server, "HEAD", "/stream")
    assert response.status == 200
    assert body == b""
    assert response.getheader("Content-Type") == "text/plain"


# -- cookies and the session --------------------------------------------------


def test_cookies_are_read_and_set(server):
    response, body = fetch(server, "GET", "/cookies", headers={"Cookie": "a=1; b=two words"})
    assert response.status == 200
    assert body == b"[('a', '1'), ('b', 'two words')]"
    cookie = SimpleCookie(response.getheader("Set-Cookie"))
    assert cookie["seen"].value == "yes"


def test_session_round_trip(server):
    response, body = fetch(server, "GET", "/session")
    assert json.loads(body) == {"value": None}
    response, body = fetch(
        server,
        "POST",
        "/session",
        body="value=Ada+%E2%98%83",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 200
    # Two Set-Cookie headers, each its own header line (never folded into one).
    set_cookies = response.msg.get_all("Set-Cookie")
    assert len(set_cookies) == 2, set_cookies
    session_line = next(line for line in set_cookies if line.startswith("session="))
    assert "HttpOnly" in session_line
    assert any(line.startswith("flavour=plain") for line in set_cookies)
    cookie = SimpleCookie(session_line)
    response, body = fetch(
        server, "GET", "/session", headers={"Cookie": f"session={cookie['session'].value}"}
    )
    assert json.loads(body) == {"value": "Ada ☃"}
    # A tampered cookie is an empty session, not an error.
    response, body = fetch(
        server, "GET", "/session", headers={"Cookie": f"session={cookie['session'].value}x"}
    )
    assert response.status == 200
    assert json.loads(body) == {"value": None}


# -- streamed responses -------------------------------------------------------

STREAMS = {"sync": ("/stream", "chunk"), "async": ("/async-stream", "async chunk")}


def _dechunk(body: bytes) -> list[bytes]:
    """Split a chunked body into its chunks (RFC 9112 section 7.1)."""
    chunks = []
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return chunks
        chunks.append(body[:size])
        assert body[size : size + 2] == b"\r\n"
        body = body[size + 2 :]


@pytest.mark.parametrize("kind", STREAMS)
def test_streaming_response_is_chunked(server, kind):
    path, prefix = STREAMS[kind]
    raw = server.raw(
        f"GET {path}?name=ada HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = head.decode("latin-1").lower()
    assert headers.startswith("http/1.1 200 ")
    assert "transfer-encoding: chunked" in headers
    assert "content-length" not in headers
    assert _dechunk(body) == [f"{prefix} {i} of ada\n".encode() for i in range(5)]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_stream_that_fails_midway_is_cut_and_the_server_goes_on(server, kind):
    # The client must not take the partial body for a whole one: the chunked
    # body never gets its last-chunk marker, and the connection is closed.
    logged_before = len(server.process.log())
    raw = server.raw(
        f"GET /broken-stream/{kind} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.decode("latin-1").lower().startswith("http/1.1 200 ")
    assert b"first\n" in body
    if server.kind == "granian-rsgi":
        # RSGI has no way to cut a body short: granian ends it cleanly
        # (docs/asgi.md, "RSGI"). Nothing after the error is sent.
        assert _dechunk(body) == [b"first\n"]
    else:
        assert not body.endswith(b"0\r\n\r\n"), body
    assert b"Traceback" not in body and b"the stream broke" not in body
    response, answer = fetch(server, "GET", "/")
    assert response.status == 200
    # Logged once, with its traceback and the request, by the app's logger;
    # the server does not log it a second time.
    assert poll_until(
        lambda: "RuntimeError: the stream broke" in server.process.log()[logged_before:]
    )
    fetch(server, "GET", "/")  # the server has finished with the broken request by now
    logged = server.process.log()[logged_before:]
    assert logged.count("RuntimeError: the stream broke") == 1, logged
    assert logged.count("Traceback") == 1, logged
    assert f"/broken-stream/{kind} [GET]" in logged


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_streaming_sends_each_chunk_as_it_is_produced(server, kind):
    # The stream sends its first chunk, then waits for /release: the test only
    # gets past the first readline if that chunk left before the stream ended.
    token = uuid.uuid4().hex
    path, first, second = {
        "sync": (f"/held-stream/{token}", b"first\n", b"second\n"),
        "async": (f"/async-held-stream/{token}", b"async first\n", b"async second\n"),
    }[kind]
    connection = server.connection(timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 200
        assert response.readline() == first  # arrives while the view still waits
        released, _ = fetch(server, "GET", f"/release/{token}")
        assert released.status == 200
        assert response.read() == second
    finally:
        connection.close()


@pytest.mark.parametrize("kind", ["sync", "async", "sse"])
def test_client_disconnect_closes_the_stream(server, kind):
    # The stream would run for 30 s; the client reads a little and hangs up.
    # The generator's finally must run soon after (erlen closes it when the
    # server reports the disconnect or a write fails).
    token = uuid.uuid4().hex
    with socket.create_connection((HOST, server.port), timeout=5) as sock:
        sock.sendall(f"GET /endless/{kind}/{token} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        received = b""
        while b"tick" not in received:
            chunk = sock.recv(4096)
            assert chunk, "the server closed the connection before streaming"
            received += chunk
        assert received.startswith(b"HTTP/1.1 200 ")
    assert read_marker(server.markers / f"closed-{token}") == "closed early"


# -- Server-Sent Events -------------------------------------------------------


def _read_events(response: http.client.HTTPResponse) -> tuple[list[dict[str, str]], int | None]:
    """Parse an event stream line by line (WHATWG HTML section 9.2.6).

    Return the dispatched events (``type``, ``data``, ``id``) and the last
    reconnection time.
    """
    events = []
    data: list[str] = []
    event_type = ""
    last_id = ""
    retry = None
    while True:
        raw = response.readline()
        if not raw:
            return events, retry
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if data:
                events.append(
                    {"type": event_type or "message", "data": "\n".join(data), "id": last_id}
                )
            data, event_type = [], ""
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event_type = value
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and value.isdigit():
            retry = int(value)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_server_sent_events(server, kind):
    connection = server.connection(timeout=5)
    try:
        connection.request("GET", f"/events/{kind}")
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
        assert response.getheader("Cache-Control") == "no-cache"
        events, retry = _read_events(response)
    finally:
        connection.close()
    assert retry == 1500
    assert [event["type"] for event in events] == ["greeting", "message", "json", "message"]
    assert [event["id"] for event in events] == ["1", "1", "three", "three"]
    assert events[0]["data"] == "hello"
    assert events[1]["data"] == "two\nlines"
    assert json.loads(events[2]["data"]) == {"n": 3, "text": "snow ☃"}
    assert events[3]["data"] == ""


# -- connections --------------------------------------------------------------


def test_keep_alive_reuses_one_connection(server):
    connection = server.connection()
    try:
        connection.connect()
        sock = connection.sock
        requests = [
            ("GET", "/", None, {}, b"Hello from erlen"),
            ("GET", "/search?q=1", None, {}, b'{"q":"1","tags":[]}\n'),
            (
                "POST",
                "/form",
                b"a=1",
                {"Content-Type": "application/x-www-form-urlencoded"},
                b'{"a":["1"]}\n',
            ),
            ("GET", "/missing", None, {}, None),
            (
                "GET",
                "/stream?name=k",
                None,
                {},
                b"".join(f"chunk {i} of k\n".encode() for i in range(5)),
            ),
            (
                "GET",
                "/async-stream?name=k",
                None,
                {},
                b"".join(f"async chunk {i} of k\n".encode() for i in range(5)),
            ),
            ("GET", "/async", None, {}, b'{"async":true,"path":"/async","q":null}\n'),
            ("HEAD", "/", None, {}, b""),
            ("GET", "/", None, {}, b"Hello from erlen"),
        ]
        for method, path, body, headers, expected in requests:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            if expected is not None:
                assert data == expected, (method, path)
            assert response.getheader("Connection", "").lower() != "close", (method, path)
            assert connection.sock is sock, f"{method} {path} closed the connection"
    finally:
        connection.close()


def test_concurrent_requests(server):
    results: list[bytes] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            _, body = fetch(server, "GET", f"/search?q={n}")
            results.append(body)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors
    assert sorted(json.loads(body)["q"] for body in results) == [str(n) for n in range(8)]


#: What each server says when its port is taken.
PORT_TAKEN_MESSAGES = {
    "gunicorn": "Connection in use",
    "uvicorn": "address already in use",
    "hypercorn": "Address already in use",
    "granian-rsgi": "Address already in use",
}


@pytest.mark.parametrize("kind", SERVERS)
def test_a_taken_port_is_retried_on_another(tmp_path, monkeypatch, kind):
    import servers

    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        ports = iter([taken.getsockname()[1]])
        real_free_port = servers.free_port
        monkeypatch.setattr(servers, "free_port", lambda: next(ports, None) or real_free_port())
        served = _start(kind, tmp_path)
        try:
            assert served.port != taken.getsockname()[1]
            response, body = fetch(served, "GET", "/")
            assert body == b"Hello from erlen"
        finally:
            served.process.stop()
    assert served.process.process is None
    log = (tmp_path / "server.log").read_text()
    assert log.count("--- attempt ") == 2, log
    assert PORT_TAKEN_MESSAGES[kind] in log


# -- WebSockets -----------------------------------------------------------------


def close_code(server: Served, code: int) -> int:
    """The close code the client gets when the app closes with ``code``.

    RSGI cannot send one: granian closes with an empty close frame, which
    the client reads as 1005, "no status received" (docs/asgi.md, "RSGI").
    """
    return 1005 if server.kind == "granian-rsgi" else code


def closed_with(ws: ClientConnection) -> int:
    """Wait (bounded) for the server to close ``ws``; return its close code."""
    with pytest.raises(ConnectionClosed) as info:
        ws.recv(timeout=5)
    assert info.value.rcvd is not None, "the server closed without a close frame"
    return info.value.rcvd.code


@ASGI_ONLY
def test_websocket_echo_text_and_bytes(server):
    with server.websocket("/ws/echo") as ws:
        ws.send("hello ☃")
        assert ws.recv(timeout=5) == "hello ☃"
        ws.send(b"\x00\xffbinary")
        assert ws.recv(timeout=5) == b"\x00\xffbinary"
        ws.send("")
        assert ws.recv(timeout=5) == ""


@ASGI_ONLY
def test_websocket_json(server):
    with server.websocket("/ws/json") as ws:
        ws.send(json.dumps({"a": [1, 2], "b": "☃"}))
        assert json.loads(ws.recv(timeout=5)) == {"echo": {"a": [1, 2], "b": "☃"}}
        ws.send("null")
        assert json.loads(ws.recv(timeout=5)) == {"echo": None}


@ASGI_ONLY
def test_websocket_invalid_json_closes_1007(server):
    with server.websocket("/ws/json") as ws:
        ws.send("{not json")
        assert closed_with(ws) == close_code(server, 1007)


@ASGI_ONLY
def test_websocket_bytes_where_text_is_expected_closes_1003(server):
    with server.websocket("/ws/text") as ws:
        ws.send("quiet")
        assert ws.recv(timeout=5) == "QUIET"
        ws.send(b"loud")
        assert closed_with(ws) == close_code(server, 1003)


@ASGI_ONLY
def test_websocket_oversized_message_closes_1009(server):
    # The app sets MAX_WEBSOCKET_MESSAGE_SIZE to 4096 bytes.
    with server.websocket("/ws/echo") as ws:
        ws.send("x" * 4096)
        assert ws.recv(timeout=5) == "x" * 4096
        ws.send("x" * 4097)
        assert closed_with(ws) == close_code(server, 1009)
    with server.websocket("/ws/echo") as ws:  # the server is fine
        ws.send("still here")
        assert ws.recv(timeout=5) == "still here"


@ASGI_ONLY
def test_websocket_route_with_a_converter(server):
    with server.websocket("/ws/42?name=lobby") as ws:
        assert json.loads(ws.recv(timeout=5)) == {"room": 42, "type": "int", "name": "lobby"}
        assert closed_with(ws) == close_code(server, 1000)


@ASGI_ONLY
def test_websocket_refused_by_before_websocket(server):
    with pytest.raises(InvalidStatus) as info:
        server.websocket("/ws/guarded")
    assert info.value.response.status_code == 403
    with server.websocket("/ws/guarded?token=t0k") as ws:
        assert ws.recv(timeout=5) == "welcome t0k"


@WSGI_ONLY
def test_websocket_handshake_under_wsgi_is_501(server):
    # gunicorn hands the handshake to the app as a plain request; erlen must
    # answer it rather than let it reach another route.
    with pytest.raises(InvalidStatus) as info:
        server.websocket("/ws/echo")
    assert info.value.response.status_code == 501
    assert b"uvicorn" in info.value.response.body


def test_websocket_route_by_plain_http_is_426(server):
    # The app's "/<first>/<second>/" route matches "/ws/echo/": the WebSocket
    # route at the exact path must win over a slash redirect to that route.
    response, body = fetch(server, "GET", "/ws/echo")
    assert response.status == 426
    assert b"WebSocket endpoint" in body
    if server.kind != "gunicorn":  # PEP 3333 forbids hop-by-hop headers such as Upgrade
        assert response.getheader("Upgrade", "").lower() == "websocket"


# -- lifespan and deployment ----------------------------------------------------


@ASGI_ONLY
def test_before_serving_ran_before_the_first_request(server):
    # Written by the before_serving hook, in the app context.
    assert (server.markers / "started").read_text() == "realapp.app"
    assert not (server.markers / "stopped").exists()


@pytest.mark.parametrize("kind", ["uvicorn", "hypercorn", "granian-rsgi"])
def test_sigterm_runs_after_serving(tmp_path, kind):
    served = _start(kind, tmp_path)
    process = served.process.process
    try:
        assert (served.markers / "started").read_text() == "realapp.app"
        response, body = fetch(served, "GET", "/")
        assert body == b"Hello from erlen"
    finally:
        served.process.stop()
    # uvicorn ends a clean shutdown by re-raising the signal: -SIGTERM, not 0.
    assert process is not None, "the server was never started"
    assert process.returncode in (0, -signal.SIGTERM), served.process.log()
    assert (served.markers / "stopped").read_text() == "realapp.app"


@pytest.mark.parametrize("kind", ["uvicorn", "hypercorn", "granian-rsgi"])
def test_failing_startup_stops_the_server(tmp_path, kind):
    from realapp.failing import MESSAGE

    result = subprocess.run(
        server_argv(kind, "realapp.failing:app", free_port()),
        cwd=tmp_path,
        env=server_env(TESTS),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
    )
    stderr = result.stderr.decode(errors="replace")
    assert MESSAGE in stderr
    assert "Running on" not in stderr
    if kind == "uvicorn":
        # hypercorn's supervisor exits 0 whatever its worker did (hypercorn 0.18).
        assert result.returncode != 0, stderr


ROOT_PATH_SERVERS = {
    # kind: (server options, environment, what a proxy that mounted the app at /prefix sends)
    "uvicorn": (["--root-path=/prefix"], {}, "/links"),  # uvicorn adds the prefix itself
    "hypercorn": (["--root-path=/prefix"], {}, "/prefix/links"),
    "gunicorn": ([], {"SCRIPT_NAME": "/prefix"}, "/prefix/links"),
}


@pytest.mark.parametrize("kind", ROOT_PATH_SERVERS)
def test_app_mounted_under_a_root_path(tmp_path, kind, monkeypatch):
    options, environment, path = ROOT_PATH_SERVERS[kind]
    for name, value in environment.items():
        monkeypatch.setenv(name, value)  # read by server_env()
    served = _start(kind, tmp_path, *options)
    try:
        response, body = fetch(served, "GET", path)
    finally:
        served.process.stop()
    assert response.status == 200, body
    assert json.loads(body) == {
        "index": "/prefix/",
        "item": "/prefix/api/items/3",
        "external": f"http://127.0.0.1:{served.port}/prefix/",
        "path": "/links",
        "root_path": "/prefix",
    }
