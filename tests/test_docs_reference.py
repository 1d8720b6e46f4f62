"""Every public name of erlen has a docstring and a place in the API reference.

The public names are those in ``__all__`` of ``erlen`` and of the public
modules below. The reference is ``docs/reference/*.md``: each name is named
there by an autodoc directive (``.. autoclass:: erlen.Erlen`` in an
``{eval-rst}`` block), or by a hand-written ``.. py:data::`` with a
description for the context proxies (whose attributes cannot be read outside
a request) and for names re-exported from a private module.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference"

PUBLIC_MODULES = [
    "erlen",
    "erlen.app",
    "erlen.blueprints",
    "erlen.wrappers",
    "erlen.request",
    "erlen.response",
    "erlen.config",
    "erlen.ctx",
    "erlen.globals",
    "erlen.helpers",
    "erlen.templating",
    "erlen.sendfile",
    "erlen.utils",
    "erlen.typed",
    "erlen.openapi",
    "erlen.sessions",
    "erlen.views",
    "erlen.scaffold",
    "erlen.signals",
    "erlen.json",
    "erlen.json.provider",
    "erlen.json.tag",
    "erlen.exceptions",
    "erlen.testing",
    "erlen.cli",
    "erlen.websockets",
    "erlen.sse",
    "erlen.csrf",
    "erlen.security",
    "erlen.middleware",
    "erlen.routing",
    "erlen.http",
    "erlen.logging",
    "erlen.flask_compat",
    "erlen.debughelpers",
    # What request.args, form, files and headers hold, and the typed header values.
    "erlen.http.datastructures",
    "erlen.http.headers",
    "erlen.http.lists",
    "erlen.http.auth",
    "erlen.http.cache_control",
    "erlen.http.ranges",
    "erlen.http.etags",
    "erlen.http.cookies",
    "erlen.http.forms",
]

# Modules with an __all__ that the reference leaves out, and why. A new module
# goes in PUBLIC_MODULES (and the reference), or here with its reason.
NOT_IN_REFERENCE = {
    "erlen.cli.": "their names are re-exported and documented by erlen.cli",
    "erlen.testing.": "their names are re-exported and documented by erlen.testing",
    "erlen.routing.": "their names are re-exported and documented by erlen.routing",
    "erlen.typed.": "their names are re-exported and documented by erlen.typed",
    "erlen.openapi.": "the document's parts and routes and the docs page, used through OPENAPI_URL, OPENAPI_DOCS_URL and erlen openapi",
    "erlen.cycle": "RequestCycle is Erlen's base: its methods are documented on Erlen",
    "erlen.dev.": "the development server, reloader and debug pages, used through erlen run",
    "erlen.serving.": "the protocol adapters, used through the app object by servers",
    "erlen.http.converters": "its names are re-exported and documented by erlen.routing",
    "erlen.http.exceptions": "its names are re-exported and documented by erlen.exceptions",
    "erlen.http.status": "its names are re-exported and documented by erlen.http",
    "erlen.http.dates": "its names are re-exported and documented by erlen.http",
    "erlen.http.negotiation": "its names are re-exported and documented by erlen.http",
    "erlen.http.query": "its names are re-exported and documented by erlen.http",
    "erlen.http.conditional": "the If-* evaluation behind Response.make_conditional",
    "erlen.http.hosts": "the Host check behind TRUSTED_HOSTS",
    "erlen.http.scope": "an ASGI scope read as an environ, for the adapters",
    "erlen.http.streams": "the bounded body streams behind request.stream",
}

# `.. autoclass:: erlen.Erlen` or `.. py:data:: erlen.request`, then its indented lines
# (the pages hold them in ```{eval-rst} blocks: autodoc writes reStructuredText).
DIRECTIVE = re.compile(r"^\.\. (auto\w+|py:\w+):: ([\w.]+)\n((?:(?:   .*)?\n)*)", re.M)


_SET_ASIDE: dict[str, ModuleType] = {}


def _import(name: str) -> ModuleType:
    """Import a module; ``erlen.flask_compat`` without leaving the flask alias on.

    Importing ``erlen.flask_compat`` turns the alias on for the whole process
    (and refuses if another test imported Flask). So it is imported once with
    Flask's modules set aside, turned off at once, and kept out of
    ``sys.modules``: the pytest process stays as the other tests expect it.
    """
    if name != "erlen.flask_compat":
        return importlib.import_module(name)
    if name in sys.modules:
        return sys.modules[name]
    if name not in _SET_ASIDE:
        flask_modules = {
            key: sys.modules.pop(key)
            for key in [key for key in sys.modules if key == "flask" or key.startswith("flask.")]
        }
        try:
            module = importlib.import_module(name)
            module.uninstall()
        finally:
            sys.modules.pop(name, None)
            erlen = sys.modules["erlen"]
            if getattr(erlen, "flask_compat", None) is not None:
                del erlen.flask_compat
            sys.modules.update(flask_modules)
        _SET_ASIDE[name] = module
    return _SET_ASIDE[name]


def _resolve(path: str) -> object:
    """The object a dotted path names: an attribute of the longest importable module.

    ``erlen.request`` is the proxy in ``erlen``, not the module ``erlen/request.py``:
    the last part is always an attribute.
    """
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            target: object = _import(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(path)


def _directives() -> list[tuple[str, str, str, str]]:
    """(page, directive, dotted path, content) for each directive in the reference."""
    found = []
    for page in sorted(REFERENCE.glob("*.md")):
        for match in DIRECTIVE.finditer(page.read_text(encoding="utf-8")):
            directive, path, body = match.groups()
            # The options (`:type: str`) come first, up to a blank line.
            _options, _, text = body.partition("\n\n")
            content = text if body.lstrip().startswith(":") else body
            found.append((page.name, directive, path, content.strip()))
    return found


def _public_names() -> list[tuple[str, str]]:
    names = []
    for module_name in PUBLIC_MODULES:
        module = _import(module_name)
        assert hasattr(module, "__all__"), f"{module_name} is public but has no __all__"
        names.extend((module_name, name) for name in module.__all__)
    return names


def _attribute_comment(module_name: str, name: str) -> bool:
    """Whether ``name`` has a ``#:`` doc comment where ``module_name`` assigns it."""
    from sphinx.pycode import ModuleAnalyzer

    return ("", name) in ModuleAnalyzer.for_module(module_name).find_attr_docs()


