"""The development server: a real server on a loopback port, driven with
``http.client`` and raw sockets. Its HTTP/1.1 parser and response framing,
bytes in and values out, are tested in ``test_http11.py``.

Each server runs in a daemon thread of the test process and is shut down by
the ``serve`` fixture. Every wait is bounded: sockets time out after
``TIMEOUT`` seconds and apps wait on events with the same bound.
"""

from __future__ import annotations

import errno
import http.client
import io
import json
import os
import re
import signal
import socket
import threading
import warnings
from dataclasses import dataclass
from types import SimpleNamespace
from wsgiref.validate import validator

import pytest

from erlen import Erlen, Response, request
from erlen.dev import server as devserver
from erlen.dev import startup
from erlen.dev.server import DevServer, free_port, make_server, run_simple

TIMEOUT = 5.0
HOST = "127.0.0.1"


# -- helpers ---------------------------------------------------------------------


@pytest.fixture
def serve():
    """Start ``make_server(HOST, 0, app)`` in a thread; stop it after the test."""
    running: list[tuple[DevServer, threading.Thread]] = []

    def start(app, **options) -> DevServer:
        quiet = options.pop("quiet", True)  # tests that check the log pass quiet=False
        server = make_server(HOST, 0, app, **options)
        server.quiet = quiet
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((server, thread))
        return server

    yield start
    for server, thread in running:
        stop(server)
        thread.join(TIMEOUT)
        assert not thread.is_alive()


def stop(server: DevServer) -> None:
    """Shut the server down; its connection threads end (so their logs are written)."""
    server.shutdown()
    server.server_close()


