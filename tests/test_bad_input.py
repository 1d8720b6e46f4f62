"""Bad input gets a clear 4xx, saying what was wrong, and nothing else.

Every app here runs with ``PROPAGATE_EXCEPTIONS = False``, so a bug in erlen
shows up as a 500 that the assertions catch instead of a raised exception.
Input the test client cannot express (invalid UTF-8 paths, broken
``Content-Length`` values, truncated bodies) goes to the WSGI app directly in
a hand-built environ.
"""

from __future__ import annotations

import html
import io
import json
import warnings
from urllib.parse import urljoin, urlsplit
from wsgiref.validate import validator

import pytest

from erlen import Erlen, Response, make_response, redirect, request
from erlen.http.converters import BaseConverter
from erlen.testing import build_environ

_TRACEBACK_MARKERS = ("Traceback", 'File "', "Error:", "raise ", "site-packages")


def assert_clear_error(response, status: int, *keywords: str) -> None:
    """Check the status, that the body names the problem, and shows no internals."""
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == status, text
    for keyword in keywords:
        assert keyword in text, f"{keyword!r} not in the {status} page: {text!r}"
    for marker in _TRACEBACK_MARKERS:
        assert marker not in text, f"{marker!r} leaked into the {status} page: {text!r}"


def call_wsgi(app: Erlen, environ: dict, validate: bool = True) -> Response:
    """Call the WSGI app with ``environ``; return what it sent as a Response.

    ``validate`` wraps the app in wsgiref's validator, which itself refuses
    some of the broken input tested here (a non-numeric ``CONTENT_LENGTH``).
    """
    captured: dict = {}

    def start_response(status, headers, exc_info=None):
        captured["status"] = status
        captured["headers"] = headers
        return lambda data: None

    application = validator(app) if validate else app
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        body_iter = application(environ, start_response)
    try:
        body = b"".join(body_iter)
    finally:
        close = getattr(body_iter, "close", None)
        if close is not None:
            close()
    response = Response(body, captured["status"], captured["headers"])
    return response


def environ_for(app: Erlen, path: str = "/", method: str = "GET", **kwargs) -> dict:
    return build_environ(app, path, method=method, **kwargs)


@pytest.fixture
def app() -> Erlen:
    app = Erlen("bad_input_app")
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/args")
    def args():
        return {key: args_list for key, args_list in request.args.lists()}

    @app.route("/cookies")
    def cookies():
        return {"cookies": request.cookies.to_dict(), "host": "__Host-x" in request.cookies}

    @app.route("/headers")
    def headers():
        return {"count": len(list(request.headers.items()))}

    @app.post("/form")
    def form():
        return {key: values for key, values in request.form.lists()}

    @app.post("/files")
    def files():
        return {
            "form": {key: values for key, values in request.form.lists()},
            "files": sorted(request.files),
        }

    @app.post("/data")
    def data():
        return {"length": len(request.data)}

    @app.post("/json")
    def json_view():
        return {"value": request.json}

    @app.post("/json-type")
    def json_type():
        return {"type": type(request.json).__name__}

    @app.post("/json-silent")
    def json_silent():
        return {"value": request.get_json(silent=True)}

    @app.route("/name/<name>")
    def name(name):
        return name

    return app


# -- query strings -------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a=%zz&b=%", {"a": ["%zz"], "b": ["%"]}),
        ("=&&=x", {"": ["", "x"]}),
        ("a=%ff", {"a": ["\ufffd"]}),
        ("a=%C3", {"a": ["\ufffd"]}),
        ("a=%C3%A9%ff", {"a": ["é\ufffd"]}),
        ("%ff=1", {"\ufffd": ["1"]}),
        ("a=%%%", {"a": ["%%%"]}),
        ("a=%2", {"a": ["%2"]}),
        ("&&&", {}),
        ("a==b", {"a": ["=b"]}),
        ("a=%00", {"a": ["\x00"]}),
        ("a+b=c+d", {"a b": ["c d"]}),
    ],
)
def test_malformed_query_string_is_not_an_error(client, query, expected):
    response = client.get("/args", query_string=query)
    assert response.status_code == 200
    assert response.json == expected


def test_raw_non_utf8_query_string_becomes_replacement_characters(app):
    environ = environ_for(app, "/args")
    environ["QUERY_STRING"] = "a=\xff\xfe&b=ok"  # latin-1 decoded bytes, as PEP 3333 says
    response = call_wsgi(app, environ)
    assert response.status_code == 200
    assert response.json == {"a": ["\ufffd\ufffd"], "b": ["ok"]}


