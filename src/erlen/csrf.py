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

A WebSocket handshake is a GET but is checked by the same rule (see
:func:`check_websocket`): the browser sends cookies with it whichever page
opened the socket.

An origin in ``CSRF_TRUSTED_ORIGINS`` always passes; :func:`exempt` turns
the check off for a view, a WebSocket handler or a blueprint, and
``CSRF_PROTECTION = False`` for the whole app.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

from .http.exceptions import Forbidden

if t.TYPE_CHECKING:
    from .app import Erlen
    from .request import Request

__all__ = ["CrossOriginRequestRefused", "exempt", "SAFE_METHODS"]

#: Methods that must not change anything (RFC 9110 §9.2.1): never checked.
SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "TRACE"))

F = t.TypeVar("F")

_DEFAULT_PORTS = {"http": "80", "https": "443"}
#: The headers that show a browser sent a request, as ASGI names them.
_BROWSER_HEADERS = frozenset((b"sec-fetch-site", b"origin"))


class CrossOriginRequestRefused(Forbidden):
    """An unsafe request or WebSocket handshake a browser sent for another site."""


def exempt(view_or_blueprint: F) -> F:
    """Turn cross-site request checks off for a view, WebSocket handler or blueprint.

    For endpoints that other sites are meant to call (a webhook, a public
    API or socket authenticated by a token rather than a cookie)::

        from erlen.csrf import exempt

        @app.post("/hooks/payment")
        @exempt
        def payment_hook(): ...

        @app.websocket("/feed")
        @exempt
        async def public_feed(): ...

        exempt(api_blueprint)
    """
    view_or_blueprint._erlen_csrf_exempt = True  # type: ignore[attr-defined]
    return view_or_blueprint


def check_request(app: Erlen, request: Request, view: t.Any = None) -> None:
    """Raise :class:`CrossOriginRequestRefused` for a cross-site browser request.

    ``view`` is the routed view; when ``None``, it is looked up from the
    request's rule, and only if the request came from a browser.
    """
    # perf: a request with neither header is not from a browser; tell that
    # without building headers (no call at all under WSGI).
    known = request.__dict__
    environ = known.get("environ")
    if environ is not None:
        if "HTTP_SEC_FETCH_SITE" not in environ and "HTTP_ORIGIN" not in environ:
            return
    elif "_from_browser" in known:  # the ASGI adapter looked, with the body's headers
        if not known["_from_browser"]:
            return
    elif request._scope is not None:
        for name, _ in request._scope["headers"]:
            if name in _BROWSER_HEADERS:
                break
        else:
            return
    if view is None and request.url_rule is not None:
        view = app.view_functions.get(request.url_rule.endpoint)
    where = _cross_site(app, request, view)
    if where is not None:
        raise CrossOriginRequestRefused(
            f"This {request.method} request was refused because a browser sent it from "
            f"another site ({where}), which is how cross-site request forgery works. If that "
            "site is yours, add its origin to app.config['CSRF_TRUSTED_ORIGINS'] (for example "
            "'https://app.example.com'); if other sites are meant to call this URL, exempt the "
            "view with erlen.csrf.exempt."
        )


def check_websocket(app: Erlen, request: Request, handler: t.Any) -> None:
    """Raise :class:`CrossOriginRequestRefused` for a handshake from another site's page.

    A WebSocket handshake is a GET, so :func:`check_request` never sees it,
    yet the browser sends the user's cookies with it whichever page opened
    the socket, and the same-origin policy does not cover WebSockets. The
    rule is the one for unsafe requests; browsers always send ``Origin``
    with a handshake, so a handshake with neither header is not from one.
    """
    where = _cross_site(app, request, handler)
    if where is not None:
        raise CrossOriginRequestRefused(
            "This WebSocket handshake was refused because a browser sent it from another "
            f"site ({where}). Browsers send this site's cookies with a handshake whichever "
            "page opens the socket, so that page could talk to it as the signed-in user "
            "(cross-site WebSocket hijacking). If that site is yours, add its origin to "
            "app.config['CSRF_TRUSTED_ORIGINS'] (for example 'https://app.example.com'); if "
            "other sites are meant to connect, exempt the handler (or its blueprint) with "
            "erlen.csrf.exempt."
        )


def _cross_site(app: Erlen, request: Request, view: t.Any) -> str | None:
    """Return the header showing a refused cross-site request, or ``None`` to let it pass."""
    site = request._raw_header("HTTP_SEC_FETCH_SITE")
    origin = request._raw_header("HTTP_ORIGIN")
    if site is not None:
        if site in ("same-origin", "none"):
            return None
    elif origin is None or _same_host(origin, request.host):
        return None
    if origin is not None and origin in app.config["CSRF_TRUSTED_ORIGINS"]:
        return None
    if _is_exempt(app, request, view):
        return None
    where = f"Sec-Fetch-Site: {site}" if site is not None else f"Origin: {origin}"
    return where if len(where) <= 120 else where[:120] + "..."


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
