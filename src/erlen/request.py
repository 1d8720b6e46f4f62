"""The incoming request: lazy, cached views over a WSGI environ.

Nothing is parsed until asked for. The first access to ``args``,
``headers``, ``cookies``, ``form``, ``json`` ... parses and caches; a view
that reads none of them pays for none of them.
"""

from __future__ import annotations

import io
import typing as t
from collections import ChainMap
from urllib.parse import quote

from . import json as _json
from ._request_headers import RequestHeaders
from .http import forms as _forms
from .http.cookies import parse_cookie
from .http.datastructures import FileStorage, MultiDict, cached
from .http.exceptions import (
    BadRequest,
    RequestEntityTooLarge,
    RequestHeaderFieldsTooLarge,
    UnsupportedMediaType,
)
from .http.headers import Headers
from .http.hosts import environ_host
from .http.negotiation import Accept, parse_accept, parse_options_header
from .http.query import parse_qs
from .http.scope import app_path, build_environ, scope_header, undecoded_path
from .http.streams import LimitedStream, read_exactly, too_large

if t.TYPE_CHECKING:
    from .http.scope import BodyHeaders
    from .typing import Scope

__all__ = ["Request", "DEFAULT_LIMITS"]

T = t.TypeVar("T")
R = t.TypeVar("R", bound="Request")

#: Limits on what a request may make erlen parse. The app's config holds the
#: values in force; these are the defaults (documented in docs/limits.md).
DEFAULT_LIMITS: dict[str, t.Any] = {
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1_000,
    "MAX_FORM_PART_HEADER_SIZE": 8_192,
    "MAX_REQUEST_HEADERS": 100,
    "MAX_REQUEST_HEADER_SIZE": 8_192,
    "MAX_WEBSOCKET_MESSAGE_SIZE": 1024 * 1024,
}

_URLENCODED = "application/x-www-form-urlencoded"
_FORM_TYPES = (_URLENCODED, "multipart/form-data")
_MISSING: t.Any = object()
#: The stream of a request whose body was read at once: nothing left to read.
_SPENT = LimitedStream(None, 0, None)


def _stream_of(body: bytes) -> LimitedStream:
    """A stream over a body read already (within the limits, when it was read)."""
    return LimitedStream(io.BytesIO(body), len(body), None)


class _Args(MultiDict[str]):
    where = "the query string (request.args)"


class _Form(MultiDict[str]):
    where = "the form data (request.form)"


class _Files(MultiDict[FileStorage]):
    where = "the uploaded files (request.files)"


class UserAgent:
    """The ``User-Agent`` header; ``str(ua)`` and ``ua.string`` give it whole.

    As Werkzeug's (since 2.1), it does not guess the browser: ``platform``,
    ``browser``, ``version`` and ``language`` are ``None``. A subclass may
    fill them from ``string`` with a parser of its choice.
    """

    platform: str | None = None
    browser: str | None = None
    version: str | None = None
    language: str | None = None

    def __init__(self, string: str) -> None:
        self.string = string

    def to_header(self) -> str:
        return self.string

    def __str__(self) -> str:
        return self.string

    def __bool__(self) -> bool:
        return bool(self.string)

    def __repr__(self) -> str:
        return f"<UserAgent {self.string!r}>"


