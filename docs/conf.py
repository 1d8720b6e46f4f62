"""Sphinx configuration for erlen's documentation site (built by ./scripts/docs)."""

from __future__ import annotations

import builtins
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
# The API reference documents the source next to these pages, not an installed copy.
sys.path.insert(0, str(DOCS.parent / "src"))

project = "erlen"
author = "erlen's authors"
copyright = "erlen's authors"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
]

# Pages are Markdown (MyST). `myst_heading_anchors` gives every heading down to
# ### the anchor GitHub gives it, so `cli.md#debug-mode` works on the site too.
source_suffix = {".md": "markdown"}
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
exclude_patterns = ["_build", "examples", "img/README*"]
root_doc = "index"

# The reference: members in source order, type hints in the signature only.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_default_options = {"members": True, "show-inheritance": True}
# intersphinx would fetch inventories over the network; the build must work
# offline, so links into other projects' docs are written out in full instead.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}

# Nitpicky: every cross-reference must resolve, so a docstring's
# :func:`erlen.nowhere` or a page's {py:class}`erlen.Gone` fails the build
# (tests/test_docs_site.py proves it). What cannot resolve offline is named
# here: Python's and other projects' names (no inventory without the
# network; each is written out in full, unlinked), type variables, private
# base classes, and the type aliases that annotations show by their short
# name. Anything else erlen's docs point at must be documented.
nitpicky = True
_EXTERNAL_MODULES = (
    # The standard library, as annotations and docstrings name it.
    "t|typing|typing_extensions|collections|collections\\.abc|abc|os|io|sys|types|uuid"
    "|datetime|decimal|enum|pathlib|asyncio|concurrent|contextvars|contextlib|logging"
    "|json|hmac|hashlib|tomllib|dataclasses|functools|inspect|ssl|socket|threading"
    "|http|email|re|string|weakref|wsgiref|importlib|ipaddress"
    # Other projects erlen uses or works with.
    "|click|jinja2|markupsafe|itsdangerous|blinker|werkzeug|flask|pydantic|msgspec"
    "|attrs|sqlalchemy|gunicorn|uvicorn|granian|hypercorn|watchfiles|dotenv"
)
nitpick_ignore_regex = [
    (r"py:.*", rf"(?:{_EXTERNAL_MODULES})\..+"),
    # Type variables (T, K, V, F, R ...) and private classes (bases shown by
    # show-inheritance, such as erlen.http.datastructures._MultiDictBase).
    (r"py:(class|obj)", r"(?:erlen(?:\.\w+)*\.)?_?[A-Z][A-Za-z]?"),
    (r"py:class", r"erlen(?:\.\w+)*\._\w+"),
]
nitpick_ignore = [
    # Builtin exceptions named with :exc: (Sphinx resolves builtin classes by itself).
    *(("py:exc", name) for name in dir(builtins) if name[0].isupper()),
    # Aliases an annotation shows by their short name: erlen.typing's ASGI
    # shapes, and names imported only for type checking.
    *(
        ("py:class", name)
        for name in ("Scope", "Message", "Receive", "Send", "Responder", "BodyHeaders")
    ),
    ("py:class", "URLSafeTimedSerializer"),  # itsdangerous's, imported for type checking
    ("py:class", "datetime"),  # from datetime import datetime
    # Names in docstrings and signatures erlen inherits from Click and blinker.
    ("py:class", "Context"),
    ("py:class", "NamedSignal"),
    # Internal parts of Erlen, Request and Response, named by show-inheritance.
    ("py:class", "erlen.cycle.RequestCycle"),
    ("py:class", "erlen._request_headers.RequestHeaders"),
    ("py:class", "erlen._response_headers.ResponseHeaders"),
]

html_theme = "furo"
html_title = "erlen"
html_static_path: list[str] = []
html_show_sourcelink = False
html_copy_source = False

# index.md's Topics list ends with a `*` that picks up every page in docs/ not
# named before it (architecture.md, and any new page), so a new page is on the
# site without editing the index.
