"""``FLASK_APP`` without ``ERLEN_APP``: erlen uses it and says so (a real ``erlen``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from servers import ServerProcess, server_env

APP = textwrap.dedent(
    """
    from erlen import Erlen

    app = Erlen(__name__)

    @app.route("/hello")
    def hello():
        return "hello from FLASK_APP"
    """
)

NOTE = "Using FLASK_APP=hello.py to find the app"


def _env(**extra: str) -> dict[str, str]:
    env = server_env(**extra)
    for name in ("ERLEN_APP", "FLASK_APP", "ERLEN_FLASK_ALIAS"):
        if name not in extra:
            env.pop(name, None)
    return env


def _erlen(cwd, env, *args):
    return subprocess.run(
        [sys.executable, "-m", "erlen", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def project(tmp_path):
    # hello.py, not app.py: without FLASK_APP, erlen would find no app here.
    (tmp_path / "hello.py").write_text(APP, encoding="utf-8")
    return tmp_path


def test_routes_uses_flask_app_and_says_so(project):
    result = _erlen(project, _env(FLASK_APP="hello.py"), "routes")
    assert result.returncode == 0, result.stderr
    assert "/hello" in result.stdout
    assert NOTE in result.stderr
    assert "Set ERLEN_APP=hello.py" in result.stderr
    assert result.stderr.count(NOTE) == 1


def test_without_flask_app_the_app_is_not_found(project):
    result = _erlen(project, _env(), "routes")
    assert result.returncode != 0
    assert "Could not find an app" in result.stderr
    assert "FLASK_APP" not in result.stderr


def test_erlen_app_wins_and_nothing_is_said(project):
    (project / "other.py").write_text(APP.replace("/hello", "/other"), encoding="utf-8")
    result = _erlen(project, _env(ERLEN_APP="other.py", FLASK_APP="hello.py"), "routes")
    assert result.returncode == 0, result.stderr
    assert "/other" in result.stdout
    assert "/hello" not in result.stdout
    assert "FLASK_APP" not in result.stderr


def test_app_option_wins_and_nothing_is_said(project):
    (project / "other.py").write_text(APP.replace("/hello", "/other"), encoding="utf-8")
    result = _erlen(project, _env(FLASK_APP="hello.py"), "--app", "other.py", "routes")
    assert result.returncode == 0, result.stderr
    assert "/other" in result.stdout
    assert "FLASK_APP" not in result.stderr


def test_with_the_flask_alias_flask_app_is_read_silently(project):
    result = _erlen(project, _env(FLASK_APP="hello.py", ERLEN_FLASK_ALIAS="1"), "routes")
    assert result.returncode == 0, result.stderr
    assert "/hello" in result.stdout
    assert NOTE not in result.stderr


def test_flask_app_from_a_dotenv_file(project):
    (project / ".env").write_text("FLASK_APP=hello.py\n", encoding="utf-8")
    result = _erlen(project, _env(), "routes")
    assert result.returncode == 0, result.stderr
    assert "/hello" in result.stdout
    assert NOTE in result.stderr


@pytest.mark.server
@pytest.mark.parametrize("reload", [False, True])
def test_erlen_run_serves_the_flask_app(project, reload):
    args = ["run", "--reload"] if reload else ["run"]
    server = ServerProcess(
        lambda port: [sys.executable, "-m", "erlen", *args, "--port", str(port)],
        cwd=project,
        env=_env(FLASK_APP="hello.py"),
        log_path=project / "server.log",
        ready_marker=" * Serving",
    )
    server.start()
    try:
        status, _headers, body = server.get("/hello")
        assert (status, body) == (200, "hello from FLASK_APP")
        log = server.log()
        # Said once, also with the reloader (its child finds ERLEN_APP set).
        assert log.count(NOTE) == 1, log
    finally:
        server.stop()
