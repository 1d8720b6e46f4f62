"""The test client's ASGI side: the HTTP transport, its checks, and websocket sessions.

The first half drives small hand-written ASGI apps, so it tests the client
alone; the second half drives real erlen apps.
"""

from __future__ import annotations

import asyncio
import io
import threading

import pytest

import erlen
from erlen import Erlen, abort, redirect, request, websocket
from erlen.testing import Client, WebSocketDenied, build_scope
from erlen.websockets import WebSocketDisconnect


def raw_client(asgi_app, **kwargs) -> Client:
    """Return an ASGI test client whose requests go to ``asgi_app``."""
    client = Client(Erlen("raw"), asgi=True, **kwargs)
    client.asgi_application = asgi_app
    return client


async def read_body(receive) -> list[dict]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if not message.get("more_body"):
            return messages


async def respond(send, body: bytes = b"ok", status: int = 200, headers=()) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


# -- the HTTP scope --------------------------------------------------------------


def test_scope_follows_the_asgi_spec():
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)
        seen["messages"] = await read_body(receive)
        await respond(send)

    client = raw_client(app)
    client.set_cookie("flavour", "oat")
    client.post(
        "/caf%C3%A9/a b",
        base_url="https://example.test:8443/mount/",
        query_string={"q": "x y", "n": ["1", "2"]},
        headers={"X-Custom": "v"},
        data={"field": "value"},
    )
    assert seen["type"] == "http"
    assert seen["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert seen["http_version"] == "1.1"
    assert seen["method"] == "POST"
    assert seen["scheme"] == "https"
    assert seen["root_path"] == "/mount"
    assert seen["path"] == "/mount/café/a b"
    assert seen["raw_path"] == b"/mount/caf%C3%A9/a%20b"
    assert seen["query_string"] == b"q=x+y&n=1&n=2"
    assert seen["server"] == ("example.test", 8443)
    assert seen["client"][0] == "127.0.0.1"
    headers = seen["headers"]
    assert all(isinstance(n, bytes) and n == n.lower() and isinstance(v, bytes) for n, v in headers)
    assert dict(headers) == {
        b"host": b"example.test:8443",
        b"content-length": b"11",
        b"content-type": b"application/x-www-form-urlencoded",
        b"x-custom": b"v",
        b"user-agent": f"erlen/{erlen.__version__}".encode(),  # from client.environ_base
    }  # the cookie is host-only for localhost, so it is not sent here
    assert seen["messages"] == [
        {"type": "http.request", "body": b"field=value", "more_body": False}
    ]


def test_cookie_header_and_build_scope():
    seen = {}

    async def app(scope, receive, send):
        seen["headers"] = scope["headers"]
        await respond(send)

    client = raw_client(app)
    client.set_cookie("a", "1")
    client.get("/", headers={"Cookie": "b=2"})
    assert (b"cookie", b"b=2; a=1") in seen["headers"]
    scope = build_scope(None, "/x?y=1", method="delete")
    assert (scope["method"], scope["path"], scope["query_string"]) == ("DELETE", "/x", b"y=1")


def test_environ_base_maps_to_the_scope_or_refuses():
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)
        await respond(send)

    client = raw_client(app)
    client.get("/", environ_base={"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"})
    assert seen["client"][0] == "10.0.0.1"
    assert (b"x-forwarded-for", b"1.2.3.4") in seen["headers"]
    with pytest.raises(TypeError, match=r"wsgi\.input_terminated.*asgi=False"):
        client.get("/", environ_base={"wsgi.input_terminated": True})


def test_body_arrives_in_chunks_then_disconnect_after_the_response():
    seen = []

    async def app(scope, receive, send):
        seen.extend(await read_body(receive))
        await respond(send)
        seen.append(await receive())

    client = raw_client(app)
    client.body_chunk_size = 4
    client.post("/", data=b"0123456789")
    assert seen == [
        {"type": "http.request", "body": b"0123", "more_body": True},
        {"type": "http.request", "body": b"4567", "more_body": True},
        {"type": "http.request", "body": b"89", "more_body": False},
        {"type": "http.disconnect"},
    ]


