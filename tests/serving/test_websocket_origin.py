"""Cross-site WebSocket hijacking: a handshake from another site's page is refused.

A handshake is a GET, so the CSRF check for unsafe methods never sees it, yet the
browser sends the user's cookies with it whichever page opens the socket. erlen
checks ``Sec-Fetch-Site`` and ``Origin`` on every handshake by the CSRF rule.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from erlen import Blueprint, Erlen, websocket
from erlen.csrf import CrossOriginRequestRefused, exempt
from erlen.testing import WebSocketDenied
from servers import HOST, poll_until, server_env, server_process


def add_echo(scaffold: Erlen | Blueprint, rule: str, opened: list[str]) -> None:
    """Register a handler at ``rule`` that notes it ran, then echoes one message."""

    @scaffold.websocket(rule, endpoint=rule.strip("/").replace("/", "_"))
    async def handler():
        opened.append(rule)
        await websocket.accept()
        await websocket.send(await websocket.receive())


@pytest.fixture
def opened() -> list[str]:
    """The rules whose handler ran."""
    return []


@pytest.fixture
def app(app: Erlen, opened: list[str]) -> Erlen:
    add_echo(app, "/ws", opened)
    return app


def echoes(app: Erlen, path: str = "/ws", **options: object) -> bool:
    """Open a socket, send a message and check it comes back."""
    with app.test_client().websocket(path, **options) as ws:
        ws.send("ping")
        return ws.receive() == "ping"


def refused(app: Erlen, path: str = "/ws", **options: object) -> WebSocketDenied:
    """Open a socket that must be refused; return the refusal."""
    with pytest.raises(WebSocketDenied) as denied:
        with app.test_client().websocket(path, **options):
            pass
    return denied.value


# -- same origin ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host", "origin"),
    [
        ("/ws", None, "http://localhost"),
        ("/ws", None, "https://localhost"),  # a proxy may end TLS: scheme is not compared
        ("ws://localhost:5000/ws", None, "http://localhost:5000"),
        ("ws://127.0.0.1:8000/ws", None, "http://127.0.0.1:8000"),
        ("/ws", "[::1]:8000", "http://[::1]:8000"),
        ("wss://example.com/ws", None, "https://example.com"),
        ("/ws", "example.com:443", "https://example.com"),  # default ports
        ("/ws", "example.com:80", "http://example.com"),
        ("/ws", "example.com", "https://example.com:443"),
        ("/ws", "Example.COM", "https://example.com"),
    ],
)
def test_same_origin_handshake_passes(app, opened, url, host, origin):
    headers = {"Origin": origin}
    if host is not None:
        headers["Host"] = host
    assert echoes(app, url, headers=headers)
    assert opened == ["/ws"]


@pytest.mark.parametrize("site", ["same-origin", "none"])
def test_sec_fetch_site_same_origin_passes(app, site):
    assert echoes(app, headers={"Sec-Fetch-Site": site, "Origin": "http://localhost"})


def test_handshake_without_origin_passes(app, opened):
    # Not a browser (a script, another server): it carries no victim's cookies.
    assert echoes(app)
    assert opened == ["/ws"]


# -- another origin ------------------------------------------------------------------


def test_cross_site_handshake_is_refused_with_403_and_says_why(app, opened):
    denied = refused(app, headers={"Origin": "https://evil.example"})
    assert denied.status == 403
    assert denied.close_code is None  # a real HTTP response, not a close
    body = denied.body.decode()
    assert "WebSocket handshake was refused" in body
    assert "Origin: https://evil.example" in body
    assert "cross-site WebSocket hijacking" in body
    assert "CSRF_TRUSTED_ORIGINS" in body
    assert "erlen.csrf.exempt" in body
    assert opened == []


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("/ws", "http://evil.example"),
        ("/ws", "http://localhost:3000"),  # another port is another origin
        ("ws://localhost:5000/ws", "http://localhost"),
        ("/ws", "https://sub.localhost"),
        ("/ws", "http://localhost.evil.example"),
        ("/ws", "null"),  # a sandboxed frame, a data: URL, a file
        ("/ws", "chrome-extension://abcdef"),
        ("/ws", "http://local host"),
        ("/ws", "http://localhost:99999"),
    ],
)
def test_handshake_from_another_origin_is_refused(app, opened, url, origin):
    denied = refused(app, url, headers={"Origin": origin})
    assert denied.status == 403
    assert "cross-site WebSocket hijacking" in denied.body.decode()
    assert opened == []


def test_null_origin_is_named_in_the_refusal(app):
    assert "Origin: null" in refused(app, headers={"Origin": "null"}).body.decode()


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_sec_fetch_site_cross_or_same_site_is_refused(app, opened, site):
    # Sec-Fetch-Site decides when present, as for unsafe requests.
    denied = refused(app, headers={"Sec-Fetch-Site": site, "Origin": "http://localhost"})
    assert denied.status == 403
    assert f"Sec-Fetch-Site: {site}" in denied.body.decode()
    assert opened == []


def test_refused_without_the_http_response_extension_is_a_403_close(app, opened):
    denied = refused(app, headers={"Origin": "https://evil.example"}, http_response_extension=False)
    assert denied.status == 403
    assert denied.close_code == 1008
    assert opened == []


def test_refusal_comes_before_before_websocket_hooks(app, opened):
    hooks: list[str] = []
    app.before_websocket(lambda: hooks.append("ran"))
    refused(app, headers={"Origin": "https://evil.example"})
    assert hooks == []
    assert echoes(app, headers={"Origin": "http://localhost"})
    assert hooks == ["ran"]


def test_unknown_path_is_still_404(app):
    assert refused(app, "/nowhere", headers={"Origin": "https://evil.example"}).status == 404


def test_error_handler_can_replace_the_refusal(app):
    @app.errorhandler(CrossOriginRequestRefused)
    def cross_site(error):
        return "not from there", 403

    denied = refused(app, headers={"Origin": "https://evil.example"})
    assert (denied.status, denied.body) == (403, b"not from there")


def test_refusal_is_logged_as_one_info_line_without_traceback(caplog):
    app = Erlen("test_websocket_origin_quiet")  # TESTING off: nothing is re-raised
    add_echo(app, "/ws", [])
    with caplog.at_level(logging.INFO, logger=app.name):
        refused(app, headers={"Origin": "https://evil.example"})
    records = [record for record in caplog.records if record.name == app.name]
    assert len(records) == 1
    record = records[0]
    assert record.levelno == logging.INFO
    assert record.exc_info is None
    message = record.getMessage()
    assert message.startswith("WebSocket /ws refused: ")
    assert "Origin: https://evil.example" in message
    assert "CSRF_TRUSTED_ORIGINS" in message


def test_long_origin_is_cut_in_the_refusal(app):
    origin = "https://" + "a" * 5000 + ".example"
    body = refused(app, headers={"Origin": origin}).body.decode()
    assert "a" * 200 not in body
    assert "..." in body


# -- allowed on purpose ------------------------------------------------------------


def test_trusted_origin_passes(app, opened):
    app.config["CSRF_TRUSTED_ORIGINS"] = ["https://app.example.com"]
    assert echoes(app, headers={"Origin": "https://app.example.com"})
    assert echoes(
        app, headers={"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site"}
    )
    assert refused(app, headers={"Origin": "https://evil.example"}).status == 403
    assert opened == ["/ws", "/ws"]


def test_exempt_handler_passes(app, opened):
    @app.websocket("/public")
    @exempt
    async def public():
        opened.append("/public")
        await websocket.accept()
        await websocket.send(await websocket.receive())

    @exempt
    @app.websocket("/public-too")
    async def public_too():
        opened.append("/public-too")
        await websocket.accept()
        await websocket.send(await websocket.receive())

    headers = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert echoes(app, "/public", headers=headers)
    assert echoes(app, "/public-too", headers=headers)
    assert refused(app, headers=headers).status == 403  # the others are still checked
    assert opened == ["/public", "/public-too"]


def test_exempt_blueprint_and_nested_blueprint_pass(app, opened):
    feed = Blueprint("feed", __name__, url_prefix="/feed")
    add_echo(feed, "/live", opened)
    inner = Blueprint("inner", __name__, url_prefix="/inner")
    add_echo(inner, "/live", opened)
    feed.register_blueprint(inner)
    exempt(feed)
    app.register_blueprint(feed)

    private = Blueprint("private", __name__, url_prefix="/private")
    add_echo(private, "/live", opened)
    app.register_blueprint(private)

    headers = {"Origin": "https://evil.example"}
    assert echoes(app, "/feed/live", headers=headers)
    assert echoes(app, "/feed/inner/live", headers=headers)
    assert refused(app, "/private/live", headers=headers).status == 403
    assert opened == ["/live", "/live"]


def test_csrf_protection_off_lets_every_handshake_through(app, opened):
    app.config["CSRF_PROTECTION"] = False
    assert echoes(app, headers={"Origin": "https://evil.example"})
    assert echoes(app, headers={"Sec-Fetch-Site": "cross-site", "Origin": "null"})
    assert opened == ["/ws", "/ws"]


def test_trusted_hosts_still_applies(app, opened):
    app.config["TRUSTED_HOSTS"] = ["example.com"]
    # Origin matches the Host, but the host is not one the app serves.
    denied = refused(app, "ws://evil.example/ws", headers={"Origin": "http://evil.example"})
    assert denied.status == 400
    denied = refused(app, "ws://example.com/ws", headers={"Origin": "http://evil.example"})
    assert denied.status == 403
    assert echoes(app, "ws://example.com/ws", headers={"Origin": "http://example.com"})
    assert opened == ["/ws"]


# -- a real server and a real WebSocket client ---------------------------------------


@pytest.mark.server
@pytest.mark.parametrize("kind", ["uvicorn", "hypercorn"])
def test_real_server_refuses_a_cross_site_handshake(kind, tmp_path):
    process = server_process(
        kind,
        "wsoriginapp:app",
        cwd=tmp_path,
        env=server_env(Path(__file__).resolve().parents[1]),
        log_path=tmp_path / "server.log",
    )
    process.start()
    try:
        url = f"ws://{HOST}:{process.port}/ws"
        with pytest.raises(InvalidStatus) as info:
            connect(url, origin="https://evil.example", open_timeout=5, close_timeout=2)
        assert info.value.response.status_code == 403
        assert b"cross-site WebSocket hijacking" in info.value.response.body

        same = f"http://{HOST}:{process.port}"
        with connect(url, origin=same, open_timeout=5, close_timeout=2) as ws:
            ws.send("ping")
            assert ws.recv(timeout=5) == "ping"

        assert poll_until(lambda: "WebSocket /ws refused: " in process.log(), 5)
        assert "Traceback" not in process.log()
    finally:
        process.stop()
