"""WebSockets: handlers, the ``websocket`` proxy, routing, hooks, bad input and errors.

Most tests talk to the app through ``client.websocket(...)``. Tests that look at the
raw ASGI messages (close codes before accept, the ``websocket.http.response``
extension, a ``send`` that fails) drive ``await app(scope, receive, send)`` through
the small :class:`RawSocket` harness below, where every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import threading
import typing as t

import pytest

from erlen import (
    Blueprint,
    Erlen,
    abort,
    current_app,
    g,
    request,
    session,
    url_for,
    websocket,
)
from erlen.cli import main
from erlen.testing import WebSocketDenied
from erlen.websockets import WebSocketDisconnect, WebSocketError

TIMEOUT = 5.0

Message = dict[str, t.Any]


# -- the raw ASGI harness ----------------------------------------------------------


class RawSocket:
    """The server's end of one in-process websocket, recording the app's messages."""

    def __init__(
        self,
        app: t.Any,
        path: str = "/ws",
        *,
        query_string: bytes = b"",
        headers: list[tuple[bytes, bytes]] | None = None,
        subprotocols: list[str] | None = None,
        extension: bool = True,
        send_fails_after: int | None = None,
    ) -> None:
        self.app = app
        self.scope: Message = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "ws",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query_string,
            "root_path": "",
            "headers": [
                (b"host", b"testserver"),
                (b"connection", b"Upgrade"),
                (b"upgrade", b"websocket"),
                (b"sec-websocket-version", b"13"),
                (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
                *(headers or []),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "subprotocols": list(subprotocols or []),
            "extensions": {"websocket.http.response": {}} if extension else {},
        }
        #: Every message the app sent, in order.
        self.sent: list[Message] = []
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._send_fails_after = send_fails_after
        self.task: asyncio.Task[None] | None = None

    async def _send(self, message: Message) -> None:
        if self._send_fails_after is not None and len(self.sent) >= self._send_fails_after:
            # ASGI 2.4: send() on a connection the client has closed raises OSError.
            raise OSError("the client has gone")
        self.sent.append(message)
        await self._outbox.put(message)

    async def start(self) -> None:
        """Run the app and send it ``websocket.connect``."""
        self.task = asyncio.ensure_future(self.app(self.scope, self._inbox.get, self._send))
        await self._inbox.put({"type": "websocket.connect"})

    async def push(self, message: Message) -> None:
        await self._inbox.put(message)

    async def push_text(self, text: str) -> None:
        await self.push({"type": "websocket.receive", "text": text})

    async def push_bytes(self, data: bytes) -> None:
        await self.push({"type": "websocket.receive", "bytes": data})

    async def disconnect(self, code: int = 1000) -> None:
        await self.push({"type": "websocket.disconnect", "code": code, "reason": ""})

    async def next(self) -> Message:
        """Return the app's next message, waiting at most ``TIMEOUT`` seconds."""
        return await asyncio.wait_for(self._outbox.get(), TIMEOUT)

    async def finish(self) -> None:
        """Wait (bounded) for the app to return; re-raise what it raised."""
        assert self.task is not None
        await asyncio.wait_for(asyncio.shield(self.task), TIMEOUT)

    def types(self) -> list[str]:
        return [message["type"] for message in self.sent]


def run(coroutine: t.Coroutine[t.Any, t.Any, t.Any]) -> t.Any:
    return asyncio.run(asyncio.wait_for(coroutine, 3 * TIMEOUT))


async def converse(
    app: Erlen,
    path: str = "/ws",
    messages: t.Iterable[str | bytes] = (),
    *,
    disconnect: bool = True,
    **options: t.Any,
) -> RawSocket:
    """Connect, send ``messages`` (then disconnect), and wait for the app to return."""
    socket = RawSocket(app, path, **options)
    await socket.start()
    for message in messages:
        if isinstance(message, str):
            await socket.push_text(message)
        else:
            await socket.push_bytes(message)
    if disconnect:
        await socket.disconnect()
    await socket.finish()
    return socket


@pytest.fixture
def app() -> Erlen:
    app = Erlen("test_websocket")
    app.config["TESTING"] = True
    return app


@pytest.fixture
def quiet_app() -> Erlen:
    """An app that logs errors instead of raising them (TESTING off)."""
    app = Erlen("test_websocket_quiet")
    app.config["TESTING"] = False
    return app


def add_echo(app: Erlen, rule: str = "/echo") -> list[str]:
    """Register a handler echoing every message; return a list noting how it ended."""
    ended: list[str] = []

    @app.websocket(rule, endpoint="echo")
    async def echo() -> None:
        async for message in websocket:
            await websocket.send(message)
        ended.append("loop ended")

    return ended


# -- accept, echo and close ----------------------------------------------------------


