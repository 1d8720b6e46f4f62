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
from flask import Flask
from werkzeug.exceptions import HTTPException

from . import api, auth, passwords, posts
from .config import Config
from .errors import handle_http_error
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

    db.init_app(app)
    # The migrations folder sits beside the package, wherever the command runs.
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    server_session.init_app(app)
    passwords.init_app(app)

    app.register_blueprint(auth.bp)
    app.register_blueprint(posts.bp)
    app.register_blueprint(api.bp)
    app.register_error_handler(HTTPException, handle_http_error)
    return app
