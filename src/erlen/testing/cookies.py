"""The test client's cookie jar: what a browser keeps between requests.

:class:`_CookieJar` stores the cookies responses set, keyed by domain, path
and name, and gives back the ``Cookie`` header a browser would send to a
URL (RFC 6265 §5.4). :class:`Cookie` is one stored cookie, as
``client.get_cookie()`` returns it.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from ..http.cookies import _unquote, dump_cookie
from ..http.dates import parse_date

__all__ = ["Cookie"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Cookie:
    """A cookie in the test client's jar, as the app (or the test) set it.

    ``value`` is the value as sent on the wire (quoted if it had to be);
    ``decoded_value`` is it unquoted. ``origin_only`` is true for a cookie
    set without a ``Domain``: only its own host gets it back.
    """

    key: str
    value: str
    domain: str
    path: str = "/"
    expires: datetime | None = None
    max_age: int | None = None
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None
    origin_only: bool = True
    partitioned: bool = False

    @property
    def decoded_key(self) -> str:
        return self.key

    @property
    def decoded_value(self) -> str:
        return _unquote(self.value)

    @property
    def host_only(self) -> bool:
        return self.origin_only

    def expired(self, now: datetime) -> bool:
        return self.expires is not None and self.expires <= now

    def matches(self, host: str, path: str, https: bool) -> bool:
        """Whether a browser would send this cookie (RFC 6265 §5.4)."""
        if self.secure and not https:
            return False
        if self.origin_only:
            if host != self.domain:
                return False
        elif host != self.domain and not host.endswith("." + self.domain):
            return False
        return path == self.path or path.startswith(self.path.rstrip("/") + "/")


def _parse_set_cookie(header: str, host: str, now: datetime) -> Cookie | None:
    """Return the cookie a ``Set-Cookie`` header sets (RFC 6265 §5.2), or ``None``."""
    first, *attributes = header.split(";")
    name, sep, value = first.partition("=")
    name = name.strip()
    if not sep or not name:
        return None
    options: dict[str, t.Any] = {"domain": host}
    for attribute in attributes:
        key, _, attribute_value = attribute.strip().partition("=")
        key, attribute_value = key.lower(), attribute_value.strip()
        if key == "path" and attribute_value.startswith("/"):
            options["path"] = attribute_value
        elif key == "domain" and attribute_value:
            options["domain"] = attribute_value.lstrip(".").lower()
            options["origin_only"] = False
        elif key == "secure":
            options["secure"] = True
        elif key == "httponly":
            options["http_only"] = True
        elif key == "samesite":
            options["same_site"] = attribute_value or None
        elif key == "partitioned":
            options["partitioned"] = True
        elif key == "max-age" and attribute_value.removeprefix("-").isdigit():
            seconds = int(attribute_value)
            options["max_age"] = seconds
            # Max-Age wins over Expires (RFC 6265 §5.3 step 3); zero or less: gone now.
            options["expires"] = now + timedelta(seconds=seconds) if seconds > 0 else _EPOCH
        elif key == "expires" and "max_age" not in options:
            when = parse_date(attribute_value)
            if when is not None:
                options["expires"] = when
    return Cookie(name, value.strip(), **options)


class _CookieJar:
    """The cookies a test client keeps, keyed by ``(domain, path, name)``."""

    def __init__(self) -> None:
        self.cookies: dict[tuple[str, str, str], Cookie] = {}

    def get(self, key: str, domain: str, path: str) -> Cookie | None:
        cookie = self.cookies.get((domain, path, key))
        if cookie is not None and cookie.expired(datetime.now(timezone.utc)):
            return None
        return cookie

    def set(
        self, key: str, value: str, domain: str, origin_only: bool, path: str, **kwargs: t.Any
    ) -> None:
        """Store a cookie as if a response had set it with these ``set_cookie`` arguments."""
        header = dump_cookie(key, value, path=path, **kwargs)
        cookie = _parse_set_cookie(header, domain, datetime.now(timezone.utc))
        if cookie is None:
            raise ValueError(f"Cannot store a cookie named {key!r}; give it a non-empty name.")
        if not origin_only:
            cookie = replace(cookie, origin_only=False)
        self._put(cookie)

    def delete(self, key: str, domain: str, path: str) -> None:
        self.cookies.pop((domain, path, key), None)

    def _put(self, cookie: Cookie) -> None:
        where = (cookie.domain, cookie.path, cookie.key)
        if cookie.expired(datetime.now(timezone.utc)):
            self.cookies.pop(where, None)
        else:
            self.cookies[where] = cookie

    def header_for(self, host: str, path: str, https: bool) -> str | None:
        """Return the ``Cookie`` header a browser sends to this URL, longest path first."""
        now = datetime.now(timezone.utc)
        pairs = [
            f"{cookie.key}={cookie.value}"
            for cookie in sorted(self.cookies.values(), key=lambda cookie: -len(cookie.path))
            if cookie.matches(host, path, https) and not cookie.expired(now)
        ]
        return "; ".join(pairs) or None

    def store(self, set_cookie_headers: t.Iterable[str], host: str) -> None:
        """Keep (or drop, if expired) the cookies a response's ``Set-Cookie`` headers set."""
        now = datetime.now(timezone.utc)
        for header in set_cookie_headers:
            cookie = _parse_set_cookie(header, host, now)
            if cookie is not None:
                self._put(cookie)
