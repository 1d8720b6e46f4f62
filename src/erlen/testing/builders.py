"""The request a test sends, built once: a WSGI environ or an ASGI scope.

:func:`build_environ` and :func:`build_scope` take the request arguments
of :meth:`Client.open <erlen.testing.Client.open>` (``base_url``,
``query_string``, ``headers``, ``data``, ``json``, ...), encode forms and
uploads, and give the same request to either protocol.
"""

from __future__ import annotations

import io
import secrets
import sys
import typing as t
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, unquote_to_bytes, urlencode, urlsplit

from .. import json as _json
from ..http.headers import Headers
from ..http.hosts import split_host
from ..typing import Message

if t.TYPE_CHECKING:
    from ..app import Erlen

__all__ = ["build_environ", "build_scope"]

_ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}
#: Characters left as they are when a path or query string goes into raw ASGI bytes.
_URL_SAFE = "/?:@!$&'()*+,;=%[]~"


def _is_file(value: t.Any) -> bool:
    return hasattr(value, "read") or (
        isinstance(value, tuple) and len(value) >= 2 and hasattr(value[0], "read")
    )


def _encode_multipart(fields: list[tuple[str, t.Any]]) -> tuple[bytes, str]:
    boundary = "erlen-" + secrets.token_hex(16)
    out = io.BytesIO()
    for name, value in fields:
        out.write(f"--{boundary}\r\n".encode())
        quoted = name.replace('"', "%22")
        if _is_file(value):
            if isinstance(value, tuple):
                stream, filename, *rest = value
                content_type = rest[0] if rest else "application/octet-stream"
            else:
                stream = value
                filename = getattr(value, "name", "upload")
                content_type = "application/octet-stream"
            filename = str(filename).replace("\\", "/").rsplit("/", 1)[-1].replace('"', "%22")
            out.write(
                f'Content-Disposition: form-data; name="{quoted}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode()
            )
            content = stream.read()
            out.write(content.encode() if isinstance(content, str) else content)
        else:
            out.write(f'Content-Disposition: form-data; name="{quoted}"\r\n\r\n'.encode())
            out.write(value.encode() if isinstance(value, str) else bytes(value))
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _form_pairs(data: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]]) -> list[tuple[str, t.Any]]:
    pairs: list[tuple[str, t.Any]] = []
    items = data.items() if isinstance(data, Mapping) else data
    for key, value in items:
        if isinstance(value, list):
            pairs.extend((key, item) for item in value)
        else:
            pairs.append((key, value))
    return pairs


