"""PEP 3333: what the app hands a WSGI server, checked by wsgiref's validator.

Most tests go through the ``client`` fixture, whose every request passes
through :func:`wsgiref.validate.validator`. Streaming tests call the
validated app directly, to see exactly when the body is iterated and closed.
"""

from __future__ import annotations

import asyncio
import io
import json
import warnings
from wsgiref.validate import validator

import pytest

from erlen import Erlen, Response, abort, g, jsonify, redirect, request, url_for
from erlen.testing import build_environ

_open: list[_Served] = []


class _Served:
    """What a WSGI server saw: the status, the headers and the body iterable."""

    def __init__(self, app, environ: dict) -> None:
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.calls = 0
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # any PEP 3333 violation fails the test
            self.body = validator(app)(environ, self._start_response)
        _open.append(self)

    def _start_response(self, status, headers, exc_info=None):
        self.calls += 1
        self.status = status
        self.headers = headers
        return lambda data: None

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def read(self) -> bytes:
        try:
            return b"".join(self.body)
        finally:
            self.close()

    def close(self) -> None:
        if self in _open:
            _open.remove(self)
        self.body.close()


@pytest.fixture(autouse=True)
def _close_bodies():
    """Close what a failed test left open, as a server would (and as PEP 3333 asks)."""
    yield
    while _open:
        _open.pop().body.close()


def serve(app: Erlen, path: str = "/", **kwargs) -> _Served:
    environ_changes = kwargs.pop("environ", {})
    environ = build_environ(app, path, **kwargs)
    environ.update(environ_changes)
    return _Served(app, environ)


# -- plain responses -----------------------------------------------------


def test_plain_text(app, client):
    @app.route("/")
    def index():
        return "Grüße"

    response = client.get("/")
    assert response.status == "200 OK"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Length"] == str(len("Grüße".encode()))
    assert response.text == "Grüße"


def test_bytes_and_list_bodies(app, client):
    @app.route("/bytes")
    def as_bytes():
        return Response(b"\x00\xff", mimetype="application/octet-stream")

    @app.route("/list")
    def as_list():
        return Response(["a", b"bc", "dé"])

    response = client.get("/bytes")
    assert response.data == b"\x00\xff"
    assert response.headers["Content-Length"] == "2"
    response = client.get("/list")
    assert response.data == "abcdé".encode()
    assert response.headers["Content-Length"] == str(len("abcdé".encode()))


def test_json(app, client):
    @app.route("/dict")
    def as_dict():
        return {"a": [1, 2], "b": "é"}

    @app.route("/jsonify")
    def with_jsonify():
        return jsonify([1, 2, 3])

    response = client.get("/dict")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == {"a": [1, 2], "b": "é"}
    assert response.headers["Content-Length"] == str(len(response.data))
    assert client.get("/jsonify").get_json() == [1, 2, 3]


@pytest.mark.parametrize("code", [204, 304])
def test_no_body_statuses(app, client, code):
    @app.route("/")
    def index():
        return "ignored body", code, {"X-Kept": "yes"}

    response = client.get("/")
    assert response.status_code == code
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert "Content-Length" not in response.headers
    assert response.headers["X-Kept"] == "yes"


def test_empty_204(app, client):
    @app.route("/", methods=["DELETE"])
    def delete():
        return Response(status=204)

    response = client.delete("/")
    assert response.status == "204 No Content"
    assert response.data == b""
    assert "Content-Type" not in response.headers


@pytest.mark.parametrize("code", [204, 304])
def test_streamed_no_body_status_is_closed_without_a_body(app, code):
    events = []
    made = []

    def stream():
        events.append("started")
        yield "x"

    @app.route("/")
    def index():
        body = stream()
        made.append(body)
        return body, code

    served = serve(app, "/")
    assert served.read() == b""
    assert served.status.startswith(f"{code} ")
    assert served.header("Content-Type") is None
    assert served.header("Content-Length") is None
    assert events == []
    assert made[0].gi_frame is None  # closed


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect(app, client, code):
    @app.route("/old")
    def old():
        return redirect("/new?x=1", code)

    @app.route("/new")
    def new():
        return f"new {request.args['x']}"

    response = client.get("/old")
    assert response.status_code == code
    assert response.headers["Location"] == "/new?x=1"
    assert response.mimetype == "text/html"
    followed = client.get("/old", follow_redirects=True)
    assert followed.text == "new 1"


