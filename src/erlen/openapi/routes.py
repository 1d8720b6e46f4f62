"""The routes serving the OpenAPI document and its docs page.

The docs page itself is :mod:`erlen.openapi.page`'s, registered through
:func:`~erlen.openapi.page.register_docs_page` with ``OPENAPI_DOCS_URL`` and
``OPENAPI_DOCS_UI``.
"""

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
    from .page import register_docs_page

    register_docs_page(
        app,
        docs_url=docs_url,
        openapi_url=url,
        title=str(app.config.get("OPENAPI_TITLE") or app.name),
        ui=app.config.get("OPENAPI_DOCS_UI") or "erlen",
    )
