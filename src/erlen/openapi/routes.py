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
#: How many copies of the document (one per mount prefix) are kept at most.
_KEPT_PREFIXES = 8


def openapi_json(app: t.Any, root_path: str = "") -> bytes:
    """Return the app's document as JSON bytes, built once and then kept.

    An app mounted under a prefix (``root_path``, from ``SCRIPT_NAME`` or
    ASGI's ``root_path``) and with no ``OPENAPI_SERVERS`` of its own gets
    ``servers: [{"url": root_path}]``, so that clients and the docs pages
    send their requests under the prefix; a copy is kept per prefix (a few).
    """
    kept: dict[str, bytes] | None = app.__dict__.get("_openapi_json")
    if kept is None:
        kept = app.__dict__["_openapi_json"] = {}
    if app.config.get("OPENAPI_SERVERS"):
        root_path = ""
    body = kept.get(root_path)
    if body is None:
        from .document import build_document

        document = build_document(app)
        if root_path:
            # Keys already there keep their places: "servers" follows "info".
            servers = [{"url": root_path}]
            document = {"openapi": None, "info": None, "servers": servers, **document}
        body = json.dumps(document, separators=(",", ":")).encode()
        if len(kept) < _KEPT_PREFIXES:
            kept[root_path] = body
    return body


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
        from ..ctx import request

        body = openapi_json(app, request.root_path)
        return app.response_class(body, content_type="application/json")

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
