"""The response attributes that read and write one header each: ``cache_control`` ...

:class:`ResponseHeaders` is a part of :class:`~erlen.Response`, kept apart
for size: typed views of the response's headers (``allow``, ``vary``,
``cache_control``, ``expires``, ``www_authenticate``, ``content_range``
...), entity tags, and :meth:`~ResponseHeaders.make_conditional`. Each
attribute reads ``self.headers`` when asked for and writes straight back:
nothing is parsed or kept unless a view uses it.
"""

from __future__ import annotations

import typing as t
from collections.abc import AsyncIterable, Iterable, Iterator
from datetime import datetime, timedelta, timezone

from .http.dates import http_date, parse_date
from .http.etags import generate_etag, quote_etag, unquote_etag
from .http.exceptions import RangeNotSatisfiable

if t.TYPE_CHECKING:
    from .http.auth import WWWAuthenticate
    from .http.cache_control import ResponseCacheControl
    from .http.headers import Headers
    from .http.lists import HeaderSet
    from .http.ranges import ContentRange

# The parsers of erlen.http.auth, .cache_control, .conditional, .lists and
# .ranges are imported by the attributes that use them: loading them all
# would add a few milliseconds to every `import erlen`, for attributes most
# apps never touch.

__all__ = ["ResponseHeaders"]


class _TextHeader:
    """A response header read and set as text; ``None`` removes it."""

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.__doc__ = doc

    @t.overload
    def __get__(self, instance: None, owner: type) -> _TextHeader: ...
    @t.overload
    def __get__(self, instance: ResponseHeaders, owner: type) -> str | None: ...

    def __get__(self, instance: ResponseHeaders | None, owner: type) -> t.Any:
        if instance is None:
            return self
        return instance.headers.get(self.name)

    def __set__(self, instance: ResponseHeaders, value: str | None) -> None:
        if value is None:
            instance.headers.remove(self.name)
        else:
            instance.headers.set(self.name, value)

    def __delete__(self, instance: ResponseHeaders) -> None:
        instance.headers.remove(self.name)


class _DateHeader(_TextHeader):
    """A date header: an aware UTC datetime; set a datetime, a timestamp or ``None``."""

    def __get__(self, instance: ResponseHeaders | None, owner: type) -> t.Any:
        if instance is None:
            return self
        return parse_date(instance.headers.get(self.name))

    def __set__(self, instance: ResponseHeaders, value: datetime | float | str | None) -> None:
        if value is None:
            instance.headers.remove(self.name)
        else:
            instance.headers.set(self.name, value if isinstance(value, str) else http_date(value))


class _SetHeader(_TextHeader):
    """A list header seen as a :class:`HeaderSet`; changing the set rewrites the header.

    Set a string (written as it is), an iterable of strings (a ``set`` is
    sorted, so the header is the same on every run) or ``None``.
    """

    def __get__(self, instance: ResponseHeaders | None, owner: type) -> t.Any:
        if instance is None:
            return self
        from .http.lists import HeaderSet

        headers = instance.headers
        lines = headers.getlist(self.name)
        name = self.name

        def write(items: HeaderSet) -> None:
            if items:
                headers.set(name, items.to_header())
            else:
                headers.remove(name)

        return HeaderSet.from_header(", ".join(lines) if lines else None, write)

    def __set__(self, instance: ResponseHeaders, value: str | Iterable[str] | None) -> None:
        from .http.lists import header_set_value

        header = header_set_value(value)
        if header is None:
            instance.headers.remove(self.name)
        else:
            instance.headers.set(self.name, header)


def _seconds_value(value: int | timedelta, name: str) -> str:
    if isinstance(value, timedelta):
        value = int(value.total_seconds())
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(
            f"{name} takes a number of seconds (0 or more) or a timedelta, not {value!r}."
        )
    return str(value)


