"""erlen: Flask's way of writing web apps, on a lean and fast HTTP core.

::

    from erlen import Erlen, request

    app = Erlen(__name__)

    @app.route("/")
    def index():
        return f"Hello from {request.path}"

``import erlen`` loads only the core; Jinja2, itsdangerous, Click and the
multipart parser load when first needed.
"""

from __future__ import annotations

from .app import Erlen
from .ctx import (
    after_this_request,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
)
from .exceptions import HTTPException, abort
from .headers import Headers
from .helpers import stream_with_context, url_for
from .request import Request
from .response import Response, jsonify, make_response, redirect

__version__ = "0.1.0"

__all__ = [
    "Erlen",
    "Request",
    "Response",
    "Headers",
    "HTTPException",
    "request",
    "session",
    "g",
    "current_app",
    "url_for",
    "redirect",
    "abort",
    "jsonify",
    "make_response",
    "stream_with_context",
    "after_this_request",
    "has_request_context",
    "has_app_context",
]