@pytest.mark.parametrize("code", [299, 599, 420])
def test_unknown_status_codes_still_make_a_valid_status_line(app, client, code):
    @app.route("/")
    def index():
        return "x", code

    response = client.get("/")
    assert response.status_code == code
    assert response.status.startswith(f"{code} ")


# -- errors --------------------------------------------------------------


def test_error_responses(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/only-post", methods=["POST"])
    def only_post():
        return "x"

    @app.route("/abort")
    def aborts():
        abort(403, "Keep out.")

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = client.get("/missing")
    assert response.status == "404 Not Found"
    assert response.mimetype == "text/html"
    response = client.get("/only-post")
    assert response.status == "405 Method Not Allowed"
    assert response.headers["Allow"] == "OPTIONS, POST"
    response = client.get("/abort")
    assert response.status == "403 Forbidden"
    assert "Keep out." in response.text
    response = client.get("/boom")
    assert response.status == "500 Internal Server Error"
    assert "secret detail" not in response.text
    assert "Traceback" not in response.text


def test_error_response_to_head_has_no_body(app, client):
    response = client.head("/missing")
    assert response.status_code == 404
    assert response.data == b""
    assert int(response.headers["Content-Length"]) > 0


# -- streaming -----------------------------------------------------------


def test_streamed_generator_runs_its_cleanup_on_close(app, client):
    events = []

    @app.route("/")
    def index():
        def generate():
            try:
                yield "a"
                yield b"b"
                yield "é"
            finally:
                events.append("finally")

        return generate()

    response = client.get("/")
    assert response.data == "abé".encode()
    assert "Content-Length" not in response.headers
    assert events == ["finally"]


def test_closing_a_stream_early_runs_its_cleanup(app):
    events = []

    @app.route("/")
    def index():
        def generate():
            try:
                for i in range(1000):
                    yield f"{i},"
            finally:
                events.append("finally")

        return generate()

    served = serve(app, "/")
    assert next(iter(served.body)) == b"0,"
    assert events == []
    served.close()  # the client went away
    assert events == ["finally"]


def test_async_generator_streams(app, client):
    events = []

    @app.route("/")
    def index():
        async def generate():
            try:
                yield "a"
                await asyncio.sleep(0)
                yield b"b"
            finally:
                events.append("finally")

        return generate()

    response = client.get("/")
    assert response.data == b"ab"
    assert events == ["finally"]


def test_async_generator_closed_early(app):
    events = []

    @app.route("/")
    def index():
        async def generate():
            try:
                for i in range(100):
                    yield f"{i},"
                    await asyncio.sleep(0)
            finally:
                events.append("finally")

        return generate()

    served = serve(app, "/")
    assert next(iter(served.body)) == b"0,"
    served.close()
    assert events == ["finally"]


def test_head_on_a_stream_does_not_consume_it_but_closes_it(app):
    started = []
    made = []

    class Body:
        closed = False

        def __iter__(self):
            started.append(True)
            yield b"never"

        def close(self):
            self.closed = True

    def generate():
        started.append(True)
        yield "never"

    @app.route("/gen")
    def gen():
        body = generate()
        made.append(body)
        return body

    @app.route("/iterable")
    def iterable():
        body = Body()
        made.append(body)
        return Response(body, headers={"X-Kind": "iterable"}, mimetype="text/plain")

    served = serve(app, "/gen", method="HEAD")
    assert served.read() == b""
    assert served.status == "200 OK"
    assert served.header("Content-Type") == "text/html; charset=utf-8"
    assert made[0].gi_frame is None  # closed

    served = serve(app, "/iterable", method="HEAD")
    assert served.read() == b""
    assert served.header("X-Kind") == "iterable"
    assert served.header("Content-Type") == "text/plain; charset=utf-8"
    assert made[1].closed
    assert started == []


def test_head_on_plain_response_keeps_content_length(app, client):
    @app.route("/")
    def index():
        return "hello"

    response = client.head("/")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == "5"


def test_generator_reads_the_request_while_streaming(app, client):
    @app.route("/")
    def index():
        g.greeting = "hi"

        def generate():
            yield request.args["a"]
            yield "," + request.args.get("b", "none")
            yield "," + g.greeting + "," + request.path

        return generate()

    response = client.get("/", query_string={"a": "1"})
    assert response.text == "1,none,hi,/"


def test_teardown_runs_only_after_the_stream_is_closed(app):
    events = []

    @app.after_request
    def after(response):
        events.append("after_request")
        return response

    @app.teardown_request
    def teardown(error):
        events.append(f"teardown {error!r}")

    @app.route("/")
    def index():
        events.append("view")

        def generate():
            try:
                events.append("first chunk")
                yield "a"
                events.append("second chunk")
                yield "b"
            finally:
                events.append("generator finally")

        return generate()

    served = serve(app, "/")
    assert served.calls == 1
    assert events == ["view", "after_request"]
    chunks = list(served.body)
    assert chunks == [b"a", b"b"]
    assert "teardown None" not in events
    served.close()
    assert events == [
        "view",
        "after_request",
        "first chunk",
        "second chunk",
        "generator finally",
        "teardown None",
    ]


def test_teardown_runs_once_for_plain_responses(app, client):
    events = []

    @app.teardown_request
    def teardown(error):
        events.append(error)

    @app.route("/")
    def index():
        return "x"

    client.get("/")
    assert events == [None]


def test_error_while_streaming_still_tears_down(app):
    events = []

    @app.teardown_request
    def teardown(error):
        events.append("teardown")

    @app.route("/")
    def index():
        def generate():
            yield "a"
            raise RuntimeError("broken stream")

        return generate()

    served = serve(app, "/")
    iterator = iter(served.body)
    assert next(iterator) == b"a"
    with pytest.raises(RuntimeError, match="broken stream"):
        next(iterator)
    served.close()
    assert events == ["teardown"]


def test_outside_tests_a_stream_failing_midway_is_logged_and_cut_as_a_broken_pipe(caplog):
    import errno

    from erlen.serving.wsgi import ResponseCut

    app = Erlen(__name__)

    @app.route("/")
    def index():
        def generate():
            yield "a"
            raise RuntimeError("broken stream")

        return generate()

    served = serve(app, "/")
    iterator = iter(served.body)
    assert next(iterator) == b"a"
    # A broken pipe: servers cut the connection and don't log the error again.
    with pytest.raises(ResponseCut) as raised:
        next(iterator)
    served.close()
    assert isinstance(raised.value, BrokenPipeError) and raised.value.errno == errno.EPIPE
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.exc_info[0] is RuntimeError and "to / [GET]" in record.getMessage()


def test_start_response_called_once_before_the_body(app):
    @app.route("/")
    def index():
        return iter(["a", "b"])

    served = serve(app, "/")
    assert served.calls == 1
    assert served.status == "200 OK"
    assert served.read() == b"ab"
    assert served.calls == 1


# -- mounting (SCRIPT_NAME) ----------------------------------------------


def test_mounted_app(app, client):
    @app.route("/page/<name>")
    def page(name):
        return {
            "root_path": request.root_path,
            "path": request.path,
            "url": request.url,
            "url_root": request.url_root,
            "url_for": url_for("page", name="other"),
            "external": url_for("page", name="x", _external=True),
        }

    response = client.get("/page/a?q=1", base_url="http://example.com/mnt/")
    assert response.status_code == 200
    assert response.request.environ["SCRIPT_NAME"] == "/mnt"
    assert response.request.environ["PATH_INFO"] == "/page/a"
    assert response.json == {
        "root_path": "/mnt",
        "path": "/page/a",
        "url": "http://example.com/mnt/page/a?q=1",
        "url_root": "http://example.com/mnt/",
        "url_for": "/mnt/page/other",
        "external": "http://example.com/mnt/page/x",
    }


def test_mounted_app_slash_redirect_keeps_the_mount_point(app, client):
    @app.route("/dir/")
    def directory():
        return "dir"

    response = client.get("/dir?x=1", base_url="http://example.com/mnt/")
    assert response.status_code == 308
    assert response.headers["Location"] == "/mnt/dir/?x=1"


def test_mounted_app_with_trailing_slash_script_name(app):
    @app.route("/")
    def index():
        return f"{request.root_path}|{url_for('index')}"

    served = serve(app, "/", environ={"SCRIPT_NAME": "/mnt/", "PATH_INFO": "/"})
    assert served.read() == b"/mnt|/mnt/"


# -- request bodies ------------------------------------------------------


class _Trickle(io.RawIOBase):
    """A socket-like input: answers each read with at most a few bytes."""

    def __init__(self, data: bytes, step: int = 3) -> None:
        self._data = data
        self._step = step

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = len(self._data)
        chunk, self._data = self._data[: min(size, self._step)], self._data[min(size, self._step) :]
        return chunk


def _chunked_environ(app: Erlen, path: str, body: bytes, content_type: str) -> dict:
    environ = build_environ(app, path, method="POST", content_type=content_type)
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input"] = _Trickle(body)
    environ["wsgi.input_terminated"] = True  # the server de-chunked the upload
    return environ


def test_chunked_body_is_read_to_the_end(app):
    @app.post("/data")
    def data():
        return {"length": len(request.get_data()), "start": request.get_data()[:5].decode()}

    body = b"hello" + b"x" * 200_000
    served = _Served(app, _chunked_environ(app, "/data", body, "application/octet-stream"))
    assert served.status is None or served.status == "200 OK"
    assert json.loads(served.read()) == {"length": 200005, "start": "hello"}


def test_chunked_form_and_json(app):
    @app.post("/form")
    def form():
        return request.form.to_dict()

    @app.post("/json")
    def json_view():
        return request.json

    served = _Served(
        app,
        _chunked_environ(app, "/form", b"a=1&b=%C3%A9", "application/x-www-form-urlencoded"),
    )
    assert json.loads(served.read()) == {"a": "1", "b": "é"}
    served = _Served(app, _chunked_environ(app, "/json", b'{"n": [1, 2]}', "application/json"))
    assert json.loads(served.read()) == {"n": [1, 2]}


def test_chunked_multipart_upload(app):
    @app.post("/upload")
    def upload():
        storage = request.files["f"]
        return {"name": storage.filename, "size": len(storage.read()), "a": request.form["a"]}

    boundary = "b0undary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="a"\r\n\r\n'
            "1\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="f"; filename="x.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"\x00" * 70_000
        + f"\r\n--{boundary}--\r\n".encode()
    )
    environ = _chunked_environ(app, "/upload", body, f"multipart/form-data; boundary={boundary}")
    served = _Served(app, environ)
    assert json.loads(served.read()) == {"name": "x.bin", "size": 70000, "a": "1"}


