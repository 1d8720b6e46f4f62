"""Response attributes that read and write headers, through WSGI and ASGI."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta, timezone

import pytest

from erlen import Response, request
from erlen.exceptions import RangeNotSatisfiable
from erlen.http.auth import WWWAuthenticate

WHEN = datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)
WHEN_TEXT = "Wed, 21 Oct 2015 07:28:00 GMT"


def test_header_sets(app, client):
    @app.get("/sets")
    def sets():
        response = Response("x")
        response.allow = {"POST", "GET"}  # a set: sorted, the same on every run
        response.allow.add("put")
        response.allow.add("GET")  # already there, in another case
        response.vary = ["Accept", "Cookie"]
        response.vary.add("Origin")
        response.vary.discard("cookie")
        response.content_language = ("en", "de")
        response.access_control_allow_methods = ["GET"]
        response.access_control_allow_headers = "X-A, X-B"
        response.access_control_expose_headers = ["X-Total"]
        return response

    response = client.get("/sets")
    assert response.headers["Allow"] == "GET, POST, put"
    assert response.headers["Vary"] == "Accept, Origin"
    assert response.headers["Content-Language"] == "en, de"
    assert response.headers["Access-Control-Allow-Methods"] == "GET"
    assert response.headers["Access-Control-Allow-Headers"] == "X-A, X-B"
    assert response.headers["Access-Control-Expose-Headers"] == "X-Total"
    assert "post" in response.allow and "DELETE" not in response.allow
    assert list(response.vary) == ["Accept", "Origin"]


def test_header_sets_read_every_line_and_clear():
    response = Response("x", headers=[("Vary", "Accept"), ("Vary", "Cookie")])
    assert list(response.vary) == ["Accept", "Cookie"]
    response.vary.add("Origin")
    assert response.headers.getlist("Vary") == ["Accept, Cookie, Origin"]
    response.vary.clear()
    assert "Vary" not in response.headers
    response.allow = ["GET"]
    response.allow = None
    assert "Allow" not in response.headers
    response.allow = []
    assert "Allow" not in response.headers and not response.allow


def test_cache_control(app, client):
    @app.get("/cached")
    def cached():
        response = Response("x")
        response.cache_control.max_age = 3600
        response.cache_control.public = True
        response.cache_control.immutable = True
        return response

    @app.get("/private")
    def private():
        response = Response("x", headers={"Cache-Control": "public, max-age=60"})
        control = response.cache_control
        control.public = False
        control.private = True
        control.no_cache = "Set-Cookie"
        control.max_age = None
        return response

    response = client.get("/cached")
    assert response.headers["Cache-Control"] == "max-age=3600, public, immutable"
    assert response.cache_control.max_age == 3600
    assert response.cache_control.public is True
    assert client.get("/private").headers["Cache-Control"] == "private, no-cache=Set-Cookie"


def test_emptied_cache_control_removes_the_header():
    response = Response("x", headers={"Cache-Control": "no-store"})
    response.cache_control.no_store = False
    assert "Cache-Control" not in response.headers
    assert response.cache_control.max_age is None


def test_cache_control_refuses_what_is_not_seconds():
    response = Response("x")
    with pytest.raises(ValueError, match="whole number of seconds"):
        response.cache_control.max_age = "soon"
    assert "Cache-Control" not in response.headers


def test_text_and_date_headers(app, client):
    @app.get("/meta")
    def meta():
        response = Response("x")
        response.location = "/elsewhere"
        response.content_location = "/x.en"
        response.content_encoding = "identity"
        response.content_md5 = "Q2hlY2sgSW50ZWdyaXR5IQ=="
        response.accept_ranges = "bytes"
        response.expires = WHEN
        response.last_modified = WHEN.timestamp()
        response.date = WHEN
        response.age = timedelta(seconds=30)
        response.retry_after = 120
        response.access_control_allow_origin = "*"
        response.access_control_allow_credentials = True
        response.access_control_max_age = 600
        return response

    response = client.get("/meta")
    headers = response.headers
    assert headers["Location"] == "/elsewhere"
    assert headers["Content-Location"] == "/x.en"
    assert headers["Content-Encoding"] == "identity"
    assert headers["Content-MD5"] == "Q2hlY2sgSW50ZWdyaXR5IQ=="
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Expires"] == headers["Last-Modified"] == WHEN_TEXT
    assert headers["Age"] == "30" and headers["Retry-After"] == "120"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert headers["Access-Control-Max-Age"] == "600"
    assert response.expires == response.last_modified == WHEN
    assert response.age == timedelta(seconds=30)
    assert response.access_control_allow_credentials is True
    assert response.access_control_max_age == 600
    assert response.retry_after is not None and response.retry_after > WHEN


def test_dates_and_seconds_when_absent_or_malformed():
    response = Response("x")
    assert (response.expires, response.date, response.age, response.retry_after) == (None,) * 4
    response.headers["Expires"] = "0"  # what HTTP/1.0 servers send for "already stale"
    response.headers["Age"] = "-5"
    response.headers["Retry-After"] = "later"
    response.headers["Access-Control-Max-Age"] = "x"
    assert response.expires is None and response.age is None and response.retry_after is None
    assert response.access_control_max_age is None
    response.retry_after = WHEN
    assert response.headers["Retry-After"] == WHEN_TEXT and response.retry_after == WHEN
    response.headers["Retry-After"] = "9" * 30  # would overflow a datetime
    assert response.retry_after is None
    for name in ["expires", "age", "retry_after", "location"]:
        setattr(response, name, None)
    assert not {"Expires", "Age", "Retry-After", "Location"} & set(response.headers.keys())
    with pytest.raises(ValueError, match="number of seconds"):
        response.age = -1
    with pytest.raises(ValueError, match="Retry-After"):
        response.retry_after = 1.5  # type: ignore[assignment]


def test_www_authenticate(app, client):
    @app.get("/one")
    def one():
        response = Response("no", 401)
        response.www_authenticate.realm = "site"  # the default challenge is Basic
        return response

    @app.get("/two")
    def two():
        response = Response("no", 401)
        response.www_authenticate = [
            WWWAuthenticate("basic", {"realm": "site"}),
            WWWAuthenticate("bearer", {"error": "invalid_token"}),
        ]
        return response

    response = client.get("/one")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="site"'
    assert response.www_authenticate.type == "basic"
    assert response.www_authenticate.realm == "site"
    assert client.get("/two").headers.getlist("WWW-Authenticate") == [
        'Basic realm="site"',
        'Bearer error="invalid_token"',
    ]


def test_www_authenticate_is_absent_until_changed():
    response = Response("x")
    challenge = response.www_authenticate
    assert challenge.type == "basic" and not challenge.parameters
    assert "WWW-Authenticate" not in response.headers
    response.www_authenticate = 'Bearer realm="api"'
    assert response.www_authenticate.realm == "api"
    response.www_authenticate.type = "Negotiate"
    assert response.headers["WWW-Authenticate"] == 'Negotiate realm="api"'
    response.www_authenticate = None
    assert "WWW-Authenticate" not in response.headers


def test_content_range():
    response = Response("x")
    assert not response.content_range
    response.content_range.set(0, 10, 100)
    assert response.headers["Content-Range"] == "bytes 0-9/100"
    assert response.content_range.stop == 10
    response.content_range = "bytes */100"
    assert response.content_range.length == 100 and response.content_range.start is None
    response.headers["Content-Range"] = "junk"
    assert not response.content_range
    response.content_range.unset()
    assert "Content-Range" not in response.headers
    response.content_range = None
    assert "Content-Range" not in response.headers


def test_etags():
    response = Response("hello")
    assert response.get_etag() == (None, None)
    response.set_etag("abc")
    assert response.headers["ETag"] == '"abc"' and response.get_etag() == ("abc", False)
    response.set_etag("abc", weak=True)
    assert response.get_etag() == ("abc", True)
    response.add_etag()  # there is one: kept
    assert response.get_etag() == ("abc", True)
    response.add_etag(overwrite=True)
    assert response.get_etag() == ("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d", False)
    with pytest.raises(ValueError, match="double quote"):
        response.set_etag('a"b')


@pytest.fixture
def conditional(app):
    body = bytes(range(100))

    @app.get("/data")
    def data():
        response = Response(body, mimetype="application/octet-stream")
        response.add_etag()
        response.last_modified = WHEN
        return response.make_conditional(request, accept_ranges=True, complete_length=len(body))

    @app.get("/stream")
    def stream():
        def chunks():
            for start in range(0, 100, 7):
                yield body[start : start + 7]

        response = Response(chunks(), mimetype="application/octet-stream")
        response.set_etag("v1")
        return response.make_conditional(request, True, len(body))

    @app.route("/plain", methods=["GET", "POST"])
    def plain():
        response = Response("plain")
        response.set_etag("v1")
        return response.make_conditional(request.environ)

    return body


def test_make_conditional_304_and_412(conditional, client):
    first = client.get("/data")
    assert first.status_code == 200 and first.data == conditional
    assert first.headers["Accept-Ranges"] == "bytes"
    assert "Date" in first.headers
    etag = first.headers["ETag"]
    again = client.get("/data", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get("/data", headers={"If-Modified-Since": WHEN_TEXT}).status_code == 304
    assert client.get("/data", headers={"If-Match": '"other"'}).status_code == 412
    assert client.get("/data", headers={"If-Match": etag}).status_code == 200
    assert client.get("/plain", headers={"If-None-Match": '"v1"'}).status_code == 304
    # Not GET or HEAD: left alone (the change is already made).
    assert client.post("/plain", headers={"If-None-Match": '"v1"'}).status_code == 200


def test_make_conditional_ranges(conditional, client):
    part = client.get("/data", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.data == conditional[10:20]
    assert part.headers["Content-Range"] == "bytes 10-19/100"
    assert part.headers["Content-Length"] == "10"
    streamed = client.get("/stream", headers={"Range": "bytes=5-30"})
    assert streamed.status_code == 206 and streamed.data == conditional[5:31]
    suffix = client.get("/stream", headers={"Range": "bytes=-3"})
    assert suffix.data == conditional[-3:]
    # If-Range naming another version: the whole body.
    stale = client.get("/data", headers={"Range": "bytes=0-1", "If-Range": '"old"'})
    assert stale.status_code == 200 and stale.data == conditional
    # Several ranges, or a malformed one: the whole body, which is always correct.
    for value in ["bytes=0-1,5-6", "bytes=5-2", "bytes=x"]:
        whole = client.get("/data", headers={"Range": value})
        assert (whole.status_code, whole.data) == (200, conditional), value


def test_make_conditional_unsatisfiable_range_is_416(conditional, client):
    response = client.get("/data", headers={"Range": "bytes=500-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */100"


def test_make_conditional_leaves_errors_alone():
    class Req:
        method = "GET"

        @staticmethod
        def _raw_header(name: str) -> str | None:
            return "*" if name == "HTTP_IF_NONE_MATCH" else None

    missing = Response("gone", 404).make_conditional(Req())
    assert missing.status_code == 404
    assert Response("here").make_conditional(Req()).status_code == 304
    with pytest.raises(RangeNotSatisfiable):
        Response("abc").make_conditional(
            {"REQUEST_METHOD": "GET", "HTTP_RANGE": "bytes=10-"}, True, 3
        )


def test_max_cookie_size_follows_the_app(app):
    response = Response("x")
    assert response.max_cookie_size == 4093  # outside an app: Flask's default
    app.config["MAX_COOKIE_SIZE"] = 50
    with app.app_context():
        assert response.max_cookie_size == 50
        with pytest.warns(UserWarning, match="max_cookie_size of 50"):
            response.set_cookie("big", "x" * 60)
        response.set_cookie("small", "x" * 10)  # under the limit: no warning
    with pytest.warns(UserWarning, match="'huge' is 5005 bytes"):
        response.set_cookie("huge", "x" * 5000)
    response.max_cookie_size = 0  # off for this response
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response.set_cookie("huge", "x" * 5000)
    assert len(response.headers.getlist("Set-Cookie")) == 4


def test_headers_assigned_a_dict(app, client):
    @app.get("/dict")
    def assigned():
        response = Response("x")
        response.headers = {"X-A": "1", "Content-Type": "text/plain"}  # type: ignore[assignment]
        return response

    response = client.get("/dict")
    assert response.status_code == 200
    assert response.headers["X-A"] == "1"
    assert response.headers["Content-Length"] == "1"
    assert response.text == "x"


def test_headers_assigned_something_else_says_what_to_do(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = True

    @app.get("/bad")
    def bad():
        response = Response("x")
        response.headers = 5  # type: ignore[assignment]
        return response

    with pytest.raises(TypeError, match="Assign a Headers, a dict"):
        client.get("/bad")


def test_status_and_body_helpers(app, client):
    @app.get("/status")
    def status():
        response = Response('{"a": 1}', mimetype="application/json")
        response.status_code = 201
        assert response.status == "201 Created"
        response.status = "202 Accepted"
        return response

    response = client.get("/status")
    assert response.status_code == 202
    assert response.is_json and response.json == {"a": 1} and response.get_json() == {"a": 1}

    def chunks():
        yield b"ab"
        yield "cd"

    streamed = Response(chunks())
    assert not streamed.is_sequence and streamed.calculate_content_length() is None
    streamed.freeze()
    assert streamed.is_sequence and streamed.data == b"abcd"
    assert streamed.headers["Content-Length"] == "4" and "ETag" in streamed.headers
    other = Response(iter([b"x"]))
    other.make_sequence()
    assert other.calculate_content_length() == 1
    assert not Response("<p>").is_json
    assert Response("{}", mimetype="application/problem+json").is_json


def test_werkzeug_values_assigned_as_flask_code_does(app, client):
    from werkzeug.datastructures import ContentRange as WerkzeugContentRange
    from werkzeug.datastructures import HeaderSet as WerkzeugHeaderSet
    from werkzeug.datastructures import WWWAuthenticate as WerkzeugWWWAuthenticate

    @app.get("/werkzeug")
    def werkzeug_values():
        response = Response("no", 401)
        response.www_authenticate = WerkzeugWWWAuthenticate("bearer", {"realm": "api"})
        response.allow = WerkzeugHeaderSet(["GET", "HEAD"])
        response.content_range = WerkzeugContentRange("bytes", 0, 2, 2)
        return response

    response = client.get("/werkzeug")
    assert response.www_authenticate.type == "bearer"
    assert response.www_authenticate.realm == "api"
    assert response.headers["Allow"] == "GET, HEAD"
    assert response.headers["Content-Range"] == "bytes 0-1/2"
