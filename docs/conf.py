"""Sphinx configuration for erlen's documentation site (built by ./scripts/docs)."""

from __future__ import annotations

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
nitpicky = False

html_theme = "furo"
html_title = "erlen"
html_static_path: list[str] = []
html_show_sourcelink = False
html_copy_source = False

# index.md's Topics list ends with a `*` that picks up every page in docs/ not
# named before it (architecture.md, and any new page), so a new page is on the
# site without editing the index.
