"""Flask code raises Werkzeug's HTTP errors; erlen answers them as its own."""

from __future__ import annotations

import pytest
import werkzeug.exceptions as werkzeug_exceptions

import erlen


@pytest.fixture
def app(app):
    @app.get("/post/<int:pid>")
    def post(pid):
        if pid != 1:
            werkzeug_exceptions.abort(404, f"Post id {pid} doesn't exist.")
        return "post 1"

    @app.get("/forbidden")
    def forbidden():
        raise werkzeug_exceptions.Forbidden()

    @app.get("/teapot")
    def teapot():
        from werkzeug.wrappers import Response

        werkzeug_exceptions.abort(Response("short and stout", status=418))

    return app


def test_werkzeugs_abort_is_answered_with_its_code_and_description(client) -> None:
    response = client.get("/post/2")
    assert response.status_code == 404
    assert "Post id 2 doesn&#x27;t exist." in response.text
    assert client.get("/post/1").text == "post 1"


def test_werkzeugs_error_classes_are_answered(client) -> None:
    response = client.get("/forbidden")
    assert response.status_code == 403
    assert "Forbidden" in response.text


def test_a_response_carried_by_werkzeugs_error_is_sent(client) -> None:
    response = client.get("/teapot")
    assert response.status_code == 418
    assert response.text == "short and stout"


def test_a_handler_registered_for_werkzeugs_class_answers(app, client) -> None:
    @app.errorhandler(werkzeug_exceptions.NotFound)
    def not_found(error):
        return f"custom: {error.description}", 404

    response = client.get("/post/3")
    assert response.status_code == 404
    assert response.text == "custom: Post id 3 doesn't exist."
    # erlen's own 404 reaches the same handler
    assert client.get("/nowhere").text.startswith("custom: ")


def test_a_handler_for_werkzeugs_base_class_answers_every_http_error(client, app):
    # Flask's documented pattern: JSON instead of HTML for every HTTP error.
    import json

    from werkzeug.exceptions import HTTPException as WerkzeugHTTPException

    @app.errorhandler(WerkzeugHTTPException)
    def as_json(error):
        response = error.get_response()
        response.data = json.dumps({"code": error.code, "name": error.name})
        response.content_type = "application/json"
        return response

    @app.errorhandler(Exception)
    def anything_else(error):
        return {"code": 500}, 500

    @app.get("/private")
    def private():
        erlen.abort(403)

    assert client.get("/missing").json == {"code": 404, "name": "Not Found"}
    assert client.get("/private").json == {"code": 403, "name": "Forbidden"}
    response = client.post("/private")
    assert response.json == {"code": 405, "name": "Method Not Allowed"}
    assert "GET" in response.headers["Allow"]


class RateLimited(werkzeug_exceptions.TooManyRequests):
    """An extension's error, as Flask-Limiter's RateLimitExceeded is one."""

    def __init__(self, limit: str) -> None:
        super().__init__(description=f"Rate limit exceeded: {limit}")
        self.limit = limit


class Maintenance(werkzeug_exceptions.ServiceUnavailable):
    """An extension's error that renders its own response."""

    def get_response(self, environ=None, scope=None):
        from werkzeug.wrappers import Response

        assert environ is not None and environ["REQUEST_METHOD"] in ("GET", "HEAD")
        return Response('{"down": true}', 503, {"Content-Type": "application/json", "X-Back": "5"})


@pytest.fixture
def limited(app):
    @app.get("/limited")
    def limited():
        raise RateLimited("1 per day")

    @app.get("/hooked")
    def hooked():
        return "not reached"

    @app.before_request
    def limit_hooked():
        if erlen.request.path == "/hooked":
            raise RateLimited("2 per hour")

    @app.get("/maintenance")
    def maintenance():
        raise Maintenance()

    @app.get("/erlen-429")
    def erlen_429():
        erlen.abort(429)

    return app


def test_an_extensions_werkzeug_error_is_answered_with_its_code_and_description(client, limited):
    response = client.get("/limited")
    assert response.status_code == 429
    assert "Rate limit exceeded: 1 per day" in response.text
    response = client.get("/hooked")  # raised in a before_request hook
    assert response.status_code == 429
    assert "Rate limit exceeded: 2 per hour" in response.text


def test_an_extensions_werkzeug_error_with_its_own_response_sends_it(client, limited):
    response = client.get("/maintenance")
    assert response.status_code == 503
    assert response.json == {"down": True}
    assert response.headers["X-Back"] == "5"


def test_a_handler_for_an_extensions_error_gets_the_error_raised(client, limited):
    @limited.errorhandler(429)
    def any_429(error):
        return f"429 handler: {type(error).__name__}", 429

    @limited.errorhandler(RateLimited)
    def rate_limited(error):
        return f"limited to {error.limit}", 429

    # The extension's class is more specific than its code, as in Flask.
    assert client.get("/limited").text == "limited to 1 per day"
    # erlen's own 429 is no RateLimited: the code's handler answers it.
    assert client.get("/erlen-429").text == "429 handler: TooManyRequests"


def test_a_code_handler_gets_the_werkzeug_error_that_was_raised(client, limited):
    @limited.errorhandler(429)
    def any_429(error):
        return f"{type(error).__name__}: {getattr(error, 'limit', '-')}", 429

    assert client.get("/limited").text == "RateLimited: 1 per day"


def test_a_handler_returning_the_werkzeug_error_sends_its_page(client, limited):
    @limited.errorhandler(RateLimited)
    def log_and_answer(error):
        return error  # Flask's documented "return e"

    response = client.get("/limited")
    assert response.status_code == 429
    assert "Rate limit exceeded: 1 per day" in response.text


def test_headers_of_werkzeugs_errors_are_sent(client, app):
    @app.get("/retry")
    def retry():
        raise werkzeug_exceptions.TooManyRequests(retry_after=30)

    @app.get("/methods")
    def methods():
        raise werkzeug_exceptions.MethodNotAllowed(valid_methods=["GET", "POST"])

    @app.get("/login")
    def login():
        from werkzeug.datastructures import WWWAuthenticate

        raise werkzeug_exceptions.Unauthorized(www_authenticate=WWWAuthenticate("basic"))

    response = client.get("/retry")
    assert (response.status_code, response.headers["Retry-After"]) == (429, "30")
    response = client.get("/methods")
    assert (response.status_code, response.headers["Allow"]) == (405, "GET, POST")
    assert "The method is not allowed" in response.text
    response = client.get("/login")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("basic")
