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
