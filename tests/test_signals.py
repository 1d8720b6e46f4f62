"""Flask's signals: each sent at Flask's point, by the app, with Flask's arguments.

Every test that takes ``client`` runs under WSGI and ASGI; those that take
``kind`` also run with a ``def`` and an ``async def`` view, since the two
kinds go through the two twins of the request cycle.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import typing as t
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import blinker
import jinja2
import pytest

import erlen
import erlen.signals
from erlen import (
    Erlen,
    abort,
    flash,
    g,
    has_app_context,
    render_template,
    render_template_string,
    stream_template_string,
    websocket,
)
from erlen.signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    before_render_template,
    got_request_exception,
    message_flashed,
    request_finished,
    request_started,
    request_tearing_down,
    template_rendered,
)

#: The signals of flask/signals.py (Flask 3.1), by name, with their blinker names.
FLASK_SIGNALS = {
    "template_rendered": "template-rendered",
    "before_render_template": "before-render-template",
    "request_started": "request-started",
    "request_finished": "request-finished",
    "request_tearing_down": "request-tearing-down",
    "got_request_exception": "got-request-exception",
    "appcontext_tearing_down": "appcontext-tearing-down",
    "appcontext_pushed": "appcontext-pushed",
    "appcontext_popped": "appcontext-popped",
    "message_flashed": "message-flashed",
}

ALL = [getattr(erlen.signals, name) for name in FLASK_SIGNALS]

Event = tuple[str, t.Any, dict[str, t.Any]]


@contextmanager
def recording(
    *signals: blinker.NamedSignal, sender: t.Any = blinker.ANY, into: list[t.Any] | None = None
) -> Iterator[list[t.Any]]:
    """Record ``(name, sender, kwargs)`` for each signal sent while inside."""
    events: list[t.Any] = [] if into is None else into

    def receiver_for(signal: blinker.NamedSignal) -> t.Callable[..., None]:
        def receiver(sent_by: t.Any, **kwargs: t.Any) -> None:
            events.append((signal.name, sent_by, kwargs))

        return receiver

    with ExitStack() as stack:
        for signal in signals:
            stack.enter_context(signal.connected_to(receiver_for(signal), sender))
        yield events


def names(events: list[t.Any]) -> list[str]:
    return [event[0] if isinstance(event, tuple) else event for event in events]


@pytest.fixture(params=["def", "async def"])
def kind(request: pytest.FixtureRequest) -> str:
    return t.cast(str, request.param)


def add_view(
    app: Erlen, rule: str, kind: str, body: t.Callable[[], t.Any], **options: t.Any
) -> None:
    """Route ``rule`` to ``body``, called from a ``def`` or an ``async def`` view."""
    if kind == "def":

        def view() -> t.Any:
            return body()

    else:

        async def view() -> t.Any:
            return body()

    app.add_url_rule(rule, endpoint=rule.strip("/") or "index", view_func=view, **options)


# -- the names -------------------------------------------------------------------


def test_every_flask_signal_is_a_blinker_signal_of_the_same_name() -> None:
    for name, blinker_name in FLASK_SIGNALS.items():
        signal = getattr(erlen.signals, name)
        assert isinstance(signal, blinker.NamedSignal), name
        assert signal.name == blinker_name
        # Flask exports them from the package too.
        assert getattr(erlen, name) is signal
        assert name in erlen.__all__
    assert set(erlen.signals.__all__) == {*FLASK_SIGNALS, "Namespace"}
    # Extensions make their own signals with the Namespace flask.signals offers.
    assert erlen.signals.Namespace is blinker.Namespace


def test_blinker_loads_with_the_first_signal_and_sending_waits_for_a_receiver() -> None:
    script = (
        "import sys, erlen\n"
        "from erlen.ctx import _signals\n"
        "app = erlen.Erlen('lean')\n"
        "app.get('/')(lambda: 'hi')\n"
        "client = app.test_client()\n"
        "assert client.get('/').text == 'hi'\n"
        "print('blinker' in sys.modules, 'erlen.signals' in sys.modules, bool(_signals))\n"
        "from erlen import request_started\n"
        "assert client.get('/').text == 'hi'\n"
        "print('blinker' in sys.modules, bool(_signals))\n"
        "seen = []\n"
        "request_started.connect(lambda sender: seen.append(sender), app, weak=False)\n"
        "assert client.get('/').text == 'hi'\n"
        "print(bool(_signals), seen == [app])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["False False False", "True False", "True True"]


# -- a request, start to end -----------------------------------------------------


def test_a_request_sends_its_signals_in_flask_order(app: Erlen, client: t.Any, kind: str) -> None:
    events: list[t.Any] = []
    app.before_request(lambda: events.append("before_request"))

    @app.after_request
    def after(response: t.Any) -> t.Any:
        events.append("after_request")
        return response

    app.teardown_request(lambda error: events.append("teardown_request"))
    app.teardown_appcontext(lambda error: events.append("teardown_appcontext"))

    def hello() -> str:
        events.append("view")
        return "hello"

    add_view(app, "/", kind, hello)

    with recording(*ALL, into=events):
        response = client.get("/")
    assert response.text == "hello"
    assert names(events) == [
        "appcontext-pushed",
        "request-started",
        "before_request",
        "view",
        "after_request",
        "request-finished",
        "teardown_request",
        "request-tearing-down",
        "teardown_appcontext",
        "appcontext-tearing-down",
        "appcontext-popped",
    ]
    signalled = [event for event in events if isinstance(event, tuple)]
    # The sender is the app itself, never the current_app proxy.
    assert all(type(sender) is Erlen and sender is app for _, sender, _ in signalled)
    arguments = {name: kwargs for name, _, kwargs in signalled}
    assert arguments["appcontext-pushed"] == arguments["request-started"] == {}
    assert arguments["appcontext-popped"] == {}
    assert arguments["request-tearing-down"] == {"exc": None}
    assert arguments["appcontext-tearing-down"] == {"exc": None}
    assert list(arguments["request-finished"]) == ["response"]


def test_request_finished_carries_the_response_after_the_hooks(
    app: Erlen, client: t.Any, kind: str
) -> None:
    @app.after_request
    def stamp(response: t.Any) -> t.Any:
        response.headers["X-After"] = "yes"
        return response

    add_view(app, "/", kind, lambda: ("made", 201))
    with recording(request_finished, sender=app) as events:
        client.get("/")
    [(_, _, kwargs)] = events
    response = kwargs["response"]
    assert isinstance(response, app.response_class)
    assert response.status_code == 201
    assert response.headers["X-After"] == "yes"


def test_request_finished_for_answers_from_a_hook_and_for_options(
    app: Erlen, client: t.Any, kind: str
) -> None:
    @app.before_request
    def refuse() -> t.Any:
        return ("refused", 403) if erlen.request.path == "/refused" else None

    add_view(app, "/refused", kind, lambda: "never")
    add_view(app, "/", kind, lambda: "index")
    with recording(request_started, request_finished) as events:
        assert client.get("/refused").status_code == 403
        assert client.options("/").status_code == 200
    assert names(events) == ["request-started", "request-finished"] * 2
    assert [kwargs["response"].status_code for _, _, kwargs in events[1::2]] == [403, 200]


def test_request_started_is_sent_for_a_request_that_matches_no_route(
    app: Erlen, client: t.Any
) -> None:
    with recording(request_started, request_finished, got_request_exception) as events:
        assert client.get("/nowhere").status_code == 404
    # As in Flask: the request started; a 404 is an answer, not an unhandled error.
    assert names(events) == ["request-started", "request-finished"]
    assert events[1][2]["response"].status_code == 404


def test_appcontext_pushed_can_set_g_for_the_request(app: Erlen, client: t.Any, kind: str) -> None:
    # The use Flask's documentation gives for appcontext_pushed: a test sets a
    # resource on g before the view runs.
    def set_user(sender: Erlen, **extra: t.Any) -> None:
        g.user = "ada"

    add_view(app, "/", kind, lambda: g.user)
    with appcontext_pushed.connected_to(set_user, app):
        assert client.get("/").text == "ada"


def test_a_receiver_for_another_app_is_not_called(app: Erlen, client: t.Any) -> None:
    other = Erlen("other")
    app.get("/")(lambda: "hi")
    with recording(request_started, sender=other) as events:
        client.get("/")
    assert events == []
    with recording(request_started, sender=app) as events:
        client.get("/")
    assert names(events) == ["request-started"]


def test_a_streamed_body_ends_its_context_after_the_last_chunk(app: Erlen, client: t.Any) -> None:
    events: list[t.Any] = []

    @app.get("/")
    def stream() -> t.Any:
        def chunks() -> Iterator[str]:
            events.append("first chunk")
            yield "a"
            events.append("last chunk")
            yield "b"

        return chunks()

    with recording(request_finished, request_tearing_down, appcontext_popped, into=events):
        assert client.get("/").text == "ab"
    assert names(events) == [
        "request-finished",
        "first chunk",
        "last chunk",
        "request-tearing-down",
        "appcontext-popped",
    ]


# -- errors ----------------------------------------------------------------------


def test_got_request_exception_comes_before_the_500(app: Erlen, client: t.Any, kind: str) -> None:
    app.config["TESTING"] = False
    events: list[t.Any] = []
    failure = RuntimeError("broken view")

    def broken() -> t.Any:
        raise failure

    @app.errorhandler(500)
    def server_error(error: t.Any) -> t.Any:
        events.append("500 handler")
        assert error.original_exception is failure
        return "sorry", 500

    add_view(app, "/", kind, broken)
    with recording(
        got_request_exception,
        request_finished,
        request_tearing_down,
        appcontext_tearing_down,
        into=events,
    ):
        response = client.get("/")
    assert (response.status_code, response.text) == (500, "sorry")
    assert names(events) == [
        "got-request-exception",
        "500 handler",
        "request-finished",
        "request-tearing-down",
        "appcontext-tearing-down",
    ]
    assert events[0][1] is app
    assert events[0][2] == {"exception": failure}
    assert events[2][2]["response"].status_code == 500
    assert events[3][2] == events[4][2] == {"exc": failure}


def test_got_request_exception_is_sent_when_errors_propagate(
    app: Erlen, client: t.Any, kind: str
) -> None:
    failure = LookupError("raised to the test")

    def broken() -> t.Any:
        raise failure

    add_view(app, "/", kind, broken)
    with recording(got_request_exception, request_tearing_down) as events:
        with pytest.raises(LookupError):
            client.get("/")
    assert events == [
        ("got-request-exception", app, {"exception": failure}),
        ("request-tearing-down", app, {"exc": failure}),
    ]


def test_handled_errors_send_no_got_request_exception(app: Erlen, client: t.Any, kind: str) -> None:
    app.errorhandler(ValueError)(lambda error: ("handled", 400))

    def value_error() -> t.Any:
        raise ValueError("a handler takes it")

    add_view(app, "/handled", kind, value_error)
    add_view(app, "/missing", kind, lambda: abort(404))
    with recording(got_request_exception) as events:
        assert client.get("/handled").status_code == 400
        assert client.get("/missing").status_code == 404
    assert events == []


def test_an_error_raised_by_an_error_handler_is_sent(app: Erlen, client: t.Any, kind: str) -> None:
    app.config["TESTING"] = False
    second = KeyError("the handler broke")

    @app.errorhandler(ValueError)
    def broken_handler(error: ValueError) -> t.Any:
        raise second

    def value_error() -> t.Any:
        raise ValueError("first")

    add_view(app, "/", kind, value_error)
    with recording(got_request_exception) as events:
        assert client.get("/").status_code == 500
    assert events == [("got-request-exception", app, {"exception": second})]


# -- templates and flashing ------------------------------------------------------


@pytest.fixture
def template_app(tmp_path: t.Any) -> Erlen:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("{{ greeting }}, {{ name }}!")
    app = Erlen("template_app", root_path=str(tmp_path))
    app.config["TESTING"] = True
    app.context_processor(lambda: {"greeting": "Hello"})
    return app


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_rendering_a_template_sends_its_template_and_context(
    template_app: Erlen, kind: str, asgi: bool
) -> None:
    add_view(template_app, "/", kind, lambda: render_template("page.html", name="Ada"))
    client = template_app.test_client(asgi=asgi)
    try:
        with recording(before_render_template, template_rendered) as events:
            assert client.get("/").text == "Hello, Ada!"
    finally:
        client.close()
    assert names(events) == ["before-render-template", "template-rendered"]
    for _, sender, kwargs in events:
        assert sender is template_app
        assert set(kwargs) == {"template", "context"}
        assert isinstance(kwargs["template"], jinja2.Template)
        assert kwargs["template"].name == "page.html"
        # The context as rendered: the caller's values and the processors'.
        assert kwargs["context"]["name"] == "Ada"
        assert kwargs["context"]["greeting"] == "Hello"
    assert events[0][2]["context"] is events[1][2]["context"]


def test_render_template_string_sends_both_signals(app: Erlen, client: t.Any, kind: str) -> None:
    add_view(app, "/", kind, lambda: render_template_string("{{ n + 1 }}", n=1))
    with recording(before_render_template, template_rendered, sender=app) as events:
        assert client.get("/").text == "2"
    assert names(events) == ["before-render-template", "template-rendered"]
    assert events[1][2]["context"]["n"] == 1


def test_a_streamed_template_is_rendered_once_its_last_chunk_is_made(
    app: Erlen, client: t.Any
) -> None:
    events: list[t.Any] = []

    @app.get("/")
    def stream() -> t.Any:
        chunks = stream_template_string("{% for i in items %}{{ i }}{% endfor %}", items=[1, 2])
        events.append("view returns")
        return chunks

    with recording(before_render_template, template_rendered, into=events):
        assert client.get("/").text == "12"
    assert names(events) == ["before-render-template", "view returns", "template-rendered"]


def test_flash_sends_message_flashed(app: Erlen, client: t.Any, kind: str) -> None:
    app.secret_key = "a secret for the flashes"

    def flashes() -> str:
        flash("Saved.")
        flash("Careful!", "warning")
        return "ok"

    add_view(app, "/", kind, flashes)
    with recording(message_flashed) as events:
        client.get("/")
    assert events == [
        ("message-flashed", app, {"message": "Saved.", "category": "message"}),
        ("message-flashed", app, {"message": "Careful!", "category": "warning"}),
    ]


# -- app contexts outside requests -----------------------------------------------


def test_with_app_context_sends_push_teardown_and_pop(app: Erlen) -> None:
    seen_in_pop: list[bool] = []
    with recording(appcontext_pushed, appcontext_tearing_down, appcontext_popped) as events:
        with appcontext_popped.connected_to(lambda sender: seen_in_pop.append(has_app_context())):
            with app.app_context():
                assert names(events) == ["appcontext-pushed"]
    assert events == [
        ("appcontext-pushed", app, {}),
        ("appcontext-tearing-down", app, {"exc": None}),
        ("appcontext-popped", app, {}),
    ]
    # As in Flask, appcontext_popped comes once the context is gone.
    assert seen_in_pop == [False]


def test_an_error_in_the_block_reaches_appcontext_tearing_down(app: Erlen) -> None:
    failure = ValueError("in the block")
    with recording(appcontext_tearing_down) as events:
        with pytest.raises(ValueError), app.app_context():
            raise failure
    assert events == [("appcontext-tearing-down", app, {"exc": failure})]


def test_a_context_pushed_twice_sends_each_push_and_pop(app: Erlen) -> None:
    context = app.app_context()
    with recording(appcontext_pushed, appcontext_tearing_down, appcontext_popped) as events:
        context.push()
        context.push()
        context.pop()
        context.pop()
    assert names(events) == [
        "appcontext-pushed",
        "appcontext-pushed",
        "appcontext-popped",
        "appcontext-tearing-down",
        "appcontext-popped",
    ]


def test_test_request_context_sends_each_signal_once(app: Erlen) -> None:
    with recording(*ALL) as events:
        with app.test_request_context("/"):
            pass
    assert names(events) == [
        "appcontext-pushed",
        "request-tearing-down",
        "appcontext-tearing-down",
        "appcontext-popped",
    ]


# -- websockets and lifespan -----------------------------------------------------


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi-client", "asgi-client"])
def test_a_websocket_has_an_app_context_signalled(app: Erlen, asgi: bool) -> None:
    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.accept()
        await websocket.send(await websocket.receive())

    client = app.test_client(asgi=asgi)
    try:
        with recording(appcontext_pushed, request_tearing_down, appcontext_popped) as events:
            with client.websocket("/ws") as ws:
                ws.send("hi")
                assert ws.receive() == "hi"
    finally:
        client.close()
    assert names(events) == ["appcontext-pushed", "request-tearing-down", "appcontext-popped"]


def test_the_lifespan_context_is_signalled(app: Erlen) -> None:
    started: list[bool] = []
    app.before_serving(lambda: started.append(True))
    app.get("/")(lambda: "up")
    with recording(appcontext_pushed, appcontext_popped) as events:
        with app.test_client(asgi=True) as client:
            assert client.get("/").text == "up"
    assert started == [True]
    # The startup and the shutdown each run in an app context; the request has its own.
    assert names(events) == ["appcontext-pushed", "appcontext-popped"] * 3


# -- receivers -------------------------------------------------------------------


def test_async_receivers_are_awaited(app: Erlen, client: t.Any, kind: str) -> None:
    app.secret_key = "a secret for the flashes"
    events: list[str] = []

    def page() -> str:
        flash("hi")
        return render_template_string("page")

    async def on_started(sender: Erlen, **extra: t.Any) -> None:
        events.append("started")

    async def on_flash(sender: Erlen, message: str, category: str) -> None:
        events.append(f"flashed {message}")

    async def on_rendered(sender: Erlen, template: t.Any, context: t.Any) -> None:
        events.append("rendered")

    async def on_finished(sender: Erlen, response: t.Any) -> None:
        events.append(f"finished {response.status_code}")

    async def on_popped(sender: Erlen) -> None:
        events.append("popped")

    add_view(app, "/", kind, page)
    with ExitStack() as stack:
        stack.enter_context(request_started.connected_to(on_started))
        stack.enter_context(message_flashed.connected_to(on_flash))
        stack.enter_context(template_rendered.connected_to(on_rendered))
        stack.enter_context(request_finished.connected_to(on_finished))
        stack.enter_context(appcontext_popped.connected_to(on_popped))
        assert client.get("/").text == "page"
    assert events == ["started", "flashed hi", "rendered", "finished 200", "popped"]


def test_a_signal_without_receivers_is_not_sent(
    app: Erlen, client: t.Any, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.secret_key = "a secret for the flashes"
    sent: list[str] = []
    send, send_async = blinker.Signal.send, blinker.Signal.send_async

    def spy(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        sent.append(self.name)
        return send(self, *args, **kwargs)

    async def spy_async(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        sent.append(self.name)
        return await send_async(self, *args, **kwargs)

    monkeypatch.setattr(blinker.Signal, "send", spy)
    monkeypatch.setattr(blinker.Signal, "send_async", spy_async)

    def page() -> str:
        flash("hi")
        return render_template_string("page")

    add_view(app, "/", kind, page)
    with recording(template_rendered):  # only this one has a receiver
        client.get("/")
        with app.app_context():
            pass
    assert sent == ["template-rendered"]


def test_a_receiver_error_fails_the_request_as_in_flask(
    app: Erlen, client: t.Any, kind: str
) -> None:
    app.secret_key = "a secret for the flashes"

    def refuse(sender: Erlen, **extra: t.Any) -> None:
        raise PermissionError("a receiver said no")

    def page() -> str:
        flash("hi")
        return render_template_string("page")

    add_view(app, "/", kind, page)
    for signal in (request_started, message_flashed, template_rendered, request_finished):
        with signal.connected_to(refuse, app):
            # Testing: the error reaches the test, as every unhandled error does.
            with pytest.raises(PermissionError):
                client.get("/")
            app.config["TESTING"] = False
            with recording(got_request_exception) as events:
                assert client.get("/").status_code == 500, signal.name
            app.config["TESTING"] = True
            assert [type(kwargs["exception"]) for _, _, kwargs in events] == [PermissionError]


def test_a_got_request_exception_receiver_error_propagates(app: Erlen, client: t.Any) -> None:
    app.config["TESTING"] = False

    @app.get("/")
    def broken() -> t.Any:
        raise ValueError("the view")

    def broken_receiver(sender: Erlen, exception: BaseException) -> None:
        raise LookupError("the receiver")

    with got_request_exception.connected_to(broken_receiver, app):
        with pytest.raises(LookupError):
            client.get("/")


def test_receiver_errors_at_teardown_are_logged_like_teardown_functions(
    app: Erlen, client: t.Any, caplog: pytest.LogCaptureFixture
) -> None:
    # erlen logs a failing teardown function and runs the rest; receivers of the
    # signals sent at teardown get the same rule.
    def broken(sender: Erlen, **extra: t.Any) -> None:
        raise RuntimeError("receiver broke")

    app.get("/")(lambda: "fine")
    with ExitStack() as stack:
        for signal in (request_tearing_down, appcontext_tearing_down, appcontext_popped):
            stack.enter_context(signal.connected_to(broken, app))
        with recording(appcontext_popped) as events, caplog.at_level(logging.ERROR):
            assert client.get("/").text == "fine"
    assert names(events) == ["appcontext-popped"]
    failures = [r for r in caplog.records if "Error in a receiver of the signal" in r.message]
    assert [r.args for r in failures] == [
        ("request-tearing-down",),
        ("appcontext-tearing-down",),
        ("appcontext-popped",),
    ]


def test_a_failing_appcontext_pushed_receiver_leaves_no_context(app: Erlen) -> None:
    def refuse(sender: Erlen) -> None:
        raise PermissionError("no context for you")

    with appcontext_pushed.connected_to(refuse, app):
        with pytest.raises(PermissionError), app.app_context():
            pass  # not reached
    assert not has_app_context()
