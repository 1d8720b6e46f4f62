"""Server-Sent Events: the wire format, event_stream, keep-alive and closing."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import warnings
from wsgiref.validate import validator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erlen import Response
from erlen.sse import ServerSentEvent, event_stream
from erlen.testing import build_environ

KEEP_ALIVE = b": keep-alive\n\n"
# Every wait in these tests ends within this many seconds, so a bug fails them, never hangs them.
BOUND = 10.0


def parse_stream(raw: bytes) -> list[dict[str, object]]:
    """Parse an event stream as a browser does (WHATWG HTML §9.2.6), for round trips."""
    text = raw.decode("utf-8")
    events: list[dict[str, object]] = []
    data: list[str] = []
    event_type = ""
    last_id = ""
    retry: int | None = None
    comments: list[str] = []
    *lines, _incomplete = re.split(r"\r\n|\r|\n", text)
    for line in lines:
        if line == "":
            if data:
                events.append(
                    {"data": "\n".join(data), "event": event_type or "message", "id": last_id}
                )
            data, event_type = [], ""
            continue
        if line.startswith(":"):
            comments.append(line[1:])
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name == "event":
            event_type = value
        elif name == "id" and "\x00" not in value:
            last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            retry = int(value)
    if retry is not None:
        events.append({"retry": retry})
    if comments:
        events.append({"comments": comments})
    return events


def run_body(response: Response, steps: int | None = None) -> list[bytes]:
    """Read an async body on a fresh loop, as an ASGI server would (all of it, or `steps`)."""

    async def read() -> list[bytes]:
        body = response.response
        chunks = []
        try:
            async for chunk in body:  # type: ignore[union-attr]
                chunks.append(chunk)
                if steps is not None and len(chunks) == steps:
                    break
        finally:
            await body.aclose()  # type: ignore[union-attr]
        return chunks

    return asyncio.run(asyncio.wait_for(read(), BOUND))


async def call_asgi(app, path: str, on_body=None) -> tuple[dict, list[bytes]]:
    """GET `path` through the app's ASGI interface, as a server would.

    ``on_body(chunk, disconnect)`` sees each body chunk; setting the
    ``disconnect`` event makes the next ``receive()`` say the client has gone.
    """
    disconnect = asyncio.Event()
    requested = False
    start: dict = {}
    chunks: list[bytes] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }

    async def receive():
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if on_body is not None:
                on_body(message.get("body", b""), disconnect)

    await asyncio.wait_for(app(scope, receive, send), BOUND)
    return start, chunks


class Served:
    """A WSGI call driven chunk by chunk, as a server does, through wsgiref's validator."""

    def __init__(self, app, path: str = "/") -> None:
        self.status: str | None = None
        self.headers: dict[str, str] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            self.body = validator(app)(build_environ(app, path), self._start_response)
        self.chunks = iter(self.body)

    def _start_response(self, status, headers, exc_info=None):
        self.status = status
        self.headers = dict(headers)
        return lambda data: None

    def next(self) -> bytes:
        return next(self.chunks)

    def close(self) -> None:
        self.body.close()


# -- ServerSentEvent.encode ------------------------------------------------------------


def test_data_only():
    assert ServerSentEvent("hello").encode() == b"data: hello\n\n"


def test_every_field():
    event = ServerSentEvent("x", event="update", id="7", retry=1500, comment="note")
    assert event.encode() == b": note\nevent: update\nid: 7\nretry: 1500\ndata: x\n\n"


def test_each_line_of_data_is_a_data_field():
    event = ServerSentEvent("a\nb\r\nc\rd")
    assert event.encode() == b"data: a\ndata: b\ndata: c\ndata: d\n\n"
    assert parse_stream(event.encode()) == [{"data": "a\nb\nc\nd", "event": "message", "id": ""}]


def test_other_line_separators_stay_inside_the_data():
    # The stream format breaks lines on CR and LF only, not on \v, \f or U+2028.
    event = ServerSentEvent("a\vb\x0cc\u2028d\x85e")
    assert event.encode() == "data: a\vb\x0cc\u2028d\x85e\n\n".encode()


def test_trailing_newline_and_empty_lines_survive():
    assert ServerSentEvent("a\n").encode() == b"data: a\ndata:\n\n"
    assert ServerSentEvent("a\n\nb").encode() == b"data: a\ndata:\ndata: b\n\n"
    assert parse_stream(ServerSentEvent("a\n").encode())[0]["data"] == "a\n"


def test_empty_data_still_dispatches_an_event():
    assert ServerSentEvent("").encode() == b"data:\n\n"
    assert parse_stream(b"data:\n\n") == [{"data": "", "event": "message", "id": ""}]