def test_disconnect_waits_for_the_response():
    """A task listening for the disconnect (as an app may) does not hear it early."""
    order = []

    async def app(scope, receive, send):
        await receive()  # the (empty) body

        async def listen():
            await receive()
            order.append("disconnect")

        task = asyncio.ensure_future(listen())
        await asyncio.sleep(0)
        order.append("responding")
        await respond(send)
        await task

    raw_client(app).get("/")
    assert order == ["responding", "disconnect"]


# -- the response -----------------------------------------------------------------


def test_streamed_response_is_collected_with_its_chunks():
    async def app(scope, receive, send):
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"content-type", b"text/plain"), (b"set-cookie", b"k=v; Path=/")],
            }
        )
        for part in (b"one ", b"", b"two"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body"})

    client = raw_client(app)
    response = client.get("/")
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "text/plain"
    assert response.data == b"one two"
    assert response.chunks == (b"one ", b"two")
    assert client.get_cookie("k").value == "v"
    assert response.request.path == "/"


def test_redirects_are_followed_over_asgi():
    async def app(scope, receive, send):
        if scope["path"] == "/old":
            await respond(send, b"", 303, [(b"location", b"/new?x=1")])
        else:
            await respond(send, f"{scope['method']} {scope['query_string'].decode()}".encode())

    response = raw_client(app).post("/old", data={"a": "1"}, follow_redirects=True)
    assert response.text == "GET x=1"
    assert [r.status_code for r in response.history] == [303]


def _start(status=200, headers=()):
    return {"type": "http.response.start", "status": status, "headers": list(headers)}


def _body(body=b"", more=False):
    return {"type": "http.response.body", "body": body, "more_body": more}


@pytest.mark.parametrize(
    ("messages", "method", "error"),
    [
        ([_body(b"x")], "GET", "body before http.response.start"),
        ([_start(), _start()], "GET", "start twice"),
        ([_start(), {"type": "http.response.body", "body": "text"}], "GET", "str body"),
        ([_start(headers=[(b"Content-Type", b"text/plain")]), _body()], "GET", "lowercase"),
        ([_start(headers=[("content-type", "text/plain")]), _body()], "GET", "pair of bytes"),
        ([_start(headers=[(b"x", b"a\r\nb: c")]), _body()], "GET", "CR, LF"),
        ([{"type": "http.response.start", "status": "200"}, _body()], "GET", "use an int"),
        ([_start(), _body(), _body()], "GET", "after the final"),
        ([_start(), _body(more="yes")], "GET", "more_body='yes'"),
        ([{"type": "http.response.push"}], "GET", "only http.response.start"),
        ([], "GET", "without sending http.response.start"),
        ([_start(), _body(b"part", more=True)], "GET", "before finishing"),
        ([_start(headers=[(b"content-length", b"3")]), _body(b"four")], "GET", "content-length 3"),
        ([_start(headers=[(b"content-length", b"4")]), _body(b"four")], "HEAD", "has no body"),
        ([_start(204), _body(b"x")], "GET", "has no body"),
        ([{"type": "http.response.start", "status": 200, "trailers": True}], "GET", "trailers"),
        (["not a dict"], "GET", "a dict with a 'type'"),
    ],
)
def test_the_client_checks_what_the_app_sends(messages, method, error):
    async def app(scope, receive, send):
        for message in messages:
            await send(message)

    with pytest.raises(AssertionError, match=error):
        raw_client(app).open("/", method)


def test_a_violation_the_app_swallows_still_fails():
    async def app(scope, receive, send):
        try:
            await send({"type": "http.response.body", "body": b"early"})
        except AssertionError:
            pass
        await respond(send)

    with pytest.raises(AssertionError, match="before http.response.start"):
        raw_client(app).get("/")


def test_app_errors_reach_the_test():
    async def app(scope, receive, send):
        raise LookupError("from the app")

    with pytest.raises(LookupError, match="from the app"):
        raw_client(app).get("/")


def test_a_stuck_app_times_out_with_what_it_was_doing():
    async def app(scope, receive, send):
        await send(_start())
        await send(_body(b"half", more=True))
        await asyncio.Event().wait()

    with pytest.raises(TimeoutError, match=r"GET /stuck.*4 body bytes.*timeout="):
        raw_client(app, timeout=0.2).get("/stuck")


def test_one_event_loop_per_client():
    loops = []

    async def app(scope, receive, send):
        loops.append(asyncio.get_running_loop())
        await respond(send)

    client = raw_client(app)
    client.get("/")
    client.get("/")
    other = raw_client(app)
    other.get("/")
    assert loops[0] is loops[1]
    assert loops[2] is not loops[0]
    client.close()
    other.close()
    assert loops[0].is_closed()


def test_usable_from_inside_a_running_event_loop():
    async def app(scope, receive, send):
        await respond(send, b"inner")

    client = raw_client(app)

    async def an_async_test():
        return client.get("/").text

    assert asyncio.run(an_async_test()) == "inner"


def test_concurrent_requests_from_threads_run_at_once():
    both_in = threading.Barrier(2, timeout=5)

    async def app(scope, receive, send):
        await asyncio.to_thread(both_in.wait)  # needs both requests in flight
        await respond(send)

    client = raw_client(app)
    results = []
    thread = threading.Thread(target=lambda: results.append(client.get("/a").status_code))
    thread.start()
    results.append(client.get("/b").status_code)
    thread.join(10)
    assert results == [200, 200]


def test_lifespan_runs_around_a_with_block_and_fills_state():
    events = []

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                events.append(message["type"])
                if message["type"] == "lifespan.startup":
                    scope["state"]["db"] = "connected"
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await respond(send, scope["state"]["db"].encode())

    with raw_client(app) as client:
        assert client.get("/").text == "connected"
        assert events == ["lifespan.startup"]
    assert events == ["lifespan.startup", "lifespan.shutdown"]


def test_failed_lifespan_startup_is_reported():
    async def app(scope, receive, send):
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})

    with pytest.raises(RuntimeError, match="startup failed: no database"):
        with raw_client(app):
            pass  # pragma: no cover


