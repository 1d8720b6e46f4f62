"""The routes serving the OpenAPI document and its docs page."""

from __future__ import annotations

import json
import typing as t

__all__ = ["add_openapi_routes", "openapi_json"]

DEFAULT_URL = "/openapi.json"
DEFAULT_DOCS_URL = "/docs"


def openapi_json(app: t.Any) -> bytes:
    """Return the app's document as JSON bytes, built once and then kept."""
    body = app.__dict__.get("_openapi_json")
    if body is None:
        from .document import build_document

        body = json.dumps(build_document(app), separators=(",", ":")).encode()
        app.__dict__["_openapi_json"] = body
    return t.cast(bytes, body)


def _taken(app: t.Any, url: str) -> bool:
    return any(rule.rule == url for rule in app.url_map.iter_rules())


def add_openapi_routes(app: t.Any) -> None:
    """Add the document's route and the docs page's, unless turned off or taken.

    Called when the app's first typed view is registered, so
    ``OPENAPI_URL`` and ``OPENAPI_DOCS_URL`` are read then: set them before
    declaring routes.
    """
    url = app.config.get("OPENAPI_URL", DEFAULT_URL)
    if not url or _taken(app, url):
        return

    def openapi_document() -> t.Any:
        return app.response_class(openapi_json(app), content_type="application/json")

    app._add_rule(url, "_openapi", openapi_document, methods=["GET"])
    docs_url = app.config.get("OPENAPI_DOCS_URL", DEFAULT_DOCS_URL)
    if not docs_url or _taken(app, docs_url):
        return
    title = str(app.config.get("OPENAPI_TITLE") or app.name)
    ui = app.config.get("OPENAPI_DOCS_UI", "erlen")
    if ui == "swagger":
        _add_swagger_ui(app, docs_url, title)
        return
    if ui != "erlen":
        raise ValueError(
            f"OPENAPI_DOCS_UI is {ui!r}; it may be 'erlen' (the page erlen ships, the "
            "default) or 'swagger' (Swagger UI, from pip install 'erlen[swagger-ui]')."
        )

    def openapi_docs() -> t.Any:
        from importlib import import_module

        from ..helpers import url_for

        # The page's module is loaded by name: only this view ever needs it.
        page = import_module(".page", __package__)
        html = page.docs_page_html(openapi_url=url_for("_openapi"), title=title)
        return app.response_class(html, content_type="text/html; charset=utf-8")

    app._add_rule(docs_url, "_openapi_docs", openapi_docs, methods=["GET"])


_SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({{url: {document}, dom_id: "#swagger-ui"}});</script>
</body>
</html>
"""


def _add_swagger_ui(app: t.Any, docs_url: str, title: str) -> None:
    """Serve Swagger UI at the docs URL, its files from the swagger-ui-bundle-v2 package."""
    from importlib.util import find_spec

    if find_spec("swagger_ui_bundle") is None:
        raise RuntimeError(
            "OPENAPI_DOCS_UI = 'swagger' serves Swagger UI from the swagger-ui-bundle-v2 "
            "package, which is not installed. Install it (pip install 'erlen[swagger-ui]'), "
            "or leave OPENAPI_DOCS_UI unset for erlen's own page."
        )
    assets_rule = docs_url.rstrip("/") + "/swagger/<path:filename>"

    def openapi_docs() -> t.Any:
        from html import escape

        from ..helpers import url_for

        assets = url_for("_openapi_docs_assets", filename="x").rpartition("/")[0]
        # The document's URL as a JSON string, kept safe inside <script>.
        document = json.dumps(url_for("_openapi")).replace("<", "\\u003c")
        html = _SWAGGER_PAGE.format(title=escape(title), assets=escape(assets), document=document)
        return app.response_class(html, content_type="text/html; charset=utf-8")

    def openapi_docs_assets(filename: str) -> t.Any:
        from importlib import import_module

        from ..sendfile import send_from_directory

        folder = import_module("swagger_ui_bundle").swagger_ui_path
        return send_from_directory(folder, filename)

    app._add_rule(docs_url, "_openapi_docs", openapi_docs, methods=["GET"])
    app._add_rule(assets_rule, "_openapi_docs_assets", openapi_docs_assets, methods=["GET"])
