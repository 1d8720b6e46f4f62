"""The blog under real servers: gunicorn (WSGI, on PostgreSQL) and uvicorn (ASGI, on
SQLite), with its sessions in a real Redis. A stolen session cookie stops working
when its owner logs out, because logging out deletes the session in Redis.
"""

from __future__ import annotations

import json
import uuid
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest

from conftest import PASSWORD, csrf_token, migrated_database, serve

pytestmark = pytest.mark.server

COOKIE = "session"  # the session cookie's name (Flask's default)
PREFIX = "blog:session:"  # SESSION_KEY_PREFIX in blog/config.py


@pytest.fixture(scope="module", params=["gunicorn", "uvicorn"])
def server(request, tmp_path_factory, redis_server):
    kind = request.param
    database = migrated_database(kind, request, tmp_path_factory)
    process = serve(kind, database, redis_server.url, tmp_path_factory.mktemp(kind))
    yield process
    process.stop()


class HttpVisitor:
    """A client over a real connection that keeps the session cookie, as a browser does."""

    def __init__(self, server) -> None:
        self.server = server
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = self.server.connection()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for line in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(line).items():
                gone = morsel["max-age"] == "0" or "1970" in morsel["expires"]
                if gone or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response, text

    def get(self, path: str):
        return self.request("GET", path)

    def submit(self, path: str, data: dict[str, str] | None = None, form_page: str = ""):
        response, page = self.get(form_page or path)
        assert response.status == 200, page[:2000]
        body = urlencode({**(data or {}), "csrf_token": csrf_token(page)}).encode()
        return self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )

    def sign_up(self, username: str) -> None:
        form = {"username": username, "password": PASSWORD, "confirm": PASSWORD}
        response, text = self.submit("/auth/register", form)
        assert response.status == 302, text[:2000]
        response, text = self.submit("/auth/login", {"username": username, "password": PASSWORD})
        assert response.status == 302, text[:2000]

    def logged_in_as(self) -> str | None:
        response, page = self.get("/")
        assert response.status == 200, page[:2000]
        if '<span id="user">' not in page:
            return None
        return page.split('<span id="user">', 1)[1].split("<", 1)[0]


def name() -> str:
    return f"u{uuid.uuid4().hex[:12]}"


def test_pages_and_api(server):
    visitor = HttpVisitor(server)
    username = name()
    visitor.sign_up(username)
    assert visitor.logged_in_as() == username

    title = f"Served by {server.argv(0)[2]}"
    response, _ = visitor.submit("/posts/new", {"title": title, "body": "Over a real socket."})
    assert response.status == 302
    post_path = urlsplit(response.headers["Location"]).path
    response, page = visitor.get(post_path)
    assert response.status == 200
    assert f"<h1>{title}</h1>" in page

    response, page = visitor.submit("/auth/token")
    token = page.split('<pre id="token">', 1)[1].split("<", 1)[0]
    api = HttpVisitor(server)  # no cookies: the token alone
    response, text = api.request(
        "POST",
        "/api/posts",
        json.dumps({"title": "By token", "body": "b"}).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    assert response.status == 201, text
    assert json.loads(text)["author"] == username
    response, text = api.get("/api/posts?per_page=100")
    assert response.getheader("Content-Type") == "application/json"
    titles = [post["title"] for post in json.loads(text)["posts"]]
    assert "By token" in titles and title in titles

    response, text = api.get("/api/posts/999999")
    assert response.status == 404
    assert json.loads(text)["error"]["detail"] == "There is no post 999999."


def test_the_session_lives_in_redis(server, redis_server):
    visitor = HttpVisitor(server)
    visitor.sign_up(name())
    session_id = visitor.cookies[COOKIE]
    stored = redis_server.client().get(PREFIX + session_id)
    assert stored is not None
    assert b"_user_id" in stored
    # The cookie is only the random id: nothing in it to read or replay elsewhere.
    assert "." not in session_id and len(session_id) >= 40

    response, _ = visitor.get("/auth/login")
    set_cookie = response.headers.get_all("Set-Cookie") or []
    assert all("HttpOnly" in line and "SameSite=Lax" in line for line in set_cookie)


def test_a_stolen_cookie_stops_working_after_logout(server, redis_server):
    victim = HttpVisitor(server)
    username = name()
    victim.sign_up(username)
    stolen = victim.cookies[COOKIE]

    thief = HttpVisitor(server)
    thief.cookies[COOKIE] = stolen
    assert thief.logged_in_as() == username  # the stolen cookie works while the session lives

    response, _ = victim.submit("/auth/logout", form_page="/")
    assert response.status == 302
    assert victim.logged_in_as() is None
    assert redis_server.client().get(PREFIX + stolen) is None  # deleted, not just emptied

    thief = HttpVisitor(server)
    thief.cookies[COOKIE] = stolen
    assert thief.logged_in_as() is None
    thief.cookies[COOKIE] = stolen
    response, _ = thief.get("/posts/new")
    assert response.status == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"
    thief.cookies[COOKIE] = stolen
    response, text = thief.request(
        "POST",
        "/api/posts",
        json.dumps({"title": "t", "body": "b"}).encode(),
        {"Content-Type": "application/json"},
    )
    assert response.status == 401, text


def test_many_requests_at_once(server):
    """Several connections in parallel (gunicorn's threads, uvicorn's thread pool)."""
    from concurrent.futures import ThreadPoolExecutor

    def fetch(_: int) -> int:
        return HttpVisitor(server).get("/api/posts")[0].status

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(fetch, range(40))) == {200}


@pytest.mark.parametrize("path", ["/", "/api/posts"])
def test_a_logged_out_visit_creates_no_session(server, redis_server, path):
    before = set(redis_server.client().scan_iter(f"{PREFIX}*"))
    response, _ = HttpVisitor(server).get(path)
    assert response.status == 200
    assert response.getheader("Set-Cookie") is None
    assert set(redis_server.client().scan_iter(f"{PREFIX}*")) <= before


def test_server_errors_are_not_hidden(server):
    assert server.process is not None and server.process.poll() is None
    assert "Traceback" not in server.log(), server.log()[-4000:]
