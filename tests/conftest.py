"""Shared fixtures: an app, a client that checks PEP 3333, and a leak detector."""

from __future__ import annotations

import warnings
from wsgiref.validate import validator

import pytest

from erlen import Erlen
from erlen.ctx import _cv


@pytest.fixture
def app() -> Erlen:
    app = Erlen("test_app")
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Erlen):
    """A test client whose every request goes through wsgiref's validator."""
    client = app.test_client()
    checked = validator(app)

    def application(environ, start_response):
        with warnings.catch_warnings():
            # The validator warns (as errors here) on any PEP 3333 violation;
            # keep them as failures, but only those it raises itself.
            warnings.simplefilter("error")
            return checked(environ, start_response)

    client.application = application
    return client


@pytest.fixture(autouse=True)
def _no_leaked_context():
    """Fail a test that leaves an app or request context pushed."""
    yield
    leaked = _cv.get(None)
    if leaked is not None:
        pytest.fail(f"A context was left pushed: {leaked!r} (request {leaked.request!r})")
