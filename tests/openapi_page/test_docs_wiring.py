"""How an app with typed views gets its docs page: the settings, under WSGI and ASGI.

``OPENAPI_DOCS_URL`` (``None`` turns the page off) and ``OPENAPI_DOCS_UI``
("erlen" or "swagger") go to ``register_docs_page`` when the first typed
view registers; the page's routes never show in the document; nothing is
built before it is asked for.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import msgspec
import pydantic
import pytest

from erlen import Blueprint, Created, Erlen, Query
from erlen.openapi.page import (
    SWAGGER_CSP,
    docs_page_headers,
    docs_page_html,
    register_docs_page,
    swagger_ui_directory,
)
from erlen.security import security_headers

HERE = Path(__file__).resolve().parent


class Item(msgspec.Struct):
    name: str
    price: float


class Order(pydantic.BaseModel):
    item: str
    quantity: int = pydantic.Field(ge=1)


def typed_app(**config: object) -> Erlen:
    app = Erlen("typed_docs")
    app.config.update(TESTING=True, OPENAPI_TITLE="Shop <docs>", **config)
    security_headers(app)  # the app's own CSP must not replace the page's

    @app.post("/items")
    def create_item(item: Item) -> Created[Item]:
        return item

    @app.post("/orders")
    def place_order(order: Order, dry_run: Annotated[bool, Query()] = False) -> Order:
        return order

    return app


@pytest.fixture
def app(request):
    """The typed app, with the settings a test gives by ``indirect`` parametrization."""
    return typed_app(**getattr(request, "param", {}))


def test_the_docs_page_is_served_with_its_own_csp(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers.getlist("Content-Type") == ["text/html; charset=utf-8"]
    assert response.headers.getlist("Content-Security-Policy") == [
        dict(docs_page_headers())["Content-Security-Policy"]
    ]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data(as_text=True) == docs_page_html(
        openapi_url="/openapi.json", title="Shop <docs>"
    )
    assert client.post("/docs").status_code == 405


def test_the_document_leaves_the_docs_page_out(client):
    document = client.get("/openapi.json").get_json()
    assert set(document["paths"]) == {"/items", "/orders"}
    assert "openapi_docs" not in json.dumps(document)


def test_a_mounted_app_points_the_page_at_its_mounted_document(client):
    response = client.get("/docs", base_url="http://localhost/shop")
    assert response.status_code == 200
    assert '{"openapiUrl": "/shop/openapi.json"}' in response.get_data(as_text=True)


@pytest.mark.parametrize("app", [{"OPENAPI_DOCS_URL": None}], ids=["off"], indirect=True)
def test_docs_url_none_turns_the_page_off(app, client):
    assert client.get("/docs").status_code == 404
    assert client.get("/openapi.json").status_code == 200
    assert "_openapi_docs" not in app.view_functions


@pytest.mark.parametrize(
    "app",
    [{"OPENAPI_URL": "/api/openapi.json", "OPENAPI_DOCS_URL": "/api/"}],
    ids=["moved"],
    indirect=True,
)
def test_the_page_moves_with_its_settings(client):
    assert client.get("/docs").status_code == 404
    page = client.get("/api/")
    assert page.status_code == 200
    assert '{"openapiUrl": "/api/openapi.json"}' in page.get_data(as_text=True)
    assert set(client.get("/api/openapi.json").get_json()["paths"]) == {"/items", "/orders"}


@pytest.mark.parametrize("app", [{"OPENAPI_DOCS_UI": "swagger"}], ids=["swagger"], indirect=True)
def test_swagger_ui_from_the_settings(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers.getlist("Content-Security-Policy") == [SWAGGER_CSP]
    text = page.get_data(as_text=True)
    assert '<script src="/docs/swagger-ui/swagger-ui-bundle.js"></script>' in text
    assert '{"openapiUrl": "/openapi.json"}' in text
    assert "<title>Shop &lt;docs&gt;</title>" in text
    bundle = client.get("/docs/swagger-ui/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert bundle.data == (swagger_ui_directory() / "swagger-ui-bundle.js").read_bytes()
    assert client.get("/docs/swagger-ui/swagger-ui.css").mimetype == "text/css"
    assert client.get("/docs/swagger-ui/index.html").status_code == 404
    document = client.get("/openapi.json").get_json()
    assert set(document["paths"]) == {"/items", "/orders"}


def test_an_unknown_ui_is_refused_when_the_first_typed_view_registers():
    with pytest.raises(ValueError, match=r"'redoc'.*Use one of 'erlen', 'swagger'\."):
        typed_app(OPENAPI_DOCS_UI="redoc")


def test_a_page_on_a_blueprint_stays_out_of_the_document(app, client):
    v2 = Blueprint("v2", __name__, url_prefix="/v2")
    register_docs_page(v2, openapi_url="/openapi.json", title="Version 2")
    app.register_blueprint(v2)
    assert client.get("/v2/docs").status_code == 200
    assert set(client.get("/openapi.json").get_json()["paths"]) == {"/items", "/orders"}


def test_nothing_is_built_before_it_is_asked_for():
    script = (
        "import sys\n"
        "from typed_shop_app import app\n"
        "from erlen.openapi import page\n"
        "def built():\n"
        "    return (page._page_assets.cache_info().currsize, '_openapi_json' in app.__dict__)\n"
        "print(built())\n"
        "client = app.test_client()\n"
        "assert client.get('/docs').status_code == 200\n"
        "print(built())\n"  # the page, not the document: the browser fetches that
        "assert client.get('/openapi.json').status_code == 200\n"
        "print(built())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=HERE,
        env={"PYTHONPATH": f"{Path(__file__).parents[2] / 'src'}:{HERE}", "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["(0, False)", "(1, False)", "(1, True)"]


def test_a_mounted_app_declares_its_prefix_as_the_server(app, client):
    plain = client.get("/openapi.json").get_json()
    assert "servers" not in plain
    mounted = client.get("/openapi.json", base_url="http://localhost/shop").get_json()
    assert list(mounted)[:3] == ["openapi", "info", "servers"]
    assert mounted["servers"] == [{"url": "/shop"}]
    assert {**mounted, "servers": None} == {**plain, "servers": None}
    # The app's own servers win.
    app.config["OPENAPI_SERVERS"] = [{"url": "https://api.example"}]
    app.__dict__.pop("_openapi_json")
    again = client.get("/openapi.json", base_url="http://localhost/shop").get_json()
    assert again["servers"] == [{"url": "https://api.example"}]
