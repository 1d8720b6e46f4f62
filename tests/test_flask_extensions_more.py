"""What more Flask extensions need of erlen: one behaviour per test.

``scripts/flask_extensions`` runs the suites of Flask-HTTPAuth,
Flask-RESTful, Flask-Limiter, Flask-Caching and flask-smorest through the
flask alias (tests/test_flask_extensions.py). Each test here pins down, in
erlen's own terms, one thing one of them relies on. Werkzeug's classes are
made bases of erlen's by the ``werkzeug_bases`` fixture (as the alias does
when Werkzeug loads) and taken back after each test; what needs the alias
itself runs in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import OrderedDict

import pytest
import werkzeug.routing as wr
import werkzeug.wrappers as ww

import erlen
from erlen import _werkzeug_bases, exceptions
from erlen.http import converters
from erlen.http.negotiation import parse_accept
from erlen.views import View
from servers import server_env


@pytest.fixture
def werkzeug_bases():
    _werkzeug_bases.patch_loaded()
    yield
    _werkzeug_bases.unpatch()


def run_with_alias(code: str) -> str:
    """Run ``code`` in a fresh interpreter with the flask alias on; return its output."""
    environ = server_env()
    for name in list(environ):
        if name.startswith(("FLASK_", "ERLEN_")):
            del environ[name]
    result = subprocess.run(
        [sys.executable, "-c", "import erlen.flask_compat\n" + textwrap.dedent(code)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


# -- the alias ------------------------------------------------------------------


def test_flask_submodules_are_attributes_of_flask_once_it_is_imported():
    # flask-smorest writes `flask.cli.AppGroup(...)` after a bare `import flask`.
    out = run_with_alias(
        """
        import sys
        import flask
        import erlen.cli
        print("flask.cli" in sys.modules)
        print(flask.cli.AppGroup is erlen.cli.AppGroup, flask.views.MethodView.__name__)
        try:
            flask.nonexistent
        except AttributeError as error:
            print("docs/flask.md" in str(error))
        """
    )
    assert out.split() == ["False", "True", "MethodView", "True"]


# -- routing --------------------------------------------------------------------


def test_a_rule_outlines_its_parts_as_werkzeug_does(app):
    # flask-smorest reads Werkzeug's private Rule._trace to document path variables.
    app.add_url_rule("/pets/<int:pet_id>/photos/<path:rest>", "photo", lambda **kw: "")
    app.add_url_rule("/", "home", lambda: "")
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    assert rules["photo"]._trace == [
        (False, "|"),
        (False, "/"),
        (False, "pets"),
        (False, "/"),
        (True, "pet_id"),
        (False, "/"),
        (False, "photos"),
        (False, "/"),
        (True, "rest"),
    ]
    assert rules["home"]._trace == [(False, "|"), (False, "/")]


def test_a_rule_outline_starts_with_its_subdomain():
    app = erlen.Erlen(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"
    app.add_url_rule("/<page>", "page", lambda **kw: "", subdomain="<user>")
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == "page")
    assert rule._trace == [(True, "user"), (False, "|"), (False, "/"), (True, "page")]


def test_string_converter_spells_its_lengths_as_werkzeug_does():
    # flask-smorest reads minLength and maxLength back from the regex.
    assert converters.UnicodeConverter().regex == "[^/]{1,}"
    assert converters.UnicodeConverter(None, minlength=2, maxlength=5).regex == "[^/]{2,5}"
    assert converters.UnicodeConverter(None, length=3).regex == "[^/]{3}"


def test_string_converter_lengths_still_bound_what_matches(app, client):
    @app.get("/code/<string(length=3):code>")
    def code(code):
        return code

    assert client.get("/code/abc").text == "abc"
    assert client.get("/code/abcd").status_code == 404


def test_converters_are_werkzeugs_with_werkzeug_loaded(app, werkzeug_bases):
    app.add_url_rule("/<int(min=1):n>/<name>/<uuid:key>/<float:x>", "x", lambda **kw: "")
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == "x")
    found = rule._converters
    assert isinstance(found["n"], wr.IntegerConverter) and found["n"].min == 1
    assert isinstance(found["name"], wr.UnicodeConverter)
    assert isinstance(found["key"], wr.UUIDConverter)
    assert isinstance(found["x"], wr.FloatConverter)
    assert isinstance(found["n"], wr.BaseConverter)
    # erlen's own methods still come first.
    assert found["n"].to_python("7") == 7
    assert found["n"].to_url(7) == "7"


def test_converters_work_as_before_once_werkzeug_is_taken_back(app, client):
    _werkzeug_bases.patch_loaded()
    _werkzeug_bases.unpatch()
    assert not isinstance(converters.IntegerConverter(), wr.IntegerConverter)

    @app.get("/n/<int:n>")
    def number(n):
        return str(n + 1)

    assert client.get("/n/41").text == "42"


def test_a_custom_converter_of_erlens_is_werkzeugs_too(app, client, werkzeug_bases):
    class Upper(converters.BaseConverter):
        def to_python(self, value):
            return value.upper()

    app.url_map.converters["upper"] = Upper

    @app.get("/shout/<upper:word>")
    def shout(word):
        return word

    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == "shout")
    assert isinstance(rule._converters["word"], wr.BaseConverter)
    assert client.get("/shout/hey").text == "HEY"


# -- responses ------------------------------------------------------------------


def test_erlens_response_is_werkzeugs_with_werkzeug_loaded(app, client, werkzeug_bases):
    # Flask-RESTful and flask-smorest send a view's Response as it is only
    # when it is a werkzeug.wrappers.Response; anything else they serialize.
    @app.get("/")
    def view():
        response = erlen.jsonify(ok=True)
        assert isinstance(response, ww.Response)
        response.status_code = 201
        return response

    response = client.get("/")
    assert (response.status_code, response.json) == (201, {"ok": True})


def test_a_response_keeps_erlens_attributes_under_werkzeugs_base(werkzeug_bases):
    response = erlen.Response("hi", 202, {"X-A": "1"}, mimetype="text/plain")
    assert isinstance(response, ww.Response)
    assert (response.status_code, response.status) == (202, "202 Accepted")
    assert response.get_data() == b"hi" and response.mimetype == "text/plain"
    assert response.headers["X-A"] == "1"


# -- content negotiation ----------------------------------------------------------


def test_best_match_takes_any_iterable_of_offers():
    # Flask-RESTful offers the keys of a dict of representations.
    offers = OrderedDict([("application/json", "json"), ("text/csv", "csv")])
    assert parse_accept("text/csv").best_match(offers) == "text/csv"
    assert parse_accept("").best_match(offers) == "application/json"
    assert parse_accept("").best_match(iter(()), default="text/plain") == "text/plain"
    assert parse_accept("image/png").best_match(offers, default="x/y") == "x/y"


def test_best_match_of_a_request_without_accept_takes_a_dict(app, client):
    representations = {"application/json": 1, "text/html": 2}

    @app.get("/")
    def view():
        return str(erlen.request.accept_mimetypes.best_match(representations))

    assert client.get("/").text == "application/json"
    assert client.get("/", headers={"Accept": "text/html"}).text == "text/html"


# -- errors ---------------------------------------------------------------------


def test_abort_421_is_misdirected_request(app, client):
    @app.get("/")
    def view():
        erlen.abort(421)

    response = client.get("/")
    assert response.status_code == 421
    assert "Misdirected Request" in response.text
    assert exceptions.default_exceptions[421] is exceptions.MisdirectedRequest


# -- class-based views --------------------------------------------------------------


def test_view_decorators_see_the_views_endpoint_name(app, client):
    # Flask-Limiter keys a limit on the decorated function's module and name,
    # then looks it up by the view function the endpoint has.
    seen = []

    def remember(view):
        seen.append((view.__module__, view.__name__, view.__qualname__))
        return view

    class Report(View):
        decorators = [remember]

        def dispatch_request(self):
            return "report"

    app.add_url_rule("/report", view_func=Report.as_view("report"))
    registered = app.view_functions["report"]
    assert seen == [(__name__, "report", "report")]
    assert (registered.__module__, registered.__name__, registered.__qualname__) == seen[0]
    assert client.get("/report").text == "report"


def test_a_rule_as_text_is_its_path_and_its_repr_says_more(app):
    # Flask-Limiter's `flask limiter limits` prints f"{endpoint}: {rule}".
    app.add_url_rule("/items/<int:item_id>", "item", lambda **kw: "")
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == "item")
    assert str(rule) == f"{rule}" == "/items/<int:item_id>"
    assert repr(rule) == "<Rule '/items/<int:item_id>' (GET) -> item>"


def test_abort_with_an_object_as_description_answers_with_its_text(app, client):
    # Flask-Principal aborts with its Permission object as the description.
    class Permission:
        def __str__(self):
            return "<needs role admin & more>"

    @app.get("/admin")
    def admin():
        erlen.abort(403, Permission())

    page = client.get("/admin")
    assert page.status_code == 403
    assert "&lt;needs role admin &amp; more&gt;" in page.text
    as_json = client.get("/admin", headers={"Accept": "application/json"})
    assert as_json.status_code == 403
    assert as_json.json["description"] == "<needs role admin & more>"


def test_the_url_map_says_whether_an_endpoint_takes_arguments(app):
    # Flask-Admin asks before it adds a host to the URLs it builds.
    def files(**kwargs):
        return ""

    app.add_url_rule("/files/<name>", "file", files, defaults={"page": 1})
    app.add_url_rule("/u/<user>/files/<name>", "file", files)
    url_map = app.url_map
    assert url_map.is_endpoint_expecting("file", "name")
    assert url_map.is_endpoint_expecting("file", "name", "page")
    assert url_map.is_endpoint_expecting("file", "user", "name")
    assert not url_map.is_endpoint_expecting("file", "user", "page")
    assert not url_map.is_endpoint_expecting("file", "host")
    assert not url_map.is_endpoint_expecting("nowhere", "name")
    url_map.update()  # nothing to do, and no error
    assert url_map.default_converters["int"] is converters.IntegerConverter
    with pytest.raises(TypeError):
        url_map.default_converters["list"] = converters.BaseConverter  # type: ignore[index]


def test_a_werkzeug_map_name_the_url_map_lacks_says_so_and_where_to_look(app):
    with pytest.raises(AttributeError) as caught:
        app.url_map.lock_class  # noqa: B018
    message = str(caught.value)
    assert "'lock_class'" in message and "Werkzeug's Map" in message
    assert "docs/flask.md" in message
    assert not hasattr(app.url_map, "_private_name")


def test_flasks_sansio_app_is_erlens_app_class():
    # Flask-SQLAlchemy-Lite: `from flask.sansio.app import App`, for isinstance checks.
    out = run_with_alias(
        """
        import erlen
        from flask import Flask
        from flask.sansio.app import App
        print(App is erlen.Erlen, isinstance(Flask(__name__), App))
        """
    )
    assert out.split() == ["True", "True"]


# -- contexts ---------------------------------------------------------------------


def test_app_ctx_in_a_test_request_inside_an_app_context_is_that_context(app, client):
    # Flask-SQLAlchemy scopes its session by id(app_ctx): a test that adds rows
    # in `with app.app_context():` and then requests a page must share it.
    from erlen.globals import app_ctx

    seen = []

    @app.get("/")
    def view():
        seen.append(app_ctx._get_current_object())
        return "ok"

    with app.app_context():
        outer = app_ctx._get_current_object()
        client.get("/")
        assert seen[-1] is outer
    client.get("/")
    assert seen[-1] is not outer
    assert seen[-1].app is app


def test_a_test_request_inside_an_app_context_leaves_its_teardown_to_it(app, client):
    # In Flask such a request reuses the test's app context, which stays
    # open: teardown_appcontext (Flask-SQLAlchemy's session.remove()) runs
    # when the test's context ends, not after each request.
    torn = []
    app.teardown_appcontext(lambda exc: torn.append("app"))
    app.teardown_request(lambda exc: torn.append("request"))
    app.get("/")(lambda: "ok")

    with app.app_context():
        client.get("/")
        client.get("/")
        assert torn == ["request", "request"]
    assert torn == ["request", "request", "app"]
    client.get("/")
    assert torn[3:] == ["request", "app"]


# -- the request cycle --------------------------------------------------------------


def test_before_request_hooks_may_answer_a_request_no_route_takes(app, client):
    # As in Flask, where the routing error waits for dispatch: Flask-Talisman
    # redirects any http:// request to https://, a page that does not exist too.
    seen = []

    @app.before_request
    def force_https():
        seen.append(erlen.request.endpoint)
        if erlen.request.headers.get("X-Forwarded-Proto") != "https":
            return erlen.redirect(erlen.request.url.replace("http://", "https://", 1))
        return None

    app.get("/")(lambda: "home")
    response = client.get("/missing")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://")
    assert client.get("/missing", headers={"X-Forwarded-Proto": "https"}).status_code == 404
    assert client.post("/", headers={"X-Forwarded-Proto": "https"}).status_code == 405
    assert client.get("/", headers={"X-Forwarded-Proto": "https"}).text == "home"
    assert seen == [None, None, None, "<lambda>"]


def test_url_fors_build_error_is_werkzeugs_with_werkzeug_loaded(app, werkzeug_bases):
    # flask-marshmallow lets it through; callers catch werkzeug.routing.BuildError.
    app.get("/")(lambda: "home")
    with app.test_request_context("/"):
        with pytest.raises(wr.BuildError) as caught:
            erlen.url_for("nowhere")
        assert isinstance(caught.value, LookupError)
        assert "nowhere" in str(caught.value) and caught.value.endpoint == "nowhere"


# -- the test client ----------------------------------------------------------------


def test_the_test_client_builds_a_request_without_sending_it(app):
    # Flask-SocketIO's test client builds its handshake's environ this way.
    sent = []
    app.get("/socket.io")(lambda: sent.append(1) or "")
    client = app.test_client()
    request = client._request_from_builder_args(
        (), {"path": "/socket.io?EIO=4", "headers": {"X-Token": "t"}}
    )
    assert request.path == "/socket.io" and request.args["EIO"] == "4"
    assert request.headers["X-Token"] == "t"
    assert request.environ["PATH_INFO"] == "/socket.io"
    assert sent == []


def test_the_test_client_adds_its_cookies_to_an_environ(app):
    @app.get("/login")
    def login():
        response = erlen.make_response("in")
        response.set_cookie("sid", "abc")
        return response

    client = app.test_client()
    environ = client._request_from_builder_args((), {"path": "/socket.io"}).environ
    client._add_cookies_to_wsgi(environ)
    assert "HTTP_COOKIE" not in environ
    client.get("/login")
    client._add_cookies_to_wsgi(environ)
    assert environ["HTTP_COOKIE"] == "sid=abc"


def test_a_test_response_is_streamed_unless_buffered_as_in_flask(app, client):
    app.get("/")(lambda: "hello")
    assert client.get("/").is_streamed is True
    assert client.get("/", buffered=True).is_streamed is False
    assert client.get("/", buffered=True).data == b"hello"


# -- responses, more --------------------------------------------------------------------


def test_iter_encoded_reads_the_body_it_was_called_on(app, client):
    # Flask-Compress, for a stream: body = response.iter_encoded(), then
    # response.response = a generator that compresses `body`.
    @app.get("/stream")
    def stream():
        return erlen.Response((part for part in ["a", "b", "c"]), mimetype="text/plain")

    @app.after_request
    def shout(response):
        if response.is_streamed:
            chunks = response.iter_encoded()
            response.response = (chunk.upper() for chunk in chunks)
        return response

    assert client.get("/stream").data == b"ABC"


def test_a_304_drops_the_headers_of_the_body_it_does_not_send(app, client):
    # RFC 9110 §15.4.5; Flask-Compress sets Content-Encoding, then answers 304.
    @app.get("/page")
    def page():
        response = erlen.Response(b"x" * 100, mimetype="text/html")
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Content-Language"] = "en"
        response.set_etag("v1")
        return response.make_conditional(erlen.request)

    fresh = client.get("/page")
    assert fresh.headers["Content-Encoding"] == "gzip"
    again = client.get("/page", headers={"If-None-Match": '"v1"'})
    assert again.status_code == 304 and again.data == b""
    for name in ("Content-Encoding", "Content-Language", "Content-Type", "Content-Length"):
        assert name not in again.headers, name
    assert again.headers["ETag"] == '"v1"'
