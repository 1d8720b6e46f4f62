"""The debug pages: a traceback page for errors and a route list for 404s.

The app calls these only in debug mode. They echo nothing unescaped, hide
values that look secret, and run nothing the browser sends: there is no
console and no script, only ``<details>`` elements to fold frames away.
A browser (``Accept: text/html``) gets HTML; curl and other clients get
plain text.
"""

from __future__ import annotations

import base64
import binascii
import html
import linecache
import os
import re
import reprlib
import site
import sys
import sysconfig
import traceback
import typing as t
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from types import FrameType
from urllib.parse import quote, quote_plus

from ..response import Response

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..request import Request

__all__ = ["debug_page"]

BANNER = "erlen debug mode — never enable it in production"
MAX_FRAMES = 100  # per exception; the innermost ones are kept
MAX_CHAIN = 10  # chained exceptions shown (__cause__ / __context__)
MAX_LOCALS = 50  # per frame
REPR_LIMIT = 300  # characters of one value
CONTEXT_BEFORE = 5  # source lines around the failing line
CONTEXT_AFTER = 3

_SECRET_NAME = re.compile(
    r"pass(?:word|wd)|pwd|secret|token|key|authori[sz]|auth(?!or)|cookie|session|credential"
    r"|csrf|signature",
    re.IGNORECASE,
)
# Names whose values are also hidden wherever else they appear (other reprs,
# the source, the URL); narrower, as plain words would be masked page-wide.
_SECRET_VALUE_NAME = re.compile(
    r"secret|pass(?:word|wd)|token|credential|api_?key|private_?key", re.I
)
_MASK = "***"
_HEADERS = (
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    # Defence in depth: even a missed escape could not run a script here.
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
    ("Referrer-Policy", "no-referrer"),
)


def _looks_secret(name: object) -> bool:
    return isinstance(name, str) and _SECRET_NAME.search(name) is not None


# -- what the page shows ------------------------------------------------------


@dataclass
class _Frame:
    filename: str
    lineno: int
    function: str
    library: bool
    source: list[tuple[int, str]]
    locals: list[tuple[str, str, bool]]  # name, shown value, masked


@dataclass
class _Link:
    """One exception of a chain, with its frames (innermost last)."""

    type_name: str
    heading: str  # "KeyError: 'x'", one line
    summary: str  # what Python prints below a traceback (SyntaxError: several lines)
    frames: list[_Frame] = field(default_factory=list)
    omitted: int = 0
    relation: str | None = None  # the line printed between it and the one before


_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception as error:  # noqa: BLE001 - a page about an error must not raise
        return f"<str() failed: {type(error).__name__}>"


def _type_name(exc: BaseException) -> str:
    cls = type(exc)
    module = getattr(cls, "__module__", None)
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if module in (None, "builtins", "__main__") else f"{module}.{name}"


def _one_line(exc: BaseException) -> str:
    first = (_safe_str(exc).splitlines() or [""])[0]
    return f"{_type_name(exc)}: {first}" if first else _type_name(exc)


def _summary(exc: BaseException) -> str:
    try:
        return "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")
    except Exception:  # noqa: BLE001
        return f"{_type_name(exc)}: {_safe_str(exc)}"


def _chain(error: BaseException) -> list[BaseException]:
    """Return ``error`` and the exceptions behind it, oldest first."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(chain) < MAX_CHAIN:
        seen.add(id(current))
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    chain.reverse()
    return chain


def _raw_frames(exc: BaseException) -> tuple[list[tuple[FrameType, int]], int]:
    frames = list(traceback.walk_tb(exc.__traceback__))
    omitted = max(0, len(frames) - MAX_FRAMES)
    return frames[omitted:], omitted


@lru_cache(maxsize=1)
def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {
        paths[name] for name in ("stdlib", "platstdlib", "purelib", "platlib") if name in paths
    }
    roots.add(os.path.dirname(os.__file__))
    roots.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # erlen itself
    try:
        roots.update(site.getsitepackages())
        roots.add(site.getusersitepackages())
    except AttributeError:  # an old virtualenv's site module
        pass
    return tuple(os.path.join(os.path.realpath(root), "") for root in roots if root)


@lru_cache(maxsize=512)
def _is_library(filename: str) -> bool:
    """Whether ``filename`` is the stdlib, an installed package or erlen."""
    if filename.startswith("<"):
        return filename.startswith("<frozen")
    path = os.path.realpath(filename)
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return True
    return path.startswith(_library_roots())


def _source(frame: FrameType, filename: str, lineno: int) -> list[tuple[int, str]]:
    linecache.checkcache(filename)  # the reloader may have changed the file
    lines = linecache.getlines(filename, frame.f_globals)
    if not lines or lineno < 1:
        return []
    first = max(1, lineno - CONTEXT_BEFORE)
    last = min(len(lines), lineno + CONTEXT_AFTER)
    return [(n, lines[n - 1].rstrip("\r\n").expandtabs()) for n in range(first, last + 1)]


def _frame_locals(frame: FrameType) -> list[tuple[str, object]]:
    try:
        items = list(frame.f_locals.items())
    except Exception:  # noqa: BLE001
        return []
    return [(str(name), value) for name, value in items if not str(name).startswith("__")]


# -- hiding secrets -----------------------------------------------------------


class _Scrubber:
    """Replace every known secret value (and its quoted forms) with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        variants: set[str] = set()
        for secret in secrets:
            variants.update(
                (secret, repr(secret)[1:-1], quote(secret, safe=""), quote_plus(secret))
            )
        self.secrets = sorted(variants, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, _MASK)
        return text