@pytest.mark.parametrize("limit", [None, 10])
def test_too_many_query_parameters(app, client, limit):
    if limit is not None:
        app.config["MAX_FORM_PARTS"] = limit
    count = (limit or 1000) + 1
    response = client.get("/args", query_string="&".join(f"k{i}=v" for i in range(count)))
    assert_clear_error(response, 413, "MAX_FORM_PARTS", "query string")


def test_query_parameters_at_the_limit_are_fine(app, client):
    app.config["MAX_FORM_PARTS"] = 10
    response = client.get("/args", query_string="&".join(f"k{i}=v" for i in range(10)) + "&&")
    assert response.status_code == 200
    assert len(response.json) == 10


# -- cookies and headers -------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "=__Host-x=1",
        " =__Host-x=1",
        '"__Host-x"=1',
        "'__Host-x'=1",
        "__Host-x",
        "a=b; =__Host-x=evil",
        'a=b; "__Host-x"=evil',
        "__Host x=1",
    ],
)
def test_malformed_cookie_name_does_not_pose_as_a_host_cookie(client, header):
    response = client.get("/cookies", headers={"Cookie": header})
    assert response.status_code == 200
    assert response.json["host"] is False
    assert "__Host-x" not in response.json["cookies"]


def test_non_utf8_cookie_value_becomes_replacement_characters(app):
    environ = environ_for(app, "/cookies")
    environ["HTTP_COOKIE"] = "a=\xff\xfe; b=ok"
    response = call_wsgi(app, environ)
    assert response.status_code == 200
    assert response.json["cookies"] == {"a": "\ufffd\ufffd", "b": "ok"}


def test_oversized_cookie_header(client):
    response = client.get("/cookies", headers={"Cookie": "a=" + "x" * 9000})
    assert_clear_error(response, 431, "Cookie", "MAX_REQUEST_HEADER_SIZE")


def test_oversized_cookie_header_with_a_lower_limit(app, client):
    app.config["MAX_REQUEST_HEADER_SIZE"] = 100
    assert client.get("/cookies", headers={"Cookie": "a=" + "x" * 90}).status_code == 200
    response = client.get("/cookies", headers={"Cookie": "a=" + "x" * 200})
    assert_clear_error(response, 431, "Cookie", "MAX_REQUEST_HEADER_SIZE")


def test_oversized_header(client):
    response = client.get("/headers", headers={"X-Big": "x" * 9000})
    assert_clear_error(response, 431, "X-Big", "MAX_REQUEST_HEADER_SIZE")


def test_oversized_header_on_an_error_page(client):
    # The view never reads the headers, but the error page looks at Accept.
    response = client.get("/nowhere", headers={"X-Big": "x" * 9000})
    assert response.status_code in (404, 431)
    assert_clear_error(response, response.status_code)


@pytest.mark.parametrize("limit", [None, 5])
def test_too_many_headers(app, client, limit):
    if limit is not None:
        app.config["MAX_REQUEST_HEADERS"] = limit
    count = (limit or 100) + 1
    response = client.get("/headers", headers=[(f"X-H{i}", "1") for i in range(count)])
    assert_clear_error(response, 431, "headers", "MAX_REQUEST_HEADERS")


# -- the path ------------------------------------------------------------


class _EverythingConverter(BaseConverter):
    """Matches any text, leading slashes included (the worst case for redirects)."""

    regex = ".*"
    weight = 300
    converts = False


@pytest.fixture
def slash_app() -> Erlen:
    app = Erlen("slash_app")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.url_map.converters["everything"] = _EverythingConverter

    @app.route("/<path:p>/")
    def by_path(p):
        return f"path {p}"

    @app.route("/<a>/")
    def by_segment(a):
        return f"segment {a}"

    @app.route("/<string(minlength=0):a>/<b>/")
    def by_two_segments(a, b):
        return f"two {a} {b}"

    @app.route("/<everything:p>/")
    def by_anything(p):
        return f"anything {p}"

    return app


