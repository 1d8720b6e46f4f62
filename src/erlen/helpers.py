"""Helpers used inside views: ``url_for`` and ``stream_with_context``."""

from __future__ import annotations

import typing as t
from urllib.parse import quote

from .ctx import _cv, _signals, current_app
from .routing import BuildError  # noqa: F401 - re-exported

if t.TYPE_CHECKING:
    from .response import Response

__all__ = [
    "url_for",
    "stream_with_context",
    "flash",
    "get_flashed_messages",
    "make_response",
]

_NO_CONTEXT = (
    "url_for() needs an application context to know which app to build URLs for. "
    "Call it inside a view, a template or a hook, or within 'with app.app_context():' "
    "(set SERVER_NAME in the config to build external URLs there)."
)


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """Return the URL of the view ``endpoint``, filled with ``values``.

    Values that are not variables of the rule become the query string::

        url_for("user", uid=7, tab="posts")   # '/user/7?tab=posts'

    ``_external=True`` gives an absolute URL (``_scheme`` picks http/https),
    ``_anchor`` adds ``#fragment``; ``_method`` picks the rule for a method.
    An endpoint starting with a dot is relative to the current blueprint.
    """
    context = _cv.get(None)
    if context is None:
        raise RuntimeError(_NO_CONTEXT)
    app = context.app
    request = context.request
    if endpoint[:1] == ".":
        blueprint = request.blueprint if request is not None else None
        endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
    if _external is None:
        _external = _scheme is not None or request is None
    if _scheme is not None and not _external:
        raise ValueError("url_for(_scheme=...) only makes sense with _external=True.")
    if app.url_default_functions:
        app.inject_url_defaults(endpoint, values)
    if app.url_map.has_domains:  # perf: only apps with host or subdomain rules
        url = _url_for_domain(app, request, endpoint, values, _method, _scheme, _external)
        if url is not None:
            if _anchor is not None:
                url += "#" + quote(_anchor, safe="/?!$&'()*+,;=:@-._~%")
            return url
    path = app.url_map.build(endpoint, values, _method)
    if request is not None:
        root = request.root_path
        scheme = _scheme or request.scheme
        host = request.host
    else:
        server_name = app.config.get("SERVER_NAME")
        if _external and not server_name:
            raise RuntimeError(
                f"Could not build an external URL for {endpoint!r} outside a request: set "
                "app.config['SERVER_NAME'] (such as 'example.com') so erlen knows the host."
            )
        root = (app.config.get("APPLICATION_ROOT") or "/").rstrip("/")
        scheme = _scheme or app.config.get("PREFERRED_URL_SCHEME") or "http"
        host = str(server_name)
    url = quote(root, safe="/!$&'()*+,;=:@-._~%") + path
    if _external:
        url = f"{scheme}://{host}{url}"
    if _anchor is not None:
        url += "#" + quote(_anchor, safe="/?!$&'()*+,;=:@-._~%")
    return url


def _url_for_domain(
    app: t.Any,
    request: t.Any,
    endpoint: str,
    values: dict[str, t.Any],
    method: str | None,
    scheme: str | None,
    external: bool,
) -> str | None:
    """Build through the app's URL adapter, which knows hosts and subdomains.

    ``None`` outside a request with no ``SERVER_NAME``: the caller then
    builds a path as usual, or says that it needs a host.
    """
    adapter = app.create_url_adapter(request)
    if adapter is None:
        return None
    return str(adapter.build(endpoint, values, method, force_external=external, url_scheme=scheme))


def stream_with_context(generator: t.Any) -> t.Any:
    """Return ``generator`` unchanged.

    erlen keeps the request context alive while a streamed body is
    produced, so a generator can read ``request`` and ``g`` without this
    wrapper. It exists so code written for Flask runs unchanged.
    """
    return generator  # also when used as a decorator on a generator function


def flash(message: str, category: str = "message") -> None:
    """Keep ``message`` for the next page that calls :func:`get_flashed_messages`.

    Flashed messages live in the session, so a ``SECRET_KEY`` is needed.
    ``category`` is free text, such as ``"error"`` or ``"info"``.
    """
    from .ctx import session

    flashes = list(session.get("_flashes", ()))
    flashes.append([category, message])
    session["_flashes"] = flashes
    if _signals:
        signals = _signals[0]
        app = _cv.get().app
        signals._send(signals.message_flashed, app, message=message, category=category)


def get_flashed_messages(
    with_categories: bool = False, category_filter: t.Iterable[str] = ()
) -> list[t.Any]:
    """Return (and forget) the messages flashed so far.

    Within one request every call returns the same messages. With
    ``with_categories=True`` each is a ``(category, message)`` tuple;
    ``category_filter`` keeps only the listed categories.
    """
    from .ctx import _current_request_context

    context = _current_request_context()
    flashes = context.flashes
    if flashes is None:
        session = context.session
        stored = session.pop("_flashes") if "_flashes" in session else ()
        flashes = context.flashes = [(category, message) for category, message in stored]
    wanted = {category_filter} if isinstance(category_filter, str) else set(category_filter)
    if wanted:
        flashes = [item for item in flashes if item[0] in wanted]
    if with_categories:
        return list(flashes)
    return [message for _, message in flashes]


def make_response(*args: t.Any) -> Response:
    """Turn a view's return value into a :class:`Response` you can change.

    ``make_response("body", 201, {"X-A": "1"})`` is what returning that tuple
    from a view would send.
    """
    if not args:
        return current_app.response_class()
    value = args[0] if len(args) == 1 else args
    return current_app.make_response(value)
