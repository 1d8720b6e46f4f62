"""An ASGI scope read as a WSGI environ: the path, the headers, the body's framing.

ASGI hands over a ``scope`` dict; erlen's :class:`~erlen.Request` reads the
WSGI environ's names. These functions bridge the two without any IO and
without asyncio, so the request layer can use them: :func:`build_environ`
makes the whole environ, :func:`scope_header` answers one header without
building it, and :func:`app_path` finds the path below ``root_path``.
"""

from __future__ import annotations

import typing as t
from urllib.parse import unquote_to_bytes

if t.TYPE_CHECKING:
    from ..typing import Scope
    from .headers import Headers

__all__ = [
    "build_environ",
    "scope_header",
    "app_path",
    "undecoded_path",
    "body_headers",
    "announces_body",
    "BodyHeaders",
]


# perf: header names repeat from request to request; each is converted once.
_CGI_NAMES: dict[bytes, str | None] = {}


def _cgi_name(name: bytes) -> str | None:
    key = _CGI_NAMES.get(name)
    if key is None and name not in _CGI_NAMES:
        text = name.decode("latin-1")
        if "_" in text:
            # "X_Forwarded_For" would pass for "X-Forwarded-For" once
            # converted; WSGI servers drop such names, and so does erlen.
            key = None
        else:
            text = text.upper().replace("-", "_")
            key = text if text in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + text
        if len(_CGI_NAMES) < 512:
            _CGI_NAMES[name] = key
    return key


def scope_header(scope: Scope, cgi_name: str) -> str | None:
    """Return the header ``build_environ`` would put at ``cgi_name`` (``HTTP_ACCEPT``)."""
    found: list[str] = []
    names = _CGI_NAMES
    for name, value in scope["headers"]:
        if (names.get(name) or _cgi_name(name)) == cgi_name:
            found.append(value.decode("latin-1"))
    if not found:
        return None
    return ("; " if cgi_name == "HTTP_COOKIE" else ", ").join(found)


