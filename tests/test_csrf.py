"""Cross-site request forgery protection: Sec-Fetch-Site, Origin, exemptions."""

from __future__ import annotations

import pytest

from erlen import Blueprint, Erlen
from erlen.csrf import CrossOriginRequestRefused, exempt


@pytest.fixture
def app(app: Erlen) -> Erlen:
    @app.route("/change", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def change():
        return "changed"

    @app.post("/hook")
    @exempt
    def hook():
        return "hooked"

    api = Blueprint("api", __name__, url_prefix="/api")

    @api.post("/items")
    def items():
        return "created"

    exempt(api)
    app.register_blueprint(api)

    admin = Blueprint("admin", __name__, url_prefix="/admin")
    inner = Blueprint("inner", __name__, url_prefix="/inner")

    @inner.post("/act")
    def act():
        return "acted"

    admin.register_blueprint(inner)
    app.register_blueprint(admin)
    return app


UNSAFE = ["POST", "PUT", "PATCH", "DELETE"]


@pytest.mark.parametrize("method", UNSAFE)
def test_cross_site_browser_request_is_refused(client, method):
    response = client.open("/change", method, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    text = response.text
    assert "another site" in text
    assert "CSRF_TRUSTED_ORIGINS" in text
    assert "exempt" in text


@pytest.mark.parametrize("site", ["same-origin", "none"])
@pytest.mark.parametrize("method", UNSAFE)
def test_same_origin_and_user_initiated_requests_pass(client, method, site):
    response = client.open("/change", method, headers={"Sec-Fetch-Site": site})
    assert response.status_code == 200
    assert response.text == "changed"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Origin": "https://evil.example"}, 403),
        ({"Sec-Fetch-Site": "same-origin"}, 200),
        ({"Origin": "http://localhost"}, 200),
        ({}, 200),
    ],
)
@pytest.mark.parametrize("body", [{"data": {"a": "1"}}, {"json": {"a": 1}}, {"data": b"x" * 100}])
def test_requests_with_a_body_are_checked_alike(client, headers, status, body):
    # Under ASGI the browser headers are found in the same pass as the body's
    # framing headers; a request with a body must be judged as one without.
    response = client.post("/change", headers=headers, **body)
    assert response.status_code == status


def test_same_site_is_another_origin_and_is_refused(client):
    headers = {"Sec-Fetch-Site": "same-site", "Origin": "https://other.localhost"}
    assert client.post("/change", headers=headers).status_code == 403


@pytest.mark.parametrize("site", ["cross-site", "same-site", "same-origin", "none"])
def test_safe_methods_are_never_checked(client, site):
    headers = {"Sec-Fetch-Site": site, "Origin": "https://evil.example"}
    assert client.get("/change", headers=headers).status_code == 200
    assert client.head("/change", headers=headers).status_code == 200
    assert client.options("/change", headers=headers).status_code == 200


def test_requests_without_either_header_pass(client):
    # curl, a server, a test: no browser, no victim's cookies.
    assert client.post("/change").status_code == 200
    assert client.delete("/change").status_code == 200


@pytest.mark.parametrize(
    "origin",
    ["http://localhost", "https://localhost", "http://LOCALHOST", "http://localhost:80"],
)
def test_origin_naming_this_host_passes_without_sec_fetch_site(client, origin):
    assert client.post("/change", headers={"Origin": origin}).status_code == 200


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://localhost:8080",
        "http://localhost.evil.example",
        "null",
        "file://",
        "not a url",
        "http://[::1",
        "javascript:alert(1)",
    ],
)
def test_origin_naming_another_host_is_refused(client, origin):
    response = client.post("/change", headers={"Origin": origin})
    assert response.status_code == 403


def test_origin_is_compared_with_the_host_and_port_asked_for(client):
    headers = {"Host": "shop.example:8443", "Origin": "https://shop.example:8443"}
    assert client.post("/change", headers=headers).status_code == 200
    headers = {"Host": "shop.example:8443", "Origin": "https://shop.example"}
    assert client.post("/change", headers=headers).status_code == 403


def test_ipv6_origin_matches_an_ipv6_host(client):
    headers = {"Host": "[::1]:5000", "Origin": "http://[::1]:5000"}
    assert client.post("/change", headers=headers).status_code == 200


def test_trusted_origins_pass_even_cross_site(app, client):
    app.config["CSRF_TRUSTED_ORIGINS"] = ["https://app.example.com"]
    trusted = {"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example.com"}
    assert client.post("/change", headers=trusted).status_code == 200
    other = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
    assert client.post("/change", headers=other).status_code == 403
    no_origin = {"Sec-Fetch-Site": "cross-site"}
    assert client.post("/change", headers=no_origin).status_code == 403


def test_trusted_origin_without_sec_fetch_site(app, client):
    app.config["CSRF_TRUSTED_ORIGINS"] = ["https://app.example.com"]
    assert client.post("/change", headers={"Origin": "https://app.example.com"}).status_code == 200


def test_exempt_view_and_blueprint(client):
    headers = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
    assert client.post("/hook", headers=headers).text == "hooked"
    assert client.post("/api/items", headers=headers).text == "created"
    assert client.post("/change", headers=headers).status_code == 403


def test_exempting_an_outer_blueprint_covers_the_nested_one(app, client):
    headers = {"Sec-Fetch-Site": "cross-site"}
    assert client.post("/admin/inner/act", headers=headers).status_code == 403
    exempt(app.blueprints["admin"])
    assert client.post("/admin/inner/act", headers=headers).text == "acted"


def test_protection_can_be_turned_off(app, client):
    app.config["CSRF_PROTECTION"] = False
    headers = {"Sec-Fetch-Site": "cross-site"}
    assert client.post("/change", headers=headers).status_code == 200


def test_refusal_comes_before_the_before_request_hooks(app, client):
    seen = []

    @app.before_request
    def record():
        seen.append("hook")

    client.post("/change", headers={"Sec-Fetch-Site": "cross-site"})
    assert seen == []
    client.post("/change", headers={"Sec-Fetch-Site": "same-origin"})
    assert seen == ["hook"]


def test_unknown_routes_and_methods_answer_as_before(client):
    headers = {"Sec-Fetch-Site": "cross-site"}
    assert client.post("/nowhere", headers=headers).status_code == 404
    assert client.post("/hook", headers={**headers}).status_code == 200
    assert client.put("/hook", headers=headers).status_code == 405


def test_refusal_answers_json_to_json_clients(client):
    response = client.post(
        "/change", headers={"Sec-Fetch-Site": "cross-site", "Accept": "application/json"}
    )
    assert response.status_code == 403
    assert response.json["code"] == 403
    assert "CSRF_TRUSTED_ORIGINS" in response.json["description"]


def test_refusal_escapes_the_origin_it_quotes(client):
    response = client.post("/change", headers={"Origin": "https://<script>x</script>"})
    assert response.status_code == 403
    assert "<script>" not in response.text


def test_refusal_can_have_its_own_error_handler(app, client):
    @app.errorhandler(CrossOriginRequestRefused)
    def refused(error):
        return "not from there", 403

    response = client.post("/change", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.text == "not from there"


def test_the_refusal_is_a_forbidden(app, client):
    @app.errorhandler(403)
    def forbidden(error):
        return f"forbidden: {type(error).__name__}", 403

    response = client.post("/change", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.text == "forbidden: CrossOriginRequestRefused"


def test_async_views_are_protected_too(app, client):
    @app.post("/async")
    async def async_view():
        return "async"

    assert client.post("/async", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post("/async", headers={"Sec-Fetch-Site": "same-origin"}).text == "async"
