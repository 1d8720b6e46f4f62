"""Request attributes read from headers, through WSGI and ASGI (the ``client`` fixture)."""

from __future__ import annotations

from base64 import b64encode
from datetime import datetime, timezone

import pytest

from erlen import Blueprint, Request, abort, request


def basic(raw: bytes) -> str:
    return "Basic " + b64encode(raw).decode("ascii")


@pytest.fixture
def seen(app):
    """Register ``/probe``, which returns what ``request`` says about its headers."""

    @app.route("/probe", methods=["GET", "POST", "HEAD"])
    def probe():
        auth = request.authorization
        if_range = request.if_range
        ranges = request.range
        control = request.cache_control
        return {
            "auth": None
            if auth is None
            else [auth.type, auth.username, auth.password, auth.token, auth.parameters],
            "if_match": sorted(request.if_match.as_set(include_weak=True)),
            "if_match_star": request.if_match.star_tag,
            "if_none_match_has_a": "a" in request.if_none_match,
            "if_none_match_weak_a": request.if_none_match.contains_weak("a"),
            "ims": _iso(request.if_modified_since),
            "ius": _iso(request.if_unmodified_since),
            "if_range": [if_range.etag, _iso(if_range.date)],
            "range": None if ranges is None else [ranges.units, ranges.ranges],
            "range_100": None if ranges is None else ranges.range_for_length(100),
            "content_range_100": None if ranges is None else ranges.to_content_range_header(100),
            "cache_control": dict(control),
            "cc": [control.no_cache, control.no_store, control.max_age, control.max_stale],
            "cc_more": [control.min_fresh, control.no_transform, control.only_if_cached],
            "date": _iso(request.date),
            "pragma": list(request.pragma),
            "max_forwards": request.max_forwards,
            "referrer": request.referrer,
            "origin": request.origin,
            "content_encoding": request.content_encoding,
            "content_md5": request.content_md5,
            "ac_method": request.access_control_request_method,
            "ac_headers": None
            if request.access_control_request_headers is None
            else list(request.access_control_request_headers),
            "charsets": request.accept_charsets.best_match(["latin-1", "utf-8"]),
            "encodings": request.accept_encodings.best_match(["gzip", "br"]),
            "access_route": request.access_route,
        }

    return app


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    assert value.tzinfo is not None and value.utcoffset() == timezone.utc.utcoffset(None)
    return value.isoformat()


def probe(client, **headers: str) -> dict:
    """GET ``/probe`` with ``headers`` (``If_Match`` is sent as ``If-Match``)."""
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    response = client.get("/probe", headers=named)
    assert response.status_code == 200, response.text
    return response.json


def test_absent_headers(seen, client):
    data = probe(client)
    assert data["auth"] is None
    assert data["if_match"] == [] and data["if_match_star"] is False
    assert data["if_none_match_has_a"] is False
    assert data["ims"] is None and data["ius"] is None
    assert data["if_range"] == [None, None]
    assert data["range"] is None
    assert data["cache_control"] == {}
    assert data["cc"] == [False, False, None, None]
    assert data["date"] is None and data["pragma"] == [] and data["max_forwards"] is None
    for name in [
        "referrer",
        "origin",
        "content_encoding",
        "content_md5",
        "ac_method",
        "ac_headers",
    ]:
        assert data[name] is None, name
    assert data["charsets"] == "latin-1" and data["encodings"] == "gzip"  # no header: the first


def test_basic_authorization(seen, client):
    data = probe(client, Authorization=basic("ada:pässword:x".encode()))
    assert data["auth"] == [
        "basic",
        "ada",
        "pässword:x",
        None,
        {"username": "ada", "password": "pässword:x"},
    ]


def test_bearer_and_digest_authorization(seen, client):
    assert probe(client, Authorization="Bearer abc.def==")["auth"] == [
        "bearer",
        None,
        None,
        "abc.def==",
        {},
    ]
    digest = probe(client, Authorization='Digest username="ada", realm="a, b", nc=00000001')
    assert digest["auth"] == [
        "digest",
        "ada",
        None,
        None,
        {"username": "ada", "realm": "a, b", "nc": "00000001"},
    ]


