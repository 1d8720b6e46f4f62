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
import contextlib
import difflib
import io
import mimetypes
import os
import re
import secrets
import sys
import typing as t
from collections.abc import Iterable, Mapping
from urllib.parse import quote, urlencode, urlsplit

from .. import json as _json
from ..http.datastructures import CallbackDict, FileStorage, MultiDict
from ..http.headers import Headers
from ..http.hosts import split_host
from ..http.negotiation import parse_options_header
from ..http.query import parse_qs
from ..typing import Message
from .outgoing import _BUILT_KEYS, _header_name, _Outgoing, environ_host

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..request import Request

__all__ = ["EnvironBuilder", "FileMultiDict", "build_environ", "build_scope"]

#: A method is a token (RFC 9110 §9.1); a base URL always has a ':' or a '/'.
_METHOD_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: A parameter value that needs no quotes (RFC 9110 §5.6.2).
_TOKEN_RE = _METHOD_RE


#: The arguments after ``url_scheme``, in the order Werkzeug's builder takes
#: them by position (Flask passes them on after ``path`` and ``base_url``).
_AFTER_URL_SCHEME = (
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
)
_KEYWORDS = frozenset(_AFTER_URL_SCHEME)
#: The arguments most requests leave out.
_SELDOM = frozenset(
    {
        "auth",
        "environ_base",
        "environ_overrides",
        "errors_stream",
        "multithread",
        "multiprocess",
        "run_once",
        "content_type",
        "mimetype",
        "content_length",
    }
)
#: The request arguments :class:`EnvironBuilder` takes after the app.
_ARGUMENTS = frozenset({"path", "base_url", "subdomain", "url_scheme", *_AFTER_URL_SCHEME})
#: Characters a path read back from an environ keeps as they are.
_PATH_SAFE = "/:@!$&'()*+,;=[]~"


def _is_file(value: t.Any) -> bool:
    return (
        hasattr(value, "read")
        or isinstance(value, FileStorage)
        or (isinstance(value, tuple) and len(value) >= 2 and hasattr(value[0], "read"))
    )


def _read_all(stream: t.Any) -> bytes:
    """Read ``stream`` to its end, and put it back where it was when it can seek.

    So a builder sends the same body each time it is built, and the test's
    own file is left as it was.
    """
    try:
        start = stream.tell()
    except (AttributeError, OSError, ValueError):
        start = None
    content = stream.read()
    if start is not None:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream.seek(start)
    return content.encode() if isinstance(content, str) else bytes(content)


def _guess_type(filename: str | None) -> str:
    guessed = mimetypes.guess_type(filename)[0] if filename else None
    return guessed or "application/octet-stream"


class FileMultiDict(MultiDict[FileStorage]):
    """The files of a builder's multipart form (``EnvironBuilder.files``)."""

    def add_file(
        self,
        name: str,
        file: t.Any,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> None:
        """Add an upload under the form field ``name``.

        ``file`` is a binary (or text) file object, a ``FileStorage``, or
        the path of a file to send. Without ``filename`` the file's own name
        is used; without ``content_type`` it is guessed from the name.
        """
        if isinstance(file, FileStorage):
            self.add(name, file)
            return
        if isinstance(file, (str, os.PathLike)):
            path = os.fspath(file)
            if filename is None:
                filename = path
            with open(path, "rb") as opened:  # read now: no file is left open
                file = io.BytesIO(opened.read())
        if filename is None:
            found = getattr(file, "filename", None) or getattr(file, "name", None)
            filename = found if isinstance(found, str) else "upload"
        filename = str(filename).replace("\\", "/").rsplit("/", 1)[-1]
        content_type = content_type or getattr(file, "content_type", None) or None
        self.add(name, FileStorage(file, filename, name, content_type or _guess_type(filename)))


def _encode_multipart(
    form: MultiDict[t.Any] | None, files: FileMultiDict | None
) -> tuple[bytes, str]:
    boundary = "erlen-" + secrets.token_hex(16)
    out = io.BytesIO()
    for name, value in form.items(multi=True) if form else ():
        out.write(f"--{boundary}\r\n".encode())
        quoted = name.replace('"', "%22")
        out.write(f'Content-Disposition: form-data; name="{quoted}"\r\n\r\n'.encode())
        out.write(value if isinstance(value, bytes) else _form_value(value).encode())
        out.write(b"\r\n")
    for name, upload in files.items(multi=True) if files else ():
        out.write(f"--{boundary}\r\n".encode())
        filename = (upload.filename or "upload").replace('"', "%22")
        out.write(
            f'Content-Disposition: form-data; name="{name.replace(chr(34), "%22")}"; '
            f'filename="{filename}"\r\n'
            f"Content-Type: {upload.content_type}\r\n\r\n".encode()
        )
        out.write(_read_all(upload.stream))
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _form_value(value: t.Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return value if isinstance(value, str) else str(value)


def _form_pairs(data: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]]) -> list[tuple[str, t.Any]]:
    """The (name, value) pairs of a test's query or form; a ``None`` value is left out, as in Flask."""
    if isinstance(data, MultiDict):
        return [(key, value) for key, value in data.items(multi=True) if value is not None]
    pairs: list[tuple[str, t.Any]] = []
    items = data.items() if isinstance(data, Mapping) else data
    for key, value in items:
        if isinstance(value, list):
            pairs.extend((key, item) for item in value if item is not None)
        elif value is not None:
            pairs.append((key, value))
    return pairs


