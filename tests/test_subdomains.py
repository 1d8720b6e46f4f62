"""Subdomain routing: SERVER_NAME, subdomain_matching, subdomain= on routes and blueprints."""

from __future__ import annotations

import pytest

from erlen import Blueprint, Erlen, url_for


def host(name: str) -> dict[str, str]:
    return {"Host": name}


@pytest.fixture
def app() -> Erlen:
    app = Erlen("subdomain_app", subdomain_matching=True, static_folder=None)
    app.config["TESTING"] = True
    app.config["SERVER_NAME"] = "example.com"

    @app.route("/")
    def index():
        return "index " + url_for("api_index") + " " + url_for("index")

    @app.route("/", subdomain="api")
    def api_index():
        return "api " + url_for("api_index") + " " + url_for("index")

    @app.route("/profile", subdomain="<user>")
    def profile(user):
        return f"profile of {user} " + url_for("profile", user=user)

    return app


def test_the_bare_server_name_is_the_default_subdomain(client):
    response = client.get("/", headers=host("example.com"))
    assert response.status_code == 200
    # A link to another subdomain is absolute; one to the same subdomain is a path.
    assert response.text == "index http://api.example.com/ /"


def test_a_fixed_subdomain_reaches_its_route(client):
    response = client.get("/", headers=host("api.example.com"))
    assert response.text == "api / http://example.com/"


def test_host_names_are_case_insensitive_and_default_port_is_ignored(client):
    assert client.get("/", headers=host("API.Example.COM")).text.startswith("api ")
    assert client.get("/", headers=host("api.example.com:80")).text.startswith("api ")


def test_a_variable_subdomain_is_a_view_argument(client):
    response = client.get("/profile", headers=host("alice.example.com"))
    assert response.text == "profile of alice /profile"
    # Like Werkzeug's default converter, the variable takes dots too.
    assert client.get("/profile", headers=host("a.b.example.com")).text.startswith(
        "profile of a.b "
    )


def test_rules_of_the_default_subdomain_do_not_answer_other_subdomains(client):
    assert client.get("/", headers=host("www.example.com")).status_code == 404
    assert client.get("/profile", headers=host("example.com")).status_code == 404


@pytest.mark.parametrize("name", ["other.com", "localhost", "example.com:5000", "xexample.com"])
def test_a_host_outside_server_name_is_404(client, name):
    for path in ("/", "/profile"):
        response = client.get(path, headers=host(name))
        assert response.status_code == 404
    assert "SERVER_NAME" in response.text


@pytest.mark.parametrize("name", ["exa mple.com", "a/b", "example.com:99999", "[zz]", "é.com"])
def test_a_garbage_host_header_is_400_with_a_reason(client, name):
    response = client.get("/", headers=host(name))
    assert response.status_code == 400
    assert "not a valid host name" in response.text


def test_server_name_with_port(app, client):
    app.config["SERVER_NAME"] = "example.com:5000"
    assert client.get("/", headers=host("api.example.com:5000")).text == (
        "api / http://example.com:5000/"
    )
    assert client.get("/", headers=host("api.example.com")).status_code == 404


def test_url_for_outside_a_request_uses_server_name(app):
    with app.app_context():
        assert url_for("index") == "http://example.com/"
        assert url_for("api_index") == "http://api.example.com/"
        assert url_for("profile", user="bob") == "http://bob.example.com/profile"
        assert url_for("index", _external=False) == "/"
        # Another subdomain than SERVER_NAME's own cannot be reached by a path.
        assert url_for("api_index", _external=False) == "http://api.example.com/"
        assert url_for("api_index", _scheme="https") == "https://api.example.com/"
    assert app.url_for("profile", user="x", _anchor="top") == "http://x.example.com/profile#top"


def test_url_for_external_in_a_request(app):
    with app.test_request_context("/", headers=host("api.example.com")):
        assert url_for("api_index", _external=True) == "http://api.example.com/"
        assert url_for("index", q="1") == "http://example.com/?q=1"


def test_url_for_a_variable_subdomain_needs_its_value(app):
    from erlen.routing import BuildError

    with app.app_context(), pytest.raises(BuildError, match="user"):
        url_for("profile")


def test_head_and_options_follow_the_subdomain(client):
    assert client.head("/", headers=host("api.example.com")).status_code == 200
    response = client.options("/profile", headers=host("bob.example.com"))
    assert response.status_code == 200
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert client.post("/", headers=host("api.example.com")).status_code == 405


def test_a_missing_trailing_slash_redirects_on_the_same_subdomain(app, client):
    @app.route("/docs/", subdomain="api")
    def docs():
        return "docs"

    response = client.get("/docs", headers=host("api.example.com"))
    assert response.status_code == 308
    assert response.headers["Location"] == "/docs/"


