"""The pages: listing, reading, writing, editing and deleting posts."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from blog.extensions import db
from blog.models import Post

from conftest import csrf_token


def titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="/posts/\d+">([^<]*)</a></h2>', html)


def test_home_page_without_posts(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "<title>Posts · Blog</title>" in response.text
    assert '<p id="empty">Nothing here yet.</p>' in response.text
    assert 'href="/static/style.css"' in response.text


def test_stylesheet(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    response.close()


def test_write_a_post_and_read_it(client):
    client.sign_up("ada")
    post_id = client.write("First post", "Line one\nLine two")
    page = client.get(f"/posts/{post_id}")
    assert page.status_code == 200
    assert "<h1>First post</h1>" in page.text
    assert '<div class="body">Line one\nLine two</div>' in page.text
    assert "by ada on" in page.text
    assert "Published." in page.text
    assert titles(client.get("/").text) == ["First post"]


def test_markup_in_a_post_is_escaped(client):
    client.sign_up("ada")
    post_id = client.write("<script>alert(1)</script>", "<img src=x onerror=alert(2)>")
    page = client.get(f"/posts/{post_id}").text
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page


def test_newest_post_first_and_ten_to_a_page(client):
    client.sign_up("ada")
    for number in range(1, 13):
        client.write(f"Post {number}")
    first = client.get("/").text
    assert titles(first) == [f"Post {number}" for number in range(12, 2, -1)]
    assert "page 1 of 2" in first
    assert 'href="/?page=2"' in first
    second = client.get("/?page=2").text
    assert titles(second) == ["Post 2", "Post 1"]
    assert 'href="/?page=1"' in second


@pytest.mark.parametrize("page", ["3", "0", "-1", "two"])
def test_a_page_that_does_not_exist_is_404(client, page):
    client.sign_up("ada")
    client.write("Only post")
    response = client.get(f"/?page={page}")
    assert response.status_code == 404
    assert "<title>404 Not Found · Blog</title>" in response.text


def test_an_unknown_post_is_404_with_a_message(client):
    response = client.get("/posts/999")
    assert response.status_code == 404
    assert "There is no post 999." in response.text
    assert client.get("/no/such/page").status_code == 404


def test_writing_needs_a_login(client):
    response = client.get("/posts/new")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"title": "   "}, "This field is required."),
        ({"title": "x" * 201}, "Field cannot be longer than 200 characters."),
        ({"body": ""}, "This field is required."),
    ],
)
def test_an_invalid_post_is_refused_with_a_message(app, client, form, message):
    client.sign_up("ada")
    response = client.submit("/posts/new", {"title": "Title", "body": "Body", **form})
    assert response.status_code == 200
    assert f'<span class="error">{message}</span>' in response.text
    with app.app_context():
        assert db.session.execute(db.select(Post)).first() is None


def test_the_author_edits_a_post(client):
    client.sign_up("ada")
    post_id = client.write("Draft", "Old text")
    form = client.get(f"/posts/{post_id}/edit")
    assert 'value="Draft"' in form.text
    assert "Old text</textarea>" in form.text
    response = client.submit(f"/posts/{post_id}/edit", {"title": "Final", "body": "New text"})
    assert response.status_code == 302
    page = client.get(f"/posts/{post_id}").text
    assert "<h1>Final</h1>" in page
    assert "New text" in page
    assert ", edited " in page


def test_the_author_deletes_a_post(client):
    client.sign_up("ada")
    post_id = client.write("Short-lived")
    assert client.get(f"/posts/{post_id}/delete").status_code == 405
    response = client.submit(f"/posts/{post_id}/delete", form_page=f"/posts/{post_id}")
    assert response.status_code == 302
    assert "Deleted “Short-lived”." in client.get("/").text
    assert client.get(f"/posts/{post_id}").status_code == 404


def test_only_the_author_may_edit_or_delete(client, other):
    client.sign_up("ada")
    post_id = client.write("Ada's post")
    other.sign_up("bob")
    assert 'id="delete"' not in other.get(f"/posts/{post_id}").text
    assert 'id="delete"' in client.get(f"/posts/{post_id}").text

    edit = other.get(f"/posts/{post_id}/edit")
    assert edit.status_code == 403
    assert "Only the author of a post may change or delete it." in edit.text
    token = csrf_token(other.get("/posts/new").text)
    for path in (f"/posts/{post_id}/edit", f"/posts/{post_id}/delete"):
        response = other.post(
            path, data={"title": "Bob was here", "body": "x", "csrf_token": token}
        )
        assert response.status_code == 403, path
    assert "<h1>Ada&#39;s post</h1>" in client.get(f"/posts/{post_id}").text


def test_posting_without_the_csrf_token_is_refused(app, client):
    client.sign_up("ada")
    response = client.post("/posts/new", data={"title": "Forged", "body": "x"})
    assert response.status_code == 400
    assert "The CSRF token is missing." in response.text
    with app.app_context():
        assert db.session.execute(db.select(Post)).first() is None
