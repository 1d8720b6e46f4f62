import pytest
from app import app as books_app  # the app above, in app.py


@pytest.fixture
def app(tmp_path):
    books_app.config.update(TESTING=True, DATABASE_URL=f"sqlite:///{tmp_path / 'test.db'}")
    books_app.extensions.pop("engine", None)  # a new engine for the new URL
    books_app.test_cli_runner().invoke(args=["init-db"])
    yield books_app
    books_app.extensions.pop("engine").dispose()


def test_a_new_database_is_empty(app):
    assert app.test_client().get("/books").json == {"books": []}


def test_add_and_read_a_book(app):
    client = app.test_client()
    created = client.post("/books", json={"title": "Dune", "author": "Frank Herbert"})
    assert created.status_code == 201
    assert client.get(f"/books/{created.json['id']}").json["title"] == "Dune"
