"""The debug pages in HTML and plain text, and the response that carries them.

:func:`_page` is the HTML shell (banner, styles, footer) that the 500 page
and the 404 page (:mod:`erlen.dev.notfound`) share; :func:`_render_html`
and :func:`_render_text` turn a :class:`~erlen.dev.debug._Report` into the
500 page. Everything echoed goes through :func:`_e` (HTML escaping), and
the response's headers forbid scripts (:data:`_HEADERS`). A browser
(``Accept: text/html``) gets HTML; curl and other clients get plain text
(:func:`_wants_html`).
"""

from __future__ import annotations

import html
import typing as t

from ..response import Response
from .masking import _MASK
from .tracebacks import _Frame

if t.TYPE_CHECKING:
    from ..request import Request
    from .debug import _Report

BANNER = "erlen debug mode — never enable it in production"
_HEADERS = (
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    # Defence in depth: even a missed escape could not run a script here.
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
    ("Referrer-Policy", "no-referrer"),
)


_CSS = """
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
 background:#f5f5f2;color:#1c1c1a}
.banner{background:#8a1c1c;color:#fff;padding:.45em 1.2em;font-size:13px;font-weight:600}
main{max-width:78em;margin:0 auto;padding:.8em 1.2em 2em}
.status{color:#666;margin:.8em 0 0}
h1{font-size:1.75em;margin:.15em 0 .3em;color:#8a1c1c;word-break:break-word}
h1 small{font-size:.55em;color:#777;font-weight:400}
h2{font-size:1.2em;margin:1.6em 0 .5em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h2 small,summary small{color:#777;font-weight:400}
h3{font-size:1em;margin:1.2em 0 .4em;font-family:ui-monospace,Menlo,Consolas,monospace}
pre,code{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre.message{white-space:pre-wrap;word-break:break-word;background:#fff;margin:.4em 0;
 border-left:4px solid #8a1c1c;padding:.7em 1em;font-size:14px}
.hint{background:#fff8d6;border-left:4px solid #d9b300;padding:.5em 1em}
.chain{font-style:italic;color:#555;margin:1.6em 0 .4em}
details.frame{background:#fff;border:1px solid #d8d8d2;border-radius:4px;margin:.35em 0}
details.library{background:#efefeb;border-color:#e2e2dc}
details.frame>summary{cursor:pointer;padding:.4em .8em;word-break:break-all}
.tag{display:inline-block;font-size:11px;font-weight:600;text-transform:uppercase;
 padding:0 .45em;border-radius:3px;background:#1f6b43;color:#fff;margin-right:.4em}
.library .tag{background:#8c8c86}
pre.source{margin:0;padding:.4em 0;background:#fbfbf9;overflow-x:auto;border-top:1px solid #eee}
pre.source span.line{display:block;padding:0 .8em}
pre.source span.current{background:#fbdcdc;font-weight:700}
pre.source b{display:inline-block;width:4.5em;color:#999;font-weight:400;text-align:right;
 margin-right:1em;user-select:none}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;vertical-align:top;padding:.25em .7em;border-top:1px solid #eee}
th{font-weight:600;white-space:nowrap;width:1%}
td code{white-space:pre-wrap;word-break:break-all}
.masked{color:#999}
.none{color:#888;font-style:italic;margin:.3em 0}
footer{margin-top:2.5em;padding-top:.8em;border-top:1px solid #ddd;color:#666;font-size:13px}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _page(title: str, body: list[str]) -> str:
    return "".join(
        [
            '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
            '<meta name="robots" content="noindex, nofollow">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n",
            f'<div class="banner">{_e(BANNER)}</div>\n<main>\n',
            *body,
            f"<footer>{_e(BANNER)}. This page runs no code from the browser; it is only "
            "shown while <code>app.debug</code> is on.</footer>\n</main>\n</body>\n</html>\n",
        ]
    )


def _html_table(rows: list[tuple[str, str]], masked: t.Container[str] = ()) -> str:
    cells = []
    for name, value in rows:
        css = ' class="masked"' if value in masked else ""
        cells.append(f"<tr><th>{_e(name)}</th><td><code{css}>{_e(value)}</code></td></tr>")
    return "<table>" + "".join(cells) + "</table>\n"


def _html_frame(frame: _Frame, open_: bool) -> str:
    kind = "library" if frame.library else "app"
    parts = [
        f'<details class="frame {kind}"{" open" if open_ else ""}><summary>',
        f'<span class="tag">{"library" if frame.library else "your code"}</span>',
        f"<code>{_e(frame.function)}</code> <small>in</small> <code>{_e(frame.filename)}</code>",
        f" <small>line {frame.lineno}</small></summary>",
    ]
    if frame.source:
        lines = []
        for number, text in frame.source:
            css = "line current" if number == frame.lineno else "line"
            lines.append(f'<span class="{css}"><b>{number}</b>{_e(text) or " "}</span>')
        parts.append('<pre class="source">' + "".join(lines) + "</pre>")
    else:
        parts.append('<p class="none">&nbsp; Source not available.</p>')
    if frame.locals:
        rows = [(name, value) for name, value, _ in frame.locals]
        masked = {value for _, value, hidden in frame.locals if hidden}
        parts.append(_html_table(rows, masked))
    parts.append("</details>\n")
    return "".join(parts)


def _render_html(report: _Report) -> str:
    body = [
        f'<p class="status">500 Internal Server Error'
        f"{' · ' + _e(report.method) + ' ' + _e(report.path) if report.method else ''}</p>\n"
    ]
    module, _, name = report.type_name.rpartition(".")
    prefix = f"<small>{_e(module)}.</small>" if module else ""
    body.append(f"<h1>{prefix}{_e(name)}</h1>\n")
    body.append(f'<pre class="message">{_e(report.message) or "(no message)"}</pre>\n')
    if report.hint:
        body.append(f'<p class="hint">{_e(report.hint)}</p>\n')
    where = report.innermost_app_frame()
    if where is not None and not where.library:
        body.append(
            f"<p>Raised in <code>{_e(where.function)}</code>, <code>{_e(where.filename)}"
            f"</code>, line {where.lineno}.</p>\n"
        )
    body.append(
        "<h2>Traceback <small>most recent call last · your code open, "
        "library code (stdlib, installed packages, erlen) folded</small></h2>\n"
    )
    any_app = any(not frame.library for link in report.links for frame in link.frames)
    for index, link in enumerate(report.links):
        if link.relation:
            body.append(f'<p class="chain">{_e(link.relation)}</p>\n')
        body.append(f"<h3>{_e(link.heading)}</h3>\n")
        if index < len(report.links) - 1 and link.summary.count("\n"):
            body.append(f'<pre class="message">{_e(link.summary)}</pre>\n')
        if link.omitted:
            body.append(f'<p class="none">{link.omitted} earlier frames not shown.</p>\n')
        last = index == len(report.links) - 1
        for position, frame in enumerate(link.frames):
            innermost = last and position == len(link.frames) - 1
            body.append(_html_frame(frame, not frame.library or (innermost and not any_app)))
        if not link.frames:
            body.append('<p class="none">No traceback.</p>\n')
    for title, rows in report.request:
        body.append(f"<h2>{_e(title)}</h2>\n")
        body.append(_html_table(rows, {_MASK}) if rows else '<p class="none">None.</p>\n')
    return _page(
        f"{report.type_name}: {report.message.splitlines()[0] if report.message else ''}", body
    )


def _render_text(report: _Report) -> str:
    heading = report.links[-1].heading if report.links else report.type_name
    lines = [f"500 Internal Server Error — {heading}", *report.message.splitlines()[1:], ""]
    if report.hint:
        lines += [report.hint, ""]
    for link in report.links:
        if link.relation:
            lines += ["", link.relation, ""]
        lines.append("Traceback (most recent call last):")
        if link.omitted:
            lines.append(f"  [{link.omitted} earlier frames not shown]")
        for frame in link.frames:
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.function}')
            current = [text for number, text in frame.source if number == frame.lineno]
            if current and current[0].strip():
                lines.append(f"    {current[0].strip()}")
        lines.append(link.summary)
    for title, rows in report.request:
        lines += ["", f"{title}:"]
        lines += [f"  {name}: {value}" for name, value in rows] or ["  (none)"]
    where = report.innermost_app_frame()
    if where is not None and where.locals:
        lines += [
            "",
            f"Local variables of {where.function} ({where.filename}, line {where.lineno}):",
        ]
        lines += [f"  {name} = {value}" for name, value, _ in where.locals]
    lines += ["", f"Debug mode is on: {BANNER}.", ""]
    return "\n".join(lines)


def _wants_html(request: Request | None) -> bool:
    """Whether the client asked for HTML by name (browsers do; curl sends ``*/*``)."""
    if request is None:
        return False
    accept = request._raw_header("HTTP_ACCEPT")
    if not accept or "html" not in accept.lower():
        return False
    try:
        offers = request.accept_mimetypes
    except Exception:  # noqa: BLE001
        return False
    return any(
        value.lower() in ("text/html", "application/xhtml+xml") and quality > 0
        for value, quality in offers
    )


def _respond(body: str, status: int, as_html: bool) -> Response:
    content_type = "text/html; charset=utf-8" if as_html else "text/plain; charset=utf-8"
    return Response(body, status, list(_HEADERS), content_type=content_type)
