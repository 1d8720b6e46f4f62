"""``TRUSTED_HOSTS``: answer only requests for the hosts the app serves.

A request's ``Host`` header is the client's to choose. An app that builds
links from it (``url_for(..., _external=True)`` in a password-reset mail,
say) can be made to point them at another site. With ``TRUSTED_HOSTS`` set,
any other host is refused with 400 before routing::

    app.config["TRUSTED_HOSTS"] = ["example.com", ".example.org", "localhost"]

A name with a leading dot also matches its subdomains; ports are ignored.
"""

from __future__ import annotations

import re
import typing as t
from collections.abc import Iterable

from .exceptions import SecurityError

if t.TYPE_CHECKING:
    from .request import Request

__all__ = ["UntrustedHost", "check_host", "host_is_trusted"]

# RFC 3986 §3.2.2 host (a registered name or an IP literal), then an optional port.
_HOST_RE = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::[0-9]*)?\Z")


class UntrustedHost(SecurityError):
    """The request named a host the app does not serve."""


def host_is_trusted(host: str, trusted: Iterable[str]) -> bool:
    """Whether ``host`` (with or without a port) is one of ``trusted``."""
    if not _HOST_RE.match(host):
        return False
    name = host.rsplit(":", 1)[0] if not host.endswith("]") and ":" in host else host
    name = name.lower().rstrip(".")
    for pattern in trusted:
        pattern = pattern.lower().rstrip(".")
        if pattern.startswith("."):
            if name == pattern[1:] or name.endswith(pattern):
                return True
        elif name == pattern:
            return True
    return False


def check_host(request: Request, trusted: Iterable[str]) -> None:
    """Raise :class:`UntrustedHost` (400) unless the request's host is trusted."""
    host = request.host
    if not host_is_trusted(host, trusted):
        shown = host if len(host) <= 100 else host[:100] + "..."
        raise UntrustedHost(
            f"The host {shown!r} is not one this app serves. If it should be, add it to "
            "app.config['TRUSTED_HOSTS']."
        )
