"""Helpers used inside views (``url_for``, ``flash``, ``abort``, ``redirect`` ...), at Flask's module path."""

from __future__ import annotations

import typing as t
from urllib.parse import quote

from .ctx import _cv, _signals, current_app
from .routing import BuildError

if t.TYPE_CHECKING:
    from .response import Response

__all__ = [
    "url_for",
    "stream_with_context",
    "flash",
    "get_flashed_messages",
    "make_response",
    "abort",
    "redirect",
    "get_debug_flag",
    "get_load_dotenv",
    "get_root_path",
    "get_template_attribute",
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

        @app.route("/user/<int:uid>")
        def user(uid): ...

        with app.test_request_context():
            assert url_for("user", uid=7, tab="posts") == "/user/7?tab=posts"

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
    try:
        if app.url_map.has_domains:  # perf: only apps with host or subdomain rules
            url = _url_for_domain(app, request, endpoint, values, _method, _scheme, _external)
            if url is not None:
                if _anchor is not None:
                    url += "#" + quote(_anchor, safe="/?!$&'()*+,;=:@-._~%")
                return url
        path = app.url_map.build(endpoint, values, _method)
    except BuildError as error:
        if not app.url_build_error_handlers:
            raise
        values.update(_anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external)
        return app.handle_url_build_error(error, endpoint, values)  # type: ignore[no-any-return]
    if request is not None:
        root = request.root_path
        if not _external:
            # perf: a path, the usual url_for: no scheme or host to look up.
            if root:
                path = quote(root, safe="/!$&'()*+,;=:@-._~%") + path
            if _anchor is not None:
                path += "#" + quote(_anchor, safe="/?!$&'()*+,;=:@-._~%")
            return path
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


def stream_with_context(generator_or_function: t.Any) -> t.Any:
    """Return ``generator`` unchanged.

    erlen keeps the request context alive while a streamed body is
    produced, so a generator can read ``request`` and ``g`` without this
    wrapper. It exists so code written for Flask runs unchanged.
    """
    return generator_or_function  # also when used as a decorator on a generator function


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


def abort(code: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Stop the request now and answer with an HTTP error: ``abort(404)``, ``abort(403, "Admins only.")``.

    Inside an app context this is the app's :attr:`~erlen.Erlen.aborter`,
    so an app can map codes to its own exception classes; the arguments
    after the code go to the exception (its description first). A
    :class:`~erlen.Response` instead of a code is sent as it is.
    """
    context = _cv.get(None)
    if context is not None:
        context.app.aborter(code, *args, **kwargs)
    _default_aborter(code, *args, **kwargs)
    raise AssertionError("unreachable")  # pragma: no cover - the aborter raised


def redirect(location: str, code: int = 302, Response: type[Response] | None = None) -> Response:  # noqa: N803 - Flask's name
    """Return a response that sends the client to ``location`` (302 unless ``code`` says otherwise).

    Inside an app context this is the app's :meth:`~erlen.Erlen.redirect`,
    which builds it with the app's ``response_class``.
    """
    context = _cv.get(None)
    if context is not None and Response is None:
        return context.app.redirect(location, code=code)  # type: ignore[no-any-return]
    from .response import redirect as plain_redirect

    return plain_redirect(location, code=code, Response=Response)


def get_debug_flag() -> bool:
    """Whether ``ERLEN_DEBUG`` asks for debug mode: set, and not ``0``, ``false`` or ``no``."""
    import os

    value = os.environ.get("ERLEN_DEBUG")
    return bool(value) and value.lower() not in ("0", "false", "no")  # type: ignore[union-attr]


def get_load_dotenv(default: bool = True) -> bool:
    """Whether the ``.env`` and ``.erlenenv`` files are loaded: not when ``ERLEN_SKIP_DOTENV`` is on."""
    import os

    value = os.environ.get("ERLEN_SKIP_DOTENV")
    if not value:
        return default
    return value.lower() in ("0", "false", "no")


def get_root_path(import_name: str) -> str:
    """The folder of the module or package ``import_name``: where an app finds its files."""
    from ._packages import root_path_of

    return root_path_of(import_name)


def get_template_attribute(template_name: str, attribute: str) -> t.Any:
    """Return a macro (or any top-level name) of a template, to call from Python.

    ``get_template_attribute("_forms.html", "field")(form.name)`` renders
    the ``field`` macro of ``_forms.html``.
    """
    return getattr(current_app.jinja_env.get_template(template_name).module, attribute)


def __getattr__(name: str) -> t.Any:
    # perf: send_file and send_from_directory load their module on first use.
    if name in ("send_file", "send_from_directory"):
        from . import sendfile

        return getattr(sendfile, name)
    raise AttributeError(f"module 'erlen.helpers' has no attribute {name!r}")


from .http.exceptions import _default_aborter  # noqa: E402 - after abort, which it serves