def test_request_stream_is_iterable(app):
    @app.post("/stream")
    def stream():
        return {"total": sum(len(chunk) for chunk in request.stream)}

    served = _Served(app, _chunked_environ(app, "/stream", b"y" * 1000, "text/plain"))
    assert json.loads(served.read()) == {"total": 1000}


def test_body_with_content_length_through_validator(client, app):
    @app.post("/echo")
    def echo():
        return request.get_data()

    response = client.post("/echo", data=b"z" * 100_000)
    assert response.status_code == 200
    assert len(response.data) == 100_000


# -- the WSGI callable ---------------------------------------------------


@pytest.mark.wsgi_only  # app.wsgi_app is the WSGI entry point; ASGI does not pass through it
def test_wsgi_app_can_be_wrapped_in_middleware(app, client):
    @app.route("/")
    def index():
        return request.environ.get("middleware.seen", "no")

    inner = app.wsgi_app

    def middleware(environ, start_response):
        environ["middleware.seen"] = "yes"
        return inner(environ, start_response)

    app.wsgi_app = middleware
    assert client.get("/").text == "yes"


def test_status_and_headers_are_native_strings(app):
    @app.route("/")
    def index():
        response = Response("x", headers={"X-Number": 5})
        response.set_cookie("a", "b")
        return response

    served = serve(app, "/")
    served.read()
    assert type(served.status) is str
    for name, value in served.headers:
        assert type(name) is str and type(value) is str
        value.encode("latin-1")
    assert served.header("X-Number") == "5"
