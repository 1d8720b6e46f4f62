"""Shared fixtures: an app, a client for each protocol, and a leak detector.

Every test that takes ``client`` runs twice: through WSGI (each request
checked by wsgiref's PEP 3333 validator) and through ASGI (each message
checked by the test client's ASGI checks). A test about WSGI itself (the
environ, ``wsgi.*`` keys, the validator) says so with
``@pytest.mark.wsgi_only`` and runs once, with the WSGI client.
"""

from __future__ import annotations

import warnings
from wsgiref.validate import validator

import pytest

from erlen import Erlen
from erlen.ctx import _cv

PROTOCOLS = ["wsgi", "asgi"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "wsgi_only: the test is about WSGI; its client fixture runs only as WSGI"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "client" in metafunc.fixturenames:
        wsgi_only = metafunc.definition.get_closest_marker("wsgi_only") is not None
        metafunc.parametrize("client", ["wsgi"] if wsgi_only else PROTOCOLS, indirect=True)


@pytest.fixture
def app() -> Erlen:
    app = Erlen("test_app")
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Erlen, request: pytest.FixtureRequest):
    """A test client for ``app``, through WSGI or ASGI (see the module docstring)."""
    if request.param == "asgi":
        client = app.test_client(asgi=True)
        yield client
        client.close()
        return
    client = app.test_client()
    checked = validator(app)

    def application(environ, start_response):
        with warnings.catch_warnings():
            # The validator warns (as errors here) on any PEP 3333 violation;
            # keep them as failures, but only those it raises itself.
            warnings.simplefilter("error")
            return checked(environ, start_response)

    client.application = application
    yield client


@pytest.fixture(autouse=True)
def _no_leaked_context():
    """Fail a test that leaves an app or request context pushed."""
    yield
    leaked = _cv.get(None)
    if leaked is not None:
        pytest.fail(f"A context was left pushed: {leaked!r} (request {leaked.request!r})")
