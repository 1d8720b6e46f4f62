"""HTTP primitives: the layer with no knowledge of apps, requests or servers.

Bytes and strings in, values out: headers, multi-dicts and uploaded files,
cookies, query strings and form bodies, URL converters, hosts, dates and
ETags, content negotiation, status lines, the ``HTTPException`` family, and
an ASGI scope read as a WSGI environ. Every layer above may import this
one; it imports none of them.

The names below were ``erlen.http``'s before it became a package, and stay.
"""

from __future__ import annotations

from .dates import generate_etag, http_date, parse_date, parse_etags, quote_etag, unquote_etag
from .negotiation import Accept, parse_accept, parse_options_header
from .query import parse_qs
from .status import HTTP_STATUS_PHRASES, status_line

__all__ = [
    "HTTP_STATUS_PHRASES",
    "status_line",
    "http_date",
    "parse_date",
    "quote_etag",
    "unquote_etag",
    "parse_etags",
    "generate_etag",
    "parse_options_header",
    "parse_accept",
    "Accept",
    "parse_qs",
]
