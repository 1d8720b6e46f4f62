"""Cross-site request forgery protection, on by default, without tokens.

Browsers say where a request comes from. erlen refuses an unsafe request
(anything but GET, HEAD, OPTIONS and TRACE) that a browser sends on behalf
of another site:

1. With ``Sec-Fetch-Site`` (sent by every current browser): ``same-origin``
   and ``none`` (typed in the address bar, a bookmark) pass; ``same-site``
   and ``cross-site`` are another origin and are refused.
2. Without it, with ``Origin``: it must name this request's host.
3. With neither header the request is not from a browser (curl, another
   server) and passes: such clients carry no victim's cookies.

An origin in ``CSRF_TRUSTED_ORIGINS`` always passes; :func:`exempt` turns
the check off for a view or a blueprint, and ``CSRF_PROTECTION = False``
for the whole app.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

from .exceptions import Forbidden

if t.TYPE_CHECKING:
    from .app import Erlen
    from .request import Request

__all__ = ["CrossOriginRequestRefused", "exempt", "SAFE_METHODS"]

#: Methods that must not change anything (RFC 9110 §9.2.1): never checked.
SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "TRACE"))

F = t.TypeVar("F")

_DEFAULT_PORTS = {"http": "80", "https": "443"}


class CrossOriginRequestRefused(Forbidden):
    """An unsafe request a browser sent on behalf of another site."""


def exempt(view_or_blueprint: F) -> F:
    """Turn cross-site request checks off for a view function or a blueprint.

    For endpoints that other sites are meant to call (a webhook, a public
    API authenticated by a token rather than a cookie)::

        @app.post("/hooks/payment")
        @exempt
        def payment_hook(): ...

        exempt(api_blueprint)
    """
    view_or_blueprint._erlen_csrf_exempt = True  # type: ignore[attr-defined]
    return view_or_blueprint


def check_request(app: Erlen, request: Request, view: t.Any) -> None:
    """Raise :class:`CrossOriginRequestRefused` for a cross-site browser request."""
    site = request._raw_header("HTTP_SEC_FETCH_SITE")
    origin = request._raw_header("HTTP_ORIGIN")
    if site is not None:
        if site in ("same-origin", "none"):
            return
    elif origin is None or _same_host(origin, request.host):
        return
    if origin is not None and origin in app.config["CSRF_TRUSTED_ORIGINS"]:
        return
    if _is_exempt(app, request, view):
        return
    where = f"Sec-Fetch-Site: {site}" if site is not None else f"Origin: {origin}"
    raise CrossOriginRequestRefused(
        f"This {request.method} request was refused because a browser sent it from "
        f"another site ({where}), which is how cross-site request forgery works. If that "
        "site is yours, add its origin to app.config['CSRF_TRUSTED_ORIGINS'] (for example "
        "'https://app.example.com'); if other sites are meant to call this URL, exempt the "
        "view with erlen.csrf.exempt."
    )


def _same_host(origin: str, host: str) -> bool:
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return False  # "null", or not a web origin
    # Compare hosts and ports only: behind a proxy that ends TLS the app may
    # see http while the browser's origin says https.
    name = parts.hostname.lower()
    if ":" in name:
        name = f"[{name}]"
    origin_host = f"{name}:{port}" if port is not None else name
    return _strip_default_port(origin_host) == _strip_default_port(host.lower())


def _strip_default_port(host: str) -> str:
    for port in (":80", ":443"):
        if host.endswith(port):
            return host[: -len(port)]
    return host


def _is_exempt(app: Erlen, request: Request, view: t.Any) -> bool:
    if getattr(view, "_erlen_csrf_exempt", False):
        return True
    name = request.blueprint
    while name:
        if getattr(app.blueprints.get(name), "_erlen_csrf_exempt", False):
            return True
        name = name.rpartition(".")[0]
    return False