def _all_items(values: MultiDict[t.Any]) -> Iterable[tuple[str, t.Any]]:
    # perf: without a repeated key, the dict's own items are all of them.
    return values.items(multi=True) if values._lists else dict.items(values)


def _urlencode(pairs: Iterable[tuple[str, t.Any]]) -> str:
    return urlencode(
        [(key, value if isinstance(value, bytes) else _form_value(value)) for key, value in pairs]
    )


def _test_headers(headers: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | None) -> Headers:
    """Return the headers a test gave, as given: a test may send what no app would."""
    pairs: list[tuple[str, str]] = []
    items = headers.items() if isinstance(headers, Mapping) else headers or ()
    for name, value in items:
        values = value if isinstance(value, (list, tuple)) else (value,)
        pairs.extend((str(name), str(item)) for item in values)
    # Headers checks each header it is given; a test's own are taken unchecked.
    return Headers._trusted(pairs)


def _replace_header(headers: Headers, name: str, value: str | None) -> None:
    """Set (or with ``None`` remove) every value of ``name``, unchecked as the test's own."""
    lower = name.lower()
    pairs = [pair for pair in headers._list if pair[0].lower() != lower]
    if value is not None:
        pairs.append((name, value))
    headers._list = pairs


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


def _unknown_arguments(unknown: list[str]) -> TypeError:
    names = ", ".join(f"{name}=" for name in unknown)
    close = [
        match
        for name in unknown
        for match in difflib.get_close_matches(name, sorted(_ARGUMENTS), n=1)
    ]
    hint = f" Did you mean {', '.join(f'{name}=' for name in close)}?" if close else ""
    return TypeError(
        f"EnvironBuilder got {names}, which it does not take.{hint} It takes the app, "
        f"path, base_url, subdomain, url_scheme and {', '.join(_AFTER_URL_SCHEME)}."
    )


