"""The request a test sends, built from the test client's arguments.

:class:`EnvironBuilder` takes the arguments of :meth:`Client.open
<erlen.testing.Client.open>` and ``app.test_request_context()`` (``path``,
``base_url``, ``query_string``, ``headers``, ``data``, ``json``, ...),
takes the URL defaults from the app's config, encodes forms and uploads,
and gives the request as a WSGI environ, an ASGI scope or a ``Request``.
:func:`build_environ` and :func:`build_scope` are shortcuts.
"""

from __future__ import annotations

import base64
import io
import mimetypes
import re
import secrets
import typing as t
from collections.abc import Iterable, Mapping
from urllib.parse import urlencode, urlsplit

from .. import json as _json
from ..http.headers import Headers
from ..typing import Message
from .outgoing import _Outgoing

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..request import Request

__all__ = ["EnvironBuilder", "build_environ", "build_scope"]

#: A method is a token (RFC 9110 §9.1); a base URL always has a ':' or a '/'.
_METHOD_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


#: The request arguments :class:`EnvironBuilder` takes after the app.
_ARGUMENTS = frozenset(
    {
        "path",
        "base_url",
        "subdomain",
        "url_scheme",
        "query_string",
        "method",
        "input_stream",
        "content_type",
        "content_length",
        "errors_stream",
        "multithread",
        "multiprocess",
        "run_once",
        "headers",
        "data",
        "environ_base",
        "environ_overrides",
        "mimetype",
        "json",
        "auth",
    }
)


def _is_file(value: t.Any) -> bool:
    return hasattr(value, "read") or (
        isinstance(value, tuple) and len(value) >= 2 and hasattr(value[0], "read")
    )


def _file_parts(value: t.Any) -> tuple[t.Any, str, str]:
    """Return ``(stream, filename, content type)`` of an upload given in ``data``."""
    if isinstance(value, tuple):
        stream, filename, *rest = value
        content_type = rest[0] if rest else None
    else:
        stream = value
        filename = getattr(value, "filename", None) or getattr(value, "name", None) or "upload"
        content_type = getattr(value, "content_type", None)
    filename = str(filename).replace("\\", "/").rsplit("/", 1)[-1]
    if not content_type:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return stream, filename, content_type


def _encode_multipart(fields: list[tuple[str, t.Any]]) -> tuple[bytes, str]:
    boundary = "erlen-" + secrets.token_hex(16)
    out = io.BytesIO()
    for name, value in fields:
        out.write(f"--{boundary}\r\n".encode())
        quoted = name.replace('"', "%22")
        if _is_file(value):
            stream, filename, content_type = _file_parts(value)
            out.write(
                f'Content-Disposition: form-data; name="{quoted}"; '
                f'filename="{filename.replace(chr(34), "%22")}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode()
            )
            content = stream.read()
            out.write(content.encode() if isinstance(content, str) else content)
        else:
            out.write(f'Content-Disposition: form-data; name="{quoted}"\r\n\r\n'.encode())
            out.write(_form_value(value).encode() if not isinstance(value, bytes) else value)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _form_value(value: t.Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return value if isinstance(value, str) else str(value)


def _form_pairs(data: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]]) -> list[tuple[str, t.Any]]:
    pairs: list[tuple[str, t.Any]] = []
    items = data.items() if isinstance(data, Mapping) else data
    for key, value in items:
        if isinstance(value, list):
            pairs.extend((key, item) for item in value)
        else:
            pairs.append((key, value))
    return pairs


def _test_headers(headers: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | None) -> Headers:
    """Return the headers a test gave, as given: a test may send what no app would."""
    pairs: list[tuple[str, str]] = []
    items = headers.items() if isinstance(headers, Mapping) else headers or ()
    for name, value in items:
        values = value if isinstance(value, (list, tuple)) else (value,)
        pairs.extend((str(name), str(item)) for item in values)
    # Headers checks each header it is given; a test's own are taken unchecked.
    return Headers._trusted(pairs)


def _auth_header(auth: t.Any) -> str:
    """Return the ``Authorization`` value for ``auth=``: a (user, password) pair is Basic."""
    if isinstance(auth, tuple) and len(auth) == 2:
        user, password = auth
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return f"Basic {token}"
    to_header = getattr(auth, "to_header", None)
    if to_header is not None:
        return str(to_header())
    raise TypeError(
        f"auth={auth!r} is not a (username, password) pair; pass auth=('user', 'secret') "
        "for Basic authentication, or headers={'Authorization': ...} for another scheme."
    )


