"""``client.session_transaction()`` reads and changes the session a client holds."""

from __future__ import annotations

import pytest

from erlen import session
from erlen.sessions import SecureCookieSessionInterface


@pytest.fixture
def app(app):
    app.secret_key = "a test secret"

    @app.route("/who")
    def who():
        return {"user": session.get("user"), "visits": session.get("visits", 0)}

    @app.post("/visit")
    def visit():
        session["visits"] = session.get("visits", 0) + 1
        return "ok"

    return app


def test_a_session_set_in_a_transaction_reaches_the_app(client):
    with client.session_transaction() as sess:
        assert dict(sess) == {}
        sess["user"] = "grace"
    assert client.get("/who").json == {"user": "grace", "visits": 0}
    assert client.get_cookie("session") is not None


def test_a_transaction_sees_what_the_app_stored_and_can_change_it(client):
    client.post("/visit")
    client.post("/visit")
    with client.session_transaction() as sess:
        assert sess["visits"] == 2
        sess["visits"] = 10
    client.post("/visit")
    assert client.get("/who").json["visits"] == 11


def test_emptying_the_session_deletes_its_cookie(client):
    client.post("/visit")
    with client.session_transaction() as sess:
        sess.clear()
    assert client.get_cookie("session") is None
    assert client.get("/who").json["visits"] == 0


def test_a_session_left_as_it_was_is_not_rewritten(client):
    client.post("/visit")
    before = client.get_cookie("session")
    with client.session_transaction() as sess:
        assert sess["visits"] == 1
    assert client.get_cookie("session") is before  # not stored again


def test_an_error_in_the_block_saves_nothing(client):
    with pytest.raises(KeyError), client.session_transaction() as sess:
        sess["user"] = "half done"
        raise KeyError("the test failed here")
    assert client.get("/who").json["user"] is None


def test_the_transaction_takes_request_arguments(app, client):
    with client.session_transaction(base_url="http://shop.test/") as sess:
        sess["user"] = "ada"
    assert client.get("/who").json["user"] is None  # the cookie belongs to shop.test
    assert client.get("/who", base_url="http://shop.test/").json["user"] == "ada"


def test_the_cookie_follows_the_session_settings(app, client):
    app.config.update(SESSION_COOKIE_NAME="sid", SERVER_NAME="shop.test")
    with client.session_transaction() as sess:
        sess["user"] = "linus"
    assert client.get_cookie("sid", domain="shop.test") is not None
    assert client.get("/who").json["user"] == "linus"


def test_no_secret_key_is_a_clear_error(app, client):
    app.secret_key = None
    with pytest.raises(RuntimeError, match="no secret key.*app.secret_key"):
        with client.session_transaction():
            pass  # pragma: no cover - not reached


def test_an_interface_that_opens_nothing_is_a_clear_error(app, client):
    class Closed(SecureCookieSessionInterface):
        def open_session(self, app, request):
            return None

    app.session_interface = Closed()
    with pytest.raises(RuntimeError, match=r"Closed.open_session\(\) returned None"):
        with client.session_transaction():
            pass  # pragma: no cover - not reached


def test_a_client_without_cookies_cannot_hold_a_session(app):
    client = app.test_client(use_cookies=False)
    with pytest.raises(TypeError, match="use_cookies=False.*hold a session"):
        with client.session_transaction():
            pass  # pragma: no cover - not reached


def test_a_custom_session_interface_opens_and_saves(app, client):
    saved = []

    class Recording(SecureCookieSessionInterface):
        def save_session(self, app, session, response):
            saved.append(dict(session))
            super().save_session(app, session, response)

    app.session_interface = Recording()
    with client.session_transaction() as sess:
        sess["user"] = "barbara"
    assert saved == [{"user": "barbara"}]
    assert client.get("/who").json["user"] == "barbara"
