"""The test client: requests sent to the app in-process, no sockets.

::

    client = app.test_client()
    response = client.post("/login", data={"name": "ada"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Welcome" in response.text
"""

from __future__ import annotations

import io
import secrets
import sys
import typing as t
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from urllib.parse import unquote_to_bytes, urlencode, urlsplit

import click
from click.testing import CliRunner, Result

from . import json as _json
from .cli import ScriptInfo
from .headers import Headers
from .http import parse_date
from .response import Response

if t.TYPE_CHECKING:
    from .app import Erlen

__all__ = ["Client", "ErlenCliRunner", "TestResponse", "build_environ"]

_REDIRECTS = (301, 302, 303, 305, 307, 308)


class TestResponse(Response):
    """A response as the test client saw it, with ``request`` and ``history``."""

    __test__ = False  # not a pytest test class
    default_mimetype = None

    request: t.Any = None
    history: tuple[TestResponse, ...] = ()


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


def build_environ(
    app: Erlen | None = None,
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
) -> dict[str, t.Any]:
    """Return a WSGI environ for a request, as the test client sends it."""
    if kwargs:
        raise TypeError(f"Unknown request argument(s): {', '.join(sorted(kwargs))}.")
    parts = urlsplit(path)
    base = urlsplit(base_url or "http://localhost/")
    scheme = parts.scheme or base.scheme or "http"
    host = parts.netloc or base.netloc or "localhost"
    script_name = base.path.rstrip("/")
    raw_path = parts.path or "/"
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
    host_name, _, port = host.partition(":")
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": method.upper(),
        "SCRIPT_NAME": unquote_to_bytes(script_name).decode("latin-1"),
        "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": host_name,
        "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": host,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body or method.upper() in ("POST", "PUT", "PATCH"):
        environ["CONTENT_LENGTH"] = str(len(body))
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    for name, value in request_headers:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ.setdefault(key, value) if key == "CONTENT_TYPE" else environ.update(
                {key: value}
            )
            continue
        key = "HTTP_" + key
        if key in environ and key != "HTTP_HOST":
            environ[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
        else:
            environ[key] = value
    if environ_base:
        environ.update(environ_base)
    return environ


class _Cookie(t.NamedTuple):
    value: str
    path: str
    domain: str
    secure: bool = False
    host_only: bool = True

    def matches(self, host: str, path: str, https: bool) -> bool:
        """Whether a browser would send this cookie (RFC 6265 §5.4)."""
        if self.secure and not https:
            return False
        if self.host_only:
            if host != self.domain:
                return False
        elif host != self.domain and not host.endswith("." + self.domain):
            return False
        return path == self.path or path.startswith(self.path.rstrip("/") + "/")


class Client:
    """Send requests to an app in-process and read its responses.

    Cookies set by responses are sent back on later requests, as a browser
    does (``use_cookies=False`` turns that off).
    """

    __test__ = False

    def __init__(self, app: Erlen, use_cookies: bool = True, **defaults: t.Any) -> None:
        self.app = app
        #: The WSGI callable requests go to (tests may wrap it, e.g. in a validator).
        self.application: t.Callable[..., t.Any] = app
        self.use_cookies = use_cookies
        self.defaults = defaults
        self._cookies: dict[tuple[str, str, str], _Cookie] = {}

    # -- cookies ---------------------------------------------------------

    def get_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> _Cookie | None:
        """Return the stored cookie ``key`` (with ``.value``), or ``None``."""
        return self._cookies.get((domain, path, key))

    def set_cookie(
        self, key: str, value: str = "", domain: str = "localhost", path: str = "/"
    ) -> None:
        """Store a cookie to send with later requests."""
        self._cookies[(domain, path, key)] = _Cookie(value, path, domain)

    def delete_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> None:
        self._cookies.pop((domain, path, key), None)

    def _cookie_header(self, environ: dict[str, t.Any]) -> str | None:
        host = environ["SERVER_NAME"]
        path = environ["PATH_INFO"] or "/"
        https = environ["wsgi.url_scheme"] == "https"
        pairs = [
            f"{name}={cookie.value}"
            for (_, _, name), cookie in sorted(
                self._cookies.items(), key=lambda item: -len(item[0][1])
            )
            if cookie.matches(host, path, https)
        ]
        return "; ".join(pairs) or None

    def _store_cookies(self, response: Response, environ: dict[str, t.Any]) -> None:
        now = datetime.now(timezone.utc)
        for header in response.headers.getlist("Set-Cookie"):
            first, *attributes = header.split(";")
            name, sep, value = first.partition("=")
            name = name.strip()
            if not sep or not name:
                continue
            path, domain, expired = "/", environ["SERVER_NAME"], False
            secure, host_only = False, True
            for attribute in attributes:
                key, _, attribute_value = attribute.strip().partition("=")
                key = key.lower()
                if key == "path" and attribute_value:
                    path = attribute_value
                elif key == "domain" and attribute_value:
                    domain = attribute_value.lstrip(".").lower()
                    host_only = False
                elif key == "secure":
                    secure = True
                elif key == "max-age":
                    expired = not attribute_value.strip().isdigit() or int(attribute_value) <= 0
                elif key == "expires":
                    when = parse_date(attribute_value)
                    expired = expired or (when is not None and when <= now)
            if expired:
                self._cookies.pop((domain, path, name), None)
            else:
                self._cookies[(domain, path, name)] = _Cookie(
                    value.strip(), path, domain, secure, host_only
                )

    # -- requests --------------------------------------------------------

    def open(
        self,
        path: str = "/",
        method: str = "GET",
        *,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        """Send a request and return the response (see :func:`build_environ`)."""
        options = {**self.defaults, **kwargs}
        response = self._send(path, method, options)
        history: list[TestResponse] = []
        while follow_redirects and response.status_code in _REDIRECTS:
            if len(history) >= 20:
                raise RuntimeError(
                    f"Followed 20 redirects from {path!r} without reaching a page: the app "
                    "redirects in a loop."
                )
            history.append(response)
            location = response.headers.get("Location", "")
            target = urlsplit(location)
            next_path = (target.path or "/") + (f"?{target.query}" if target.query else "")
            if response.status_code not in (307, 308):
                method = "GET" if method != "HEAD" else "HEAD"
                options = {
                    k: v
                    for k, v in options.items()
                    if k not in ("data", "json", "content_type", "query_string")
                }
            else:
                options.pop("query_string", None)
                data = options.get("data")
                seek = getattr(data, "seek", None)
                if seek is not None:
                    seek(0)
            response = self._send(next_path, method, options)
        response.history = tuple(history)
        return response

    def _send(self, path: str, method: str, options: dict[str, t.Any]) -> TestResponse:
        environ = build_environ(self.app, path, method=method, **options)
        if self.use_cookies:
            header = self._cookie_header(environ)
            if header:
                existing = environ.get("HTTP_COOKIE")
                environ["HTTP_COOKIE"] = f"{existing}; {header}" if existing else header
        captured: dict[str, t.Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
        ) -> t.Callable[[bytes], None]:
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None

        body_iter = self.application(environ, start_response)
        try:
            body = b"".join(body_iter)
        finally:
            close = getattr(body_iter, "close", None)
            if close is not None:
                close()
        response = TestResponse(None, captured["status"], Headers(captured["headers"]))
        response.response = [body]  # keep the app's own Content-Length (HEAD!)
        response.request = self.app.request_class(environ, self.app.config)
        if self.use_cookies:
            self._store_cookies(response, environ)
        return response

    def get(self, path: str = "/", **kwargs: t.Any) -> TestResponse:
        return self.open(path, "GET", **kwargs)

    def post(self, path: str = "/", **kwargs: t.Any) -> TestResponse:
        return self.open(path, "POST", **kwargs)

    def put(self, path: str = "/", **kwargs: t.Any) -> TestResponse:
        return self.open(path, "PUT", **kwargs)

    def patch(self, path: str = "/", **kwargs: t.Any) -> TestResponse:
        return self.open(path, "PATCH", **kwargs)

    def delete(self, path: str = "/", **kwargs: t.Any) -> TestResponse:
        return self.open(path, "DELETE", **kwargs)

    def head(self, path: str = "/", **kwargs: t.Any) -> TestResponse:
        return self.open(path, "HEAD", **kwargs)

    def options(self, path: str = "/", **kwargs: t.Any) -> TestResponse:
        return self.open(path, "OPTIONS", **kwargs)

    def __repr__(self) -> str:
        return f"<Client for {self.app!r}>"


class ErlenCliRunner(CliRunner):
    """Invoke the app's commands in-process, for tests: ``app.test_cli_runner()``.

    ::

        result = app.test_cli_runner().invoke(args=["hello"])
        assert result.output == "Hello\\n"
    """

    def __init__(self, app: Erlen, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self,
        cli: click.Command | None = None,
        args: str | Sequence[str] | None = None,
        input: str | bytes | t.IO[t.Any] | None = None,
        env: Mapping[str, str | None] | None = None,
        catch_exceptions: bool | None = None,
        color: bool = False,
        **extra: t.Any,
    ) -> Result:
        """Run ``cli`` (default: ``app.cli``) with ``args``; the app is loaded already."""
        extra.setdefault("obj", ScriptInfo(app=self.app))
        return super().invoke(
            self.app.cli if cli is None else cli,
            args,
            input=input,
            env=env,
            catch_exceptions=catch_exceptions,
            color=color,
            **extra,
        )
