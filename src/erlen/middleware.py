"""Middleware for deployment: :class:`ProxyFix` for an app behind reverse proxies.

A reverse proxy connects to the app itself, so the app sees the proxy's
address, scheme and host unless it reads what the proxy forwarded
(``X-Forwarded-For``, ``X-Forwarded-Proto``, ..., or RFC 7239 ``Forwarded``).
Any client can send those headers too, so they are trusted only as far as
the configuration says proxies set them. erlen itself never reads them.
"""

from __future__ import annotations

import ipaddress
import re
import typing as t
from urllib.parse import quote_from_bytes, unquote_to_bytes

from .http.hosts import parse_host, parse_port, split_host
from .http.scope import app_path

if t.TYPE_CHECKING:
    from collections.abc import Callable, MutableMapping

__all__ = ["ProxyFix", "parse_forwarded"]

#: The environ key (WSGI) and scope key (ASGI) that keep the values ProxyFix replaced.
ORIGINAL_KEY = "erlen.proxy_fix.orig"

_WSGI_KEYS = (
    "REMOTE_ADDR",
    "REMOTE_PORT",
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
)
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_HEADERS = {
    "forwarded": b"forwarded",
    "x_for": b"x-forwarded-for",
    "x_proto": b"x-forwarded-proto",
    "x_host": b"x-forwarded-host",
    "x_port": b"x-forwarded-port",
    "x_prefix": b"x-forwarded-prefix",
}
_CGI_NAMES = {
    key: "HTTP_" + name.decode().upper().replace("-", "_") for key, name in _HEADERS.items()
}

# -- values ------------------------------------------------------------------

# RFC 3986 §3.3 path: "/" and pchar (unreserved, pct-encoded, sub-delims, ":", "@").
_PATH = re.compile(r"(?:/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*){1,64}")
_MAX_PREFIX = 2048


def _parse_node(text: str) -> tuple[str, int | None] | None:
    """Return ``(address, port)`` for a client address, with or without a port.

    Takes ``192.0.2.1``, ``192.0.2.1:4711``, ``2001:db8::1``, ``[2001:db8::1]``
    and ``[2001:db8::1]:4711``. An obfuscated port (RFC 7239 §6.3,
    ``_hidden``) counts as none; any other text is ``None``.
    """
    port_text = None
    if text.startswith("["):
        address, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else None
        try:
            return str(ipaddress.IPv6Address(address)), _parse_node_port(port_text)
        except ValueError:
            return None
    if text.count(":") == 1:
        text, _, port_text = text.partition(":")
    try:
        address_object = ipaddress.ip_address(text)
    except ValueError:
        return None
    if port_text is not None and address_object.version == 6:
        return None
    try:
        return str(address_object), _parse_node_port(port_text)
    except ValueError:
        return None


def _parse_node_port(text: str | None) -> int | None:
    if text is None:
        return None
    if text.startswith("_") and _OBFUSCATED.fullmatch(text):
        return None
    port = parse_port(text)
    if port is None:
        raise ValueError("not a port")
    return port


_OBFUSCATED = re.compile(r"_[A-Za-z0-9._-]{1,64}")


def _parse_proto(text: str) -> str | None:
    text = text.lower()
    return text if text in ("http", "https") else None


def _parse_prefix(text: str) -> bytes | None:
    """Return the decoded bytes of a mount point such as ``/app``, without a trailing slash."""
    if len(text) > _MAX_PREFIX or not _PATH.fullmatch(text):
        return None
    prefix = unquote_to_bytes(text.rstrip("/"))
    if any(byte < 0x20 or byte == 0x7F for byte in prefix):
        return None  # %0A and friends: never part of a path the app builds on
    try:
        prefix.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return prefix


# -- the headers -------------------------------------------------------------


def _trusted(value: str | None, hops: int) -> str | None:
    """Return the ``hops``-th entry from the right of a comma-separated list.

    ``None`` when the list has fewer entries, so a chain shorter than the
    configured one is not trusted. Only the last ``hops`` entries are
    split off, so a long list costs no more than a short one.
    """
    if not value or hops <= 0:
        return None
    entries = value.rsplit(",", hops)
    if len(entries) < hops:
        return None
    return entries[-hops].strip(" \t") or None


