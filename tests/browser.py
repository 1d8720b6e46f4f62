"""Start headless Chromium under Selenium, or say exactly what is missing.

::

    browser = Chromium(work_dir)  # its profile and chromedriver's log go here
    offline = Chromium(work_dir, extra_flags=OFFLINE_FLAGS)  # reaches loopback only
    driver = browser.driver      # started on first use; pytest.fail() if it cannot be
    ...
    browser.quit()               # in a finalizer: quits Chromium and chromedriver

The browser starts on first use, inside a test, so a missing Chromium fails
that test (with the packages to install) instead of erroring in a fixture.
"""

from __future__ import annotations

import os
import shutil
import typing as t
from pathlib import Path

import pytest

if t.TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

#: Debian's packages put them here; PATH is searched first.
CHROMIUM_PATHS = ("chromium", "/usr/bin/chromium")
CHROMEDRIVER_PATHS = ("chromedriver", "/usr/bin/chromedriver")

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # running as root in a container has no sandbox to use
    "--disable-gpu",
    "--disable-dev-shm-usage",  # small /dev/shm in containers
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1024,768",
)

#: Every host name fails to resolve except the loopback address, so a page
#: that asks for anything off this machine (a CDN, a font) gets an error.
#: Host names only: a page naming a remote IP address is not stopped here.
OFFLINE_FLAGS = ("--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",)

INSTALL_HINT = (
    "Install the Debian packages chromium and chromium-driver: "
    "apt-get install --no-install-recommends chromium chromium-driver "
    "(./scripts/test does this when apt-get is available)."
)


def _find(candidates: tuple[str, ...]) -> str | None:
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    return None


class Chromium:
    """One headless Chromium, started on first use and quit by :meth:`quit`."""

    def __init__(
        self, work_dir: str | os.PathLike[str], *, extra_flags: t.Sequence[str] = ()
    ) -> None:
        self.work_dir = Path(work_dir)
        self.extra_flags = tuple(extra_flags)
        self._driver: WebDriver | None = None

    @property
    def driver(self) -> WebDriver:
        if self._driver is None:
            self._driver = self._start()
        return self._driver

    def _start(self) -> WebDriver:
        chromium = _find(CHROMIUM_PATHS)
        chromedriver = _find(CHROMEDRIVER_PATHS)
        missing = [
            name
            for name, path in (("chromium", chromium), ("chromedriver", chromedriver))
            if path is None
        ]
        if missing:
            pytest.fail(
                f"The browser test needs {' and '.join(missing)}, which "
                f"{'is' if len(missing) == 1 else 'are'} not installed. " + INSTALL_HINT,
                pytrace=False,
            )
        try:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
        except ImportError:
            pytest.fail(
                "The browser test needs Selenium, which is not installed: "
                "pip install -e '.[test]' (or pip install selenium).",
                pytrace=False,
            )
        options = webdriver.ChromeOptions()
        options.binary_location = t.cast(str, chromium)
        for flag in (*CHROMIUM_FLAGS, *self.extra_flags):
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.work_dir / 'profile'}")
        service = Service(
            executable_path=t.cast(str, chromedriver),
            log_output=str(self.work_dir / "chromedriver.log"),
        )
        driver = webdriver.Chrome(options=options, service=service)
        driver.set_page_load_timeout(20)
        return driver

    def quit(self) -> None:
        """Quit Chromium and stop chromedriver (by the pid Selenium started)."""
        driver, self._driver = self._driver, None
        if driver is not None:
            driver.quit()
