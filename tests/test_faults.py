"""Faults in the app's own code: each is logged once, answered as well as the
protocol allows, and the next request is served normally (both protocols)."""

from __future__ import annotations

import logging

import pytest

from erlen import Erlen, session
from erlen.sessions import SecureCookieSessionInterface


@pytest.fixture
def app(app: Erlen) -> Erlen:
    app.testing = False  # errors become answers, as in production
    app.config["SECRET_KEY"] = "faults"

    @app.route("/")
    def index():
        return "fine"

    return app


def logged_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_exception_in_a_teardown_hook(app, client, caplog):
    calls = []

    @app.teardown_request
    def broken(error):
        calls.append(error)
        raise RuntimeError("teardown broke")

    @app.teardown_request
    def runs_anyway(error):
        calls.append("still ran")

    with caplog.at_level(logging.ERROR):
        response = client.get("/")
    assert response.status_code == 200
    assert response.text == "fine"  # the answer was made before teardown
    assert "still ran" in calls  # one failing teardown does not skip the others
    errors = logged_errors(caplog)
    assert len(errors) == 1 and "teardown" in errors[0].getMessage()
    assert errors[0].exc_info is not None
    caplog.clear()
    assert client.get("/").text == "fine"


def test_exception_in_an_after_request_hook(app, client, caplog):
    broken = [True]

    @app.after_request
    def sometimes(response):
        if broken[0]:
            raise RuntimeError("after_request broke")
        return response

    with caplog.at_level(logging.ERROR):
        response = client.get("/")
    assert response.status_code == 500
    assert "Traceback" not in response.text and "after_request broke" not in response.text
    assert len(logged_errors(caplog)) == 1
    broken[0] = False
    assert client.get("/").text == "fine"


def test_exception_in_an_error_handler(app, client, caplog):
    @app.errorhandler(404)
    def missing(error):
        raise RuntimeError("the 404 handler broke")

    with caplog.at_level(logging.ERROR):
        response = client.get("/nowhere")
    assert response.status_code == 500
    assert "the 404 handler broke" not in response.text
    assert len(logged_errors(caplog)) == 1
    assert client.get("/").text == "fine"


def test_exception_in_the_500_handler_still_answers_500(app, client, caplog):
    @app.route("/crash")
    def crash():
        raise ValueError("view broke")

    @app.errorhandler(500)
    def server_error(error):
        raise RuntimeError("so did the 500 handler")

    with caplog.at_level(logging.ERROR):
        response = client.get("/crash")
    assert response.status_code == 500
    assert "Internal Server Error" in response.text
    messages = [record.getMessage() for record in logged_errors(caplog)]
    assert len(messages) == 2  # the view's error, then the handler's
    assert "failed as well" in messages[1]
    assert client.get("/").text == "fine"


class FailingStore(SecureCookieSessionInterface):
    """A session store whose backend is down."""

    def __init__(self, fail_open: bool, fail_save: bool) -> None:
        self.fail_open = fail_open
        self.fail_save = fail_save

    def open_session(self, app, request):
        if self.fail_open:
            raise ConnectionError("the session store is down")
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if self.fail_save:
            raise ConnectionError("the session store is down")
        return super().save_session(app, session, response)


@pytest.mark.parametrize(("fail_open", "fail_save"), [(True, False), (False, True)])
def test_a_failing_session_store(app, client, caplog, fail_open, fail_save):
    store = FailingStore(fail_open, fail_save)
    app.session_interface = store

    @app.route("/visit")
    def visit():
        session["visits"] = session.get("visits", 0) + 1
        return str(session["visits"])

    with caplog.at_level(logging.ERROR):
        response = client.get("/visit")
    assert response.status_code == 500
    assert "the session store is down" not in response.text
    assert len(logged_errors(caplog)) == 1
    # Views that do not use the session are not affected, and once the
    # store is back the session works again.
    assert client.get("/").text == "fine"
    store.fail_open = store.fail_save = False
    assert client.get("/visit").text == "1"
    assert client.get("/visit").text == "2"