# RFC 7239 §4 and RFC 9110 §5.6: token, quoted-string, and the list separators.
# The OWS after a pair sits inside the optional group: two OWS runs side by
# side would split a run of spaces every possible way (quadratic; issue 15).
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_FORWARDED_PART = re.compile(
    rf'[ \t]*(?:({_TOKEN})=(?:({_TOKEN})|"((?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[\t\x20-\x7e\x80-\xff])*)")'
    r"[ \t]*)?([;,]|\Z)"
)
_QUOTED_PAIR = re.compile(r"\\(.)")


def parse_forwarded(value: str) -> list[dict[str, str] | None] | None:
    """Parse a ``Forwarded`` header (RFC 7239) into one dict per element.

    Each element maps lowercase parameter names (``for``, ``proto``,
    ``host``, ``by``) to their unquoted values. An element that repeats a
    parameter is ``None``, so it can be told apart from an empty one.
    Returns ``None`` when the header as a whole cannot be parsed (an
    unterminated quote, a stray character), since then no element
    boundary can be trusted.

    >>> parse_forwarded('for=192.0.2.60;proto=http, for="[2001:db8::1]:4711"')
    [{'for': '192.0.2.60', 'proto': 'http'}, {'for': '[2001:db8::1]:4711'}]
    """
    elements: list[dict[str, str] | None] = []
    element: dict[str, str] | None = {}
    position = 0
    end = len(value)
    while True:
        match = _FORWARDED_PART.match(value, position)
        if match is None:
            return None
        name, token, quoted, separator = match.groups()
        if name is not None and element is not None:
            name = name.lower()
            if name in element:
                element = None  # RFC 7239 §4: a parameter occurs once per element
            else:
                element[name] = token if token is not None else _QUOTED_PAIR.sub(r"\1", quoted)
        position = match.end()
        if separator != ";":
            if element != {}:  # RFC 9110 §5.6.1: empty list elements are not counted
                elements.append(element)
            element = {}
        if not separator:
            return elements if position == end else None


class _Found(t.NamedTuple):
    """What the trusted headers say; ``None`` where they say nothing usable."""

    client: tuple[str, int | None] | None
    proto: str | None
    host: tuple[str, tuple[str, int | None]] | None  # the text and its parts
    port: int | None
    prefix: bytes | None


# -- the middleware ----------------------------------------------------------