def test_without_subdomain_matching_only_the_default_rules_match():
    app = Erlen("plain", static_folder=None)
    app.config["SERVER_NAME"] = "example.com"

    @app.route("/")
    def index():
        return "index " + url_for("api_index")

    @app.route("/", subdomain="api")
    def api_index():
        return "api"

    client = app.test_client()
    # As Flask 3.1: the host is not used for matching, whatever it is.
    for name in ("example.com", "api.example.com", "other.com"):
        assert client.get("/", headers=host(name)).text == "index http://api.example.com/"


def test_without_server_name_the_request_host_builds_subdomain_urls():
    app = Erlen("plain", static_folder=None)

    @app.route("/")
    def index():
        return url_for("api_index")

    @app.route("/a", subdomain="api")
    def api_index():
        return "api"

    client = app.test_client()
    assert client.get("/", headers=host("site.test:8000")).text == "http://api.site.test:8000/a"


def test_subdomain_matching_without_server_name_matches_the_default_only():
    app = Erlen("sm", subdomain_matching=True, static_folder=None)

    @app.route("/")
    def index():
        return "index"

    @app.route("/", subdomain="api")
    def api_index():
        return "api"

    client = app.test_client()
    assert client.get("/", headers=host("api.example.com")).text == "index"


def test_subdomain_matching_can_be_turned_on_after_construction():
    app = Erlen("late", static_folder=None)
    app.config["SERVER_NAME"] = "example.com"

    @app.route("/", subdomain="api")
    def api_index():
        return "api"

    client = app.test_client()
    assert client.get("/", headers=host("api.example.com")).status_code == 404
    app.subdomain_matching = True
    assert client.get("/", headers=host("api.example.com")).text == "api"


# -- blueprints --------------------------------------------------------------


def test_blueprint_subdomain_and_register_override():
    app = Erlen("bp", subdomain_matching=True, static_folder=None)
    app.config["SERVER_NAME"] = "example.com"
    api = Blueprint("api", __name__, subdomain="api")

    @api.route("/ping")
    def ping():
        return "pong " + url_for(".ping")

    other = Blueprint("other", __name__, subdomain="x")

    @other.route("/o")
    def o():
        return "o"

    app.register_blueprint(api)
    app.register_blueprint(other, subdomain="y")
    client = app.test_client()
    assert client.get("/ping", headers=host("api.example.com")).text == "pong /ping"
    assert client.get("/ping", headers=host("example.com")).status_code == 404
    assert client.get("/o", headers=host("y.example.com")).text == "o"
    assert client.get("/o", headers=host("x.example.com")).status_code == 404


def test_nested_blueprints_join_their_subdomains():
    app = Erlen("nested", subdomain_matching=True, static_folder=None)
    app.config["SERVER_NAME"] = "example.com"
    outer = Blueprint("outer", __name__, subdomain="api")
    inner = Blueprint("inner", __name__, subdomain="v1")
    plain = Blueprint("plain", __name__)

    @inner.route("/i")
    def i():
        return "i " + url_for("outer.o", _external=True)

    @plain.route("/p")
    def p():
        return "p"

    @outer.route("/o")
    def o():
        return "o"

    outer.register_blueprint(inner)
    outer.register_blueprint(plain, url_prefix="/n")
    app.register_blueprint(outer)
    subdomains = {rule.endpoint: rule.subdomain for rule in app.url_map.iter_rules()}
    assert subdomains == {"outer.o": "api", "outer.inner.i": "v1.api", "outer.plain.p": "api"}
    client = app.test_client()
    assert client.get("/i", headers=host("v1.api.example.com")).text == (
        "i http://api.example.com/o"
    )
    assert client.get("/n/p", headers=host("api.example.com")).text == "p"


def test_blueprint_static_route_gets_the_subdomain(tmp_path):
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a.txt").write_text("A")
    app = Erlen("bpstatic", subdomain_matching=True, static_folder=None)
    app.config["SERVER_NAME"] = "example.com"
    bp = Blueprint(
        "files", __name__, subdomain="cdn", static_folder="static", root_path=str(tmp_path)
    )
    app.register_blueprint(bp, url_prefix="/f")
    client = app.test_client()
    response = client.get("/f/static/a.txt", headers=host("cdn.example.com"))
    assert response.status_code == 200
    assert response.data == b"A"
    response.close()
    assert client.get("/f/static/a.txt", headers=host("example.com")).status_code == 404
    with app.app_context():
        assert url_for("files.static", filename="a.txt") == (
            "http://cdn.example.com/f/static/a.txt"
        )
