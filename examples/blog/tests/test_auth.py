"""Registering, logging in and out, and what the session holds."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from blog.extensions import db
from blog.models import User

from conftest import PASSWORD, csrf_token


def users(app) -> list[User]:
    with app.app_context():
        return list(db.session.execute(db.select(User).order_by(User.id)).scalars())


def test_register_stores_an_argon2_hash(app, client):
    response = client.register("ada")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"
    assert "Welcome! You can log in now." in client.get("/auth/login").text

    [user] = users(app)
    assert user.username == "ada"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert PasswordHasher().verify(user.password_hash, PASSWORD)


def test_register_strips_the_username(app, client):
    assert client.register("  grace  ").status_code == 302
    assert [user.username for user in users(app)] == ["grace"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"username": "ab"}, "Field must be between 3 and 32 characters long."),
        ({"username": "a" * 33}, "Field must be between 3 and 32 characters long."),
        ({"username": "<script>"}, "Use letters, digits, dots, dashes and underscores only."),
        ({"username": ""}, "This field is required."),
        (
            {"password": "short", "confirm": "short"},
            "Field must be between 8 and 256 characters long.",
        ),
        ({"confirm": "something else"}, "The passwords differ."),
    ],
)
def test_register_says_what_is_wrong(app, client, form, message):
    data = {"username": "ada", "password": PASSWORD, "confirm": PASSWORD, **form}
    response = client.submit("/auth/register", data)
    assert response.status_code == 200
    assert f'<span class="error">{message}</span>' in response.text
    assert users(app) == []


def test_register_refuses_a_taken_username(app, client, other):
    assert client.register("ada").status_code == 302
    response = other.register("ada")
    assert response.status_code == 200
    assert "That username is taken." in response.text
    assert len(users(app)) == 1


def test_login_and_logout(client):
    client.register("ada")
    response = client.login("ada")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    home = client.get("/")
    assert '<span id="user">ada</span>' in home.text
    assert "Hello, ada." in home.text

    response = client.logout()
    assert response.status_code == 302
    home = client.get("/")
    assert 'id="user"' not in home.text
    assert "You are logged out." in home.text
    assert 'id="login"' in home.text


@pytest.mark.parametrize(("username", "password"), [("ada", "wrong password"), ("bob", PASSWORD)])
def test_login_refuses_a_wrong_password_or_unknown_user_alike(client, username, password):
    client.register("ada")
    response = client.login(username, password)
    assert response.status_code == 200
    assert "Unknown username or wrong password." in response.text
    assert 'id="user"' not in client.get("/").text


def test_login_rehashes_a_password_hashed_with_old_settings(app, client):
    client.register("ada")
    [before] = users(app)
    app.extensions["password_hasher"] = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    assert client.login("ada").status_code == 302
    [after] = users(app)
    assert after.password_hash != before.password_hash
    assert "$m=2048,t=2,p=1$" in after.password_hash
    assert "$m=1024,t=1,p=1$" in before.password_hash


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/posts/new", "/posts/new"),
        ("/posts/new?x=1", "/posts/new"),
        ("http://localhost/posts/new", "/posts/new"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_login_follows_next_only_within_the_site(client, target, landing):
    client.register("ada")
    page = client.get("/auth/login", query_string={"next": target})
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"username": "ada", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == landing
    assert "evil" not in response.headers["Location"]


def test_login_required_sends_to_the_login_page_and_back(client):
    client.register("ada")
    response = client.get("/posts/new")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    assert "next=" in location.query
    assert "Please log in to access this page." in client.get("/auth/login").text


def test_login_gives_the_session_a_new_id(client):
    client.register("ada")
    client.get("/auth/login")
    planted = client.session_cookie()
    assert planted
    client.login("ada")
    assert client.session_cookie() not in (None, planted)


def test_a_stolen_session_cookie_stops_working_after_logout(app, client, other):
    client.sign_up("ada")
    stolen = client.session_cookie()
    name = app.config["SESSION_COOKIE_NAME"]

    other.http.set_cookie(name, stolen)
    assert '<span id="user">ada</span>' in other.get("/").text  # the thief is ada, for now

    client.logout()
    other.http.set_cookie(name, stolen)
    assert 'id="user"' not in other.get("/").text
    assert other.get("/posts/new").status_code == 302  # to the login page
    other.http.set_cookie(name, stolen)
    assert other.get("/auth/token").status_code == 302


def test_logout_is_a_post_with_a_csrf_token(client):
    client.sign_up("ada")
    assert client.get("/auth/logout").status_code == 405
    refused = client.post("/auth/logout")
    assert refused.status_code == 400
    assert "The CSRF token is missing." in refused.text
    assert '<span id="user">ada</span>' in client.get("/").text


@pytest.mark.parametrize("path", ["/auth/register", "/auth/login"])
def test_forms_refuse_a_post_without_its_csrf_token(app, client, path):
    data = {"username": "ada", "password": PASSWORD, "confirm": PASSWORD}
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "<title>400 Bad Request · Blog</title>" in response.text
    assert "The CSRF token is missing." in response.text
    client.get(path)  # a session, with its CSRF token
    response = client.post(path, data={**data, "csrf_token": "forged"})
    assert response.status_code == 400
    assert "The CSRF token is invalid." in response.text
    assert users(app) == []


def test_a_csrf_token_of_another_session_is_refused(app, client, other):
    token = csrf_token(other.get("/auth/register").text)
    client.get("/auth/register")
    data = {"username": "ada", "password": PASSWORD, "confirm": PASSWORD, "csrf_token": token}
    response = client.post("/auth/register", data=data)
    assert response.status_code == 400
    assert "The CSRF tokens do not match." in response.text
    assert users(app) == []


def test_session_cookie_is_http_only_and_same_site(client):
    response = client.get("/auth/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_token_page_shows_a_new_token_once_and_stores_its_digest(app, client):
    client.sign_up("ada")
    token = client.new_token()
    assert len(token) >= 40
    assert token not in client.get("/auth/token").text
    with app.app_context():
        from blog.models import ApiToken

        [stored] = db.session.execute(db.select(ApiToken)).scalars()
        assert stored.digest == ApiToken.digest_of(token)
        assert token not in stored.digest
