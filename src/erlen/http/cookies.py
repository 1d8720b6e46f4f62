"""Parse the ``Cookie`` header and build ``Set-Cookie`` values (RFC 6265)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

from .datastructures import MultiDict
from .dates import http_date

__all__ = ["parse_cookie", "dump_cookie"]

# RFC 6265 §4.1.1: cookie-name = token
_NAME_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
_PLAIN_VALUE_RE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")
_ESCAPE_RE = re.compile(r"\\([0-3][0-7]{2}|.)")


class CookieMultiDict(MultiDict[str]):
    where = "the request cookies (request.cookies)"


def _unquote(value: str) -> str:
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value
    inner = value[1:-1]
    if "\\" not in inner:
        return inner
    raw = bytearray()
    pos = 0
    for match in _ESCAPE_RE.finditer(inner):
        raw += inner[pos : match.start()].encode("utf-8", "surrogateescape")
        escaped = match.group(1)
        if len(escaped) == 3:
            raw.append(int(escaped, 8))
        else:
            raw += escaped.encode("utf-8", "surrogateescape")
        pos = match.end()
    raw += inner[pos:].encode("utf-8", "surrogateescape")
    return raw.decode("utf-8", "replace")


def parse_cookie(header: str | None, max_cookies: int | None = None) -> MultiDict[str]:
    """Parse a ``Cookie`` header into a :class:`~erlen.http.datastructures.MultiDict`.

    Pairs whose name is empty, quoted or not a token are dropped, so a
    nameless cookie (``=__Host-id=1``) or a quoted one (``"__Host-id"=1``)
    cannot pose as a real ``__Host-`` cookie. Values quoted by
    :func:`dump_cookie` are unquoted; invalid UTF-8 becomes U+FFFD.
    """
    cookies = CookieMultiDict()
    if not header:
        return cookies
    if not header.isascii():
        # WSGI hands us latin-1 decoded bytes; cookies are UTF-8 on the wire.
        header = header.encode("latin-1", "replace").decode("utf-8", "replace")
    count = 0
    for item in header.split(";"):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not _NAME_RE.fullmatch(name):
            continue
        cookies.add(name, _unquote(value.strip()))
        count += 1
        if max_cookies is not None and count >= max_cookies:
            break
    return cookies


def _quote(value: str) -> str:
    if _PLAIN_VALUE_RE.fullmatch(value):
        return value
    out = []
    for byte in value.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F and char not in ",;":
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def dump_cookie(
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
    sync_expires: bool = True,
) -> str:
    """Return a ``Set-Cookie`` header value.

    Values outside RFC 6265's cookie-octets are quoted and escaped, so any
    string round-trips through :func:`parse_cookie`. ``samesite`` is
    ``"Strict"``, ``"Lax"`` or ``"None"``; ``SameSite=None`` and
    ``partitioned`` imply ``Secure``, as browsers require. A ``max_age``
    without ``expires`` also writes ``Expires`` (that many seconds from now),
    for the clients that read only ``Expires``, as Werkzeug does; pass
    ``sync_expires=False`` to leave it out.
    """
    if not _NAME_RE.fullmatch(key):
        raise ValueError(
            f"Invalid cookie name {key!r}: a name is a token (letters, digits and "
            "!#$%&'*+-.^_`|~), with no spaces, quotes, '=' or ';'."
        )
    parts = [f"{key}={_quote(value)}"]
    if domain:
        _check_attribute("domain", domain)
        parts.append(f"Domain={domain}")
    if isinstance(max_age, timedelta):
        max_age = int(max_age.total_seconds())
    if expires is None and max_age is not None and sync_expires:
        expires = time.time() + max_age
    if expires is not None:
        if isinstance(expires, str):
            _check_attribute("expires", expires)
            parts.append(f"Expires={expires}")
        else:
            parts.append(f"Expires={http_date(expires)}")
    if max_age is not None:
        parts.append(f"Max-Age={int(max_age)}")
    if path is not None:
        _check_attribute("path", path)
        parts.append(f"Path={path}")
    if samesite is not None:
        samesite = samesite.title()
        if samesite not in ("Strict", "Lax", "None"):
            raise ValueError(f"samesite must be 'Strict', 'Lax' or 'None', not {samesite!r}.")
        if samesite == "None":
            secure = True
    if partitioned:
        secure = True
    if secure:
        parts.append("Secure")
    if httponly:
        parts.append("HttpOnly")
    if samesite is not None:
        parts.append(f"SameSite={samesite}")
    if partitioned:
        parts.append("Partitioned")
    return "; ".join(parts)


def _check_attribute(name: str, value: str) -> None:
    if any(c in value for c in ";\r\n\x00") or not value.isprintable():
        raise ValueError(
            f"The cookie {name} {value!r} has a ';', a newline or a control "
            "character, which would change the meaning of the Set-Cookie header."
        )
