import notes
import pytest


@pytest.fixture
def app():
    notes.app.config.update(TESTING=True)
    notes.reset()
    yield notes.app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def key():
    return {"X-API-Key": "secret"}
