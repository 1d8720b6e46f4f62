"""A small blog on Flask and its extensions.

``create_app()`` builds the app: Flask-SQLAlchemy for the database,
Flask-Migrate for its schema, Flask-Login and argon2 for users, Flask-WTF for
forms and CSRF, Flask-Session for sessions kept in Redis, and three
blueprints: ``auth``, ``blog`` (the pages) and ``api`` (JSON).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import redis
from flask import Flask, make_response, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from . import passwords
from .config import Config
from .extensions import csrf, db, login_manager, migrate, server_session


def create_app(config: Mapping[str, object] | object | None = None) -> Flask:
    """Return a new app: defaults, then ``BLOG_*`` variables, then ``config``.

    ``config`` is a mapping of settings or an object whose upper-case
    attributes are settings (see :mod:`blog.config`).
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    app.config.from_prefixed_env("BLOG")
    if isinstance(config, Mapping):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    if not app.config["SECRET_KEY"]:
        raise RuntimeError(
            "The blog needs a secret key to sign its CSRF tokens. Set BLOG_SECRET_KEY to "
            "a long random value, such as the output of: "
            'python -c "import secrets; print(secrets.token_hex())"'
        )
    if app.config["SESSION_TYPE"] == "redis" and not app.config.get("SESSION_REDIS"):
        # Connects on first use, not here.
        app.config["SESSION_REDIS"] = redis.Redis.from_url(app.config["REDIS_URL"])
    os.makedirs(app.instance_path, exist_ok=True)  # where a relative SQLite file goes

    db.init_app(app)
    # The migrations folder sits beside the package, wherever the command runs.
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    server_session.init_app(app)
    passwords.init_app(app)

    from . import api, auth, posts

    app.register_blueprint(auth.bp)
    app.register_blueprint(posts.bp)
    app.register_blueprint(api.bp)
    app.register_error_handler(HTTPException, handle_http_error)
    return app


def handle_http_error(exc: HTTPException) -> ResponseReturnValue:
    """Answer an HTTP error as JSON under ``/api/``, else as a page."""
    status = exc.code or 500
    if request.blueprint == "api" or request.path.startswith("/api/"):
        from .api import error

        response = make_response(error(status, exc.name, exc.description or exc.name))
    else:
        response = make_response(render_template("error.html", error=exc), status)
    allowed = getattr(exc, "valid_methods", None)  # a 405 says which methods would do
    if allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response
