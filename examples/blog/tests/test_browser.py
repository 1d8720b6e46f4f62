"""The blog in a real headless Chromium: register, log in, write a post, log out.

The blog runs under uvicorn (ASGI) on SQLite with its sessions in Redis;
Chromium fills in the forms and clicks the buttons as a person would.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from browser import Chromium
from conftest import PASSWORD, migrated_database, serve

try:
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # the test then fails, saying how to install it (browser.py)
    pass

pytestmark = pytest.mark.server

WAIT = 10.0  # seconds for a page to appear after a click


@pytest.fixture(scope="module")
def base_url(request, tmp_path_factory, redis_server):
    database = migrated_database("uvicorn", request, tmp_path_factory)
    process = serve("uvicorn", database, redis_server.url, tmp_path_factory.mktemp("browser"))
    yield f"http://{process.host}:{process.port}"
    process.stop()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    browser = Chromium(tmp_path_factory.mktemp("chromium"))
    yield browser
    browser.quit()


def wait_for_heading(driver, text: str) -> None:
    """Wait until the page's ``h1`` reads ``text``; fail showing what is there."""

    def heading(driver):
        found = driver.find_elements(By.TAG_NAME, "h1")
        return found and found[0].text == text

    try:
        WebDriverWait(
            driver, WAIT, poll_frequency=0.05, ignored_exceptions=[StaleElementReferenceException]
        ).until(heading)
    except TimeoutException:
        pytest.fail(
            f"Expected a page headed {text!r} at {driver.current_url}; got:\n"
            f"{driver.page_source[:2000]}"
        )


def fill(driver, **fields: str) -> None:
    for name, value in fields.items():
        element = driver.find_element(By.NAME, name)
        element.clear()
        element.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "main form [type=submit]").click()


def test_register_log_in_write_log_out(chromium, base_url, tmp_path):
    driver = chromium.driver
    driver.get(f"{base_url}/")
    wait_for_heading(driver, "Posts")
    assert driver.title == "Posts · Blog"

    driver.find_element(By.LINK_TEXT, "Register").click()
    wait_for_heading(driver, "Register")
    fill(driver, username="chromium", password=PASSWORD, confirm=PASSWORD)
    wait_for_heading(driver, "Log in")
    assert "Welcome! You can log in now." in driver.page_source

    fill(driver, username="chromium", password=PASSWORD)
    wait_for_heading(driver, "Posts")
    assert driver.find_element(By.ID, "user").text == "chromium"

    driver.find_element(By.LINK_TEXT, "New post").click()
    wait_for_heading(driver, "New post")
    fill(driver, title="Written in Chromium", body="First line\nSecond line")
    wait_for_heading(driver, "Written in Chromium")
    assert urlsplit(driver.current_url).path.startswith("/posts/")
    body = driver.find_element(By.CSS_SELECTOR, ".body").text
    assert body == "First line\nSecond line"

    # The session cookie is out of the page's reach (HttpOnly).
    assert "session=" not in driver.execute_script("return document.cookie;")

    screenshot = tmp_path / "post.png"
    assert driver.save_screenshot(str(screenshot))
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    driver.find_element(By.ID, "logout").click()
    wait_for_heading(driver, "Posts")
    assert "You are logged out." in driver.page_source
    assert driver.find_elements(By.ID, "user") == []
    assert driver.find_element(By.LINK_TEXT, "Written in Chromium")

    driver.get(f"{base_url}/posts/new")
    wait_for_heading(driver, "Log in")
    assert "Please log in to access this page." in driver.page_source