class ProxyFix:
    """Middleware that trusts forwarding headers set by a known number of proxies.

    Wrap the app's WSGI or ASGI callable (or both)::

        from erlen.middleware import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
        app.asgi_app = ProxyFix(app.asgi_app, x_for=1, x_proto=1)

    Each number says how many proxies in front of the app set (or append
    to) that header; 0 ignores it. With ``n`` proxies, the ``n``-th value
    from the right is the one the outermost proxy wrote; a header with
    fewer values than that is ignored. ``forwarded`` counts proxies setting
    RFC 7239 ``Forwarded``; where it gives a usable ``for``, ``proto`` or
    ``host`` it wins over the ``X-Forwarded-*`` header. A value that is not
    a valid address, scheme, host, port or path is ignored, never an error.

    Under WSGI it rewrites ``REMOTE_ADDR`` (and ``REMOTE_PORT``),
    ``wsgi.url_scheme``, ``HTTP_HOST``, ``SERVER_NAME``, ``SERVER_PORT``
    and ``SCRIPT_NAME``, keeping the values it found in
    ``environ["erlen.proxy_fix.orig"]``. Under ASGI it passes on a copy of
    the scope with ``client``, ``scheme``, the ``host`` header, ``server``,
    ``root_path`` and ``path`` rewritten, and the originals in
    ``scope["erlen.proxy_fix.orig"]``.

    :param x_for: proxies setting ``X-Forwarded-For`` (the client address).
    :param x_proto: proxies setting ``X-Forwarded-Proto`` (``http``/``https``).
    :param x_host: proxies setting ``X-Forwarded-Host``.
    :param x_port: proxies setting ``X-Forwarded-Port``.
    :param x_prefix: proxies setting ``X-Forwarded-Prefix`` (where the app is
        mounted, such as ``/app``; the proxy strips it from the path).
    :param forwarded: proxies setting ``Forwarded``.
    """

    def __init__(
        self,
        app: Callable[..., t.Any],
        x_for: int = 1,
        x_proto: int = 1,
        x_host: int = 0,
        x_port: int = 0,
        x_prefix: int = 0,
        forwarded: int = 0,
    ) -> None:
        self.app = app
        self.hops = {
            "forwarded": forwarded,
            "x_for": x_for,
            "x_proto": x_proto,
            "x_host": x_host,
            "x_port": x_port,
            "x_prefix": x_prefix,
        }
        for name, hops in self.hops.items():
            if not isinstance(hops, int) or isinstance(hops, bool) or hops < 0:
                raise ValueError(
                    f"ProxyFix({name}={hops!r}) is not a number of proxies. Pass how many "
                    f"proxies in front of the app set that header (0 to ignore it)."
                )
        self._names = tuple(name for name, hops in self.hops.items() if hops)
        # ASGI servers that inspect ``__call__`` see a coroutine function (as for Erlen);
        # calling the instance still goes through the class's __call__, which serves WSGI too.
        self.__dict__["__call__"] = self._asgi_entry

    def __repr__(self) -> str:
        settings = ", ".join(f"{name}={hops}" for name, hops in self.hops.items())
        return f"<ProxyFix {settings} around {self.app!r}>"

    def __call__(self, a: t.Any, b: t.Any, c: t.Any = None) -> t.Any:
        """Serve one request: ``(environ, start_response)`` or ``(scope, receive, send)``.

        Called with three arguments (ASGI) it returns the coroutine to await.
        """
        if c is None:
            return self.app(self._fix_environ(a), b)
        return self._serve_asgi(a, b, c)

    async def _asgi_entry(self, scope: t.Any, receive: t.Any, send: t.Any) -> None:
        await self._serve_asgi(scope, receive, send)

    async def _serve_asgi(self, scope: t.Any, receive: t.Any, send: t.Any) -> None:
        if scope.get("type") in ("http", "websocket"):
            scope = self._fix_scope(scope)
        await self.app(scope, receive, send)

    # -- reading ---------------------------------------------------------

    def _find(self, get: Callable[[str], str | None]) -> _Found:
        """Read the trusted headers through ``get`` (a setting name to a header value)."""
        hops = self.hops
        client = proto = host = port = prefix = None
        if hops["forwarded"]:
            text = get("forwarded")
            elements = parse_forwarded(text) if text and len(text) <= 65536 else None
            if elements and len(elements) >= hops["forwarded"]:
                element = elements[-hops["forwarded"]]
                if element:
                    if "for" in element:
                        client = _parse_node(element["for"])
                    if "proto" in element:
                        proto = _parse_proto(element["proto"])
                    if "host" in element:
                        parts = parse_host(element["host"])
                        host = None if parts is None else (element["host"], parts)
        if client is None and hops["x_for"]:
            text = _trusted(get("x_for"), hops["x_for"])
            client = None if text is None else _parse_node(text)
        if proto is None and hops["x_proto"]:
            text = _trusted(get("x_proto"), hops["x_proto"])
            proto = None if text is None else _parse_proto(text)
        if host is None and hops["x_host"]:
            text = _trusted(get("x_host"), hops["x_host"])
            parts = None if text is None else parse_host(text)
            host = None if text is None or parts is None else (text, parts)
        if hops["x_port"]:
            text = _trusted(get("x_port"), hops["x_port"])
            port = None if text is None else parse_port(text)
        if hops["x_prefix"]:
            text = _trusted(get("x_prefix"), hops["x_prefix"])
            prefix = None if text is None else _parse_prefix(text)
        return _Found(client, proto, host, port, prefix)

    # -- WSGI ------------------------------------------------------------

    def _fix_environ(self, environ: dict[str, t.Any]) -> dict[str, t.Any]:
        environ[ORIGINAL_KEY] = {key: environ.get(key) for key in _WSGI_KEYS}

        def get(name: str) -> str | None:
            value = environ.get(_CGI_NAMES[name])
            return value if isinstance(value, str) else None

        found = self._find(get)
        if found.client is not None:
            environ["REMOTE_ADDR"], client_port = found.client
            environ["REMOTE_PORT"] = str(client_port or 0)
        if found.proto is not None:
            environ["wsgi.url_scheme"] = found.proto
        scheme = str(environ.get("wsgi.url_scheme", "http"))
        if found.host is not None:
            text, (name, port) = found.host
            environ["HTTP_HOST"] = text
            environ["SERVER_NAME"] = name
            environ["SERVER_PORT"] = str(port or _DEFAULT_PORTS.get(scheme, 80))
        if found.port is not None:
            current = environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "localhost"
            environ["HTTP_HOST"] = _with_port(current, found.port, scheme)
            environ["SERVER_PORT"] = str(found.port)
        if found.prefix is not None:
            environ["SCRIPT_NAME"] = found.prefix.decode("latin-1")
        return environ

    # -- ASGI ------------------------------------------------------------

    def _fix_scope(self, scope: MutableMapping[str, t.Any]) -> dict[str, t.Any]:
        wanted = {_HEADERS[name]: name for name in self._names}
        values: dict[str, str] = {}
        host_header: bytes | None = None
        for raw_name, raw_value in scope.get("headers") or ():
            if raw_name == b"host":
                host_header = raw_value
            name = wanted.get(raw_name)
            if name is not None:
                value = raw_value.decode("latin-1")
                values[name] = f"{values[name]}, {value}" if name in values else value
        found = self._find(values.get)
        fixed = dict(scope)
        fixed[ORIGINAL_KEY] = {
            "client": scope.get("client"),
            "scheme": scope.get("scheme"),
            "host": None if host_header is None else host_header.decode("latin-1"),
            "server": scope.get("server"),
            "root_path": scope.get("root_path"),
            "path": scope.get("path"),
            "raw_path": scope.get("raw_path"),
        }
        websocket = scope.get("type") == "websocket"
        if found.client is not None:
            address, client_port = found.client
            fixed["client"] = (address, client_port or 0)
        if found.proto is not None:
            fixed["scheme"] = (
                {"http": "ws", "https": "wss"}[found.proto] if websocket else found.proto
            )
        scheme = str(fixed.get("scheme") or ("ws" if websocket else "http"))
        host = None
        if found.host is not None:
            host, (name, port) = found.host
            fixed["server"] = (name, port or _DEFAULT_PORTS.get(scheme, 80))
        if found.port is not None:
            if host is None:
                server = fixed.get("server")
                if host_header is not None:
                    host = host_header.decode("latin-1")
                elif server:
                    host = str(server[0])
                else:
                    host = "localhost"
            host = _with_port(host, found.port, scheme)
            server = fixed.get("server")
            fixed["server"] = (server[0] if server else split_host(host)[0], found.port)
        if host is not None:
            headers = [pair for pair in scope.get("headers") or () if pair[0] != b"host"]
            headers.insert(0, (b"host", host.encode("latin-1")))
            fixed["headers"] = headers
        if found.prefix is not None:
            _set_root_path(fixed, found.prefix)
        return fixed


def _with_port(host: str, port: int, scheme: str) -> str:
    """Return ``host`` with its port replaced by ``port`` (left out when it is the default)."""
    name = split_host(host)[0]
    return name if port == _DEFAULT_PORTS.get(scheme) else f"{name}:{port}"


def _set_root_path(scope: dict[str, t.Any], prefix: bytes) -> None:
    """Mount the scope at ``prefix``: ``root_path`` is it, ``path`` starts with it (ASGI 2.4)."""
    root: str = scope.get("root_path") or ""
    path = app_path(scope)
    new_root = prefix.decode("utf-8")
    scope["root_path"] = new_root
    scope["path"] = new_root + path
    raw = scope.get("raw_path")
    if raw:
        raw_root = root.encode("utf-8")
        if raw_root and raw.startswith(raw_root):
            raw = raw[len(raw_root) :] or b"/"
        scope["raw_path"] = quote_from_bytes(prefix, safe="/!$&'()*+,;=:@").encode("ascii") + raw
