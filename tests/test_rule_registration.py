"""Registering rules as Flask allows: endpoints, class-based views, Werkzeug's rule options."""

from __future__ import annotations

import pytest

from erlen import url_for
from erlen.routing import BaseConverter, BuildError
from erlen.views import MethodView, View


def test_the_same_view_again_under_its_endpoint_is_fine(app, client):
    def page(name="home"):
        return name

    app.add_url_rule("/", "page", page)
    app.add_url_rule("/p/<name>", "page", page)
    assert client.get("/").text == "home"
    assert client.get("/p/about").text == "about"


def test_a_bound_method_registered_twice_is_the_same_view(app, client):
    class Pages:
        def show(self, name="home"):
            return name

    pages = Pages()
    # Each read of pages.show is a new object; Flask compares with ==.
    app.add_url_rule("/", "show", pages.show)
    app.add_url_rule("/<name>", "show", pages.show)
    assert client.get("/x").text == "x"


def test_another_function_on_a_taken_endpoint_is_refused(app):
    @app.route("/a")
    def page():
        return "a"

    with pytest.raises(AssertionError, match="overwriting an existing endpoint"):
        app.add_url_rule("/b", "page", lambda: "b")


def test_one_class_based_view_on_several_rules(app, client):
    class Item(MethodView):
        def get(self, item_id=None):
            return "all" if item_id is None else f"item {item_id}"

        def post(self):
            return "created", 201

    view = Item.as_view("items")
    app.add_url_rule("/items/", defaults={"item_id": None}, view_func=view, methods=["GET"])
    app.add_url_rule("/items/", view_func=view, methods=["POST"])
    app.add_url_rule("/items/<int:item_id>", view_func=view, methods=["GET"])
    assert client.get("/items/").text == "all"
    assert client.post("/items/").status_code == 201
    assert client.get("/items/3").text == "item 3"
    with app.test_request_context():
        assert url_for("items", item_id=3) == "/items/3"
        assert url_for("items") == "/items/"


def test_as_view_twice_under_one_name_is_refused(app):
    class Hello(View):
        def dispatch_request(self):
            return "hi"

    app.add_url_rule("/a", view_func=Hello.as_view("hello"))
    with pytest.raises(AssertionError, match="overwriting"):
        app.add_url_rule("/b", view_func=Hello.as_view("hello"))


def test_required_methods_of_a_view_are_added(app, client):
    def view():
        return "ok"

    view.required_methods = ["POST"]
    app.add_url_rule("/r", view_func=view)
    assert client.post("/r").text == "ok"
    assert client.get("/r").text == "ok"


def test_provide_automatic_options_false(app, client):
    app.add_url_rule("/n", view_func=lambda: "n", endpoint="n", provide_automatic_options=False)
    assert client.options("/n").status_code == 405


def test_redirect_to_a_rule_template(app, client):
    @app.route("/new/<int:id>")
    def new(id):  # noqa: A002 - a URL variable's name
        return f"new {id}"

    app.add_url_rule("/old/<int:id>", "old", redirect_to="/new/<id>")
    response = client.get("/old/7?q=1")
    assert response.status_code == 308
    assert response.headers["Location"] == "/new/7"
    assert client.get(response.headers["Location"]).text == "new 7"


def test_redirect_to_a_callable_and_an_absolute_url(app, client):
    @app.route("/new/<int:id>")
    def new(id):  # noqa: A002
        return "new"

    app.add_url_rule(
        "/double/<int:id>",
        "double",
        redirect_to=lambda adapter, id: adapter.build("new", {"id": id * 2}),
    )
    app.add_url_rule("/away", "away", redirect_to="https://other.example/x")
    assert client.get("/double/4").headers["Location"] == "/new/8"
    assert client.get("/away").headers["Location"] == "https://other.example/x"


class Everything(BaseConverter):
    """Any text, slashes too, given back unquoted: the worst case for a redirect."""

    regex = ".*"

    def to_url(self, value):
        return str(value)


def test_redirect_to_never_makes_a_protocol_relative_location(app, client):
    app.url_map.converters["everything"] = Everything
    app.add_url_rule("/go/<everything:rest>", "go", redirect_to="/<rest>")
    response = client.get("/go//evil.example/x")
    assert response.status_code == 308
    assert response.headers["Location"] == "/evil.example/x"


def test_build_only_rules_build_but_never_match(app, client):
    app.add_url_rule("/docs/<page>", "docs", build_only=True)
    assert client.get("/docs/intro").status_code == 404
    with app.test_request_context():
        assert url_for("docs", page="intro") == "/docs/intro"


