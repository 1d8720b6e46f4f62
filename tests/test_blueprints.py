"""Blueprints: registration, prefixes, nesting, scoped hooks and handlers."""

from __future__ import annotations

import pytest

from erlen import Blueprint, Erlen, abort, g, request, url_for


def test_routes_prefix_and_endpoint_names(app, client):
    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.route("/")
    def index():
        return f"shop index {url_for('.item', iid=3)} {url_for('shop.index')}"

    @bp.get("/item/<int:iid>")
    def item(iid):
        return {"item": iid, "endpoint": request.endpoint, "blueprint": request.blueprint}

    app.register_blueprint(bp)
    assert client.get("/shop/").text == "shop index /shop/item/3 /shop/"
    assert client.get("/shop/item/7").json == {
        "item": 7,
        "endpoint": "shop.item",
        "blueprint": "shop",
    }
    assert client.get("/shop").status_code == 308


def test_url_prefix_at_registration_and_twice_under_two_names(app, client):
    bp = Blueprint("api", __name__)

    @bp.route("/ping")
    def ping():
        return request.blueprint

    app.register_blueprint(bp, url_prefix="/v1")
    app.register_blueprint(bp, url_prefix="/v2", name="api_v2")
    assert client.get("/v1/ping").text == "api"
    assert client.get("/v2/ping").text == "api_v2"
    with app.test_request_context():
        assert url_for("api_v2.ping") == "/v2/ping"


def test_registering_twice_under_one_name_is_an_error(app):
    bp = Blueprint("api", __name__)
    app.register_blueprint(bp)
    with pytest.raises(ValueError, match="already registered.*name="):
        app.register_blueprint(bp)


def test_bad_names_are_refused():
    with pytest.raises(ValueError, match="dot"):
        Blueprint("a.b", __name__)
    with pytest.raises(ValueError, match="name"):
        Blueprint("", __name__)
    bp = Blueprint("x", __name__)
    with pytest.raises(ValueError, match="dot"):
        bp.add_url_rule("/", "a.b", lambda: "")


def test_setup_after_registration_is_an_error(app):
    bp = Blueprint("late", __name__)
    app.register_blueprint(bp)
    with pytest.raises(RuntimeError, match="after it was registered"):

        @bp.route("/x")
        def x():
            return ""


def test_nested_blueprints(app, client):
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")
    calls = []

    @parent.before_request
    def parent_before():
        calls.append("parent")

    @child.before_request
    def child_before():
        calls.append("child")

    @app.before_request
    def app_before():
        calls.append("app")

    @child.route("/page")
    def page():
        return f"{request.endpoint} {request.blueprint} {url_for('.page')}"

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert client.get("/parent/child/page").text == (
        "parent.child.page parent.child /parent/child/page"
    )
    assert calls == ["app", "parent", "child"]


def test_hooks_are_scoped(app, client):
    bp = Blueprint("bp", __name__)
    seen = []

    @bp.before_request
    def only_bp():
        seen.append(("bp", request.path))

    @bp.before_app_request
    def everywhere():
        seen.append(("app-wide", request.path))

    @bp.after_request
    def stamp(response):
        response.headers["X-BP"] = "1"
        return response

    @bp.route("/in")
    def inside():
        return "in"

    @app.route("/out")
    def outside():
        return "out"

    app.register_blueprint(bp)
    assert client.get("/in").headers["X-BP"] == "1"
    assert "X-BP" not in client.get("/out").headers
    assert seen == [("app-wide", "/in"), ("bp", "/in"), ("app-wide", "/out")]


def test_error_handlers_are_scoped(app, client):
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.errorhandler(403)
    def bp_forbidden(error):
        return "bp forbids", 403

    @bp.app_errorhandler(410)
    def gone(error):
        return "gone everywhere", 410

    @bp.route("/deny")
    def deny():
        abort(403)

    @bp.route("/gone")
    def bp_gone():
        abort(410)

    @app.route("/deny")
    def app_deny():
        abort(403)

    @app.route("/gone")
    def app_gone():
        abort(410)

    app.register_blueprint(bp)
    assert client.get("/bp/deny").text == "bp forbids"
    assert "bp forbids" not in client.get("/deny").text
    assert client.get("/gone").text == "gone everywhere"
    assert client.get("/bp/gone").text == "gone everywhere"


def test_url_value_preprocessor_and_defaults(app, client):
    bp = Blueprint("lang", __name__, url_prefix="/<lang>")

    @bp.url_defaults
    def add_lang(endpoint, values):
        values.setdefault("lang", g.lang)

    @bp.url_value_preprocessor
    def pull_lang(endpoint, values):
        g.lang = values.pop("lang")

    @bp.route("/about")
    def about():
        return f"{g.lang} {url_for('.about')}"

    app.register_blueprint(bp)
    assert client.get("/de/about").text == "de /de/about"


def test_app_level_url_defaults(app, client):
    @app.url_defaults
    def version(endpoint, values):
        if endpoint == "doc":
            values.setdefault("version", "latest")

    @app.route("/docs/<version>")
    def doc(version):
        return url_for("doc")

    assert client.get("/docs/1.0").text == "/docs/latest"


def test_blueprint_defaults_and_url_defaults_option(app, client):
    bp = Blueprint("pages", __name__, url_defaults={"page": 1})

    @bp.route("/list/<int:page>")
    @bp.route("/list/")
    def listing(page):
        return f"page {page}"

    app.register_blueprint(bp)
    assert client.get("/list/").text == "page 1"
    assert client.get("/list/4").text == "page 4"


def test_blueprint_endpoint_decorator_and_add_url_rule(app, client):
    bp = Blueprint("bp", __name__)
    bp.add_url_rule("/named", "named")

    @bp.endpoint("named")
    def named():
        return "named in bp"

    app.register_blueprint(bp)
    assert client.get("/named").text == "named in bp"


def test_same_blueprint_on_two_apps():
    bp = Blueprint("shared", __name__)

    @bp.route("/hello")
    def hello():
        return "hello"

    def create_app():
        app = Erlen("factory_app")
        app.register_blueprint(bp)
        return app

    for app in (create_app(), create_app()):
        assert app.test_client().get("/hello").text == "hello"


def test_app_template_helpers_are_recorded(app):
    bp = Blueprint("bp", __name__)

    @bp.app_template_filter("shout")
    def shout(value):
        return value.upper()

    @bp.app_template_global()
    def answer():
        return 42

    bp.add_app_template_test(lambda value: value == 0, "zero")
    app.register_blueprint(bp)
    assert app.template_extras["filters"]["shout"] is shout
    assert app.template_extras["globals"]["answer"] is answer
    assert "zero" in app.template_extras["tests"]


def test_blueprint_static_folder(app, client, tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "bp.css").write_text("body{}")
    bp = Blueprint(
        "themed",
        __name__,
        static_folder="assets",
        static_url_path="/theme",
        url_prefix="/t",
        root_path=str(tmp_path),
    )
    app.register_blueprint(bp)
    with app.test_request_context():
        assert url_for("themed.static", filename="bp.css") == "/t/theme/bp.css"
    response = client.get("/t/theme/bp.css")
    assert response.status_code == 200
    assert response.data == b"body{}"
    assert client.get("/t/theme/../secret").status_code == 404


def test_iter_blueprints_in_order(app):
    first, second = Blueprint("first", __name__), Blueprint("second", __name__)
    app.register_blueprint(first)
    app.register_blueprint(second)
    assert list(app.iter_blueprints()) == [first, second]
    assert app.blueprints == {"first": first, "second": second}
    assert repr(first) == "<Blueprint 'first'>"
