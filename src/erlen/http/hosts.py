"""``TRUSTED_HOSTS``: answer only requests for the hosts the app serves.

A request's ``Host`` header is the client's to choose. An app that builds
links from it (``url_for(..., _external=True)`` in a password-reset mail,
say) can be made to point them at another site. With ``TRUSTED_HOSTS`` set,
any other host is refused with 400 before routing::

    app.config["TRUSTED_HOSTS"] = ["example.com", ".example.org", "localhost"]

A name with a leading dot also matches its subdomains; ports are ignored.
"""

from __future__ import annotations

import ipaddress
import re
import typing as t
from collections.abc import Iterable, Mapping

from .exceptions import SecurityError

if t.TYPE_CHECKING:
    from ..request import Request

__all__ = [
    "InvalidHost",
    "UntrustedHost",
    "check_host",
    "checked_host",
    "environ_host",
    "host_is_trusted",
]

# RFC 3986 §3.2.2 host, narrowed to what names and addresses use: a reg-name of
# letters, digits, "." "-" "_", or an IP literal in brackets; then an optional port.
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9._-]{1,253})(?::([0-9]{1,5}))?")


class UntrustedHost(SecurityError):
    """The request named a host the app does not serve."""


class InvalidHost(SecurityError):
    """The request's ``Host`` is not a host: ``a, b`` (two Host lines joined), spaces..."""


def checked_host(host: str) -> str:
    """Return ``host`` if it is a valid ``host[:port]``, else raise :class:`InvalidHost` (400).

    A server may pass on what no client should send: two ``Host`` lines
    joined into ``"a, b"`` (uvicorn, granian), spaces, a port that is no
    number. Links built from such a host (``url_for(..., _external=True)``)
    would say whatever the client wanted, so erlen refuses it wherever the
    app uses the host, whatever the server let through.
    """
    if parse_host(host) is None:
        raise InvalidHost(
            f"The request's Host header {shown_host(host)!r} is not a valid host name: it must be a name or "
            "an IP address, with an optional ':' and port (RFC 9110 §7.2), given once. "
            "The client, or a proxy in front of the app, sent it."
        )
    return host


def environ_host(environ: Mapping[str, t.Any], scheme: str) -> str:
    """The host (and port, if not ``scheme``'s default) a WSGI environ names, checked.

    ``Host`` when the client sent one, else ``SERVER_NAME`` and
    ``SERVER_PORT``; :func:`checked_host` refuses one that is not a host.
    """
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = str(environ.get("SERVER_PORT", ""))
        if port and port != ("443" if scheme == "https" else "80"):
            host = f"{host}:{port}"
    return checked_host(host)


def shown_host(host: str) -> str:
    """``host`` cut to a length an error message can quote."""
    return host if len(host) <= 100 else host[:100] + "..."


def host_is_trusted(host: str, trusted: Iterable[str]) -> bool:
    """Whether ``host`` (with or without a port) is one of ``trusted``."""
    parsed = parse_host(host)
    if parsed is None:
        return False
    name = parsed[0].lower().rstrip(".")
    for pattern in trusted:
        pattern = pattern.lower().rstrip(".")
        if pattern.startswith("."):
            if name == pattern[1:] or name.endswith(pattern):
                return True
        elif name == pattern:
            return True
    return False


def split_host(host: str) -> tuple[str, str]:
    """Split ``host[:port]`` into name and port text, unchecked; an IPv6 name keeps its brackets."""
    if host.startswith("["):
        end = host.find("]")
        if end == -1:
            return host, ""
        rest = host[end + 1 :]
        return host[: end + 1], rest[1:] if rest.startswith(":") else ""
    name, _, port = host.partition(":")
    return name, port


def parse_port(text: str) -> int | None:
    """Return the TCP port (1 to 65535) ``text`` spells in digits, else ``None``."""
    if not (0 < len(text) <= 5 and text.isascii() and text.isdigit()):
        return None
    port = int(text)
    return port if 0 < port <= 65535 else None


def parse_host(text: str) -> tuple[str, int | None] | None:
    """Return ``(name, port)`` for a valid ``host[:port]``, else ``None``.

    One definition for every host erlen judges: ``TRUSTED_HOSTS`` and the
    forwarded hosts :class:`~erlen.middleware.ProxyFix` takes. An IPv6
    name keeps its brackets.
    """
    match = _HOST.fullmatch(text)
    if match is None:
        return None
    name, port_text = match.groups()
    if name.startswith("["):
        try:
            ipaddress.IPv6Address(name[1:-1])
        except ValueError:
            return None
    port = None
    if port_text is not None:
        port = parse_port(port_text)
        if port is None:
            return None
    return name, port


def check_host(request: Request, trusted: Iterable[str]) -> None:
    """Raise :class:`UntrustedHost` (400) unless the request's host is trusted."""
    try:
        host = request.host
    except InvalidHost as error:
        raise UntrustedHost(
            f"{error.description} No such host can be in app.config['TRUSTED_HOSTS']."
        ) from None
    if not host_is_trusted(host, trusted):
        raise UntrustedHost(
            f"The host {shown_host(host)!r} is not one this app serves. If it should be, add it to "
            "app.config['TRUSTED_HOSTS']."
        )
