"""The JSON API: reading posts, creating them with a token or the session, errors as JSON."""

from __future__ import annotations

import re

import pytest


def error_of(response, status: int) -> dict:
    """Check that ``response`` is a JSON error with ``status``; return its body."""
    assert response.status_code == status, (response.status_code, response.text[:2000])
    assert response.mimetype == "application/json", response.text[:2000]
    error = response.get_json()["error"]
    assert error["status"] == status
    assert error["detail"]
    return error


@pytest.fixture
def token(client) -> str:
    client.sign_up("ada")
    return client.new_token()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_list_is_empty_at_first(client):
    response = client.get("/api/posts")
    assert response.status_code == 200
    assert response.get_json() == {"posts": [], "page": 1, "per_page": 10, "pages": 0, "total": 0}


def test_create_with_a_token_then_read(client, token):
    response = client.post(
        "/api/posts", json={"title": "From the API", "body": "Hello"}, headers=bearer(token)
    )
    assert response.status_code == 201, response.text
    created = response.get_json()
    assert created["title"] == "From the API"
    assert created["body"] == "Hello"
    assert created["author"] == "ada"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created["created_at"])
    assert created["updated_at"] is None
    assert response.headers["Location"].endswith(f"/api/posts/{created['id']}")

    assert client.get(f"/api/posts/{created['id']}").get_json() == created
    assert client.get("/api/posts").get_json()["posts"] == [created]
    assert "From the API" in client.get("/").text


def test_list_pages(client, token):
    for number in range(1, 6):
        client.post("/api/posts", json={"title": f"T{number}", "body": "b"}, headers=bearer(token))
    body = client.get("/api/posts?per_page=2&page=2").get_json()
    assert [post["title"] for post in body["posts"]] == ["T3", "T2"]
    assert (body["page"], body["per_page"], body["pages"], body["total"]) == (2, 2, 3, 5)
    assert client.get("/api/posts?page=9").get_json()["posts"] == []


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("page=0", "'page' must be a whole number from 1 up, not '0'."),
        ("page=x", "'page' must be a whole number from 1 up, not 'x'."),
        ("per_page=101", "'per_page' must be a whole number of at most 100 from 1 up, not '101'."),
        ("per_page=-5", "'per_page' must be a whole number of at most 100 from 1 up, not '-5'."),
    ],
)
def test_bad_page_arguments_are_400(client, query, detail):
    assert error_of(client.get(f"/api/posts?{query}"), 400)["detail"] == detail


def test_unknown_post_is_404_json(client):
    assert error_of(client.get("/api/posts/42"), 404)["detail"] == "There is no post 42."


def test_unknown_api_path_is_404_json(client):
    error_of(client.get("/api/nothing/here"), 404)


def test_wrong_method_is_405_json_with_allow(client):
    response = client.http.delete("/api/posts")
    error = error_of(response, 405)
    assert error["title"] == "Method Not Allowed"
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


LOG_IN = (
    "Log in, or send an API token as 'Authorization: Bearer <token>' (create one at /auth/token)."
)


def test_create_without_credentials_is_401(client):
    response = client.post("/api/posts", json={"title": "t", "body": "b"})
    assert error_of(response, 401)["detail"] == LOG_IN


def test_create_with_a_session_but_no_login_is_401(client):
    page = client.get("/auth/login")  # a session with a CSRF token, but no user
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/api/posts", json={"title": "t", "body": "b"}, headers={"X-CSRFToken": token}
    )
    assert error_of(response, 401)["detail"] == LOG_IN


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Bearer not-a-real-token", "This API token is not valid. Create one at /auth/token."),
        ("Basic YWRhOnB3", "Send the token as 'Authorization: Bearer <token>'."),
        ("Bearer ", "Send the token as 'Authorization: Bearer <token>'."),
    ],
)
def test_a_bad_token_is_401(client, token, header, detail):
    response = client.post(
        "/api/posts", json={"title": "t", "body": "b"}, headers={"Authorization": header}
    )
    assert error_of(response, 401)["detail"] == detail


def test_create_with_the_session_needs_the_csrf_header(client):
    client.sign_up("ada")
    refused = client.post("/api/posts", json={"title": "t", "body": "b"})
    assert error_of(refused, 400)["detail"] == "The CSRF token is missing."

    page = client.get("/").text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
    response = client.post(
        "/api/posts", json={"title": "With the session", "body": "b"}, headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 201, response.text
    assert response.get_json()["author"] == "ada"


@pytest.mark.parametrize(
    ("kwargs", "detail"),
    [
        (
            {"data": "not json", "content_type": "application/json"},
            'Send a JSON object such as {"title": "...", "body": "..."} '
            "with 'Content-Type: application/json'.",
        ),
        (
            {"data": '{"title": "t"}', "content_type": "text/plain"},
            'Send a JSON object such as {"title": "...", "body": "..."} '
            "with 'Content-Type: application/json'.",
        ),
        (
            {"json": ["title", "body"]},
            'Send a JSON object such as {"title": "...", "body": "..."} '
            "with 'Content-Type: application/json'.",
        ),
        ({"json": {"title": 5, "body": "b"}}, "title must be text."),
        ({"json": {"title": ["t"], "body": None}}, "title and body must be text."),
    ],
)
def test_a_bad_body_is_400(client, token, kwargs, detail):
    response = client.post("/api/posts", headers=bearer(token), **kwargs)
    assert error_of(response, 400)["detail"] == detail


def test_an_invalid_post_is_422_naming_the_fields(client, token):
    response = client.post(
        "/api/posts", json={"title": " ", "body": "b" * 20_001}, headers=bearer(token)
    )
    error = error_of(response, 422)
    assert error["fields"] == {
        "title": ["This field is required."],
        "body": ["Field cannot be longer than 20000 characters."],
    }
    assert error["detail"].startswith("The post is not valid: title: This field is required.")
    assert client.get("/api/posts").get_json()["total"] == 0


def test_a_token_does_not_log_into_the_pages(client, other, token):
    assert other.get("/posts/new", headers=bearer(token)).status_code == 302