def build_environ(scope: Scope, body: t.Any) -> dict[str, t.Any]:
    """Return a WSGI-style environ for an ASGI ``http`` or ``websocket`` scope.

    ``PATH_INFO`` is the path below ``root_path``, as latin-1 text of its
    UTF-8 bytes (as PEP 3333 has it); repeated headers are joined with
    commas (cookies with ``;``); header names with underscores are dropped.
    """
    path = app_path(scope)
    root: str = scope.get("root_path", "")
    if not root.isascii():
        root = root.encode("utf-8").decode("latin-1")
    if not path.isascii():
        raw = undecoded_path(scope, path)
        if raw is None:
            path = path.encode("utf-8").decode("latin-1")
        else:
            # The bytes the server could not decode, so the request can say
            # precisely what was wrong.
            path = raw.decode("latin-1") or "/"
    scheme = scope.get("scheme", "http")
    server = scope.get("server") or ("localhost", 443 if scheme in ("https", "wss") else 80)
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": scope.get("method", "GET"),
        "SCRIPT_NAME": root,
        "PATH_INFO": path,
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": "" if server[1] is None else str(server[1]),
        "SERVER_PROTOCOL": _PROTOCOLS.get(scope.get("http_version", "1.1"), "HTTP/1.1"),
        "wsgi.url_scheme": scheme,
        "wsgi.input": body,
        "wsgi.input_terminated": True,
        "asgi.scope": scope,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"] = client[0]
        environ["REMOTE_PORT"] = str(client[1])
    names = _CGI_NAMES
    for name, value in scope["headers"]:
        key = names.get(name) or _cgi_name(name)
        if key is None:
            continue
        if key in environ:
            environ[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value.decode("latin-1")
        else:
            environ[key] = value.decode("latin-1")
    return environ


def app_path(scope: Scope) -> str:
    """The request path below ``root_path``."""
    path: str = scope["path"] or "/"
    root: str = scope.get("root_path", "")
    # Servers differ on whether `path` includes `root_path` (ASGI 2.4+ says it
    # does); take it off when it is there.
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        path = path[len(root) :] or "/"
    return path


def undecoded_path(scope: Scope, path: str) -> bytes | None:
    """The raw bytes of ``path`` when the server replaced some it could not decode."""
    raw = scope.get("raw_path")
    if "\ufffd" not in path or not raw:
        return None
    data = unquote_to_bytes(raw)
    prefix = (scope.get("root_path") or "").encode("utf-8")
    if prefix and data.startswith(prefix):
        data = data[len(prefix) :]
    return data


_PROTOCOLS = {"1.0": "HTTP/1.0", "1.1": "HTTP/1.1", "2": "HTTP/2", "3": "HTTP/3"}


#: The headers body_headers() looks for: the body's framing and type, and the
#: two that show a browser sent the request (for the CSRF check).
_BODY_HEADER_NAMES = frozenset(
    (b"content-length", b"content-type", b"transfer-encoding", b"origin", b"sec-fetch-site")
)
#: What :func:`body_headers` finds: ``(length, content_type, repeated, browser)``.
#: ``length`` is the ``Content-Length`` value, unchecked; ``repeated`` whether
#: either of those two headers came more than once; ``browser`` whether
#: ``Origin`` or ``Sec-Fetch-Site`` came (a browser sent the request). A plain
#: tuple: a NamedTuple's construction costs about 0.1 µs more per request.
BodyHeaders = tuple[bytes | None, bytes | None, bool, bool]


def body_headers(scope: Scope) -> BodyHeaders | None:
    """Return the body's length and type headers, or ``None`` for a request without a body."""
    length = content_type = None
    repeated = chunked = browser = False
    for name, value in scope["headers"]:
        if name in _BODY_HEADER_NAMES:  # perf: one test for the usual header
            if name == b"content-length":
                repeated = repeated or length is not None
                length = value
            elif name == b"content-type":
                repeated = repeated or content_type is not None
                content_type = value
            elif name == b"transfer-encoding":
                chunked = True
            else:
                browser = True
    # perf: announces_body() inlined.
    if length is None:
        if not chunked and scope.get("http_version") in ("1.1", "1.0"):
            return None
    elif not chunked and length in (b"", b"0"):
        return None
    return length, content_type, repeated, browser


def announces_body(length: bytes | None, chunked: bool, http_version: str | None) -> bool:
    """Whether a request with this ``Content-Length`` (or chunked coding) has a body.

    HTTP/1.1 announces a body by one of those headers (RFC 9112 §6.3);
    HTTP/2 and 3 need neither, so there the body is always listened for.
    """
    if length is not None:
        return chunked or length not in (b"", b"0")
    return chunked or http_version not in ("1.1", "1.0")


# perf: response headers repeat (Content-Type, and Content-Length of the
# usual sizes): each pair, and each whole list of pairs, is lower-cased and
# encoded once, up to a bound.
_HEADER_PAIRS: dict[tuple[str, str], tuple[bytes, bytes]] = {}
_HEADER_LISTS: dict[tuple[tuple[str, str], ...], tuple[tuple[bytes, bytes], ...]] = {}


def encode_headers(headers: Headers) -> list[tuple[bytes, bytes]]:
    """Return ``headers`` as an ASGI message carries them: lower-cased, as bytes.

    A new list each time: ASGI middleware may add to it in place.
    """
    lists = _HEADER_LISTS
    try:
        key = tuple(headers._list)
        encoded = lists.get(key)
    except TypeError:  # a pair that is a list, not a tuple (code that edited _list)
        return [_encode_pair(tuple(pair)) for pair in headers._list]  # type: ignore[arg-type]
    if encoded is None:
        pairs = _HEADER_PAIRS
        encoded = tuple([pairs.get(pair) or _encode_pair(pair) for pair in key])
        if len(lists) >= 1024:  # a bound; lists with cookies or ETags rarely repeat
            lists.clear()
        lists[key] = encoded
    return list(encoded)


def _encode_pair(pair: tuple[str, str]) -> tuple[bytes, bytes]:
    name, value = pair
    encoded = (name.lower().encode("latin-1"), value.encode("latin-1"))
    if len(_HEADER_PAIRS) < 1024:  # a bound: values such as cookies rarely repeat
        _HEADER_PAIRS[pair] = encoded
    return encoded