class _SecretFinder:
    """Gather the values the page must never show."""

    def __init__(self) -> None:
        self.found: set[str] = set()

    def add(self, value: object, minimum: int = 4) -> None:
        # Short values are skipped: masking "1" everywhere would ruin the page.
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str):
            if len(value) >= minimum:
                self.found.add(value)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for item in value:
                if isinstance(item, (str, bytes)):
                    self.add(item, minimum)

    def add_named(self, name: object, value: object) -> None:
        if _looks_secret(name):
            self.add(value)

    def add_authorization(self, value: str) -> None:
        self.add(value)
        scheme, _, credentials = value.strip().partition(" ")
        credentials = credentials.strip()
        self.add(credentials)
        if scheme.lower() == "basic" and credentials:
            try:
                decoded = base64.b64decode(credentials, validate=True).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                return
            self.add(decoded)
            self.add(decoded.partition(":")[2])

    def add_cookie_header(self, header: str) -> None:
        for name, value in _cookie_pairs(header):
            # Session ids are long; short values (theme=dark) stay readable.
            self.add(value, 4 if _looks_secret(name) else 8)
            self.add(value.strip('"'), 4 if _looks_secret(name) else 8)


def _cookie_pairs(header: str) -> Iterator[tuple[str, str]]:
    for part in header.split(";"):
        name, _, value = part.partition("=")
        if name.strip():
            yield name.strip(), value.strip()


def _find_secrets(
    app: Erlen | None, request: Request | None, frames: Iterable[FrameType]
) -> _Scrubber:
    finder = _SecretFinder()
    if app is not None:
        for name, value in app.config.items():
            # Narrower than _SECRET_NAME: SESSION_COOKIE_NAME = "session" is no secret.
            if _SECRET_VALUE_NAME.search(name):
                finder.add(value)
    if request is not None:
        environ = request.environ
        for key, value in environ.items():
            if not isinstance(key, str) or not isinstance(value, str):
                continue
            if key == "HTTP_COOKIE":
                finder.add_cookie_header(value)
            elif key in ("HTTP_AUTHORIZATION", "HTTP_PROXY_AUTHORIZATION"):
                finder.add_authorization(value)
            elif key.startswith("HTTP_"):
                finder.add_named(key[5:], value)
        for source in (_args(request), request.__dict__.get("form")):
            for name, value in source.items(multi=True) if source else ():
                finder.add_named(name, value)
    for frame in frames:
        # Only the app's own, clearly secret names: a library's "key" or an
        # app's "cache_key" often holds a plain word that must stay readable.
        if _is_library(frame.f_code.co_filename):
            continue
        for name, value in _frame_locals(frame):
            if _SECRET_VALUE_NAME.search(name):
                finder.add(value)
    return _Scrubber(finder.found)


def _args(request: Request) -> t.Any:
    try:
        return request.args
    except Exception:  # noqa: BLE001 - a bad query string may be the error itself
        return None


class _SafeRepr(reprlib.Repr):
    """``repr`` that is short, survives a failing ``__repr__``, and hides secrets."""

    def __init__(self, scrub: _Scrubber) -> None:
        super().__init__()
        self.scrub = scrub
        self.maxlevel = 3
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = 12
        self.maxfrozenset = self.maxdeque = self.maxarray = 12
        self.maxstring = 200
        self.maxlong = 100
        self.maxother = REPR_LIMIT

    def repr_str(self, x: str, level: int) -> str:
        return super().repr_str(self.scrub(x), level)

    def repr_instance(self, x: object, level: int) -> str:
        try:
            text = repr(x)
        except Exception as error:  # noqa: BLE001 - a broken __repr__ is shown, not raised
            return f"<repr failed: {type(error).__name__}: {_safe_str(error)[:100]}>"
        return _truncate(self.scrub(text))

    def show(self, value: object) -> str:
        try:
            return _truncate(self.repr(value))
        except Exception as error:  # noqa: BLE001
            return f"<repr failed: {type(error).__name__}>"


