"""``erlen routes`` and ``erlen shell``: the built-in commands that use the app."""

from __future__ import annotations

import os
import sys
import typing as t
from collections.abc import Callable

import click

from .group import _script_app, main


@main.command("routes")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "rule", "match")),
    default="endpoint",
    show_default=True,
    help="Order of the rows; 'match' is the order the rules were added.",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS too.")
def routes_command(sort: str, all_methods: bool) -> None:
    """List the app's URL rules."""
    app = _script_app()
    hidden = set() if all_methods else {"HEAD", "OPTIONS"}
    rows = [
        (
            rule.endpoint or "",
            "WEBSOCKET" if rule.websocket else ", ".join(sorted(rule.methods - hidden)),
            rule.rule,
        )
        for rule in app.url_map.iter_rules()
    ]
    if not rows:
        click.echo("The app has no routes yet. Add one with @app.route('/').")
        return
    keys: dict[str, Callable[[tuple[str, str, str]], tuple[str, ...]]] = {
        "endpoint": lambda row: (row[0], row[2]),
        "methods": lambda row: (row[1], row[2]),
        "rule": lambda row: (row[2], row[0]),
    }
    if sort in keys:
        rows.sort(key=keys[sort])
    header = ("Endpoint", "Methods", "Rule")
    widths = [max([len(header[i])] + [len(row[i]) for row in rows]) for i in range(3)]
    for row in [header, tuple("-" * width for width in widths), *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@main.command("shell")
def shell_command() -> None:
    """Start a Python shell in the app's context, with app and g ready."""
    import code

    from ..ctx import g

    app = _script_app()
    namespace: dict[str, t.Any] = {"app": app, "g": g}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup, encoding="utf-8") as file:
            exec(compile(file.read(), startup, "exec"), namespace)
    if sys.stdin.isatty():
        try:
            import readline
            import rlcompleter
        except ImportError:  # pragma: no cover - Python built without readline
            pass
        else:
            readline.set_completer(rlcompleter.Completer(namespace).complete)
            readline.parse_and_bind("tab: complete")
    banner = (
        f"Python {sys.version.split()[0]} on {sys.platform}\n"
        f"erlen shell for the app {app.name!r} ({app.root_path}).\n"
        "The app context is active: app and g are ready. Ctrl-D to leave."
    )
    code.interact(banner=banner, local=namespace, exitmsg="")