def test_no_data_sends_only_the_other_fields():
    assert ServerSentEvent(event="ping").encode() == b"event: ping\n\n"
    assert ServerSentEvent(id="").encode() == b"id:\n\n"  # resets the client's last id
    assert ServerSentEvent().encode() == b"\n"


def test_a_leading_space_in_data_is_kept():
    raw = ServerSentEvent("  indented").encode()
    assert raw == b"data:   indented\n\n"
    assert parse_stream(raw)[0]["data"] == "  indented"


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ({"user": "ada", "tags": [1, 2]}, '{"user":"ada","tags":[1,2]}'),
        ([1, "two"], '[1,"two"]'),
        (3, "3"),
        (2.5, "2.5"),
        (True, "true"),
        (False, "false"),
        ({"text": "two\nlines"}, '{"text":"two\\nlines"}'),
    ],
)
def test_other_data_is_sent_as_json(value, line):
    assert ServerSentEvent(value).encode() == f"data: {line}\n\n".encode()


def test_unicode_data_is_utf8():
    event = ServerSentEvent("Grüße ☃ 𝄞", event="ünïcode")
    assert event.encode() == "event: ünïcode\ndata: Grüße ☃ 𝄞\n\n".encode()
    assert ServerSentEvent({"k": "☃"}).encode() == '{"k":"☃"}'.join(["data: ", "\n\n"]).encode()


def test_bytes_data_is_decoded_as_utf8():
    assert ServerSentEvent("ü".encode()).encode() == "data: ü\n\n".encode()
    with pytest.raises(UnicodeDecodeError):
        ServerSentEvent(b"\xff").encode()


def test_int_id():
    assert ServerSentEvent("x", id=5).encode() == b"id: 5\ndata: x\n\n"


def test_multiline_comment_stays_comments():
    raw = ServerSentEvent(comment="one\ntwo\r\n\rthree").encode()
    assert raw == b": one\n: two\n:\n: three\n\n"
    assert parse_stream(raw) == [{"comments": [" one", " two", "", " three"]}]


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\r\nb", "trailing\n"])
@pytest.mark.parametrize("field", ["event", "id"])
def test_line_breaks_in_event_or_id_are_refused(field, bad):
    with pytest.raises(ValueError, match=rf"'{field}' field .*line break.*inject"):
        ServerSentEvent("x", **{field: bad})


def test_nul_in_id_is_refused():
    with pytest.raises(ValueError, match=r"'id' field .*'\\x00'.*ignore an id holding NUL"):
        ServerSentEvent("x", id="1\x002")


def test_nul_in_event_is_allowed():
    assert ServerSentEvent(event="a\x00b").encode() == b"event: a\x00b\n\n"


def test_injection_attempt_is_stopped_before_it_reaches_the_wire():
    with pytest.raises(ValueError, match="'event'"):
        ServerSentEvent("ok", event="x\ndata: forged\n\nevent: y")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"retry": -1}, ValueError, "0 or more"),
        ({"retry": 1.5}, TypeError, "must be an int"),
        ({"retry": True}, TypeError, "must be an int"),
        ({"retry": "100"}, TypeError, "must be an int"),
        ({"event": 1}, TypeError, "'event' field must be a str"),
        ({"id": 1.0}, TypeError, "'id' field must be a str or int"),
        ({"comment": b"x"}, TypeError, "comment must be a str"),
    ],
)
def test_bad_field_types(kwargs, error, message):
    with pytest.raises(error, match=message):
        ServerSentEvent("x", **kwargs)


def test_retry_zero_is_allowed():
    assert ServerSentEvent(retry=0).encode() == b"retry: 0\n\n"


