"""A typed app, its generated document and its docs page, end to end in a real browser.

``typed_shop_app.py`` (typed views with msgspec and pydantic) runs under a
real server on a loopback port: gunicorn (WSGI) and uvicorn (ASGI). Chromium
reaches nothing but 127.0.0.1 (``OFFLINE_FLAGS``), loads ``/docs``, which
reads the document erlen generated from the views, and drives the views
through the page's forms. Swagger UI (``OPENAPI_DOCS_UI = "swagger"``) gets
the same treatment through its "Try it out".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from browser import OFFLINE_FLAGS, Chromium
from servers import server_env, server_process

try:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # each test then fails, saying how to install it (browser.py)
    pass

pytestmark = pytest.mark.server

HERE = Path(__file__).resolve().parent
WAIT = 15.0  # seconds for a page to render or an answer to show

OPERATIONS = [
    ("get", "/health"),
    ("get", "/items/{name}"),
    ("post", "/items"),
    ("post", "/orders"),
]


def start(kind: str, folder: Path, ui: str):
    process = server_process(
        kind,
        "typed_shop_app:app",
        cwd=HERE,
        env=server_env(HERE, ERLEN_TEST_DOCS_UI=ui),
        log_path=folder / "server.log",
        ready_path="/health",
    )
    process.start()
    return process


@pytest.fixture(scope="module", params=["gunicorn", "uvicorn"])
def server(request, tmp_path_factory):
    process = start(request.param, tmp_path_factory.mktemp(f"typed-shop-{request.param}"), "erlen")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    browser = Chromium(tmp_path_factory.mktemp("chromium-offline"), extra_flags=OFFLINE_FLAGS)
    yield browser
    browser.quit()


def base_url(server) -> str:
    return f"http://{server.host}:{server.port}"


def wait_until(driver, condition, what: str):
    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.05).until(condition)
    except TimeoutException:
        pytest.fail(
            f"Waited {WAIT} s for {what} at {driver.current_url}; the page shows:\n"
            f"{driver.find_element(By.TAG_NAME, 'body').text[:3000]}"
        )


def open_docs(driver, server) -> None:
    driver.get(f"{base_url(server)}/docs")
    ready = wait_until(
        driver,
        lambda d: d.find_element(By.ID, "erlen-docs").get_attribute("data-ready"),
        "the docs page to render",
    )
    assert ready == "true", driver.find_element(By.ID, "erlen-docs").text


def operation(driver, method: str, path: str):
    panel = driver.find_element(
        By.CSS_SELECTOR, f'details.operation[data-method="{method}"][data-path="{path}"]'
    )
    if not panel.get_attribute("open"):
        panel.find_element(By.TAG_NAME, "summary").click()
    return panel


def send_body(driver, panel, body: str) -> tuple[int, str]:
    """Put ``body`` in the panel's JSON field, send it, return the status and body shown."""
    field = panel.find_element(By.CSS_SELECTOR, "textarea[data-body]")
    field.clear()
    field.send_keys(body)
    return send(driver, panel)


def send(driver, panel) -> tuple[int, str]:
    panel.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    status = wait_until(
        driver,
        lambda d: panel.find_elements(By.CSS_SELECTOR, ".result .status-line"),
        "the answer to show",
    )[0]
    shown = panel.find_element(By.CSS_SELECTOR, ".result pre.response-body").text
    return int(status.get_attribute("data-status")), shown


def problem_rows(panel) -> list[list[str]]:
    problem = panel.find_element(By.CSS_SELECTOR, ".result .problem")
    assert problem.find_element(By.TAG_NAME, "strong").text == "Unprocessable Content"
    return [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in problem.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]


def test_the_page_lists_the_generated_operations(chromium, server):
    driver = chromium.driver
    open_docs(driver, server)
    assert driver.title == "Typed shop"
    panels = driver.find_elements(By.CSS_SELECTOR, "details.operation")
    listed = sorted((p.get_attribute("data-method"), p.get_attribute("data-path")) for p in panels)
    assert listed == OPERATIONS  # and neither /docs nor /openapi.json
    info = driver.find_element(By.ID, "erlen-docs-info").text
    assert "version 2.0.0" in info and "OpenAPI 3.1.0" in info
    panel = operation(driver, "get", "/items/{name}")
    names = sorted(
        f.get_attribute("name") for f in panel.find_elements(By.CSS_SELECTOR, "[data-in]")
    )
    assert names == ["X-Currency", "discount", "name"]
    # Nothing came from anywhere but this server.
    origins = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin);"
    )
    assert set(origins) == {base_url(server)}


