"""Settings. Each can be set from the environment as ``BLOG_<NAME>``.

``create_app()`` reads these defaults, then ``BLOG_*`` environment
variables (``BLOG_SECRET_KEY``, ``BLOG_SQLALCHEMY_DATABASE_URI``,
``BLOG_REDIS_URL``, ...; values are parsed as JSON when they can be), then
the mapping or object given to it.
"""

from __future__ import annotations

from datetime import timedelta


class Config:
    # Signs the CSRF tokens. Required: create_app() refuses to start without it.
    SECRET_KEY: str | None = None

    # A relative SQLite path is relative to the instance folder.
    SQLALCHEMY_DATABASE_URI = "sqlite:///blog.sqlite3"

    # Server-side sessions (Flask-Session): the cookie holds a random id, the
    # data lives in Redis, and logging out deletes it there.
    SESSION_TYPE = "redis"
    REDIS_URL = "redis://127.0.0.1:6379/0"
    SESSION_KEY_PREFIX = "blog:session:"
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(days=7)

    # argon2.PasswordHasher's arguments; empty means its defaults (RFC 9106's
    # low-memory profile: 3 passes over 64 MiB).
    ARGON2_PARAMETERS: dict[str, int] = {}

    POSTS_PER_PAGE = 10