def test_echo_text_and_bytes_until_the_client_disconnects(app):
    ended = add_echo(app)
    with app.test_client().websocket("/echo") as ws:
        ws.send("hello")
        assert ws.receive() == "hello"
        ws.send(b"\x00\xffdata")
        assert ws.receive() == b"\x00\xffdata"
        ws.send_text("héllo")
        assert ws.receive_text() == "héllo"
        ws.send_bytes(b"")
        assert ws.receive_bytes() == b""
    assert ended == ["loop ended"]


def test_async_for_ends_cleanly_and_nothing_is_sent_after_the_disconnect(app):
    ended = add_echo(app)
    socket = run(converse(app, "/echo", ["a", b"b"]))
    assert socket.sent == [
        {"type": "websocket.accept", "subprotocol": None},
        {"type": "websocket.send", "text": "a"},
        {"type": "websocket.send", "bytes": b"b"},
    ]
    assert ended == ["loop ended"]


def test_send_and_receive_json(app):
    @app.websocket("/json")
    async def handler():
        value = await websocket.receive_json()
        await websocket.send_json({"got": value})

    with app.test_client().websocket("/json") as ws:
        ws.send_json([1, "two", None])
        assert ws.receive_json() == {"got": [1, "two", None]}


def test_handler_returning_without_closing_closes_with_1000(app):
    @app.websocket("/ws")
    async def handler():
        await websocket.accept()
        await websocket.send("bye")

    socket = run(converse(app, disconnect=False))
    assert socket.types() == ["websocket.accept", "websocket.send", "websocket.close"]
    assert socket.sent[-1]["code"] == 1000

    with app.test_client().websocket("/ws") as ws:
        assert ws.receive() == "bye"
        with pytest.raises(WebSocketDisconnect) as caught:
            ws.receive()
    assert caught.value.code == 1000
    assert ws.close_code == 1000


def test_explicit_close_with_code_and_reason(app):
    @app.websocket("/ws")
    async def handler():
        await websocket.accept()
        await websocket.close(4001, "room closed")

    socket = run(converse(app, disconnect=False))
    closes = [message for message in socket.sent if message["type"] == "websocket.close"]
    assert closes == [{"type": "websocket.close", "code": 4001, "reason": "room closed"}]

    with app.test_client().websocket("/ws") as ws:
        with pytest.raises(WebSocketDisconnect):
            ws.receive()
    assert (ws.close_code, ws.close_reason) == (4001, "room closed")


def test_close_before_accept_refuses_the_handshake(app):
    @app.websocket("/ws")
    async def handler():
        await websocket.close(4003)

    socket = run(converse(app, disconnect=False))
    assert socket.types() == ["websocket.close"]
    with pytest.raises(WebSocketDenied) as denied:
        with app.test_client().websocket("/ws"):
            pass
    assert denied.value.close_code == 4003


# -- subprotocols and accept headers -------------------------------------------------


def test_subprotocols_lists_the_offer_and_accept_sends_the_choice(app):
    @app.websocket("/ws")
    async def handler():
        offered = websocket.subprotocols
        await websocket.accept(subprotocol="chat.v2")
        await websocket.send_json(offered)

    with app.test_client().websocket("/ws", subprotocols=["chat.v1", "chat.v2"]) as ws:
        assert ws.subprotocol == "chat.v2"
        assert ws.receive_json() == ["chat.v1", "chat.v2"]

    socket = run(converse(app, subprotocols=["chat.v1", "chat.v2"]))
    assert socket.sent[0] == {"type": "websocket.accept", "subprotocol": "chat.v2"}


def test_no_subprotocols_offered(app):
    @app.websocket("/ws")
    async def handler():
        await websocket.send_json(websocket.subprotocols)

    with app.test_client().websocket("/ws") as ws:
        assert ws.subprotocol is None
        assert ws.receive_json() == []


def test_accepting_a_subprotocol_not_offered_raises_value_error(app):
    errors: list[str] = []

    @app.websocket("/ws")
    async def handler():
        try:
            await websocket.accept(subprotocol="v9")
        except ValueError as error:
            errors.append(str(error))
        await websocket.accept(subprotocol="v1")  # still connecting: may accept again
        await websocket.send("ok")

    with app.test_client().websocket("/ws", subprotocols=["v1", "v2"]) as ws:
        assert ws.receive() == "ok"
        assert ws.subprotocol == "v1"
    assert len(errors) == 1
    assert "'v9'" in errors[0]
    assert "not offered" in errors[0]
    assert "v1" in errors[0] and "v2" in errors[0]


