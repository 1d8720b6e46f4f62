"""The request object, through views and standalone."""

from __future__ import annotations

import io

import pytest

from erlen import Request, request
from erlen.testing import build_environ


def make_request(*args, **kwargs) -> Request:
    return Request(build_environ(None, *args, **kwargs))


def test_url_parts():
    req = make_request(
        "/a%20b/c?x=1&y=%C3%A9",
        base_url="https://example.com:8443/root/",
        headers={"User-Agent": "pytest"},
    )
    assert req.method == "GET"
    assert req.path == "/a b/c"
    assert req.root_path == req.script_root == "/root"
    assert req.full_path == "/a b/c?x=1&y=%C3%A9"
    assert req.query_string == b"x=1&y=%C3%A9"
    assert req.args.to_dict() == {"x": "1", "y": "é"}
    assert req.scheme == "https"
    assert req.is_secure
    assert req.host == "example.com:8443"
    assert req.host_url == "https://example.com:8443/"
    assert req.url_root == "https://example.com:8443/root/"
    assert req.base_url == "https://example.com:8443/root/a%20b/c"
    assert req.url == "https://example.com:8443/root/a%20b/c?x=1&y=%C3%A9"
    assert req.remote_addr == "127.0.0.1"
    assert str(req.user_agent) == "pytest"
    assert req.user_agent.string == "pytest"


def test_utf8_path():
    req = make_request("/caf%C3%A9")
    assert req.path == "/café"


def test_host_falls_back_to_server_name():
    environ = build_environ(None, "/")
    del environ["HTTP_HOST"]
    environ.update(SERVER_NAME="internal", SERVER_PORT="8080")
    assert Request(environ).host == "internal:8080"
    environ["SERVER_PORT"] = "80"
    assert Request(environ).host == "internal"


def test_args_multi_values_and_types():
    req = make_request("/?tag=a&tag=b&n=5&bad=x&empty=")
    assert req.args.getlist("tag") == ["a", "b"]
    assert req.args.get("n", type=int) == 5
    assert req.args.get("bad", 0, type=int) == 0
    assert req.args["empty"] == ""
    assert req.args.get("missing") is None


def test_headers_are_case_insensitive():
    req = make_request("/", headers={"X-Custom-Thing": "1", "Accept": "text/plain"})
    assert req.headers["x-custom-thing"] == "1"
    assert req.headers.get("ACCEPT") == "text/plain"
    assert "Host" in req.headers


def test_cookies():
    req = make_request("/", headers={"Cookie": 'a=1; b="x\\073y"; a=2'})
    assert req.cookies["a"] == "1"
    assert req.cookies.getlist("a") == ["1", "2"]
    assert req.cookies["b"] == "x;y"


def test_content_type_and_length():
    req = make_request("/", method="POST", data=b"abc", content_type="Text/Plain; charset=latin-1")
    assert req.content_type == "Text/Plain; charset=latin-1"
    assert req.mimetype == "text/plain"
    assert req.mimetype_params == {"charset": "latin-1"}
    assert req.content_length == 3
    assert req.get_data() == b"abc"
    assert req.data == b"abc"
    assert req.get_data(as_text=True) == "abc"


def test_body_is_read_once_and_cached():
    req = make_request("/", method="POST", data=b"payload")
    assert req.get_data() == b"payload"
    assert req.get_data() == b"payload"


def test_stream_can_be_read_directly():
    req = make_request("/", method="POST", data=b"x" * 100_000)
    chunks = list(req.stream)
    assert b"".join(chunks) == b"x" * 100_000


def test_body_without_length_is_empty_unless_terminated():
    environ = build_environ(None, "/", method="POST", data=b"hidden")
    del environ["CONTENT_LENGTH"]
    assert Request(environ).get_data() == b""
    environ["wsgi.input"] = io.BytesIO(b"chunked body")
    environ["wsgi.input_terminated"] = True
    assert Request(environ).get_data() == b"chunked body"


def test_form_urlencoded_and_values():
    req = make_request("/?q=1", method="POST", data={"name": "Ada", "tags": ["a", "b"]})
    assert req.form["name"] == "Ada"
    assert req.form.getlist("tags") == ["a", "b"]
    assert req.values["q"] == "1"
    assert req.values["name"] == "Ada"
    assert req.files == {}


def test_form_is_empty_for_other_types():
    req = make_request("/", method="POST", data=b'{"a": 1}', content_type="application/json")
    assert req.form == {}
    assert req.json == {"a": 1}


def test_form_data_is_not_also_in_data():
    req = make_request("/", method="POST", data={"a": "1"})
    assert req.data == b""
    assert req.form["a"] == "1"
    req = make_request("/", method="POST", data={"a": "1"})
    assert req.get_data(parse_form_data=True) in (b"", b"a=1")
    assert req.form["a"] == "1"


