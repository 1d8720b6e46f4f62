"""The app tests/test_websocket_origin.py serves with real ASGI servers."""

from __future__ import annotations

from erlen import Erlen, websocket

app = Erlen(__name__)


@app.get("/")
def index() -> str:
    return "ready"


@app.websocket("/ws")
async def echo() -> None:
    await websocket.accept()
    async for message in websocket:
        await websocket.send(message)