def test_accepting_a_subprotocol_not_offered_propagates_in_testing(app):
    @app.websocket("/ws")
    async def handler():
        await websocket.accept(subprotocol="v9")

    async def scenario() -> RawSocket:
        socket = RawSocket(app)
        await socket.start()
        with pytest.raises(ValueError, match="'v9' was not offered by the client"):
            await socket.finish()
        return socket

    socket = run(scenario())
    # The handshake is refused (500) before the error propagates.
    assert socket.types() == ["websocket.http.response.start", "websocket.http.response.body"]
    assert socket.sent[0]["status"] == 500
    # The test client reports the refusal.
    with pytest.raises(WebSocketDenied) as denied:
        with app.test_client().websocket("/ws"):
            pass
    assert denied.value.status == 500


def test_accept_sends_extra_headers(app):
    @app.websocket("/ws")
    async def handler():
        await websocket.accept(headers=[("X-Room", "blue"), ("Set-Cookie", "seen=1")])
        await websocket.send("hi")

    with app.test_client().websocket("/ws") as ws:
        assert ws.headers["X-Room"] == "blue"
        assert ws.receive() == "hi"

    socket = run(converse(app))
    assert socket.sent[0]["type"] == "websocket.accept"
    assert (b"x-room", b"blue") in socket.sent[0]["headers"]


def test_accept_twice_is_an_error(app):
    @app.websocket("/ws")
    async def handler():
        await websocket.accept()
        await websocket.accept()

    with pytest.raises(RuntimeError, match="already open"):
        with app.test_client().websocket("/ws"):
            pass


# -- implicit accept ---------------------------------------------------------------


def test_first_send_accepts_implicitly(app):
    @app.websocket("/ws")
    async def handler():
        await websocket.send("hello")

    with app.test_client().websocket("/ws") as ws:
        assert ws.receive() == "hello"
    socket = run(converse(app, disconnect=False))
    assert socket.types() == ["websocket.accept", "websocket.send", "websocket.close"]


def test_first_receive_accepts_implicitly(app):
    async def scenario() -> None:
        @app.websocket("/ws")
        async def handler():
            message = await websocket.receive()
            await websocket.send(message.upper())

        socket = RawSocket(app)
        await socket.start()
        # The handler is waiting in receive(): it must have accepted already.
        assert await socket.next() == {"type": "websocket.accept", "subprotocol": None}
        await socket.push_text("hi")
        assert await socket.next() == {"type": "websocket.send", "text": "HI"}
        await socket.finish()

    run(scenario())


# -- routing -----------------------------------------------------------------------


def test_converters_and_url_for_inside_the_handler(app):
    @app.websocket("/ws/<int:room>")
    async def chat(room):
        await websocket.send_json(
            {
                "room": room,
                "is_int": isinstance(room, int),
                "url": url_for("chat", room=room + 1),
                "external": url_for("chat", room=room, _external=True),
            }
        )

    with app.test_client().websocket("/ws/3") as ws:
        assert ws.receive_json() == {
            "room": 3,
            "is_int": True,
            "url": "/ws/4",
            "external": "ws://localhost/ws/3",
        }
    with pytest.raises(WebSocketDenied) as denied:
        with app.test_client().websocket("/ws/lobby"):
            pass
    assert denied.value.status == 404


def test_url_for_a_websocket_route_outside_a_handler(app):
    @app.websocket("/ws/<int:room>")
    async def chat(room):
        pass

    app.config["SERVER_NAME"] = "chat.example"
    with app.app_context():
        assert url_for("chat", room=3, _external=False) == "/ws/3"
        assert url_for("chat", room=3, _scheme="wss", _external=True) == "wss://chat.example/ws/3"
    with app.test_request_context("/"):
        assert url_for("chat", room=3) == "/ws/3"


def test_blueprint_websocket_route_with_url_prefix(app):
    live = Blueprint("live", __name__, url_prefix="/live")

    @live.websocket("/feed/<name>")
    async def feed(name):
        await websocket.send_json(
            {
                "name": name,
                "path": websocket.path,
                "endpoint": request.endpoint,
                "absolute": url_for("live.feed", name="b"),
                "relative": url_for(".feed", name="c"),
            }
        )

    app.register_blueprint(live)
    with app.test_client().websocket("/live/feed/a") as ws:
        assert ws.receive_json() == {
            "name": "a",
            "path": "/live/feed/a",
            "endpoint": "live.feed",
            "absolute": "/live/feed/b",
            "relative": "/live/feed/c",
        }
    with pytest.raises(WebSocketDenied) as denied:
        with app.test_client().websocket("/feed/a"):
            pass
    assert denied.value.status == 404