def _latin1(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode()


# -- one request, two protocols ------------------------------------------------


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
    environ_base: Mapping[str, t.Any] | None = None

    @property
    def server_name(self) -> str:
        return split_host(self.host)[0]

    @property
    def server_port(self) -> str:
        port = split_host(self.host)[1]
        return port or ("443" if self.scheme in ("https", "wss") else "80")

    def add_cookies(self, value: str) -> None:
        """Send the cookie jar's ``name=value`` pairs, after any Cookie header given."""
        for index in range(len(self.headers) - 1, -1, -1):
            name, existing = self.headers[index]
            if name.lower() == "cookie":
                self.headers[index] = (name, f"{existing}; {value}")
                return
        self.headers.append(("Cookie", value))

    def to_environ(self) -> dict[str, t.Any]:
        """Return the request as a PEP 3333 environ."""
        environ: dict[str, t.Any] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": unquote_to_bytes(self.root_path).decode("latin-1"),
            "PATH_INFO": unquote_to_bytes(self.path).decode("latin-1"),
            "QUERY_STRING": self.query,
            "SERVER_NAME": self.server_name,
            "SERVER_PORT": self.server_port,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.scheme,
            "wsgi.input": io.BytesIO(self.body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers:
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            if key in environ:
                environ[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
            else:
                environ[key] = value
        if self.environ_base:
            environ.update(self.environ_base)
        return environ

    def to_scope(self, kind: str = "http") -> Message:
        """Return the request as an ASGI ``http`` or ``websocket`` connection scope.

        ``environ_base`` keys with an ASGI counterpart (``REMOTE_ADDR``,
        ``SERVER_NAME``, ``HTTP_*``, ...) are carried over; others raise
        ``TypeError``, since the test then depends on WSGI.
        """
        scheme = self.scheme
        if kind == "websocket":
            scheme = {"http": "ws", "https": "wss"}.get(scheme, scheme)
        full_path = self.root_path + self.path
        headers = list(self.headers)
        client: tuple[str, int] = ("127.0.0.1", 50000)
        server: tuple[str, int] = (self.server_name, int(self.server_port))
        http_version = "1.1"
        for key, value in (self.environ_base or {}).items():
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
            elif key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                name = key.removeprefix("HTTP_").replace("_", "-").lower()
                headers = [pair for pair in headers if pair[0].lower() != name]
                headers.append((name, value))
            else:
                raise TypeError(
                    f"environ_base[{key!r}] has no ASGI counterpart, so this request cannot "
                    "be sent through ASGI. The test depends on WSGI: run it with a WSGI "
                    "client (asgi=False)."
                )
        scope: Message = {
            "type": kind,
            "asgi": dict(_ASGI_VERSION),
            "http_version": http_version,
            "scheme": scheme,
            "path": unquote(full_path),
            "raw_path": quote(full_path, safe=_URL_SAFE).encode("ascii"),
            "query_string": quote(self.query, safe=_URL_SAFE).encode("ascii"),
            "root_path": unquote(self.root_path),
            "headers": [
                (name.lower().encode("latin-1"), _latin1(value)) for name, value in headers
            ],
            "client": client,
            "server": server,
            "extensions": {},
        }
        if kind == "http":
            scope["method"] = self.method
        return scope


def _build_request(
    path: str = "/",
    base_url: str | None = None,
    query_string: str | bytes | Mapping[str, t.Any] | None = None,
    method: str = "GET",
    headers: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | None = None,
    data: t.Any = None,
    json: t.Any = None,
    content_type: str | None = None,
    environ_base: Mapping[str, t.Any] | None = None,
    **kwargs: t.Any,
) -> _Outgoing:
    if kwargs:
        raise TypeError(f"Unknown request argument(s): {', '.join(sorted(kwargs))}.")
    parts = urlsplit(path)
    base = urlsplit(base_url or "http://localhost/")
    scheme = parts.scheme or base.scheme or "http"
    host = parts.netloc or base.netloc or "localhost"
    if query_string is None:
        query = parts.query
    elif isinstance(query_string, bytes):
        query = query_string.decode("latin-1")
    elif isinstance(query_string, str):
        query = query_string
    else:
        query = urlencode(_form_pairs(query_string))
    request_headers = Headers(headers or ())
    body = b""
    if json is not None:
        if data is not None:
            raise TypeError("Pass data= or json=, not both.")
        body = _json.dumps_bytes(json)
        content_type = content_type or "application/json"
    elif isinstance(data, (bytes, bytearray)):
        body = bytes(data)
    elif isinstance(data, str):
        body = data.encode()
    elif hasattr(data, "read"):
        body = data.read()
    elif data is not None:
        pairs = _form_pairs(data)
        if any(_is_file(value) for _, value in pairs):
            body, form_type = _encode_multipart(pairs)
        else:
            body = urlencode([(k, str(v)) for k, v in pairs]).encode()
            form_type = "application/x-www-form-urlencoded"
        content_type = content_type or request_headers.get("Content-Type") or form_type
    content_type = content_type or request_headers.get("Content-Type")
    method = method.upper()
    length = str(len(body)) if body or method in ("POST", "PUT", "PATCH") else None
    sent: list[tuple[str, str]] = [("Host", host)]
    for name, value in request_headers:
        lower = name.lower()
        if lower == "host":
            sent[0] = (name, value)
        elif lower == "content-length":
            length = value  # the test's own value wins, even a wrong one
        elif lower != "content-type":  # the content_type argument (or the first one) wins
            sent.append((name, value))
    if content_type:
        sent.insert(1, ("Content-Type", content_type))
    if length is not None:
        sent.insert(1, ("Content-Length", length))
    return _Outgoing(
        method=method,
        scheme=scheme,
        host=host,
        root_path=base.path.rstrip("/"),
        path=parts.path or "/",
        query=query,
        headers=sent,
        body=body,
        environ_base=environ_base,
    )


def build_environ(app: Erlen | None = None, path: str = "/", **kwargs: t.Any) -> dict[str, t.Any]:
    """Return a WSGI environ for a request, as the test client sends it.

    Takes the request arguments of :meth:`Client.open`: ``base_url``,
    ``query_string``, ``method``, ``headers``, ``data``, ``json``,
    ``content_type`` and ``environ_base``.
    """
    return _build_request(path, **kwargs).to_environ()


def build_scope(app: Erlen | None = None, path: str = "/", **kwargs: t.Any) -> Message:
    """Return an ASGI HTTP scope for a request, as the test client sends it.

    Takes the same arguments as :func:`build_environ`. The body is not part
    of a scope: the client sends it through ``receive()``.
    """
    return _build_request(path, **kwargs).to_scope()