# -- websocket sessions against hand-written apps --------------------------------


async def echo(scope, receive, send):
    """Accept, then echo every message until the client goes."""
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept", "subprotocol": (scope["subprotocols"] or [None])[-1]})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") == "close please":
            await send({"type": "websocket.close", "code": 4001, "reason": "asked"})
            return
        await send(
            {"type": "websocket.send", "text": message.get("text"), "bytes": message.get("bytes")}
        )


def test_websocket_echo_in_text_bytes_and_json():
    with raw_client(echo).websocket("/echo") as ws:
        ws.send("text")
        assert ws.receive() == "text"
        ws.send_bytes(b"\x00\x01")
        assert ws.receive_bytes() == b"\x00\x01"
        ws.send_json({"a": [1, 2]})
        assert ws.receive_json() == {"a": [1, 2]}
        ws.send_text("again")
        assert ws.receive_text() == "again"
        ws.send_json([1], mode="binary")
        assert ws.receive() == b"[1]"
        assert ws.subprotocol is None


def test_websocket_scope_and_subprotocol():
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)
        await echo(scope, receive, send)

    client = raw_client(app)
    client.set_cookie("sid", "abc")
    with client.websocket(
        "/ws/room", subprotocols=["v1", "v2"], headers={"X-Token": "t"}, query_string={"a": "1"}
    ) as ws:
        assert ws.subprotocol == "v2"
    assert seen["type"] == "websocket"
    assert (seen["scheme"], seen["path"], seen["query_string"]) == ("ws", "/ws/room", b"a=1")
    assert seen["subprotocols"] == ["v1", "v2"]
    assert "websocket.http.response" in seen["extensions"]
    headers = dict(seen["headers"])
    assert headers[b"upgrade"] == b"websocket"
    assert headers[b"sec-websocket-version"] == b"13"
    assert headers[b"sec-websocket-protocol"] == b"v1, v2"
    assert headers[b"x-token"] == b"t"
    assert headers[b"cookie"] == b"sid=abc"
    assert "method" not in seen


def test_app_close_raises_disconnect_with_its_code():
    with raw_client(echo).websocket("/") as ws:
        ws.send("close please")
        with pytest.raises(WebSocketDisconnect) as caught:
            ws.receive()
        assert caught.value.code == 4001
        assert (ws.close_code, ws.close_reason) == (4001, "asked")
        with pytest.raises(WebSocketDisconnect):
            ws.receive_text()  # still closed
        ws.send("lost, as on a network")


