"""The RSGI adapter (``app.__rsgi__``), driven in-process through a fake granian.

:class:`Protocol` and :class:`Scope` stand for what granian hands over for
one HTTP request, and behave as granian 2.8 does where it matters: a body
iterated ends with one empty chunk (two when it broke off, then the end),
``client_disconnect()`` resolves when the test says the client left, and a
streamed response ends when its transport is dropped. :class:`Socket` is
the WebSocket side. tests/serving/test_real_servers.py runs the shared
behaviour suite under a real ``granian --interface rsgi``; these tests pin
down what is RSGI's own. Every wait is bounded by :data:`WAIT`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import threading
import typing as t
import weakref

import pytest
from test_asgi import KINDS, _stop_view_threads, make_view  # noqa: F401 - an autouse fixture

from erlen import Erlen, abort, g, request, websocket
from erlen.middleware import ProxyFix
from erlen.websockets import WebSocketDisconnect

WAIT = 10.0


# -- a fake granian -----------------------------------------------------------------


class Headers:
    """RSGI's headers: a mapping of lower-case names to ``str``, with ``get_all``."""

    def __init__(self, pairs: t.Iterable[tuple[str, str]]) -> None:
        self._pairs = [(name.lower(), value) for name, value in pairs]

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def get(self, name: str, default: t.Any = None) -> t.Any:
        return next((value for key, value in self._pairs if key == name), default)

    def get_all(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self._pairs)


class Scope:
    """An RSGI scope, as granian builds it."""

    def __init__(
        self,
        path: str = "/",
        method: str = "GET",
        *,
        query_string: str = "",
        headers: t.Iterable[tuple[str, str]] = (),
        proto: str = "http",
        http_version: str = "1.1",
        scheme: str = "http",
        client: str = "127.0.0.1:50000",
        server: str = "127.0.0.1:8000",
    ) -> None:
        self.proto = proto
        self.rsgi_version = "1.6"
        self.http_version = http_version
        self.scheme = scheme
        self.method = method
        self.path = path
        self.query_string = query_string
        self.headers = Headers([("host", "testserver"), *headers])
        self.client = client
        self.server = server
        self.authority = None