def _truncate(text: str, limit: int = REPR_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the request, masked ------------------------------------------------------


def _masked_header(name: str, value: str) -> str:
    lowered = name.lower()
    if lowered == "cookie":
        return "; ".join(f"{cookie}={_MASK}" for cookie, _ in _cookie_pairs(value))
    if lowered in ("authorization", "proxy-authorization"):
        scheme, space, _ = value.strip().partition(" ")
        return f"{scheme} {_MASK}" if space else _MASK
    return _MASK if _looks_secret(name) else value


def _request_sections(
    request: Request, scrub: _Scrubber, show: _SafeRepr
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return ``(title, [(name, value), ...])`` sections describing ``request``."""
    sections: list[tuple[str, list[tuple[str, str]]]] = []

    def section(title: str, build: t.Callable[[], list[tuple[str, str]]]) -> None:
        try:
            rows = build()
        except Exception as error:  # noqa: BLE001 - show what can be read
            rows = [("(unreadable)", f"{type(error).__name__}: {_safe_str(error)}")]
        sections.append((title, [(scrub(name), scrub(value)) for name, value in rows]))

    def summary() -> list[tuple[str, str]]:
        rows = [("Method", request.method), ("URL", request.url)]
        if request.url_rule is not None:
            rows.append(("Route", f"{request.url_rule.rule}  (endpoint {request.endpoint!r})"))
        if request.view_args:
            shown = {
                name: _MASK if _looks_secret(name) else value
                for name, value in request.view_args.items()
            }
            rows.append(("View arguments", show.show(shown)))
        rows.append(("Client", request.remote_addr or "?"))
        return rows

    def headers() -> list[tuple[str, str]]:
        pairs = []
        for key, value in request.environ.items():
            if not isinstance(key, str) or not isinstance(value, str):
                continue
            if key.startswith("HTTP_"):
                name = key[5:].replace("_", "-").title()
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                name = key.replace("_", "-").title()
            else:
                continue
            pairs.append((name, _truncate(_masked_header(name, value), 1000)))
        return pairs

    def multidict(name: str) -> list[tuple[str, str]]:
        # The form only if the app read it: parsing here could fail or block.
        source = _args(request) if name == "args" else request.__dict__.get("form")
        if source is None:
            return [("(not read)", "the app did not read a form from this request")]
        return [
            (key, _MASK if _looks_secret(key) else show.show(value))
            for key, value in source.items(multi=True)
        ]

    def cookies() -> list[tuple[str, str]]:
        header = request._raw_header("HTTP_COOKIE") or ""
        return [(name, _MASK) for name, _ in _cookie_pairs(header)]

    section("Request", summary)
    section("Headers", headers)
    section("Query arguments", lambda: multidict("args"))
    if request.method not in ("GET", "HEAD") or "form" in request.__dict__:
        section("Form fields", lambda: multidict("form"))
    section("Cookies (values hidden)", cookies)
    return sections


# -- hints --------------------------------------------------------------------


def _hint(error: BaseException) -> str | None:
    """Return a line on what to do for a few common errors."""
    names = {f"{cls.__module__}.{cls.__qualname__}" for cls in type(error).__mro__}
    if "jinja2.exceptions.TemplateNotFound" in names:
        return None  # erlen's message already says where it looked and what to do
    if "jinja2.exceptions.UndefinedError" in names:
        return (
            "A template used a name it was not given: pass it to render_template(...), "
            "or test it with {% if name is defined %}."
        )
    if "jinja2.exceptions.TemplateSyntaxError" in names:
        return "Fix the template at the file and line named above; the traceback ends there."
    if isinstance(error, ModuleNotFoundError):
        return (
            f"Install the package that provides {error.name or 'the module'} into the Python "
            f"that runs the app ({sys.executable}), or fix the import's spelling."
        )
    if isinstance(error, RecursionError):
        return (
            "A function kept calling itself. The frames repeat: look for the call that "
            f"should have stopped (only the last {MAX_FRAMES} frames are shown)."
        )
    return None


# -- the 500 page -------------------------------------------------------------


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
