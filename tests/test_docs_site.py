"""The documentation site builds with no warning (as ``./scripts/docs`` does).

The build runs Sphinx in a subprocess into a temporary folder, once per
session; ``docs_site`` gives its folder to the tests that read the site.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@pytest.fixture(scope="session")
def docs_build(tmp_path_factory):
    """Build the site with warnings as errors; return (exit status, output, folder)."""
    if (
        importlib.util.find_spec("sphinx") is None
        or importlib.util.find_spec("myst_parser") is None
    ):
        pytest.fail(
            "Building the docs needs Sphinx, MyST and furo, which this Python does not "
            "have. Install erlen's docs extra (pip install -e '.[docs]'); "
            "./scripts/test and ./scripts/docs do it."
        )
    out = tmp_path_factory.mktemp("docs-site") / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", DOCS, out],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr, out


@pytest.fixture(scope="session")
def docs_site(docs_build):
    """The built site's folder (the build must have passed)."""
    status, output, out = docs_build
    if status != 0:
        pytest.fail(f"The docs build failed (see tests/test_docs_site.py):\n{output}")
    return out


def test_docs_build_has_no_warnings(docs_build):
    status, output, out = docs_build
    assert status == 0, f"./scripts/docs would fail with:\n{output}"
    assert output.strip() == "", f"The docs build printed:\n{output}"
    assert (out / "index.html").is_file()


def test_every_guide_is_on_the_site(docs_site):
    pages = sorted(p.relative_to(DOCS).with_suffix("") for p in DOCS.rglob("*.md"))
    pages = [p for p in pages if "_build" not in p.parts]
    missing = [str(p) for p in pages if not (docs_site / p.with_suffix(".html")).is_file()]
    assert missing == []