def test_client_close_reaches_the_app_with_its_code():
    seen = []

    async def app(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})
        seen.append(await receive())
        seen.append(await receive())  # asking again keeps answering disconnect

    with raw_client(app).websocket("/") as ws:
        ws.close(4000, "bye")
        with pytest.raises(RuntimeError, match="closed by the test"):
            ws.send("x")
    assert seen == [{"type": "websocket.disconnect", "code": 4000, "reason": "bye"}] * 2


def test_app_returning_without_close_reads_as_1006():
    async def app(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})

    with raw_client(app).websocket("/") as ws:
        with pytest.raises(WebSocketDisconnect):
            ws.receive()
        assert ws.close_code == 1006


def test_denied_by_close_before_accept():
    async def app(scope, receive, send):
        await receive()
        await send({"type": "websocket.close", "code": 1008})

    with pytest.raises(WebSocketDenied) as caught:
        with raw_client(app).websocket("/"):
            pass  # pragma: no cover
    assert (caught.value.status, caught.value.close_code) == (403, 1008)


def test_denied_by_an_http_response():
    async def app(scope, receive, send):
        await receive()
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 401,
                "headers": [(b"www-authenticate", b"Bearer"), (b"set-cookie", b"seen=1")],
            }
        )
        await send({"type": "websocket.http.response.body", "body": b"log in", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b" first"})

    client = raw_client(app)
    with pytest.raises(WebSocketDenied, match="HTTP 401") as caught:
        with client.websocket("/"):
            pass  # pragma: no cover
    denied = caught.value
    assert (denied.status, denied.body, denied.close_code) == (401, b"log in first", None)
    assert denied.headers["WWW-Authenticate"] == "Bearer"
    assert client.get_cookie("seen").value == "1"


def test_http_response_extension_can_be_withheld():
    async def app(scope, receive, send):
        await receive()
        await send({"type": "websocket.http.response.start", "status": 403, "headers": []})

    with pytest.raises(AssertionError, match="does not offer the websocket.http.response"):
        with raw_client(app).websocket("/", http_response_extension=False):
            pass  # pragma: no cover


def test_app_returning_without_accepting_is_a_403():
    async def app(scope, receive, send):
        await receive()

    with pytest.raises(WebSocketDenied, match="HTTP 403"):
        with raw_client(app).websocket("/"):
            pass  # pragma: no cover


def test_app_errors_reach_the_test_before_and_after_accept():
    async def refuses(scope, receive, send):
        raise LookupError("before accept")

    async def breaks(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})
        await receive()
        raise LookupError("after accept")

    with pytest.raises(LookupError, match="before accept"):
        with raw_client(refuses).websocket("/"):
            pass  # pragma: no cover
    with pytest.raises(LookupError, match="after accept"):
        with raw_client(breaks).websocket("/") as ws:
            ws.send("boom")
    with raw_client(breaks).websocket("/") as ws:
        ws.send("boom")
        with pytest.raises(LookupError, match="after accept"):
            ws.receive()  # raised here, so not again when the block ends


def test_sending_after_the_client_left_raises_oserror_in_the_app():
    seen = []

    async def app(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})
        await receive()
        try:
            await send({"type": "websocket.send", "text": "too late"})
        except OSError as error:
            seen.append(error)

    with raw_client(app).websocket("/"):
        pass
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"type": "websocket.send", "text": "a", "bytes": b"b"}, "both or neither"),
        ({"type": "websocket.send"}, "both or neither"),
        ({"type": "websocket.send", "bytes": "text"}, "str 'bytes'"),
        ({"type": "websocket.close", "code": 1005}, "RFC 6455"),
        ({"type": "websocket.close", "reason": "é" * 62}, "124-byte reason"),
        ({"type": "websocket.accept"}, "state 'open'"),
        ({"type": "websocket.http.response.start", "status": 403}, "state 'open'"),
    ],
)
def test_the_client_checks_websocket_messages(message, error):
    async def app(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})
        try:
            await send(message)
        except AssertionError:
            pass
        await receive()

    with pytest.raises(AssertionError, match=error):
        with raw_client(app).websocket("/") as ws:
            ws.receive()