def test_a_msgspec_body_through_the_form(chromium, server):
    driver = chromium.driver
    open_docs(driver, server)
    panel = operation(driver, "post", "/items")
    status, body = send_body(driver, panel, '{"name": "toaster", "price": 30, "tags": ["new"]}')
    assert status == 201
    assert json.loads(body) == {"name": "toaster", "price": 30.0, "tags": ["new"]}
    # It reached the app: the item is there now.
    code, _, text = server.get("/items/toaster")
    assert code == 200 and json.loads(text)["name"] == "toaster (EUR)"

    # Every error of the body, as pydantic gives them (a second pass finds
    # the ones after msgspec's first).
    status, body = send_body(driver, panel, '{"name": "", "price": -3, "tags": [1]}')
    assert status == 422
    assert [error["loc"] for error in json.loads(body)["errors"]] == [
        ["body", "name"],
        ["body", "price"],
        ["body", "tags", 0],
    ]
    assert problem_rows(panel) == [
        ["body → name", "Expected `str` of length >= 1", "value_error"],
        ["body → price", "Expected `float` >= 0.0", "value_error"],
        ["body → tags → 0", "Expected `str`, got `int`", "type_error"],
    ]


def test_a_pydantic_body_through_the_form(chromium, server):
    driver = chromium.driver
    open_docs(driver, server)
    panel = operation(driver, "post", "/orders")
    status, body = send_body(driver, panel, '{"item": "kettle", "quantity": 2}')
    assert status == 200
    assert json.loads(body) == {"item": "kettle", "quantity": 2, "gift": False, "total": 51.0}

    status, body = send_body(driver, panel, '{"item": "", "quantity": 0}')
    assert status == 422
    assert problem_rows(panel) == [
        ["body → item", "String should have at least 1 character", "string_too_short"],
        ["body → quantity", "Input should be greater than or equal to 1", "greater_than_equal"],
    ]

    status, body = send_body(driver, panel, '{"item": "kettle", ')
    assert status == 400
    assert json.loads(body)["title"] == "Bad Request"


def test_path_query_and_header_values_through_the_form(chromium, server):
    driver = chromium.driver
    open_docs(driver, server)
    panel = operation(driver, "get", "/items/{name}")
    fields = {f.get_attribute("name"): f for f in panel.find_elements(By.CSS_SELECTOR, "[data-in]")}
    for name, value in (("name", "kettle"), ("discount", "0.5"), ("X-Currency", "USD")):
        fields[name].clear()
        fields[name].send_keys(value)
    status, body = send(driver, panel)
    assert status == 200
    assert json.loads(body) == {"name": "kettle (USD)", "price": 12.75, "tags": ["kitchen"]}

    fields["discount"].clear()
    fields["discount"].send_keys("half")
    status, body = send(driver, panel)
    assert status == 422
    assert problem_rows(panel)[0][0] == "query → discount"


@pytest.fixture(scope="module")
def swagger_server(tmp_path_factory):
    process = start("uvicorn", tmp_path_factory.mktemp("typed-shop-swagger"), "swagger")
    yield process
    process.stop()


def test_swagger_ui_offline_lists_and_tries_the_generated_operations(chromium, swagger_server):
    driver = chromium.driver
    base = base_url(swagger_server)
    driver.get(f"{base}/docs")
    blocks = wait_until(
        driver,
        lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary"),
        "Swagger UI to list the operations",
    )
    listed = sorted(
        (
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text.lower(),
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").text.replace("\u200b", ""),
        )
        for block in blocks
    )
    assert listed == OPERATIONS
    assert "Typed shop" in driver.find_element(By.CSS_SELECTOR, ".info .title").text

    # POST /items through "Try it out": its example body is a valid item.
    post = driver.find_element(By.CSS_SELECTOR, ".opblock-post")
    post.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait_until(driver, lambda d: post.find_elements(By.CSS_SELECTOR, ".try-out__btn"), "Try it out")
    post.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
    editor = wait_until(
        driver, lambda d: post.find_element(By.CSS_SELECTOR, "textarea.body-param__text"), "a body"
    )
    editor.clear()
    editor.send_keys('{"name": "lamp", "price": 12}')
    post.find_element(By.CSS_SELECTOR, ".execute").click()
    status = wait_until(
        driver,
        lambda d: post.find_elements(
            By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status"
        ),
        "an answer",
    )
    assert status[0].text.strip().startswith("201")
    assert '"lamp"' in post.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text

    origins = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin);"
    )
    assert set(origins) == {base}
