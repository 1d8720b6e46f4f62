"""The package layout: layers import only downwards, and old import paths still work.

The layers, lowest first, are drawn in ``LAYERS``; a module may import its
own layer and the ones below it, at module level or inside a function.
Imports made only for type checking (under ``if TYPE_CHECKING:``) are
free, since they never run. The few deliberate upward imports are in
``UPWARD``, each with its reason; any other one fails this test, and so
does a module that belongs to no layer.
"""

from __future__ import annotations

import ast
import importlib
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

import erlen

SRC = Path(erlen.__file__).resolve().parent

#: The layers, lowest first. A trailing ``.*`` takes a whole package.
LAYERS: list[tuple[str, list[str]]] = [
    ("shared types", ["erlen.typing"]),
    ("HTTP primitives", ["erlen.http", "erlen.http.*"]),
    ("JSON", ["erlen.json", "erlen.json.*"]),
    (
        "request and response",
        ["erlen.request", "erlen.response", "erlen._request_headers", "erlen._response_headers"],
    ),
    ("routing", ["erlen.routing", "erlen.routing.*"]),
    ("contexts", ["erlen.ctx", "erlen.websockets"]),
    ("protocol adapters", ["erlen.serving", "erlen.serving.*"]),
    (
        "application",
        [
            "erlen",
            "erlen.app",
            "erlen.cycle",
            "erlen.scaffold",
            "erlen.blueprints",
            "erlen.config",
            "erlen.helpers",
            "erlen.globals",
            "erlen.logging",
            "erlen.debughelpers",
            "erlen.wrappers",
            "erlen.views",
            "erlen.csrf",
            "erlen.security",
            "erlen.middleware",
            "erlen.sse",
            "erlen.sessions",
            "erlen.sessions.*",
            "erlen.signals",
            "erlen.templating",
            "erlen.templating.*",
            "erlen.sendfile",
            "erlen.sendfile.*",
            "erlen._conditional",
            "erlen._filebody",
            "erlen._template_lookup",
            "erlen._packages",
            "erlen._werkzeug_bases",
            "erlen.utils",
            "erlen._typed_views",
            "erlen.typed",
            "erlen.typed.*",
            "erlen.openapi",
            "erlen.openapi.*",
        ],
    ),
    (
        "tools",
        [
            "erlen.dev",
            "erlen.dev.*",
            "erlen.cli",
            "erlen.cli.*",
            "erlen.testing",
            "erlen.testing.*",
            "erlen.flask_compat",
            "erlen._flask_alias",
        ],
    ),
    ("entry point", ["erlen.__main__"]),
]

#: Where each module moved; the old name is a thin re-export of the new one.
MOVED = {
    "erlen.headers": "erlen.http.headers",
    "erlen.datastructures": "erlen.http.datastructures",
    "erlen.cookies": "erlen.http.cookies",
    "erlen.forms": "erlen.http.forms",
    "erlen.converters": "erlen.http.converters",
    "erlen.hosts": "erlen.http.hosts",
    "erlen.exceptions": "erlen.http.exceptions",
    "erlen.wsgi": "erlen.serving.wsgi",
    "erlen.asgi": "erlen.serving.asgi",
    "erlen.devserver": "erlen.dev.server",
    "erlen._http11": "erlen.dev.http11",
    "erlen.reloader": "erlen.dev.reloader",
    "erlen.debug": "erlen.dev.debug",
    "erlen.notfound": "erlen.dev.notfound",
    "erlen.discovery": "erlen.cli.discovery",
    "erlen._asgiclient": "erlen.testing.asgi",
    "erlen._tagged_json": "erlen.json.tag",
}

#: The deliberate upward imports, (importer, imported) -> why. All are lazy.
UPWARD = {
    ("erlen.http.exceptions", "erlen.response"): (
        "HTTPException.get_response() builds the error's Response (Werkzeug's API); "
        "loaded only when an error is rendered"
    ),
    ("erlen.json", "erlen.ctx"): (
        "erlen.json.dumps(), loads() and jsonify() use current_app.json when an app "
        "context is active (Flask's API); the context variable is looked up once"
    ),
    ("erlen.json", "erlen.response"): (
        "jsonify() outside an app context, where no app gives a response_class"
    ),
    ("erlen.response", "erlen.helpers"): (
        "the old import path erlen.response.make_response, served by a module __getattr__"
    ),
    ("erlen.response", "erlen.ctx"): (
        "Response.max_cookie_size reads the current app's MAX_COOKIE_SIZE, as Flask's does; "
        "loaded only when set_cookie is called"
    ),
    ("erlen.app", "erlen.cli"): "app.run() serves the way erlen run does (run_app)",
    ("erlen.cycle", "erlen.dev.debug"): "the debug page, rendered for an error in debug mode",
    ("erlen.cycle", "erlen.dev.notfound"): "the 404 page of debug mode, listing the routes",
    ("erlen.app", "erlen.testing"): "app.test_client(), test_cli_runner(), test_request_context()",
    ("erlen.scaffold", "erlen.cli"): "app.cli and blueprint.cli, click groups made on first use",
}