def connect(server: DevServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(HOST, server.server_port, timeout=TIMEOUT)


def raw_socket(server: DevServer) -> socket.socket:
    return socket.create_connection((HOST, server.server_port), timeout=TIMEOUT)


def read_until_close(sock: socket.socket) -> bytes:
    chunks = []
    while data := sock.recv(65536):
        chunks.append(data)
    return b"".join(chunks)


def exchange(server: DevServer, data: bytes) -> bytes:
    """Send raw bytes on a new connection; return all the server sent until it closed."""
    with raw_socket(server) as sock:
        sock.sendall(data)
        return read_until_close(sock)


def read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        more = sock.recv(65536)
        assert more, f"connection closed before {marker!r}; got {data!r}"
        data += more
    return data


class _Replay(io.BytesIO):
    def close(self) -> None:  # several responses share one stream
        pass


@dataclass
class Reply:
    """A response parsed from raw bytes."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def getheader(self, name: str) -> str | None:
        return self.headers.get(name)


def parse_responses(data: bytes, method: str = "GET") -> list[Reply]:
    """Parse raw bytes holding one or more responses, bodies included."""
    stream = _Replay(data)
    fake = SimpleNamespace(makefile=lambda mode: stream)
    replies = []
    while stream.tell() < len(data):
        response = http.client.HTTPResponse(fake, method=method)
        response.begin()
        replies.append(Reply(response.status, response.headers, response.read()))
    return replies


def echo_app(environ, start_response):
    """A raw WSGI app: answer with the body it read and some of the environ."""
    body = environ["wsgi.input"].read()
    keys = ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "CONTENT_LENGTH", "REMOTE_PORT")
    info = {key: environ.get(key) for key in keys}
    info["body"] = body.decode("latin-1")
    payload = json.dumps(info).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]


def hello_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def make_erlen_app() -> Erlen:
    app = Erlen("devserver_test")

    @app.route("/")
    def index():
        return "Hello from erlen"

    @app.post("/form")
    def form():
        return f"name={request.form['name']}"

    @app.post("/json")
    def json_view():
        return {"got": request.get_json(), "method": request.method}

    @app.post("/raw")
    def raw_view():
        return request.get_data()

    return app


# -- requests and responses ----------------------------------------------------


def test_get_post_and_json_with_an_erlen_app(serve):
    server = serve(make_erlen_app())
    connection = connect(server)
    connection.request("GET", "/")
    response = connection.getresponse()
    assert response.status == 200
    assert response.read() == b"Hello from erlen"
    assert response.getheader("Server") == "erlen-dev"
    assert response.getheader("Date", "").endswith(" GMT")

    connection.request(
        "POST", "/form", "name=Ada", {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert connection.getresponse().read() == b"name=Ada"

    connection.request("POST", "/json", json.dumps([1, 2]), {"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(response.read()) == {"got": [1, 2], "method": "POST"}
    connection.close()


def test_environ_follows_pep_3333(serve):
    seen: dict[str, object] = {}

    def app(environ, start_response):
        seen.update(environ)
        seen["body"] = environ["wsgi.input"].read(100)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    def checked(environ, start_response):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # any PEP 3333 violation fails the request
            return validator(app)(environ, start_response)

    server = serve(checked)
    with raw_socket(server) as sock:
        sock.sendall(
            b"POST /caf%C3%A9/a%2Fb?x=1&y=%20 HTTP/1.1\r\nHost: example.org\r\n"
            b"X-Many: 1\r\nX-Many: 2\r\nCookie: a=1\r\nCookie: b=2\r\nX_Sneaky: 1\r\n"
            b"Content-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody"
        )
        (response,) = parse_responses(read_until_close(sock))
    assert response.status == 200 and response.body == b"ok"
    assert seen["PATH_INFO"] == "/caf\xc3\xa9/a/b"  # latin-1 str of the raw bytes
    assert seen["QUERY_STRING"] == "x=1&y=%20"
    assert seen["RAW_URI"] == seen["REQUEST_URI"] == "/caf%C3%A9/a%2Fb?x=1&y=%20"
    assert seen["SCRIPT_NAME"] == "" and seen["REQUEST_METHOD"] == "POST"
    assert seen["SERVER_NAME"] == HOST and seen["SERVER_PORT"] == str(server.server_port)
    assert seen["SERVER_PROTOCOL"] == "HTTP/1.1" and seen["REMOTE_ADDR"] == HOST
    assert seen["REMOTE_PORT"] and seen["HTTP_HOST"] == "example.org"
    assert seen["HTTP_X_MANY"] == "1, 2" and seen["HTTP_COOKIE"] == "a=1; b=2"
    assert "HTTP_X_SNEAKY" not in seen  # underscores would pose as dashes
    assert seen["CONTENT_TYPE"] == "text/plain" and seen["CONTENT_LENGTH"] == "4"
    assert "HTTP_CONTENT_LENGTH" not in seen and "HTTP_CONTENT_TYPE" not in seen
    assert seen["body"] == b"body"
    assert seen["wsgi.url_scheme"] == "http" and seen["wsgi.multithread"] is True
    assert seen["wsgi.input_terminated"] is True


def test_input_never_reads_past_the_body(serve):
    lines: list[list[bytes]] = []

    def app(environ, start_response):
        stream = environ["wsgi.input"]
        lines.append([stream.readline(), stream.readline(2), *stream, stream.read()])
        start_response("200 OK", [("Content-Length", "0")])
        return []

    server = serve(app)
    body = b"one\ntwo\nthree"
    data = exchange(
        server,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert [r.status for r in parse_responses(data)] == [200, 200]
    assert lines[0] == [b"one\n", b"tw", b"o\n", b"three", b""]
    assert lines[1] == [b"", b"", b""]


def test_keep_alive_serves_several_requests_on_one_connection(serve):
    server = serve(echo_app)
    connection = connect(server)
    ports = set()
    for number in range(3):
        connection.request("POST", f"/{number}", body=b"x" * number)
        response = connection.getresponse()
        info = json.loads(response.read())
        assert info["PATH_INFO"] == f"/{number}" and info["body"] == "x" * number
        assert response.getheader("Connection") is None
        ports.add(info["REMOTE_PORT"])
    assert len(ports) == 1  # one TCP connection
    connection.close()


def test_pipelined_requests_are_answered_in_order(serve):
    server = serve(echo_app)
    data = exchange(
        server,
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        b"GET /c?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    responses = parse_responses(data)
    infos = [json.loads(r.body) for r in responses]
    assert [i["PATH_INFO"] for i in infos] == ["/a", "/b", "/c"]
    assert infos[1]["body"] == "hello" and infos[2]["QUERY_STRING"] == "q=1"
    assert responses[2].getheader("Connection") == "close"


def test_connection_close_is_honoured(serve):
    server = serve(hello_app)
    with raw_socket(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_until_close(sock)  # returns: the server closed
    (response,) = parse_responses(data)
    assert response.getheader("Connection") == "close"
    assert response.body == b"hello"


def test_unread_body_is_drained_and_the_connection_kept(serve):
    def ignores_body(environ, start_response):
        start_response("200 OK", [("Content-Length", "2")])
        return [environ["REMOTE_PORT"] and b"ok"]

    server = serve(ignores_body)
    data = exchange(
        server,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert [r.body for r in parse_responses(data)] == [b"ok"] * 3


def test_a_large_unread_body_closes_the_connection(serve):
    def ignores_body(environ, start_response):
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    server = serve(ignores_body)
    size = devserver.DRAIN_LIMIT + 65536
    data = exchange(
        server,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size
        + b"x" * size
        + b"GET /never HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    (response,) = parse_responses(data)
    assert response.status == 200 and response.body == b"ok"


def test_http_1_0(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        if environ["PATH_INFO"] == "/stream":
            return (part for part in [b"a", b"b"])
        return [b"known"]

    server = serve(app)
    data = exchange(server, b"GET /stream HTTP/1.0\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and body == b"ab"  # ends at the close
    assert b"Transfer-Encoding" not in head and b"Content-Length" not in head
    assert b"Connection: close" in head

    # With keep-alive and a known length, the connection persists.
    data = exchange(
        server,
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    )
    first, second = parse_responses(data)
    assert first.getheader("Connection") == "keep-alive" and first.body == b"known"
    assert second.getheader("Connection") == "close" and second.body == b"known"


def test_chunked_request_body_reaches_the_app_whole(serve):
    seen: dict[str, object] = {}

    def app(environ, start_response):
        seen["terminated"] = environ["wsgi.input_terminated"]
        seen["length"] = environ.get("CONTENT_LENGTH")
        return echo_app(environ, start_response)

    server = serve(app)
    data = exchange(
        server,
        b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n",
    )
    (response,) = parse_responses(data)
    assert json.loads(response.body)["body"] == "Wikipedia in \r\n\r\nchunks."
    assert seen == {"terminated": True, "length": None}


def test_chunked_request_body_with_an_erlen_app(serve):
    server = serve(make_erlen_app())
    data = exchange(
        server,
        b"POST /raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n",
    )
    (response,) = parse_responses(data)
    assert response.status == 200 and response.body == b"abcdef"


def test_a_broken_chunked_body_is_a_400_not_a_traceback(serve, capsys):
    server = serve(echo_app)
    data = exchange(
        server,
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n",
    )
    (response,) = parse_responses(data)
    assert response.status == 400 and b"chunk size" in response.body
    stop(server)
    assert "Traceback" not in capsys.readouterr().err


def test_streamed_response_is_sent_chunk_by_chunk(serve):
    go_on = threading.Event()
    waited: list[bool] = []

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"first"
        waited.append(go_on.wait(TIMEOUT))  # False if the client never got "first"
        yield b"second"

    server = serve(app)
    connection = connect(server)
    connection.request("GET", "/")
    response = connection.getresponse()
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.getheader("Content-Length") is None
    assert response.read(5) == b"first"  # arrives while the app still waits
    go_on.set()
    assert response.read() == b"second"
    assert waited == [True]
    connection.close()


def test_streamed_erlen_response_is_chunked_on_the_wire(serve):
    go_on = threading.Event()
    app = Erlen("stream_test")

    @app.route("/")
    def index():
        def generate():
            yield "one "
            go_on.wait(TIMEOUT)
            yield "two"

        return Response(generate(), mimetype="text/plain")

    server = serve(app)
    with raw_socket(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        first = read_until(sock, b"4\r\none \r\n")
        assert b"Transfer-Encoding: chunked\r\n" in first
        go_on.set()
        rest = read_until_close(sock)
    assert (first + rest).endswith(b"4\r\none \r\n3\r\ntwo\r\n0\r\n\r\n")


def test_app_content_length_is_respected(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "6")])
        yield b"abc"
        if environ["PATH_INFO"] != "/short":
            yield b"def"

    server = serve(app)
    connection = connect(server)
    connection.request("GET", "/")
    response = connection.getresponse()
    assert response.getheader("Transfer-Encoding") is None and response.read() == b"abcdef"
    connection.request("GET", "/short")
    response = connection.getresponse()
    with pytest.raises(http.client.IncompleteRead):  # the server closed: no hang
        response.read()
    connection.close()


def test_head_has_no_body(serve):
    server = serve(make_erlen_app())
    data = exchange(server, b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and body == b""
    assert b"Content-Length: 16\r\n" in head  # the GET's length

    def stream(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"never sent"

    server = serve(stream)
    data = exchange(
        server,
        b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    first, _, rest = data.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding" not in first and b"Content-Length" not in first
    assert rest.startswith(b"HTTP/1.1 200 OK")  # the next response follows at once
    (second,) = parse_responses(rest)
    assert second.body == b"never sent"


@pytest.mark.parametrize("status", ["204 No Content", "304 Not Modified"])
def test_204_and_304_have_no_body(serve, status):
    def app(environ, start_response):
        headers = [("Content-Length", "7")] if status.startswith("304") else []
        start_response(status, headers)
        return (part for part in [b"ignored"])

    server = serve(app)
    data = exchange(
        server,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    first, _, rest = data.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 " + status.encode())
    assert b"Transfer-Encoding" not in first
    assert (b"Content-Length" in first) == status.startswith("304")
    assert rest.startswith(b"HTTP/1.1 " + status.encode())  # no body bytes in between
    assert rest.endswith(b"\r\n\r\n")


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"NOT HTTP AT ALL\r\n\r\n", 400),
        (b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
        ),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Many: 1\r\n" * 101 + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Folded: 1\r\n  2\r\n\r\n", 400),
        (b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505),
    ],
)
def test_bad_requests_get_4xx_and_the_server_goes_on(serve, capsys, data, status):
    server = serve(hello_app, quiet=False)
    response = exchange(server, data)
    assert response.startswith(b"HTTP/1.1 %d " % status)
    (parsed,) = parse_responses(response)
    assert parsed.getheader("Connection") == "close"
    connection = connect(server)
    connection.request("GET", "/")
    assert connection.getresponse().read() == b"hello"  # the next client is served
    connection.close()
    stop(server)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(re.findall(rf'^127\.0\.0\.1 - ".*" {status} ', err, re.M)) == 1


def test_tls_to_the_http_port_gets_a_hint(serve, capsys):
    server = serve(hello_app, quiet=False)
    exchange(server, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + b"\n")
    stop(server)
    assert "https:// request reached this http:// server" in capsys.readouterr().err


def test_expect_100_continue(serve):
    server = serve(echo_app)
    with raw_socket(server) as sock:
        sock.sendall(
            b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
            b"Connection: close\r\n\r\n"
        )
        interim = read_until(sock, b"\r\n\r\n")
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"  # sent when the app reads
        sock.sendall(b"hello")
        data = read_until_close(sock)
    (response,) = parse_responses(data)
    assert json.loads(response.body)["body"] == "hello"


def test_expect_100_continue_not_sent_when_the_body_is_not_read(serve):
    server = serve(hello_app)
    with raw_socket(server) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        data = read_until_close(sock)  # the server closes: the body never came
    (response,) = parse_responses(data)
    assert response.status == 200 and response.getheader("Connection") == "close"


def test_an_app_error_is_a_500_logged_once(serve, capsys):
    def app(environ, start_response):
        raise ZeroDivisionError("boom")

    server = serve(app, quiet=False)
    connection = connect(server)
    connection.request("GET", "/broken")
    response = connection.getresponse()
    assert response.status == 500
    assert response.getheader("Content-Type") == "text/plain; charset=utf-8"
    assert response.read() == b"Internal Server Error\n"
    connection.close()
    stop(server)
    err = capsys.readouterr().err
    assert err.count("Traceback") == 1 and "ZeroDivisionError: boom" in err
    assert '"GET /broken HTTP/1.1" 500 22 ' in err


def test_an_error_after_the_headers_cuts_the_stream(serve, capsys):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"partial"
        raise ValueError("mid-stream")

    server = serve(app)
    connection = connect(server)
    connection.request("GET", "/")
    response = connection.getresponse()
    with pytest.raises(http.client.IncompleteRead):  # no 0-length chunk: not complete
        response.read()
    connection.close()
    stop(server)
    assert capsys.readouterr().err.count("ValueError: mid-stream") == 1


def test_an_erlen_stream_failing_midway_is_logged_once(serve, capsys, caplog):
    app = Erlen(__name__)  # not in testing mode: the error is answered, not raised

    @app.route("/")
    def index():
        def generate():
            yield "partial"
            raise ValueError("mid-stream")

        return generate()

    server = serve(app, quiet=False)
    connection = connect(server)
    connection.request("GET", "/")
    response = connection.getresponse()
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    connection.close()
    stop(server)
    err = capsys.readouterr().err
    # The app's logger has it with the request; the server adds only its access line.
    logged = caplog.text + err
    assert logged.count("ValueError: mid-stream") == 1 and logged.count("Traceback") == 1
    assert "streaming the response to / [GET]" in caplog.text
    assert "(the response was cut: the app's stream failed)" in err


def test_hop_by_hop_headers_from_the_app_are_refused(serve, capsys):
    def app(environ, start_response):
        start_response("200 OK", [("Connection", "keep-alive")])
        return [b"no"]

    server = serve(app)
    connection = connect(server)
    connection.request("GET", "/")
    assert connection.getresponse().status == 500
    connection.close()
    stop(server)
    assert "hop-by-hop header 'Connection'" in capsys.readouterr().err


def test_client_disconnect_mid_stream_closes_the_app_iterable(serve, capsys):
    finished = threading.Event()
    started = threading.Event()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            started.set()
            while True:
                yield b"x" * 4096
        finally:
            finished.set()

    server = serve(app, quiet=False)
    with raw_socket(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        read_until(sock, b"x")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    assert started.is_set()
    assert finished.wait(TIMEOUT)
    stop(server)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "(the client disconnected)" in err


def test_request_log_line(serve, capsys):
    server = serve(echo_app, quiet=False)
    connection = connect(server)
    connection.request("POST", "/path?x=1", body=b"abc")
    size = len(connection.getresponse().read())
    connection.close()
    stop(server)
    err = capsys.readouterr().err
    assert re.fullmatch(
        rf'127\.0\.0\.1 - "POST /path\?x=1 HTTP/1\.1" 200 {size} \d+\.\dms\n', err
    ), err


def test_quiet_silences_request_lines(serve, capsys):
    server = serve(hello_app)  # the fixture's default
    connection = connect(server)
    connection.request("GET", "/")
    connection.getresponse().read()
    connection.close()
    stop(server)
    assert capsys.readouterr().err == ""


# -- connections, shutdown, sockets --------------------------------------------


def test_idle_connections_time_out(serve, monkeypatch):
    monkeypatch.setattr(devserver, "KEEP_ALIVE_TIMEOUT", 0.1)
    server = serve(hello_app)
    with raw_socket(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = read_until_close(sock)  # ends once the idle timeout closes it
    assert parse_responses(data)[0].body == b"hello"


def test_server_close_ends_idle_keep_alive_connections(serve):
    server = serve(hello_app)
    with raw_socket(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        read_until(sock, b"hello")
        stop(server)
        assert sock.recv(100) == b""  # closed by the server, not by the idle timeout


def test_fd_takes_over_a_bound_socket(serve):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    port = sock.getsockname()[1]
    server = serve(hello_app, fd=sock.fileno())
    sock.detach()  # the server owns the descriptor now
    assert server.server_port == port
    connection = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    connection.request("GET", "/")
    assert connection.getresponse().read() == b"hello"
    connection.close()


def test_port_in_use_exits_with_a_free_port_to_try(capsys):
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as caught:
            run_simple(HOST, port, hello_app)
    assert caught.value.code == 1
    err = capsys.readouterr().err
    match = re.search(
        rf"Port {port} on {HOST} is in use by another program\..* try --port (\d+)\.", err
    )
    assert match and int(match.group(1)) != port
    assert "Traceback" not in err


def test_make_server_raises_on_a_port_in_use():
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        with pytest.raises(OSError) as caught:
            make_server(HOST, taken.getsockname()[1], hello_app)
    assert caught.value.errno == errno.EADDRINUSE


def test_free_port():
    port = free_port(HOST)
    assert port and 0 < port < 65536
    assert free_port("203.0.113.7") is None  # not an address of this machine


def test_run_simple_serves_until_sigterm(capsys):
    sock = socket.socket()
    sock.bind((HOST, 0))
    sock.listen()
    port = sock.getsockname()[1]
    answers: list[bytes] = []

    def client() -> None:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
            connection.request("GET", "/")
            answers.append(connection.getresponse().read())
            connection.close()
        finally:
            signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    # A bound: if the server is still serving long after the signal, say so
    # and signal again, rather than hang the suite.
    served = threading.Event()
    late: list[bool] = []

    def watchdog() -> None:
        if not served.wait(4 * TIMEOUT):
            late.append(True)
            signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)

    threading.Thread(target=watchdog, daemon=True).start()
    run_simple(HOST, port, hello_app, fd=sock.detach())  # returns: no traceback, no exit
    served.set()
    thread.join(TIMEOUT)
    assert not late, "the server went on serving after SIGTERM until the test's bound"
    assert answers == [b"hello"]
    err = capsys.readouterr().err
    assert f" * Serving hello_app on http://127.0.0.1:{port}/ (CTRL+C to quit)" in err
    assert "Do not use it in production" in err
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL or os.name == "nt"


def test_banner():
    local = startup._banner("tutorial", "127.0.0.1", 5000, debug=True)
    assert local.splitlines() == [
        " * Serving tutorial on http://127.0.0.1:5000/ (CTRL+C to quit)",
        " * This is a development server. Do not use it in production: "
        "use gunicorn, uWSGI or waitress.",
        " * Debug mode: on",
    ]
    public = startup._banner("tutorial", "0.0.0.0", 5000, debug=True)
    assert "http://0.0.0.0:5000/" in public and "open http://127.0.0.1:5000/" in public
    assert "WARNING" in public and "debug page" in public and "local variables" in public
    assert "WARNING" not in startup._banner("tutorial", "0.0.0.0", 5000)
    assert "http://[::1]:8000/" in startup._banner("x", "::1", 8000, debug=True)
    assert "WARNING" not in startup._banner("x", "::1", 8000, debug=True)
