"""TRUSTED_HOSTS: requests for other hosts are refused with 400."""

from __future__ import annotations

import pytest

from erlen import Erlen, url_for
from erlen.http.hosts import host_is_trusted


@pytest.mark.parametrize(
    ("host", "trusted", "expected"),
    [
        ("example.com", ["example.com"], True),
        ("EXAMPLE.com", ["example.com"], True),
        ("example.com.", ["example.com"], True),
        ("example.com:8443", ["example.com"], True),
        ("www.example.com", ["example.com"], False),
        ("www.example.com", [".example.com"], True),
        ("a.b.example.com", [".example.com"], True),
        ("example.com", [".example.com"], True),
        ("badexample.com", [".example.com"], False),
        ("example.com.evil.test", ["example.com"], False),
        ("[::1]:5000", ["[::1]"], True),
        ("[::1]", ["[::1]"], True),
        ("127.0.0.1:80", ["127.0.0.1"], True),
        ("evil.test", [], False),
        ("example.com/path", ["example.com"], False),
        ("example.com\r\nX: y", ["example.com"], False),
        ("exa mple.com", ["exa mple.com"], False),
        ("", ["example.com"], False),
        ("user@example.com", ["example.com"], False),
        ("example.com:", ["example.com"], False),
        ("example.com:0", ["example.com"], False),
        ("example.com:65536", ["example.com"], False),
        ("[::zz]", ["[::zz]"], False),
        ("[2001:DB8::1]:443", ["[2001:db8::1]"], True),
        ("exam%70le.com", ["exam%70le.com"], False),
    ],
)
def test_host_is_trusted(host, trusted, expected):
    assert host_is_trusted(host, trusted) is expected


@pytest.fixture
def app(app: Erlen) -> Erlen:
    app.config["TRUSTED_HOSTS"] = ["example.com", ".example.org"]

    @app.route("/")
    def index():
        return "home"

    @app.route("/link")
    def link():
        return url_for("index", _external=True)

    return app


def test_trusted_hosts_are_served(client):
    assert client.get("/", headers={"Host": "example.com"}).text == "home"
    assert client.get("/", headers={"Host": "shop.example.org:8080"}).text == "home"
    assert client.get("/link", headers={"Host": "example.com"}).text == "http://example.com/"


@pytest.mark.parametrize("host", ["evil.test", "example.com.evil.test", "localhost"])
def test_other_hosts_are_refused_with_400(client, host):
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 400
    assert "TRUSTED_HOSTS" in response.text
    # Even a URL that does not exist: the host is checked before routing.
    assert client.get("/nowhere", headers={"Host": host}).status_code == 400


def test_the_refusal_escapes_the_host(client):
    response = client.get("/", headers={"Host": "<b>x</b>"})
    assert response.status_code == 400
    assert "<b>" not in response.text


def test_no_setting_means_any_host(app, client):
    app.config["TRUSTED_HOSTS"] = None
    assert client.get("/", headers={"Host": "anything.test"}).text == "home"


def test_an_empty_list_trusts_no_host(app, client):
    app.config["TRUSTED_HOSTS"] = []
    assert client.get("/", headers={"Host": "example.com"}).status_code == 400


def test_websockets_are_checked_too(app):
    from erlen import websocket
    from erlen.testing import WebSocketDenied

    @app.websocket("/ws")
    async def ws():
        await websocket.accept()
        await websocket.send("hi")

    client = app.test_client()
    with client.websocket("/ws", headers={"Host": "example.com"}) as session:
        assert session.receive() == "hi"
    with pytest.raises(WebSocketDenied) as denied:
        with client.websocket("/ws", headers={"Host": "evil.test"}):
            pass
    assert denied.value.status == 400