def test_before_websocket_hooks_app_blueprint_and_app_wide(app):
    calls: list[str] = []
    live = Blueprint("live", __name__, url_prefix="/live")
    other = Blueprint("other", __name__)

    @app.before_websocket
    def app_hook():
        calls.append(f"app {websocket.path}")

    @app.before_request
    def http_hook():
        calls.append("before_request")

    @live.before_websocket
    async def blueprint_hook():
        calls.append(f"live {websocket.path}")

    @other.before_app_websocket
    def app_wide_hook():
        calls.append(f"app-wide {request.path}")

    @live.websocket("/feed")
    async def feed():
        calls.append("feed handler")
        await websocket.send("ok")

    @app.websocket("/plain")
    async def plain():
        calls.append("plain handler")
        await websocket.send("ok")

    app.register_blueprint(live)
    app.register_blueprint(other)
    client = app.test_client()

    with client.websocket("/live/feed") as ws:
        assert ws.receive() == "ok"
    assert sorted(calls[:3]) == ["app /live/feed", "app-wide /live/feed", "live /live/feed"]
    assert calls[3:] == ["feed handler"]

    calls.clear()
    with client.websocket("/plain") as ws:
        assert ws.receive() == "ok"
    assert sorted(calls[:2]) == ["app /plain", "app-wide /plain"]
    assert calls[2:] == ["plain handler"]


def test_before_websocket_hook_sets_g_for_the_handler(app):
    @app.before_websocket
    def load_user():
        g.user = websocket.args.get("user", "anonymous")

    @app.websocket("/ws")
    async def handler():
        await websocket.send(f"hello {g.user}")

    with app.test_client().websocket("/ws", query_string={"user": "ann"}) as ws:
        assert ws.receive() == "hello ann"


def test_before_websocket_hook_returning_a_value_refuses_with_it(app):
    handled: list[bool] = []

    @app.before_websocket
    def gate():
        if "token" not in websocket.args:
            return "log in first", 401, {"X-Reason": "no token"}
        return None

    @app.websocket("/ws")
    async def handler():
        handled.append(True)
        await websocket.send("in")

    client = app.test_client()
    with pytest.raises(WebSocketDenied) as denied:
        with client.websocket("/ws"):
            pass
    assert denied.value.status == 401
    assert denied.value.body == b"log in first"
    assert denied.value.headers["X-Reason"] == "no token"
    assert handled == []

    with client.websocket("/ws", query_string={"token": "t"}) as ws:
        assert ws.receive() == "in"
    assert handled == [True]


def test_abort_in_a_hook_with_the_http_response_extension(app):
    @app.before_websocket
    def gate():
        abort(403)

    @app.websocket("/ws")
    async def handler():
        await websocket.send("never")

    socket = run(converse(app, disconnect=False))
    assert socket.types() == ["websocket.http.response.start", "websocket.http.response.body"]
    assert socket.sent[0]["status"] == 403
    assert b"forbidden" in socket.sent[1]["body"].lower()


def test_abort_in_a_hook_without_the_extension_closes_before_accept(app):
    @app.before_websocket
    def gate():
        abort(403)

    @app.websocket("/ws")
    async def handler():
        await websocket.send("never")

    socket = run(converse(app, disconnect=False, extension=False))
    assert socket.types() == ["websocket.close"]

    with pytest.raises(WebSocketDenied) as denied:
        with app.test_client().websocket("/ws", http_response_extension=False):
            pass
    assert denied.value.status == 403
    assert denied.value.close_code is not None


def test_a_path_with_no_websocket_route_is_refused(app):
    @app.route("/page")
    def page():
        return "a page"

    for path in ("/nowhere", "/page"):
        socket = run(converse(app, path, disconnect=False))
        assert socket.types() == ["websocket.http.response.start", "websocket.http.response.body"]
        assert socket.sent[0]["status"] == 404

        socket = run(converse(app, path, disconnect=False, extension=False))
        assert socket.types() == ["websocket.close"]


def test_request_data_inside_a_handler(app):
    app.config["SECRET_KEY"] = "test secret"

    @app.route("/login")
    def login():
        session["user"] = "ann"
        return "logged in"

    @app.websocket("/ws")
    async def handler():
        g.seen = "g works"
        await websocket.send_json(
            {
                "request.args": request.args.get("q"),
                "request.headers": request.headers.get("X-Token"),
                "request.cookies": request.cookies.get("theme"),
                "session": session.get("user"),
                "g": g.seen,
                "current_app": current_app.name,
                "websocket.path": websocket.path,
                "websocket.args": websocket.args.getlist("q"),
                "websocket.headers": websocket.headers.get("x-token"),
                "websocket.cookies": websocket.cookies.get("theme"),
                "websocket.url": websocket.url,
            }
        )

    client = app.test_client()
    assert client.get("/login").status_code == 200
    client.set_cookie("theme", "dark")
    with client.websocket("/ws", query_string="q=1&q=2", headers={"X-Token": "secret"}) as ws:
        assert ws.receive_json() == {
            "request.args": "1",
            "request.headers": "secret",
            "request.cookies": "dark",
            "session": "ann",
            "g": "g works",
            "current_app": "test_websocket",
            "websocket.path": "/ws",
            "websocket.args": ["1", "2"],
            "websocket.headers": "secret",
            "websocket.cookies": "dark",
            "websocket.url": "ws://localhost/ws?q=1&q=2",
        }


