"""The docs page in a real headless Chromium that can reach only this machine.

``openapi_docs_app.py`` runs under ``app.run()`` on a loopback port.
Chromium starts with every host name mapped to "not found" except
127.0.0.1 (``OFFLINE_FLAGS``), so a page that needed a CDN would break;
the first test proves the cut is in force. The page must then list every
operation and send requests through its forms.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from browser import OFFLINE_FLAGS, Chromium
from servers import ServerProcess, server_env

try:
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # each test then fails, saying how to install it (browser.py)
    pass

pytestmark = pytest.mark.server

HERE = Path(__file__).resolve().parent
WAIT = 10.0  # seconds for the page to render or a response to show


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("openapi-page-server") / "server.log"
    process = ServerProcess(
        lambda port: [
            sys.executable,
            "-c",
            f"from openapi_docs_app import app; app.run(host='127.0.0.1', port={port})",
        ],
        cwd=HERE,
        env=server_env(HERE),
        log_path=log,
        ready_path="/health",
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    browser = Chromium(tmp_path_factory.mktemp("chromium-offline"), extra_flags=OFFLINE_FLAGS)
    yield browser
    browser.quit()


@pytest.fixture
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


def open_docs(driver, url: str) -> None:
    driver.get(url)
    wait_until(
        driver,
        lambda d: d.find_element(By.ID, "erlen-docs").get_attribute("data-ready"),
        "the docs page to render",
    )
    assert driver.find_element(By.ID, "erlen-docs").get_attribute("data-ready") == "true"


def operation(driver, method: str, path: str):
    """Open the operation's panel and return it."""
    panel = driver.find_element(
        By.CSS_SELECTOR, f'details.operation[data-method="{method}"][data-path="{path}"]'
    )
    if not panel.get_attribute("open"):
        panel.find_element(By.TAG_NAME, "summary").click()
    return panel


def send(driver, panel) -> dict[str, object]:
    """Press the panel's send button; return the status and body it shows."""
    panel.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    status = wait_until(
        driver,
        lambda d: panel.find_elements(By.CSS_SELECTOR, ".result .status-line"),
        "the response to show",
    )[0]
    body = panel.find_element(By.CSS_SELECTOR, ".result pre.response-body").text
    return {
        "status": int(status.get_attribute("data-status")),
        "request": panel.find_element(By.CSS_SELECTOR, ".result .request-line").text,
        "body": body,
    }


def fill(element, text: str) -> None:
    element.clear()
    element.send_keys(text)


def test_the_browser_reaches_nothing_but_loopback(chromium, server, base_url):
    driver = chromium.driver
    driver.get(f"{base_url}/health")
    assert driver.find_element(By.TAG_NAME, "body").text == "up"
    # The same server by a name instead of the address: the name no longer
    # resolves, so any CDN's name would not either.
    for url in (f"http://localhost:{server.port}/health", "https://cdn.jsdelivr.net/"):
        with pytest.raises(WebDriverException, match="ERR_NAME_NOT_RESOLVED"):
            driver.get(url)


