"""Debug mode's 404 page: the routes that exist, and the closest to the URL asked for."""

from __future__ import annotations

import difflib
import typing as t

from ..routing import _VARIABLE_RE
from .rendering import (
    BANNER,
    _e,
    _page,
    _respond,
    _wants_html,
)

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..request import Request
    from ..response import Response
    from ..routing import Rule

__all__ = ["not_found_page"]

MAX_ROUTES = 500


def _methods(rule: Rule) -> str:
    methods = ", ".join(sorted(rule.methods - {"HEAD", "OPTIONS"})) or "OPTIONS"
    return f"{methods} (WebSocket)" if rule.websocket else methods


def _rule_matches(rule: Rule, path: str) -> bool:
    if rule.is_static:
        return rule.rule == path
    try:
        return rule.match(path) is not None
    except Exception:  # noqa: BLE001
        return False


def _fill(rule: str, path: str) -> str:
    """Put the path's segments where ``rule`` has variables: ``/user/<int:id>`` -> ``/user/1``."""
    given = path.split("/")
    filled = []
    for index, segment in enumerate(rule.split("/")):
        whole = _VARIABLE_RE.fullmatch(segment)
        if whole is not None and index < len(given):
            if whole.group("converter") == "path":
                filled.append("/".join(given[index:]))
                break
            filled.append(given[index])
        else:
            filled.append(_VARIABLE_RE.sub(lambda m: m.group("name"), segment))
    return "/".join(filled)


def _closest(rules: list[Rule], path: str) -> list[tuple[Rule, str]]:
    """Return up to three rules like ``path``, with the path each would want."""
    scored = []
    for rule in rules:
        filled = _fill(rule.rule, path)
        ratio = difflib.SequenceMatcher(None, path, filled).ratio()
        if ratio >= 0.6:
            scored.append((ratio, rule, filled))
    scored.sort(key=lambda item: -item[0])
    return [(rule, filled) for _, rule, filled in scored[:3]]


class _NotFoundReport:
    def __init__(self, app: Erlen, request: Request | None, error: BaseException) -> None:
        self.rules = sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, _methods(rule)))
        self.rows = [(r.rule, _methods(r), str(r.endpoint)) for r in self.rules[:MAX_ROUTES]]
        self.method = request.method if request is not None else "GET"
        self.path = request.path if request is not None else ""
        self.hints: list[str] = []
        self.closest: list[tuple[Rule, str]] = []
        matched = request.url_rule if request is not None else None
        if matched is not None:
            self.title = f"The route {matched.rule} matched, but answered 404"
            self.hints.append(
                f"The URL matched the route {matched.rule} (endpoint {matched.endpoint!r}); "
                "the view or a before_request hook raised 404 itself (abort(404), a missing "
                "file, a lookup that found nothing)."
            )
            description = getattr(error, "description", None)
            if isinstance(description, str) and description != getattr(
                type(error), "description", None
            ):
                self.hints.append(f"Its message: {description}")
            return
        self.title = f"No route matches {self.method} {self.path}"
        if request is None:
            return
        self._explain(request.path)

    def _explain(self, path: str) -> None:
        here = [rule for rule in self.rules if _rule_matches(rule, path)]
        if here:  # a route is there, but not for this kind of request
            for rule in here:
                self.hints.append(
                    f"{rule.rule} exists for {_methods(rule)}, not for this "
                    f"{'WebSocket' if not rule.websocket else 'plain HTTP'} request."
                )
        if len(path) > 1:
            other = path[:-1] if path.endswith("/") else path + "/"
            for rule in self.rules:
                if not _rule_matches(rule, other):
                    continue
                has = "a" if other.endswith("/") else "no"
                hint = f"The route {rule.rule} has {has} trailing slash: try {other}"
                if self.method not in rule.methods:
                    hint += f" (with {_methods(rule)}, not {self.method})"
                self.hints.append(hint + ".")
        self.closest = _closest(self.rules, path)
        for rule, filled in self.closest:
            if filled == path and not rule.is_static and rule not in here:
                self.hints.append(
                    f"{path} has the shape of {rule.rule}, but a value was refused by its "
                    "converter (such as letters where <int:...> wants digits)."
                )


def _render_not_found_html(report: _NotFoundReport) -> str:
    body = [
        f'<p class="status">404 Not Found · {_e(report.method)} {_e(report.path)}</p>\n',
        f"<h1>{_e(report.title)}</h1>\n",
    ]
    body += [f'<p class="hint">{_e(hint)}</p>\n' for hint in report.hints]
    if report.closest:
        body.append("<h2>Did you mean</h2>\n<table>")
        for rule, filled in report.closest:
            example = (
                f" <small>as in</small> <code>{_e(filled)}</code>" if filled != rule.rule else ""
            )
            body.append(
                f"<tr><th><code>{_e(rule.rule)}</code>{example}</th><td>{_e(_methods(rule))}"
                f"</td><td><code>{_e(rule.endpoint)}</code></td></tr>"
            )
        body.append("</table>\n")
    body.append(f"<h2>Routes <small>{len(report.rules)} in this app</small></h2>\n")
    rows = report.rows
    if rows:
        body.append("<table><tr><th>Rule</th><th>Methods</th><th>Endpoint</th></tr>")
        body += [
            f"<tr><td><code>{_e(rule)}</code></td><td>{_e(methods)}</td>"
            f"<td><code>{_e(endpoint)}</code></td></tr>"
            for rule, methods, endpoint in rows
        ]
        body.append("</table>\n")
    else:
        body.append(
            '<p class="none">The app has no routes yet: add one with @app.route("/").</p>\n'
        )
    return _page(f"404 Not Found: {report.path}", body)


def _render_not_found_text(report: _NotFoundReport) -> str:
    lines = [f"404 Not Found — {report.title}", ""]
    lines += report.hints
    if report.closest:
        lines += ["", "Did you mean:"]
        for rule, filled in report.closest:
            example = f"  (as in {filled})" if filled != rule.rule else ""
            lines.append(f"  {rule.rule}  {_methods(rule)}  -> {rule.endpoint}{example}")
    rows = report.rows
    lines += ["", f"Routes ({len(report.rules)}):"]
    if rows:
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        lines += [
            f"  {rule.ljust(widths[0])}  {methods.ljust(widths[1])}  {endpoint}"
            for rule, methods, endpoint in rows
        ]
    else:
        lines.append('  (none: add one with @app.route("/"))')
    lines += ["", f"Debug mode is on: {BANNER}.", ""]
    return "\n".join(lines)


def not_found_page(app: Erlen, request: Request | None, error: BaseException) -> Response:
    """Return the 404 debug page: the routes there are and the closest ones."""
    try:
        report = _NotFoundReport(app, request, error)
        if _wants_html(request):
            return _respond(_render_not_found_html(report), 404, True)
        return _respond(_render_not_found_text(report), 404, False)
    except Exception:  # noqa: BLE001 - the debug page must never raise
        app.logger.exception("The debug 404 page failed; sending the plain one")
        return _respond(f"404 Not Found\n\n{BANNER}\n", 404, False)