@pytest.mark.parametrize(
    "value",
    [
        "Basic !!!",
        "Basic YWRhOng",  # unpadded
        basic("jürgen:x".encode("latin-1")),  # not UTF-8
        "Basic " + "A" * 5001,
        "   ",
        "(x) y",
    ],
)
def test_malformed_authorization_is_none(seen, client, value):
    assert probe(client, Authorization=value)["auth"] is None


def test_a_protected_view_answers_401_with_its_challenge(app, client):
    @app.get("/admin")
    def admin():
        auth = request.authorization
        if auth is None or auth.type != "basic" or auth.password != "open sesame":
            abort(401, www_authenticate='Basic realm="admin", charset="UTF-8"')
        return f"hello {auth.username}"

    refused = client.get("/admin", headers={"Authorization": "Basic %%%"})
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == 'Basic realm="admin", charset="UTF-8"'
    assert refused.www_authenticate.realm == "admin"
    ok = client.get("/admin", headers={"Authorization": basic(b"ada:open sesame")})
    assert ok.text == "hello ada"


def test_conditional_headers(seen, client):
    data = probe(
        client,
        If_Match='"x", W/"y"',
        If_None_Match='W/"a"',
        If_Modified_Since="Wed, 21 Oct 2015 07:28:00 GMT",
        If_Unmodified_Since="Sunday, 06-Nov-94 08:49:37 GMT",
        If_Range='"abc"',
        Range="bytes=10-19",
    )
    assert data["if_match"] == ["x", "y"]
    assert data["if_none_match_has_a"] is False  # weak: no strong match
    assert data["if_none_match_weak_a"] is True
    assert data["ims"] == "2015-10-21T07:28:00+00:00"
    assert data["ius"] == "1994-11-06T08:49:37+00:00"
    assert data["if_range"] == ["abc", None]
    assert data["range"] == ["bytes", [[10, 20]]]
    assert data["range_100"] == [10, 20]
    assert data["content_range_100"] == "bytes 10-19/100"


def test_star_and_if_range_date(seen, client):
    data = probe(client, If_Match="*", If_Range="Wed, 21 Oct 2015 07:28:00 GMT", Range="bytes=-5")
    assert data["if_match_star"] is True
    assert data["if_range"] == [None, "2015-10-21T07:28:00+00:00"]
    assert data["range"] == ["bytes", [[-5, None]]]
    assert data["range_100"] == [95, 100]


@pytest.mark.parametrize(
    "headers",
    [
        {"Range": "bytes=9-0"},
        {"Range": "bytes=-0"},
        {"Range": "bytes=-5-9"},
        {"Range": "bytes=" + "9" * 5000 + "-"},
        {"Range": "bytes=" + "," * 4000},
        {"If-Modified-Since": "Fri, 31 Dec 9999 23:59:59 -0100"},  # overflows to UTC
        {"If-Unmodified-Since": "yesterday"},
        {"If-Range": "junk"},
        {"If-Match": "," * 4000},
        {"Cache-Control": "max-age=" + "9" * 4000},
        {"Cache-Control": '"' * 4000},
        {"Max-Forwards": "-1"},
        {"Date": "Mon, 99 Foo 2020"},
    ],
)
def test_malformed_headers_are_none_or_empty_never_a_500(seen, client, headers):
    data = probe(client, **{name.replace("-", "_"): value for name, value in headers.items()})
    assert data["range"] is None
    assert data["ims"] is None and data["ius"] is None and data["date"] is None
    assert data["if_range"] == [None, None]
    assert data["if_match_star"] is False
    assert data["max_forwards"] is None
    assert data["cc"][2] in (None, 2**31)


def test_cache_control(seen, client):
    data = probe(client, Cache_Control="no-cache, No-Store, max-age=0, max-stale, min-fresh=5")
    assert data["cc"] == [True, True, 0, True]
    assert data["cc_more"] == [5, False, False]
    assert data["cache_control"] == {
        "no-cache": None,
        "no-store": None,
        "max-age": "0",
        "max-stale": None,
        "min-fresh": "5",
    }