def test_defaults_redirect_to_the_rule_that_provides_them(app, client):
    @app.route("/page/", defaults={"n": 1})
    @app.route("/page/<int:n>")
    def page(n):
        return f"page {n}"

    assert client.get("/page/").text == "page 1"
    assert client.get("/page/2").text == "page 2"
    response = client.get("/page/1?x=y")
    assert response.status_code == 308
    assert response.headers["Location"] == "/page/?x=y"


def test_alias_redirects_to_the_canonical_url(app, client):
    @app.route("/articles/<int:id>")
    @app.route("/a/<int:id>", alias=True)
    def article(id):  # noqa: A002
        return f"article {id}"

    assert client.get("/articles/5").text == "article 5"
    response = client.get("/a/5")
    assert response.status_code == 308
    assert response.headers["Location"] == "/articles/5"
    with app.test_request_context():
        assert url_for("article", id=5) == "/articles/5"


def test_strict_slashes_from_the_map_and_per_rule(app, client):
    app.url_map.strict_slashes = False

    @app.route("/loose/")
    def loose():
        return "loose"

    @app.route("/strict/", strict_slashes=True)
    def strict():
        return "strict"

    assert client.get("/loose").text == "loose"
    assert client.get("/loose/").text == "loose"
    assert client.get("/strict").status_code == 308


def test_merge_slashes_is_opt_in(app, client):
    @app.route("/a/b")
    def ab():
        return "ab"

    @app.route("/c/d", merge_slashes=True)
    def cd():
        return "cd"

    assert client.get("/a//b").status_code == 404
    response = client.get("/c//d")
    assert response.status_code == 308
    assert response.headers["Location"] == "/c/d"


def test_registering_something_that_is_not_a_converter_is_a_clear_error(app):
    app.url_map.converters["oops"] = dict
    with pytest.raises(TypeError, match="not a converter class"):
        app.add_url_rule("/<oops:x>", "x", lambda x: x)


def test_unknown_route_option_names_the_ones_there_are(app):
    with pytest.raises(TypeError, match="redirect_to") as info:
        app.add_url_rule("/x", "x", lambda: "", colour="red")
    assert "colour" in str(info.value)


def test_url_map_as_flask_code_reads_it(app):
    app.url_map.converters["upper"] = app.url_map.converters["default"]

    @app.route("/u/<upper:name>", defaults={"tab": "info"}, methods=["GET", "POST"])
    def user(name, tab):
        return name

    rule = next(app.url_map.iter_rules("user"))
    assert rule.rule == "/u/<upper:name>"
    assert rule.endpoint == "user"
    assert rule.methods == {"GET", "HEAD", "POST", "OPTIONS"}
    assert rule.arguments == {"name", "tab"}
    assert rule.defaults == {"tab": "info"}
    assert rule.subdomain == ""
    assert rule.host is None
    assert rule.map is app.url_map
    assert rule in list(app.url_map.iter_rules())


def test_bind_and_match_a_path(app):
    @app.route("/user/<int:uid>")
    def user(uid):
        return ""

    adapter = app.url_map.bind("example.com")
    assert adapter.match("/user/3") == ("user", {"uid": 3})
    rule, values = adapter.match("/user/3", return_rule=True)
    assert rule.endpoint == "user"
    assert adapter.test("/user/3") and not adapter.test("/nope")
    assert adapter.build("user", {"uid": 4}) == "/user/4"
    assert adapter.build("user", {"uid": 4}, force_external=True) == "http://example.com/user/4"
    with pytest.raises(BuildError):
        adapter.build("nope")


def test_bind_to_environ(app):
    @app.route("/x")
    def x():
        return ""

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/x",
        "SCRIPT_NAME": "",
        "HTTP_HOST": "example.com",
        "wsgi.url_scheme": "https",
    }
    adapter = app.url_map.bind_to_environ(environ)
    assert adapter.match() == ("x", {})
    assert adapter.build("x", force_external=True) == "https://example.com/x"


def test_create_url_adapter(app):
    @app.route("/x")
    def x():
        return ""

    assert app.create_url_adapter(None) is None
    app.config["SERVER_NAME"] = "example.com"
    assert app.create_url_adapter(None).build("x", force_external=True) == "http://example.com/x"
    with app.test_request_context("/x", base_url="https://site.test"):
        from erlen import request

        adapter = app.create_url_adapter(request)
        assert adapter.match() == ("x", {})
