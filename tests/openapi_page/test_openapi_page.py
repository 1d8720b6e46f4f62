"""The docs page's HTML and its routes, without a browser.

What a browser does with the page is in test_openapi_page_browser.py;
here: what erlen sends (escaping, the embedded URL, the CSP that allows
exactly the inline blocks) and how ``register_docs_page`` serves it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest

import erlen.openapi.page as page
from erlen import Blueprint
from erlen.openapi.page import (
    DocsUIMissing,
    docs_page_headers,
    docs_page_html,
    register_docs_page,
    script_json,
)
from erlen.security import security_headers

ASSETS = Path(page.__file__).parent / "assets"
HOSTILE = "</script><script>alert(1)</script><!--"


class _Elements(HTMLParser):
    """Each element's tag, attributes and the text directly inside it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag, attrs):
        text: list[str] = []
        self.elements.append((tag, dict(attrs), text))
        if tag not in ("meta", "link"):
            self._open.append(text)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        if self._open:
            self._open[-1].append(data)


def elements(html: str, tag: str) -> list[tuple[dict[str, str | None], str]]:
    parser = _Elements()
    parser.feed(html)
    return [(attrs, "".join(text)) for name, attrs, text in parser.elements if name == tag]


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def csp_of(headers: list[tuple[str, str]]) -> dict[str, str]:
    value = dict(headers)["Content-Security-Policy"]
    directives = (part.strip().split(" ", 1) for part in value.split(";"))
    return {name: rest for name, rest in directives}


def test_title_is_escaped_in_title_and_heading():
    html = docs_page_html(openapi_url="/openapi.json", title="<b>Shop</b> & co")
    assert "<b>Shop</b>" not in html
    assert "<title>&lt;b&gt;Shop&lt;/b&gt; &amp; co</title>" in html
    assert [text for _, text in elements(html, "title")] == ["<b>Shop</b> & co"]
    assert [text for _, text in elements(html, "h1")] == ["<b>Shop</b> & co"]


def test_openapi_url_reaches_the_script_as_json_data():
    url = "/api/openapi.json?x=" + HOSTILE + "&y='\"\u2028"
    html = docs_page_html(openapi_url=url, title="API")
    scripts = elements(html, "script")
    # One data block and one script; the URL is in the data block only.
    assert [attrs.get("type") for attrs, _ in scripts] == ["application/json", None]
    data, code = scripts[0][1], scripts[1][1]
    assert json.loads(data) == {"openapiUrl": url}
    assert "</script" not in data and "<!--" not in data
    assert "openapi.json" not in code
    assert "alert(1)" not in code
    # Elsewhere (the loading note, the noscript link) it is escaped text.
    assert HOSTILE not in html
    assert html.count(escape(url)) == 3


def test_script_json_escapes_what_html_would_read():
    assert script_json("</script>&<!--") == '"\\u003c/script\\u003e\\u0026\\u003c!--"'
    assert json.loads(script_json({"a": "</script>"})) == {"a": "</script>"}


def test_csp_allows_exactly_the_inline_script_and_style():
    html = docs_page_html(openapi_url="/openapi.json", title="API")
    script = elements(html, "script")[1][1]
    style = elements(html, "style")[0][1]
    assert script == (ASSETS / "docs.js").read_text()
    assert style == (ASSETS / "docs.css").read_text()
    csp = csp_of(docs_page_headers())
    assert csp["script-src"] == csp_hash(script)
    assert csp["style-src"] == csp_hash(style)
    assert csp["default-src"] == "'none'"
    assert csp["connect-src"] == "'self'"  # the document and "try it": this origin only


def test_page_names_nothing_off_the_server():
    html = docs_page_html(openapi_url="/openapi.json", title="API")
    for tag in ("script", "link", "img", "iframe"):
        for attrs, _ in elements(html, tag):
            for name in ("src", "href"):
                value = attrs.get(name)
                assert value is None or value.startswith(("/", "data:")), (tag, attrs)
    assert "@import" not in html
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)


