import pytest
from notes import create_app


@pytest.fixture
def app():
    # A fresh app per test, with the settings a test wants.
    return create_app({"TESTING": True, "SECRET_KEY": "test", "NOTES_TITLE": "Test notes"})


@pytest.fixture(params=["wsgi", "asgi"])
def client(app, request):
    # Each test that takes `client` runs twice: through WSGI, then through ASGI.
    with app.test_client(asgi=request.param == "asgi") as client:
        yield client


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
