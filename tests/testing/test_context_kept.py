"""``with client:`` keeps the last request's context for the test to inspect."""

from __future__ import annotations

import pytest

from erlen import g, has_request_context, request, session


@pytest.fixture
def app(app):
    app.secret_key = "test"

    @app.before_request
    def load_user():
        g.user = request.args.get("user", "nobody")

    @app.post("/login")
    def login():
        session["user_id"] = 7
        return "in"

    @app.get("/")
    def index():
        return f"hello {g.user}"

    return app


def test_inside_with_the_last_request_stays_readable(client) -> None:
    with client:
        client.post("/login")
        assert session["user_id"] == 7
        assert client.get("/?user=ada").text == "hello ada"
        assert request.path == "/"
        assert request.args["user"] == "ada"
        assert g.user == "ada"
        assert session["user_id"] == 7
    assert not has_request_context()


def test_each_request_replaces_the_kept_context(client) -> None:
    with client:
        client.get("/?user=one")
        client.get("/?user=two")
        assert g.user == "two"
        client.get("/")
        assert g.user == "nobody"
    assert not has_request_context()


def test_outside_with_nothing_is_kept(client) -> None:
    client.get("/?user=ada")
    assert not has_request_context()
    with pytest.raises(RuntimeError, match="outside of request context"):
        request.path  # noqa: B018


def test_with_cannot_be_nested_on_one_client(client) -> None:
    with client:
        with pytest.raises(RuntimeError, match="already in a 'with client:' block"):
            client.__enter__()
    assert not has_request_context()
