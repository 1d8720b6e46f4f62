"""The OpenAPI 3.1 document of an app with typed views, and the routes serving it.

``/openapi.json`` (``OPENAPI_URL``) serves the document, built on the first
request and kept; ``/docs`` (``OPENAPI_DOCS_URL``) a page showing it. Both
are added when the first typed view is registered; ``None`` turns either off.
``erlen openapi`` prints the document.
"""

from __future__ import annotations

from .document import build_document

__all__ = ["build_document"]
