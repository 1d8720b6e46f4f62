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

``app.test_request_context()``, ``client.session_transaction()`` and
:class:`EnvironBuilder` take the same request arguments as the client.

The modules, each importing only those after it: ``client`` (the client and
its responses), ``runner`` (the CLI runner), ``asgi`` (websockets),
``exchange`` (one HTTP request over ASGI), ``builders`` (the request
arguments, read into a request), ``outgoing`` (one request as an environ or
a scope), ``cookies`` (the cookie jar), ``loop`` (coroutines run from
synchronous tests).
"""

from __future__ import annotations

from .asgi import WebSocketDenied, WebSocketSession
from .builders import EnvironBuilder, FileMultiDict, build_environ, build_scope
from .client import Client, ErlenClient, TestResponse
from .cookies import Cookie
from .runner import ErlenCliRunner

__all__ = [
    "Client",
    "Cookie",
    "EnvironBuilder",
    "ErlenClient",
    "ErlenCliRunner",
    "FileMultiDict",
    "TestResponse",
    "WebSocketDenied",
    "WebSocketSession",
    "build_environ",
    "build_scope",
]
