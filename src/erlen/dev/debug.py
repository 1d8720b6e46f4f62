"""The debug pages: a traceback page for errors and a route list for 404s.

The app calls these only in debug mode. They echo nothing unescaped, hide
values that look secret, and run nothing the browser sends: there is no
console and no script, only ``<details>`` elements to fold frames away.
A browser (``Accept: text/html``) gets HTML; curl and other clients get
plain text.

This module makes the 500 page: :class:`_Report` gathers what it shows,
from :mod:`erlen.dev.tracebacks` (the error's frames) and
:mod:`erlen.dev.masking` (secrets hidden), and :mod:`erlen.dev.rendering`
writes it out. The 404 page is :mod:`erlen.dev.notfound`.
"""

from __future__ import annotations

import traceback
import typing as t
from types import FrameType

from ..response import Response
from .masking import _MASK, _find_secrets, _looks_secret, _request_sections, _SafeRepr
from .rendering import BANNER, _render_html, _render_text, _respond, _wants_html
from .tracebacks import (
    _CAUSE,
    _CONTEXT,
    _chain,
    _Frame,
    _frame_locals,
    _hint,
    _is_library,
    _Link,
    _one_line,
    _raw_frames,
    _safe_str,
    _source,
    _summary,
    _type_name,
)

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..request import Request

__all__ = ["debug_page"]

MAX_LOCALS = 50  # per frame


class _Report:
    """Everything the debug page shows, worked out once for HTML and text."""

    def __init__(self, app: Erlen | None, request: Request | None, error: BaseException) -> None:
        chain = _chain(error)
        raw = [_raw_frames(exc) for exc in chain]
        self.scrub = _find_secrets(
            app, request, (frame for frames, _ in raw for frame, _ in frames)
        )
        show = _SafeRepr(self.scrub)
        self.type_name = _type_name(error)
        message = _safe_str(error)
        notes = getattr(error, "__notes__", None)
        if isinstance(notes, list):
            message = "\n".join([message, *(_safe_str(note) for note in notes)])
        group = getattr(error, "exceptions", None)  # an ExceptionGroup's members
        if isinstance(group, tuple) and all(isinstance(exc, BaseException) for exc in group):
            message += "\n\nIts exceptions:\n" + "\n".join(f"  {_one_line(e)}" for e in group)
        self.message = self.scrub(message)
        self.hint = _hint(error)
        self.links: list[_Link] = []
        for index, (exc, (frames, omitted)) in enumerate(zip(chain, raw, strict=True)):
            link = _Link(
                _type_name(exc),
                self.scrub(_one_line(exc)),
                self.scrub(_summary(exc)),
                omitted=omitted,
            )
            if index:
                link.relation = _CAUSE if exc.__cause__ is chain[index - 1] else _CONTEXT
            for frame, lineno in frames:
                link.frames.append(self._frame(frame, lineno, show))
            self.links.append(link)
        self.request = _request_sections(request, self.scrub, show) if request else []
        self.method = request.method if request is not None else ""
        self.path = self.scrub(request.path) if request is not None else ""

    def _frame(self, frame: FrameType, lineno: int, show: _SafeRepr) -> _Frame:
        code = frame.f_code
        filename = code.co_filename
        shown: list[tuple[str, str, bool]] = []
        variables = _frame_locals(frame)
        for name, value in variables[:MAX_LOCALS]:
            if _looks_secret(name):
                shown.append((name, _MASK, True))
            else:
                shown.append((name, show.show(value), False))
        if len(variables) > MAX_LOCALS:
            shown.append(("…", f"{len(variables) - MAX_LOCALS} more not shown", False))
        source = [(n, self.scrub(line)) for n, line in _source(frame, filename, lineno)]
        # "Erlen.handle" says more than "handle"; "make.<locals>.view" says less.
        function = getattr(code, "co_qualname", code.co_name).rpartition("<locals>.")[2]
        return _Frame(filename, lineno, function, _is_library(filename), source, shown)

    def innermost_app_frame(self) -> _Frame | None:
        frames = self.links[-1].frames if self.links else []
        for frame in reversed(frames):
            if not frame.library:
                return frame
        return frames[-1] if frames else None


def _fallback(app: Erlen | None, error: BaseException) -> Response:
    """A minimal page for when the full one failed: Python's own traceback, as text."""
    if app is not None:
        try:
            app.logger.exception("The debug page failed; sending a minimal one")
        except Exception:  # noqa: BLE001
            pass
    try:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    except Exception:  # noqa: BLE001
        text = f"{_type_name(error)}: {_safe_str(error)}"
    body = f"{BANNER}\n\n{text}\n"
    return _respond(body, 500, False)


def debug_page(app: Erlen | None, request: Request | None, error: BaseException) -> Response:
    """Return the 500 debug page for ``error``: traceback, locals, request.

    HTML when the client asks for ``text/html``, else plain text. Values of
    names that look secret (password, token, cookie, ...) are hidden, and
    everything echoed is escaped.
    """
    try:
        report = _Report(app, request, error)
        if _wants_html(request):
            return _respond(_render_html(report), 500, True)
        return _respond(_render_text(report), 500, False)
    except Exception:  # noqa: BLE001 - the debug page must never raise
        return _fallback(app, error)