def test_events_are_frozen_values():
    event = ServerSentEvent("x", event="e", id=1)
    assert event == ServerSentEvent("x", event="e", id=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.data = "y"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ServerSentEvent("x", "e")  # type: ignore[misc]  # fields after data are keywords


_no_breaks = st.text().filter(lambda text: "\r" not in text and "\n" not in text)


@settings(database=None)
@given(data=st.text(), event=_no_breaks, id=_no_breaks.filter(lambda text: "\x00" not in text))
def test_round_trip_through_a_browser_parser(data, event, id):
    parsed = parse_stream(ServerSentEvent(data, event=event, id=id).encode())
    # A browser reads CRLF and CR in data as LF.
    expected = re.sub(r"\r\n|\r", "\n", data)
    assert parsed == [{"data": expected, "event": event or "message", "id": id}]


# -- event_stream: the response --------------------------------------------------------


def test_response_headers():
    response = event_stream(iter(()))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    assert "Content-Length" not in response.headers
    assert response.is_streamed


def test_user_headers_are_added_and_replace_defaults():
    response = event_stream(
        iter(()), status=201, headers={"cache-control": "no-store", "X-Room": "lobby"}
    )
    assert response.status_code == 201
    assert response.headers.getlist("Cache-Control") == ["no-store"]
    assert response.headers["X-Room"] == "lobby"
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"


def test_header_injection_in_user_headers_is_refused():
    with pytest.raises(ValueError, match="newline"):
        event_stream(iter(()), headers={"X-A": "1\r\nX-B: 2"})


def test_items_of_every_kind():
    items = [
        ServerSentEvent("one", id="1"),
        "two",
        "drei ü".encode(),
        {"data": {"n": 4}, "event": "count", "id": 4, "retry": 10, "comment": "c"},
    ]
    body = b"".join(event_stream(items).response)  # type: ignore[arg-type]
    assert body == (
        b"id: 1\ndata: one\n\n"
        b"data: two\n\n"
        + "data: drei ü\n\n".encode()
        + b': c\nevent: count\nid: 4\nretry: 10\ndata: {"n":4}\n\n'
    )


def test_retry_starts_the_stream():
    body = b"".join(event_stream(["x"], retry=3000).response)  # type: ignore[arg-type]
    assert body == b"retry: 3000\n\ndata: x\n\n"
    assert parse_stream(body) == [{"data": "x", "event": "message", "id": ""}, {"retry": 3000}]


def test_bad_retry_fails_when_the_stream_is_made():
    with pytest.raises(ValueError, match="0 or more"):
        event_stream(["x"], retry=-5)


def test_unknown_dict_keys_are_named():
    response = event_stream([{"data": 1, "name": "x", "type": "y"}])
    with pytest.raises(TypeError, match=r"unknown key\(s\) 'name', 'type'"):
        list(response.response)


def test_an_item_of_another_type_is_a_type_error():
    response = event_stream([42])
    with pytest.raises(TypeError, match="got an item of type int.*ServerSentEvent"):
        list(response.response)


def test_injection_through_a_dict_item_is_refused():
    response = event_stream([{"data": "x", "id": "1\n\ndata: forged"}])
    with pytest.raises(ValueError, match="'id' field"):
        list(response.response)


@pytest.mark.parametrize("source", [42, "text", b"bytes", {"data": "x"}, None])
def test_source_must_be_an_iterable_of_events(source):
    with pytest.raises(TypeError, match="needs an async iterable or an iterable"):
        event_stream(source)


@pytest.mark.parametrize(
    ("keep_alive", "error"),
    [(0, ValueError), (-1.0, ValueError), ("5", TypeError), (True, TypeError)],
)
def test_keep_alive_must_be_positive_seconds(keep_alive, error):
    with pytest.raises(error, match="keep_alive"):
        event_stream(["x"], keep_alive=keep_alive)


# -- through the app (the client fixture runs each test under WSGI and ASGI) -----------


def test_async_generator_view_through_the_client(app, client):
    @app.route("/events")
    def events():
        async def generate():
            for number in range(3):
                await asyncio.sleep(0)
                yield {"event": "tick", "id": number, "data": {"n": number}}
            yield "done"

        return event_stream(generate(), retry=500)

    response = client.get("/events")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    assert parse_stream(response.data) == [
        {"data": '{"n":0}', "event": "tick", "id": "0"},
        {"data": '{"n":1}', "event": "tick", "id": "1"},
        {"data": '{"n":2}', "event": "tick", "id": "2"},
        {"data": "done", "event": "message", "id": "2"},
        {"retry": 500},
    ]


def test_async_view_returning_a_stream(app, client):
    @app.route("/events")
    async def events():
        async def generate():
            yield ServerSentEvent("hi", event="greeting")

        return event_stream(generate(), keep_alive=None)

    assert client.get("/events").data == b"event: greeting\ndata: hi\n\n"


def test_sync_generator_view_through_the_client(app, client):
    closed = []

    @app.route("/events")
    def events():
        def generate():
            try:
                yield "a"
                yield {"data": ["b"]}
            finally:
                closed.append(True)

        return event_stream(generate())

    response = client.get("/events")
    assert response.data == b'data: a\n\ndata: ["b"]\n\n'
    assert closed == [True]


def test_head_sends_no_body_and_never_starts_the_source(app, client):
    started = []

    @app.route("/events")
    def events():
        async def generate():
            started.append(True)
            yield "x"

        return event_stream(generate())

    response = client.head("/events")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response.data == b""
    assert started == []


def test_a_stream_can_read_the_request(app, client):
    from erlen import request

    @app.route("/events")
    def events():
        async def generate():
            yield request.args["room"]

        return event_stream(generate())

    assert client.get("/events?room=lobby").data == b"data: lobby\n\n"


def test_keep_alive_under_wsgi_keeps_the_pending_step_on_the_thread_loop(app):
    ready = asyncio.Event()
    log = []

    @app.route("/events")
    def events():
        async def generate():
            yield "first"
            try:
                await asyncio.wait_for(ready.wait(), BOUND)
            except asyncio.CancelledError:
                log.append("cancelled")
                raise
            yield "second"

        return event_stream(generate(), keep_alive=0.01)

    served = Served(app, "/events")
    assert served.status == "200 OK"
    assert served.next() == b"data: first\n\n"
    assert served.next() == KEEP_ALIVE
    assert served.next() == KEEP_ALIVE
    ready.set()  # the loop is idle between chunks; the waiting step resumes on the next one
    assert served.next() == b"data: second\n\n"
    with pytest.raises(StopIteration):
        served.next()
    served.close()
    assert log == []


def test_client_gone_under_wsgi_closes_the_source(app):
    log = []

    @app.route("/events")
    def events():
        async def generate():
            try:
                yield "first"
                await asyncio.sleep(BOUND)  # longer than the test
                yield "never"
            except asyncio.CancelledError:
                log.append("cancelled")
                raise
            finally:
                log.append("finally")

        return event_stream(generate(), keep_alive=0.01)

    served = Served(app, "/events")
    assert served.next() == b"data: first\n\n"
    assert served.next() == KEEP_ALIVE  # the source is now waiting inside a pending step
    served.close()
    assert log == ["cancelled", "finally"]


def test_client_gone_under_wsgi_closes_a_sync_source(app):
    log = []

    @app.route("/events")
    def events():
        def generate():
            try:
                while True:
                    yield "tick"
            finally:
                log.append("finally")

        return event_stream(generate())

    served = Served(app, "/events")
    assert served.next() == b"data: tick\n\n"
    assert log == []
    served.close()
    assert log == ["finally"]


# -- the async body on its own, as an ASGI server drives it ----------------------------


def test_keep_alive_is_sent_while_the_source_waits_and_the_wait_goes_on():
    ready = asyncio.Event()
    log = []

    async def generate():
        yield "first"
        try:
            await asyncio.wait_for(ready.wait(), BOUND)
        except asyncio.CancelledError:
            log.append("cancelled")
            raise
        yield "second"

    async def main():
        body = event_stream(generate(), keep_alive=0.01).response.__aiter__()  # type: ignore[union-attr]
        assert await body.__anext__() == b"data: first\n\n"
        assert await body.__anext__() == KEEP_ALIVE
        assert await body.__anext__() == KEEP_ALIVE
        ready.set()
        assert await body.__anext__() == b"data: second\n\n"
        with pytest.raises(StopAsyncIteration):
            await body.__anext__()

    asyncio.run(asyncio.wait_for(main(), BOUND))
    assert log == []


def test_no_keep_alive_when_turned_off():
    async def main():
        ready = asyncio.Event()

        async def generate():
            await asyncio.wait_for(ready.wait(), BOUND)
            yield "late"

        async def release():
            for _ in range(20):
                await asyncio.sleep(0.001)
            ready.set()

        releaser = asyncio.ensure_future(release())
        body = event_stream(generate(), keep_alive=None).response
        chunks = [chunk async for chunk in body]  # type: ignore[union-attr]
        await releaser
        return chunks

    assert asyncio.run(asyncio.wait_for(main(), BOUND)) == [b"data: late\n\n"]


def test_whole_async_stream():
    async def generate():
        yield "a"
        yield {"event": "b", "data": None}

    assert run_body(event_stream(generate(), retry=0)) == [
        b"retry: 0\n\n",
        b"data: a\n\n",
        b"event: b\n\n",
    ]


def test_an_async_iterable_that_is_not_a_generator():
    class Countdown:
        def __init__(self) -> None:
            self.left = 2

        def __aiter__(self):
            return self

        async def __anext__(self):
            if not self.left:
                raise StopAsyncIteration
            self.left -= 1
            return str(self.left)

    assert run_body(event_stream(Countdown())) == [b"data: 1\n\n", b"data: 0\n\n"]


def test_closing_the_body_early_runs_the_source_finally():
    log = []

    async def generate():
        try:
            for number in range(100):
                yield str(number)
        finally:
            log.append("finally")

    assert run_body(event_stream(generate()), steps=2) == [b"data: 0\n\n", b"data: 1\n\n"]
    assert log == ["finally"]


def test_closing_while_a_step_is_pending_cancels_it_then_closes_the_source():
    log = []

    async def generate():
        try:
            yield "first"
            await asyncio.sleep(BOUND)  # longer than the test
        except asyncio.CancelledError:
            log.append("cancelled")
            raise
        finally:
            log.append("finally")

    response = event_stream(generate(), keep_alive=0.01)
    assert run_body(response, steps=2) == [b"data: first\n\n", KEEP_ALIVE]
    assert log == ["cancelled", "finally"]


def test_cancelling_the_stream_task_closes_the_source():
    # An ASGI server may cancel the task that iterates the body when the client goes.
    log = []

    async def generate():
        try:
            yield "first"
            await asyncio.sleep(BOUND)
        finally:
            log.append("finally")

    async def main():
        seen = asyncio.Event()

        async def consume():
            async for chunk in event_stream(generate()).response:  # type: ignore[union-attr]
                if chunk == b"data: first\n\n":
                    seen.set()

        task = asyncio.ensure_future(consume())
        await seen.wait()
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(main(), BOUND))
    assert log == ["finally"]


