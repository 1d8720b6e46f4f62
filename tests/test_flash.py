"""flash() and get_flashed_messages(): messages that live until the next page."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from erlen import Erlen, flash, get_flashed_messages, redirect, request, session


@pytest.fixture
def app() -> Erlen:
    app = Erlen("test_flash")
    app.config["TESTING"] = True
    app.secret_key = "a test secret key for flashing"

    @app.route("/flash", methods=["POST"])
    def add():
        # A JSON list of [category, message] pairs keeps their order.
        for category, message in request.get_json():
            flash(message, category)
        return redirect("/")

    @app.route("/")
    def index():
        return repr(get_flashed_messages())

    @app.route("/with-categories")
    def with_categories():
        return repr(get_flashed_messages(with_categories=True))

    @app.route("/only/<category>")
    def only(category: str):
        return repr(get_flashed_messages(category_filter=category.split(",")))

    return app


def test_flash_redirect_then_show(client):
    response = client.post("/flash", json=[["message", "Saved."]], follow_redirects=True)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [302]
    assert response.text == "['Saved.']"


def test_messages_are_shown_once(client):
    client.post("/flash", json=[["message", "Saved."]])
    assert client.get("/").text == "['Saved.']"
    second = client.get("/")
    assert second.text == "[]"
    assert second.headers.getlist("Set-Cookie") == []
    # The session is empty again, so its cookie was deleted.
    assert client.get_cookie("session") is None


def test_several_flashes_keep_their_order(client):
    client.post("/flash", json=[["message", "one"], ["error", "two"], ["message", "three"]])
    assert client.get("/").text == "['one', 'two', 'three']"


def test_flashes_from_several_requests_accumulate(client):
    client.post("/flash", json=[["message", "first"]])
    client.post("/flash", json=[["message", "second"]])
    assert client.get("/").text == "['first', 'second']"


def test_with_categories(client):
    client.post("/flash", json=[["error", "Bad password."], ["message", "Hi"]])
    assert client.get("/with-categories").text == "[('error', 'Bad password.'), ('message', 'Hi')]"


def test_default_category_is_message(app, client):
    @app.route("/flash-default")
    def flash_default():
        flash("plain")
        return "ok"

    client.get("/flash-default")
    assert client.get("/with-categories").text == "[('message', 'plain')]"


def test_category_filter(client):
    client.post(
        "/flash", json=[["error", "e1"], ["info", "i1"], ["warning", "w1"], ["error", "e2"]]
    )
    assert client.get("/only/error,warning").text == "['e1', 'w1', 'e2']"
    # Filtering still consumes every message of the request.
    assert client.get("/").text == "[]"


def test_category_filter_with_categories(app, client):
    @app.route("/errors")
    def errors():
        return repr(get_flashed_messages(with_categories=True, category_filter=["error"]))

    client.post("/flash", json=[["error", "e1"], ["info", "i1"]])
    assert client.get("/errors").text == "[('error', 'e1')]"


def test_same_messages_for_every_call_in_one_request(app, client):
    @app.route("/twice")
    def twice():
        first = get_flashed_messages()
        again = get_flashed_messages(with_categories=True)
        errors = get_flashed_messages(category_filter=["error"])
        return repr((first, again, errors))

    client.post("/flash", json=[["error", "e"], ["message", "m"]])
    assert client.get("/twice").text == repr(
        (["e", "m"], [("error", "e"), ("message", "m")], ["e"])
    )
    assert client.get("/").text == "[]"


def test_flash_and_read_in_the_same_request(app, client):
    @app.route("/now")
    def now():
        flash("instant")
        return repr(get_flashed_messages())

    assert client.get("/now").text == "['instant']"
    assert client.get("/").text == "[]"


def test_no_flashes_leaves_the_session_alone(client):
    response = client.get("/")
    assert response.text == "[]"
    assert response.headers.getlist("Set-Cookie") == []
    assert response.headers["Vary"] == "Cookie"


def test_flashed_markup_stays_markup(app, client):
    @app.route("/flash-markup")
    def flash_markup():
        flash(Markup("<b>Welcome</b>"))
        return "ok"

    @app.route("/kinds")
    def kinds():
        return repr([type(message).__name__ for message in get_flashed_messages()])

    client.get("/flash-markup")
    assert client.get("/kinds").text == "['Markup']"


def test_flash_keeps_other_session_data(app, client):
    @app.route("/login")
    def login():
        session["user"] = "ann"
        flash("Logged in.")
        return "ok"

    @app.route("/user")
    def user():
        return repr(session.get("user"))

    client.get("/login")
    assert client.get("/").text == "['Logged in.']"
    assert client.get("/user").text == "'ann'"


def test_flash_without_secret_key_explains_the_fix(app, client):
    app.secret_key = None
    with pytest.raises(RuntimeError) as info:
        client.post("/flash", json=[["message", "Saved."]])
    message = str(info.value)
    assert "SECRET_KEY" in message
    assert "secrets.token_hex" in message
    assert "ERLEN_SECRET_KEY" in message


def test_reading_flashes_without_secret_key_is_empty(app, client):
    app.secret_key = None
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "[]"


def test_category_filter_may_be_one_string():
    from erlen import Erlen, flash, get_flashed_messages

    app = Erlen("flash_filter")
    app.secret_key = "test key"

    @app.route("/")
    def index():
        flash("bad", "error")
        flash("fine", "info")
        return ""

    @app.route("/errors")
    def errors():
        return ",".join(get_flashed_messages(category_filter="error"))

    client = app.test_client()
    client.get("/")
    assert client.get("/errors").text == "bad"
