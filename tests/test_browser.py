"""The tutorial app served for real, used through headless Chromium (Selenium).

The app runs in its own process (``app.run()`` on a free loopback port, the
development server a reader of the tutorial uses); Chromium loads its pages,
follows its link, fills in its form and applies its stylesheet.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from browser import Chromium
from servers import ServerProcess, server_env

try:
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # each test then fails, saying how to install it (browser.py)
    pass

pytestmark = pytest.mark.server

TUTORIAL = Path(__file__).resolve().parents[1] / "examples" / "tutorial"
WAIT = 10.0  # seconds for a page to appear after a click


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The tutorial app under ``app.run()``, stopped by its pid at the end."""
    log = tmp_path_factory.mktemp("tutorial-server") / "server.log"
    process = ServerProcess(
        lambda port: [
            sys.executable,
            "-c",
            f"from app import app; app.run(host='127.0.0.1', port={port})",
        ],
        cwd=TUTORIAL,
        env=server_env(TUTORIAL),
        log_path=log,
    )
    process.start()  # polls every 50 ms, for at most 20 s
    yield process
    process.stop()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """A headless Chromium for the module, quit at the end.

    It starts on a test's first ``chromium.driver``, inside the test, so a
    missing Chromium fails the test (naming the packages) rather than erroring.
    """
    browser = Chromium(tmp_path_factory.mktemp("chromium"))
    yield browser
    browser.quit()


@pytest.fixture
def base_url(server) -> str:
    return f"http://{server.host}:{server.port}"


def wait_for_heading(driver, text: str) -> None:
    """Wait until the page's ``h1`` reads ``text``; fail showing what is there."""

    def heading(driver):
        found = driver.find_elements(By.TAG_NAME, "h1")
        return found and found[0].text == text

    try:
        # A heading found just before the page changes goes stale: look again.
        WebDriverWait(
            driver, WAIT, poll_frequency=0.05, ignored_exceptions=[StaleElementReferenceException]
        ).until(heading)
    except TimeoutException:
        pytest.fail(
            f"Expected a page headed {text!r} at {driver.current_url}; got:\n"
            f"{driver.page_source[:2000]}"
        )


def submit_note(driver, text: str) -> None:
    field = driver.find_element(By.ID, "note")
    field.clear()
    field.send_keys(text)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()


def test_home_link_form_result(chromium, base_url, tmp_path):
    driver = chromium.driver
    driver.get(f"{base_url}/")
    assert driver.title == "erlen tutorial"
    wait_for_heading(driver, "Hello from erlen!")

    driver.find_element(By.LINK_TEXT, "Leave a note").click()
    wait_for_heading(driver, "Leave a note")
    assert urlsplit(driver.current_url).path == "/submit"

    submit_note(driver, "Hello from Chromium")
    wait_for_heading(driver, "Got it")
    assert urlsplit(driver.current_url).path == "/submit"
    assert driver.find_element(By.ID, "note").text == "Hello from Chromium"

    screenshot = tmp_path / "result.png"
    assert driver.save_screenshot(str(screenshot))
    data = screenshot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 1000


def test_stylesheet_is_applied(chromium, base_url):
    driver = chromium.driver
    driver.get(f"{base_url}/")
    wait_for_heading(driver, "Hello from erlen!")
    sheets = driver.execute_script(
        "return Array.from(document.styleSheets, s => [s.href, s.cssRules.length]);"
    )
    assert [href for href, _ in sheets] == [f"{base_url}/static/style.css"]
    assert sheets[0][1] > 0, "the stylesheet loaded, but with no rules"
    style = driver.execute_script(
        "const card = document.querySelector('.card');"
        "return [getComputedStyle(document.body).backgroundColor,"
        "        getComputedStyle(card).borderTopColor,"
        "        getComputedStyle(card).backgroundColor];"
    )
    assert style == ["rgb(232, 241, 234)", "rgb(47, 107, 79)", "rgb(255, 255, 255)"]


def test_markup_is_shown_as_text(chromium, base_url):
    driver = chromium.driver
    payload = "<script>window.__pwned=1</script>"
    driver.get(f"{base_url}/submit")
    wait_for_heading(driver, "Leave a note")
    submit_note(driver, payload)
    wait_for_heading(driver, "Got it")
    assert driver.find_element(By.ID, "note").text == payload
    assert driver.execute_script("return typeof window.__pwned;") == "undefined"
    assert driver.execute_script("return document.scripts.length;") == 0


def test_empty_submission_goes_home(chromium, base_url):
    driver = chromium.driver
    driver.get(f"{base_url}/submit")
    wait_for_heading(driver, "Leave a note")
    submit_note(driver, "")
    wait_for_heading(driver, "Hello from erlen!")
    assert driver.current_url == f"{base_url}/"


def test_a_form_posted_from_another_site_is_refused(chromium, base_url):
    # The "other site" is a page with an opaque origin (a data: URL) whose form
    # posts to the tutorial: Chromium marks the request Sec-Fetch-Site:
    # cross-site, and erlen refuses it before the view runs.
    driver = chromium.driver
    page = (
        "data:text/html,<title>elsewhere</title>"
        f"<form method=post action='{base_url}/submit'>"
        "<input name=note value=forged><button type=submit>go</button></form>"
    )
    driver.get(page)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_heading(driver, "Forbidden")
    assert urlsplit(driver.current_url).path == "/submit"
    assert "another site" in driver.find_element(By.TAG_NAME, "p").text
    # The same form on the tutorial's own page still works (test above), and so
    # does this one once it is served from the app's own origin.
    driver.get(f"{base_url}/submit")
    wait_for_heading(driver, "Leave a note")
    submit_note(driver, "from home")
    wait_for_heading(driver, "Got it")