def _param_value(value: str) -> str:
    if value and _TOKEN_RE.fullmatch(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


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

    After ``url_scheme`` come Werkzeug's arguments, by position in this
    order or by name: ``query_string``, ``method``, ``input_stream``,
    ``content_type``, ``content_length``, ``errors_stream``,
    ``multithread``, ``multiprocess``, ``run_once``, ``headers``, ``data``,
    ``environ_base``, ``environ_overrides``, ``mimetype``, ``json``,
    ``auth``.

    The body comes from one of ``data`` (a dict is a form, with files as
    ``(stream, filename[, content_type])`` making it multipart; ``str`` or
    ``bytes`` is sent as it is), ``json`` (serialised with the app's JSON)
    or ``input_stream``. ``auth=(user, password)`` sends Basic credentials.
    ``environ_base`` gives environ defaults; ``environ_overrides`` gives
    values that win over the request's own.

    Until :meth:`get_environ` every part can still change: ``path``,
    ``method``, ``headers``, :attr:`args` or :attr:`query_string`,
    :attr:`form` and :attr:`files`, :attr:`input_stream`,
    :attr:`content_type`, :attr:`content_length`, :attr:`base_url`, ...
    """

    #: ``SERVER_PROTOCOL`` of the request (the scope's ``http_version`` under ASGI).
    server_protocol = "HTTP/1.1"
    #: ``wsgi.version`` of the environ.
    wsgi_version = (1, 0)
    #: ``wsgi.multithread``, ``wsgi.multiprocess`` and ``wsgi.run_once`` of the environ.
    multithread = False
    multiprocess = False
    run_once = False
    #: Environ defaults (the request's own values win over them).
    environ_base: Mapping[str, t.Any] | None = None
    #: Environ values that win over the request's own.
    environ_overrides: Mapping[str, t.Any] | None = None

    # perf: the state of parts most requests leave out lives on the class
    # until set, so a request does not pay for them.
    _errors_stream: t.IO[str] | None = None
    _query_string: str | None = None
    _args: MultiDict[t.Any] | None = None
    _body: bytes | None = None  # data= as bytes; input_stream wraps it only when read
    _input_stream: t.IO[bytes] | None = None
    _form: MultiDict[t.Any] | None = None
    _files: FileMultiDict | None = None
    _request_class: type[Request] | None = None

    def __init__(
        self,
        app: Erlen | None = None,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        *args: t.Any,
        **kwargs: t.Any,
    ) -> None:
        if args:
            if len(args) > len(_AFTER_URL_SCHEME):
                raise TypeError(
                    f"EnvironBuilder takes at most {len(_AFTER_URL_SCHEME) + 5} arguments by "
                    f"position, and got {len(args) + 5}; pass the rest by name."
                )
            for name, value in zip(_AFTER_URL_SCHEME, args, strict=False):
                if name in kwargs:
                    raise TypeError(f"EnvironBuilder got {name} twice: by position and as {name}=.")
                kwargs[name] = value
        if not kwargs.keys() <= _KEYWORDS:
            raise _unknown_arguments(sorted(kwargs.keys() - _KEYWORDS))
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
        #: The path below :attr:`script_root`, percent-encoded as given
        #: (``"users"`` is ``"/users"``, as the request's path is in Flask).
        self.path = parts.path if parts.path.startswith("/") else "/" + parts.path
        get = kwargs.get
        query_string = get("query_string")
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
            query = _urlencode(_form_pairs(query_string))
        self._query_string = query
        self.method = (get("method") or "GET").upper()
        #: The headers to send; change them before :meth:`get_environ`.
        self.headers = _test_headers(get("headers"))
        # perf: arguments most requests leave out keep their class defaults.
        if kwargs.keys() & _SELDOM:
            self._set_seldom(kwargs)
        data, json, stream = get("data"), get("json"), get("input_stream")
        if data is not None or json is not None or stream is not None:
            self._set_body(data, json, stream)

    def _set_seldom(self, kwargs: dict[str, t.Any]) -> None:
        get = kwargs.get
        auth = get("auth")
        if auth is not None:
            _replace_header(self.headers, "Authorization", _auth_header(auth))
        self.environ_base = get("environ_base")
        self.environ_overrides = get("environ_overrides")
        self.errors_stream = get("errors_stream")
        self.multithread = bool(get("multithread"))
        self.multiprocess = bool(get("multiprocess"))
        self.run_once = bool(get("run_once"))
        content_type = get("content_type")
        if content_type is not None:
            self.content_type = content_type
        elif get("mimetype") is not None:
            self.mimetype = get("mimetype")
        content_length = get("content_length")
        if content_length is not None:
            self.content_length = content_length

    def _default_base_url(self, subdomain: str | None, url_scheme: str | None) -> str:
        config = self.app.config if self.app is not None else {}
        host = config.get("SERVER_NAME") or "localhost"
        if subdomain:
            host = f"{subdomain}.{host}"
        scheme = url_scheme or config.get("PREFERRED_URL_SCHEME") or "http"
        root = (config.get("APPLICATION_ROOT") or "/").lstrip("/")
        return f"{scheme}://{host}/{root}"

    @property
    def errors_stream(self) -> t.IO[str]:
        """``wsgi.errors``: ``sys.stderr`` unless set."""
        return sys.stderr if self._errors_stream is None else self._errors_stream

    @errors_stream.setter
    def errors_stream(self, value: t.IO[str] | None) -> None:
        self._errors_stream = value

    def _set_body(self, data: t.Any, json: t.Any, stream: t.IO[bytes] | None) -> None:
        if sum(value is not None for value in (data, json, stream)) > 1:
            raise TypeError("Pass one of data=, json= and input_stream=, not several.")
        if json is not None:
            self._body = self.json_dumps(json).encode()
            if "Content-Type" not in self.headers:
                _replace_header(self.headers, "Content-Type", "application/json")
        elif stream is not None:
            self._input_stream = stream
        elif data is None:
            return
        elif isinstance(data, (bytes, bytearray)):
            self._body = bytes(data)
        elif isinstance(data, str):
            self._body = data.encode()
        elif hasattr(data, "read"):
            content = data.read()
            self._body = content.encode() if isinstance(content, str) else content
        elif not isinstance(data, (Mapping, list, tuple)):
            raise TypeError(
                f"data= takes a dict (a form), str, bytes or a file, not "
                f"{type(data).__name__}. For JSON, pass json= instead."
            )
        else:
            pairs = _form_pairs(data)
            if not any(_is_file(value) for _, value in pairs):
                form = self._form = MultiDict()
                form.extend_pairs(pairs)
                return
            for key, value in pairs:
                if not _is_file(value):
                    self.form.add(key, value)
                elif isinstance(value, tuple):
                    self.files.add_file(key, *value)
                else:
                    self.files.add_file(key, value)

    @classmethod
    def from_environ(cls, environ: Mapping[str, t.Any], **kwargs: t.Any) -> EnvironBuilder:
        """Return a builder for the request a WSGI environ holds.

        ``kwargs`` are the builder's arguments and win over what the environ
        says (``app=``, ``path=``, ``method=``, ...). The body is read from
        ``wsgi.input`` when the request is built, and sent with its own
        length. Environ keys that are not part of the request
        (``REMOTE_ADDR``, an app's own keys) become ``environ_base``.
        """
        headers: list[tuple[str, str]] = []
        base: dict[str, t.Any] = {}
        for key, value in environ.items():
            if key in ("HTTP_HOST", "CONTENT_TYPE", "CONTENT_LENGTH"):
                continue
            name = _header_name(key)
            if name is not None:
                headers.append((name, str(value)))
            elif key not in _BUILT_KEYS and not key.startswith("wsgi."):
                base[key] = value
        scheme = environ.get("wsgi.url_scheme", "http")
        host = environ_host(environ)
        root = quote(str(environ.get("SCRIPT_NAME", "")).encode("latin-1"), safe=_PATH_SAFE)
        path = quote(str(environ.get("PATH_INFO") or "/").encode("latin-1"), safe=_PATH_SAFE)
        arguments: dict[str, t.Any] = {
            "path": path,
            "base_url": f"{scheme}://{host}{root}/",
            "query_string": environ.get("QUERY_STRING", ""),
            "method": environ.get("REQUEST_METHOD", "GET"),
            "input_stream": environ.get("wsgi.input"),
            "content_type": environ.get("CONTENT_TYPE") or None,
            "errors_stream": environ.get("wsgi.errors"),
            "multithread": environ.get("wsgi.multithread", False),
            "multiprocess": environ.get("wsgi.multiprocess", False),
            "run_once": environ.get("wsgi.run_once", False),
            "headers": headers,
            "environ_base": base or None,
        }
        arguments.update(kwargs)
        return cls(**arguments)

    # -- the URL -----------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The URL the path is relative to: scheme, host and script root.

        Setting it changes :attr:`url_scheme`, :attr:`host` and
        :attr:`script_root`; ``None`` goes back to the app's defaults.
        """
        return f"{self.url_scheme}://{self.host}{self.script_root}/"

    @base_url.setter
    def base_url(self, value: str | None) -> None:
        if value is None:
            value = self._default_base_url(None, None)
        parts = urlsplit(value)
        if "://" not in value:
            raise ValueError(
                f"base_url={value!r} is not a URL: give the scheme and the host, as in "
                "'http://localhost/' or 'https://example.test/app/'."
            )
        if parts.query or parts.fragment:
            raise ValueError(
                f"base_url={value!r} has a query string or a fragment; set the query "
                "with query_string (or args) instead."
            )
        self.url_scheme = parts.scheme
        self.host = parts.netloc
        self.script_root = parts.path.rstrip("/")

    @property
    def server_name(self) -> str:
        """The host name without the port (read-only: set :attr:`host`)."""
        return split_host(self.host)[0]

    @property
    def server_port(self) -> int:
        """The port, from :attr:`host` or the scheme's default (read-only: set :attr:`host`)."""
        port = split_host(self.host)[1]
        if port.isdigit():
            return int(port)
        return 443 if self.url_scheme == "https" else 80

    @property
    def query_string(self) -> str:
        """The query string, encoded; setting it replaces :attr:`args`."""
        if self._query_string is not None:
            return self._query_string
        return _urlencode(_all_items(self._args)) if self._args else ""

    @query_string.setter
    def query_string(self, value: str | bytes | None) -> None:
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        self._query_string = value or ""
        self._args = None

    @property
    def args(self) -> MultiDict[t.Any]:
        """The query arguments as a ``MultiDict``; change it to change the query.

        A query given as a string is parsed on first access, and sent
        re-encoded from then on.
        """
        if self._args is None:
            self._args = MultiDict(parse_qs(self._query_string or ""))
            self._query_string = None
        return self._args

    @args.setter
    def args(self, value: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | None) -> None:
        self._args = MultiDict(_form_pairs(value)) if value is not None else MultiDict()
        self._query_string = None

    # -- the body ----------------------------------------------------------

    @property
    def content_type(self) -> str | None:
        """The body's type: the ``Content-Type`` header, else the one the form needs.

        ``multipart/form-data`` when there are :attr:`files`,
        ``application/x-www-form-urlencoded`` for a :attr:`form`. Setting
        it sets the header (``None`` removes it).
        """
        given = self.headers.get("Content-Type")
        if given is None and self._body is None and self._input_stream is None:
            if self._files:
                return "multipart/form-data"
            if self._form:
                return "application/x-www-form-urlencoded"
        return t.cast("str | None", given)

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        _replace_header(self.headers, "Content-Type", value)

    @property
    def mimetype(self) -> str | None:
        """The content type without its parameters, lower-cased; setting it sets the type."""
        content_type = self.content_type
        if content_type is None:
            return None
        return content_type.split(";", 1)[0].strip().lower()

    @mimetype.setter
    def mimetype(self, value: str | None) -> None:
        self.content_type = value

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's parameters (``{"charset": "utf-8"}``).

        Changing the dict rewrites the ``Content-Type`` header.
        """

        def write(params: dict[str, str]) -> None:
            mimetype = self.mimetype
            if mimetype is None:
                raise ValueError(
                    "The request has no content type to give parameters to; set "
                    "content_type (or mimetype) first."
                )
            pairs = "".join(f"; {key}={_param_value(value)}" for key, value in params.items())
            self.content_type = mimetype + pairs

        return CallbackDict(parse_options_header(self.content_type)[1], write)

    @property
    def content_length(self) -> int | None:
        """The ``Content-Length`` header as an int; setting it sets the header.

        Without one, the request sends the length of its body. A length set
        here is sent as it is, even a wrong one.
        """
        return t.cast("int | None", self.headers.get("Content-Length", type=int))

    @content_length.setter
    def content_length(self, value: int | str | None) -> None:
        _replace_header(self.headers, "Content-Length", None if value is None else str(value))

    @property
    def input_stream(self) -> t.IO[bytes] | None:
        """The body as a stream (``data`` given as ``str`` or ``bytes`` is one too).

        Setting it replaces the body, :attr:`form` and :attr:`files`
        included; it is read when the request is built.
        """
        if self._input_stream is None and self._body is not None:
            self._input_stream = io.BytesIO(self._body)
            self._body = None
        return self._input_stream

    @input_stream.setter
    def input_stream(self, value: t.IO[bytes] | None) -> None:
        self._input_stream = value
        self._body = None
        self._form = None
        self._files = None

    def _no_form(self, what: str) -> AttributeError:
        return AttributeError(
            f"This request's body is a stream (input_stream=, or data= given as str, bytes, a "
            f"file or json=), so it has no {what}. Set builder.input_stream = None first to "
            f"send a form instead."
        )

    @property
    def form(self) -> MultiDict[t.Any]:
        """The form fields sent as the body; change it to change the form."""
        if self._body is not None or self._input_stream is not None:
            raise self._no_form("form")
        if self._form is None:
            self._form = MultiDict()
        return self._form

    @form.setter
    def form(self, value: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]]) -> None:
        self._body = self._input_stream = None
        self._form = MultiDict(_form_pairs(value))

    @property
    def files(self) -> FileMultiDict:
        """The uploads of the multipart form; add one with ``files.add_file(name, file)``."""
        if self._body is not None or self._input_stream is not None:
            raise self._no_form("files")
        if self._files is None:
            self._files = FileMultiDict()
        return self._files

    @files.setter
    def files(self, value: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]]) -> None:
        files = value if isinstance(value, FileMultiDict) else FileMultiDict()
        if files is not value:
            for key, upload in _form_pairs(value):
                if isinstance(upload, tuple):
                    files.add_file(key, *upload)
                else:
                    files.add_file(key, upload)
        self._body = self._input_stream = None
        self._files = files

    def json_dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialise ``obj`` for ``json=``: ``app.json.dumps``, without an app erlen's JSON."""
        provider = getattr(self.app, "json", None)
        dumps = getattr(provider, "dumps", None)
        if callable(dumps):
            return str(dumps(obj, **kwargs))
        return _json.dumps(obj, **kwargs)

    def _encoded_body(self) -> tuple[bytes, str | None]:
        """Return the body and the ``Content-Type`` to send with it."""
        content_type = t.cast("str | None", self.headers.get("Content-Type"))
        if self._body is not None:
            return self._body, content_type
        if self._input_stream is not None:
            return _read_all(self._input_stream), content_type
        form, files = self._form, self._files
        multipart = content_type is not None and content_type.lower().startswith(
            "multipart/form-data"
        )
        if files or (form and multipart):
            return _encode_multipart(form, files)
        if form:
            body = _urlencode(_all_items(form)).encode()
            return body, content_type or "application/x-www-form-urlencoded"
        return b"", content_type

    # -- building ----------------------------------------------------------

    @property
    def request_class(self) -> type[Request]:
        """The class :meth:`get_request` makes: the app's ``request_class`` unless set."""
        if self._request_class is not None:
            return self._request_class
        if self.app is not None:
            return self.app.request_class
        from ..request import Request

        return Request

    @request_class.setter
    def request_class(self, value: type[Request] | None) -> None:
        self._request_class = value

    def _outgoing(self, environ_base: Mapping[str, t.Any] | None = None) -> _Outgoing:
        """The request as the client sends it; ``environ_base`` adds defaults under ours."""
        body, content_type = self._encoded_body()
        length = str(len(body)) if body or self.method in ("POST", "PUT", "PATCH") else None
        sent: list[tuple[str, str]] = [("Host", self.host)]
        for name, value in self.headers:
            lower = name.lower()
            if lower == "host":
                sent[0] = (name, value)
            elif lower == "content-length":
                length = value  # the test's own value wins, even a wrong one
            elif lower != "content-type":  # the first one wins
                sent.append((name, value))
        if content_type:
            sent.insert(1, ("Content-Type", content_type))
        if length is not None:
            sent.insert(1, ("Content-Length", length))
        base = self.environ_base
        if environ_base:
            base = {**environ_base, **(base or {})}
        wsgi: dict[str, t.Any] = {}
        if self._errors_stream is not None:
            wsgi["wsgi.errors"] = self._errors_stream
        if self.multithread:
            wsgi["wsgi.multithread"] = True
        if self.multiprocess:
            wsgi["wsgi.multiprocess"] = True
        if self.run_once:
            wsgi["wsgi.run_once"] = True
        if self.wsgi_version != (1, 0):
            wsgi["wsgi.version"] = self.wsgi_version
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
            wsgi=wsgi,
            protocol=self.server_protocol,
        )

    def get_environ(self) -> dict[str, t.Any]:
        """Return the request as a WSGI environ."""
        return self._outgoing().to_environ()

    def get_scope(self) -> Message:
        """Return the request as an ASGI HTTP scope (the body goes through ``receive()``)."""
        return self._outgoing().to_scope()

    def get_request(self, cls: type[Request] | None = None) -> Request:
        """Return the request as :attr:`request_class` (or ``cls``)."""
        cls = cls or self.request_class
        if self.app is None:
            return cls(self.get_environ())
        return cls(self.get_environ(), self.app.config)

    def close(self) -> None:
        """Release the builder (Flask's API); nothing is left open.

        Bodies and uploads are read when the request is built, and the
        files the test passed stay open: they are the test's own.
        """

    def __repr__(self) -> str:
        query = self.query_string
        query = f"?{query}" if query else ""
        return f"<EnvironBuilder {self.method} {self.base_url.rstrip('/')}{self.path}{query}>"


def _method_first(args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> tuple[t.Any, ...]:
    """Accept erlen's ``open(path, "POST")``: a method where Flask puts ``base_url``."""
    if len(args) >= 2 and isinstance(args[1], str) and _METHOD_RE.fullmatch(args[1]):
        if "method" in kwargs:
            raise TypeError(
                f"{args[1]!r} as the second argument reads as the method, and the method is "
                f"also given ({kwargs['method']!r}, by method= or client.get()/post()/...). "
                "As in Flask, the second position is base_url: give a full URL such as "
                "'http://localhost/', or give the method once."
            )
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