class Transport:
    """What ``response_stream`` returns: records chunks; fails once the client left."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol

    async def send_bytes(self, data: bytes) -> None:
        if self.protocol.gone.is_set():
            raise RuntimeError("RSGI transport is closed")  # granian's ProtocolClosed
        self.protocol.chunks.append(bytes(data))
        self.protocol.changed.set()

    async def send_str(self, data: str) -> None:
        await self.send_bytes(data.encode())


class Protocol:
    """An RSGI HTTP protocol: a scripted body in, the response recorded."""

    def __init__(self, body: t.Sequence[bytes] = (), *, cut: bool = False) -> None:
        self._body = list(body)
        self._cut = cut
        self._iterating: list[bytes] | None = None
        self.iterated = False
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []
        self.how: str | None = None
        self.transport: weakref.ref[Transport] | None = None
        self.gone = asyncio.Event()
        self.changed = asyncio.Event()

    # The body.

    async def __call__(self) -> bytes:
        if self._cut:
            raise RuntimeError("RSGI transport is closed")
        return b"".join(self._body)

    def __aiter__(self) -> Protocol:
        self.iterated = True
        # granian: the data, an empty chunk for the end; a broken body gives a second one.
        self._iterating = [*self._body, b"", b""] if self._cut else [*self._body, b""]
        return self

    async def __anext__(self) -> bytes:
        assert self._iterating is not None
        if not self._iterating:
            raise StopAsyncIteration
        await asyncio.sleep(0)
        return self._iterating.pop(0)

    async def client_disconnect(self) -> None:
        await self.gone.wait()

    # The response.

    def _answer(self, how: str, status: int, headers: list[tuple[str, str]]) -> None:
        assert self.how is None, f"answered twice: {self.how}, then {how}"
        assert all(type(n) is str and type(v) is str for n, v in headers), headers
        self.how, self.status, self.headers = how, status, list(headers)
        self.changed.set()

    def response_empty(self, status: int, headers: list[tuple[str, str]]) -> None:
        self._answer("empty", status, headers)

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self._answer("bytes", status, headers)
        self.chunks.append(bytes(body))

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Transport:
        self._answer("stream", status, headers)
        transport = Transport(self)
        self.transport = weakref.ref(transport)
        return transport

    # What the test reads.

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> t.Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        assert len(values) <= 1, values
        return values[0] if values else None

    @property
    def stream_ended(self) -> bool:
        """Whether a streamed body has ended: granian ends it when the transport is dropped.

        Dropped at once, not by a later garbage collection: until then the
        client would wait for the end of the body.
        """
        return self.transport is not None and self.transport() is None

    async def wait_until(self, predicate: t.Callable[[], bool]) -> None:
        async def watch() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(watch(), WAIT)


def run(coroutine: t.Awaitable[t.Any]) -> t.Any:
    async def bounded() -> t.Any:
        return await asyncio.wait_for(coroutine, WAIT)

    return asyncio.run(bounded())


def fetch(
    app: Erlen,
    path: str = "/",
    method: str = "GET",
    *,
    body: t.Sequence[bytes] = (),
    cut: bool = False,
    chunked: bool = False,
    headers: t.Iterable[tuple[str, str]] = (),
    **scope: t.Any,
) -> Protocol:
    """Serve one request through ``app.__rsgi__``; return the protocol, which holds the answer."""
    headers = list(headers)
    names = {name.lower() for name, _ in headers}
    if chunked:
        headers.append(("transfer-encoding", "chunked"))
    elif body and "content-length" not in names:
        headers.append(("content-length", str(sum(map(len, body)))))

    async def main() -> Protocol:
        protocol = Protocol(body, cut=cut)
        await app.__rsgi__(Scope(path, method, headers=headers, **scope), protocol)
        return protocol

    return t.cast(Protocol, run(main()))


def on_a_new_loop(hook: t.Callable[[asyncio.AbstractEventLoop], None]) -> None:
    """Call ``__rsgi_init__`` or ``__rsgi_del__`` as granian does: with a loop not running."""
    loop = asyncio.new_event_loop()
    try:
        hook(loop)
    finally:
        loop.close()


# -- wiring ---------------------------------------------------------------------------


def test_rsgi_loads_only_when_a_server_asks_for_it():
    # granian looks the entry points up with hasattr(); import erlen stays lean.
    code = (
        "import sys, erlen\n"
        "app = erlen.Erlen('x')\n"
        "assert 'erlen.serving.rsgi' not in sys.modules\n"
        "assert 'asyncio' not in sys.modules\n"
        "assert all(hasattr(app, n) for n in ('__rsgi__', '__rsgi_init__', '__rsgi_del__'))\n"
        "assert 'erlen.serving.rsgi' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- the scope becomes the request ----------------------------------------------------


def test_scope_becomes_the_request(app):
    @app.route("/p/<name>")
    def view(name):
        return {
            "name": name,
            "path": request.path,
            "args": request.args.to_dict(flat=False),
            "url": request.url,
            "host": request.host,
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
            "protocol": request.environ["SERVER_PROTOCOL"],
            "accept": request.headers.get("Accept"),
        }

    answer = fetch(
        app,
        "/p/café",
        query_string="a=1&a=%C3%A9&b=",
        headers=[("Accept", "text/html"), ("Accept", "application/json")],
        client="10.0.0.7:41000",
        http_version="1",
    )
    assert answer.status == 200
    assert answer.json() == {
        "name": "café",
        "path": "/p/café",
        "args": {"a": ["1", "é"], "b": [""]},
        "url": "http://testserver/p/caf%C3%A9?a=1&a=%C3%A9&b=",
        "host": "testserver",
        "remote_addr": "10.0.0.7",
        "scheme": "http",
        "protocol": "HTTP/1.0",
        "accept": "text/html, application/json",
    }


def test_https_and_ipv6_addresses(app):
    @app.route("/")
    def view():
        return {
            "secure": request.is_secure,
            "remote_addr": request.remote_addr,
            "port": request.environ["SERVER_PORT"],
        }

    answer = fetch(app, scheme="https", client="[::1]:5000", server="[::1]:8443")
    assert answer.json() == {"secure": True, "remote_addr": "::1", "port": "8443"}


def test_no_host_header_falls_back_to_the_server_address(app):
    app.add_url_rule("/", "host", lambda: request.host)

    async def main() -> Protocol:
        protocol = Protocol()
        scope = Scope()
        scope.headers = Headers([])  # HTTP/1.0 without Host, say
        await app.__rsgi__(scope, protocol)
        return protocol

    assert run(main()).text == "127.0.0.1:8000"


def test_path_granian_could_not_decode_is_a_400(app):
    # granian decodes the path itself, putting U+FFFD for bytes that are not UTF-8.
    app.add_url_rule("/a/<name>", "name", lambda name: name)
    answer = fetch(app, "/a/\ufffd")
    assert answer.status == 400
    assert "not valid UTF-8" in answer.text
    assert fetch(app, "/a/ok").text == "ok"


# -- answers ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_body_held_in_memory_goes_out_in_one_call(app, kind):
    app.add_url_rule("/", "hello", make_view(kind, lambda: "Hello, World!"))
    answer = fetch(app)
    assert (answer.how, answer.status) == ("bytes", 200)
    assert answer.body == b"Hello, World!"
    assert answer.header("Content-Type") == "text/html; charset=utf-8"
    assert answer.header("Content-Length") == "13"


def test_json_with_a_parameter(app):
    @app.get("/user/<int:uid>")
    async def user(uid):
        return {"id": uid, "name": f"user{uid}"}

    answer = fetch(app, "/user/42")
    assert answer.json() == {"id": 42, "name": "user42"}
    assert answer.header("Content-Type") == "application/json"
    assert fetch(app, "/user/x").status == 404


def test_head_sends_the_headers_and_no_body(app):
    app.add_url_rule("/", "hello", lambda: "Hello, World!")
    answer = fetch(app, method="HEAD")
    assert (answer.how, answer.status, answer.body) == ("empty", 200, b"")
    assert answer.header("Content-Length") == "13"


def test_head_of_a_stream_sends_no_body(app):
    app.add_url_rule("/", "stream", lambda: (iter(["a", "b"]), {"Content-Type": "text/plain"}))
    answer = fetch(app, method="HEAD")
    assert (answer.how, answer.body) == ("empty", b"")
    assert answer.header("Content-Type") == "text/plain"


@pytest.mark.parametrize("status", [204, 304])
def test_no_content_statuses_send_no_body_or_length(app, status):
    app.add_url_rule("/", "nothing", lambda: ("ignored", status))
    answer = fetch(app)
    assert (answer.how, answer.status, answer.body) == ("empty", status, b"")
    assert answer.header("Content-Length") is None
    assert answer.header("Content-Type") is None


def test_repeated_response_headers_each_go_out(app):
    @app.route("/")
    def view():
        response = app.make_response("ok")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response

    cookies = [value for name, value in fetch(app).headers if name == "Set-Cookie"]
    assert [value.split(";")[0] for value in cookies] == ["a=1", "b=2"]


@pytest.mark.parametrize("kind", KINDS)
def test_errors_are_answered_by_the_app(app, kind, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        raise RuntimeError("the view broke")

    app.add_url_rule("/broken", "broken", make_view(kind, broken))
    app.add_url_rule("/gone", "gone", make_view(kind, lambda: abort(410)))
    answer = fetch(app, "/broken")
    assert answer.status == 500
    assert "Traceback" not in answer.text
    assert [r for r in caplog.records if "the view broke" in str(r.exc_info and r.exc_info[1])]
    assert fetch(app, "/gone").status == 410


# -- the request body --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_urlencoded_form(app, kind, chunked):
    app.add_url_rule(
        "/form",
        "form",
        make_view(kind, lambda: request.form.to_dict(flat=False)),
        methods=["POST"],
    )
    answer = fetch(
        app,
        "/form",
        "POST",
        body=[b"name=Ada+Lovelace&lang=", b"%C3%A9&lang=x"],
        chunked=chunked,
        headers=[("Content-Type", "application/x-www-form-urlencoded")],
    )
    assert answer.json() == {"name": ["Ada Lovelace"], "lang": ["é", "x"]}


@pytest.mark.parametrize("kind", KINDS)
def test_json_body(app, kind):
    app.add_url_rule(
        "/json", "json", make_view(kind, lambda: {"got": request.json}), methods=["POST"]
    )
    answer = fetch(
        app,
        "/json",
        "POST",
        body=[b'{"a": [1, 2]}'],
        headers=[("Content-Type", "application/json")],
    )
    assert answer.json() == {"got": {"a": [1, 2]}}
    answer = fetch(
        app, "/json", "POST", body=[b"{bad"], headers=[("Content-Type", "application/json")]
    )
    assert answer.status == 400
    assert "Failed to decode JSON" in answer.text


def test_multipart_upload(app):
    @app.post("/upload")
    def upload():
        file = request.files["document"]
        return {"title": request.form["title"], "name": file.filename, "data": file.read().decode()}

    body = (
        b'--B\r\nContent-Disposition: form-data; name="title"\r\n\r\nR\xc3\xa9sum\xc3\xa9\r\n'
        b'--B\r\nContent-Disposition: form-data; name="document"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nhello\r\n--B--\r\n"
    )
    answer = fetch(
        app,
        "/upload",
        "POST",
        body=[body[:40], body[40:]],
        chunked=True,
        headers=[("Content-Type", "multipart/form-data; boundary=B")],
    )
    assert answer.json() == {"title": "Résumé", "name": "a.txt", "data": "hello"}


@pytest.mark.parametrize("kind", KINDS)
def test_announced_body_over_the_limit_is_a_413_and_never_read(app, kind):
    app.config["MAX_CONTENT_LENGTH"] = 10
    app.add_url_rule("/", "data", make_view(kind, lambda: request.get_data()), methods=["POST"])

    async def main() -> Protocol:
        protocol = Protocol([b"x" * 20])
        scope = Scope("/", "POST", headers=[("content-length", "20")])
        await app.__rsgi__(scope, protocol)
        return protocol

    answer = run(main())
    assert answer.status == 413
    assert "MAX_CONTENT_LENGTH" in answer.text
    assert not answer.iterated


@pytest.mark.parametrize("kind", KINDS)
def test_chunked_body_past_the_limit_is_a_413(app, kind):
    app.config["MAX_CONTENT_LENGTH"] = 10
    app.add_url_rule("/", "data", make_view(kind, lambda: request.get_data()), methods=["POST"])
    answer = fetch(app, "/", "POST", body=[b"x" * 6, b"x" * 6], chunked=True)
    assert answer.status == 413
    assert "MAX_CONTENT_LENGTH" in answer.text
    exact = fetch(app, "/", "POST", body=[b"x" * 6, b"x" * 4], chunked=True)
    assert (exact.status, exact.body) == (200, b"x" * 10)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_body_that_broke_off_is_a_400_and_the_view_never_runs(app, kind, chunked):
    # Under ASGI nobody would be answered; granian asks for an answer, and
    # after a broken chunked body the client is still there to read it.
    calls = []
    app.add_url_rule(
        "/", "data", make_view(kind, lambda: calls.append(1) or "read"), methods=["POST"]
    )
    headers = [] if chunked else [("content-length", "100")]
    answer = fetch(app, "/", "POST", body=[b"part"], cut=True, chunked=chunked, headers=headers)
    assert answer.status == 400
    assert "before all of it had come" in answer.text
    assert calls == []


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_streamed_upload_that_broke_off_is_a_400(app, kind):
    if kind == "async":

        @app.post("/", stream_body=True)
        async def upload():
            return str(sum([len(chunk) async for chunk in request.stream]))

    else:

        @app.post("/", stream_body=True)
        def upload():
            return str(sum(len(chunk) for chunk in request.stream))

    answer = fetch(app, "/", "POST", body=[b"part"], cut=True, chunked=True)
    assert answer.status == 400
    assert "before all of it had come" in answer.text
    whole = fetch(app, "/", "POST", body=[b"part", b"two"], chunked=True)
    assert whole.text == "7"


def test_sync_view_reads_the_body_from_its_thread(app):
    app.add_url_rule(
        "/", "data", lambda: request.stream.read().decode(), methods=["POST"], stream_body=True
    )
    answer = fetch(app, "/", "POST", body=[b"first ", b"second"], chunked=True)
    assert answer.text == "first second"


# -- one thread per request ---------------------------------------------------------------


def test_the_sync_code_of_a_request_runs_on_one_thread(app):
    seen: dict[str, int] = {}

    @app.before_request
    def before():
        seen["before"] = threading.get_ident()

    @app.teardown_request
    def teardown(error):
        seen["teardown"] = threading.get_ident()

    @app.route("/")
    def view():
        seen["view"] = threading.get_ident()

        def generate():
            seen["stream"] = threading.get_ident()
            yield "x"

        return generate()

    assert fetch(app).body == b"x"
    assert len(set(seen.values())) == 1, seen
    assert seen["view"] != threading.get_ident()


# -- streamed responses --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_stream_goes_out_chunk_by_chunk_and_ends(app, kind):
    torn: list[bool] = []

    def generate():
        yield "one "
        yield ""
        yield b"two"

    async def agenerate():
        yield "one "
        yield b"two"

    app.add_url_rule("/", "stream", lambda: generate() if kind == "sync" else agenerate())

    @app.teardown_request
    def teardown(error):
        # The body has ended (the transport was dropped) before the teardown.
        torn.append(protocol.stream_ended)

    async def main() -> None:
        await app.__rsgi__(Scope(), protocol)

    protocol = Protocol()
    run(main())
    assert (protocol.how, protocol.status) == ("stream", 200)
    assert protocol.chunks == [b"one ", b"two"]
    assert protocol.header("Content-Length") is None
    assert protocol.stream_ended
    assert torn == [True]


@pytest.mark.parametrize("kind", KINDS)
def test_client_leaving_stops_the_stream(app, kind):
    closed = threading.Event()

    def generate():
        try:
            while True:
                yield "tick"
                closed.wait(0.01)
        finally:
            closed.set()

    async def agenerate():
        try:
            while True:
                yield "tick"
                await asyncio.sleep(0.01)
        finally:
            closed.set()

    app.add_url_rule("/", "endless", lambda: generate() if kind == "sync" else agenerate())

    async def main() -> Protocol:
        protocol = Protocol()
        task = asyncio.ensure_future(app.__rsgi__(Scope(), protocol))
        await protocol.wait_until(lambda: len(protocol.chunks) >= 2)
        protocol.gone.set()
        await asyncio.wait_for(task, WAIT)
        return protocol

    protocol = run(main())
    assert closed.is_set()
    assert protocol.stream_ended


def test_an_error_mid_stream_is_logged_once_and_the_body_ends(app, caplog):
    # RSGI has no way to cut a body short: granian ends it cleanly.
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def generate():
        yield "first"
        raise RuntimeError("the stream broke")

    app.add_url_rule("/", "broken", lambda: generate())
    answer = fetch(app)
    assert answer.chunks == [b"first"]
    assert answer.stream_ended
    logged = [r for r in caplog.records if r.exc_info and "the stream broke" in str(r.exc_info[1])]
    assert len(logged) == 1
    assert "RSGI cannot cut the connection" in logged[0].getMessage()


# -- ASGI middleware ----------------------------------------------------------------------


def test_asgi_middleware_on_asgi_app_runs_under_rsgi(app):
    app.asgi_app = ProxyFix(app.asgi_app, x_for=1, x_proto=1, x_prefix=1)

    @app.route("/where")
    def where():
        return {"remote_addr": request.remote_addr, "url": request.url, "root": request.root_path}

    answer = fetch(
        app,
        "/where",
        headers=[
            ("X-Forwarded-For", "203.0.113.9"),
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Prefix", "/app"),
        ],
    )
    assert answer.how == "bytes"
    assert answer.json() == {
        "remote_addr": "203.0.113.9",
        "url": "https://testserver/app/where",
        "root": "/app",
    }


def test_asgi_middleware_streams_and_reads_bodies_under_rsgi(app):
    app.asgi_app = ProxyFix(app.asgi_app)
    app.add_url_rule("/echo", "echo", lambda: iter([request.get_data(), b"!"]), methods=["POST"])
    answer = fetch(app, "/echo", "POST", body=[b"a", b"b"], chunked=True)
    assert (answer.how, answer.chunks) == ("stream", [b"ab", b"!"])
    assert answer.stream_ended
    cut = fetch(app, "/echo", "POST", body=[b"a"], cut=True, chunked=True)
    assert cut.status == 400


# -- WebSockets ------------------------------------------------------------------------


class Message:
    def __init__(self, kind: int, data: t.Any = None) -> None:
        self.kind = kind
        self.data = data


class WebSocketTransport:
    def __init__(self, socket: Socket) -> None:
        self.socket = socket

    async def receive(self) -> Message:
        return await self.socket.incoming.get()

    async def send_str(self, data: str) -> None:
        await self.socket.outgoing.put(data)

    async def send_bytes(self, data: bytes) -> None:
        await self.socket.outgoing.put(bytes(data))


class Socket:
    """An RSGI WebSocket protocol: ``accept()`` and ``close(status)``."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[Message] = asyncio.Queue()
        self.outgoing: asyncio.Queue[t.Any] = asyncio.Queue()
        self.accepted = False
        self.closed: list[int | None] = []

    async def accept(self) -> WebSocketTransport:
        self.accepted = True
        return WebSocketTransport(self)

    def close(self, status: int | None = None) -> None:
        self.closed.append(status)

    def text(self, data: str) -> None:
        self.incoming.put_nowait(Message(2, data))

    def binary(self, data: bytes) -> None:
        self.incoming.put_nowait(Message(1, data))

    async def next(self) -> t.Any:
        return await asyncio.wait_for(self.outgoing.get(), WAIT)


