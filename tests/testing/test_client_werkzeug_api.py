"""The parts of Werkzeug's builder and client API that Flask's testing module passes on.

``EnvironBuilder``'s attributes (``args``, ``form``, ``files``,
``input_stream``, ``content_type``, ...) can be read and changed before the
request is built; the client takes Werkzeug's positional arguments and has
``trace()``, ``resolve_redirect()`` and ``run_wsgi_app()``.
"""

from __future__ import annotations

import io
import sys

import pytest

import erlen
from erlen import make_response, redirect, request
from erlen.testing import EnvironBuilder, ErlenClient, FileMultiDict


@pytest.fixture
def app(app):
    @app.route("/echo", methods=["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
    def echo():
        return {
            "method": request.method,
            "url": request.url,
            "args": request.args.to_dict(flat=False),
            "form": request.form.to_dict(flat=False),
            "files": {
                name: [file.filename, file.content_type, file.read().decode()]
                for name, file in request.files.items()
            },
            "type": request.content_type,
            "length": request.headers.get("Content-Length"),
            "data": request.get_data(as_text=True) if not request.form else "",
            "cookie": request.cookies.get("seen"),
        }

    @app.route("/moved/<int:status>", methods=["GET", "POST", "HEAD"])
    def moved(status):
        response = redirect("/echo?from=moved", status)
        response.set_cookie("seen", "yes")
        return response

    @app.route("/plain")
    def plain():
        return "no redirect"

    @app.route("/counter")
    def counter():
        count = int(request.cookies.get("count", "0")) + 1
        response = make_response(f"count {count}")
        response.set_cookie("count", str(count))
        return response

    return app


# -- EnvironBuilder: the arguments -------------------------------------------------


def test_arguments_after_url_scheme_go_by_position_in_werkzeugs_order(app):
    builder = EnvironBuilder(
        app, "/echo", "http://h.test/", None, None, "q=1", "put", None, "text/csv", 9
    )
    assert (builder.query_string, builder.method) == ("q=1", "PUT")
    assert (builder.content_type, builder.content_length) == ("text/csv", 9)
    builder = EnvironBuilder(app, "/", None, None, None, None, "GET", None, None, None,
                             None, False, False, False, {"X-Id": "7"}, "body")  # fmt: skip
    assert builder.get_environ()["HTTP_X_ID"] == "7"
    assert builder.input_stream.read() == b"body"


def test_bad_arguments_say_what_is_wrong(app):
    with pytest.raises(TypeError, match="got method twice"):
        EnvironBuilder(app, "/", None, None, None, "", "POST", method="PUT")
    with pytest.raises(TypeError, match="at most 21 arguments by position, and got 22"):
        EnvironBuilder(app, "/", None, None, None, *([None] * 17))
    with pytest.raises(TypeError, match=r"query_strng=.*Did you mean query_string="):
        EnvironBuilder(app, "/", query_strng="a=1")


# -- EnvironBuilder: the query ---------------------------------------------------


def test_args_can_be_read_and_changed_before_the_request_is_built(app):
    builder = EnvironBuilder(app, "/echo", query_string={"a": ["1", "2"]})
    assert builder.args.getlist("a") == ["1", "2"]
    builder.args.add("b", "3")
    assert builder.query_string == "a=1&a=2&b=3"
    assert builder.get_request().args.getlist("a") == ["1", "2"]
    # A query given as a string (here in the path) is parsed when args is read.
    from_path = EnvironBuilder(app, "/echo?page=2")
    from_path.args["page"] = "3"
    assert from_path.get_environ()["QUERY_STRING"] == "page=3"


def test_setting_query_string_replaces_args_and_back(app):
    builder = EnvironBuilder(app, "/", query_string={"a": "1"})
    builder.query_string = "x=9"
    assert builder.args.to_dict() == {"x": "9"}
    builder.args = {"y": ["1", "2"]}
    assert builder.query_string == "y=1&y=2"
    builder.query_string = None
    assert (builder.query_string, builder.get_environ()["QUERY_STRING"]) == ("", "")


# -- EnvironBuilder: the body ------------------------------------------------------


def test_form_and_files_can_be_read_and_changed(app, tmp_path):
    builder = EnvironBuilder(
        app, "/echo", method="POST", data={"name": "ada", "cv": (io.BytesIO(b"hi"), "cv.txt")}
    )
    assert builder.form.to_dict() == {"name": "ada"}
    assert builder.files["cv"].filename == "cv.txt"
    assert builder.content_type == "multipart/form-data"
    builder.form.add("name", "grace")
    path = tmp_path / "notes.csv"
    path.write_bytes(b"a,b")
    builder.files.add_file("notes", str(path))
    request_ = builder.get_request()
    try:
        assert request_.form.getlist("name") == ["ada", "grace"]
        assert request_.files["notes"].filename == "notes.csv"
        assert request_.files["notes"].content_type == "text/csv"
        assert request_.files["notes"].read() == b"a,b"
    finally:
        request_.close()


def test_a_form_alone_is_urlencoded_and_a_set_form_replaces_the_body(app):
    builder = EnvironBuilder(app, "/", method="POST", data="raw")
    builder.form = {"a": "1"}
    assert builder.content_type == "application/x-www-form-urlencoded"
    environ = builder.get_environ()
    assert environ["wsgi.input"].read() == b"a=1"
    assert environ["CONTENT_LENGTH"] == "3"
    builder.files = {"up": (io.BytesIO(b"x"), "x.bin")}
    assert isinstance(builder.files, FileMultiDict)
    assert builder.get_environ()["CONTENT_TYPE"].startswith("multipart/form-data; boundary=")


def test_a_stream_body_has_no_form_and_says_so(app):
    builder = EnvironBuilder(app, "/", method="POST", data="raw")
    with pytest.raises(AttributeError, match="body is a stream.*input_stream = None"):
        builder.form  # noqa: B018
    with pytest.raises(AttributeError, match="no files"):
        builder.files  # noqa: B018
    assert builder.input_stream.read() == b"raw"
    builder.input_stream = None
    builder.form["a"] = "1"
    assert builder.get_environ()["wsgi.input"].read() == b"a=1"


def test_input_stream_can_be_set_and_is_sent_the_same_each_time(app):
    builder = EnvironBuilder(app, "/", method="PUT", data={"a": "1"})
    stream = io.BytesIO(b"new body")
    builder.input_stream = stream
    assert builder.content_type is None  # the form's type went with the form
    assert builder.get_environ()["wsgi.input"].read() == b"new body"
    assert builder.get_environ()["wsgi.input"].read() == b"new body"
    assert stream.tell() == 0  # the test's stream is left where it was


def test_content_type_and_length_are_the_headers(app):
    builder = EnvironBuilder(app, "/", method="POST", data="abc")
    builder.content_type = "text/plain; charset=utf-8"
    assert builder.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert builder.mimetype == "text/plain"
    builder.content_length = 2
    assert builder.headers["Content-Length"] == "2"
    environ = builder.get_environ()
    assert (environ["CONTENT_TYPE"], environ["CONTENT_LENGTH"]) == (
        "text/plain; charset=utf-8",
        "2",
    )
    builder.content_type = builder.content_length = None
    assert "Content-Type" not in builder.headers
    assert builder.get_environ()["CONTENT_LENGTH"] == "3"
    builder.mimetype = "text/csv"
    assert builder.content_type == "text/csv"


def test_mimetype_params_read_and_write_the_content_type(app):
    builder = EnvironBuilder(app, "/", content_type="text/plain; charset=latin-1")
    assert builder.mimetype_params == {"charset": "latin-1"}
    params = builder.mimetype_params
    params["format"] = "fixed width"
    del params["charset"]
    assert builder.content_type == 'text/plain; format="fixed width"'
    without = EnvironBuilder(app, "/")
    assert without.mimetype_params == {}
    with pytest.raises(ValueError, match="no content type.*set content_type"):
        without.mimetype_params["charset"] = "utf-8"


def test_json_dumps_uses_the_app_json_provider_with_its_arguments(app):
    builder = EnvironBuilder(app, "/")
    assert builder.json_dumps({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
    assert builder.json_dumps([1, 2], indent=1) == app.json.dumps([1, 2], indent=1)
    assert EnvironBuilder(None, "/").json_dumps({"b": 1, "a": 2}, separators=(",", ":")) == (
        '{"b":1,"a":2}'
    )


# -- EnvironBuilder: URL, protocol and request class -------------------------------


def test_server_name_port_and_base_url(app):
    builder = EnvironBuilder(app, "/", base_url="https://shop.test:8443/app")
    assert (builder.server_name, builder.server_port) == ("shop.test", 8443)
    builder.base_url = "https://other.test/"
    assert (builder.server_name, builder.server_port, builder.script_root) == (
        "other.test",
        443,
        "",
    )
    builder.base_url = None  # back to the app's defaults
    assert builder.base_url == "http://localhost/"
    with pytest.raises(ValueError, match="query string or a fragment"):
        builder.base_url = "http://x.test/?a=1"
    with pytest.raises(ValueError, match="not a URL"):
        builder.base_url = "x.test"


def test_server_protocol_and_wsgi_version(app):
    assert (EnvironBuilder.server_protocol, EnvironBuilder.wsgi_version) == ("HTTP/1.1", (1, 0))
    builder = EnvironBuilder(app, "/", multiprocess=True, run_once=True)
    builder.server_protocol = "HTTP/1.0"
    builder.wsgi_version = (1, 1)
    environ = builder.get_environ()
    assert (environ["SERVER_PROTOCOL"], environ["wsgi.version"]) == ("HTTP/1.0", (1, 1))
    assert (environ["wsgi.multiprocess"], environ["wsgi.run_once"]) == (True, True)
    assert builder.get_scope()["http_version"] == "1.0"
    assert builder.errors_stream is sys.stderr


def test_request_class_is_the_apps_unless_set(app):
    class Special(erlen.Request):
        pass

    builder = EnvironBuilder(app, "/")
    assert builder.request_class is app.request_class
    builder.request_class = Special
    assert type(builder.get_request()) is Special
    assert EnvironBuilder(None, "/").request_class is erlen.Request


# -- EnvironBuilder.from_environ ----------------------------------------------------


def test_from_environ_gives_the_same_request_back(app):
    environ = EnvironBuilder(
        app,
        "/a b/c",
        base_url="https://shop.test:8443/root",
        query_string="q=1",
        method="PUT",
        data="body",
        content_type="text/plain",
        headers={"X-Id": "7"},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    ).get_environ()
    builder = EnvironBuilder.from_environ(environ, app=app)
    assert builder.base_url == "https://shop.test:8443/root/"
    assert (builder.path, builder.query_string, builder.method) == ("/a%20b/c", "q=1", "PUT")
    assert (builder.content_type, builder.headers["X-Id"]) == ("text/plain", "7")
    again = builder.get_environ()
    for key in ("SCRIPT_NAME", "PATH_INFO", "HTTP_HOST", "REMOTE_ADDR", "CONTENT_LENGTH"):
        assert again[key] == environ[key], key
    assert again["wsgi.input"].read() == b"body"


def test_from_environ_arguments_win_over_the_environ(app, client):
    environ = EnvironBuilder(app, "/nowhere", method="POST", data={"a": "1"}).get_environ()
    builder = EnvironBuilder.from_environ(environ, app=app, path="/echo", method="PUT")
    answer = client.open(builder).get_json()
    assert (answer["method"], answer["url"]) == ("PUT", "http://localhost/echo")
    assert answer["form"] == {"a": ["1"]}


# -- the client: Werkzeug's positional arguments -------------------------------------


def test_the_second_positional_argument_is_base_url(client):
    answer = client.get("/echo", "http://example.org/app").get_json()
    assert answer["url"] == "http://example.org/app/echo"
    answer = client.post("/echo", "http://example.org/", None, None, {"q": "1"}).get_json()
    assert (answer["method"], answer["args"]) == ("POST", {"q": ["1"]})


def test_every_method_helper_takes_positional_arguments(client):
    for helper, method in [
        (client.get, "GET"),
        (client.post, "POST"),
        (client.put, "PUT"),
        (client.patch, "PATCH"),
        (client.delete, "DELETE"),
        (client.options, "OPTIONS"),
        (client.trace, "TRACE"),
    ]:
        answer = helper("/echo", "https://h.test/").get_json()
        assert (answer["method"], answer["url"]) == (method, "https://h.test/echo")
    head = client.head("/echo", "https://h.test/")
    assert (head.status_code, head.request.method, head.data) == (200, "HEAD", b"")


def test_open_with_a_method_second_still_works(client):
    assert client.open("/echo", "DELETE").get_json()["method"] == "DELETE"


def test_a_method_given_twice_says_where_base_url_goes(client):
    with pytest.raises(TypeError, match="second position is base_url"):
        client.get("/echo", "POST")
    with pytest.raises(TypeError, match="second position is base_url"):
        client.get("/echo", "localhost")
    with pytest.raises(TypeError, match=r"client.get\(\) sends a GET.*client.open"):
        client.get("/echo", method="POST")


def test_the_client_takes_werkzeugs_positional_arguments(app):
    client = ErlenClient(app, None, False)
    assert client.use_cookies is False
    client = ErlenClient(app, erlen.Response, True, True)
    assert client.allow_subdomain_redirects is True
    with pytest.raises(TypeError, match=r"got 1 more \('extra'\); pass the rest by name"):
        ErlenClient(app, None, True, False, "extra")


# -- the client: resolve_redirect ---------------------------------------------------


def test_resolve_redirect_sends_the_next_request(client):
    first = client.post("/moved/302", data={"a": "1"})
    assert first.status_code == 302
    followed = client.resolve_redirect(first)
    answer = followed.get_json()
    # A 302 turns into a GET without the body; the cookie it set is sent.
    assert (answer["method"], answer["args"], answer["form"]) == ("GET", {"from": ["moved"]}, {})
    assert answer["cookie"] == "yes"
    assert followed.request.path == "/echo"


def test_resolve_redirect_repeats_the_request_on_307(client):
    first = client.post("/moved/307", data={"a": "1"})
    answer = client.resolve_redirect(first, buffered=True).get_json()
    assert (answer["method"], answer["form"]) == ("POST", {"a": ["1"]})


def test_resolve_redirect_of_a_response_without_location_says_so(client):
    with pytest.raises(ValueError, match="200 OK.*no Location header"):
        client.resolve_redirect(client.get("/plain"))


def test_follow_redirects_still_fills_history(client):
    response = client.get("/moved/301", follow_redirects=True)
    assert response.get_json()["args"] == {"from": ["moved"]}
    assert [r.status_code for r in response.history] == [301]


# -- the client: run_wsgi_app --------------------------------------------------------


def test_run_wsgi_app_returns_the_body_status_and_headers(app, client):
    environ = EnvironBuilder(app, "/counter").get_environ()
    body, status, headers = client.run_wsgi_app(environ, buffered=True)
    assert (b"".join(body), status) == (b"count 1", "200 OK")
    assert headers["Content-Type"].startswith("text/html")
    # The cookie it set is kept, and sent by the client's next request (any protocol).
    assert client.get("/counter").text == "count 2"
    body, status, _ = client.run_wsgi_app(EnvironBuilder(app, "/counter").get_environ())
    try:
        assert b"".join(body) == b"count 3"
    finally:
        body.close()


def test_run_wsgi_app_leaves_the_given_environ_alone(app, client):
    client.set_cookie("count", "5")
    environ = EnvironBuilder(app, "/counter").get_environ()
    body, _, _ = client.run_wsgi_app(environ, buffered=True)
    assert b"".join(body) == b"count 6"
    assert "HTTP_COOKIE" not in environ


def test_run_wsgi_app_says_when_the_app_never_starts_a_response(app):
    client = app.test_client()
    client.application = lambda environ, start_response: [b"no status"]
    with pytest.raises(AssertionError, match="without calling start_response"):
        client.run_wsgi_app(EnvironBuilder(app, "/").get_environ(), buffered=True)
