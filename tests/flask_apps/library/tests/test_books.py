from urllib.parse import parse_qs, urlsplit

from flask import request, session
from library.books import BookList


def test_index_pages_through_the_catalogue(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"<title>Home - The Little Library</title>" in response.data
    assert b"Dune</a> by Frank Herbert" in response.data
    assert b"Emma" in response.data
    assert b"Ulysses" not in response.data
    assert b'href="/?page=2"' in response.data
    assert b"Ulysses" in client.get("/?page=2").data


def test_a_page_past_the_end_is_the_apps_404_page(client):
    response = client.get("/?page=3")
    assert response.status_code == 404
    assert b"No such page in The Little Library." in response.data


def test_the_books_blueprint_runs_its_own_before_request(client):
    response = client.get("/books/")
    assert b"<title>Books - The Little Library</title>" in response.data
    assert b'href="/books/?page=2"' in response.data


def test_view_class_is_kept_on_the_view_function(app):
    assert app.view_functions["index"].view_class is BookList
    assert app.view_functions["books.list"].view_class is BookList


def test_test_request_context_matches_the_url(app):
    with app.test_request_context("/books/?page=2"):
        assert request.endpoint == "books.list"
        assert request.args.get("page", type=int) == 2


def test_detail_needs_a_login(client):
    response = client.get("/books/1")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    assert parse_qs(location.query) == {"next": ["/books/1"]}


def test_borrowing_flashes_and_redirects(client, login):
    login()
    response = client.post("/books/1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/books/1"
    response = client.get("/books/1")
    assert b'<p class="flash info">You borrowed Dune.</p>' in response.data
    assert b"Borrowed by Ada Lovelace" in response.data

    response = client.post("/books/1", follow_redirects=True)
    assert b'<p class="flash error">Dune is out already.</p>' in response.data


def test_a_missing_book_is_404(client, login):
    login()
    response = client.get("/books/99")
    assert response.status_code == 404
    assert b"Not here" in response.data


def test_session_transaction_logs_in(client):
    with client.session_transaction() as sess:
        sess["user"] = "Grace Hopper"
    response = client.get("/books/2")
    assert response.status_code == 200
    assert b"Grace Hopper (GH)" in response.data


def test_head_has_no_body(client):
    response = client.head("/")
    assert response.status_code == 200
    assert response.data == b""


def test_the_session_is_readable_after_a_request(client):
    with client:
        client.post("/auth/login", data={"name": "Ada Lovelace"})
        assert session["user"] == "Ada Lovelace"