async def connect(app: Erlen, path: str, socket: Socket, **scope: t.Any) -> asyncio.Future[None]:
    return asyncio.ensure_future(app.__rsgi__(Scope(path, proto="ws", **scope), socket))


def test_websocket_echo(app):
    @app.websocket("/ws/<room>")
    async def chat(room):
        await websocket.accept()
        async for message in websocket:
            await websocket.send(f"{room}: {message}" if isinstance(message, str) else message)

    async def main() -> Socket:
        socket = Socket()
        task = await connect(app, "/ws/lobby", socket)
        socket.text("hi ☃")
        assert await socket.next() == "lobby: hi ☃"
        socket.binary(b"\x00\xff")
        assert await socket.next() == b"\x00\xff"
        socket.incoming.put_nowait(Message(0))  # the client closes
        await asyncio.wait_for(task, WAIT)
        return socket

    socket = run(main())
    assert socket.accepted
    assert socket.closed == []  # the client closed; granian closes its side


def test_websocket_scope_and_handler_close(app):
    @app.websocket("/ws")
    async def info():
        await websocket.send_json(
            {
                "url": websocket.url,
                "args": websocket.args.to_dict(),
                "offered": websocket.subprotocols,
            }
        )
        await websocket.close(1000)

    async def main() -> tuple[Socket, t.Any]:
        socket = Socket()
        task = await connect(
            app,
            "/ws",
            socket,
            query_string="a=1",
            scheme="https",
            headers=[("Sec-WebSocket-Protocol", "chat, superchat")],
        )
        sent = json.loads(await socket.next())
        await asyncio.wait_for(task, WAIT)
        return socket, sent

    socket, sent = run(main())
    assert sent == {
        "url": "wss://testserver/ws?a=1",
        "args": {"a": "1"},
        "offered": ["chat", "superchat"],
    }
    # RSGI closes an accepted WebSocket without a code.
    assert socket.closed == [None]