class EnvironBuilder:
    """A request for a test, built as the test client builds it.

    ``app.test_request_context()`` and ``client.open()`` take these same
    arguments. Without ``base_url`` the URL starts from the app's config:
    ``PREFERRED_URL_SCHEME`` (or ``url_scheme``), ``SERVER_NAME`` (or
    ``localhost``, with ``subdomain`` in front) and ``APPLICATION_ROOT``.
    A full URL as ``path`` (``"https://example.test/x"``) sets the scheme
    and the host::

        builder = EnvironBuilder(app, "/search", query_string={"q": "tea"})
        request = builder.get_request()
        assert request.args["q"] == "tea"

    The body comes from one of ``data`` (a dict is a form, with files as
    ``(stream, filename[, content_type])`` making it multipart; ``str`` or
    ``bytes`` is sent as it is), ``json`` (serialised with the app's JSON)
    or ``input_stream``. ``auth=(user, password)`` sends Basic credentials.
    ``environ_base`` gives environ defaults; ``environ_overrides`` gives
    values that win over the request's own.
    """

    def __init__(
        self,
        app: Erlen | None = None,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        query_string: str | bytes | Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | None = None,
        method: str = "GET",
        input_stream: t.IO[bytes] | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        errors_stream: t.IO[str] | None = None,
        multithread: bool = False,
        multiprocess: bool = False,
        run_once: bool = False,
        headers: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | None = None,
        data: t.Any = None,
        environ_base: Mapping[str, t.Any] | None = None,
        environ_overrides: Mapping[str, t.Any] | None = None,
        mimetype: str | None = None,
        json: t.Any = None,
        auth: t.Any = None,
    ) -> None:
        self.app = app
        if base_url is not None and (subdomain or url_scheme):
            raise TypeError(
                "Pass base_url, or subdomain and url_scheme, not both: base_url already "
                "names the scheme and the host."
            )
        parts = urlsplit(path)
        if base_url is None:
            base_url = self._default_base_url(subdomain, url_scheme)
        elif "://" not in base_url:
            hint = (
                f"; to set the method, pass method={base_url!r}"
                if _METHOD_RE.fullmatch(base_url)
                else ""
            )
            raise ValueError(
                f"base_url={base_url!r} is not a URL: give the scheme and the host, as in "
                f"'http://localhost/' or 'https://example.test/app/'{hint}."
            )
        base = urlsplit(base_url)
        #: ``http`` or ``https``.
        self.url_scheme = parts.scheme or base.scheme or "http"
        #: The host and port the request goes to, as in the ``Host`` header.
        self.host = parts.netloc or base.netloc or "localhost"
        #: Where the app is mounted (``SCRIPT_NAME``), without a trailing slash.
        self.script_root = base.path.rstrip("/")
        #: The path below :attr:`script_root`, percent-encoded as given.
        self.path = parts.path or "/"
        if query_string is None:
            query = parts.query
        elif parts.query:
            raise ValueError(
                f"The path {path!r} has a query string, and query_string= gives another; "
                "put the query in one of the two."
            )
        elif isinstance(query_string, bytes):
            query = query_string.decode("latin-1")
        elif isinstance(query_string, str):
            query = query_string
        else:
            query = urlencode([(k, _form_value(v)) for k, v in _form_pairs(query_string)])
        #: The query string, encoded.
        self.query_string = query
        self.method = method.upper()
        #: The headers to send; change them before :meth:`get_environ`.
        self.headers = _test_headers(headers)
        if auth is not None:
            self.headers.set("Authorization", _auth_header(auth))
        self.environ_base = environ_base
        self.environ_overrides = environ_overrides
        self.content_length = content_length
        self.input_stream = input_stream
        self._body, self.content_type = self._encode_body(
            data, json, input_stream, content_type or mimetype
        )
        self._wsgi: dict[str, t.Any] = {}
        if errors_stream is not None:
            self._wsgi["wsgi.errors"] = errors_stream
        for key, value in (
            ("wsgi.multithread", multithread),
            ("wsgi.multiprocess", multiprocess),
            ("wsgi.run_once", run_once),
        ):
            if value:
                self._wsgi[key] = True

    def _default_base_url(self, subdomain: str | None, url_scheme: str | None) -> str:
        config = self.app.config if self.app is not None else {}
        host = config.get("SERVER_NAME") or "localhost"
        if subdomain:
            host = f"{subdomain}.{host}"
        scheme = url_scheme or config.get("PREFERRED_URL_SCHEME") or "http"
        root = (config.get("APPLICATION_ROOT") or "/").lstrip("/")
        return f"{scheme}://{host}/{root}"

    @property
    def base_url(self) -> str:
        """The URL the path is relative to: scheme, host and script root."""
        return f"{self.url_scheme}://{self.host}{self.script_root}/"

    @property
    def mimetype(self) -> str | None:
        """The content type without its parameters."""
        if self.content_type is None:
            return None
        return self.content_type.split(";", 1)[0].strip().lower()

    def json_dumps(self, obj: t.Any) -> str:
        """Serialise ``obj`` for ``json=``, with the app's JSON when it has one."""
        provider = getattr(self.app, "json", None)
        dumps = getattr(provider, "dumps", None)
        if callable(dumps):
            return str(dumps(obj))
        return _json.dumps(obj)

    def _encode_body(
        self, data: t.Any, json: t.Any, stream: t.IO[bytes] | None, content_type: str | None
    ) -> tuple[bytes, str | None]:
        given_type = content_type or self.headers.get("Content-Type")
        if sum(value is not None for value in (data, json, stream)) > 1:
            raise TypeError("Pass one of data=, json= and input_stream=, not several.")
        if json is not None:
            return self.json_dumps(json).encode(), given_type or "application/json"
        if stream is not None:
            return stream.read(), given_type
        if data is None:
            return b"", given_type
        if isinstance(data, (bytes, bytearray)):
            return bytes(data), given_type
        if isinstance(data, str):
            return data.encode(), given_type
        if hasattr(data, "read"):
            content = data.read()
            return (content.encode() if isinstance(content, str) else content), given_type
        if not isinstance(data, (Mapping, list, tuple)):
            raise TypeError(
                f"data= takes a dict (a form), str, bytes or a file, not "
                f"{type(data).__name__}. For JSON, pass json= instead."
            )
        pairs = _form_pairs(data)
        multipart = (given_type or "").lower().startswith("multipart/form-data")
        if multipart or any(_is_file(value) for _, value in pairs):
            return _encode_multipart(pairs)
        body = urlencode(
            [
                (key, value if isinstance(value, bytes) else _form_value(value))
                for key, value in pairs
            ]
        ).encode()
        return body, given_type or "application/x-www-form-urlencoded"

    def _outgoing(self, environ_base: Mapping[str, t.Any] | None = None) -> _Outgoing:
        """The request as the client sends it; ``environ_base`` adds defaults under ours."""
        body = self._body
        length = str(len(body)) if body or self.method in ("POST", "PUT", "PATCH") else None
        if self.content_length is not None:
            length = str(self.content_length)
        sent: list[tuple[str, str]] = [("Host", self.host)]
        for name, value in self.headers:
            lower = name.lower()
            if lower == "host":
                sent[0] = (name, value)
            elif lower == "content-length":
                length = value  # the test's own value wins, even a wrong one
            elif lower != "content-type":  # the content_type argument (or the first one) wins
                sent.append((name, value))
        if self.content_type:
            sent.insert(1, ("Content-Type", self.content_type))
        if length is not None:
            sent.insert(1, ("Content-Length", length))
        base = self.environ_base
        if environ_base:
            base = {**environ_base, **(base or {})}
        return _Outgoing(
            method=self.method,
            scheme=self.url_scheme,
            host=self.host,
            root_path=self.script_root,
            path=self.path,
            query=self.query_string,
            headers=sent,
            body=body,
            environ_base=base,
            environ_overrides=self.environ_overrides,
            wsgi=dict(self._wsgi),
        )

    def get_environ(self) -> dict[str, t.Any]:
        """Return the request as a WSGI environ."""
        return self._outgoing().to_environ()

    def get_scope(self) -> Message:
        """Return the request as an ASGI HTTP scope (the body goes through ``receive()``)."""
        return self._outgoing().to_scope()

    def get_request(self, cls: type[Request] | None = None) -> Request:
        """Return the request as the app's ``request_class`` (or ``cls``)."""
        if self.app is None:
            from ..request import Request as default

            return (cls or default)(self.get_environ())
        return (cls or self.app.request_class)(self.get_environ(), self.app.config)

    def close(self) -> None:
        """Release the builder (Flask's API); nothing is left open.

        The body, uploads included, is read when the builder is made, and
        the files the test passed stay open: they are the test's own.
        """

    def __repr__(self) -> str:
        query = f"?{self.query_string}" if self.query_string else ""
        return f"<EnvironBuilder {self.method} {self.base_url.rstrip('/')}{self.path}{query}>"


