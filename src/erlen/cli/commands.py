"""``erlen routes``, ``erlen shell`` and ``erlen openapi``: the built-in commands that use the app."""

from __future__ import annotations

import os
import sys
import typing as t

import click

from ..ctx import current_app, g
from .script import with_appcontext

__all__ = ["routes_command", "shell_command", "openapi_command"]


@click.command("routes", short_help="List the app's URL rules.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    default="endpoint",
    show_default=True,
    help="Order of the rows; 'match' is the order the rules were added, 'domain' the "
    "host or subdomain.",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS too.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """List the app's URL rules: endpoint, methods, host or subdomain, rule."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's own method
    rules = list(app.url_map.iter_rules())
    if not rules:
        click.echo("The app has no routes yet. Add one with @app.route('/').")
        return
    hidden = set() if all_methods else {"HEAD", "OPTIONS"}
    # Host and subdomain are read with getattr: rules without them have none.
    by_host = bool(getattr(app.url_map, "host_matching", False))
    domains = [getattr(rule, "host" if by_host else "subdomain", None) or "" for rule in rules]
    header = ["Endpoint", "Methods", "Rule"]
    rows = [
        [
            rule.endpoint or "",
            "WEBSOCKET"
            if getattr(rule, "websocket", False)
            else ", ".join(sorted(set(rule.methods or ()) - hidden)),
            rule.rule,
        ]
        for rule in rules
    ]
    if any(domains):
        header.insert(2, "Host" if by_host else "Subdomain")
        for row, domain in zip(rows, domains, strict=True):
            row.insert(2, domain)
    order = {"endpoint": (0, -1), "methods": (1, -1), "rule": (-1, 0)}
    if any(domains):
        order["domain"] = (2, -1)
    if sort in order:
        first, second = order[sort]
        rows.sort(key=lambda row: (row[first], row[second]))
    widths = [max([len(header[i])] + [len(row[i]) for row in rows]) for i in range(len(header))]
    for row in [header, ["-" * width for width in widths], *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@click.command("shell", short_help="Start a Python shell in the app's context.")
@with_appcontext
def shell_command() -> None:
    """Start a Python shell in the app's context, with app and g ready.

    The app's shell context processors (@app.shell_context_processor) add
    their names too. PYTHONSTARTUP runs first, as in the Python shell.
    """
    import code

    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's own method
    namespace: dict[str, t.Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup, encoding="utf-8") as file:
            exec(compile(file.read(), startup, "exec"), namespace)
    # Through getattr: an app class without shell context processors has no such method.
    make_shell_context = getattr(app, "make_shell_context", None)
    context = make_shell_context() if make_shell_context is not None else {"app": app, "g": g}
    namespace.update(context)
    if sys.stdin.isatty():
        try:
            import readline
            import rlcompleter
        except ImportError:  # pragma: no cover - Python built without readline
            pass
        else:
            readline.set_completer(rlcompleter.Completer(namespace).complete)
            readline.parse_and_bind("tab: complete")
    names = ", ".join(sorted(context))
    banner = (
        f"Python {sys.version.split()[0]} on {sys.platform}\n"
        f"erlen shell for the app {app.name!r} ({app.root_path}).\n"
        f"The app context is active; ready: {names}. Ctrl-D to leave."
    )
    code.interact(banner=banner, local=namespace, exitmsg="")


@click.command("openapi", short_help="Print the app's OpenAPI document.")
@click.option(
    "--indent", type=int, default=2, show_default=True, help="Spaces per level; 0 for one line."
)
@with_appcontext
def openapi_command(indent: int) -> None:
    """Print the OpenAPI 3.1 document of the app's routes, as JSON."""
    import json

    from ..openapi.document import build_document

    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's own method
    click.echo(json.dumps(build_document(app), indent=indent or None))