def test_multipart_files(tmp_path):
    req = make_request(
        "/",
        method="POST",
        data={
            "title": "report",
            "upload": (io.BytesIO(b"file contents"), "report.txt", "text/plain"),
        },
    )
    assert req.form["title"] == "report"
    upload = req.files["upload"]
    assert upload.filename == "report.txt"
    assert upload.content_type == "text/plain"
    assert upload.read() == b"file contents"
    upload.seek(0)
    upload.save(tmp_path / "saved.txt")
    assert (tmp_path / "saved.txt").read_bytes() == b"file contents"
    req.close()


def test_json_variants():
    req = make_request("/", method="POST", json={"a": [1, 2]})
    assert req.is_json
    assert req.get_json() == {"a": [1, 2]}
    plain = make_request("/", method="POST", data=b'{"a": 1}', content_type="text/plain")
    assert plain.get_json(silent=True) is None
    assert plain.get_json(force=True) == {"a": 1}
    vendor = make_request("/", method="POST", data=b"[1]", content_type="application/vnd.api+json")
    assert vendor.is_json and vendor.json == [1]


def test_accept_mimetypes():
    req = make_request("/", headers={"Accept": "text/html;q=0.5, application/json"})
    assert req.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    )
    assert "text/html" in req.accept_mimetypes
    assert req.accept_mimetypes.accept_json


def test_request_in_a_view(app, client):
    @app.route("/items/<int:item>", methods=["PUT"])
    def update(item):
        return {
            "endpoint": request.endpoint,
            "view_args": request.view_args,
            "rule": request.url_rule.rule,
            "json": request.get_json(),
            "blueprint": request.blueprint,
        }

    response = client.put("/items/3", json={"v": 1})
    assert response.json == {
        "endpoint": "update",
        "view_args": {"item": 3},
        "rule": "/items/<int:item>",
        "json": {"v": 1},
        "blueprint": None,
    }


def test_limits_come_from_the_app_config(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/")
    def index():
        return request.get_data()

    assert client.post("/", data=b"short").data == b"short"
    response = client.post("/", data=b"x" * 11)
    assert response.status_code == 413
    assert "MAX_CONTENT_LENGTH" in response.text


def test_nothing_is_parsed_until_asked():
    req = make_request("/?a=1", headers={"Cookie": "c=1"})
    for name in ("args", "headers", "cookies", "form", "files", "accept_mimetypes"):
        assert name not in req.__dict__
    req.args  # noqa: B018
    assert "args" in req.__dict__
    assert "cookies" not in req.__dict__


def test_repr():
    assert repr(make_request("/x")) == "<Request GET '/x'>"


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "PATCH"])
def test_method(method):
    assert make_request("/", method=method).method == method


def test_reading_the_body_whole_leaves_the_stream_spent(app, client):
    # The same under both protocols, and as Werkzeug: get_data() reads the
    # stream to its end (once, then cached); cache=False leaves nothing cached.
    @app.post("/whole")
    def whole():
        first = request.get_data()
        return {
            "first": first.decode(),
            "again": request.get_data().decode(),
            "stream": request.stream.read().decode(),
            "form": dict(request.form),
        }

    @app.post("/uncached")
    def uncached():
        first = request.get_data(cache=False)
        return {"first": first.decode(), "again": request.get_data().decode()}

    @app.post("/part")
    def part():
        start = request.stream.read(3)
        return {"start": start.decode(), "rest": request.get_data().decode()}

    @app.post("/form-then-data")
    def form_then_data():
        return {"form": dict(request.form), "data": request.get_data().decode()}

    form = "application/x-www-form-urlencoded"
    assert client.post("/whole", data=b"a=1", content_type=form).json == {
        "first": "a=1",
        "again": "a=1",
        "stream": "",
        "form": {"a": "1"},  # as Werkzeug: parsed from the bytes get_data() read
    }
    assert client.post("/uncached", data=b"abcdef").json == {"first": "abcdef", "again": ""}
    assert client.post("/part", data=b"abcdef").json == {"start": "abc", "rest": "def"}
    assert client.post("/form-then-data", data=b"a=1", content_type=form).json == {
        "form": {"a": "1"},
        "data": "a=1",
    }


def test_a_form_is_parsed_from_the_bytes_get_data_read_first(app, client):
    @app.post("/upload")
    def upload():
        size = len(request.get_data())
        return {"size": size, "form": dict(request.form), "files": sorted(request.files)}

    answer = client.post("/upload", data={"a": "1", "f": (io.BytesIO(b"xyz"), "f.txt")}).json
    assert answer["size"] > 0
    assert answer["form"] == {"a": "1"}
    assert answer["files"] == ["f"]