class Request(RequestHeaders):
    """An HTTP request, built from a WSGI ``environ``.

    Used through the ``request`` proxy inside a view. Everything but the
    method and the path is parsed on first access and cached. The headers
    with a meaning of their own (``authorization``, ``cache_control``,
    ``if_none_match``, ``range`` ...) come from ``RequestHeaders``.
    """

    #: The JSON module Flask code finds here (``request.json_module.loads``):
    #: :mod:`erlen.json`, which goes through the current app's provider.
    #: Whether the class builds its requests with Request's own ``__init__``
    #: (set for each subclass): ``from_scope`` then skips the environ.
    _own_init = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        # perf: decided once per class, not tested on each request.
        cls._own_init = cls.__init__ is Request.__init__

    json_module = _json

    #: Set by the app while routing.
    url_rule: t.Any = None
    view_args: dict[str, t.Any] | None = None
    routing_exception: Exception | None = None
    _invalid_path = False

    def __init__(
        self, environ: dict[str, t.Any], config: t.Mapping[str, t.Any] | None = None
    ) -> None:
        self.environ = environ
        self.method: str = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO") or "/"
        if not path.isascii():
            # PEP 3333 hands the path over as latin-1 decoded bytes.
            try:
                path = path.encode("latin-1").decode("utf-8")
            except UnicodeError:
                self._invalid_path = True
                path = path.encode("latin-1", "replace").decode("utf-8", "replace")
        self.path: str = path
        self._config = config if config is not None else DEFAULT_LIMITS

    @classmethod
    def from_environ(
        cls: type[R], environ: dict[str, t.Any], config: t.Mapping[str, t.Any] | None = None
    ) -> R:
        """Return the request a WSGI server described in ``environ``.

        The same as calling the class; the WSGI adapter and the test client
        build requests this way, so both protocols have a named constructor.
        """
        return cls(environ, config)

    @classmethod
    def from_scope(
        cls: type[R],
        scope: Scope,
        body: t.Any,
        config: t.Mapping[str, t.Any] | None = None,
        body_headers: BodyHeaders | None = None,
    ) -> R:
        """Return the request an ASGI server described in ``scope``.

        ``body`` is what the body is read from (an object with ``read``).
        The environ is built from the scope only when something asks for
        :attr:`environ`; the method, path and (given ``body_headers``, as
        ``body_headers`` found them) the body's length
        and type are read from the scope directly. A subclass whose
        ``__init__`` takes over gets the whole environ up front.
        """
        if cls is not Request and not cls._own_init:  # perf: `is` first, a fast test
            return cls(build_environ(scope, body), config)
        # perf: no environ; __init__'s work done from the scope instead.
        request = cls.__new__(cls)
        request._scope = scope
        request._body = request._input = body
        request._config = config if config is not None else DEFAULT_LIMITS
        request.method = scope.get("method", "GET")
        path = scope["path"] or "/"
        if scope.get("root_path"):  # perf: app_path's work only when there is a root
            path = app_path(scope)
        # perf: set on the instance, where the router reads it faster than on the class.
        request._invalid_path = False
        if not path.isascii():
            raw = undecoded_path(scope, path)
            if raw is not None:
                try:
                    raw.decode("utf-8")
                except UnicodeError:
                    request._invalid_path = True
        request.path = path
        if body_headers is not None:
            # perf: what reading the body needs, taken from the scope without building
            # the whole environ; a malformed length is left to the environ, whose
            # parsing reports it.
            length, content_type, repeated, browser = body_headers
            known = request.__dict__
            known["_from_browser"] = browser
            if repeated or (length is not None and (not length.isdigit() or len(length) > 19)):
                return request
            known["content_length"] = None if length is None else int(length)
            known["content_type"] = (
                content_type.decode("latin-1") or None if content_type is not None else None
            )
        return request

    @cached
    def environ(self) -> dict[str, t.Any]:
        """The WSGI environ (PEP 3333) of this request, under both protocols.

        Under WSGI it is the server's own; under ASGI it is built from the
        scope when first asked for, with the scope itself at
        ``environ["asgi.scope"]`` and the body at ``wsgi.input``.
        """
        # perf: only requests built by from_scope get here (__init__ sets it),
        # and most views never need the whole environ.
        return build_environ(self._scope, self._body)

    _scope: t.Any = None
    _body: t.Any = None

    #: Where the body is read from, when the ASGI adapter built the request
    #: (otherwise ``wsgi.input``).
    _input: t.Any = None

    # -- the URL ---------------------------------------------------------

    @cached
    def root_path(self) -> str:
        """Where the app is mounted (``SCRIPT_NAME``), without a trailing slash."""
        root = self.environ.get("SCRIPT_NAME") or ""
        if not root.isascii():
            root = root.encode("latin-1", "replace").decode("utf-8", "replace")
        return root.rstrip("/")

    script_root = root_path

    @cached
    def query_string(self) -> bytes:
        """The raw query string, as bytes."""
        return (self.environ.get("QUERY_STRING") or "").encode("latin-1", "replace")

    @cached
    def args(self) -> MultiDict[str]:
        """The query string's parameters."""
        query = self.environ.get("QUERY_STRING")
        args = _Args()
        if query:
            if not query.isascii():
                query = query.encode("latin-1", "replace").decode("utf-8", "replace")
            try:
                pairs = parse_qs(query, self._config.get("MAX_FORM_PARTS"))
            except ValueError:
                raise RequestEntityTooLarge(
                    "The query string has more parameters than this server accepts. "
                    "Raise app.config['MAX_FORM_PARTS'] if this is expected."
                ) from None
            args.extend_pairs(pairs)
        return args

    @cached
    def scheme(self) -> str:
        return str(self.environ.get("wsgi.url_scheme", "http"))

    @property
    def is_secure(self) -> bool:
        return self.scheme in ("https", "wss")

    @cached
    def host(self) -> str:
        """The host (and port, if not the default) the client asked for.

        :raises erlen.http.hosts.InvalidHost: (400) the ``Host`` header is not a valid
            ``host[:port]``, such as the ``"a, b"`` of two Host lines that
            a server joined. Checked here, when the host is first used
            (links, ``url_for(_external=True)``, host matching), so requests
            that never use it pay nothing.
        """
        return environ_host(self.environ, self.scheme)

    @property
    def full_path(self) -> str:
        """The path and the query string: ``/search?q=erlen``."""
        query = self.query_string.decode("latin-1")
        return f"{self.path}?{query}"

    @property
    def host_url(self) -> str:
        return f"{self.scheme}://{self.host}/"

    @property
    def url_root(self) -> str:
        """The URL the app is mounted at, with a trailing slash."""
        return f"{self.scheme}://{self.host}{_quote_path(self.root_path)}/"

    root_url = url_root

    @property
    def base_url(self) -> str:
        """The URL without the query string."""
        return f"{self.scheme}://{self.host}{_quote_path(self.root_path + self.path)}"

    @property
    def url(self) -> str:
        """The full URL the client asked for."""
        query = self.query_string.decode("latin-1")
        return self.base_url + (f"?{query}" if query else "")

    @property
    def remote_addr(self) -> str | None:
        return self.environ.get("REMOTE_ADDR")

    # -- headers ---------------------------------------------------------

    def _raw_header(self, cgi_name: str) -> str | None:
        """Return one header by its CGI name (``HTTP_ACCEPT``), unchecked, unparsed."""
        environ = self.__dict__.get("environ")
        if environ is None and self._scope is not None:
            # perf: an ASGI request answers from its scope, without building
            # the whole environ; repeated headers are joined as there.
            return scope_header(self._scope, cgi_name)
        value = self.environ.get(cgi_name)
        return value if isinstance(value, str) else None

    @cached
    def headers(self) -> Headers:
        """The request headers (case-insensitive lookups)."""
        max_count = self._config.get("MAX_REQUEST_HEADERS")
        max_size = self._config.get("MAX_REQUEST_HEADER_SIZE")
        pairs = []
        for key, value in self.environ.items():
            if key[:5] == "HTTP_":
                name = key[5:].replace("_", "-").title()
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                name = key.replace("_", "-").title()
            else:
                continue
            if max_size is not None and len(name) + len(value) > max_size:
                raise RequestHeaderFieldsTooLarge(
                    f"The {name} header is {len(value)} bytes long; this server accepts "
                    f"headers of at most {max_size} bytes. Raise "
                    "app.config['MAX_REQUEST_HEADER_SIZE'] if this is expected."
                )
            pairs.append((name, value))
        if max_count is not None and len(pairs) > max_count:
            raise RequestHeaderFieldsTooLarge(
                f"The request has {len(pairs)} headers; this server accepts at most "
                f"{max_count}. Raise app.config['MAX_REQUEST_HEADERS'] if this is expected."
            )
        return Headers._trusted(pairs)

    @cached
    def cookies(self) -> MultiDict[str]:
        """The cookies the client sent (name -> value)."""
        header = self.environ.get("HTTP_COOKIE")
        max_size = self._config.get("MAX_REQUEST_HEADER_SIZE")
        if header and max_size is not None and len(header) > max_size:
            raise RequestHeaderFieldsTooLarge(
                f"The Cookie header is {len(header)} bytes long; this server accepts "
                f"headers of at most {max_size} bytes. Raise "
                "app.config['MAX_REQUEST_HEADER_SIZE'] if this is expected."
            )
        return parse_cookie(header)

    @cached
    def content_type(self) -> str | None:
        return self.environ.get("CONTENT_TYPE") or None

    @cached
    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        value = self.content_type
        if value and ";" not in value:
            return value.strip().lower(), {}  # perf: no parameters, no parser
        return parse_options_header(value)

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased: ``text/html``."""
        return self._parsed_content_type[0]

    @property
    def mimetype_params(self) -> dict[str, str]:
        return self._parsed_content_type[1]

    @cached
    def content_length(self) -> int | None:
        """The announced body length; a malformed ``Content-Length`` is a 400."""
        value = self.environ.get("CONTENT_LENGTH")
        if value is None or value == "":
            return None
        # RFC 9110 §8.6: Content-Length = 1*DIGIT (no sign, no spaces inside).
        if value.isdigit() and value.isascii() and len(value) <= 19:
            return int(value)
        value = value.strip()
        if not value.isdigit() or not value.isascii() or len(value) > 19:
            raise BadRequest(
                f"The Content-Length header {value[:40]!r} is not a valid length: it must "
                "be a whole number of bytes, such as 'Content-Length: 42'."
            )
        return int(value)

    #: The class :attr:`user_agent` is made with; a subclass of
    #: :class:`UserAgent` can parse the header with a library of your choice.
    user_agent_class: type[UserAgent] = UserAgent

    @cached
    def user_agent(self) -> UserAgent:
        return self.user_agent_class(self._header_text("HTTP_USER_AGENT") or "")

    @cached
    def accept_mimetypes(self) -> Accept:
        """The parsed ``Accept`` header, with ``best_match(offers)``."""
        return parse_accept(self.environ.get("HTTP_ACCEPT"))

    @cached
    def accept_languages(self) -> Accept:
        return parse_accept(self.environ.get("HTTP_ACCEPT_LANGUAGE"))

    @property
    def is_json(self) -> bool:
        """Whether the body is JSON (``application/json`` or ``*+json``)."""
        mimetype = self.mimetype
        return mimetype == "application/json" or (
            mimetype.startswith("application/") and mimetype.endswith("+json")
        )

    # -- the body --------------------------------------------------------

    # The limits in force for this request: the app's config, unless a view or
    # hook set one on the request (Flask 3.1's per-request limits).

    def _set_limit(self, name: str, value: int | None) -> None:
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            raise ValueError(
                f"request.{name.lower()} must be a number of bytes (0 or more) or None "
                f"(the app's {name}), not {value!r}."
            )
        known = self.__dict__
        if (
            name == "MAX_CONTENT_LENGTH"
            and "_body_bytes" in known
            and getattr(self._input, "_buffer", None) is known["_body_bytes"]
        ):
            # The body the ASGI adapter read in advance, under the app's limit, is
            # still in its buffer: read from there, through a stream bounded by this.
            del known["_body_bytes"]
        config = self._config
        if not isinstance(config, ChainMap):
            # perf: only a request whose limits changed gets its own layer; every
            # reader keeps calling self._config.get(name) as before.
            config = self._config = ChainMap({}, t.cast("dict[str, t.Any]", config))
        if value is None:
            config.maps[0].pop(name, None)
        else:
            config.maps[0][name] = value

    @property
    def max_content_length(self) -> int | None:
        """The most bytes this request's body may have (413 past it).

        ``app.config["MAX_CONTENT_LENGTH"]`` unless set on this request,
        before its body is read (in a ``before_request`` hook, say);
        ``None`` there goes back to the app's value. Under ASGI the body is
        read before hooks run, so a higher value for one request takes
        effect only on a route with ``stream_body=True``.
        """
        return t.cast("int | None", self._config.get("MAX_CONTENT_LENGTH"))

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._set_limit("MAX_CONTENT_LENGTH", value)

    @property
    def max_form_memory_size(self) -> int | None:
        """The most bytes of form fields held in memory (``MAX_FORM_MEMORY_SIZE``)."""
        return t.cast("int | None", self._config.get("MAX_FORM_MEMORY_SIZE"))

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._set_limit("MAX_FORM_MEMORY_SIZE", value)

    @property
    def max_form_parts(self) -> int | None:
        """The most fields and files a form may have (``MAX_FORM_PARTS``)."""
        return t.cast("int | None", self._config.get("MAX_FORM_PARTS"))

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._set_limit("MAX_FORM_PARTS", value)

    @property
    def input_stream(self) -> t.Any:
        """The body as the server hands it over, with no limit checked: prefer ``stream``."""
        return self._input or self.environ.get("wsgi.input")

    @property
    def is_multithread(self) -> bool:
        return bool(self.environ.get("wsgi.multithread", False))

    @property
    def is_multiprocess(self) -> bool:
        return bool(self.environ.get("wsgi.multiprocess", False))

    @property
    def is_run_once(self) -> bool:
        return bool(self.environ.get("wsgi.run_once", False))

    @cached
    def stream(self) -> LimitedStream:
        """The body as a file-like object, read once, bounded by the limits."""
        body = self.__dict__.get("_body_bytes")
        if body is not None:  # already read whole (to parse a form, or by the ASGI adapter)
            return _stream_of(body)
        length = self.content_length
        source = self._input or self.environ.get("wsgi.input")
        if source is None or (length is None and not self.environ.get("wsgi.input_terminated")):
            length = 0
        return LimitedStream(source, length, self._config.get("MAX_CONTENT_LENGTH"))

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> t.Any:
        """Return the raw body (bytes, or str with ``as_text``)."""
        data = self.__dict__.get("_data")
        if data is None:
            if parse_form_data:
                self.form  # noqa: B018 - parses the form, if it is one
                data = self.__dict__.get("_data")
            if data is None:
                known = self.__dict__
                # perf: no stream object for the bytes read already (for a form, or
                # in advance by the ASGI adapter), or for one read of the length
                # announced; the stream is spent after, as after reading it whole.
                data = known.get("_body_bytes")
                length = self.content_length if data is None else None
                if "stream" in known or (data is None and length is None):
                    data = self.stream.readall()
                else:
                    if data is None:
                        data = self._read_at_once(length)  # type: ignore[arg-type]  # not None
                    known["stream"] = _SPENT
                if cache:
                    known["_data"] = data
        if as_text:
            return data.decode(self.mimetype_params.get("charset", "utf-8"), "replace")
        return data

    @property
    def data(self) -> bytes:
        """The raw body, unless it was a form (then ``form`` holds it)."""
        if self.mimetype in _FORM_TYPES:
            self.form  # noqa: B018 - a form body is read into request.form
            return t.cast(bytes, self.__dict__.get("_data", b""))
        return t.cast(bytes, self.get_data())

    def _load_form(self) -> None:
        config = self._config
        # perf: the usual urlencoded header needs no parsing to be recognised.
        if self.content_type == _URLENCODED:
            mimetype = _URLENCODED
        else:
            mimetype = self.mimetype
        files: MultiDict[FileStorage]
        if mimetype not in _FORM_TYPES:
            form: MultiDict[str] = _Form.__new__(_Form)
            files = _Files.__new__(_Files)
        elif mimetype == _URLENCODED:
            # perf: the common form, read in one call and parsed in place.
            body = self._read_form_body(config.get("MAX_FORM_MEMORY_SIZE"))
            form = _forms.parse_urlencoded(body, config.get("MAX_FORM_PARTS"), cls=_Form)
            files = _Files.__new__(_Files)
        else:
            data = self.__dict__.get("_data")
            form, files = _forms.parse_form_data(
                # As Werkzeug: a body get_data() read already is parsed from its bytes.
                self.stream if data is None else _stream_of(data),
                mimetype,
                self.mimetype_params,
                max_form_memory_size=config.get("MAX_FORM_MEMORY_SIZE"),
                max_form_parts=config.get("MAX_FORM_PARTS"),
                max_part_header_size=config.get("MAX_FORM_PART_HEADER_SIZE") or 8192,
            )
            form.__class__ = _Form
            files.__class__ = _Files
        self.__dict__["form"] = form
        self.__dict__["files"] = files

    def _read_at_once(self, length: int) -> bytes:
        """Read a body of a known ``length`` in one call, as ``stream`` would, without it."""
        limit = self._config.get("MAX_CONTENT_LENGTH")
        if limit is not None and length > limit:
            raise too_large(length, limit)
        source = self._input or self.environ.get("wsgi.input")
        return read_exactly(source, length) if source is not None and length else b""

    def _read_form_body(self, max_size: int | None) -> bytes:
        known = self.__dict__
        # The bytes read already: by get_data() (as Werkzeug, the form is parsed
        # from them), else by the ASGI adapter in advance, unless the view has
        # begun reading the stream.
        body = known.get("_data")
        if body is None and "stream" not in known:
            body = known.get("_body_bytes")
        if body is not None:
            if max_size is not None and len(body) > max_size:
                raise _forms._memory_too_large(max_size)
            return body  # type: ignore[no-any-return]  # perf: no cast() call
        length = self.content_length
        if length is not None and max_size is not None and length > max_size:
            raise _forms._memory_too_large(max_size)
        if length is not None and "stream" not in known:
            # perf: one read, no stream object; the bytes stay for `stream`.
            body = known["_body_bytes"] = self._read_at_once(length)
            return body
        stream = self.stream
        if length is not None:
            return stream.read(length)
        body = stream.readall()
        if max_size is not None and len(body) > max_size:
            raise _forms._memory_too_large(max_size)
        return body

    @cached
    def form(self) -> MultiDict[str]:
        """Fields of a urlencoded or multipart form body."""
        known = self.__dict__
        if "content_type" in known:
            content_type = known["content_type"]
        else:
            environ = known.get("environ")
            content_type = self.content_type if environ is None else environ.get("CONTENT_TYPE")
        if content_type == _URLENCODED:
            # perf: the usual form, urlencoded, skips _load_form's dispatch.
            config = self._config
            body = self._read_form_body(config.get("MAX_FORM_MEMORY_SIZE"))
            known["files"] = _Files.__new__(_Files)
            return _forms.parse_urlencoded(body, config.get("MAX_FORM_PARTS"), cls=_Form)
        self._load_form()
        return known["form"]  # type: ignore[no-any-return]  # perf: no cast() call

    @cached
    def files(self) -> MultiDict[FileStorage]:
        """Uploaded files of a multipart form body."""
        self._load_form()
        return t.cast("MultiDict[FileStorage]", self.__dict__["files"])

    @property
    def values(self) -> MultiDict[str]:
        """``args`` and ``form`` together (for GET, only ``args``)."""
        combined: MultiDict[str] = MultiDict(self.args)
        if self.method != "GET":
            combined.update(self.form)
        return combined

    @property
    def json(self) -> t.Any:
        """The parsed JSON body; 415 if the body is not JSON, 400 if invalid."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> t.Any:
        """Parse the body as JSON.

        :param force: parse even if the content type is not JSON.
        :param silent: return ``None`` instead of raising on bad input.

        Bad input goes to :meth:`on_json_loading_failed`, which raises.
        """
        cached_value = self.__dict__.get("_json", _MISSING)
        if cached_value is not _MISSING:
            return cached_value
        if not (force or self.is_json):
            return None if silent else self.on_json_loading_failed(None)
        data = self.get_data(cache=cache)
        try:
            value = _json.loads(data)
        except (ValueError, RecursionError) as error:
            if silent:
                return None  # not cached: a later get_json() still reports the error
            value = self.on_json_loading_failed(error)
        if cache:
            self.__dict__["_json"] = value
        return value

    def on_json_loading_failed(self, e: Exception | None) -> t.Any:
        """Report a body :meth:`get_json` could not read: raise 415 or 400.

        ``e`` is the parsing error, or ``None`` when the content type was not
        JSON. Override it in a ``Request`` subclass to answer otherwise; what
        it returns becomes ``get_json()``'s value.
        """
        if e is None:
            raise UnsupportedMediaType(
                "Did not attempt to load JSON data because the request Content-Type was "
                f"{self.content_type or 'missing'!r}, not 'application/json'. Send the "
                "header 'Content-Type: application/json', or call get_json(force=True)."
            )
        reason = "nested too deeply" if isinstance(e, RecursionError) else e
        raise BadRequest(f"Failed to decode JSON object: {reason}") from None

    def close(self) -> None:
        """Close uploaded files' temporary storage."""
        files = self.__dict__.get("files")
        if files:
            for _, storage in files.items(multi=True):
                storage.close()

    # -- set by the app --------------------------------------------------

    @property
    def endpoint(self) -> str | None:
        rule = self.url_rule
        return rule.endpoint if rule is not None else None

    @property
    def blueprint(self) -> str | None:
        endpoint = self.endpoint
        if endpoint and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The current blueprint and the ones it is nested in, innermost first."""
        name = self.blueprint
        if name is None:
            return []
        parts = name.split(".")
        return [".".join(parts[:index]) for index in range(len(parts), 0, -1)]

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path!r}>"


def _quote_path(path: str) -> str:
    return quote(path, safe="/!$&'()*+,;=:@-._~%")