def _method_first(args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> tuple[t.Any, ...]:
    """Accept erlen's ``open(path, "POST")``: a method where Flask puts ``base_url``."""
    if len(args) >= 2 and isinstance(args[1], str) and _METHOD_RE.fullmatch(args[1]):
        if "method" in kwargs:
            raise TypeError(f"The method is given twice: {args[1]!r} and method=.")
        kwargs["method"] = args[1]
        if len(args) > 2:
            raise TypeError(
                "After the path and the method, pass the request's arguments by name "
                "(query_string=, headers=, data=, ...)."
            )
        return args[:1]
    return args


def build_environ(app: Erlen | None = None, path: str = "/", **kwargs: t.Any) -> dict[str, t.Any]:
    """Return a WSGI environ for a request, as the test client sends it.

    Takes the arguments of :class:`EnvironBuilder`.
    """
    return EnvironBuilder(app, path, **kwargs).get_environ()


def build_scope(app: Erlen | None = None, path: str = "/", **kwargs: t.Any) -> Message:
    """Return an ASGI HTTP scope for a request, as the test client sends it.

    Takes the same arguments as :func:`build_environ`. The body is not part
    of a scope: the client sends it through ``receive()``.
    """
    return EnvironBuilder(app, path, **kwargs).get_scope()