@pytest.mark.parametrize(
    "path_info",
    [
        "//evil.example",
        "///evil.example",
        "//evil.example/x",
        "/\\evil.example",
        "/\\\\evil.example",
        "/\\/evil.example",
        "//\\evil.example",
        "/%2F%2Fevil.example",  # a server that does not decode %2F
        "/%5Cevil.example",
        "/\t/evil.example",
        "/ //evil.example",
        "/..//evil.example",
    ],
)
@pytest.mark.parametrize("script_name", ["", "/", "/mnt"])
def test_slash_redirect_stays_on_site(slash_app, path_info, script_name):
    environ = environ_for(slash_app, "/")
    environ["PATH_INFO"] = path_info
    environ["SCRIPT_NAME"] = script_name
    environ["QUERY_STRING"] = "next=//evil.example"
    # PEP 3333 wants "" rather than "/", but servers do send "/".
    response = call_wsgi(slash_app, environ, validate=script_name != "/")
    assert response.status_code == 308
    location = response.headers["Location"]
    assert location.startswith("/")
    assert not location.startswith(("//", "/\\"))
    # Browsers read a backslash as a slash and drop tabs and newlines.
    normalised = location.replace("\\", "/").replace("\t", "").replace("\n", "")
    assert not normalised.startswith("//")
    assert urlsplit(normalised).netloc == ""
    assert location.startswith(script_name.rstrip("/") + "/")
    assert location.endswith("/?next=//evil.example")


def test_slash_redirect_through_the_client_stays_on_site(slash_app):
    client = slash_app.test_client()
    response = client.get("/\\evil.example", follow_redirects=True)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [308]
    assert response.history[0].headers["Location"] == "/%5Cevil.example/"
    assert response.text == "segment \\evil.example"


@pytest.mark.parametrize("path_info", ["/\xff\xfe", "/name/\xff", "/name/caf\xe9", "/\xc3"])
def test_non_utf8_path(app, path_info):
    environ = environ_for(app, "/")
    environ["PATH_INFO"] = path_info
    response = call_wsgi(app, environ)
    assert_clear_error(response, 400, "UTF-8")


def test_utf8_path_is_fine(app):
    environ = environ_for(app, "/")
    environ["PATH_INFO"] = "/name/caf\xc3\xa9"
    response = call_wsgi(app, environ)
    assert response.status_code == 200
    assert response.text == "café"


# -- methods -------------------------------------------------------------


@pytest.mark.parametrize("method", ["BREW", "PROPFIND", "M-SEARCH", "PUT", "DELETE"])
def test_unknown_or_unrouted_method(app, method):
    # Not the validating client: wsgiref's validator warns on unknown methods.
    response = app.test_client().open("/name/x", method)
    assert_clear_error(response, 405, "not allowed")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_not_found(client):
    assert_clear_error(client.get("/nowhere"), 404, "not found")


# -- bodies: encodings ---------------------------------------------------


def test_non_utf8_urlencoded_form_becomes_replacement_characters(client):
    response = client.post(
        "/form",
        data=b"a=\xff\xfe&b=%ff&c=%C3%A9",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response.json == {"a": ["\ufffd\ufffd"], "b": ["\ufffd"], "c": ["é"]}


def test_non_utf8_multipart_field_becomes_replacement_characters(client):
    body = b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\xfeok\r\n--B--\r\n'
    response = client.post("/form", data=body, content_type="multipart/form-data; boundary=B")
    assert response.status_code == 200
    assert response.json == {"a": ["\ufffd\ufffdok"]}


@pytest.mark.parametrize(
    "body",
    [
        b"{bad",
        b"",
        b"   ",
        b"[" * 100_000,
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a": 1,}',
        b'{"a": "\xff\xfe"}',
        b"\xff\xfe{}",
        b'{"a": 1} trailing',
        b"undefined",
    ],
    ids=[
        "unclosed",
        "empty",
        "blank",
        "deep-unclosed",
        "deep-closed",
        "trailing-comma",
        "bad-utf8-string",
        "bad-utf8-start",
        "trailing-data",
        "undefined",
    ],
)
def test_invalid_json(client, body):
    response = client.post("/json-type", data=body, content_type="application/json")
    assert_clear_error(response, 400, "Failed to decode JSON")
    silent = client.post("/json-silent", data=body, content_type="application/json")
    assert silent.status_code == 200
    assert silent.json == {"value": None}


@pytest.mark.parametrize(
    "body", [b'"\\ud800"', b'{"\\udfff": 1}', b'["a\\ud83d"]'], ids=["alone", "key", "half"]
)
def test_json_with_a_lone_surrogate_is_never_a_500(client, body):
    # JSON may escape a lone UTF-16 surrogate; no UTF-8 text can hold one.
    # Refusing it (400) or answering with valid UTF-8 are both fine.
    response = client.post("/json", data=body, content_type="application/json")
    if response.status_code == 400:
        assert_clear_error(response, 400, "Failed to decode JSON")
    else:
        assert response.status_code == 200, response.text
        json.loads(response.data.decode("utf-8"))


def test_invalid_json_error_as_json(client):
    response = client.post(
        "/json",
        data=b"{bad",
        content_type="application/json",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["code"] == 400
    assert "Failed to decode JSON" in response.json["description"]
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx", "json"],
)
def test_json_with_wrong_content_type(client, content_type):
    response = client.post("/json", data=b'{"a": 1}', content_type=content_type)
    assert_clear_error(response, 415, "Content-Type", "application/json")
    silent = client.post("/json-silent", data=b'{"a": 1}', content_type=content_type)
    assert silent.status_code == 200
    assert silent.json == {"value": None}


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/vnd.api+json"],
)
def test_json_content_types_accepted(client, content_type):
    response = client.post("/json", data=b'{"a": 1}', content_type=content_type)
    assert response.status_code == 200
    assert response.json == {"value": {"a": 1}}