def test_the_client_checks_accept_and_sends_after_close():
    async def wrong_subprotocol(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept", "subprotocol": "v9"})

    async def sends_after_close(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close"})
        await send({"type": "websocket.send", "text": "ghost"})

    with pytest.raises(AssertionError, match="did not offer"):
        with raw_client(wrong_subprotocol).websocket("/", subprotocols=["v1"]):
            pass  # pragma: no cover
    with pytest.raises(AssertionError, match="after it had closed"):
        with raw_client(sends_after_close).websocket("/"):
            pass


def test_websocket_waits_are_bounded():
    async def silent(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})
        await receive()

    async def never_accepts(scope, receive, send):
        await receive()
        await receive()

    async def ignores_disconnect(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})
        await asyncio.Event().wait()

    with raw_client(silent).websocket("/quiet", timeout=0.2) as ws:
        with pytest.raises(TimeoutError, match=r"send a message \(websocket.send\) on /quiet"):
            ws.receive()
    with pytest.raises(TimeoutError, match=r"accept the connection"):
        with raw_client(never_accepts, timeout=0.2).websocket("/"):
            pass  # pragma: no cover
    with pytest.raises(TimeoutError, match="did not return"):
        with raw_client(ignores_disconnect).websocket("/", timeout=0.2):
            pass


def test_a_failing_with_block_keeps_its_own_error():
    async def ignores_disconnect(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})
        await asyncio.Event().wait()

    with pytest.raises(KeyError, match="the test's"):
        with raw_client(ignores_disconnect).websocket("/", timeout=0.2):
            raise KeyError("the test's")


# -- real erlen apps ------------------------------------------------------------------


@pytest.fixture
def asgi_client(app):
    client = app.test_client(asgi=True)
    yield client
    client.close()


def test_erlen_get_head_and_errors(app, asgi_client):
    @app.route("/hello/<name>")
    def hello(name):
        return f"Hello {name} from {request.remote_addr}"

    response = asgi_client.get("/hello/ada")
    assert (response.status_code, response.text) == (200, "Hello ada from 127.0.0.1")
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.request.path == "/hello/ada"
    head = asgi_client.head("/hello/ada")
    assert (head.data, head.headers["Content-Length"]) == (b"", str(len(response.data)))
    assert asgi_client.get("/nowhere").status_code == 404
    assert asgi_client.post("/hello/ada").status_code == 405


def test_erlen_form_json_and_upload(app, asgi_client):
    @app.post("/form")
    def form():
        return {
            "form": request.form.to_dict(),
            "files": {k: f.read().decode() for k, f in request.files.items()},
        }

    @app.post("/json")
    async def json_view():
        return {"got": request.json}

    sent = asgi_client.post("/form", data={"a": "1", "f": (io.BytesIO(b"content"), "f.txt")})
    assert sent.json == {"form": {"a": "1"}, "files": {"f": "content"}}
    asgi_client.body_chunk_size = 7  # the adapter must put the pieces back together
    assert asgi_client.post("/form", data={"name": "a" * 50}).json["form"] == {"name": "a" * 50}
    assert asgi_client.post("/json", json={"k": [1, 2]}).json == {"got": {"k": [1, 2]}}


def test_erlen_cookies_round_trip_and_redirects(app, asgi_client):
    @app.post("/login")
    def login():
        response = redirect("/welcome", 303)
        response.set_cookie("user", request.form["user"])
        return response

    @app.route("/welcome")
    async def welcome():
        return f"Welcome {request.cookies['user']}"

    response = asgi_client.post("/login", data={"user": "ada"}, follow_redirects=True)
    assert response.text == "Welcome ada"
    assert [r.status_code for r in response.history] == [303]
    assert asgi_client.get_cookie("user").value == "ada"


def test_erlen_streamed_bodies(app, asgi_client):
    closed = []

    @app.route("/sync")
    def sync_stream():
        def generate():
            try:
                yield "one "
                yield "two"
            finally:
                closed.append("sync")

        return generate()

    @app.route("/async")
    async def async_stream():
        async def generate():
            yield "three "
            yield b"four"

        return generate()

    response = asgi_client.get("/sync")
    assert (response.data, response.chunks) == (b"one two", (b"one ", b"two"))
    assert closed == ["sync"]
    response = asgi_client.get("/async")
    assert (response.data, response.chunks) == (b"three four", (b"three ", b"four"))


