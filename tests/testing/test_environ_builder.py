"""``EnvironBuilder`` and ``app.test_request_context()``: requests made up for a test."""

from __future__ import annotations

import io
import sys

import pytest

import erlen
from erlen import Blueprint, request, url_for
from erlen.exceptions import MethodNotAllowed, NotFound
from erlen.testing import EnvironBuilder, build_environ, build_scope


@pytest.fixture
def app(app):
    books = Blueprint("books", __name__, url_prefix="/books")

    @books.route("/")
    def index():
        return "books"

    @books.route("/<int:book_id>", methods=["GET", "POST"])
    def detail(book_id):
        return f"book {book_id}"

    app.register_blueprint(books)
    return app


def test_defaults_come_from_the_app_config(app):
    builder = EnvironBuilder(app, "/books/")
    assert builder.base_url == "http://localhost/"
    app.config.update(
        SERVER_NAME="shop.test:8080", APPLICATION_ROOT="/app", PREFERRED_URL_SCHEME="https"
    )
    builder = EnvironBuilder(app, "/books/?page=2")
    assert (builder.base_url, builder.path, builder.query_string) == (
        "https://shop.test:8080/app/",
        "/books/",
        "page=2",
    )
    environ = builder.get_environ()
    assert environ["wsgi.url_scheme"] == "https"
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("shop.test", "8080")
    assert environ["HTTP_HOST"] == "shop.test:8080"
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == ("/app", "/books/")
    assert environ["QUERY_STRING"] == "page=2"


def test_subdomain_and_url_scheme(app):
    app.config["SERVER_NAME"] = "shop.test"
    builder = EnvironBuilder(app, "/", subdomain="api", url_scheme="https")
    assert builder.base_url == "https://api.shop.test/"
    assert EnvironBuilder(app, "/", subdomain="api").base_url == "http://api.shop.test/"
    # A full URL as the path names its own host.
    assert EnvironBuilder(app, "http://cdn.test/x").base_url == "http://cdn.test/"
    with pytest.raises(TypeError, match="base_url, or subdomain and url_scheme"):
        EnvironBuilder(app, "/", base_url="http://x.test/", subdomain="api")


def test_positional_arguments_in_flask_order(app):
    builder = EnvironBuilder(app, "/books/", "http://h.test/r", None, None, {"q": 1}, "post")
    assert (builder.base_url, builder.query_string, builder.method) == (
        "http://h.test/r/",
        "q=1",
        "POST",
    )
    with pytest.raises(ValueError, match="not a URL.*method='PUT'"):
        EnvironBuilder(app, "/", "PUT")


def test_bodies_and_their_headers(app):
    json_builder = EnvironBuilder(app, "/books/1", method="POST", json={"n": [1]})
    environ = json_builder.get_environ()
    assert environ["CONTENT_TYPE"] == "application/json"
    assert erlen.json.loads(environ["wsgi.input"].read()) == {"n": [1]}
    assert json_builder.mimetype == "application/json"

    stream = EnvironBuilder(
        app, "/", method="PUT", input_stream=io.BytesIO(b"raw"), content_type="text/plain"
    ).get_environ()
    assert (stream["wsgi.input"].read(), stream["CONTENT_LENGTH"]) == (b"raw", "3")
    assert EnvironBuilder(app, "/", data="x", mimetype="text/csv").content_type == "text/csv"
    told = EnvironBuilder(app, "/", data="abc", content_length=2).get_environ()
    assert told["CONTENT_LENGTH"] == "2"  # the test's own value, even a wrong one
    basic = EnvironBuilder(app, "/", auth=("u", "p")).get_environ()
    assert basic["HTTP_AUTHORIZATION"] == "Basic dTpw"


def test_json_is_serialised_with_the_app_json_when_it_has_one(app):
    class Provider:
        def dumps(self, obj, **kwargs):
            return "custom"

    app.json = Provider()
    environ = EnvironBuilder(app, "/", json={"a": 1}).get_environ()
    assert environ["wsgi.input"].read() == b"custom"


def test_headers_can_change_before_the_environ_is_built(app):
    builder = EnvironBuilder(app, "/", headers={"X-One": "1"})
    builder.headers["X-Two"] = "2"
    environ = builder.get_environ()
    assert (environ["HTTP_X_ONE"], environ["HTTP_X_TWO"]) == ("1", "2")