# -- bodies: Content-Length ----------------------------------------------


@pytest.mark.parametrize("view", ["/form", "/data", "/json"])
@pytest.mark.parametrize(
    "length",
    ["abc", "-1", "1e3", "+5", "0x10", "1 2", "1,2", "5.0", "\u0661\u0662", "NaN"],
)
def test_invalid_content_length(app, view, length):
    environ = environ_for(
        app,
        view,
        "POST",
        data=b'{"a": 1}' if view == "/json" else b"a=1",
        content_type="application/json" if view == "/json" else None,
    )
    environ["CONTENT_LENGTH"] = length
    if view == "/form":
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
    response = call_wsgi(app, environ, validate=False)
    assert_clear_error(response, 400, "Content-Length", "whole number")


@pytest.mark.parametrize("view", ["/form", "/data"])
def test_huge_content_length(app, view):
    environ = environ_for(
        app, view, "POST", data=b"a=1", content_type="application/x-www-form-urlencoded"
    )
    environ["CONTENT_LENGTH"] = "99999999999999999999999"
    response = call_wsgi(app, environ)
    # A syntactically valid length this large is too large (413) or, for
    # implementations that cap the digits, invalid (400): never a 500.
    assert response.status_code in (400, 413)
    keyword = "Content-Length" if response.status_code == 400 else "MAX_CONTENT_LENGTH"
    assert_clear_error(response, response.status_code, keyword)


@pytest.mark.parametrize("view", ["/form", "/data"])
def test_content_length_over_the_limit(app, view):
    app.config["MAX_CONTENT_LENGTH"] = 100
    environ = environ_for(
        app, view, "POST", data=b"a=1", content_type="application/x-www-form-urlencoded"
    )
    environ["CONTENT_LENGTH"] = "101"
    response = call_wsgi(app, environ)
    assert_clear_error(response, 413, "MAX_CONTENT_LENGTH", "101")


def test_content_length_surrounded_by_whitespace_is_accepted(app):
    environ = environ_for(
        app, "/form", "POST", data=b"a=1", content_type="application/x-www-form-urlencoded"
    )
    environ["CONTENT_LENGTH"] = " 3 "
    response = call_wsgi(app, environ)
    assert response.status_code == 200
    assert response.json == {"a": ["1"]}


@pytest.mark.parametrize(
    ("view", "content_type"),
    [
        ("/form", "application/x-www-form-urlencoded"),
        ("/files", "multipart/form-data; boundary=B"),
        ("/data", "application/octet-stream"),
        ("/json", "application/json"),
    ],
)
def test_body_shorter_than_its_content_length(app, view, content_type):
    environ = environ_for(app, view, "POST", data=b"", content_type=content_type)
    environ["wsgi.input"] = io.BytesIO(b"--B\r\n" if "multipart" in content_type else b"a=1")
    environ["CONTENT_LENGTH"] = "50"
    response = call_wsgi(app, environ)
    assert_clear_error(response, 400, "Content-Length", "50")


# -- bodies: size limits -------------------------------------------------


@pytest.mark.parametrize(
    ("view", "content_type"),
    [
        ("/form", "application/x-www-form-urlencoded"),
        ("/files", "multipart/form-data; boundary=B"),
        ("/data", "application/octet-stream"),
        ("/json", "application/json"),
    ],
)
@pytest.mark.parametrize("framing", ["content-length", "terminated"])
def test_body_over_max_content_length(app, view, content_type, framing):
    app.config["MAX_CONTENT_LENGTH"] = 100
    body = b"a=" + b"x" * 200
    environ = environ_for(app, view, "POST", data=body, content_type=content_type)
    if framing == "terminated":
        # A chunked upload: no length; the server ends the stream.
        del environ["CONTENT_LENGTH"]
        environ["wsgi.input_terminated"] = True
    response = call_wsgi(app, environ)
    assert_clear_error(response, 413, "MAX_CONTENT_LENGTH", "100")


