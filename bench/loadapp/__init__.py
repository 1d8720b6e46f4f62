"""The app that bench/load.py serves under gunicorn and uvicorn: see app.py."""

from __future__ import annotations

from .app import app, create_app

__all__ = ["app", "create_app"]
