"""One request as the test client sends it, for either protocol.

:class:`_Outgoing` holds a request's method, URL, headers and body once,
and gives it as a PEP 3333 environ or as an ASGI connection scope, so a
test sends the same request through WSGI and ASGI. It is built by
:class:`~erlen.testing.EnvironBuilder`, or read back from an environ.
"""

from __future__ import annotations

import io
import sys
import typing as t
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import quote, unquote, unquote_to_bytes

from ..http.hosts import split_host
from ..typing import Message

_ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}
#: Characters left as they are when a path or query string goes into raw ASGI bytes.
_URL_SAFE = "/?:@!$&'()*+,;=%[]~"

#: Environ keys the request itself sets: in ``environ_base`` (defaults) they
#: are overridden, as Werkzeug's builder overrides them.
_BUILT_KEYS = frozenset(
    {
        "REQUEST_METHOD",
        "SCRIPT_NAME",
        "PATH_INFO",
        "QUERY_STRING",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "HTTP_HOST",
        "wsgi.version",
        "wsgi.url_scheme",
        "wsgi.input",
        "wsgi.errors",
        "wsgi.multithread",
        "wsgi.multiprocess",
        "wsgi.run_once",
    }
)


def _latin1(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode()


def _header_key(name: str) -> str:
    key = name.upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key


def _header_name(key: str) -> str | None:
    """The header an environ key stands for (``HTTP_X_ID`` -> ``X-Id``), or ``None``."""
    if key.startswith("HTTP_"):
        key = key[5:]
    elif key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        return None
    return key.replace("_", "-").title()


def environ_host(environ: Mapping[str, t.Any]) -> str:
    """The host (with a port other than the scheme's) a WSGI environ was sent to."""
    host = environ.get("HTTP_HOST")
    if host:
        return str(host)
    host = environ.get("SERVER_NAME", "localhost")
    port = str(environ.get("SERVER_PORT", ""))
    default = "443" if environ.get("wsgi.url_scheme", "http") == "https" else "80"
    return f"{host}:{port}" if port and port != default else str(host)


@dataclass
class _Outgoing:
    """A request as the client sends it: the one source of a WSGI environ and an ASGI scope."""

    method: str
    scheme: str
    host: str  # the URL's authority, such as "localhost" or "example.test:8443"
    root_path: str  # percent-encoded, without a trailing slash
    path: str  # percent-encoded
    query: str
    #: Every header as sent; Host, Content-Type and Content-Length occur at most once.
    headers: list[tuple[str, str]]
    body: bytes
    #: Environ defaults: the request's own values win over these.
    environ_base: Mapping[str, t.Any] | None = None
    #: Environ values that win over the request's own.
    environ_overrides: Mapping[str, t.Any] | None = None
    #: ``wsgi.errors``, ``wsgi.multithread``, ... when the test chose them.
    wsgi: dict[str, t.Any] = field(default_factory=dict)
    #: ``SERVER_PROTOCOL``; its version is the scope's ``http_version``.
    protocol: str = "HTTP/1.1"

    @property
    def server_name(self) -> str:
        return split_host(self.host)[0]

    @property
    def server_port(self) -> str:
        port = split_host(self.host)[1]
        return port or ("443" if self.scheme in ("https", "wss") else "80")

    @property
    def url(self) -> str:
        query = f"?{self.query}" if self.query else ""
        return f"{self.scheme}://{self.host}{self.root_path}{self.path}{query}"

    def with_cookies(self, value: str | None) -> _Outgoing:
        """Return a copy that also sends the cookie jar's ``name=value`` pairs.

        They come after any Cookie header the test gave.
        """
        headers = list(self.headers)
        if value:
            for index in range(len(headers) - 1, -1, -1):
                name, existing = headers[index]
                if name.lower() == "cookie":
                    headers[index] = (name, f"{existing}; {value}")
                    break
            else:
                headers.append(("Cookie", value))
        return replace(self, headers=headers)

    def to_environ(self) -> dict[str, t.Any]:
        """Return the request as a PEP 3333 environ."""
        environ: dict[str, t.Any] = {"REMOTE_ADDR": "127.0.0.1"}
        if self.environ_base:
            environ.update(self.environ_base)
        environ.update(
            {
                "REQUEST_METHOD": self.method,
                "SCRIPT_NAME": unquote_to_bytes(self.root_path).decode("latin-1"),
                "PATH_INFO": unquote_to_bytes(self.path).decode("latin-1"),
                "QUERY_STRING": self.query,
                "SERVER_NAME": self.server_name,
                "SERVER_PORT": self.server_port,
                "SERVER_PROTOCOL": self.protocol,
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": self.scheme,
                "wsgi.input": io.BytesIO(self.body),
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": False,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
            }
        )
        environ.update(self.wsgi)
        sent: dict[str, str] = {}
        for name, value in self.headers:
            key = _header_key(name)
            if key in sent:
                sent[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
            else:
                sent[key] = value
        environ.update(sent)
        if self.environ_overrides:
            environ.update(self.environ_overrides)
        return environ

    def to_scope(self, kind: str = "http") -> Message:
        """Return the request as an ASGI ``http`` or ``websocket`` connection scope.

        Keys of ``environ_base`` and ``environ_overrides`` with an ASGI
        counterpart (``REMOTE_ADDR``, ``SERVER_NAME``, ``HTTP_*``, ...) are
        carried over; others raise ``TypeError``, since the test then
        depends on WSGI.
        """
        method, scheme = self.method, self.scheme
        root_path, path, query = self.root_path, self.path, self.query
        headers = list(self.headers)
        client: tuple[str, int] = ("127.0.0.1", 50000)
        server: tuple[str, int] = (self.server_name, int(self.server_port))
        http_version = self.protocol.partition("/")[2] or "1.1"
        given = {name.lower() for name, _ in headers}
        for key, value in (self.environ_base or {}).items():
            name = _header_name(key)
            if key == "REMOTE_ADDR":
                client = (value, client[1])
            elif key == "REMOTE_PORT":
                client = (client[0], int(value))
            elif key in _BUILT_KEYS:
                continue  # the request's own value wins, as in the environ
            elif name is not None:
                if name.lower() not in given:
                    headers.append((name, value))
            else:
                raise self._no_asgi_counterpart("environ_base", key)
        for key, value in (self.environ_overrides or {}).items():
            name = _header_name(key)
            if key == "REMOTE_ADDR":
                client = (value, client[1])
            elif key == "REMOTE_PORT":
                client = (client[0], int(value))
            elif key == "SERVER_NAME":
                server = (value, server[1])
            elif key == "SERVER_PORT":
                server = (server[0], int(value))
            elif key == "SERVER_PROTOCOL":
                http_version = value.partition("/")[2] or http_version
            elif key == "wsgi.url_scheme":
                scheme = value
            elif key == "REQUEST_METHOD":
                method = value
            elif key == "SCRIPT_NAME":
                root_path = quote(value.encode("latin-1"), safe=_URL_SAFE)
            elif key == "PATH_INFO":
                path = quote(value.encode("latin-1"), safe=_URL_SAFE)
            elif key == "QUERY_STRING":
                query = value
            elif name is not None:
                headers = [pair for pair in headers if pair[0].lower() != name.lower()]
                headers.append((name, value))
            else:
                raise self._no_asgi_counterpart("environ_overrides", key)
        if kind == "websocket":
            scheme = {"http": "ws", "https": "wss"}.get(scheme, scheme)
        full_path = root_path + path
        scope: Message = {
            "type": kind,
            "asgi": dict(_ASGI_VERSION),
            "http_version": http_version,
            "scheme": scheme,
            "path": unquote(full_path),
            "raw_path": quote(full_path, safe=_URL_SAFE).encode("ascii"),
            "query_string": quote(query, safe=_URL_SAFE).encode("ascii"),
            "root_path": unquote(root_path),
            "headers": [
                (name.lower().encode("latin-1"), _latin1(value)) for name, value in headers
            ],
            "client": client,
            "server": server,
            "extensions": {},
        }
        if kind == "http":
            scope["method"] = method
        return scope

    @staticmethod
    def _no_asgi_counterpart(argument: str, key: str) -> TypeError:
        return TypeError(
            f"{argument}[{key!r}] has no ASGI counterpart, so this request cannot be sent "
            "through ASGI. The test depends on WSGI: run it with a WSGI client "
            "(asgi=False), or leave the key out."
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, t.Any], body: bytes | None = None) -> _Outgoing:
        """Read a request back from a WSGI environ (``client.open(environ)``).

        The body is read from ``wsgi.input`` unless given. Keys that are
        not part of the request itself (``REMOTE_ADDR``, an app's own keys)
        are kept as ``environ_overrides``.
        """
        headers: list[tuple[str, str]] = []
        overrides: dict[str, t.Any] = {}
        for key, value in environ.items():
            name = _header_name(key)
            if key == "HTTP_HOST":
                continue
            if name is not None:
                if value != "":
                    headers.append((name, str(value)))
            elif key not in _BUILT_KEYS and not key.startswith(("wsgi.", "asgi.")):
                overrides[key] = value
        scheme = environ.get("wsgi.url_scheme", "http")
        host = environ_host(environ)
        headers.insert(0, ("Host", host))
        if body is None:
            stream = environ.get("wsgi.input")
            length = environ.get("CONTENT_LENGTH")
            if stream is None:
                body = b""
            elif length and str(length).isdigit():
                body = stream.read(int(length))
            else:
                body = stream.read()
        return cls(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            scheme=scheme,
            host=host,
            root_path=quote(environ.get("SCRIPT_NAME", "").encode("latin-1"), safe=_URL_SAFE),
            path=quote((environ.get("PATH_INFO") or "/").encode("latin-1"), safe=_URL_SAFE),
            query=environ.get("QUERY_STRING", ""),
            headers=headers,
            body=body or b"",
            environ_overrides=overrides or None,
        )