def test_terminated_body_within_the_limit_is_read(app):
    app.config["MAX_CONTENT_LENGTH"] = 100
    environ = environ_for(app, "/data", "POST", data=b"x" * 100)
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    response = call_wsgi(app, environ)
    assert response.status_code == 200
    assert response.json == {"length": 100}


def test_body_without_length_or_termination_is_not_read(app):
    # PEP 3333: with neither, the app must not read past what it was told.
    environ = environ_for(app, "/data", "POST", data=b"x" * 10)
    del environ["CONTENT_LENGTH"]
    response = call_wsgi(app, environ)
    assert response.status_code == 200
    assert response.json == {"length": 0}


def test_urlencoded_form_over_max_form_memory_size(app, client):
    app.config["MAX_FORM_MEMORY_SIZE"] = 50
    response = client.post("/form", data={"a": "x" * 100})
    assert_clear_error(response, 413, "MAX_FORM_MEMORY_SIZE")


def test_urlencoded_form_with_too_many_fields(app, client):
    app.config["MAX_FORM_PARTS"] = 5
    response = client.post("/form", data={f"k{i}": "v" for i in range(6)})
    assert_clear_error(response, 413, "MAX_FORM_PARTS")


# -- multipart -----------------------------------------------------------


def _multipart(*parts: bytes, boundary: bytes = b"B", end: bool = True) -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return body + (b"--" + boundary + b"--\r\n" if end else b"")


_FIELD = b'Content-Disposition: form-data; name="a"\r\n\r\nvalue'


@pytest.mark.parametrize(
    ("content_type", "body", "keywords"),
    [
        ("multipart/form-data", _multipart(_FIELD), ["boundary"]),
        ("multipart/form-data; boundary=", _multipart(_FIELD), ["boundary"]),
        ("multipart/form-data; boundary=" + "b" * 71, b"x", ["boundary", "70"]),
        ('multipart/form-data; boundary="B "', _multipart(_FIELD), ["boundary"]),
        ("multipart/form-data; boundary=B", _multipart(_FIELD, end=False), ["closing boundary"]),
        ("multipart/form-data; boundary=B", b"garbage without any boundary", ["multipart"]),
        (
            "multipart/form-data; boundary=B",
            b"--B\r\nno colon here\r\n\r\nx\r\n--B--\r\n",
            ["multipart"],
        ),
        (
            "multipart/form-data; boundary=B",
            _multipart(b"X-Other: 1\r\n\r\nvalue"),
            ["Content-Disposition"],
        ),
        (
            "multipart/form-data; boundary=B",
            _multipart(b"Content-Disposition: attachment\r\n\r\nvalue"),
            ["Content-Disposition", "form-data"],
        ),
    ],
    ids=[
        "no-boundary",
        "empty-boundary",
        "long-boundary",
        "trailing-space-boundary",
        "no-closing-boundary",
        "garbage",
        "broken-header",
        "no-disposition",
        "not-form-data",
    ],
)
def test_malformed_multipart(client, content_type, body, keywords):
    response = client.post("/files", data=body, content_type=content_type)
    assert_clear_error(response, 400, *keywords)


def test_multipart_with_too_many_parts(app, client):
    app.config["MAX_FORM_PARTS"] = 3
    body = _multipart(
        *[b'Content-Disposition: form-data; name="f%d"\r\n\r\nv' % i for i in range(4)]
    )
    response = client.post("/files", data=body, content_type="multipart/form-data; boundary=B")
    assert_clear_error(response, 413, "MAX_FORM_PARTS", "3")


def test_multipart_files_count_as_parts(app, client):
    app.config["MAX_FORM_PARTS"] = 2
    data = {"a": "1", "f": (io.BytesIO(b"x"), "a.txt"), "g": (io.BytesIO(b"y"), "b.txt")}
    response = client.post("/files", data=data)
    assert_clear_error(response, 413, "MAX_FORM_PARTS")