def test_websocket_bad_message_closes_it(app):
    @app.websocket("/ws")
    async def reader():
        await websocket.accept()
        await websocket.receive_json()

    async def main() -> Socket:
        socket = Socket()
        task = await connect(app, "/ws", socket)
        socket.text("{not json")
        await asyncio.wait_for(task, WAIT)
        return socket

    assert run(main()).closed == [None]


@pytest.mark.parametrize(
    ("path", "status"), [("/ws", 403), ("/ws?token=t", None), ("/nowhere", 404)]
)
def test_websocket_refused_before_the_handshake_answers_its_status(app, path, status):
    @app.before_websocket
    def guard():
        if "token" not in request.args:
            abort(403)

    @app.websocket("/ws")
    async def guarded():
        await websocket.send("welcome")

    async def main() -> Socket:
        socket = Socket()
        target, _, query = path.partition("?")
        task = await connect(app, target, socket, query_string=query)
        if status is None:
            assert await socket.next() == "welcome"
        await asyncio.wait_for(task, WAIT)
        return socket

    socket = run(main())
    assert socket.accepted is (status is None)
    assert socket.closed == [status]


def test_websocket_subprotocol_is_refused_with_a_clear_error(app, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.websocket("/ws")
    async def picky():
        await websocket.accept(subprotocol="chat")

    async def main() -> Socket:
        socket = Socket()
        task = await connect(app, "/ws", socket, headers=[("Sec-WebSocket-Protocol", "chat")])
        await asyncio.wait_for(task, WAIT)
        return socket

    socket = run(main())
    assert not socket.accepted
    assert socket.closed == [500]
    assert any("--interface asgi" in str(r.exc_info and r.exc_info[1]) for r in caplog.records)


def test_websocket_lost_connection_is_a_disconnect(app):
    seen: list[int] = []

    @app.websocket("/ws")
    async def handler():
        await websocket.accept()
        try:
            await websocket.receive()
        except WebSocketDisconnect as gone:
            seen.append(gone.code)

    class Broken(WebSocketTransport):
        async def receive(self) -> Message:
            raise RuntimeError("RSGI transport is closed")

    class BrokenSocket(Socket):
        async def accept(self) -> WebSocketTransport:
            self.accepted = True
            return Broken(self)

    run(app.__rsgi__(Scope("/ws", proto="ws"), BrokenSocket()))
    assert seen == [1006]


def test_websocket_g_and_teardown(app):
    torn: list[str] = []

    @app.teardown_request
    def teardown(error):
        torn.append(g.get("room", "?"))

    @app.websocket("/ws/<room>")
    async def handler(room):
        g.room = room
        await websocket.send("hi")

    async def main() -> None:
        socket = Socket()
        task = await connect(app, "/ws/blue", socket)
        assert await socket.next() == "hi"
        await asyncio.wait_for(task, WAIT)

    run(main())
    assert torn == ["blue"]


# -- serving hooks ---------------------------------------------------------------------------


def test_rsgi_init_and_del_run_the_serving_hooks(app):
    calls: list[str] = []

    @app.before_serving
    async def started():
        await asyncio.sleep(0)
        calls.append(f"started {app.name}")

    @app.after_serving
    def stopped():
        calls.append("stopped")

    on_a_new_loop(app.__rsgi_init__)
    assert calls == ["started test_app"]
    on_a_new_loop(app.__rsgi_del__)
    assert calls == ["started test_app", "stopped"]


def test_failing_before_serving_stops_the_worker(app, caplog):
    @app.before_serving
    def broken():
        raise RuntimeError("no database")

    with pytest.raises(SystemExit) as info:
        on_a_new_loop(app.__rsgi_init__)
    assert info.value.code == 1
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "could not start" in record.getMessage()
    assert "no database" in str(record.exc_info and record.exc_info[1])


def test_failing_after_serving_is_logged(app, caplog):
    @app.after_serving
    def broken():
        raise RuntimeError("could not flush")

    on_a_new_loop(app.__rsgi_del__)
    assert any("could not flush" in str(r.exc_info and r.exc_info[1]) for r in caplog.records)