@pytest.mark.parametrize(
    "sink", ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("]
)
def test_script_never_parses_document_strings_as_html(sink):
    # Every string from the document goes through textContent or
    # setAttribute; the browser test checks the result on a hostile document.
    lines = (ASSETS / "docs.js").read_text().splitlines()
    code = [line for line in lines if not line.strip().startswith("//")]
    assert [line for line in code if sink in line] == []


def test_assets_ship_in_the_wheel():
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    assert '"openapi/assets/*.js", "openapi/assets/*.css"' in pyproject
    assert {p.name for p in ASSETS.iterdir()} >= {"docs.js", "docs.css", "swagger-init.js"}


def test_register_serves_the_page_with_its_own_csp(app, client):
    security_headers(app)  # the app's CSP would refuse inline blocks
    register_docs_page(app, docs_url="/docs", openapi_url="/openapi.json", title="Shop")
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers.getlist("Content-Type") == ["text/html; charset=utf-8"]
    assert response.headers.getlist("Content-Security-Policy") == [
        dict(docs_page_headers())["Content-Security-Policy"]
    ]
    body = response.get_data(as_text=True)
    assert body == docs_page_html(openapi_url="/openapi.json", title="Shop")
    assert client.post("/docs").status_code == 405


def test_register_on_a_blueprint(app, client):
    blueprint = Blueprint("v2", __name__, url_prefix="/v2")
    register_docs_page(blueprint, openapi_url="/v2/openapi.json", title="Version 2")
    app.register_blueprint(blueprint)
    response = client.get("/v2/docs")
    assert response.status_code == 200
    assert json.loads(elements(response.get_data(as_text=True), "script")[0][1]) == {
        "openapiUrl": "/v2/openapi.json"
    }


def test_unknown_ui_is_refused_at_setup(app):
    with pytest.raises(ValueError) as caught:
        register_docs_page(app, ui="redoc")
    assert str(caught.value) == (
        "OPENAPI_DOCS_UI is 'redoc', which is not a docs page erlen knows. "
        "Use one of 'erlen', 'swagger'."
    )


def test_swagger_without_its_package_names_the_extra(app, monkeypatch):
    monkeypatch.setattr(page, "find_spec", lambda name: None)
    with pytest.raises(DocsUIMissing) as caught:
        register_docs_page(app, ui="swagger")
    assert "pip install 'erlen[swagger-ui]'" in str(caught.value)
    assert "swagger-ui-bundle-v2" in str(caught.value)
    assert "/docs" not in [rule.rule for rule in app.url_map.iter_rules()]


@pytest.fixture
def fake_swagger_ui(tmp_path, monkeypatch):
    """A stand-in for swagger-ui-bundle-v2: a ``swagger_ui_bundle`` package with its files.

    Two versions: the newer one is served; an incomplete folder is passed over.
    """
    package = tmp_path / "swagger_ui_bundle"
    (package / "__init__.py").parent.mkdir()
    (package / "__init__.py").write_text("raise ImportError('the page must not import me')\n")
    for version, bundle in (("5.9.0", "old"), ("5.31.0", "var SwaggerUIBundle;\n")):
        folder = package / "vendor" / f"swagger-ui-{version}"
        folder.mkdir(parents=True)
        (folder / "swagger-ui.css").write_text("body { color: black }\n")
        (folder / "swagger-ui-bundle.js").write_text(bundle)
        (folder / "index.html").write_text("not served\n")
    (package / "vendor" / "swagger-ui-6.0.0").mkdir()  # no files: not Swagger UI
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "swagger_ui_bundle", raising=False)
    return package


def test_swagger_ui_is_served_from_its_package(app, client, fake_swagger_ui):
    register_docs_page(app, docs_url="/docs", openapi_url="/openapi.json", ui="swagger")
    response = client.get("/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert [attrs["src"] for attrs, _ in elements(html, "script") if "src" in attrs] == [
        "/docs/swagger-ui/swagger-ui-bundle.js",
        "/docs/swagger-ui/erlen-swagger-init.js",
    ]
    assert json.loads(elements(html, "script")[0][1]) == {"openapiUrl": "/openapi.json"}
    bundle = client.get("/docs/swagger-ui/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert bundle.get_data(as_text=True) == "var SwaggerUIBundle;\n"
    assert client.get("/docs/swagger-ui/swagger-ui.css").mimetype == "text/css"
    starter = client.get("/docs/swagger-ui/erlen-swagger-init.js")
    assert starter.get_data(as_text=True) == (ASSETS / "swagger-init.js").read_text()
    # Only the files the page uses: nothing else from the folder, nothing outside it.
    assert client.get("/docs/swagger-ui/index.html").status_code == 404
    assert client.get("/docs/swagger-ui/..%2F__init__.py").status_code == 404
