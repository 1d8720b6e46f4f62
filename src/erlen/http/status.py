"""HTTP status codes: their RFC 9110 reason phrases and status lines."""

from __future__ import annotations

from http import HTTPStatus

__all__ = ["HTTP_STATUS_PHRASES", "status_line"]

HTTP_STATUS_PHRASES: dict[int, str] = {s.value: s.phrase for s in HTTPStatus}
# RFC 9110 §15 names, whatever the Python version (3.13 changed several).
HTTP_STATUS_PHRASES.update(
    {
        413: "Content Too Large",
        414: "URI Too Long",
        416: "Range Not Satisfiable",
        418: "I'm a teapot",
        422: "Unprocessable Content",
        425: "Too Early",
    }
)

# perf: status lines for every known code are built once, not per response.
_STATUS_LINES: dict[int, str] = {c: f"{c} {p}" for c, p in HTTP_STATUS_PHRASES.items()}


def status_line(code: int) -> str:
    """Return ``"404 Not Found"`` for ``404``; unknown codes get ``"UNKNOWN"``."""
    line = _STATUS_LINES.get(code)
    if line is None:
        line = f"{code} UNKNOWN"
    return line
