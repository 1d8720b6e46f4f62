"""The request and response classes, at Flask's module path (``flask.wrappers``)."""

from __future__ import annotations

from .request import Request
from .response import Response

__all__ = ["Request", "Response"]
