"""The test client itself, and the package's public surface."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

import erlen
from erlen import make_response, redirect, request


def test_query_string_forms(app, client):
    @app.route("/")
    def index():
        return {"args": request.args.to_dict(flat=False)}

    assert client.get("/?a=1&a=2").json == {"args": {"a": ["1", "2"]}}
    assert client.get("/", query_string={"a": ["1", "2"], "b": "x"}).json == {
        "args": {"a": ["1", "2"], "b": ["x"]}
    }
    assert client.get("/", query_string="c=3").json == {"args": {"c": ["3"]}}


def test_data_forms(app, client):
    @app.post("/")
    def index():
        return {
            "form": request.form.to_dict(flat=False),
            "data": request.get_data(as_text=True) if not request.form else "",
            "type": request.mimetype,
            "files": {k: f.read().decode() for k, f in request.files.items()},
        }

    assert client.post("/", data={"a": "1"}).json["form"] == {"a": ["1"]}
    raw = client.post("/", data="raw text", content_type="text/plain").json
    assert (raw["data"], raw["type"]) == ("raw text", "text/plain")
    assert client.post("/", data=b"\x00\x01").json["data"] == "\x00\x01"
    upload = client.post("/", data={"f": (io.BytesIO(b"content"), "f.txt"), "x": "y"}).json
    assert upload["files"] == {"f": "content"}
    assert upload["form"] == {"x": ["y"]}
    assert upload["type"] == "multipart/form-data"
    assert client.post("/", json={"k": 1}).json["type"] == "application/json"


def test_cookies_are_kept_and_expired(app, client):
    @app.route("/set")
    def set_cookie():
        response = make_response("set")
        response.set_cookie("flavour", "oat meal")
        response.set_cookie("scoped", "1", path="/scoped")
        return response

    @app.route("/clear")
    def clear():
        response = make_response("cleared")
        response.delete_cookie("flavour")
        return response

    @app.route("/show")
    @app.route("/scoped/show", endpoint="scoped_show")
    def show():
        return request.cookies.to_dict()

    client.get("/set")
    assert client.get_cookie("flavour").value == '"oat meal"'
    assert client.get("/show").json == {"flavour": "oat meal"}
    assert client.get("/scoped/show").json == {"flavour": "oat meal", "scoped": "1"}
    client.get("/clear")
    assert client.get("/show").json == {}
    client.set_cookie("manual", "yes")
    assert client.get("/show").json == {"manual": "yes"}
    client.delete_cookie("manual")
    assert client.get("/show").json == {}


def test_no_cookies_when_disabled(app):
    @app.route("/")
    def index():
        response = make_response(request.cookies.get("a", "none"))
        response.set_cookie("a", "1")
        return response

    client = app.test_client(use_cookies=False)
    client.get("/")
    assert client.get("/").text == "none"


def test_follow_redirects(app, client):
    @app.post("/login")
    def login():
        return redirect("/welcome?from=login", 303)

    @app.route("/welcome", methods=["GET", "POST"])
    def welcome():
        return f"{request.method} {request.args['from']}"

    @app.post("/keep")
    def keep():
        return redirect("/echo", 307)

    @app.post("/echo")
    def echo():
        return request.form["v"]

    response = client.post("/login", data={"u": "ada"}, follow_redirects=True)
    assert response.text == "GET login"
    assert [r.status_code for r in response.history] == [303]
    assert response.request.path == "/welcome"
    assert client.post("/keep", data={"v": "kept"}, follow_redirects=True).text == "kept"


def test_redirect_loop_is_reported(app, client):
    @app.route("/loop")
    def loop():
        return redirect("/loop")

    import pytest

    with pytest.raises(RuntimeError, match="loop"):
        client.get("/loop", follow_redirects=True)


def test_headers_and_environ_base(app, client):
    @app.route("/")
    def index():
        return {"h": request.headers.get("X-Test"), "addr": request.remote_addr}

    response = client.get("/", headers={"X-Test": "v"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert response.json == {"h": "v", "addr": "10.0.0.1"}


def test_exported_names():
    for name in erlen.__all__:
        assert hasattr(erlen, name), name
    assert erlen.Erlen.__module__ == "erlen.app"


def test_import_is_lazy():
    code = (
        "import sys, erlen; "
        "heavy = [m for m in ('jinja2', 'click', 'itsdangerous', 'python_multipart', "
        "'asyncio', 'orjson', 'json', 'email.utils', 'logging', 'dataclasses') "
        "if m in sys.modules]; print(heavy)"
    )
    # Without coverage's measurement of subprocesses: it imports json and the like itself.
    env = {k: v for k, v in os.environ.items() if k != "COVERAGE_PROCESS_CONFIG"}
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert output.stdout.strip() == "[]"


def test_cookie_jar_honours_domain_and_secure(app, client):
    @app.route("/set")
    def set_cookies():
        response = make_response("set")
        response.set_cookie("plain", "1")
        response.set_cookie("secure_only", "1", secure=True)
        response.set_cookie("wide", "1", domain="example.test")
        return response

    @app.route("/show")
    def show():
        return ",".join(sorted(request.cookies))

    client.get("/set", base_url="https://example.test/")
    assert client.get("/show", base_url="https://example.test/").text == "plain,secure_only,wide"
    assert client.get("/show", base_url="http://example.test/").text == "plain,wide"
    assert client.get("/show", base_url="https://api.example.test/").text == "wide"
    assert client.get("/show", base_url="https://localhost/").text == ""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://[::1]:8000/", "[::1]:8000 [::1] 8000"),
        ("http://[::1]/", "[::1] [::1] 80"),
        ("https://[2001:db8::1]/", "[2001:db8::1] [2001:db8::1] 443"),
        ("http://example.com:9000/", "example.com:9000 example.com 9000"),
    ],
)
def test_an_ipv6_host_in_the_url_keeps_its_brackets(url: str, expected: str) -> None:
    app = erlen.Erlen(__name__)

    @app.route("/")
    def where() -> str:
        environ = request.environ
        return f"{request.host} {environ['SERVER_NAME']} {environ['SERVER_PORT']}"

    for asgi in (False, True):
        assert app.test_client(asgi=asgi).get(url).text == expected
