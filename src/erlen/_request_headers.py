"""The request attributes read from one header each: ``authorization``, ``range`` ...

:class:`RequestHeaders` is a part of :class:`~erlen.Request`, kept apart
for size. Each attribute reads its one header when first asked for (from
the scope under ASGI, without building the environ) and parses it with
:mod:`erlen.http`; a malformed value gives ``None`` or an empty value,
never an error, so a client cannot make these fail a request.
"""

from __future__ import annotations

import typing as t

from .http.datastructures import cached
from .http.dates import parse_date
from .http.etags import ETags
from .http.negotiation import Accept, parse_accept

if t.TYPE_CHECKING:
    from datetime import datetime

    from .http.auth import Authorization
    from .http.cache_control import RequestCacheControl
    from .http.lists import HeaderSet
    from .http.ranges import IfRange, Range

# The parsers of erlen.http.auth, .cache_control, .lists and .ranges are
# imported by the attributes that use them: loading them all would add a few
# milliseconds to every `import erlen`, for attributes most apps never read.

__all__ = ["RequestHeaders"]


class RequestHeaders:
    """The header attributes of :class:`~erlen.Request`."""

    if t.TYPE_CHECKING:
        environ: dict[str, t.Any]

        @property
        def remote_addr(self) -> str | None: ...

        def _raw_header(self, cgi_name: str) -> str | None: ...

    @cached
    def accept_charsets(self) -> Accept:
        return parse_accept(self._raw_header("HTTP_ACCEPT_CHARSET"))

    @cached
    def accept_encodings(self) -> Accept:
        return parse_accept(self._raw_header("HTTP_ACCEPT_ENCODING"))

    def _header_text(self, cgi_name: str) -> str | None:
        """Return a header as text: its bytes read as UTF-8, as browsers send them."""
        value = self._raw_header(cgi_name)
        if value is not None and not value.isascii():
            # WSGI hands headers over as latin-1 decoded bytes.
            value = value.encode("latin-1", "replace").decode("utf-8", "replace")
        return value

    @cached
    def authorization(self) -> Authorization | None:
        """The ``Authorization`` header's credentials, or ``None``.

        ``None`` also when the header cannot be read (a Basic value that
        is not base64 of UTF-8 text, a scheme that is not a token). See
        :class:`~erlen.http.auth.Authorization`.
        """
        from .http.auth import Authorization

        return Authorization.from_header(self._raw_header("HTTP_AUTHORIZATION"))

    @cached
    def cache_control(self) -> RequestCacheControl:
        """The ``Cache-Control`` header: ``no_cache``, ``max_age``, ``max_stale`` ...

        Empty (false) when absent.
        """
        from .http.cache_control import parse_cache_control_header

        return parse_cache_control_header(self._raw_header("HTTP_CACHE_CONTROL"))

    @cached
    def if_match(self) -> ETags:
        """The entity tags of ``If-Match``; empty (false) when absent."""
        return ETags.from_header(self._raw_header("HTTP_IF_MATCH"))

    @cached
    def if_none_match(self) -> ETags:
        """The entity tags of ``If-None-Match``; empty (false) when absent."""
        return ETags.from_header(self._raw_header("HTTP_IF_NONE_MATCH"))

    @cached
    def if_modified_since(self) -> datetime | None:
        """``If-Modified-Since`` as an aware UTC datetime; ``None`` if absent or invalid."""
        return parse_date(self._raw_header("HTTP_IF_MODIFIED_SINCE"))

    @cached
    def if_unmodified_since(self) -> datetime | None:
        """``If-Unmodified-Since`` as an aware UTC datetime; ``None`` if absent or invalid."""
        return parse_date(self._raw_header("HTTP_IF_UNMODIFIED_SINCE"))

    @cached
    def if_range(self) -> IfRange:
        """``If-Range``: its ``etag`` or its ``date``; empty (false) if absent or invalid."""
        from .http.ranges import parse_if_range_header

        return parse_if_range_header(self._raw_header("HTTP_IF_RANGE"))

    @cached
    def range(self) -> Range | None:
        """The ``Range`` header, or ``None`` if absent or malformed.

        ``request.range.range_for_length(size)`` gives the ``(start, stop)``
        to send (``stop`` exclusive), or ``None`` when one range cannot
        answer it (then send all of it, or 416 if it starts past the end).
        """
        from .http.ranges import parse_range_header

        return parse_range_header(self._raw_header("HTTP_RANGE"))

    @cached
    def date(self) -> datetime | None:
        """The ``Date`` header as an aware UTC datetime, or ``None``."""
        return parse_date(self._raw_header("HTTP_DATE"))

    @cached
    def pragma(self) -> HeaderSet:
        """The ``Pragma`` header's items (``no-cache``); empty when absent."""
        from .http.lists import HeaderSet

        return HeaderSet.from_header(self._header_text("HTTP_PRAGMA"))

    @cached
    def max_forwards(self) -> int | None:
        """``Max-Forwards`` as a number; ``None`` if absent or not a number."""
        value = self._raw_header("HTTP_MAX_FORWARDS")
        if value is None:
            return None
        value = value.strip()
        return int(value) if value.isdigit() and value.isascii() and len(value) < 20 else None

    @property
    def referrer(self) -> str | None:
        """The ``Referer`` header: the page the request came from, as the client says."""
        return self._header_text("HTTP_REFERER")

    @property
    def origin(self) -> str | None:
        """The ``Origin`` header: where a cross-origin or POST request came from."""
        return self._header_text("HTTP_ORIGIN")

    @property
    def content_encoding(self) -> str | None:
        """The ``Content-Encoding`` of the body (``gzip`` ...), or ``None``."""
        return self._raw_header("HTTP_CONTENT_ENCODING")

    @property
    def content_md5(self) -> str | None:
        """The ``Content-MD5`` header (obsolete, RFC 7231), or ``None``."""
        return self._raw_header("HTTP_CONTENT_MD5")

    @property
    def access_control_request_method(self) -> str | None:
        """The method a CORS preflight (``OPTIONS``) asks about."""
        return self._raw_header("HTTP_ACCESS_CONTROL_REQUEST_METHOD")

    @cached
    def access_control_request_headers(self) -> HeaderSet | None:
        """The headers a CORS preflight asks about, or ``None``."""
        value = self._raw_header("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
        if value is None:
            return None
        from .http.lists import HeaderSet

        return HeaderSet.from_header(value)

    @property
    def remote_user(self) -> str | None:
        """The user the server authenticated (``REMOTE_USER``), if it did."""
        return self.environ.get("REMOTE_USER")

    @cached
    def access_route(self) -> list[str]:
        """The client's address and the proxies' in between, client first.

        Read from ``X-Forwarded-For`` when it is there, which any client can
        send: do not trust it for anything that matters. Behind a proxy,
        have the app trust that proxy's headers (``ProxyFix``, see "Behind a
        reverse proxy" in ``docs/deploying.md``) and read ``remote_addr``.
        """
        forwarded = self._raw_header("HTTP_X_FORWARDED_FOR")
        if forwarded:
            return [item.strip() for item in forwarded.split(",") if item.strip()]
        address = self.remote_addr
        return [address] if address else []
