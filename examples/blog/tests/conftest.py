"""Fixtures: the app on SQLite and on a real PostgreSQL, and a client that fills in forms.

The tests run the blog on erlen through its Flask alias (the default), or
on Flask itself with ``BLOG_FRAMEWORK=flask``: the blog is the same code.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import uuid
from pathlib import Path

import pytest

BLOG = Path(__file__).resolve().parents[1]
REPO_TESTS = BLOG.parents[1] / "tests"  # the repository's server and browser helpers
sys.path[:0] = [str(BLOG), str(Path(__file__).parent), str(REPO_TESTS)]

FRAMEWORK = os.environ.get("BLOG_FRAMEWORK", "erlen")
if FRAMEWORK == "erlen":
    import erlen.flask_compat  # noqa: F401  (before anything imports flask)
elif FRAMEWORK != "flask":
    raise pytest.UsageError(f"BLOG_FRAMEWORK must be 'erlen' or 'flask', not {FRAMEWORK!r}.")

import flask_migrate  # noqa: E402
import sqlalchemy  # noqa: E402
from blog import create_app  # noqa: E402
from blog.extensions import db  # noqa: E402
from cachelib import SimpleCache  # noqa: E402
from services import Postgres  # noqa: E402

#: Settings for the tests: sessions in a cache in the process (the server
#: tests use Redis), and a quick password hash.
TEST_SETTINGS = {
    "TESTING": True,
    "SECRET_KEY": "test secret key",
    "SESSION_TYPE": "cachelib",
    "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
}
PASSWORD = "correct horse battery staple"
TABLES = ("posts", "api_tokens", "users")


def make_app(database_url: str, **settings: object):
    return create_app(
        {
            **TEST_SETTINGS,
            "SESSION_CACHELIB": SimpleCache(),
            "SQLALCHEMY_DATABASE_URI": database_url,
            **settings,
        }
    )


def migrate_to_head(database_url: str) -> None:
    """Build the schema from the migrations, as ``flask db upgrade`` does."""
    app = make_app(database_url)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def postgres():
    server = Postgres()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "migrated.sqlite3"
    migrate_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database(postgres) -> str:
    url = postgres.create_database("blog_tests")
    migrate_to_head(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A migrated, empty database: a copy of a SQLite file, or PostgreSQL emptied after."""
    if request.param == "sqlite":
        path = tmp_path / "blog.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sqlalchemy.text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
            )
    finally:
        engine.dispose()


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return Visitor(app)


@pytest.fixture
def other(app):
    """A second visitor, with cookies of its own."""
    return Visitor(app)


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, f"no CSRF token in the page:\n{html[:2000]}"
    return found.group(1)


class Visitor:
    """A test client that reads each form's CSRF token before sending it."""

    def __init__(self, app) -> None:
        self.app = app
        self.http = app.test_client()

    def get(self, path: str, **kwargs):
        return self.http.get(path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.http.post(path, **kwargs)

    def submit(self, path: str, data: dict[str, str] | None = None, *, form_page: str = ""):
        """POST ``data`` to ``path`` with the CSRF token of the page ``form_page`` (or ``path``)."""
        page = self.http.get(form_page or path)
        assert page.status_code == 200, (page.status_code, page.text[:2000])
        return self.http.post(path, data={**(data or {}), "csrf_token": csrf_token(page.text)})

    def register(self, username: str, password: str = PASSWORD):
        return self.submit(
            "/auth/register", {"username": username, "password": password, "confirm": password}
        )

    def login(self, username: str, password: str = PASSWORD):
        return self.submit("/auth/login", {"username": username, "password": password})

    def sign_up(self, username: str) -> None:
        """Register and log in; fail the test if either does not work."""
        registered = self.register(username)
        assert registered.status_code == 302, registered.text[:2000]
        logged_in = self.login(username)
        assert logged_in.status_code == 302, logged_in.text[:2000]

    def logout(self):
        return self.submit("/auth/logout", form_page="/")

    def write(self, title: str, body: str = "Some text.") -> int:
        """Publish a post; return its id."""
        response = self.submit("/posts/new", {"title": title, "body": body})
        assert response.status_code == 302, response.text[:2000]
        return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])

    def new_token(self) -> str:
        response = self.submit("/auth/token")
        assert response.status_code == 200, response.text[:2000]
        found = re.search(r'<pre id="token">([^<]+)</pre>', response.text)
        assert found, response.text[:2000]
        return found.group(1)

    def session_cookie(self) -> str | None:
        cookie = self.http.get_cookie(self.app.config["SESSION_COOKIE_NAME"])
        return None if cookie is None else cookie.value


# -- the blog served by a real server, its sessions in a real Redis ------------------


@pytest.fixture(scope="session")
def redis_server():
    from services import Redis

    server = Redis()
    try:
        server.start()
        yield server
    finally:
        server.stop()


def serve(kind: str, database_url: str, redis_url: str, log_dir: Path):
    """Start the blog under gunicorn (WSGI) or uvicorn (ASGI); return the ServerProcess.

    On erlen the server imports ``app:app`` (app.py turns the alias on); on
    Flask it calls ``blog.create_app()``, through uvicorn's WSGI interface.
    """
    from servers import server_env, server_process

    if FRAMEWORK == "erlen":
        target, options = "app:app", []
    elif kind == "gunicorn":
        target, options = "blog:create_app()", []
    else:
        target, options = "blog:create_app", ["--factory", "--interface=wsgi"]
    env = server_env(
        BLOG,
        BLOG_SECRET_KEY="served secret key",
        BLOG_SQLALCHEMY_DATABASE_URI=database_url,
        BLOG_REDIS_URL=redis_url,
        BLOG_ARGON2_PARAMETERS='{"time_cost": 1, "memory_cost": 1024, "parallelism": 1}',
    )
    server = server_process(
        kind, target, cwd=BLOG, env=env, log_path=log_dir / f"{kind}.log", options=options
    )
    server.start()
    return server


def migrated_database(kind: str, request, tmp_path_factory) -> str:
    """A new, migrated database: PostgreSQL for gunicorn, a SQLite file for uvicorn."""
    if kind == "gunicorn":
        url = request.getfixturevalue("postgres").create_database(
            f"served_{kind}_{uuid.uuid4().hex[:8]}"
        )
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('served') / 'blog.sqlite3'}"
    migrate_to_head(url)
    return url
