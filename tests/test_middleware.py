"""ProxyFix: forwarding headers trusted for a configured number of proxies.

First the parsing, bytes in and values out (a WSGI environ and an ASGI scope
through the bare middleware), then the same through erlen under both
protocols, then one real gunicorn behind a pretend proxy.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
import typing as t

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erlen import Erlen, request, session, url_for, websocket
from erlen.middleware import ProxyFix, parse_forwarded

# -- the Forwarded header (RFC 7239) ----------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("for=192.0.2.60", [{"for": "192.0.2.60"}]),
        (
            "for=192.0.2.60;proto=http;by=203.0.113.43",
            [{"for": "192.0.2.60", "proto": "http", "by": "203.0.113.43"}],
        ),
        ('For="[2001:db8:cafe::17]:4711"', [{"for": "[2001:db8:cafe::17]:4711"}]),
        ("for=192.0.2.43, for=198.51.100.17", [{"for": "192.0.2.43"}, {"for": "198.51.100.17"}]),
        ('for="a,b";host="x;y"', [{"for": "a,b", "host": "x;y"}]),  # separators in quotes
        (r'for="a\"b"', [{"for": 'a"b'}]),  # a quoted-pair
        ("for=_hidden, for=unknown", [{"for": "_hidden"}, {"for": "unknown"}]),
        ("for=a , , for=b ;; proto=https", [{"for": "a"}, {"for": "b", "proto": "https"}]),
        ("for=a;for=b, for=c", [None, {"for": "c"}]),  # a repeated parameter spoils its element
        ("", []),
        ('for="unterminated', None),
        ('for="a"b', None),
        ("for=a b", None),
        ("for=é", None),
        ("=a", None),
        ('for="a\nb"', None),
    ],
)
def test_parse_forwarded(header, expected):
    assert parse_forwarded(header) == expected


# -- the bare middleware ------------------------------------------------------


def run_wsgi(fix: dict[str, int], headers: dict[str, str], **environ: t.Any) -> dict[str, t.Any]:
    """Pass a WSGI environ through ProxyFix(**fix); return what the app saw."""
    seen: dict[str, t.Any] = {}

    def app(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        seen.update(environ)
        return [b""]

    base = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/page",
        "REMOTE_ADDR": "10.0.0.2",
        "REMOTE_PORT": "50000",
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "backend:8000",
        "SERVER_NAME": "backend",
        "SERVER_PORT": "8000",
    }
    base.update(environ)
    for name, value in headers.items():
        base["HTTP_" + name.upper().replace("-", "_")] = value
    ProxyFix(app, **fix)(base, lambda *args: None)
    return seen


async def no_receive() -> dict[str, t.Any]:
    raise AssertionError("the app does not receive here")


async def no_send(message: dict[str, t.Any]) -> None:
    raise AssertionError("the app does not send here")


def run_asgi(
    fix: dict[str, int], forwarding: dict[str, str], **scope: t.Any
) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
    """Pass an ASGI scope through ProxyFix(**fix); return (what the app saw, the original)."""
    seen: dict[str, t.Any] = {}

    async def app(scope: dict[str, t.Any], receive: t.Any, send: t.Any) -> None:
        seen.update(scope)

    base: dict[str, t.Any] = {
        "type": "http",
        "scheme": "http",
        "path": "/page",
        "raw_path": b"/page",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"backend:8000")]
        + [(name.lower().encode(), value.encode("latin-1")) for name, value in forwarding.items()],
        "client": ("10.0.0.2", 50000),
        "server": ("backend", 8000),
    }
    base.update(scope)
    original = {**base, "headers": list(base["headers"])}
    asyncio.run(asyncio.wait_for(ProxyFix(app, **fix)(base, no_receive, no_send), 5))
    assert base == original, "ProxyFix changed the server's scope instead of a copy"
    return seen, base


def asgi_host(scope: dict[str, t.Any]) -> str:
    hosts = [value.decode("latin-1") for name, value in scope["headers"] if name == b"host"]
    assert len(hosts) == 1
    return hosts[0]


NO_CHANGE = {"addr": "10.0.0.2", "scheme": "http", "host": "backend:8000", "root": ""}

#: (ProxyFix settings, request headers, what the app should see).
CASES = [
    (
        {},
        {"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"},
        {"addr": "1.2.3.4", "scheme": "https"},
    ),
    ({}, {}, {}),
    ({"x_for": 0, "x_proto": 0}, {"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"}, {}),
    # With N proxies the N-th value from the right; the ones to its left are the client's.
    ({}, {"X-Forwarded-For": "6.6.6.6, 1.2.3.4"}, {"addr": "1.2.3.4"}),
    ({"x_for": 2}, {"X-Forwarded-For": "6.6.6.6, 1.2.3.4, 10.0.0.1"}, {"addr": "1.2.3.4"}),
    ({"x_for": 2}, {"X-Forwarded-For": "1.2.3.4"}, {}),  # a shorter chain: not trusted
    ({"x_proto": 2}, {"X-Forwarded-Proto": "https"}, {}),
    ({}, {"X-Forwarded-For": "2001:db8::1"}, {"addr": "2001:db8::1"}),
    ({}, {"X-Forwarded-For": "[2001:db8::1]:4711"}, {"addr": "2001:db8::1", "port": 4711}),
    ({}, {"X-Forwarded-For": "1.2.3.4:4711"}, {"addr": "1.2.3.4", "port": 4711}),
    ({}, {"X-Forwarded-Proto": "HTTPS"}, {"scheme": "https"}),
    # Malformed values leave the original alone.
    ({}, {"X-Forwarded-For": "not-an-ip"}, {}),
    ({}, {"X-Forwarded-For": "1.2.3.4 5.6.7.8"}, {}),
    ({}, {"X-Forwarded-For": "999.1.1.1"}, {}),
    ({}, {"X-Forwarded-For": "1.2.3.4:99999"}, {}),
    ({}, {"X-Forwarded-For": ""}, {}),
    ({}, {"X-Forwarded-For": "1.2.3.4,"}, {}),
    ({}, {"X-Forwarded-Proto": "ftp"}, {}),
    ({}, {"X-Forwarded-Proto": "javascript"}, {}),
    ({"x_host": 1}, {"X-Forwarded-Host": "example.com"}, {"host": "example.com"}),
    (
        {"x_host": 1},
        {"X-Forwarded-Host": "evil.test, example.com:8443"},
        {"host": "example.com:8443"},
    ),
    ({"x_host": 1}, {"X-Forwarded-Host": "[2001:db8::1]:8080"}, {"host": "[2001:db8::1]:8080"}),
    ({"x_host": 1}, {"X-Forwarded-Host": "exa mple.com"}, {}),
    ({"x_host": 1}, {"X-Forwarded-Host": "example.com/path"}, {}),
    ({"x_host": 1}, {"X-Forwarded-Host": "example.com:port"}, {}),
    ({"x_host": 1}, {"X-Forwarded-Host": "user@example.com"}, {}),
    ({"x_host": 1}, {"X-Forwarded-Host": "[not-ipv6]"}, {}),
    ({"x_host": 1}, {"X-Forwarded-Host": "a" * 300}, {}),
    ({"x_port": 1}, {"X-Forwarded-Port": "8443"}, {"host": "backend:8443"}),
    ({"x_port": 1}, {"X-Forwarded-Port": "80"}, {"host": "backend"}),  # the scheme's default
    (
        {"x_port": 1, "x_proto": 1},
        {"X-Forwarded-Port": "443", "X-Forwarded-Proto": "https"},
        {"host": "backend", "scheme": "https"},
    ),
    ({"x_port": 1}, {"X-Forwarded-Port": "-1"}, {}),
    ({"x_port": 1}, {"X-Forwarded-Port": "0"}, {}),
    (
        {"x_host": 1, "x_port": 1},
        {"X-Forwarded-Host": "example.com:1", "X-Forwarded-Port": "8080"},
        {"host": "example.com:8080"},
    ),
    ({"x_prefix": 1}, {"X-Forwarded-Prefix": "/app"}, {"root": "/app"}),
    ({"x_prefix": 1}, {"X-Forwarded-Prefix": "/app/"}, {"root": "/app"}),
    ({"x_prefix": 1}, {"X-Forwarded-Prefix": "/"}, {}),
    ({"x_prefix": 1}, {"X-Forwarded-Prefix": "app"}, {}),
    ({"x_prefix": 1}, {"X-Forwarded-Prefix": "/a b"}, {}),
    ({"x_prefix": 1}, {"X-Forwarded-Prefix": "/a%0D%0Ab"}, {}),
    ({"x_prefix": 1}, {"X-Forwarded-Prefix": "/a?b"}, {}),
    # Forwarded: the N-th element from the right; it wins over X-Forwarded-*.
    (
        {"forwarded": 1},
        {"Forwarded": 'for="[2001:db8::17]:4711";proto=https;host=example.com'},
        {"addr": "2001:db8::17", "port": 4711, "scheme": "https", "host": "example.com"},
    ),
    (
        {"forwarded": 1, "x_for": 0, "x_proto": 0},
        {"Forwarded": "for=6.6.6.6, for=1.2.3.4"},
        {"addr": "1.2.3.4"},
    ),
    ({"forwarded": 2}, {"Forwarded": "for=1.2.3.4"}, {}),
    (
        {"forwarded": 1},
        {"Forwarded": "for=1.2.3.4", "X-Forwarded-For": "5.6.7.8"},
        {"addr": "1.2.3.4"},
    ),
    # Where Forwarded says nothing usable, a trusted X-Forwarded-* header still counts.
    (
        {"forwarded": 1},
        {"Forwarded": "for=unknown", "X-Forwarded-For": "5.6.7.8"},
        {"addr": "5.6.7.8"},
    ),
    ({"forwarded": 1, "x_for": 0}, {"Forwarded": "for=_hidden;proto=https"}, {"scheme": "https"}),
    ({"forwarded": 1, "x_for": 0}, {"Forwarded": 'for="1.2.3.4:_port"'}, {"addr": "1.2.3.4"}),
    ({"forwarded": 1, "x_for": 0}, {"Forwarded": 'for="1.2.3.4, for=6.6.6.6'}, {}),
    ({"forwarded": 1, "x_for": 0}, {"Forwarded": "for=1.2.3.4;for=6.6.6.6"}, {}),
    ({"forwarded": 1, "x_proto": 0}, {"Forwarded": "proto=gopher"}, {}),
    ({"forwarded": 1}, {"Forwarded": 'host="exa\\"mple"'}, {}),
]


def case_id(case: tuple[dict[str, int], dict[str, str], dict[str, t.Any]]) -> str:
    fix, headers, _ = case
    return (
        ",".join(f"{k}={v}" for k, v in fix.items())
        + "|"
        + "|".join(f"{k}:{v[:30]}" for k, v in headers.items())
    )


@pytest.mark.parametrize(("fix", "headers", "expected"), CASES, ids=[case_id(c) for c in CASES])
def test_wsgi_environ(fix, headers, expected):
    expected = {**NO_CHANGE, **expected}
    seen = run_wsgi(fix, headers)
    assert seen["REMOTE_ADDR"] == expected["addr"]
    if expected["addr"] != NO_CHANGE["addr"]:
        assert seen["REMOTE_PORT"] == str(expected.get("port", 0))
    assert seen["wsgi.url_scheme"] == expected["scheme"]
    assert seen["HTTP_HOST"] == expected["host"]
    assert seen["SCRIPT_NAME"] == expected["root"]
    assert seen["PATH_INFO"] == "/page"
    assert seen["erlen.proxy_fix.orig"] == {
        "REMOTE_ADDR": "10.0.0.2",
        "REMOTE_PORT": "50000",
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "backend:8000",
        "SERVER_NAME": "backend",
        "SERVER_PORT": "8000",
        "SCRIPT_NAME": "",
    }


@pytest.mark.parametrize(("fix", "headers", "expected"), CASES, ids=[case_id(c) for c in CASES])
def test_asgi_scope(fix, headers, expected):
    expected = {**NO_CHANGE, **expected}
    seen, original = run_asgi(fix, headers)
    if expected["addr"] == NO_CHANGE["addr"]:
        assert seen["client"] == ("10.0.0.2", 50000)
    else:
        assert seen["client"] == (expected["addr"], expected.get("port", 0))
    assert seen["scheme"] == expected["scheme"]
    assert asgi_host(seen) == expected["host"]
    assert seen["root_path"] == expected["root"]
    assert seen["path"] == expected["root"] + "/page"
    assert seen["raw_path"] == (expected["root"] + "/page").encode()
    assert seen["erlen.proxy_fix.orig"]["client"] == ("10.0.0.2", 50000)
    assert seen["erlen.proxy_fix.orig"]["host"] == "backend:8000"


def test_host_sets_server_name_and_port():
    seen = run_wsgi(
        {"x_host": 1, "x_proto": 1},
        {"X-Forwarded-Host": "example.com", "X-Forwarded-Proto": "https"},
    )
    assert (seen["SERVER_NAME"], seen["SERVER_PORT"]) == ("example.com", "443")
    seen = run_wsgi({"x_host": 1}, {"X-Forwarded-Host": "example.com:8080"})
    assert (seen["SERVER_NAME"], seen["SERVER_PORT"]) == ("example.com", "8080")
    scope, _ = run_asgi({"x_host": 1}, {"X-Forwarded-Host": "example.com:8080"})
    assert scope["server"] == ("example.com", 8080)
    scope, _ = run_asgi({"x_port": 1}, {"X-Forwarded-Port": "8443"})
    assert scope["server"] == ("backend", 8443)


def test_repeated_header_lines_count_as_one_list():
    # Under ASGI each proxy may add its own header line; they join in order.
    seen, _ = run_asgi(
        {},
        {},
        headers=[
            (b"host", b"backend"),
            (b"x-forwarded-for", b"6.6.6.6"),
            (b"x-forwarded-for", b"1.2.3.4"),
        ],
    )
    assert seen["client"] == ("1.2.3.4", 0)


def test_asgi_prefix_below_an_existing_root_path():
    seen, _ = run_asgi(
        {"x_prefix": 1},
        {"X-Forwarded-Prefix": "/caf%C3%A9"},
        root_path="/old",
        path="/old/page",
        raw_path=b"/old/page",
    )
    assert seen["root_path"] == "/café"
    assert seen["path"] == "/café/page"
    assert seen["raw_path"] == b"/caf%C3%A9/page"


def test_asgi_websocket_scheme_is_ws_or_wss():
    seen, _ = run_asgi({}, {"X-Forwarded-Proto": "https"}, type="websocket", scheme="ws")
    assert seen["scheme"] == "wss"
    seen, _ = run_asgi({}, {"X-Forwarded-Proto": "http"}, type="websocket", scheme="wss")
    assert seen["scheme"] == "ws"


def test_asgi_lifespan_passes_through_unchanged():
    seen: list[t.Any] = []

    async def app(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        seen.append(scope)

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
    asyncio.run(asyncio.wait_for(ProxyFix(app)(scope, no_receive, no_send), 5))
    assert seen == [scope] and seen[0] is scope


def test_a_long_chain_costs_no_more_and_still_trusts_the_last_hops():
    chain = ", ".join(["6.6.6.6"] * 100_000 + ["1.2.3.4"])
    assert run_wsgi({}, {"X-Forwarded-For": chain})["REMOTE_ADDR"] == "1.2.3.4"
    assert run_asgi({}, {"X-Forwarded-For": chain})[0]["client"] == ("1.2.3.4", 0)


def test_asgi_servers_see_a_coroutine_function():
    import inspect

    async def app(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        pass

    assert inspect.iscoroutinefunction(ProxyFix(app).__call__)


@pytest.mark.parametrize("bad", [-1, 1.5, "1", None, True])
def test_hop_counts_must_be_whole_numbers(bad):
    with pytest.raises(ValueError, match="x_host=.*number of proxies"):
        ProxyFix(lambda *args: None, x_host=bad)


HEADER_VALUES = st.one_of(
    st.text(max_size=200),
    st.text(alphabet='0123456789abcdef:.[]_"; ,=\\/%-\t\r\n', max_size=80),
    st.sampled_from(["1.2.3.4", "[::1]:80", "https", "/app", "example.com:8080", 'for="x"']),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.fixed_dictionaries(
        {},
        optional={
            name: HEADER_VALUES
            for name in (
                "Forwarded",
                "X-Forwarded-For",
                "X-Forwarded-Proto",
                "X-Forwarded-Host",
                "X-Forwarded-Port",
                "X-Forwarded-Prefix",
            )
        },
    ),
    hops=st.integers(min_value=1, max_value=3),
)
def test_no_header_value_makes_the_middleware_raise(values, hops):
    values = {name: value.encode("utf-8").decode("latin-1") for name, value in values.items()}
    fix = dict.fromkeys(("x_for", "x_proto", "x_host", "x_port", "x_prefix", "forwarded"), hops)
    seen = run_wsgi(fix, values)
    scope, _ = run_asgi(fix, values)
    # Whatever it made of them, what it passes on is well formed.
    assert seen["wsgi.url_scheme"] in ("http", "https")
    assert scope["scheme"] in ("http", "https")
    for text in (seen["HTTP_HOST"], asgi_host(scope), seen["SCRIPT_NAME"], scope["root_path"]):
        assert not any(char in text for char in " \r\n\t\x00")


# -- through erlen, under WSGI and ASGI --------------------------------------


def proxied(app: Erlen, **fix: int) -> Erlen:
    app.wsgi_app = ProxyFix(app.wsgi_app, **fix)  # type: ignore[method-assign]
    app.asgi_app = ProxyFix(app.asgi_app, **fix)
    return app


def add_views(app: Erlen) -> None:
    app.secret_key = "test secret"

    @app.route("/info")
    def info():
        return {
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
            "is_secure": request.is_secure,
            "host": request.host,
            "root_path": request.root_path,
            "path": request.path,
            "url": request.url,
            "external": url_for("info", _external=True),
            "relative": url_for("info"),
        }

    @app.route("/login")
    def login():
        session["user"] = "ada"
        return "in"

    @app.websocket("/ws")
    async def ws():
        await websocket.send_json(
            {"scheme": request.scheme, "remote_addr": request.remote_addr, "url": websocket.url}
        )


SPOOFED = {
    "X-Forwarded-For": "6.6.6.6",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "evil.test",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": "/evil",
    "Forwarded": "for=6.6.6.6;proto=https;host=evil.test",
}


def test_without_proxyfix_forwarding_headers_are_ignored(app, client):
    add_views(app)
    info = client.get("/info", headers=SPOOFED).json
    assert info == {
        "remote_addr": "127.0.0.1",
        "scheme": "http",
        "is_secure": False,
        "host": "localhost",
        "root_path": "",
        "path": "/info",
        "url": "http://localhost/info",
        "external": "http://localhost/info",
        "relative": "/info",
    }
    assert "Secure" not in client.get("/login", headers=SPOOFED).headers["Set-Cookie"]


def test_one_proxy(app, client):
    add_views(proxied(app))
    headers = {"X-Forwarded-For": "6.6.6.6, 203.0.113.7", "X-Forwarded-Proto": "https"}
    info = client.get("/info", headers=headers).json
    assert info["remote_addr"] == "203.0.113.7"
    assert info["scheme"] == "https"
    assert info["is_secure"] is True
    assert info["url"] == "https://localhost/info"
    assert info["external"] == "https://localhost/info"


def test_host_port_and_prefix(app, client):
    add_views(proxied(app, x_host=1, x_port=1, x_prefix=1))
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "example.com",
        "X-Forwarded-Port": "8443",
        "X-Forwarded-Prefix": "/shop",
    }
    info = client.get("/info", headers=headers).json
    assert info["host"] == "example.com:8443"
    assert info["root_path"] == "/shop"
    assert info["path"] == "/info"
    assert info["url"] == "https://example.com:8443/shop/info"
    assert info["external"] == "https://example.com:8443/shop/info"
    assert info["relative"] == "/shop/info"


def test_prefix_that_looks_like_the_path(app, client):
    # The proxy strips the prefix; a route that starts with the same text is not stripped again.
    add_views(proxied(app, x_prefix=1))

    @app.route("/shop/info")
    def shop_info():
        return {"root": request.root_path, "path": request.path, "url": url_for("shop_info")}

    response = client.get("/shop/info", headers={"X-Forwarded-Prefix": "/shop"})
    assert response.json == {"root": "/shop", "path": "/shop/info", "url": "/shop/shop/info"}


def test_forwarded_header(app, client):
    add_views(proxied(app, x_for=0, x_proto=0, forwarded=1))
    headers = {"Forwarded": 'for=6.6.6.6, for="[2001:db8::7]:4711";proto=https;host=example.com'}
    info = client.get("/info", headers=headers).json
    assert info["remote_addr"] == "2001:db8::7"
    assert info["external"] == "https://example.com/info"


def test_too_few_hops_is_ignored(app, client):
    add_views(proxied(app, x_for=2, x_proto=2, x_host=2))
    headers = {
        "X-Forwarded-For": "6.6.6.6",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.test",
    }
    info = client.get("/info", headers=headers).json
    assert (info["remote_addr"], info["scheme"], info["host"]) == ("127.0.0.1", "http", "localhost")
    headers["X-Forwarded-For"] = "6.6.6.6, 203.0.113.7, 10.0.0.1"
    assert client.get("/info", headers=headers).json["remote_addr"] == "203.0.113.7"


def test_malformed_headers_answer_normally(app, client):
    add_views(proxied(app, x_host=1, x_port=1, x_prefix=1, forwarded=1))
    headers = {
        "X-Forwarded-For": "999.999.1.1",
        "X-Forwarded-Proto": "file",
        "X-Forwarded-Host": "a b",
        "X-Forwarded-Port": "http",
        "X-Forwarded-Prefix": "no-slash",
        "Forwarded": 'for="unterminated',
    }
    response = client.get("/info", headers=headers)
    assert response.status_code == 200
    assert response.json["external"] == "http://localhost/info"
    assert response.json["remote_addr"] == "127.0.0.1"


def test_session_cookie_is_secure_when_the_proxy_says_https(app, client):
    add_views(proxied(app))
    secure = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in secure.headers["Set-Cookie"].split("; ")
    plain = client.get("/login", headers={"X-Forwarded-Proto": "http"})
    assert "Secure" not in plain.headers["Set-Cookie"].split("; ")


def test_websocket_scheme_and_address(app):
    add_views(proxied(app))
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    with app.test_client().websocket("/ws", headers=headers) as ws:
        assert ws.receive_json() == {
            "scheme": "wss",
            "remote_addr": "203.0.113.7",
            "url": "wss://localhost/ws",
        }


# -- a real server ------------------------------------------------------------

REAL_APP = """
    from erlen import Erlen, request
    from erlen.middleware import ProxyFix

    app = Erlen(__name__)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)

    @app.route("/")
    def index():
        return {
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
            "original": request.environ["erlen.proxy_fix.orig"],
        }
"""


@pytest.mark.server
def test_gunicorn_behind_a_proxy(tmp_path):
    from servers import server_env, server_process

    (tmp_path / "proxied_app.py").write_text(textwrap.dedent(REAL_APP))
    # --forwarded-allow-ips='' keeps gunicorn from acting on X-Forwarded-Proto
    # itself (it trusts 127.0.0.1 by default), so ProxyFix alone decides.
    process = server_process(
        "gunicorn",
        "proxied_app:app",
        cwd=tmp_path,
        env=server_env(tmp_path),
        log_path=tmp_path / "server.log",
        options=["--forwarded-allow-ips="],
    )
    process.start()
    try:
        connection = process.connection()
        try:
            connection.request(
                "GET",
                "/",
                headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7", "X-Forwarded-Proto": "https"},
            )
            response = connection.getresponse()
            body = json.loads(response.read())
        finally:
            connection.close()
    finally:
        process.stop()
    assert response.status == 200
    assert body["remote_addr"] == "203.0.113.7"
    assert body["scheme"] == "https"
    # What gunicorn itself passed on: the socket's peer, plain http.
    assert body["original"]["REMOTE_ADDR"] == "127.0.0.1"
    assert body["original"]["wsgi.url_scheme"] == "http"
