"""Conditional requests and byte ranges for file responses (RFC 9110 §13, §14).

:func:`evaluate_conditions` reads a request's preconditions and its
``Range`` and says what to answer: the whole file, one range of it, 304,
412 or 416. :mod:`erlen.sendfile` builds the response from that; the
rules themselves are in :mod:`erlen.http.conditional`, which
``Response.make_conditional`` shares.
"""

from __future__ import annotations

import typing as t

from .http import conditional

if t.TYPE_CHECKING:
    from .request import Request


def evaluate_conditions(
    request: Request, tag: str | None, weak: bool, mtime: float | None, size: int | None
) -> tuple[int, int, int | None]:
    """Apply the request's preconditions and Range: ``(status, first byte, length)``.

    ``tag`` and ``weak`` are the file's entity tag, ``mtime`` its
    modification time; ``size`` is ``None`` when ranges are not offered.
    """
    return conditional.evaluate_conditions(
        request.method, request._raw_header, tag, weak, mtime, size
    )
