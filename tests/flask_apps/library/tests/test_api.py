from flask import url_for
from library.api import ItemAPI


def test_list(client):
    response = client.get("/api/v1/books/")
    assert response.status_code == 200
    assert [book["title"] for book in response.json["books"]] == ["Dune", "Emma", "Ulysses"]


def test_get_one(client):
    response = client.get("/api/v1/books/2")
    assert response.json == {"id": 2, "title": "Emma", "author": "Jane Austen", "borrower": None}
    assert response.mimetype == "application/json"


def test_create(client):
    response = client.post("/api/v1/books/", json={"title": "Middlemarch"})
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/v1/books/4"
    assert response.get_json()["author"] == "Anonymous"
    assert client.get("/api/v1/books/4").json["title"] == "Middlemarch"


def test_create_needs_a_title(client):
    response = client.post("/api/v1/books/", json={"author": "Nobody"})
    assert response.status_code == 400
    assert response.json == {"error": "A book needs a title."}


def test_patch(client):
    response = client.patch("/api/v1/books/3", json={"author": "J. Joyce"})
    assert response.json["author"] == "J. Joyce"
    response = client.patch("/api/v1/books/3", json={"id": 7, "year": 1922})
    assert response.status_code == 400
    assert response.json == {"error": "Cannot change id, year."}


def test_delete_then_the_blueprints_404_handler(client):
    response = client.delete("/api/v1/books/1")
    assert response.status_code == 204
    assert response.data == b""
    response = client.get("/api/v1/books/1")
    assert response.status_code == 404
    assert response.json == {"error": "Not found."}


def test_an_unknown_url_gets_the_apps_404_not_the_blueprints(client):
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert b"Not here" in response.data


def test_method_not_allowed_lists_the_methods(client):
    response = client.put("/api/v1/books/1", json={})
    assert response.status_code == 405
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS", "PATCH", "DELETE"}


def test_options_is_automatic(client):
    response = client.options("/api/v1/books/")
    assert response.status_code == 200
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS", "POST"}


def test_nested_blueprint_endpoints(app):
    assert app.view_functions["api.v1.books-item"].view_class is ItemAPI
    with app.test_request_context():
        assert url_for("api.v1.books-item", id=2) == "/api/v1/books/2"
        assert url_for("api.v1.books-group") == "/api/v1/books/"
        assert url_for("api.v1.books-item", id=2, _external=True) == (
            "http://localhost/api/v1/books/2"
        )