def test_multipart_part_header_too_large(app, client):
    app.config["MAX_FORM_PART_HEADER_SIZE"] = 200
    part = b'Content-Disposition: form-data; name="a"\r\nX-Pad: ' + b"p" * 300 + b"\r\n\r\nv"
    response = client.post(
        "/files", data=_multipart(part), content_type="multipart/form-data; boundary=B"
    )
    assert_clear_error(response, 413, "MAX_FORM_PART_HEADER_SIZE")


def test_multipart_fields_over_max_form_memory_size(app, client):
    app.config["MAX_FORM_MEMORY_SIZE"] = 50
    part = b'Content-Disposition: form-data; name="a"\r\n\r\n' + b"x" * 100
    response = client.post(
        "/files", data=_multipart(part), content_type="multipart/form-data; boundary=B"
    )
    assert_clear_error(response, 413, "MAX_FORM_MEMORY_SIZE")


def test_multipart_files_do_not_count_toward_max_form_memory_size(app, client):
    app.config["MAX_FORM_MEMORY_SIZE"] = 50
    response = client.post("/files", data={"f": (io.BytesIO(b"x" * 1000), "big.bin")})
    assert response.status_code == 200
    assert response.json == {"form": {}, "files": ["f"]}


# -- missing keys --------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "source"),
    [
        ("form", "request.form"),
        ("args", "request.args"),
        ("files", "request.files"),
        ("cookies", "request.cookies"),
    ],
)
def test_missing_key_names_the_key(app, client, where, source):
    @app.route("/missing", methods=["GET", "POST"])
    def missing():
        return getattr(request, where)["missing_key"]

    response = client.post("/missing", data={"other": "1"})
    assert_clear_error(response, 400, "'missing_key'", source, ".get(")


# -- header injection from the app ---------------------------------------


def _set_header_on_response():
    response = Response("x")
    response.headers["X-Injected"] = "a\r\nSet-Cookie: x=1"
    return response


def _add_header_on_response():
    response = Response("x")
    response.headers.add("X-Injected", "a\nSet-Cookie: x=1")
    return response


def _redirect_with_newline():
    return redirect("/a\r\nSet-Cookie: x=1")


def _make_response_tuple():
    return make_response(("x", 200, {"X-Injected": "a\nSet-Cookie: x=1"}))


def _returned_tuple():
    return "x", 200, {"X-Injected": "a\x00Set-Cookie: x=1"}


def _returned_header_list():
    return "x", [("X-Injected", "a\rSet-Cookie: x=1")]


def _response_constructor():
    return Response("x", headers={"X-Injected": "a\r\nSet-Cookie: x=1"})


def _content_type():
    return Response("x", content_type="text/plain\r\nSet-Cookie: x=1")


def _location_setter():
    response = Response("x", 302)
    response.location = "/a\r\nSet-Cookie: x=1"
    return response


def _header_name_with_colon():
    response = Response("x")
    response.headers["Set-Cookie: x=1\r\nX"] = "1"
    return response


def _cookie_path():
    response = Response("x")
    response.set_cookie("a", "b", path="/\r\nSet-Cookie: x=1")
    return response


_INJECTIONS = [
    _set_header_on_response,
    _add_header_on_response,
    _redirect_with_newline,
    _make_response_tuple,
    _returned_tuple,
    _returned_header_list,
    _response_constructor,
    _content_type,
    _location_setter,
    _header_name_with_colon,
    _cookie_path,
]


@pytest.mark.parametrize("view", _INJECTIONS, ids=lambda f: f.__name__.strip("_"))
def test_header_injection_raises_for_the_developer(view):
    app = Erlen("injection_app")
    app.config["TESTING"] = True
    app.add_url_rule("/", "view", view)
    with pytest.raises(ValueError, match="(?i)newline|header name|control character"):
        app.test_client().get("/")


@pytest.mark.parametrize("view", _INJECTIONS, ids=lambda f: f.__name__.strip("_"))
def test_header_injection_is_a_plain_500_for_the_client(app, client, view):
    app.add_url_rule("/inject", "inject", view)
    response = client.get("/inject")
    assert_clear_error(response, 500, "Internal Server Error")
    assert "Set-Cookie" not in response.headers
    assert "X-Injected" not in response.headers
    for name, value in response.headers.items():
        assert not any(c in name + value for c in "\r\n\x00")
    assert "x=1" not in response.text


