"""erlen.security.security_headers: safe defaults, overrides, HTTPS-only HSTS."""

from __future__ import annotations

import pytest

from erlen import Blueprint, Erlen, make_response
from erlen.security import DEFAULT_CSP, security_headers


@pytest.fixture
def app(app: Erlen) -> Erlen:
    @app.route("/")
    def index():
        return "<p>home</p>"

    @app.route("/embeddable")
    def embeddable():
        response = make_response("<p>frame me</p>")
        response.headers["Content-Security-Policy"] = "frame-ancestors https://partner.example"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response

    return app


def test_defaults(app, client):
    security_headers(app)
    headers = client.get("/").headers
    assert headers["Content-Security-Policy"] == DEFAULT_CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Permissions-Policy" not in headers
    # Plain HTTP: browsers ignore HSTS there, so it is not sent.
    assert "Strict-Transport-Security" not in headers


def test_hsts_over_https(app, client):
    security_headers(app)
    headers = client.get("/", base_url="https://localhost").headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_hsts_options(app, client):
    security_headers(app, hsts_max_age=600, hsts_include_subdomains=False, hsts_preload=True)
    headers = client.get("/", base_url="https://localhost").headers
    assert headers["Strict-Transport-Security"] == "max-age=600; preload"


def test_everything_can_be_turned_off(app, client):
    security_headers(
        app,
        hsts=False,
        csp=None,
        content_type_options=False,
        referrer_policy=None,
        frame_options=None,
        cross_origin_opener_policy=None,
    )
    headers = client.get("/", base_url="https://localhost").headers
    for name in (
        "Strict-Transport-Security",
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "X-Frame-Options",
        "Cross-Origin-Opener-Policy",
    ):
        assert name not in headers


def test_a_view_s_own_headers_win(app, client):
    security_headers(app)
    headers = client.get("/embeddable").headers
    assert headers["Content-Security-Policy"] == "frame-ancestors https://partner.example"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_error_pages_get_them_too(app, client):
    security_headers(app)
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_blueprint_only(app, client):
    admin = Blueprint("admin", __name__, url_prefix="/admin")

    @admin.route("/")
    def panel():
        return "panel"

    security_headers(admin, permissions_policy="camera=()")
    app.register_blueprint(admin)
    assert client.get("/admin/").headers["Permissions-Policy"] == "camera=()"
    assert "Permissions-Policy" not in client.get("/").headers


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"csp": "default-src 'self'\r\nSet-Cookie: x=1"}, "newline"),
        ({"frame_options": "ALLOW-FROM https://x"}, "DENY"),
        ({"hsts_max_age": -1}, "seconds"),
    ],
)
def test_bad_options_are_refused_when_registered(app, options, message):
    with pytest.raises(ValueError, match=message):
        security_headers(app, **options)


def test_a_second_call_for_the_same_app_is_refused_with_what_to_do(app, client):
    security_headers(app, frame_options="SAMEORIGIN")
    with pytest.raises(RuntimeError, match="already called.*pass every option in one call"):
        security_headers(app, frame_options=None)
    # The first call's headers are what the app sends; the refused call added nothing.
    assert client.get("/").headers["X-Frame-Options"] == "SAMEORIGIN"
    assert len(app.after_request_funcs[None]) == 1


def test_an_app_and_its_blueprint_each_get_one_call():
    app = Erlen(__name__)
    blueprint = Blueprint("admin", __name__)
    security_headers(blueprint, frame_options="DENY")
    security_headers(app, frame_options="SAMEORIGIN")  # another target: allowed
    with pytest.raises(RuntimeError, match="already called"):
        security_headers(blueprint)