def test_lists_every_operation_grouped_by_tag(chromium, base_url):
    driver = chromium.driver
    open_docs(driver, f"{base_url}/docs")
    assert driver.title == "Shop API"
    panels = driver.find_elements(By.CSS_SELECTOR, "details.operation")
    listed = [(p.get_attribute("data-method"), p.get_attribute("data-path")) for p in panels]
    assert sorted(listed) == [
        ("get", "/health"),
        ("get", "/items/{item_id}"),
        ("post", "/items"),
        ("post", "/uploads"),
    ]
    # The document's tags first, in its order, then the others as met
    # (the app's JSON has its keys sorted: /health comes first).
    headings = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "main section.tag > h2")]
    assert headings == ["items", "default", "files"]
    links = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav ul ul a")]
    assert sorted(links) == ["GET /health", "GET /items/{item_id}", "POST /items", "POST /uploads"]
    info = driver.find_element(By.ID, "erlen-docs-info").text
    assert "version 1.2.0" in info and "OpenAPI 3.1.0" in info

    panel = operation(driver, "get", "/items/{item_id}")
    rows = [
        " ".join(cell.text.replace("\n", " ") for cell in row.find_elements(By.XPATH, "./*"))
        for row in panel.find_elements(By.CSS_SELECTOR, "table.parameters tbody tr")
    ]
    assert rows == [
        "item_id path integer ≥ 1 yes The item's number.",  # the path's own parameter
        "fields query array of string no Only these fields.",
        "verbose query boolean no ",
        "X-Trace header string | null no ",
    ]
    responses = panel.find_element(By.CSS_SELECTOR, "section.responses").text
    assert "Item: NewItem & object" in responses  # $ref resolved, allOf shown
    assert "Tag: string" in responses  # nested: a $ref inside an array
    # Nothing was loaded from anywhere but this server.
    origins = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin);"
    )
    assert set(origins) == {base_url}


def test_post_through_the_form(chromium, base_url, server):
    driver = chromium.driver
    open_docs(driver, f"{base_url}/docs")
    panel = operation(driver, "post", "/items")
    body = panel.find_element(By.CSS_SELECTOR, "textarea[data-body]")
    prefilled = json.loads(body.get_attribute("value"))
    assert prefilled == {"colour": "red", "name": "teapot", "price": 0, "tags": ["kitchen"]}
    fill(body, '{"name": "toaster", "price": 30, "tags": ["kitchen"]}')
    result = send(driver, panel)
    assert result["status"] == 201
    assert result["request"] == "POST /items"
    created = json.loads(result["body"])
    assert created["name"] == "toaster"
    # The request really reached the app: the item is there.
    status, _, text = server.get(f"/items/{created['id']}")
    assert status == 200 and json.loads(text)["name"] == "toaster"
    # The body is shown pretty-printed.
    assert result["body"].startswith("{\n")


