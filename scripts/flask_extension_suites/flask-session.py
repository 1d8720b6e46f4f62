"""Flask-Session as its documentation uses it, on its cachelib backend (a
folder on disk): sessions kept on the server, the cookie holding an id."""

import pytest
from cachelib.file import FileSystemCache
from flask import Flask, session
from flask_session import Session


@pytest.fixture
def app(tmp_path):
    app = Flask(__name__)
    app.config.update(
        TESTING=True,
        SECRET_KEY="not secret",
        SESSION_TYPE="cachelib",
        SESSION_CACHELIB=FileSystemCache(str(tmp_path / "sessions"), threshold=500),
    )
    Session(app)

    @app.get("/add/<item>")
    def add(item):
        session.setdefault("cart", []).append(item)
        session.modified = True
        return ",".join(session["cart"])

    @app.get("/cart")
    def cart():
        return ",".join(session.get("cart", []))

    @app.get("/logout")
    def logout():
        session.clear()
        return "bye"

    return app


def test_the_session_is_kept_on_the_server(app):
    client = app.test_client()
    assert client.get("/add/apple").data == b"apple"
    assert client.get("/add/pear").data == b"apple,pear"
    cookie = client.get_cookie("session")
    assert cookie is not None and "apple" not in cookie.value
    assert app.session_interface.cache.get("session:" + cookie.value)["cart"] == ["apple", "pear"]


def test_each_client_has_its_own_session(app):
    first, second = app.test_client(), app.test_client()
    first.get("/add/apple")
    second.get("/add/plum")
    assert first.get("/cart").data == b"apple"
    assert second.get("/cart").data == b"plum"


def test_clearing_the_session_ends_it_on_the_server(app):
    client = app.test_client()
    client.get("/add/apple")
    sid = client.get_cookie("session").value
    client.get("/logout")
    assert app.session_interface.cache.get("session:" + sid) is None
    assert client.get("/cart").data == b""


def test_a_stolen_cookie_stops_working_after_logout(app):
    client = app.test_client()
    client.get("/add/apple")
    stolen = client.get_cookie("session").value
    client.get("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/cart").data == b""


def test_session_transaction_reads_and_writes_the_server_side_session(app):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["cart"] = ["fig"]
    assert client.get("/cart").data == b"fig"
