"""OpenAPI 3.1 for typed views: the document, and the docs page that shows it.

``/openapi.json`` (``OPENAPI_URL``) serves the document, built on the first
request and kept; ``/docs`` (``OPENAPI_DOCS_URL``) a page showing it, erlen's
own or Swagger UI (``OPENAPI_DOCS_UI``), through
:func:`erlen.openapi.page.register_docs_page`. Both are added when the first
typed view is registered; ``None`` turns either off. ``erlen openapi`` prints
the document.
"""

from __future__ import annotations

from .document import build_document

__all__ = ["build_document"]
