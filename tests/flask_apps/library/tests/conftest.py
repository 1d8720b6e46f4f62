import pytest
from library import create_app


@pytest.fixture
def app():
    app = create_app({"TESTING": True})
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(client):
    def login(name="Ada Lovelace"):
        return client.post("/auth/login", data={"name": name})

    return login