def test_erlen_view_errors_reach_the_test(app, asgi_client):
    @app.route("/sync")
    def broken_sync():
        raise LookupError("sync view")

    @app.route("/async")
    async def broken_async():
        raise LookupError("async view")

    with pytest.raises(LookupError, match="sync view"):
        asgi_client.get("/sync")
    with pytest.raises(LookupError, match="async view"):
        asgi_client.get("/async")


def test_erlen_lifespan_through_the_client(app):
    events = []

    @app.before_serving
    async def start():
        events.append("start")

    @app.after_serving
    def stop():
        events.append("stop")

    @app.route("/")
    def index():
        return ",".join(events)

    with app.test_client(asgi=True) as client:
        assert client.get("/").text == "start"
    assert events == ["start", "stop"]


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi-client", "asgi-client"])
def test_erlen_websocket_echo(app, asgi):
    @app.websocket("/echo/<room>")
    async def echo_room(room):
        await websocket.accept(subprotocol="chat" if "chat" in websocket.subprotocols else None)
        async for message in websocket:
            if message == "json":
                await websocket.send_json({"room": room, "who": websocket.cookies.get("who")})
            else:
                await websocket.send(message)

    client = app.test_client(asgi=asgi)
    client.set_cookie("who", "ada")
    with client.websocket("/echo/lobby", subprotocols=["chat"]) as ws:
        assert ws.subprotocol == "chat"
        ws.send("text")
        assert ws.receive_text() == "text"
        ws.send(b"\x00bytes")
        assert ws.receive_bytes() == b"\x00bytes"
        ws.send("json")
        assert ws.receive_json() == {"room": "lobby", "who": "ada"}


def test_erlen_websocket_denial(app, asgi_client):
    @app.websocket("/private")
    async def private():
        abort(403)

    with pytest.raises(WebSocketDenied) as caught:
        with asgi_client.websocket("/private"):
            pass  # pragma: no cover
    assert caught.value.status == 403
    assert b"Forbidden" in caught.value.body
    with pytest.raises(WebSocketDenied) as caught:
        with asgi_client.websocket("/private", http_response_extension=False):
            pass  # pragma: no cover
    assert (caught.value.status, caught.value.close_code) == (403, 1008)
    with pytest.raises(WebSocketDenied) as caught:
        with asgi_client.websocket("/missing"):
            pass  # pragma: no cover
    assert caught.value.status == 404


@pytest.mark.parametrize(
    ("send", "code"),
    [("text", 1003), (b"{not json", 1007), (b"x" * 2048, 1009)],
    ids=["wrong-type", "bad-json", "too-big"],
)
def test_erlen_websocket_close_codes(app, asgi_client, send, code):
    app.config["MAX_WEBSOCKET_MESSAGE_SIZE"] = 1024

    @app.websocket("/strict")
    async def strict():
        await websocket.accept()
        data = await websocket.receive_json() if send != "text" else await websocket.receive_bytes()
        await websocket.send_json(data)

    with asgi_client.websocket("/strict") as ws:
        ws.send(send)
        with pytest.raises(WebSocketDisconnect) as caught:
            ws.receive()
    assert caught.value.code == ws.close_code == code


def test_erlen_websocket_handler_close_and_return(app, asgi_client):
    @app.websocket("/bye")
    async def bye():
        await websocket.send_text("hello")  # accepts implicitly
        await websocket.close(4000, "done")

    @app.websocket("/returns")
    async def returns():
        await websocket.accept()

    with asgi_client.websocket("/bye") as ws:
        assert ws.receive() == "hello"
        with pytest.raises(WebSocketDisconnect):
            ws.receive()
    assert (ws.close_code, ws.close_reason) == (4000, "done")
    with asgi_client.websocket("/returns") as ws:
        with pytest.raises(WebSocketDisconnect):
            ws.receive()
    assert ws.close_code == 1000


def test_erlen_websocket_error_after_accept(app, asgi_client):
    @app.websocket("/broken")
    async def broken():
        await websocket.accept()
        await websocket.receive()
        raise LookupError("handler bug")

    with pytest.raises(LookupError, match="handler bug"):
        with asgi_client.websocket("/broken") as ws:
            ws.send("go")
            with pytest.raises(WebSocketDisconnect):
                ws.receive()
            assert ws.close_code == 1011
