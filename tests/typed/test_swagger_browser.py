"""Swagger UI (``OPENAPI_DOCS_UI = "swagger"``) in headless Chromium, served by the app alone.

The app runs in its own process; Chromium loads ``/docs``, which must list
the operations and answer one through Swagger UI's "Try it out", with every
file the page loads coming from the app (no CDN).
"""

from __future__ import annotations

import sys
import textwrap

import pytest

from browser import Chromium
from servers import ServerProcess, server_env

try:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # each test then fails, saying how to install it (browser.py)
    pass

pytestmark = pytest.mark.server

WAIT = 15.0  # seconds for Swagger UI to render or answer

APP = '''
import msgspec
from erlen import Erlen, Created

class Item(msgspec.Struct):
    name: str
    price: float

app = Erlen(__name__)
app.config.update(OPENAPI_DOCS_UI="swagger", OPENAPI_TITLE="Swagger shop")

@app.post("/items")
def create_item(item: Item) -> Created[Item]:
    """Add an item."""
    return item

@app.get("/items/<int:number>")
def read_item(number: int) -> Item:
    """Read one item."""
    return Item(name=f"item {number}", price=number * 1.5)
'''


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("swagger-app")
    (folder / "swagger_app.py").write_text(textwrap.dedent(APP))
    process = ServerProcess(
        lambda port: [
            sys.executable,
            "-c",
            f"from swagger_app import app; app.run(host='127.0.0.1', port={port})",
        ],
        cwd=folder,
        env=server_env(folder),
        log_path=folder / "server.log",
        ready_path="/openapi.json",
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    browser = Chromium(tmp_path_factory.mktemp("chromium"))
    yield browser
    browser.quit()


def _wait(driver, condition, what):
    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.1).until(condition)
    except TimeoutException:
        pytest.fail(f"Swagger UI never showed {what}; the page:\n{driver.page_source[:3000]}")


def test_swagger_ui_lists_and_tries_an_operation(chromium, server):
    base = f"http://{server.host}:{server.port}"
    driver = chromium.driver
    driver.get(f"{base}/docs")
    blocks = _wait(
        driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"), "operations"
    )
    paths = sorted(block.text.replace("\u200b", "") for block in blocks)
    assert paths == ["/items", "/items/{number}"]
    assert "Swagger shop" in driver.find_element(By.CSS_SELECTOR, ".info .title").text

    # Open GET /items/{number}, try it out with 4, and read the answer.
    get_block = driver.find_element(By.CSS_SELECTOR, ".opblock-get")
    get_block.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".try-out__btn"), "Try it out")
    get_block.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
    field = _wait(
        driver, lambda d: get_block.find_element(By.CSS_SELECTOR, "input[type=text]"), "a field"
    )
    field.send_keys("4")
    get_block.find_element(By.CSS_SELECTOR, ".execute").click()
    answer = _wait(
        driver,
        lambda d: get_block.find_elements(
            By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status"
        ),
        "an answer",
    )
    assert answer[0].text.strip().startswith("200")
    body = get_block.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text
    assert '"item 4"' in body and "6" in body

    # Every file the page loaded came from the app itself.
    loaded = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded, "the page loaded no files at all"
    assert all(url.startswith(base) for url in loaded), loaded