def _read_seconds(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if value.isdigit() and value.isascii() and len(value) < 20:
        return int(value)
    return None


class ResponseHeaders:
    """The header attributes of :class:`~erlen.Response`."""

    if t.TYPE_CHECKING:
        headers: Headers
        status_code: int
        response: t.Any
        charset: str

        def get_data(self, as_text: bool = False) -> t.Any: ...

    location = _TextHeader("Location", "Where a redirect or a 201 points (``Location``).")
    content_location = _TextHeader("Content-Location", "The URL of the content sent.")
    content_encoding = _TextHeader("Content-Encoding", "How the body is encoded: ``gzip`` ...")
    content_md5 = _TextHeader("Content-MD5", "The obsolete ``Content-MD5`` header.")
    accept_ranges = _TextHeader("Accept-Ranges", "The range unit offered: ``bytes``.")
    access_control_allow_origin = _TextHeader(
        "Access-Control-Allow-Origin", "The origin a CORS response is shared with, or ``*``."
    )
    expires = _DateHeader("Expires", "When the response goes stale (``Expires``), as a datetime.")
    last_modified = _DateHeader("Last-Modified", "When the content last changed, as a datetime.")
    date = _DateHeader("Date", "When the response was made (``Date``), as a datetime.")
    allow = _SetHeader("Allow", "The methods the resource takes: ``response.allow = {'GET'}``.")
    vary = _SetHeader("Vary", "The request headers the response depends on (``Vary``).")
    content_language = _SetHeader("Content-Language", "The languages of the content.")
    access_control_allow_headers = _SetHeader(
        "Access-Control-Allow-Headers", "The request headers a CORS request may send."
    )
    access_control_allow_methods = _SetHeader(
        "Access-Control-Allow-Methods", "The methods a CORS request may use."
    )
    access_control_expose_headers = _SetHeader(
        "Access-Control-Expose-Headers", "The response headers a CORS caller may read."
    )

    @property
    def access_control_allow_credentials(self) -> bool:
        """Whether a CORS response may be read with credentials (``true``)."""
        return bool(self.headers.get("Access-Control-Allow-Credentials") == "true")

    @access_control_allow_credentials.setter
    def access_control_allow_credentials(self, value: bool | None) -> None:
        if value:
            self.headers.set("Access-Control-Allow-Credentials", "true")
        else:
            self.headers.remove("Access-Control-Allow-Credentials")

    @property
    def access_control_max_age(self) -> int | None:
        """How long a CORS preflight answer may be cached, in seconds."""
        return _read_seconds(self.headers.get("Access-Control-Max-Age"))

    @access_control_max_age.setter
    def access_control_max_age(self, value: int | timedelta | None) -> None:
        if value is None:
            self.headers.remove("Access-Control-Max-Age")
        else:
            self.headers.set(
                "Access-Control-Max-Age", _seconds_value(value, "Access-Control-Max-Age")
            )

    @property
    def age(self) -> timedelta | None:
        """How long the response sat in a cache (``Age``); ``None`` if absent or invalid."""
        seconds = _read_seconds(self.headers.get("Age"))
        return timedelta(seconds=seconds) if seconds is not None else None

    @age.setter
    def age(self, value: int | timedelta | None) -> None:
        if value is None:
            self.headers.remove("Age")
        else:
            self.headers.set("Age", _seconds_value(value, "Age"))

    @property
    def retry_after(self) -> datetime | None:
        """When to try again (``Retry-After``), as an aware UTC datetime.

        Set seconds (an int or a timedelta), a datetime, or ``None``.
        """
        value = self.headers.get("Retry-After")
        seconds = _read_seconds(value)
        if seconds is not None:
            try:
                return datetime.now(timezone.utc) + timedelta(seconds=seconds)
            except OverflowError:
                return None
        return parse_date(value)

    @retry_after.setter
    def retry_after(self, value: datetime | int | timedelta | None) -> None:
        if value is None:
            self.headers.remove("Retry-After")
        elif isinstance(value, datetime):
            self.headers.set("Retry-After", http_date(value))
        else:
            self.headers.set("Retry-After", _seconds_value(value, "Retry-After"))

    @property
    def cache_control(self) -> ResponseCacheControl:
        """The ``Cache-Control`` header; setting a directive rewrites it.

        >>> response.cache_control.max_age = 3600
        >>> response.cache_control.public = True
        >>> response.headers["Cache-Control"]
        'max-age=3600, public'
        """
        from .http.cache_control import ResponseCacheControl, parse_cache_control_header

        headers = self.headers

        def write(control: t.Any) -> None:
            if control:
                headers.set("Cache-Control", control.to_header())
            else:
                headers.remove("Cache-Control")

        lines = headers.getlist("Cache-Control")
        return parse_cache_control_header(
            ", ".join(lines) if lines else None, write, ResponseCacheControl
        )

    @property
    def www_authenticate(self) -> WWWAuthenticate:
        """The ``WWW-Authenticate`` challenge (a 401's); changing it rewrites the header.

        Set a :class:`~erlen.http.auth.WWWAuthenticate`, a list of them (one
        header line each), a string, or ``None``. When absent, an empty
        ``basic`` challenge is returned that writes the header once changed.
        """
        from .http.auth import WWWAuthenticate

        headers = self.headers

        def write(challenge: WWWAuthenticate) -> None:
            headers.set("WWW-Authenticate", challenge.to_header())

        value = headers.get("WWW-Authenticate")
        challenge = WWWAuthenticate.from_header(value, write)
        return challenge if challenge is not None else WWWAuthenticate("basic", on_update=write)

    @www_authenticate.setter
    def www_authenticate(
        self, value: WWWAuthenticate | str | Iterable[WWWAuthenticate | str] | None
    ) -> None:
        from .http.auth import dump_challenges

        self.headers.remove("WWW-Authenticate")
        if value is not None:
            for line in dump_challenges(value):
                self.headers.add("WWW-Authenticate", line)

    @property
    def content_range(self) -> ContentRange:
        """The ``Content-Range`` header; unset (false) when absent or malformed.

        ``response.content_range.set(0, 10, 100)`` writes ``bytes 0-9/100``.
        """
        from .http.ranges import ContentRange, parse_content_range_header

        headers = self.headers

        def write(content_range: ContentRange) -> None:
            if content_range:
                headers.set("Content-Range", content_range.to_header())
            else:
                headers.remove("Content-Range")

        parsed = parse_content_range_header(headers.get("Content-Range"), write)
        return parsed if parsed is not None else ContentRange(None, None, None, None, write)

    @content_range.setter
    def content_range(self, value: ContentRange | str | None) -> None:
        if not value:
            self.headers.remove("Content-Range")
        else:
            self.headers.set("Content-Range", str(value))

    # -- entity tags and conditional responses ----------------------------

    def get_etag(self) -> tuple[str, bool] | tuple[None, None]:
        """Return ``(etag, is_weak)`` of the ``ETag`` header, or ``(None, None)``."""
        value = self.headers.get("ETag")
        if not value:
            return None, None
        tag, weak = unquote_etag(value)
        return t.cast(str, tag), weak

    def set_etag(self, etag: str, weak: bool = False) -> None:
        """Set the ``ETag`` header to ``etag`` (given unquoted)."""
        self.headers.set("ETag", quote_etag(etag, weak))

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        """Set an ``ETag`` made from the body, unless there is one (or ``overwrite``).

        A streamed body is read into memory to compute it.
        """
        if overwrite or "ETag" not in self.headers:
            self.set_etag(generate_etag(self.get_data()), weak)

    def make_conditional(
        self,
        request_or_environ: t.Any,
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> ResponseHeaders:
        """Answer the request's conditions and range with this response; return it.

        For a GET or HEAD whose response is a success, this compares the
        request's ``If-Match``, ``If-None-Match``, ``If-Modified-Since`` and
        ``If-Unmodified-Since`` with this response's ``ETag`` and
        ``Last-Modified`` (RFC 9110 §13.2.2) and turns it into a 304 or a
        412 when they say so. It adds a ``Date`` header when there is none.

        With ``accept_ranges`` (``True`` for ``bytes``) it sends
        ``Accept-Ranges``; with ``complete_length`` too, a single byte
        ``Range`` is answered with a 206 holding that part of the body, and
        one past the end raises :class:`~erlen.exceptions.RangeNotSatisfiable`
        (416). Several ranges get the whole body, which is always allowed::

            @app.get("/report")
            def report():
                data = build_report()  # bytes
                response = Response(data)
                response.add_etag()
                return response.make_conditional(request, True, len(data))
        """
        if isinstance(request_or_environ, dict):
            environ = request_or_environ
            method = str(environ.get("REQUEST_METHOD", "GET"))
            header: t.Callable[[str], str | None] = environ.get
        else:
            method = request_or_environ.method
            header = request_or_environ._raw_header
        if method not in ("GET", "HEAD"):
            return self
        headers = self.headers
        if "Date" not in headers:
            headers.set("Date", http_date())
        if accept_ranges:
            headers.set("Accept-Ranges", "bytes" if accept_ranges is True else accept_ranges)
        if not 200 <= self.status_code < 300:
            return self  # RFC 9110 §13.2.1: conditions apply to a success only
        tag, weak = unquote_etag(headers.get("ETag"))
        modified = parse_date(headers.get("Last-Modified"))
        size = complete_length if accept_ranges and complete_length else None
        if isinstance(self.response, AsyncIterable):
            size = None  # an async body is streamed by the adapters; not sliced here
        from .http.conditional import evaluate_conditions

        status, first, length = evaluate_conditions(
            method, header, tag, weak, modified.timestamp() if modified else None, size
        )
        if status in (304, 412):
            self.status_code = status
        elif status == 206 and length is not None:
            self._send_range(first, length, t.cast(int, size))
        elif status == 416:
            raise RangeNotSatisfiable(size)
        return self

    def _send_range(self, first: int, length: int, size: int) -> None:
        body = self.response
        if isinstance(body, (list, tuple)):
            self.response = [self.get_data()[first : first + length]]
        else:
            self.response = _byte_range(iter(body), first, length, self.charset, body)
        self.status_code = 206
        self.headers.set("Content-Range", f"bytes {first}-{first + length - 1}/{size}")
        self.headers.set("Content-Length", str(length))


def _byte_range(
    chunks: Iterator[str | bytes], first: int, length: int, charset: str, body: t.Any
) -> Iterator[bytes]:
    """Yield bytes ``first`` to ``first + length`` of a streamed body; close it after."""
    try:
        position = 0
        stop = first + length
        for chunk in chunks:
            data = chunk.encode(charset) if isinstance(chunk, str) else chunk
            end = position + len(data)
            if end > first:
                piece = data[max(first - position, 0) : stop - position]
                if piece:
                    yield piece
            position = end
            if position >= stop:
                break
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