def test_a_problem_response_is_shown_with_its_errors(chromium, base_url):
    driver = chromium.driver
    open_docs(driver, f"{base_url}/docs")
    panel = operation(driver, "post", "/items")
    fill(panel.find_element(By.CSS_SELECTOR, "textarea[data-body]"), '{"price": -1}')
    result = send(driver, panel)
    assert result["status"] == 422
    problem = panel.find_element(By.CSS_SELECTOR, ".result .problem")
    assert problem.find_element(By.TAG_NAME, "strong").text == "Unprocessable Content"
    rows = [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in problem.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    assert rows == [
        ["body → name", "a string is required", "missing"],
        ["body → price", "must be 0 or more", "range"],
    ]


def test_get_with_path_query_and_header_values(chromium, base_url):
    driver = chromium.driver
    open_docs(driver, f"{base_url}/docs")
    panel = operation(driver, "get", "/items/{item_id}")
    fields = {f.get_attribute("name"): f for f in panel.find_elements(By.CSS_SELECTOR, "[data-in]")}
    assert sorted(fields) == ["X-Trace", "fields", "item_id", "verbose"]
    assert fields["verbose"].tag_name == "select"
    fill(fields["item_id"], "1")
    fill(fields["fields"], "name, price")
    fill(fields["X-Trace"], "abc <b>")
    result = send(driver, panel)
    assert result["status"] == 200
    assert result["request"] == "GET /items/1?fields=name&fields=price"
    assert json.loads(result["body"]) == {"name": "kettle", "price": 25.5, "trace": "abc <b>"}


def test_forms_and_file_uploads(chromium, base_url, tmp_path):
    driver = chromium.driver
    open_docs(driver, f"{base_url}/docs")
    panel = operation(driver, "post", "/uploads")
    # The first media type the document lists (its keys are sorted).
    choice = Select(panel.find_element(By.CSS_SELECTOR, "select.media-choice"))
    assert choice.first_selected_option.text == "application/x-www-form-urlencoded"
    title = panel.find_element(By.CSS_SELECTOR, "[data-field][name=title]")
    assert title.get_attribute("value") == ""  # the schema gives no value
    fill(title, "plain")
    result = send(driver, panel)
    assert result["status"] == 200
    assert json.loads(result["body"]) == {
        "content_type": "application/x-www-form-urlencoded",
        "title": "plain",
        "file": None,
    }
    # The other media type: its own fields, a file among them.
    choice.select_by_visible_text("multipart/form-data")
    title = panel.find_element(By.CSS_SELECTOR, "[data-field][name=title]")
    assert title.get_attribute("value") == "untitled"  # the schema's default
    fill(title, "notes")
    upload = tmp_path / "note.txt"
    upload.write_text("hello from a file")
    panel.find_element(By.CSS_SELECTOR, "input[type=file][name=file]").send_keys(str(upload))
    result = send(driver, panel)
    assert result["status"] == 200
    assert json.loads(result["body"]) == {
        "content_type": "multipart/form-data",
        "title": "notes",
        "file": {"filename": "note.txt", "text": "hello from a file"},
    }


def test_a_missing_required_value_is_named_before_sending(chromium, base_url):
    driver = chromium.driver
    open_docs(driver, f"{base_url}/docs")
    panel = operation(driver, "get", "/items/{item_id}")
    panel.find_element(By.CSS_SELECTOR, "[data-in][name=item_id]").clear()
    panel.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    alert = panel.find_element(By.CSS_SELECTOR, ".result [role=alert]")
    assert alert.text == "Fill in the required value first: item_id."
    assert panel.find_elements(By.CSS_SELECTOR, ".result .status-line") == []


def test_markup_in_the_document_is_shown_as_text(chromium, base_url):
    from openapi_docs_app import MARKUP

    driver = chromium.driver
    open_docs(driver, f"{base_url}/evil/docs")
    assert driver.title == MARKUP
    assert driver.find_element(By.TAG_NAME, "h1").text == MARKUP
    panel = driver.find_element(By.CSS_SELECTOR, "details.operation")
    panel.find_element(By.TAG_NAME, "summary").click()
    assert panel.find_element(By.CSS_SELECTOR, "summary .summary").text == MARKUP
    assert MARKUP in driver.find_element(By.CSS_SELECTOR, "main section.tag > h2").text
    # No element was made from the document's strings, no handler ran, and
    # the javascript: link stayed text.
    assert driver.execute_script("return document.querySelectorAll('img').length;") == 0
    assert driver.execute_script("return typeof window.__pwned;") == "undefined"
    hrefs = driver.execute_script(
        "return Array.from(document.querySelectorAll('a'), a => a.getAttribute('href'));"
    )
    assert not [href for href in hrefs if href.lower().startswith("javascript:")]
    # Its form still works, with the markup as a path value, percent-encoded.
    result = send(driver, panel)
    assert result["status"] == 404
    assert result["request"].startswith("POST /evil/%3Cimg%20src%3Dx")
    assert driver.execute_script("return typeof window.__pwned;") == "undefined"


def test_a_document_that_does_not_load_is_explained(chromium, base_url):
    driver = chromium.driver
    driver.get(f"{base_url}/missing/docs")
    wait_until(
        driver,
        lambda d: d.find_element(By.ID, "erlen-docs").get_attribute("data-ready") == "error",
        "the page to give up",
    )
    alert = driver.find_element(By.CSS_SELECTOR, "#erlen-docs [role=alert]").text
    assert alert.startswith(
        "The API description could not be loaded: the server answered 404.\n"
        "The page reads the document from "
    )
    assert alert.endswith("from /missing/openapi.json; open it to see what the server answers.")
    link = driver.find_element(By.CSS_SELECTOR, "#erlen-docs [role=alert] a")
    assert link.get_attribute("href") == f"{base_url}/missing/openapi.json"