# Ways a view sets a header value; each takes the value.
_HEADER_SETTERS = {
    "item": lambda v: _with(lambda r: r.headers.__setitem__("X-Value", v)),
    "set": lambda v: _with(lambda r: r.headers.set("X-Value", v)),
    "add": lambda v: _with(lambda r: r.headers.add("X-Value", v)),
    "location": lambda v: _with(lambda r: setattr(r, "location", v)),
    "tuple-dict": lambda v: ("x", 200, {"X-Value": v}),
    "tuple-list": lambda v: ("x", [("X-Value", v)]),
    "make-response": lambda v: make_response(("x", 200, {"X-Value": v})),
    "constructor": lambda v: Response("x", headers={"X-Value": v}),
}
# RFC 9110 §5.5: no whitespace at either end, no control character but the tab.
_BAD_VALUES = {
    "leading-tab": ("\t//evil.example", "starts with whitespace"),
    "leading-space": (" /evil.example", "starts with whitespace"),
    "trailing-space": ("/a ", "ends with whitespace"),
    "trailing-tab": ("a\t", "ends with whitespace"),
    "control": ("a\x01b", "control character"),
    "delete": ("a\x7fb", "control character"),
}


def _with(change):
    response = Response("x")
    change(response)
    return response


@pytest.mark.parametrize("setter", _HEADER_SETTERS)
@pytest.mark.parametrize("value", _BAD_VALUES)
def test_header_value_with_whitespace_at_an_end_raises_for_the_developer(setter, value):
    text, message = _BAD_VALUES[value]
    app = Erlen("whitespace_app")
    app.config["TESTING"] = True
    app.add_url_rule("/", "view", lambda: _HEADER_SETTERS[setter](text))
    with pytest.raises(ValueError, match=message) as info:
        app.test_client().get("/")
    assert "X-Value" in str(info.value) or "Location" in str(info.value)


@pytest.mark.parametrize("setter", ["item", "location", "tuple-dict"])
def test_header_value_with_whitespace_is_a_plain_500_for_the_client(app, client, setter):
    app.add_url_rule("/ws", "ws", lambda: _HEADER_SETTERS[setter](request.args["v"]))
    assert client.get("/ws", query_string={"v": "/here"}).status_code == 200
    response = client.get("/ws", query_string={"v": "\t//evil.example"})
    assert_clear_error(response, 500, "Internal Server Error")
    assert "X-Value" not in response.headers
    assert "Location" not in response.headers