def test_a_tampered_session_cookie_reads_as_an_empty_session(app):
    app.config["SECRET_KEY"] = "test secret"

    @app.websocket("/ws")
    async def handler():
        await websocket.send_json(dict(session))

    client = app.test_client()
    client.set_cookie("session", "eyJ1c2VyIjoiYW5uIn0.forged.signature")
    with client.websocket("/ws") as ws:
        assert ws.receive_json() == {}


def test_url_value_preprocessor_and_url_defaults_on_a_blueprint_websocket(app):
    localized = Blueprint("localized", __name__, url_prefix="/<lang>")

    @localized.url_value_preprocessor
    def pull_lang(endpoint, values):
        g.lang = values.pop("lang")

    @localized.url_defaults
    def add_lang(endpoint, values):
        values.setdefault("lang", g.lang)

    @localized.websocket("/chat")
    async def chat():
        await websocket.send(f"{g.lang} {url_for('.chat')}")

    app.register_blueprint(localized)
    with app.test_client().websocket("/de/chat") as ws:
        assert ws.receive() == "de /de/chat"


def test_mounted_under_a_root_path(app):
    @app.websocket("/ws")
    async def handler():
        await websocket.send_json([websocket.path, url_for("handler"), websocket.url])

    async def scenario() -> RawSocket:
        socket = RawSocket(app, "/app/ws")
        socket.scope["root_path"] = "/app"
        await socket.start()
        await socket.finish()
        return socket

    socket = run(scenario())
    assert json.loads(socket.sent[1]["text"]) == ["/ws", "/app/ws", "ws://testserver/app/ws"]


def test_concurrent_connections_each_see_their_own_websocket(app):
    @app.websocket("/room/<name>")
    async def room(name):
        g.name = name
        async for message in websocket:
            await websocket.send(f"{g.name} {websocket.path} {request.args['n']} {message}")

    async def scenario() -> None:
        first = RawSocket(app, "/room/a", query_string=b"n=1")
        second = RawSocket(app, "/room/b", query_string=b"n=2")
        await first.start()
        await second.start()
        await second.push_text("x")
        await first.push_text("y")
        await second.push_text("z")
        await first.disconnect()
        await second.disconnect()
        await first.finish()
        await second.finish()
        assert [m.get("text") for m in first.sent[1:]] == ["a /room/a 1 y"]
        assert [m.get("text") for m in second.sent[1:]] == ["b /room/b 2 x", "b /room/b 2 z"]

    run(scenario())


# -- bad input ---------------------------------------------------------------------


def add_receivers(app: Erlen) -> None:
    """Register echo handlers that read with receive_text, _bytes, _json and plain receive."""

    @app.websocket("/text")
    async def text():
        while True:
            await websocket.send(await websocket.receive_text())

    @app.websocket("/bytes")
    async def binary():
        while True:
            await websocket.send(await websocket.receive_bytes())

    @app.websocket("/json")
    async def json_echo():
        while True:
            await websocket.send_json(await websocket.receive_json())

    @app.websocket("/any")
    async def anything():
        while True:
            await websocket.send(await websocket.receive())


def assert_echoes(ws: t.Any, path: str, message: str | bytes) -> None:
    ws.send(message)
    if path == "/json":
        assert ws.receive_json() == json.loads(message)
    else:
        assert ws.receive() == message


BAD_INPUT = [
    pytest.param("/text", b"binary", 1003, "hello", id="binary-to-receive_text"),
    pytest.param("/bytes", "text", 1003, b"hello", id="text-to-receive_bytes"),
    pytest.param("/json", "{not json", 1007, '{"a": 1}', id="invalid-json"),
    pytest.param("/json", b"\xff\xfe", 1007, '{"a": 1}', id="undecodable-json-bytes"),
    pytest.param("/any", "x" * 17, 1009, "x" * 16, id="text-over-max-size"),
    pytest.param("/any", b"x" * 17, 1009, b"x" * 16, id="bytes-over-max-size"),
    pytest.param("/any", "é" * 9, 1009, "é" * 8, id="multibyte-text-over-max-size"),
    pytest.param("/text", "x" * 17, 1009, "x" * 16, id="text-over-max-size-receive_text"),
]