def test_other_headers(seen, client):
    data = probe(
        client,
        Date="Wed, 21 Oct 2015 07:28:00 GMT",
        Pragma="no-cache, x=y",
        Max_Forwards="5",
        Referer="https://example.com/from",
        Origin="https://example.com",
        Content_Encoding="gzip",
        Content_MD5="Q2hlY2sgSW50ZWdyaXR5IQ==",
        Access_Control_Request_Method="PUT",
        Access_Control_Request_Headers="X-A, x-b",
        Accept_Charset="utf-8, latin-1;q=0.5",
        Accept_Encoding="gzip;q=0.5, br",
        X_Forwarded_For="203.0.113.7, 10.0.0.1",
    )
    assert data["date"] == "2015-10-21T07:28:00+00:00"
    assert data["pragma"] == ["no-cache", "x=y"]
    assert data["max_forwards"] == 5
    assert data["referrer"] == "https://example.com/from"
    assert data["origin"] == "https://example.com"
    assert data["content_encoding"] == "gzip"
    assert data["content_md5"] == "Q2hlY2sgSW50ZWdyaXR5IQ=="
    assert data["ac_method"] == "PUT" and data["ac_headers"] == ["X-A", "x-b"]
    assert data["charsets"] == "utf-8" and data["encodings"] == "br"
    assert data["access_route"] == ["203.0.113.7", "10.0.0.1"]


def test_access_route_without_proxies_is_the_client(seen, client):
    assert probe(client)["access_route"] == ["127.0.0.1"]


@pytest.mark.wsgi_only
def test_remote_user_and_wsgi_flags(app, client):
    @app.get("/who")
    def who():
        return {
            "user": request.remote_user,
            "flags": [request.is_multithread, request.is_multiprocess, request.is_run_once],
            "input": request.input_stream is request.environ["wsgi.input"],
        }

    data = client.get("/who", environ_base={"REMOTE_USER": "ada"}).json
    assert data["user"] == "ada"
    assert data["input"] is True
    assert all(isinstance(flag, bool) for flag in data["flags"])


def test_url_and_blueprint_names(app, client):
    outer = Blueprint("outer", __name__)
    inner = Blueprint("inner", __name__)

    @inner.get("/here")
    def here():
        return {"blueprints": request.blueprints, "root_url": request.root_url}

    @app.get("/top")
    def top():
        return {"blueprints": request.blueprints}

    outer.register_blueprint(inner, url_prefix="/in")
    app.register_blueprint(outer, url_prefix="/out")
    assert client.get("/out/in/here").json == {
        "blueprints": ["outer.inner", "outer"],
        "root_url": "http://localhost/",
    }
    assert client.get("/top").json == {"blueprints": []}


# -- limits set per request ----------------------------------------------------------------


def test_a_lower_limit_for_one_request(app, client):
    @app.before_request
    def tighten():
        if request.path == "/small":
            request.max_content_length = 10
        assert request.max_content_length == (10 if request.path == "/small" else 1000)

    @app.post("/small")
    @app.post("/big")
    def upload():
        return str(len(request.get_data()))

    app.config["MAX_CONTENT_LENGTH"] = 1000
    refused = client.post("/small", data=b"x" * 50)
    assert refused.status_code == 413
    assert "MAX_CONTENT_LENGTH" in refused.text
    assert client.post("/big", data=b"x" * 50).text == "50"


