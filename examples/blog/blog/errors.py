"""Errors: JSON under ``/api/``, a page elsewhere."""

from __future__ import annotations

from flask import jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException


def json_error(status: int, title: str, detail: str) -> ResponseReturnValue:
    """Return the API's error answer: ``{"error": {"status", "title", "detail"}}``."""
    return jsonify(error={"status": status, "title": title, "detail": detail}), status


def handle_http_error(exc: HTTPException) -> ResponseReturnValue:
    """Answer any HTTP error (a 404, a CSRF failure ...) as JSON or as a page."""
    status = exc.code or 500
    if request.blueprint == "api" or request.path.startswith("/api/"):
        response = make_response(json_error(status, exc.name, exc.description or exc.name))
    else:
        response = make_response(render_template("error.html", error=exc), status)
    allowed = getattr(exc, "valid_methods", None)  # a 405 says which methods would do
    if allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response
