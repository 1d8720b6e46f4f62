"""The outgoing response, and the helpers that build one."""

from __future__ import annotations

import typing as t
import warnings
from collections.abc import AsyncIterable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from urllib.parse import quote

from . import json as _json
from ._response_headers import ResponseHeaders
from .http.cookies import dump_cookie
from .http.headers import Headers, check_header
from .http.negotiation import parse_options_header
from .http.status import status_line

_new_object = object.__new__

__all__ = ["Response", "jsonify", "redirect"]

_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")


_MISSING: t.Any = object()
_checked_types: set[str] = set()
_default_types: dict[type, str | None] = {}


def _default_content_type(cls: type[Response]) -> str | None:
    value = _default_types.get(cls, "")
    if value == "":
        default = cls.default_mimetype
        value = _default_types[cls] = _content_type_for(default) if default else None
    return value


def _content_type_for(mimetype: str) -> str:
    """Add ``; charset=utf-8`` to textual mimetypes."""
    if (mimetype.startswith("text/") or mimetype in _TEXT_TYPES) and "charset" not in mimetype:
        return f"{mimetype}; charset=utf-8"
    return mimetype


class Response(ResponseHeaders):
    """An HTTP response: a status, headers and a body.

    The body is ``str``, ``bytes``, or an iterable (a generator streams:
    each item is sent as it is produced)::

        Response("Hello", 200, {"X-Greeting": "yes"}, mimetype="text/plain")
    """

    #: The JSON module Flask code finds here (``request.json_module.loads``):
    #: :mod:`erlen.json`, which goes through the current app's provider.
    #: Whether the class builds its responses with Response's own ``__init__``
    #: (set for each subclass): ``make_response`` may then build them directly.
    _own_init = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        # perf: decided once per class, not tested on each response.
        cls._own_init = cls.__init__ is Response.__init__ and cls.__new__ is object.__new__

    json_module = _json

    default_status = 200
    #: The status code (set per response; 200 until then).
    status_code = 200
    default_mimetype: str | None = "text/html"
    charset = "utf-8"
    #: Flask's: erlen sends ``Location`` as the app set it, never made absolute.
    autocorrect_location_header = False
    #: Flask's: erlen always sets ``Content-Length`` for a body held in memory.
    automatically_set_content_length = True
    _on_close: list[t.Callable[[], t.Any]] | None = None

    def __init__(
        self,
        response: str
        | bytes
        | bytearray
        | Iterable[str | bytes]
        | AsyncIterable[str | bytes]
        | None = None,
        status: int | str | None = None,
        headers: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | Headers | None = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        if direct_passthrough:
            # Werkzeug's promise not to touch the body; erlen never does.
            self.direct_passthrough = True
        if status is None:
            self.status_code = self.default_status
        elif isinstance(status, int):
            self.status_code = status
        else:
            self.status = status
        if headers is None:
            pairs: list[tuple[str, str]] = []
            self.headers = Headers._trusted(pairs)
        else:
            self.headers = headers if isinstance(headers, Headers) else Headers(headers)
            pairs = self.headers._list
        if content_type is None:
            if mimetype is not None:
                content_type = _content_type_for(mimetype)
            elif headers is None or "Content-Type" not in self.headers:
                content_type = _default_content_type(type(self))
        if content_type is not None:
            if headers is None or not pairs:
                # perf: each distinct content type is checked once, then remembered.
                if content_type not in _checked_types:
                    check_header("Content-Type", content_type)
                    if len(_checked_types) < 256:
                        _checked_types.add(content_type)
                pairs.append(("Content-Type", content_type))
            else:
                self.headers.set("Content-Type", content_type)
        if response is None:
            self.response: Iterable[bytes | str] = []
        elif isinstance(response, (str, bytes, bytearray)):
            if isinstance(response, str):
                response = response.encode(self.charset)
            elif isinstance(response, bytearray):
                response = bytes(response)
            self.response = [response]
            if headers is None:
                pairs.append(("Content-Length", str(len(response))))
            else:
                self.headers.set("Content-Length", str(len(response)))
        else:
            # An async iterable is streamed by the adapters (see wsgi.py, asgi.py).
            self.response = response  # type: ignore[assignment]

    # -- status ----------------------------------------------------------

    @property
    def status(self) -> str:
        """The status line, such as ``"404 Not Found"``."""
        return status_line(self.status_code)

    @status.setter
    def status(self, value: str | int) -> None:
        if isinstance(value, int):
            self.status_code = value
            return
        code, _, _ = value.strip().partition(" ")
        try:
            self.status_code = int(code)
        except ValueError:
            raise ValueError(
                f"Invalid status {value!r}: use a number such as 404, or a line such as "
                "'404 Not Found'."
            ) from None

    # -- body ------------------------------------------------------------

    def get_data(self, as_text: bool = False) -> t.Any:
        """Return the body as bytes (a streamed body is consumed and kept)."""
        body = self.response
        if not (isinstance(body, list) and len(body) == 1 and isinstance(body[0], bytes)):
            data = b"".join(self.iter_encoded())
            self.response = [data]
        else:
            data = body[0]
        return data.decode(self.charset, "replace") if as_text else data

    def set_data(self, value: str | bytes | bytearray) -> None:
        """Replace the body, and set ``Content-Length`` to match."""
        if isinstance(value, str):
            value = value.encode(self.charset)
        elif isinstance(value, bytearray):
            value = bytes(value)
        # A tuple keeps a body with close hooks off prepare_body's fast path.
        self.response = [value] if self._on_close is None else (value,)
        headers = self.headers
        if headers._list and "Content-Length" in headers:
            headers.set("Content-Length", str(len(value)))
        else:
            headers._list.append(("Content-Length", str(len(value))))

    data = property(get_data, set_data, doc="The body as bytes.")

    @property
    def text(self) -> str:
        return t.cast(str, self.get_data(as_text=True))

    @property
    def is_streamed(self) -> bool:
        """Whether the body is an iterable of unknown length (a generator)."""
        return not isinstance(self.response, (list, tuple))

    @property
    def is_sequence(self) -> bool:
        """Whether the body is held in memory (a list or tuple of chunks)."""
        return isinstance(self.response, (list, tuple))

    def calculate_content_length(self) -> int | None:
        """Return the body's length if it is in memory, else ``None``."""
        if not self.is_sequence:
            return None
        return sum(map(len, self.iter_encoded()))

    def make_sequence(self) -> None:
        """Read a streamed body into memory (see :meth:`get_data`)."""
        if not self.is_sequence:
            self.get_data()

    def freeze(self) -> None:
        """Read the body into memory and set ``Content-Length`` and ``ETag``."""
        data = self.get_data()
        self.headers.set("Content-Length", str(len(data)))
        self.add_etag()

    def iter_encoded(self) -> Iterator[bytes]:
        """Iterate over the body, as it is now, in bytes chunks.

        The body is taken when this is called, as Werkzeug does: an after
        request hook may then set ``response.response`` to a generator that
        reads this one (Flask-Compress compresses a stream so).
        """
        return _encoded(self.response, self.charset)

    def close(self) -> None:
        """Close the body (runs a generator's ``finally``) and call close hooks."""
        close = getattr(self.response, "close", None)
        if close is not None:
            close()
        if self._on_close:
            for function in self._on_close:
                function()

    def call_on_close(self, func: t.Callable[[], t.Any]) -> t.Callable[[], t.Any]:
        """Call ``func`` when the response is closed (after it was sent)."""
        if self._on_close is None:
            self._on_close = []
            if self.response.__class__ is list:
                # perf: prepare_body's fast path sends a list without closing
                # the response; a tuple takes the path that closes it.
                self.response = tuple(self.response)
        self._on_close.append(func)
        return func

    # -- headers ---------------------------------------------------------

    @property
    def content_type(self) -> str | None:
        return t.cast("str | None", self.headers.get("Content-Type"))

    @content_type.setter
    def content_type(self, value: str) -> None:
        self.headers.set("Content-Type", value)

    @property
    def mimetype(self) -> str | None:
        """The content type without parameters: ``text/html``."""
        value = self.headers.get("Content-Type")
        return parse_options_header(value)[0] if value else None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers.set("Content-Type", _content_type_for(value))

    @property
    def mimetype_params(self) -> dict[str, str]:
        return parse_options_header(self.headers.get("Content-Type"))[1]

    @property
    def content_length(self) -> int | None:
        return t.cast("int | None", self.headers.get("Content-Length", type=int))

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is None:
            self.headers.remove("Content-Length")
        else:
            self.headers.set("Content-Length", str(int(value)))

    # -- cookies -----------------------------------------------------------

    @property
    def max_cookie_size(self) -> int | None:
        """The size past which :meth:`set_cookie` warns (``MAX_COOKIE_SIZE``).

        The current app's ``MAX_COOKIE_SIZE`` (4093 outside an app), unless
        set on this response; ``0`` or ``None`` turns the warning off.
        Measured as the cookie's ``name=value``, which is what browsers limit.
        """
        value = self.__dict__.get("_max_cookie_size", _MISSING)
        if value is not _MISSING:
            return t.cast("int | None", value)
        from .ctx import _cv  # upward on purpose: Flask reads the current app's config

        context = _cv.get(None)
        if context is None:
            return 4093
        return t.cast("int | None", context.app.config.get("MAX_COOKIE_SIZE", 4093))

    @max_cookie_size.setter
    def max_cookie_size(self, value: int | None) -> None:
        self.__dict__["_max_cookie_size"] = value

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | timedelta | None = None,
        expires: str | datetime | float | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header (see :func:`erlen.http.cookies.dump_cookie`).

        Warns (``UserWarning``) when the cookie is larger than
        :attr:`max_cookie_size`: browsers drop such cookies without a word.
        """
        header = dump_cookie(
            key, value, max_age, expires, path, domain, secure, httponly, samesite, partitioned
        )
        size = header.find(";")  # the name=value pair; a quoted value has no raw ";"
        if size < 0:
            size = len(header)
        limit = self.max_cookie_size
        if limit and size > limit:
            warnings.warn(
                f"The cookie {key!r} is {size} bytes (name=value), over the "
                f"max_cookie_size of {limit}: browsers ignore cookies that large, "
                "without a word. Store less in it (keep large data on the server and "
                "only its id in the cookie), or raise MAX_COOKIE_SIZE if you are sure.",
                UserWarning,
                stacklevel=2,
            )
        self.headers.add("Set-Cookie", header)

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Tell the client to drop a cookie (same ``path``/``domain`` as it was set)."""
        self.set_cookie(key, "", 0, 0, path, domain, secure, httponly, samesite, partitioned)

    # -- for tests -------------------------------------------------------

    @property
    def json(self) -> t.Any:
        """The body parsed as JSON, or ``None`` if it is not JSON."""
        return self.get_json(silent=True)

    @property
    def is_json(self) -> bool:
        """Whether the body is JSON (``application/json`` or ``*+json``)."""
        mimetype = self.mimetype or ""
        return mimetype == "application/json" or (
            mimetype.startswith("application/") and mimetype.endswith("+json")
        )

    def get_json(self, force: bool = False, silent: bool = False) -> t.Any:
        """Return the body parsed as JSON; ``ValueError`` if it is not JSON."""
        if not force and not self.is_json:
            mimetype = self.mimetype
            if silent:
                return None
            raise ValueError(f"The response is {mimetype or 'untyped'}, not JSON.")
        try:
            return _json.loads(self.get_data())
        except ValueError:
            if silent:
                return None
            raise

    def __repr__(self) -> str:
        size = "streamed" if self.is_streamed else f"{len(self.get_data())} bytes"
        return f"<{type(self).__name__} {size} [{self.status}]>"


def _encoded(chunks: Iterable[str | bytes], charset: str) -> Iterator[bytes]:
    for chunk in chunks:
        if isinstance(chunk, str):
            yield chunk.encode(charset)
        else:
            yield chunk


# RFC 9110 §15.3.5, §15.4.5: these responses carry no content.
_NO_BODY = frozenset((204, 304))
_NOT_MODIFIED_DROPS = ("Content-Encoding", "Content-Language", "Content-Range", "Content-MD5")


def response_of_bytes(
    cls: type[Response], body: bytes, content_type: str, status: int = 200
) -> Response:
    """What ``make_response`` builds for a ``str``, ``bytes`` or ``dict`` return.

    perf: without the general constructor's checks (``content_type`` is a
    trusted constant and there are no other headers), and a module function,
    which Python 3.11 calls faster than a class method. Only for a class
    whose ``_own_init`` is true. Typed views build their answers with it too.
    """
    self = _new_object(cls)
    self.status_code = status
    # perf: Headers._trusted inlined, one call fewer.
    headers = _new_object(Headers)
    headers._list = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    self.headers = headers
    self.response = [body]
    return self


def prepare_body(response: Response, method: str) -> list[bytes] | None:
    """Fix ``response``'s headers for sending; return its whole body, or ``None`` to stream it.

    Both adapters send what this returns: a body held in memory gets a
    ``Content-Length``; a HEAD request, a 204 and a 304 get no body.
    """
    # The headers a view or hook replaced (response.headers = {...}) were made
    # Headers where the cycle got the response back: make_response, after the
    # after_request hooks, and for an aborted request's response.
    body = response.response
    if body.__class__ is list and len(body) == 1 and body[0].__class__ is bytes:
        # perf: what Response(str) builds; Content-Length is already set.
        if method != "HEAD" and response.status_code not in _NO_BODY:
            return body  # type: ignore[no-any-return]  # perf: no cast() call
    elif isinstance(body, (list, tuple)):
        body = list(response.iter_encoded())
        if "Content-Length" not in response.headers:
            response.headers._list.append(("Content-Length", str(sum(map(len, body)))))
        if response._on_close is not None and method != "HEAD":
            if response.status_code not in _NO_BODY:
                # Sent as a stream, which the adapters close once it is sent,
                # so call_on_close functions run after the body went out.
                response.response = body
                return None
    elif method != "HEAD" and response.status_code not in _NO_BODY:
        return None
    if response.status_code in _NO_BODY:
        response.close()
        body = []
        for name in ("Content-Type", "Content-Length"):
            response.headers.remove(name)
        if response.status_code == 304:
            # RFC 9110 §15.4.5: no metadata of a body that is not sent (as
            # Werkzeug; Flask-Compress adds Content-Encoding, then answers 304).
            for name in _NOT_MODIFIED_DROPS:
                response.headers.remove(name)
    if method == "HEAD":
        response.close()
        body = []
    return t.cast("list[bytes]", body)


def _fix_headers(response: Response) -> None:
    """Accept what Flask accepts as ``response.headers = ...``: a dict, pairs, Werkzeug's headers."""
    headers = response.headers
    if not isinstance(headers, Headers):
        if headers is None:
            headers = []
        elif isinstance(headers, dict) and hasattr(headers, "getlist"):
            # A MultiDict (Flask-Cors assigns Werkzeug's): every value of each name.
            headers = [(name, value) for name in headers for value in headers.getlist(name)]
        try:
            response.headers = headers = Headers(headers)
        except TypeError as error:
            raise TypeError(
                f"response.headers is {type(headers).__name__}, which cannot be read as "
                f"headers ({error}). Assign a Headers, a dict or a list of (name, value) pairs."
            ) from None
    length = response.calculate_content_length()
    if length is not None and "Content-Length" not in headers:
        headers._list.append(("Content-Length", str(length)))


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """The old import path of :func:`erlen.jsonify` (the app's JSON provider)."""
    return _json.jsonify(*args, **kwargs)


def redirect(location: str, code: int = 302, Response: type[Response] | None = None) -> Response:  # noqa: N803
    """Return a response that sends the client to ``location``.

    ``code`` is 301, 302 (default), 303, 307 or 308. A location holding a
    newline is refused (it would inject headers); spaces, tabs and other
    control characters are percent-encoded, so ``"\\t//evil.example"``
    stays the relative path it looks like instead of the other site a
    browser would trim it to.
    """
    if code not in (300, 301, 302, 303, 305, 307, 308):
        raise ValueError(f"redirect() got code {code}; a redirect uses 301, 302, 303, 307 or 308.")
    if not (location.isascii() and location.isprintable()) or " " in location:
        if "\r" in location or "\n" in location or "\x00" in location:
            check_header("Location", location)  # refuse CR/LF before quoting could hide them
        # Spaces, tabs and other controls are percent-encoded, wherever they
        # are: "\t//evil.example" (which a browser would trim to another
        # site's //evil.example) becomes the path "%09//evil.example".
        location = quote(location, safe="/:?#[]@!$&'()*+,;=%~")
    check_header("Location", location)
    from html import escape

    cls = Response if Response is not None else globals()["Response"]
    html_location = escape(location)
    response = cls(
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n"
        f'<p>You should be redirected to <a href="{html_location}">{html_location}</a>.</p>\n',
        code,
        mimetype="text/html",
    )
    response.headers.set("Location", location)
    return response


def __getattr__(name: str) -> t.Any:
    # make_response needs the current app; it lives in erlen.helpers (as in
    # Flask) and is served from here for imports written before it moved.
    if name == "make_response":
        from .helpers import make_response

        return make_response
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