def test_header_value_inner_whitespace_is_kept(app, client):
    app.add_url_rule("/ws", "ws", lambda: _HEADER_SETTERS["item"]("a  b"))
    assert client.get("/ws").headers["X-Value"] == "a  b"
    response = Response()
    response.headers["X-Value"] = "a\tb"  # RFC 9110 allows a tab inside (not PEP 3333)
    assert response.headers["X-Value"] == "a\tb"


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("\t//evil.example", "%09//evil.example"),
        (" //evil.example", "%20//evil.example"),
        ("/here\t", "/here%09"),
        ("/a\x0b/b", "/a%0B/b"),
    ],
)
def test_redirect_encodes_whitespace_so_it_stays_on_the_site(app, client, target, location):
    app.add_url_rule("/go", "go", lambda: redirect(request.args["next"]))
    response = client.get("/go", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == location
    # What a browser does with it: a path on this site, not //evil.example.
    resolved = urljoin("http://localhost/go", response.headers["Location"].strip(" \t"))
    assert urlsplit(resolved).netloc == "localhost"


def test_header_injection_in_after_request_hook(app, client):
    @app.after_request
    def add_header(response):
        response.headers["X-Injected"] = request.args.get("v", "")
        return response

    assert client.get("/name/a", query_string={"v": "ok"}).headers["X-Injected"] == "ok"
    response = client.get("/name/a", query_string={"v": "a\r\nSet-Cookie: x=1"})
    assert_clear_error(response, 500, "Internal Server Error")
    assert "Set-Cookie" not in response.headers


def test_status_line_cannot_inject_headers(app, client):
    @app.route("/status")
    def status():
        response = Response("x")
        response.status = "200 OK\r\nSet-Cookie: x=1"
        return response

    response = client.get("/status")
    assert response.status == "200 OK"
    assert "Set-Cookie" not in response.headers


# -- anything at all: never a 500 ----------------------------------------


@pytest.fixture
def greedy_app() -> Erlen:
    """A view that reads every part of the request."""
    app = Erlen("greedy_app")
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/<path:anything>", methods=["GET", "POST", "PUT"])
    def everything(anything):
        files = {key: storage.read().decode("latin-1") for key, storage in request.files.items()}
        return {
            "path": anything,
            "args": request.args.to_dict(),
            "form": request.form.to_dict(),
            "files": files,
            "cookies": request.cookies.to_dict(),
            "json": request.get_json(silent=True),
            "headers": dict(request.headers.items()),
            "url": request.url,
            "accept": str(request.accept_mimetypes.best_match(["text/html", "application/json"])),
        }

    return app


@pytest.mark.parametrize(
    "changes",
    [
        {"QUERY_STRING": "%%%%&&==%ff%fe\xff"},
        {"HTTP_COOKIE": ';;;===;"";\xff=\xfe; a="\\'},
        {"HTTP_ACCEPT": ";q=;;,,*/*;q=abc, text/html;q=2, \xff"},
        {"HTTP_HOST": "\xff\xfe:99999"},
        {"CONTENT_TYPE": ";;;", "CONTENT_LENGTH": "3", "wsgi.input": io.BytesIO(b"a=1")},
        {
            "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=nonexistent",
            "CONTENT_LENGTH": "5",
            "wsgi.input": io.BytesIO(b"a=%ff"),
        },
        {
            "CONTENT_TYPE": 'multipart/form-data; boundary="unterminated',
            "CONTENT_LENGTH": "3",
            "wsgi.input": io.BytesIO(b"abc"),
        },
        {
            "CONTENT_TYPE": "multipart/form-data; boundary=B; charset=nonexistent",
            "CONTENT_LENGTH": str(len(_multipart(_FIELD))),
            "wsgi.input": io.BytesIO(_multipart(_FIELD)),
        },
        {
            "CONTENT_TYPE": "application/json; charset=latin-1",
            "CONTENT_LENGTH": "6",
            "wsgi.input": io.BytesIO(b'"\xff\xfe"'),
        },
        {"SCRIPT_NAME": "/\xff\xfe"},
        {"HTTP_X_WEIRD": "\x00\x01\x7f\xff"},
    ],
    ids=[
        "query",
        "cookie",
        "accept",
        "host",
        "content-type",
        "form-charset",
        "multipart-quote",
        "multipart-charset",
        "json-charset",
        "script-name",
        "control-chars",
    ],
)
def test_hostile_environ_is_never_a_500(greedy_app, changes):
    environ = environ_for(greedy_app, "/x", "POST")
    environ.update(changes)
    response = call_wsgi(greedy_app, environ)
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code == 200:
        json.dumps(response.json)  # the values are plain str, never surrogates
        json.dumps(response.json).encode("utf-8")
    else:
        assert_clear_error(response, response.status_code)


class _BrokenInput:
    """A server's ``wsgi.input`` that raises its own error, as gunicorn's does
    for a chunk size that is not hex (``InvalidChunkSize``)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def read(self, size: int = -1) -> bytes:
        raise self.error


@pytest.mark.parametrize("length", [None, "5"])
@pytest.mark.parametrize("error", [ValueError("Invalid chunk size: 'zz'"), OSError("No more data")])
@pytest.mark.parametrize("reader", ["get_data", "form", "stream"])
def test_an_error_from_the_servers_body_stream_is_a_400(length, error, reader):
    from erlen.testing import build_environ

    app = Erlen(__name__)

    @app.post("/")
    def index():
        if reader == "get_data":
            request.get_data()
        elif reader == "form":
            request.form.get("a")
        else:
            request.stream.read()
        return "read"

    environ = build_environ(
        app, "/", method="POST", content_type="application/x-www-form-urlencoded"
    )
    environ.pop("CONTENT_LENGTH", None)
    if length is not None:
        environ["CONTENT_LENGTH"] = length
    environ["wsgi.input"] = _BrokenInput(error)
    environ["wsgi.input_terminated"] = True
    chunks: list[bytes] = []
    statuses: list[str] = []
    body = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    chunks.extend(body)
    assert statuses == ["400 Bad Request"]
    page = b"".join(chunks).decode()
    assert "could not be read" in page and type(error).__name__ in page


def test_a_runtime_error_from_the_body_stream_is_not_taken_for_bad_input():
    # erlen's own "read it asynchronously" errors are RuntimeErrors for the
    # developer: they must stay 500s with their message, not become a 400.
    from erlen.testing import build_environ

    app = Erlen(__name__)

    @app.post("/")
    def index():
        request.get_data()
        return "read"

    environ = build_environ(app, "/", method="POST", data=b"abc")
    environ["wsgi.input"] = _BrokenInput(RuntimeError("read it with async for"))
    statuses: list[str] = []
    b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    assert statuses == ["500 Internal Server Error"]