def test_a_failing_source_raises_through_the_stream():
    async def generate():
        yield "ok"
        raise RuntimeError("feed broke")

    with pytest.raises(RuntimeError, match="feed broke"):
        run_body(event_stream(generate()))


# -- through the app's ASGI interface --------------------------------------------------


def test_keep_alive_under_asgi_while_the_source_waits(app):
    log = []

    @app.route("/events")
    def events():
        ready = asyncio.Event()

        async def generate():
            yield "first"
            await asyncio.wait_for(ready.wait(), BOUND)
            yield "second"

        log.append(ready)
        return event_stream(generate(), keep_alive=0.01)

    def on_body(chunk, disconnect):
        if chunk == KEEP_ALIVE:
            log[0].set()  # only now can the source go on

    start, chunks = asyncio.run(call_asgi(app, "/events", on_body))
    assert start["status"] == 200
    assert (b"content-type", b"text/event-stream; charset=utf-8") in start["headers"]
    assert (b"x-accel-buffering", b"no") in start["headers"]
    assert chunks[0] == b"data: first\n\n"
    assert chunks[1] == KEEP_ALIVE
    assert chunks[-2:] == [b"data: second\n\n", b""]
    assert set(chunks[1:-2]) == {KEEP_ALIVE}


def test_client_gone_under_asgi_closes_the_waiting_source(app):
    log = []

    @app.route("/events")
    async def events():
        async def generate():
            try:
                yield "first"
                await asyncio.sleep(BOUND)  # longer than the test
                yield "never"
            except asyncio.CancelledError:
                log.append("cancelled")
                raise
            finally:
                log.append("finally")

        return event_stream(generate(), keep_alive=0.01)

    def on_body(chunk, disconnect):
        if chunk == KEEP_ALIVE:
            disconnect.set()

    start, chunks = asyncio.run(call_asgi(app, "/events", on_body))
    assert chunks[:2] == [b"data: first\n\n", KEEP_ALIVE]
    assert b"data: never\n\n" not in chunks
    assert log == ["cancelled", "finally"]