def test_wsgi_flags_base_and_overrides(app):
    errors = io.StringIO()
    environ = EnvironBuilder(
        app,
        "/",
        errors_stream=errors,
        multithread=True,
        environ_base={"REMOTE_ADDR": "10.0.0.1", "SERVER_NAME": "ignored", "custom.key": 1},
        environ_overrides={"SERVER_NAME": "wins.test"},
    ).get_environ()
    assert environ["wsgi.errors"] is errors
    assert (environ["wsgi.multithread"], environ["wsgi.multiprocess"]) == (True, False)
    assert (environ["REMOTE_ADDR"], environ["custom.key"]) == ("10.0.0.1", 1)
    assert environ["SERVER_NAME"] == "wins.test"
    assert EnvironBuilder(app).get_environ()["wsgi.errors"] is sys.stderr


def test_get_request_gives_the_app_request_class(app):
    class ShopRequest(erlen.Request):
        pass

    app.request_class = ShopRequest
    builder = EnvironBuilder(app, "/books/1", query_string={"q": "tea"})
    made = builder.get_request()
    builder.close()
    assert isinstance(made, ShopRequest)
    assert (made.path, made.args["q"]) == ("/books/1", "tea")
    assert repr(builder) == "<EnvironBuilder GET http://localhost/books/1?q=tea>"


def test_build_environ_and_build_scope_take_the_same_arguments(app):
    environ = build_environ(app, "/books/", method="post", data={"a": "1"})
    scope = build_scope(app, "/books/", method="post", data={"a": "1"})
    assert environ["REQUEST_METHOD"] == scope["method"] == "POST"
    assert (b"content-type", b"application/x-www-form-urlencoded") in scope["headers"]
    assert build_environ(None, "/x")["HTTP_HOST"] == "localhost"


# -- test_request_context -----------------------------------------------------------


def test_test_request_context_routes_the_request(app):
    with app.test_request_context("/books/?page=2"):
        assert request.endpoint == "books.index"
        assert request.blueprint == "books"
        assert request.args["page"] == "2"
        assert url_for("books.detail", book_id=3) == "/books/3"
    with app.test_request_context("/books/7", method="POST"):
        assert (request.endpoint, request.view_args) == ("books.detail", {"book_id": 7})
        assert request.url_rule.rule == "/books/<int:book_id>"


def test_test_request_context_keeps_the_routing_error(app):
    with app.test_request_context("/nowhere"):
        assert request.endpoint is None
        assert isinstance(request.routing_exception, NotFound)
    with app.test_request_context("/books/", method="DELETE"):
        assert isinstance(request.routing_exception, MethodNotAllowed)


def test_test_request_context_takes_the_builder_arguments(app):
    app.config["APPLICATION_ROOT"] = "/shop"
    with app.test_request_context(
        "/books/1",
        method="POST",
        data={"title": "Dune"},
        headers={"X-Thing": "1"},
        query_string={"q": "x"},
    ):
        assert request.form["title"] == "Dune"
        assert request.headers["X-Thing"] == "1"
        assert request.args["q"] == "x"
        assert request.script_root == "/shop"
        assert request.endpoint == "books.detail"
        assert url_for("books.index") == "/shop/books/"
    with app.test_request_context("/", base_url="https://other.test/mount", json={"k": 1}):
        assert request.url == "https://other.test/mount/"
        assert request.get_json() == {"k": 1}


def test_a_path_without_a_leading_slash_is_below_the_root(app, client):
    # As in Flask, client.get("books/") asks for /books/.
    assert EnvironBuilder(app, "books/7?x=1").path == "/books/7"
    assert EnvironBuilder(app, "").path == "/"
    response = client.get("books/7")
    assert (response.status_code, response.text) == (200, "book 7")
    with app.test_request_context("books/7"):
        assert request.path == "/books/7"
        assert request.endpoint == "books.detail"


def test_none_values_in_a_query_or_form_are_left_out(app, client):
    # As in Flask: query_string={"page": None} sends no page at all.
    @app.route("/seen", methods=["GET", "POST"])
    def seen():
        return {"args": request.args.to_dict(flat=False), "form": request.form.to_dict(flat=False)}

    response = client.post(
        "/seen",
        query_string={"page": None, "size": 5, "tag": ["a", None]},
        data={"note": None, "title": "kept"},
    )
    assert response.get_json() == {
        "args": {"size": ["5"], "tag": ["a"]},
        "form": {"title": ["kept"]},
    }
    with app.test_request_context(query_string={"page": None}):
        assert request.query_string == b""
        assert "page" not in request.args
