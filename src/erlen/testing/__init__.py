"""The test client: requests sent to the app in-process, no sockets.

Requests go through WSGI, or through ASGI with ``asgi=True``; websockets
always go through ASGI::

    client = app.test_client()
    response = client.post("/login", data={"name": "ada"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Welcome" in response.text

    with client.websocket("/echo") as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "hi"

Under ASGI the client checks every message the app sends against the ASGI
spec and fails the test with an ``AssertionError`` on the first violation.

The modules, each importing only those after it: ``client`` (the client and
its responses), ``runner`` (the CLI runner), ``asgi`` (websockets),
``exchange`` (one HTTP request over ASGI), ``builders`` (an environ or a
scope for a request), ``loop`` (coroutines run from synchronous tests).
"""

from __future__ import annotations

from .asgi import WebSocketDenied, WebSocketSession
from .builders import build_environ, build_scope
from .client import Client, TestResponse
from .runner import ErlenCliRunner

__all__ = [
    "Client",
    "ErlenCliRunner",
    "TestResponse",
    "WebSocketDenied",
    "WebSocketSession",
    "build_environ",
    "build_scope",
]
