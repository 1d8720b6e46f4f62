"""The smallest apps granian can serve, one per interface: the protocols' own cost.

``GET /`` answers ``Hello, World!`` in one ASGI exchange, or one RSGI call,
with no framework in between. ``bench/rsgi_wrk.py --raw`` serves both beside
erlen: how much faster RSGI is than ASGI for these two is as much as any
app on top of them can gain from choosing RSGI.
"""

from typing import Any

BODY = b"Hello, World!"


def asgi_hello() -> Any:
    """Return an ASGI app answering every HTTP request with ``Hello, World!``."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": BODY})

    return app


class _RSGIHello:
    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        protocol.response_bytes(200, [("content-type", "text/plain; charset=utf-8")], BODY)


def rsgi_hello() -> Any:
    """Return an RSGI app answering every HTTP request with ``Hello, World!``."""
    return _RSGIHello()