def _layer_of(module: str) -> int:
    for index, (_, patterns) in enumerate(LAYERS):
        if any(fnmatchcase(module, pattern) for pattern in patterns):
            return index
    raise LookupError(module)


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(module: str, path: Path) -> list[tuple[str, int, bool]]:
    """Return ``(imported module, line, lazy)`` for each runtime import of erlen."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other, lazy)
                continue
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target == "erlen" or target.startswith("erlen."):
                    for alias in child.names:
                        # `from . import json` imports the module erlen.json;
                        # `from .ctx import g` a name of erlen.ctx.
                        submodule = f"{target}.{alias.name}"
                        name = submodule if submodule in MODULES else target
                        found.append((name, child.lineno, inner))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name == "erlen" or alias.name.startswith("erlen."):
                        found.append((alias.name, child.lineno, inner))
            visit(child, inner)

    visit(ast.parse(path.read_text(), str(path)), False)
    return found


MODULES = _modules()


def test_every_module_belongs_to_a_layer() -> None:
    homeless = []
    for module in MODULES:
        if module in MOVED:
            continue
        try:
            _layer_of(module)
        except LookupError:
            homeless.append(module)
    assert not homeless, f"Add these modules to a layer in LAYERS: {homeless}"


def test_layers_import_only_downwards() -> None:
    wrong = []
    used = set()
    for module, path in MODULES.items():
        if module in MOVED:
            continue
        own = _layer_of(module)
        for target, line, lazy in _imports(module, path):
            if target in MOVED:
                wrong.append(f"{module}:{line} imports the old path {target}; use {MOVED[target]}")
                continue
            if target not in MODULES:
                continue  # a name from a package's __init__, counted as the package
            layer = _layer_of(target)
            if layer <= own:
                continue
            if (module, target) in UPWARD and lazy:
                used.add((module, target))
                continue
            wrong.append(
                f"{module}:{line} ({LAYERS[own][0]}) imports {target} ({LAYERS[layer][0]})"
                + ("" if lazy else " at module level")
            )
    assert not wrong, "Imports against the layers:\n" + "\n".join(wrong)
    stale = set(UPWARD) - used
    assert not stale, f"UPWARD lists imports that no longer happen; remove them: {stale}"


def test_old_module_paths_are_thin_reexports() -> None:
    for old, new in MOVED.items():
        old_module = importlib.import_module(old)
        new_module = importlib.import_module(new)
        assert old_module.__all__ == new_module.__all__, old
        for name in new_module.__all__:
            assert getattr(old_module, name) is getattr(new_module, name), f"{old}.{name}"
        assert len(MODULES[old].read_text().splitlines()) <= 5, f"{old} should only re-export"


@pytest.mark.parametrize(
    ("old", "name", "new"),
    [
        ("erlen.http", "parse_qs", "erlen.http.query"),
        ("erlen.http", "http_date", "erlen.http.dates"),
        ("erlen.http", "parse_etags", "erlen.http.dates"),
        ("erlen.http", "parse_accept", "erlen.http.negotiation"),
        ("erlen.http", "parse_options_header", "erlen.http.negotiation"),
        ("erlen.http", "status_line", "erlen.http.status"),
        ("erlen.http", "HTTP_STATUS_PHRASES", "erlen.http.status"),
        ("erlen.response", "make_response", "erlen.helpers"),
        ("erlen.asgi", "build_environ", "erlen.http.scope"),
        ("erlen.testing", "Client", "erlen.testing.client"),
        ("erlen.testing", "build_environ", "erlen.testing.builders"),
        ("erlen.cli", "main", "erlen.cli.group"),
        ("erlen.cli", "run_app", "erlen.cli.run"),
    ],
)
def test_names_that_moved_keep_their_old_path(old: str, name: str, new: str) -> None:
    moved = getattr(importlib.import_module(new), name)
    assert getattr(importlib.import_module(old), name) is moved
    exec(f"from {old} import {name} as imported", namespace := {})
    assert namespace["imported"] is moved


def test_the_public_names_of_erlen() -> None:
    for name in erlen.__all__:
        assert getattr(erlen, name) is not None, name
    assert len(erlen.__all__) == len(set(erlen.__all__))


def test_import_erlen_stays_lean() -> None:
    """``import erlen`` and a WSGI request load no template, CLI, signing, signal or asyncio code.

    Nor Werkzeug or the flask alias: both stay out unless asked for.
    """
    import subprocess
    import sys

    script = (
        "import sys, erlen\n"
        "app = erlen.Erlen('lean')\n"
        "app.get('/')(lambda: 'hi')\n"
        "body = b''.join(app({'REQUEST_METHOD': 'GET', 'PATH_INFO': '/', 'SERVER_NAME': 'x',\n"
        "    'SERVER_PORT': '80', 'wsgi.url_scheme': 'http'}, lambda *a: None))\n"
        "assert body == b'hi', body\n"
        "heavy = ['jinja2', 'click', 'itsdangerous', 'asyncio', 'python_multipart', 'blinker',\n"
        "    'erlen.serving.asgi', 'erlen.cli', 'erlen.dev', 'erlen.testing', 'erlen.templating',\n"
        "    'erlen.signals', 'werkzeug', 'erlen.flask_compat', 'erlen._flask_alias',\n"
        "    'erlen.typed', 'erlen.openapi', 'msgspec', 'pydantic',\n"
        "    'swagger_ui_bundle', 'openapi_spec_validator']\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"import erlen loaded {result.stdout.strip()}"