def test_a_higher_limit_on_a_streamed_route(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/upload", stream_body=True)
    def upload():
        request.max_content_length = 100
        return str(len(request.get_data()))

    assert client.post("/upload", data=b"x" * 50).text == "50"


@pytest.mark.wsgi_only
def test_a_higher_limit_before_the_body_is_read_under_wsgi(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/upload")
    def upload():
        request.max_content_length = 100
        return str(len(request.get_data()))

    assert client.post("/upload", data=b"x" * 50).text == "50"


def test_form_limits_per_request(app, client):
    @app.post("/form")
    def form():
        request.max_form_parts = 2
        request.max_form_memory_size = 1000
        assert (request.max_form_parts, request.max_form_memory_size) == (2, 1000)
        return dict(request.form)

    refused = client.post("/form", data={"a": "1", "b": "2", "c": "3"})
    assert refused.status_code == 413
    assert "MAX_FORM_PARTS" in refused.text
    assert client.post("/form", data={"a": "1"}).json == {"a": "1"}


def test_none_goes_back_to_the_app_limit_and_bad_values_are_refused(app, client):
    @app.get("/limit")
    def limit():
        request.max_content_length = 5
        request.max_content_length = None
        with pytest.raises(ValueError, match="number of bytes"):
            request.max_form_parts = -1
        with pytest.raises(ValueError, match="MAX_FORM_MEMORY_SIZE"):
            request.max_form_memory_size = "big"  # type: ignore[assignment]
        return str(request.max_content_length)

    app.config["MAX_CONTENT_LENGTH"] = 1234
    assert client.get("/limit").text == "1234"


# -- JSON errors ------------------------------------------------------------------------------


def test_on_json_loading_failed_can_answer_otherwise(app, client):
    class LenientRequest(Request):
        def on_json_loading_failed(self, e):
            return {"invalid": e is not None}

    app.request_class = LenientRequest

    @app.post("/json")
    def read():
        return {"got": request.get_json()}

    assert client.post("/json", data="{nope", content_type="application/json").json == {
        "got": {"invalid": True}
    }
    assert client.post("/json", data="{}", content_type="text/plain").json == {
        "got": {"invalid": False}
    }


def test_a_silent_failure_does_not_hide_the_error_later(app, client):
    @app.post("/json")
    def read():
        assert request.get_json(silent=True) is None
        return request.json

    response = client.post("/json", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert "Failed to decode JSON" in response.text


def test_accept_headers_read_as_in_werkzeug(app, client):
    @app.get("/accept")
    def accept():
        mimetypes = request.accept_mimetypes
        return {
            "best": mimetypes.best,
            "json_q": mimetypes["application/json"],
            "plain_q": mimetypes["text/plain"],
            "first": list(mimetypes[0]) if mimetypes else None,
            "values": list(mimetypes.values()),
            "find": [mimetypes.find("TEXT/HTML"), mimetypes.find("image/png")],
            "header": str(mimetypes),
            "provided": mimetypes.provided,
            "xhtml": mimetypes.accept_xhtml,
            "language": request.accept_languages.best_match(["de", "en"]),
        }

    data = client.get(
        "/accept",
        headers={
            "Accept": "text/html;q=0.9, application/json",
            "Accept-Language": "en-US, en;q=0.8, de;q=0.5",
        },
    ).json
    assert data == {
        "best": "application/json",
        "json_q": 1.0,
        "plain_q": 0.0,
        "first": ["application/json", 1.0],
        "values": ["application/json", "text/html"],
        "find": [1, -1],
        "header": "application/json,text/html;q=0.9",
        "provided": True,
        "xhtml": False,
        "language": "en",
    }
    empty = client.get("/accept").json
    assert empty["best"] is None and empty["provided"] is False and empty["language"] == "de"


def test_user_agent_class_parses_the_header(app, client):
    from erlen.request import UserAgent

    class Parsed(UserAgent):
        def __init__(self, string: str) -> None:
            super().__init__(string)
            self.browser = string.split("/")[0] or None

    class MyRequest(Request):
        user_agent_class = Parsed

    app.request_class = MyRequest

    @app.get("/ua")
    def ua():
        agent = request.user_agent
        return {"string": agent.string, "browser": agent.browser, "platform": agent.platform}

    data = client.get("/ua", headers={"User-Agent": "Firefox/128.0"}).json
    assert data == {"string": "Firefox/128.0", "browser": "Firefox", "platform": None}
    # The test client sends its own User-Agent, as Werkzeug's does.
    assert client.get("/ua").json["browser"] == "erlen"
