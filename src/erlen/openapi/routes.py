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

    def openapi_docs() -> t.Any:
        from importlib import import_module

        from ..helpers import url_for

        # The page's module is loaded by name: only this view ever needs it.
        page = import_module(".page", __package__)
        title = app.config.get("OPENAPI_TITLE") or app.name
        html = page.docs_page_html(openapi_url=url_for("_openapi"), title=str(title))
        return app.response_class(html, content_type="text/html; charset=utf-8")

    app._add_rule(docs_url, "_openapi_docs", openapi_docs, methods=["GET"])
