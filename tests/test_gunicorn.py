"""A real WSGI server: gunicorn serves an erlen app, spoken to over real HTTP."""

from __future__ import annotations

import hashlib
import json
import sys
import textwrap
import threading
import uuid
from urllib.parse import urlencode

import pytest

from servers import ServerProcess, server_env

pytestmark = pytest.mark.server

APP_SOURCE = textwrap.dedent(
    """
    import threading

    from erlen import Erlen, request

    app = Erlen(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    released = threading.Event()


    @app.route("/")
    def index():
        return "Hello from gunicorn"


    @app.route("/search")
    def search():
        return {"q": request.args.get("q"), "tags": request.args.getlist("tag")}


    @app.route("/whoami")
    def whoami():
        return {
            "host": request.host,
            "url": request.url,
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
            "multithread": request.environ["wsgi.multithread"],
        }


    @app.post("/form")
    def form():
        return {key: values for key, values in request.form.lists()}


    @app.post("/json")
    def json_view():
        return {"received": request.json}


    @app.post("/upload")
    def upload():
        import hashlib

        storage = request.files["document"]
        content = storage.read()
        return {
            "filename": storage.filename,
            "content_type": storage.content_type,
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "title": request.form["title"],
        }


    @app.post("/data")
    def data():
        body = request.get_data()
        return {"size": len(body), "start": body[:10].decode("latin-1")}


    @app.route("/only-post", methods=["POST"])
    def only_post():
        return "posted"


    @app.route("/dir/")
    def directory():
        return "the directory"


    @app.route("/<string(minlength=0):first>/<second>/")
    def two_levels(first, second):
        return f"{first}|{second}"


    @app.route("/stream")
    def stream():
        def generate():
            for i in range(5):
                yield f"chunk {i} of {request.args.get('name', '?')}\\n"

        return generate(), {"Content-Type": "text/plain"}


    @app.route("/held-stream")
    def held_stream():
        # The first chunk goes out, then the stream waits for /release: this
        # only completes if each chunk really is sent as it is produced.
        released.clear()

        def generate():
            yield "first\\n"
            if not released.wait(10):
                yield "timed out\\n"
                return
            yield "second\\n"

        return generate()


    @app.route("/release")
    def release():
        released.set()
        return "released"
    """
)


def _gunicorn_argv(port: int) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers=1",
        # The gthread worker keeps connections alive (the sync worker closes each).
        "--worker-class=gthread",
        "--threads=4",
        f"--bind=127.0.0.1:{port}",
        "--graceful-timeout=3",
        "--timeout=30",
        "--log-level=info",  # prints "Listening at", which start() waits for
    ]
    import gunicorn.config

    if hasattr(gunicorn.config, "ControlSocketDisable"):
        argv.append("--no-control-socket")  # else one shared socket in $HOME
    return [*argv, "erlen_gunicorn_app:app"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app_dir = tmp_path_factory.mktemp("gunicorn_app")
    (app_dir / "erlen_gunicorn_app.py").write_text(APP_SOURCE)
    process = ServerProcess(
        _gunicorn_argv,
        cwd=app_dir,
        env=server_env(app_dir, XDG_RUNTIME_DIR=str(app_dir)),
        log_path=app_dir / "gunicorn.log",
        ready_marker="Listening at",
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


def fetch(server, method, path, body=None, headers=None):
    """Send one request on a new connection; return (response, body bytes)."""
    connection = server.connection()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def test_get_text(server):
    response, body = fetch(server, "GET", "/")
    assert response.status == 200
    assert response.reason == "OK"
    assert body == b"Hello from gunicorn"
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
        "multithread": True,
    }


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
    response = server.raw(b"GET /%FF%FE HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    status_line, _, rest = response.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 400 ")
    assert b"UTF-8" in rest


def test_head(server):
    response, body = fetch(server, "HEAD", "/")
    assert response.status == 200
    assert body == b""
    assert response.getheader("Content-Length") == str(len(b"Hello from gunicorn"))
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"


def test_head_on_a_stream(server):
    response, body = fetch(server, "HEAD", "/stream")
    assert response.status == 200
    assert body == b""
    assert response.getheader("Content-Type") == "text/plain"


def test_streaming_response_is_chunked(server):
    raw = server.raw(
        b"GET /stream?name=ada HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = head.decode("latin-1").lower()
    assert headers.startswith("http/1.1 200 ")
    assert "transfer-encoding: chunked" in headers
    assert "content-length" not in headers
    chunks = []
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        chunks.append(body[:size])
        assert body[size : size + 2] == b"\r\n"
        body = body[size + 2 :]
    assert chunks == [f"chunk {i} of ada\n".encode() for i in range(5)]


def test_streaming_sends_each_chunk_as_it_is_produced(server):
    connection = server.connection(timeout=5)
    try:
        connection.request("GET", "/held-stream")
        response = connection.getresponse()
        assert response.status == 200
        assert response.readline() == b"first\n"  # arrives while the view still waits
        released, _ = fetch(server, "GET", "/release")
        assert released.status == 200
        assert response.read() == b"second\n"
    finally:
        connection.close()


def test_keep_alive_reuses_one_connection(server):
    connection = server.connection()
    try:
        connection.connect()
        sock = connection.sock
        requests = [
            ("GET", "/", None, {}, b"Hello from gunicorn"),
            ("GET", "/search?q=1", None, {}, b'{"q":"1","tags":[]}'),
            (
                "POST",
                "/form",
                b"a=1",
                {"Content-Type": "application/x-www-form-urlencoded"},
                b'{"a":["1"]}',
            ),
            ("GET", "/missing", None, {}, None),
            (
                "GET",
                "/stream?name=k",
                None,
                {},
                b"".join(f"chunk {i} of k\n".encode() for i in range(5)),
            ),
            ("HEAD", "/", None, {}, b""),
            ("GET", "/", None, {}, b"Hello from gunicorn"),
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


def test_a_taken_port_is_retried_on_another(tmp_path, monkeypatch):
    import socket

    import servers

    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "erlen_gunicorn_app.py").write_text(APP_SOURCE)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = iter([taken.getsockname()[1]])
        real_free_port = servers.free_port
        monkeypatch.setattr(servers, "free_port", lambda: next(ports, None) or real_free_port())
        process = ServerProcess(
            _gunicorn_argv,
            cwd=app_dir,
            env=server_env(app_dir, XDG_RUNTIME_DIR=str(app_dir)),
            log_path=tmp_path / "gunicorn.log",
            ready_marker="Listening at",
        )
        process.start()
        try:
            assert process.port != taken.getsockname()[1]
            response, body = fetch(process, "GET", "/")
            assert body == b"Hello from gunicorn"
        finally:
            process.stop()
    assert process.process is None
    assert "Connection in use" in (tmp_path / "gunicorn.log").read_text()