@pytest.mark.parametrize(("path", "bad", "code", "good"), BAD_INPUT)
def test_bad_input_closes_with_its_code_and_other_connections_work(app, path, bad, code, good):
    app.config["MAX_WEBSOCKET_MESSAGE_SIZE"] = 16
    add_receivers(app)
    client = app.test_client()
    with client.websocket(path) as ws:
        assert_echoes(ws, path, good)
        ws.send(bad)
        with pytest.raises(WebSocketDisconnect) as caught:
            ws.receive()
    # Leaving the block did not re-raise anything: the app handled the bad message.
    assert caught.value.code == code
    assert ws.close_code == code
    assert ws.close_reason  # says why
    assert len(ws.close_reason.encode()) <= 123  # RFC 6455 §5.5: control frames fit 125 bytes

    with client.websocket(path) as ws:
        assert_echoes(ws, path, good)


@pytest.mark.parametrize(("path", "bad", "code", "good"), BAD_INPUT[:1] + BAD_INPUT[2:3])
def test_bad_input_raw_messages(app, path, bad, code, good):
    app.config["MAX_WEBSOCKET_MESSAGE_SIZE"] = 16
    add_receivers(app)
    socket = run(converse(app, path, [bad], disconnect=False))
    assert socket.types() == ["websocket.accept", "websocket.close"]
    assert socket.sent[-1]["code"] == code
    assert isinstance(socket.sent[-1]["reason"], str)


def test_default_max_message_size_is_one_mebibyte(app):
    add_receivers(app)
    with app.test_client().websocket("/any") as ws:
        ws.send(b"x" * (1 << 20))
        assert len(ws.receive()) == 1 << 20
        ws.send(b"x" * ((1 << 20) + 1))
        with pytest.raises(WebSocketDisconnect):
            ws.receive()
    assert ws.close_code == 1009


def test_handler_can_catch_websocket_error_and_stay_open(app):
    @app.websocket("/ws")
    async def handler():
        while True:
            try:
                await websocket.send(f"got {await websocket.receive_text()}")
            except WebSocketError as error:
                await websocket.send(f"error {error.code}: {error.reason}")

    with app.test_client().websocket("/ws") as ws:
        ws.send(b"\x00")
        assert ws.receive() == "error 1003: expected a text message, got a binary one"
        ws.send("hi")
        assert ws.receive() == "got hi"


def test_send_of_another_type_is_a_type_error(app):
    @app.websocket("/ws")
    async def handler():
        try:
            await websocket.send(123)
        except TypeError as error:
            await websocket.send(str(error))

    with app.test_client().websocket("/ws") as ws:
        message = ws.receive_text()
    assert "str or bytes, not int" in message
    assert "send_json" in message


# -- errors ------------------------------------------------------------------------


class Boom(Exception):
    pass


def errors_logged(caplog: pytest.LogCaptureFixture, error_type: type) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.exc_info and isinstance(record.exc_info[1], error_type)
    ]


def test_exception_after_accept_closes_1011_and_logs_once(quiet_app, caplog):
    app = quiet_app

    @app.websocket("/ws")
    async def handler():
        await websocket.accept()
        await websocket.receive()
        raise Boom("handler broke")

    with app.test_client().websocket("/ws") as ws:
        ws.send("go")
        with pytest.raises(WebSocketDisconnect):
            ws.receive()
    assert ws.close_code == 1011
    records = errors_logged(caplog, Boom)
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert "/ws" in records[0].getMessage()

    caplog.clear()
    socket = run(converse(app, messages=["go"], disconnect=False))  # the app does not raise
    assert socket.types() == ["websocket.accept", "websocket.close"]
    assert socket.sent[-1]["code"] == 1011
    assert len(errors_logged(caplog, Boom)) == 1


def test_exception_after_accept_propagates_when_testing(app):
    @app.websocket("/ws")
    async def handler():
        await websocket.receive()
        raise Boom("handler broke")

    with pytest.raises(Boom, match="handler broke"):
        with app.test_client().websocket("/ws") as ws:
            ws.send("go")
            with pytest.raises(WebSocketDisconnect):
                ws.receive()
    assert ws.close_code == 1011

    async def scenario() -> RawSocket:
        socket = RawSocket(app)
        await socket.start()
        await socket.push_text("go")
        with pytest.raises(Boom):
            await socket.finish()
        return socket

    socket = run(scenario())
    # The close goes out before the error propagates, so the client is not left hanging.
    assert socket.types() == ["websocket.accept", "websocket.close"]
    assert socket.sent[-1]["code"] == 1011