def _has_docstring(obj: object) -> bool:
    if inspect.isclass(obj):
        return bool(vars(obj).get("__doc__"))
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return bool(obj.__doc__)
    return bool(getattr(obj, "__dict__", {}).get("__doc__"))


def test_every_module_with_public_names_is_in_the_reference_or_says_why_not():
    source = Path(__file__).resolve().parents[1] / "src"
    unplaced = []
    for path in sorted((source / "erlen").rglob("*.py")):
        parts = path.relative_to(source).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if any(part.startswith("_") and part != "__init__" for part in parts):
            continue  # private modules, and __main__
        if not re.search(r"^__all__\b", path.read_text(encoding="utf-8"), re.M):
            continue  # an old import path re-exporting a documented module, or no names
        if name in PUBLIC_MODULES or any(
            name == known or (known.endswith(".") and name.startswith(known))
            for known in NOT_IN_REFERENCE
        ):
            continue
        unplaced.append(name)
    assert unplaced == [], (
        f"{', '.join(unplaced)}: a module with public names (__all__) that is neither in "
        "PUBLIC_MODULES of tests/test_docs_reference.py (and docs/reference/) nor in its "
        "NOT_IN_REFERENCE with a reason."
    )


def test_every_directive_names_something_real():
    for page, _directive, path, _content in _directives():
        try:
            _resolve(path)
        except (ImportError, AttributeError):
            pytest.fail(f"docs/reference/{page} documents {path}, which does not exist")


def test_every_public_name_is_in_the_reference():
    documented = {id(_resolve(path)) for _page, _directive, path, _content in _directives()}
    missing = [
        f"{module}.{name}"
        for module, name in _public_names()
        if id(getattr(_import(module), name)) not in documented
    ]
    assert missing == [], (
        f"These public names are missing from docs/reference/: {', '.join(missing)}. "
        "Add a directive for each to the page of its module, inside its ```{eval-rst} "
        "block, such as `.. autofunction:: erlen.helpers.url_for`."
    )


def test_every_documented_name_has_a_docstring():
    undocumented = []
    for page, directive, path, content in _directives():
        if directive.startswith("py:"):
            if not content:
                undocumented.append(f"{path} ({page}: the directive has no description)")
            continue
        obj = _resolve(path)
        module_name, _, name = path.rpartition(".")
        if directive == "autodata":
            if not (_has_docstring(obj) or _attribute_comment(module_name, name)):
                undocumented.append(f"{path} (a `#:` comment above its assignment)")
        elif not _has_docstring(obj):
            undocumented.append(path)
    assert undocumented == [], f"No docstring: {', '.join(undocumented)}"


def test_the_check_finds_a_missing_name(monkeypatch):
    import erlen

    def undocumented_helper():
        pass

    monkeypatch.setattr(erlen, "undocumented_helper", undocumented_helper, raising=False)
    monkeypatch.setattr(erlen, "__all__", [*erlen.__all__, "undocumented_helper"])
    with pytest.raises(AssertionError, match="erlen.undocumented_helper"):
        test_every_public_name_is_in_the_reference()
    assert not _has_docstring(undocumented_helper)
