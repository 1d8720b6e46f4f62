"""The erlen app that gunicorn, uvicorn and hypercorn serve in test_real_servers.py.

Every route is there to be checked over real HTTP or a real WebSocket, the
same way under WSGI and ASGI. Set ``REALAPP_MARKERS`` to a directory and the
app leaves files in it that the tests look for:

- ``started`` and ``stopped``: written by the ``before_serving`` and
  ``after_serving`` hooks (lifespan, so ASGI servers only);
- ``closed-<token>``: written by the ``finally`` of an endless stream, saying
  whether the stream was closed early or ran to its end.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from erlen import Erlen, Response, abort, current_app, request, session, url_for, websocket
from erlen.sse import ServerSentEvent, event_stream

app = Erlen(__name__)
app.config.update(
    SECRET_KEY="realapp: a fixed key, for tests only",
    MAX_CONTENT_LENGTH=1024 * 1024,
    MAX_WEBSOCKET_MESSAGE_SIZE=4096,
)

#: How long an endless stream runs when nobody closes it.
ENDLESS_SECONDS = 30.0
#: How long a held stream waits for /release before giving up.
HOLD_SECONDS = 10.0

_released: dict[str, threading.Event] = {}
_released_lock = threading.Lock()


def _mark(name: str, text: str) -> None:
    """Leave the file ``name`` holding ``text`` in REALAPP_MARKERS, if set."""
    directory = os.environ.get("REALAPP_MARKERS")
    if not directory:
        return
    target = Path(directory) / name
    partial = target.with_name(f".{name}.partial")
    partial.write_text(text)
    partial.replace(target)  # a reader never sees half a marker


def _release_event(token: str) -> threading.Event:
    with _released_lock:
        return _released.setdefault(token, threading.Event())


# -- lifespan ---------------------------------------------------------------


@app.before_serving
async def record_startup() -> None:
    await asyncio.sleep(0)
    _mark("started", current_app.name)


@app.after_serving
def record_shutdown() -> None:
    _mark("stopped", current_app.name)


# -- plain HTTP -------------------------------------------------------------


@app.route("/")
def index() -> str:
    return "Hello from erlen"


@app.route("/search")
def search() -> dict[str, Any]:
    return {"q": request.args.get("q"), "tags": request.args.getlist("tag")}


@app.route("/whoami")
def whoami() -> dict[str, Any]:
    return {
        "host": request.host,
        "url": request.url,
        "remote_addr": request.remote_addr,
        "scheme": request.scheme,
        "multithread": request.environ.get("wsgi.multithread"),
    }


@app.route("/api/items/<int:item_id>")
def item(item_id: int) -> dict[str, Any]:
    return {"id": item_id, "double": item_id * 2}


@app.route("/async")
async def async_view() -> dict[str, Any]:
    await asyncio.sleep(0)
    return {"async": True, "path": request.path, "q": request.args.get("q")}


@app.post("/form")
def form() -> dict[str, list[str]]:
    return {key: values for key, values in request.form.lists()}


@app.post("/json")
def json_view() -> dict[str, Any]:
    return {"received": request.json}


@app.post("/upload")
def upload() -> dict[str, Any]:
    storage = request.files["document"]
    content = storage.read()
    return {
        "filename": storage.filename,
        "content_type": storage.content_type,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "title": request.form["title"],
    }


@app.post("/data")
def data() -> dict[str, Any]:
    body = request.get_data()
    return {"size": len(body), "start": body[:10].decode("latin-1")}


@app.route("/only-post", methods=["POST"])
def only_post() -> str:
    return "posted"


@app.route("/dir/")
def directory() -> str:
    return "the directory"


@app.route("/<string(minlength=0):first>/<second>/")
def two_levels(first: str, second: str) -> str:
    return f"{first}|{second}"


@app.route("/error")
def error() -> str:
    raise RuntimeError("realapp secret: this view fails on purpose")


@app.route("/async-error")
async def async_error() -> str:
    await asyncio.sleep(0)
    raise RuntimeError("realapp secret: this async view fails on purpose")


@app.route("/links")
def links() -> dict[str, Any]:
    return {
        "index": url_for("index"),
        "item": url_for("item", item_id=3),
        "external": url_for("index", _external=True),
        "path": request.path,
        "root_path": request.root_path,
    }


# -- cookies and the session ------------------------------------------------


@app.route("/cookies")
def cookies() -> Response:
    response = Response(repr(sorted(request.cookies.items())))
    response.set_cookie("seen", "yes")
    return response


@app.post("/session")
def set_session() -> Response:
    session["value"] = request.form["value"]
    response = Response("stored")
    response.set_cookie("flavour", "plain")  # a second Set-Cookie beside the session's
    return response


@app.get("/session")
def get_session() -> dict[str, Any]:
    return {"value": session.get("value")}


# -- streamed responses -----------------------------------------------------


@app.route("/stream")
def stream() -> tuple[Iterator[str], dict[str, str]]:
    name = request.args.get("name", "?")

    def generate() -> Iterator[str]:
        for i in range(5):
            yield f"chunk {i} of {name}\n"

    return generate(), {"Content-Type": "text/plain"}


@app.route("/broken-stream/<kind>")
def broken_stream(kind: str) -> Any:
    """Send one chunk, then fail: the connection must be cut, not ended cleanly."""

    def generate() -> Iterator[str]:
        yield "first\n"
        raise RuntimeError("the stream broke")

    async def agenerate() -> AsyncIterator[str]:
        yield "first\n"
        await asyncio.sleep(0)
        raise RuntimeError("the stream broke")

    return (generate() if kind == "sync" else agenerate()), {"Content-Type": "text/plain"}


@app.route("/async-stream")
def async_stream() -> tuple[AsyncIterator[str], dict[str, str]]:
    name = request.args.get("name", "?")

    async def generate() -> AsyncIterator[str]:
        for i in range(5):
            await asyncio.sleep(0)
            yield f"async chunk {i} of {name}\n"

    return generate(), {"Content-Type": "text/plain"}


@app.route("/held-stream/<token>")
def held_stream(token: str) -> Iterator[str]:
    # The first chunk goes out, then the stream waits for /release: this only
    # completes if each chunk really is sent as it is produced.
    released = _release_event(token)

    def generate() -> Iterator[str]:
        yield "first\n"
        if not released.wait(HOLD_SECONDS):
            yield "timed out\n"
            return
        yield "second\n"

    return generate()


@app.route("/async-held-stream/<token>")
def async_held_stream(token: str) -> AsyncIterator[str]:
    released = _release_event(token)

    async def generate() -> AsyncIterator[str]:
        yield "async first\n"
        deadline = time.monotonic() + HOLD_SECONDS
        while not released.is_set():
            if time.monotonic() > deadline:
                yield "timed out\n"
                return
            await asyncio.sleep(0.01)
        yield "async second\n"

    return generate()


@app.route("/release/<token>")
def release(token: str) -> str:
    _release_event(token).set()
    return "released"


@app.route("/endless/sync/<token>")
def endless_sync(token: str) -> Iterator[str]:
    def generate() -> Iterator[str]:
        sent = 0
        finished = False
        try:
            deadline = time.monotonic() + ENDLESS_SECONDS
            while time.monotonic() < deadline:
                yield f"tick {sent}\n"
                sent += 1
                time.sleep(0.01)
            finished = True
        finally:
            _mark(f"closed-{token}", "ran to its end" if finished else "closed early")

    return generate()


@app.route("/endless/async/<token>")
def endless_async(token: str) -> AsyncIterator[str]:
    async def generate() -> AsyncIterator[str]:
        sent = 0
        finished = False
        try:
            deadline = time.monotonic() + ENDLESS_SECONDS
            while time.monotonic() < deadline:
                yield f"async tick {sent}\n"
                sent += 1
                await asyncio.sleep(0.01)
            finished = True
        finally:
            _mark(f"closed-{token}", "ran to its end" if finished else "closed early")

    return generate()


# -- Server-Sent Events -----------------------------------------------------

EVENTS: list[Any] = [
    {"event": "greeting", "id": 1, "data": "hello"},
    "two\nlines",
    ServerSentEvent({"n": 3, "text": "snow ☃"}, event="json", id="three"),
    {"comment": "a comment the client skips", "data": ""},
]


@app.route("/events/sync")
def events_sync() -> Response:
    def generate() -> Iterator[Any]:
        yield from EVENTS

    return event_stream(generate(), retry=1500)


@app.route("/events/async")
async def events_async() -> Response:
    async def generate() -> AsyncIterator[Any]:
        for event in EVENTS:
            await asyncio.sleep(0)
            yield event

    return event_stream(generate(), retry=1500)


@app.route("/endless/sse/<token>")
def endless_events(token: str) -> Response:
    async def generate() -> AsyncIterator[Any]:
        sent = 0
        finished = False
        try:
            deadline = time.monotonic() + ENDLESS_SECONDS
            while time.monotonic() < deadline:
                yield {"event": "tick", "data": sent}
                sent += 1
                await asyncio.sleep(0.01)
            finished = True
        finally:
            _mark(f"closed-{token}", "ran to its end" if finished else "closed early")

    return event_stream(generate(), keep_alive=None)


# -- WebSockets -------------------------------------------------------------


@app.before_websocket
def require_token() -> None:
    if websocket.path == "/ws/guarded" and "token" not in websocket.args:
        abort(403, "Pass ?token= to open /ws/guarded.")


@app.websocket("/ws/echo")
async def echo() -> None:
    await websocket.accept()
    async for message in websocket:
        await websocket.send(message)  # text stays text, bytes stay bytes


@app.websocket("/ws/text")
async def text_only() -> None:
    while True:
        text = await websocket.receive_text()
        await websocket.send_text(text.upper())


@app.websocket("/ws/json")
async def json_echo() -> None:
    while True:
        value = await websocket.receive_json()
        await websocket.send_json({"echo": value})


@app.websocket("/ws/<int:room>")
async def room(room: int) -> None:
    await websocket.send_json(
        {"room": room, "type": type(room).__name__, "name": websocket.args.get("name")}
    )
    await websocket.close()


@app.websocket("/ws/guarded")
async def guarded() -> None:
    await websocket.send_text(f"welcome {websocket.args['token']}")
    await websocket.close()