def test_send_failing_under_asgi_closes_the_source(app):
    # ASGI 2.4: send() on a closed connection raises OSError.
    log = []

    @app.route("/events")
    def events():
        async def generate():
            try:
                for number in range(1000):
                    yield str(number)
            finally:
                log.append("finally")

        return event_stream(generate())

    def on_body(chunk, disconnect):
        if chunk == b"data: 1\n\n":
            raise OSError("connection closed")

    start, chunks = asyncio.run(call_asgi(app, "/events", on_body))
    assert chunks == [b"data: 0\n\n", b"data: 1\n\n"]
    assert log == ["finally"]


def test_client_gone_under_asgi_closes_a_sync_source(app):
    log = []

    @app.route("/events")
    def events():
        def generate():
            try:
                while True:
                    yield "tick"
            finally:
                log.append("finally")

        return event_stream(generate())

    def on_body(chunk, disconnect):
        disconnect.set()

    start, chunks = asyncio.run(call_asgi(app, "/events", on_body))
    assert chunks[0] == b"data: tick\n\n"
    assert log == ["finally"]


def test_exported_from_erlen():
    import erlen

    assert erlen.event_stream is event_stream
    assert erlen.ServerSentEvent is ServerSentEvent
    assert {"event_stream", "ServerSentEvent"} <= set(erlen.__all__)
