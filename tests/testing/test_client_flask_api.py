"""The test client takes Flask's request arguments and gives Flask's results."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

import erlen
from erlen import Erlen, Response, make_response, redirect, request
from erlen.testing import Cookie, EnvironBuilder, ErlenClient, TestResponse


@pytest.fixture
def app(app):
    @app.route("/echo", methods=["GET", "POST", "PUT", "DELETE"])
    def echo():
        return {
            "method": request.method,
            "url": request.url,
            "root": request.script_root,
            "path": request.path,
            "args": request.args.to_dict(flat=False),
            "form": request.form.to_dict(flat=False),
            "files": {
                name: [file.filename, file.content_type, file.read().decode()]
                for name, file in request.files.items()
            },
            "type": request.content_type,
            "data": request.get_data(as_text=True) if not request.form else "",
            "agent": request.headers.get("User-Agent"),
            "auth": request.headers.get("Authorization"),
            "remote": request.remote_addr,
            "x": request.headers.get("X-Thing"),
        }

    return app


def test_path_base_url_and_full_urls(client):
    assert client.get("/echo").json["url"] == "http://localhost/echo"
    seen = client.get("/echo", base_url="https://shop.test:8443/app/").json
    assert (seen["url"], seen["root"], seen["path"]) == (
        "https://shop.test:8443/app/echo",
        "/app",
        "/echo",
    )
    assert client.get("http://example.org/echo?a=1").json["url"] == "http://example.org/echo?a=1"
    assert client.get("https://example.org/echo").json["url"] == "https://example.org/echo"


def test_query_string_as_dict_str_or_bytes(client):
    assert client.get("/echo", query_string={"a": [1, 2], "b": "x"}).json["args"] == {
        "a": ["1", "2"],
        "b": ["x"],
    }
    assert client.get("/echo", query_string="c=3").json["args"] == {"c": ["3"]}
    assert client.get("/echo", query_string=b"d=4").json["args"] == {"d": ["4"]}


def test_a_query_in_the_path_and_in_query_string_is_refused(client):
    with pytest.raises(ValueError, match="query string.*one of the two"):
        client.get("/echo?a=1", query_string={"b": "2"})


def test_data_forms_files_and_raw_bodies(client):
    form = client.post("/echo", data={"n": 5, "many": ["a", "b"], "raw": b"x y"}).json
    assert form["form"] == {"n": ["5"], "many": ["a", "b"], "raw": ["x y"]}
    assert form["type"] == "application/x-www-form-urlencoded"

    upload = client.post(
        "/echo",
        data={
            "page": (io.BytesIO(b"<p>"), "index.html"),
            "blob": (io.BytesIO(b"\x00"), "x.unknownext"),
            "notes": (io.BytesIO(b"hi"), "n.txt", "text/x-notes"),
            "n": 1,
        },
    ).json
    assert upload["files"] == {
        "page": ["index.html", "text/html", "<p>"],  # guessed from the filename
        "blob": ["x.unknownext", "application/octet-stream", "\x00"],
        "notes": ["n.txt", "text/x-notes", "hi"],
    }
    assert upload["form"] == {"n": ["1"]}

    # A form with no files is still multipart when the test says so.
    forced = client.post("/echo", data={"a": "1"}, content_type="multipart/form-data").json
    assert forced["type"].startswith("multipart/form-data; boundary=")
    assert forced["form"] == {"a": ["1"]}

    text = client.put("/echo", data="plain words", content_type="text/plain").json
    assert (text["data"], text["type"]) == ("plain words", "text/plain")
    assert client.post("/echo", data=b"\x01\x02").json["data"] == "\x01\x02"


def test_data_of_an_unknown_type_is_refused(client):
    with pytest.raises(TypeError, match="data= takes a dict.*json="):
        client.post("/echo", data=3.5)
    with pytest.raises(TypeError, match="one of data=, json= and input_stream="):
        client.post("/echo", data={"a": "1"}, json={"a": 1})


def test_json_sets_the_body_and_the_content_type(client):
    seen = client.post("/echo", json={"k": [1, 2]}).json
    assert seen["type"] == "application/json"
    assert erlen.json.loads(seen["data"]) == {"k": [1, 2]}


def test_headers_as_dict_pairs_or_headers(client):
    assert client.get("/echo", headers={"X-Thing": "a"}).json["x"] == "a"
    assert client.get("/echo", headers=[("X-Thing", "b")]).json["x"] == "b"
    assert client.get("/echo", headers=erlen.Headers({"X-Thing": 3})).json["x"] == "3"


def test_auth_pair_sends_basic_credentials(client):
    assert client.get("/echo", auth=("ada", "s3cret")).json["auth"] == "Basic YWRhOnMzY3JldA=="
    with pytest.raises(TypeError, match=r"\(username, password\) pair"):
        client.get("/echo", auth="ada:s3cret")


def test_environ_base_defaults_every_request(client):
    assert client.environ_base == {
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": f"erlen/{erlen.__version__}",
    }
    seen = client.get("/echo").json
    assert (seen["remote"], seen["agent"]) == ("127.0.0.1", f"erlen/{erlen.__version__}")

    client.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    client.environ_base["HTTP_USER_AGENT"] = "pytest-browser"
    assert client.get("/echo").json["remote"] == "10.1.2.3"
    assert client.get("/echo").json["agent"] == "pytest-browser"
    # A request's own headers and environ_base win over the client's.
    assert client.get("/echo", headers={"User-Agent": "mine"}).json["agent"] == "mine"
    seen = client.get("/echo", environ_base={"REMOTE_ADDR": "10.9.9.9"}).json
    assert seen["remote"] == "10.9.9.9"


def test_environ_base_does_not_override_the_request_but_overrides_do(client):
    base = client.get("/echo", environ_base={"HTTP_HOST": "elsewhere.test"}).json
    assert base["url"] == "http://localhost/echo"
    over = client.get(
        "/echo",
        environ_overrides={"HTTP_HOST": "elsewhere.test", "wsgi.url_scheme": "https"},
    ).json
    assert over["url"] == "https://elsewhere.test/echo"
    assert client.get("/echo", environ_overrides={"REMOTE_ADDR": "10.0.0.7"}).json["remote"] == (
        "10.0.0.7"
    )


def test_an_asgi_client_refuses_wsgi_only_environ_keys(app):
    client = app.test_client(asgi=True)
    with pytest.raises(TypeError, match=r"environ_overrides\['wsgi.input_terminated'\].*WSGI"):
        client.get("/echo", environ_overrides={"wsgi.input_terminated": True})
    wsgi = app.test_client()
    assert wsgi.get("/echo", environ_overrides={"wsgi.input_terminated": True}).status_code == 200


def test_open_takes_a_method_by_name_or_after_the_path(client):
    assert client.open("/echo", method="PUT").json["method"] == "PUT"
    assert client.open("/echo", "DELETE").json["method"] == "DELETE"
    assert client.open("/echo", "http://other.test/").json["url"] == "http://other.test/echo"
    with pytest.raises(ValueError, match="method='POST'"):
        client.open("/echo", base_url="POST")


def test_open_takes_a_builder_an_environ_or_a_request(app, client):
    builder = EnvironBuilder(app, "/echo", method="POST", data={"a": "1"})
    seen = client.open(builder).json
    assert (seen["method"], seen["form"]) == ("POST", {"a": ["1"]})

    environ = EnvironBuilder(app, "/echo", query_string={"q": "x"}, data="body").get_environ()
    seen = client.open(environ).json
    assert (seen["args"], seen["data"]) == ({"q": ["x"]}, "body")

    with app.test_request_context("/echo", method="PUT", json={"n": 1}):
        seen = client.open(request).json
    assert (seen["method"], erlen.json.loads(seen["data"])) == ("PUT", {"n": 1})

    with pytest.raises(TypeError, match="ready request.*either"):
        client.open(builder, method="GET")
    with pytest.raises(TypeError, match="not int"):
        client.open(42)


def test_buffered_is_accepted(client):
    assert client.get("/echo", buffered=True).status_code == 200


def test_response_text_json_request_and_history(app, client):
    @app.post("/go")
    def go():
        return redirect("/echo?from=go", 303)

    response = client.post("/go", data={"a": "1"}, follow_redirects=True)
    assert isinstance(response, TestResponse)
    assert response.json["method"] == "GET"
    assert response.json["args"] == {"from": ["go"]}
    assert response.text.startswith("{")
    assert response.request.path == "/echo"
    assert [r.status_code for r in response.history] == [303]
    assert response.history[0].request.method == "POST"
    assert client.get("/echo").history == ()


def test_redirects_under_an_application_root_keep_the_root(app, client):
    app.config["APPLICATION_ROOT"] = "/shop"

    @app.route("/start")
    def start():
        return redirect(erlen.url_for("echo"))

    response = client.get("/start", follow_redirects=True)
    assert response.history[0].headers["Location"] == "/shop/echo"
    assert (response.json["root"], response.json["path"]) == ("/shop", "/echo")


def test_redirects_to_another_host_are_not_followed(app, client):
    @app.route("/away")
    def away():
        return redirect("https://elsewhere.test/x")

    @app.route("/sub")
    def sub():
        return redirect("http://api.localhost/echo")

    @app.route("/secure")
    def secure():
        return redirect("https://localhost/echo")

    with pytest.raises(RuntimeError, match="another host.*response.headers\\['Location'\\]"):
        client.get("/away", follow_redirects=True)
    with pytest.raises(RuntimeError, match="allow_subdomain_redirects=True"):
        client.get("/sub", follow_redirects=True)
    assert client.get("/secure", follow_redirects=True).json["url"] == "https://localhost/echo"

    follower = app.test_client(allow_subdomain_redirects=True)
    assert follower.get("/sub", follow_redirects=True).json["url"] == "http://api.localhost/echo"


def test_urls_start_from_the_app_config(app, client):
    app.config.update(
        SERVER_NAME="shop.test", APPLICATION_ROOT="/app", PREFERRED_URL_SCHEME="https"
    )
    seen = client.get("/echo").json
    assert (seen["url"], seen["root"], seen["path"]) == (
        "https://shop.test/app/echo",
        "/app",
        "/echo",
    )
    assert client.get("/echo", base_url="http://other.test/").json["url"] == (
        "http://other.test/echo"
    )


def test_application_is_the_app_unless_wrapped(app):
    client = app.test_client()
    assert client.application is app
    assert client.app is app


# -- cookies ----------------------------------------------------------------------


def test_set_get_and_delete_cookies(app, client):
    @app.route("/cookies")
    def cookies():
        return request.cookies.to_dict()

    client.set_cookie("flavour", "oat meal")
    client.set_cookie("scoped", "1", path="/cookies")
    client.set_cookie("elsewhere", "1", domain="other.test")
    cookie = client.get_cookie("flavour")
    assert isinstance(cookie, Cookie)
    assert (cookie.key, cookie.value, cookie.decoded_value) == ("flavour", '"oat meal"', "oat meal")
    assert (cookie.domain, cookie.path, cookie.origin_only) == ("localhost", "/", True)
    assert client.get_cookie("scoped") is None  # stored under its own path
    assert client.get_cookie("scoped", path="/cookies").value == "1"
    assert client.get("/cookies").json == {"flavour": "oat meal", "scoped": "1"}
    assert client.get("/cookies", base_url="http://other.test/").json == {"elsewhere": "1"}

    client.delete_cookie("flavour")
    client.delete_cookie("scoped", path="/cookies")
    assert client.get_cookie("flavour") is None
    assert client.get("/cookies").json == {}


def test_set_cookie_takes_response_attributes(app, client):
    @app.route("/cookies")
    def cookies():
        return request.cookies.to_dict()

    client.set_cookie("gone", "1", max_age=0)
    client.set_cookie("kept", "1", max_age=60, httponly=True, samesite="Lax")
    client.set_cookie("wide", "1", domain="shop.test", origin_only=False)
    kept = client.get_cookie("kept")
    assert (kept.max_age, kept.http_only, kept.same_site) == (60, True, "Lax")
    assert kept.expires is not None and kept.expires > datetime.now(timezone.utc)
    assert client.get_cookie("gone") is None
    assert client.get("/cookies").json == {"kept": "1"}
    assert client.get("/cookies", base_url="http://api.shop.test/").json == {"wide": "1"}
    with pytest.raises(ValueError, match="Invalid cookie name"):
        client.set_cookie("bad name", "1")


def test_cookies_a_response_sets_are_read_back_with_their_attributes(app, client):
    @app.route("/set")
    def set_cookie():
        response = make_response("set")
        response.set_cookie("id", "7", max_age=30, secure=True, httponly=True, samesite="Strict")
        return response

    client.get("/set", base_url="https://localhost/")
    cookie = client.get_cookie("id")
    assert (cookie.value, cookie.max_age, cookie.secure, cookie.http_only, cookie.same_site) == (
        "7",
        30,
        True,
        True,
        "Strict",
    )


def test_a_client_without_cookies_says_so(app):
    client = app.test_client(use_cookies=False)
    for call in (
        lambda: client.get_cookie("a"),
        lambda: client.set_cookie("a", "1"),
        lambda: client.delete_cookie("a"),
    ):
        with pytest.raises(TypeError, match="use_cookies=False"):
            call()


# -- subclassing ------------------------------------------------------------------


def test_test_client_class_is_used_with_its_own_arguments(app):
    class TokenClient(ErlenClient):
        def __init__(self, *args, **kwargs):
            self.token = kwargs.pop("token")
            super().__init__(*args, **kwargs)

        def open(self, *args, **kwargs):
            kwargs.setdefault("headers", {"X-Thing": self.token})
            return super().open(*args, **kwargs)

    app.test_client_class = TokenClient
    client = app.test_client(token="t-1")
    assert isinstance(client, TokenClient)
    assert client.get("/echo").json["x"] == "t-1"
    assert repr(client).startswith("<TokenClient (WSGI)")
    with client as entered:
        assert entered is client
    asgi = app.test_client(asgi=True, token="t-2")
    assert asgi.get("/echo").json["x"] == "t-2"
    asgi.close()


def test_an_unknown_client_argument_is_refused_when_the_client_is_made(app):
    with pytest.raises(TypeError, match="'token', which is not a request argument.*kwargs"):
        app.test_client(token="t")
    assert app.test_client(base_url="http://shop.test/").get("/echo").json["url"] == (
        "http://shop.test/echo"
    )


def test_responses_are_instances_of_the_app_response_class(app, client):
    class ShopResponse(Response):
        def shout(self):
            return self.text.upper()

    app.response_class = ShopResponse

    @app.route("/hi")
    def hi():
        return "hi"

    response = app.test_client().get("/hi")
    assert isinstance(response, ShopResponse)
    assert isinstance(response, TestResponse)
    assert response.shout() == "HI"
    assert app.test_client().get("/hi").__class__ is response.__class__


def test_erlen_client_is_the_client():
    assert ErlenClient is erlen.testing.Client
    assert Erlen.test_client_class is None


@pytest.mark.parametrize("is_async", [False, True], ids=["def", "async"])
def test_a_request_inside_the_apps_context_shares_its_g(app, client, is_async):
    # Flask pushes no app context of its own for a request when one for the
    # same app is active: the test and the view see one g.
    def view():
        seen = erlen.g.get("from_test")
        erlen.g.from_view = "set by the view"
        return str(seen)

    async def async_view():
        return view()

    app.add_url_rule("/g", "g", async_view if is_async else view)
    with app.app_context():
        erlen.g.from_test = "set by the test"
        assert client.get("/g").text == "set by the test"
        assert erlen.g.from_view == "set by the view"
    with app.test_request_context("/elsewhere"):
        erlen.g.from_test = "from a test request context"
        assert client.get("/g").text == "from a test request context"
    assert client.get("/g").text == "None"  # no context around it: a g of its own


def test_another_apps_context_is_not_shared(app, client):
    @app.route("/g")
    def view():
        return str(erlen.g.get("from_test"))

    with Erlen("other").app_context():
        erlen.g.from_test = "the other app's"
        assert client.get("/g").text == "None"
