"""Errors that explain common mistakes, at Flask's module path (``flask.debughelpers``)."""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from .app import Erlen
    from .request import Request

__all__ = [
    "UnexpectedUnicodeError",
    "DebugFilesKeyError",
    "FormDataRoutingRedirect",
    "attach_enctype_error_multidict",
    "explain_template_loading_attempts",
]


class UnexpectedUnicodeError(AssertionError, UnicodeError):
    """Text arrived where bytes were expected, or bytes where text was."""


class DebugFilesKeyError(KeyError, AssertionError):
    """``request.files[key]`` is missing because the form was not sent as multipart."""

    def __init__(self, request: Request, key: str) -> None:
        form_value = request.form.getlist(key)
        message = (
            f"You tried to read the file {key!r} from request.files, but the request was "
            f"not sent as multipart/form-data (its content type is {request.mimetype!r}), "
            "so the browser sent only the file's name"
        )
        if form_value:
            names = ", ".join(repr(value) for value in form_value)
            message += f", which is in request.form: {names}"
        self.msg = message + (
            '. Add enctype="multipart/form-data" to the <form> tag that posts this form.'
        )

    def __str__(self) -> str:
        return self.msg


class FormDataRoutingRedirect(AssertionError):
    """A redirect that would make the browser drop the body it posted.

    erlen redirects a missing trailing slash with 308, which keeps the
    method and the body, so it never raises this itself; it is here for
    code that raises or catches it.
    """

    def __init__(self, request: Request) -> None:
        super().__init__(
            f"The URL {request.url!r} was redirected, and the browser will not send the "
            f"{request.method} body again to the new URL. Point the form's action at the "
            "URL the rule ends with (a trailing slash included), or redirect with 307/308."
        )


def attach_enctype_error_multidict(request: Request) -> None:
    """Make a missing ``request.files[key]`` raise :class:`DebugFilesKeyError` when the key was posted as a field."""
    files = request.files
    base = type(files)

    class _ExplainingFiles(base):  # type: ignore[valid-type, misc]
        def __getitem__(self, key: str) -> t.Any:
            try:
                return super().__getitem__(key)
            except KeyError as error:
                if key not in request.form:
                    raise
                raise DebugFilesKeyError(request, key).with_traceback(error.__traceback__) from None

    _ExplainingFiles.__name__ = base.__name__
    _ExplainingFiles.__module__ = base.__module__
    files.__class__ = _ExplainingFiles


def explain_template_loading_attempts(app: Erlen, template: str, attempts: list[t.Any]) -> None:
    """Log, at ``INFO`` on ``app.logger``, where the template ``template`` was looked for.

    ``attempts`` is a list of ``(loader, owner, result)``, where ``result``
    is the ``(source, filename, uptodate)`` triple a Jinja2 loader returns,
    or ``None`` when that loader did not have the template. erlen's own
    loader does this by itself when ``EXPLAIN_TEMPLATE_LOADING`` is on.
    """
    lines = [f"Locating template {template!r}:"]
    found = 0
    for number, (loader, owner, result) in enumerate(attempts, 1):
        where = getattr(owner, "import_name", None) or repr(owner)
        lines.append(f"{number:5}: trying loader of {where}")
        lines.append(f"       class: {type(loader).__module__}.{type(loader).__name__}")
        if result is None:
            lines.append("       -> no match")
            continue
        found += 1
        lines.append(f"       -> found ({result[1] or '<string>'!r})")
    if found == 0:
        lines.append("Error: the template could not be found.")
    elif found > 1:
        lines.append("Warning: several loaders returned a match for the template.")
    app.logger.info("\n".join(lines))
