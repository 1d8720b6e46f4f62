"""The blog example (examples/blog) on erlen, through the Flask alias, with its own tests.

The blog is a Flask application on Flask-SQLAlchemy, Flask-Login,
Flask-WTF, Flask-Migrate and Flask-Session; its tests run it on SQLite and
on a real PostgreSQL, under gunicorn and uvicorn with sessions in a real
Redis, and in headless Chromium. They run here in a process of their own,
as a user of the example runs them (``pytest`` in its folder), because the
alias must be turned on before anything imports ``flask``; and this
process's other tests import the real Flask to compare with.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from servers import server_env

pytestmark = pytest.mark.server

BLOG = Path(__file__).resolve().parents[1] / "examples" / "blog"

#: What the blog imports besides erlen (examples/blog/requirements.txt).
PACKAGES = (
    "flask_sqlalchemy",
    "flask_login",
    "flask_wtf",
    "flask_migrate",
    "flask_session",
    "argon2",
    "psycopg",
    "redis",
)


def test_the_blog_passes_its_tests_on_erlen(tmp_path):
    missing = [name for name in PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        pytest.fail(
            f"The blog example needs {', '.join(missing)}: "
            "pip install --no-deps -r examples/blog/requirements.txt "
            "(./scripts/test does this).",
            pytrace=False,
        )
    report = tmp_path / "report.xml"
    env = {name: value for name, value in server_env(BLOG).items() if not name.startswith("BLOG_")}
    env["BLOG_FRAMEWORK"] = "erlen"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", f"--basetemp={tmp_path / 'run'}"]
        + [f"--junitxml={report}", "-o", "junit_family=xunit2"],
        cwd=BLOG,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert report.exists(), (
        f"pytest wrote no report (status {result.returncode}):\n{output[-6000:]}"
    )
    suite = ElementTree.parse(report).getroot().find("testsuite")
    assert suite is not None
    counts = {key: int(suite.get(key, "0")) for key in ("tests", "failures", "errors", "skipped")}
    failed = [
        f"{case.get('classname')}::{case.get('name')}"
        for case in suite.iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    ]
    assert result.returncode == 0 and not failed, (
        f"{len(failed)} of the blog's tests failed on erlen: {failed[:20]}\n{output[-8000:]}"
    )
    assert counts["skipped"] == 0, output[-4000:]
    # Every module ran: a collection that found nothing would pass silently.
    modules = {case.get("classname", "").split(".")[-1] for case in suite.iter("testcase")}
    assert modules >= {
        "test_auth",
        "test_posts",
        "test_api",
        "test_migrations",
        "test_servers",
        "test_browser",
    }, modules
    assert counts["tests"] >= 150, counts
