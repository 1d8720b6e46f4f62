"""Host matching: host= on routes, host variables, static_host."""

from __future__ import annotations

import pytest

from erlen import Erlen, url_for


def host(name: str) -> dict[str, str]:
    return {"Host": name}


@pytest.fixture
def app(tmp_path) -> Erlen:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "site.css").write_text("body{}")
    app = Erlen(
        "host_app",
        host_matching=True,
        static_host="static.example.com",
        root_path=str(tmp_path),
    )
    app.config["TESTING"] = True

    @app.route("/", host="example.com")
    def index():
        return " ".join(
            [
                "index",
                url_for("index"),
                url_for("user_home", name="bob"),
                url_for("static", filename="site.css"),
                url_for("anywhere"),
            ]
        )

    @app.route("/", host="<name>.example.org")
    def user_home(name):
        return f"home of {name} " + url_for("user_home", name=name) + " " + url_for("index")

    @app.route("/health")
    def anywhere():
        return "ok"

    return app


def test_a_fixed_host_reaches_its_route(client):
    response = client.get("/", headers=host("example.com"))
    assert response.text == (
        "index / http://bob.example.org/ http://static.example.com/static/site.css /health"
    )


def test_a_host_variable_is_a_view_argument(client):
    response = client.get("/", headers=host("carol.example.org"))
    assert response.text == "home of carol / http://example.com/"


def test_hosts_are_case_insensitive_and_the_default_port_is_ignored(client):
    assert client.get("/", headers=host("EXAMPLE.com")).text.startswith("index ")
    assert client.get("/", headers=host("example.com:80")).text.startswith("index ")
    # Another port is another host.
    assert client.get("/", headers=host("example.com:5000")).status_code == 404


def test_an_unknown_host_is_404(client):
    assert client.get("/", headers=host("other.com")).status_code == 404
    assert client.get("/", headers=host("localhost")).status_code == 404


def test_a_rule_without_a_host_serves_every_host(client):
    for name in ("example.com", "other.com", "[::1]:8080"):
        assert client.get("/health", headers=host(name)).text == "ok"


def test_static_files_are_served_on_static_host_only(client):
    response = client.get("/static/site.css", headers=host("static.example.com"))
    assert response.status_code == 200
    assert response.data == b"body{}"
    response.close()
    assert client.get("/static/site.css", headers=host("example.com")).status_code == 404


@pytest.mark.parametrize(
    "name",
    ["exa mple.com", "a/b", "<script>", "example.com:0", "example.com:http", "[::1", "x" * 300],
)
def test_a_garbage_host_header_is_400_not_500(client, name):
    response = client.get("/", headers=host(name))
    assert response.status_code == 400
    assert "not a valid host name" in response.text
    assert "<script>" not in response.text


def test_method_not_allowed_lists_the_methods_of_that_host(client):
    response = client.post("/", headers=host("example.com"))
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    response = client.options("/", headers=host("bob.example.org"))
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_url_for_outside_a_request(app):
    app.config["SERVER_NAME"] = "example.com"
    with app.app_context():
        assert url_for("index") == "http://example.com/"
        assert url_for("user_home", name="x") == "http://x.example.org/"
        assert url_for("static", filename="a") == "http://static.example.com/static/a"
        assert url_for("anywhere") == "http://example.com/health"


def test_same_path_on_two_hosts():
    app = Erlen("two", host_matching=True, static_folder=None)

    @app.route("/", host="a.test")
    def a():
        return "a"

    @app.route("/", host="b.test")
    def b():
        return "b"

    @app.route("/")
    def fallback():
        return "fallback"

    client = app.test_client()
    assert client.get("/", headers=host("a.test")).text == "a"
    assert client.get("/", headers=host("b.test")).text == "b"
    # A rule with a host wins over one that serves every host.
    assert client.get("/", headers=host("c.test")).text == "fallback"


def test_host_matching_needs_static_host_when_there_are_static_files():
    with pytest.raises(ValueError, match="static_host") as info:
        Erlen("nostatic", host_matching=True)
    assert isinstance(info.value, AssertionError)  # what Flask raises
    with pytest.raises(ValueError, match="host_matching=True"):
        Erlen("nohm", static_host="static.example.com")
    # Without a static folder, nothing to serve and nothing to check.
    Erlen("fine", host_matching=True, static_folder=None)


def test_host_is_ignored_without_host_matching():
    # As Werkzeug: host= only means something on a map with host matching.
    app = Erlen("plain", static_folder=None)

    @app.route("/", host="example.com")
    def index():
        return "index"

    assert app.test_client().get("/", headers=host("other.com")).text == "index"


def test_url_map_reports_hosts(app):
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    assert rules["index"].host == "example.com"
    assert rules["user_home"].host == "<name>.example.org"
    assert rules["user_home"].arguments == {"name"}
    assert rules["static"].host == "static.example.com"
    assert rules["anywhere"].host is None
    assert app.url_map.host_matching is True
    adapter = app.url_map.bind("dave.example.org")
    assert adapter.match("/") == ("user_home", {"name": "dave"})
    assert adapter.build("index") == "http://example.com/"
