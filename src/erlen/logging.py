"""The app's logger, at Flask's module path (``flask.logging``).

``app.logger`` is the standard :mod:`logging` logger named after the app.
When nothing would show its records, :func:`create_logger` adds
:data:`default_handler`, which writes to the server's error stream
(:data:`wsgi_errors_stream`).
"""

from __future__ import annotations

import logging
import sys
import typing as t

from .ctx import _current_request

if t.TYPE_CHECKING:
    from .app import Erlen

__all__ = ["create_logger", "default_handler", "has_level_handler", "wsgi_errors_stream"]


class _ErrorsStream:
    """Writes to the current WSGI request's ``wsgi.errors``, else to ``sys.stderr``.

    Looked up on each write, so a server's error log (and a test's captured
    stderr) receives the records. An ASGI request has no error stream of its
    own, and its environ is never built just for a log line.
    """

    def _target(self) -> t.TextIO:
        request = _current_request()
        if request is not None:
            environ = request.__dict__.get("environ")
            if environ is not None:
                stream = environ.get("wsgi.errors")
                if stream is not None:
                    return t.cast(t.TextIO, stream)
        return sys.stderr

    def write(self, text: str) -> int | None:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def __repr__(self) -> str:
        return "<erlen.logging.wsgi_errors_stream>"


#: The error stream of the current request's server, or ``sys.stderr``.
wsgi_errors_stream: t.TextIO = t.cast(t.TextIO, _ErrorsStream())

#: The handler :func:`create_logger` adds; remove it from ``app.logger`` to
#: send the records only where your logging configuration says.
default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether a handler on ``logger`` or its ancestors would show its records at its level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


def create_logger(app: Erlen) -> logging.Logger:
    """Return the logger named after ``app``, ready to show its records.

    Its level, when not set, is ``DEBUG`` in debug mode and ``INFO``
    otherwise (Flask leaves it unset, so ``WARNING``: erlen's refused
    requests and handshakes are logged at ``INFO``). :data:`default_handler`
    is added when no handler would show the records.
    """
    logger = logging.getLogger(app.name)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.DEBUG if app.debug else logging.INFO)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
