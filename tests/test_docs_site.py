"""The documentation site: it builds with no warning, and works from the file system.

The build runs Sphinx in a subprocess (as ``./scripts/docs`` does) into a
temporary folder, once per session; ``docs_site`` gives its folder to the
tests that read the site. A headless Chromium then opens the home page and a
guide as ``file://`` URLs, as a reader who opens the built site would, and
every internal link they hold must lead to a file and anchor that exist.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import typing as t
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from browser import Chromium

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


# -- the built site in a real browser, from the file system -------------------------------

# What a page links to, as the browser resolved it, and what it loads.
LINKS_SCRIPT = """
const links = [...document.querySelectorAll('a[href]')].map(a => [a.getAttribute('href'), a.href]);
const assets = [...document.querySelectorAll('link[href], script[src], img[src]')]
    .map(e => e.href || e.src);
return {links: links, assets: assets, title: document.title,
        stylesheets: document.styleSheets.length,
        search: !!document.querySelector('form[action$="search.html"] input[name=q]')};
"""


def _ids(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))


def _check_links(site: Path, page: str, found: dict[str, t.Any]) -> list[str]:
    """The broken internal links of ``page``: a file that is not there, or no such anchor."""
    broken = []
    for raw, resolved in found["links"]:
        url = urlsplit(resolved)
        if url.scheme != "file":
            assert url.scheme in ("http", "https", "mailto"), (page, raw)
            continue
        target = Path(unquote(url.path))
        if not target.is_file():
            broken.append(f"{page}: {raw} -> {target} does not exist")
            continue
        assert target.resolve().is_relative_to(site.resolve()), (page, raw)
        if url.fragment and unquote(url.fragment) not in _ids(target):
            broken.append(f"{page}: {raw} -> no id {url.fragment!r} in {target.name}")
    for asset in found["assets"]:
        url = urlsplit(asset)
        if url.scheme == "file" and not Path(unquote(url.path)).is_file():
            broken.append(f"{page}: loads {asset}, which does not exist")
    return broken


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    browser = Chromium(tmp_path_factory.mktemp("chromium"))
    yield browser
    browser.quit()


@pytest.mark.parametrize("page", ["index.html", "guides/databases.html"])
def test_pages_open_from_the_file_system_and_their_links_resolve(docs_site, chromium, page):
    driver = chromium.driver
    driver.get((docs_site / page).as_uri())
    found = driver.execute_script(LINKS_SCRIPT)
    assert found["title"].endswith("erlen"), found["title"]
    assert found["stylesheets"] >= 2  # the theme's CSS loaded from the file system
    assert found["search"]
    internal = [raw for raw, resolved in found["links"] if resolved.startswith("file:")]
    assert len(internal) > 20, internal  # the navigation is there
    assert _check_links(docs_site, page, found) == []


def test_the_link_check_finds_a_broken_link(docs_site):
    found = {
        "links": [
            ["nowhere.html", (docs_site / "nowhere.html").as_uri()],
            ["#no-such-anchor", (docs_site / "index.html").as_uri() + "#no-such-anchor"],
            ["guides/testing.html", (docs_site / "guides" / "testing.html").as_uri()],
        ],
        "assets": [],
    }
    broken = _check_links(docs_site, "index.html", found)
    assert len(broken) == 2
    assert "does not exist" in broken[0]
    assert "no id 'no-such-anchor'" in broken[1]


def _page_links(site: Path, page: Path) -> set[Path]:
    links = set()
    for href in re.findall(r'<a [^>]*href="([^"#]+)(?:#[^"]*)?"', page.read_text("utf-8")):
        if "://" not in href and not href.startswith("mailto:"):
            links.add((page.parent / unquote(href)).resolve())
    return links


def test_every_page_is_two_clicks_from_home(docs_site):
    site = docs_site.resolve()
    home = site / "index.html"
    one_click = _page_links(site, home)
    two_clicks = set().union(*(_page_links(site, p) for p in one_click if p.is_file()))
    pages = {
        p.resolve()
        for p in site.rglob("*.html")
        if not p.relative_to(site).parts[0].startswith("_")
        and p.name not in ("genindex.html", "search.html")
    }
    far = sorted(str(p.relative_to(site)) for p in pages - one_click - two_clicks - {home})
    assert far == []
    # Every guide is one click away: the home page's table names each.
    guides = {p.resolve() for p in (site / "guides").glob("*.html")}
    assert guides <= one_click


def test_search_works_from_the_file_system(docs_site, chromium):
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium.driver
    driver.get((docs_site / "search.html").as_uri() + "?q=sqlalchemy")
    results = WebDriverWait(driver, 20).until(
        lambda d: d.execute_script(
            "const items = document.querySelectorAll('#search-results li a');"
            "return items.length ? [...items].map(a => a.getAttribute('href')) : null;"
        )
    )
    assert any(href.startswith("guides/databases.html") for href in results), results


# -- a broken cross-reference fails the build ---------------------------------------------

BROKEN_PAGE = """\
# Cross-references

```{eval-rst}
.. autofunction:: erlen.url_for
```

Resolves: {py:func}`erlen.url_for`. Outside erlen, not linked offline and
not an error: {py:class}`typing.Any`, {py:func}`json.dumps`,
{py:exc}`KeyError`. Broken: {py:func}`erlen.no_such_function`.
"""


def test_a_broken_cross_reference_fails_the_build(tmp_path):
    # docs/conf.py as it is, on a one-page site with one reference that leads nowhere.
    site = tmp_path / "site"
    site.mkdir()
    (site / "conf.py").write_text((DOCS / "conf.py").read_text("utf-8"), "utf-8")
    (site / "index.md").write_text(BROKEN_PAGE, "utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "dummy",
            site,
            tmp_path / "out",
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    warnings = [line for line in output.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, output
    assert "py:func reference target not found: erlen.no_such_function" in warnings[0]
