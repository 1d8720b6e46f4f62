"""app.logger: stderr by default, standard logging configuration honoured,
each unhandled error logged once with the request line, no secrets."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

APP = """
import logging, sys
sys.path.insert(0, {src!r})
{setup}
from erlen import Erlen
app = Erlen("shop")

@app.route("/crash")
def crash():
    raise ZeroDivisionError("the view broke")

@app.route("/")
def index():
    return "fine"

client = app.test_client()
response = client.get(
    "/crash",
    headers={{"Cookie": "session=COOKIE-SECRET-1234", "Authorization": "Bearer TOKEN-SECRET-5678"}},
    query_string={{"q": "search"}},
)
assert response.status_code == 500, response.status_code
assert client.get("/").text == "fine"
print("done")
"""


def run(setup: str = "") -> subprocess.CompletedProcess[str]:
    code = textwrap.dedent(APP).format(src=str(SRC), setup=setup)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_an_unhandled_error_is_logged_once_to_stderr_with_the_request_line():
    result = run()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"
    err = result.stderr
    assert err.count("Exception on /crash [GET]") == 1, err
    assert err.count("Traceback (most recent call last)") == 1, err
    assert "ZeroDivisionError: the view broke" in err
    # The default format: time, level and where.
    assert "ERROR in app: Exception on /crash [GET]" in err


def test_no_cookie_or_authorization_value_reaches_the_log():
    err = run().stderr
    assert "COOKIE-SECRET-1234" not in err
    assert "TOKEN-SECRET-5678" not in err


def test_standard_logging_configuration_is_honoured():
    # Configured before the app logs: erlen adds no handler of its own, so each
    # line appears once, in the application's format.
    result = run('logging.basicConfig(format="CUSTOM %(name)s %(levelname)s %(message)s")')
    assert result.returncode == 0, result.stderr
    err = result.stderr
    assert err.count("Exception on /crash [GET]") == 1, err
    assert "CUSTOM shop ERROR Exception on /crash [GET]" in err


def test_the_app_logger_can_be_silenced_or_redirected():
    setup = 'logging.getLogger("shop").addHandler(logging.NullHandler())'
    result = run(setup)
    assert result.returncode == 0, result.stderr
    assert "Exception on /crash" not in result.stderr