def test_propagate_exceptions_false_overrides_testing(app, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.websocket("/ws")
    async def handler():
        await websocket.accept()
        raise Boom()

    socket = run(converse(app, disconnect=False))
    assert socket.sent[-1] == {"type": "websocket.close", "code": 1011, "reason": ""}
    assert len(errors_logged(caplog, Boom)) == 1


def test_exception_before_accept_is_refused_with_500(quiet_app, caplog):
    app = quiet_app

    @app.websocket("/ws")
    async def handler():
        raise Boom("before accept")

    socket = run(converse(app, disconnect=False))
    assert socket.types() == ["websocket.http.response.start", "websocket.http.response.body"]
    assert socket.sent[0]["status"] == 500
    assert b"before accept" not in socket.sent[1]["body"]  # no internals to the client
    assert len(errors_logged(caplog, Boom)) == 1

    socket = run(converse(app, disconnect=False, extension=False))
    assert socket.types() == ["websocket.close"]

    with pytest.raises(WebSocketDenied) as denied:
        with app.test_client().websocket("/ws"):
            pass
    assert denied.value.status == 500


def test_exception_in_a_hook_before_accept_is_refused_with_500(quiet_app, caplog):
    app = quiet_app

    @app.before_websocket
    def hook():
        raise Boom("hook broke")

    @app.websocket("/ws")
    async def handler():
        await websocket.send("never")

    with pytest.raises(WebSocketDenied) as denied:
        with app.test_client().websocket("/ws"):
            pass
    assert denied.value.status == 500
    assert len(errors_logged(caplog, Boom)) == 1


def test_errorhandler_is_called_for_an_error_before_accept(app):
    seen: list[BaseException] = []

    @app.errorhandler(Boom)
    def handle_boom(error):
        seen.append(error)
        return f"handled: {error}", 409

    @app.websocket("/ws")
    async def handler():
        raise Boom("no room")

    with pytest.raises(WebSocketDenied) as denied:
        with app.test_client().websocket("/ws"):
            pass
    assert denied.value.status == 409
    assert denied.value.body == b"handled: no room"
    assert [str(error) for error in seen] == ["no room"]


def test_errorhandler_is_called_for_an_error_after_accept(app, caplog):
    seen: list[BaseException] = []

    @app.errorhandler(Boom)
    async def handle_boom(error):
        seen.append(error)
        return "handled", 500

    @app.websocket("/ws")
    async def handler():
        await websocket.receive()
        raise Boom("mid-stream")

    with app.test_client().websocket("/ws") as ws:  # handled: not re-raised on exit
        ws.send("go")
        with pytest.raises(WebSocketDisconnect):
            ws.receive()
    assert ws.close_code == 1011
    assert [str(error) for error in seen] == ["mid-stream"]
    assert errors_logged(caplog, Boom) == []


def test_errorhandler_for_http_exception_refuses_the_handshake(app):
    @app.errorhandler(403)
    def forbidden(error):
        return "custom forbidden page", 403

    @app.websocket("/ws")
    async def handler():
        abort(403)

    with pytest.raises(WebSocketDenied) as denied:
        with app.test_client().websocket("/ws"):
            pass
    assert denied.value.status == 403
    assert denied.value.body == b"custom forbidden page"


def test_abort_after_accept_closes_with_policy_violation(app):
    @app.websocket("/ws")
    async def handler():
        await websocket.accept()
        abort(403)

    socket = run(converse(app, disconnect=False))
    assert socket.types() == ["websocket.accept", "websocket.close"]
    assert socket.sent[-1]["code"] == 1008


@pytest.mark.parametrize("how", ["abort", "websocket_error"])
def test_close_reason_fits_in_a_control_frame(quiet_app, how):
    # RFC 6455 §5.5: a close frame carries at most 125 bytes, 2 of them the code.
    # Real servers refuse to send more (websockets: "control frame too long").
    app = quiet_app

    @app.websocket("/ws")
    async def handler():
        await websocket.accept()
        if how == "abort":
            abort(403, "Zugriff verweigert: " + "ü" * 100)
        raise WebSocketError(4000, "Ungültig: " + "ö" * 100)

    socket = run(converse(app, disconnect=False))
    close = socket.sent[-1]
    assert close["type"] == "websocket.close"
    assert close["code"] == (1008 if how == "abort" else 4000)
    assert close["reason"].startswith(("Zugriff", "Ungültig"))
    assert len(close["reason"].encode()) <= 123


def test_send_after_the_client_has_gone_raises_websocket_disconnect(app):
    caught: list[int] = []
    sends: list[int] = []

    @app.websocket("/ws")
    async def handler():
        await websocket.accept()
        try:
            for number in range(100):
                await websocket.send(f"tick {number}")
                sends.append(number)
        except WebSocketDisconnect as disconnect:
            caught.append(disconnect.code)
            raise

    # The server takes the accept and two messages; then the client is gone.
    socket = run(converse(app, disconnect=False, send_fails_after=3))
    assert socket.types() == ["websocket.accept", "websocket.send", "websocket.send"]
    assert sends == [0, 1]
    assert caught == [1006]


def test_send_after_the_client_closed_through_the_test_client(app):
    client_gone = threading.Event()
    caught: list[int] = []

    @app.websocket("/ws")
    async def handler():
        await websocket.send("first")
        await asyncio.to_thread(client_gone.wait, TIMEOUT)
        try:
            await websocket.send("too late")
        except WebSocketDisconnect as disconnect:
            caught.append(disconnect.code)

    with app.test_client().websocket("/ws") as ws:
        assert ws.receive() == "first"
        ws.close()
        client_gone.set()
    assert caught == [1006]


def test_teardown_request_runs_after_a_websocket(quiet_app):
    app = quiet_app
    torn_down: list[t.Any] = []

    @app.teardown_request
    def teardown(error):
        torn_down.append((request.path, error))

    @app.websocket("/ok")
    async def ok():
        await websocket.send("fine")

    @app.websocket("/broken")
    async def broken():
        await websocket.accept()
        raise Boom("broken")

    client = app.test_client()
    with client.websocket("/ok") as ws:
        assert ws.receive() == "fine"
    assert torn_down == [("/ok", None)]

    torn_down.clear()
    with client.websocket("/broken") as ws:
        with pytest.raises(WebSocketDisconnect):
            ws.receive()
    assert len(torn_down) == 1
    assert torn_down[0][0] == "/broken"
    assert isinstance(torn_down[0][1], Boom)


def test_no_context_leaks_after_a_raw_connection(app):
    add_echo(app)
    run(converse(app, "/echo", ["x"]))
    with pytest.raises(RuntimeError):
        websocket.path  # noqa: B018 - the proxy must be unbound again


# -- registration errors and the proxy ---------------------------------------------


@pytest.mark.parametrize("where", ["app", "blueprint"])
def test_plain_def_handler_is_a_type_error(app, where):
    target = app if where == "app" else Blueprint("bp", __name__)
    with pytest.raises(TypeError, match="must be 'async def'") as caught:

        @target.websocket("/ws")
        def handler():
            pass

    assert "handler" in str(caught.value)


@pytest.mark.parametrize("where", ["app", "blueprint"])
def test_methods_on_a_websocket_route_is_a_type_error(app, where):
    target = app if where == "app" else Blueprint("bp", __name__)
    with pytest.raises(TypeError, match=r"methods=\[\.\.\.\]"):

        @target.websocket("/ws", methods=["GET"])
        async def handler():
            pass


def test_add_url_rule_with_websocket_checks_like_the_decorator(app):
    def plain():
        pass

    async def handler():
        pass

    with pytest.raises(TypeError, match="must be 'async def'"):
        app.add_url_rule("/plain", view_func=plain, websocket=True)
    with pytest.raises(TypeError, match=r"methods=\[\.\.\.\]"):
        app.add_url_rule("/ws", view_func=handler, websocket=True, methods=["POST"])


def test_from_erlen_import_websocket_is_the_proxy():
    # In a fresh interpreter, so that no earlier import hides the problem: the
    # module is erlen.websockets, so importing it cannot replace the proxy.
    code = (
        "import erlen.websockets\n"
        "from erlen import websocket\n"
        "import types\n"
        "assert not isinstance(websocket, types.ModuleType), websocket\n"
        "import erlen\n"
        "assert not isinstance(erlen.websocket, types.ModuleType), erlen.websocket\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


def test_websocket_proxy_outside_a_handler_is_a_runtime_error(app):
    with pytest.raises(RuntimeError, match="only bound inside a WebSocket handler"):
        websocket.path  # noqa: B018
    with app.test_request_context("/"):
        with pytest.raises(RuntimeError, match="before_websocket hooks"):
            websocket.args  # noqa: B018


def test_websocket_proxy_in_an_http_view_is_a_runtime_error(app):
    @app.route("/page")
    def page():
        try:
            websocket.path  # noqa: B018
        except RuntimeError as error:
            return str(error)
        return "bound?"

    assert "Working outside of a WebSocket context" in app.test_client().get("/page").text


# -- plain HTTP to a websocket route, WSGI and the CLI ------------------------------


def test_plain_http_to_a_websocket_route_is_426(app):
    @app.websocket("/ws")
    async def handler():
        pass

    response = app.test_client().get("/ws")
    assert response.status_code == 426
    response = app.test_client(asgi=True).get("/ws")
    assert response.status_code == 426
    assert response.headers["Upgrade"] == "websocket"


def test_websocket_handshake_under_wsgi_is_501_naming_uvicorn(app):
    @app.websocket("/ws")
    async def handler():
        pass

    response = app.test_client().get(
        "/ws",
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    assert response.status_code == 501
    assert "uvicorn" in response.text
    assert "ASGI" in response.text


def test_routes_command_marks_websocket_routes(app):
    @app.route("/page")
    def page():
        return "page"

    @app.websocket("/ws/<int:room>")
    async def chat(room):
        pass

    result = app.test_cli_runner().invoke(main, args=["routes"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[2:]}
    assert lines["chat"] == ["WEBSOCKET", "/ws/<int:room>"]
    assert lines["page"] == ["GET", "/page"]
