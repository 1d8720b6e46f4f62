"""The erlen command: app discovery, `routes`, and `run` as a real process."""

from __future__ import annotations

import sys
import textwrap

import pytest
from click.testing import CliRunner

from erlen.cli import main
from servers import ServerProcess, server_env

APP_SOURCE = """
from erlen import Erlen

app = Erlen(__name__)

@app.route("/")
def index():
    return "hello from {name}"

@app.post("/items/<int:iid>")
def item(iid):
    return {{"iid": iid}}
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder to run erlen in; modules imported from it are forgotten afterwards."""
    before = set(sys.modules)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("ERLEN_APP", raising=False)
    yield tmp_path
    for name in set(sys.modules) - before:
        if not name.startswith(("erlen", "click")):
            del sys.modules[name]


def write(folder, name, source):
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def run_cli(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_routes_of_app_py_in_the_current_folder(project):
    write(project, "app.py", APP_SOURCE.format(name="app.py"))
    result = run_cli("routes")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["Endpoint", "Methods", "Rule"]
    assert any(line.split() == ["item", "POST", "/items/<int:iid>"] for line in lines)
    assert any(line.split() == ["index", "GET", "/"] for line in lines)


@pytest.mark.parametrize(
    ("files", "target"),
    [
        ({"wsgi.py": APP_SOURCE.format(name="wsgi")}, None),
        ({"site_a.py": APP_SOURCE.format(name="a")}, "site_a.py"),
        ({"site_b.py": APP_SOURCE.format(name="b")}, "site_b"),
        ({"site_c.py": APP_SOURCE.format(name="c").replace("app", "web")}, "site_c:web"),
        (
            {
                "site_d.py": """
                from erlen import Erlen

                def create_app(title="default"):
                    app = Erlen(__name__)
                    app.add_url_rule("/", "index", lambda: title)
                    return app
                """
            },
            "site_d:create_app('made')",
        ),
        (
            {
                "site_e.py": """
                from erlen import Erlen

                def create_app():
                    app = Erlen(__name__)
                    app.add_url_rule("/factory", "factory", lambda: "")
                    return app
                """
            },
            "site_e",
        ),
    ],
)
def test_discovery(project, files, target):
    for name, source in files.items():
        write(project, name, source)
    args = ["--app", target, "routes"] if target else ["routes"]
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    assert "index" in result.output or "factory" in result.output


def test_erlen_app_environment_variable(project):
    write(project, "site_f.py", APP_SOURCE.format(name="f"))
    result = run_cli("routes", env={"ERLEN_APP": "site_f"})
    assert result.exit_code == 0, result.output
    assert "/items/<int:iid>" in result.output


def test_no_app_found_says_where_and_how(project):
    result = CliRunner().invoke(main, ["routes"])
    assert result.exit_code == 2
    assert "Could not find an app" in result.output
    assert str(project) in result.output
    assert "ERLEN_APP" in result.output


def test_not_an_erlen_app(project):
    write(project, "site_g.py", "app = 'just a string'\n")
    result = CliRunner().invoke(main, ["--app", "site_g:app", "routes"])
    assert result.exit_code == 2
    assert "is a str, not an erlen app" in result.output


def test_module_without_an_app(project):
    write(project, "site_h.py", "x = 1\n")
    result = CliRunner().invoke(main, ["--app", "site_h", "routes"])
    assert result.exit_code == 2
    assert "Found no erlen app" in result.output


def test_the_apps_own_import_error_is_not_hidden(project):
    write(project, "site_i.py", "import a_module_that_does_not_exist\n")
    with pytest.raises(ModuleNotFoundError, match="a_module_that_does_not_exist"):
        CliRunner().invoke(main, ["--app", "site_i", "routes"], catch_exceptions=False)


def test_missing_file(project):
    result = CliRunner().invoke(main, ["--app", "nowhere.py", "routes"])
    assert result.exit_code == 2
    assert "There is no file 'nowhere.py'" in result.output


@pytest.mark.server
def test_erlen_run_serves_the_app_once(tmp_path):
    # The module also calls app.run() unguarded: under `erlen run` that must
    # not start a second server (it would take the port, or block forever).
    write(tmp_path, "app.py", APP_SOURCE.format(name="erlen run") + "\napp.run()\n")
    server = ServerProcess(
        lambda port: [sys.executable, "-m", "erlen", "run", "--port", str(port)],
        cwd=tmp_path,
        env=server_env(),
        log_path=tmp_path / "server.log",
        ready_marker="Serving on",
    )
    server.start()
    try:
        connection = server.connection()
        connection.request("GET", "/")
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"hello from erlen run")
        connection.request("POST", "/items/5")
        response = connection.getresponse()
        assert response.read() == b'{"iid":5}'
        assert "development server" in server.log()
    finally:
        server.stop()


@pytest.mark.server
def test_python_app_py_serves_with_app_run(tmp_path):
    write(
        tmp_path,
        "app.py",
        APP_SOURCE.format(name="python app.py")
        + "\nif __name__ == '__main__':\n    import sys\n    app.run(port=int(sys.argv[1]))\n",
    )
    server = ServerProcess(
        lambda port: [sys.executable, "app.py", str(port)],
        cwd=tmp_path,
        env=server_env(),
        log_path=tmp_path / "server.log",
        ready_marker="Serving on",
    )
    server.start()
    try:
        connection = server.connection()
        connection.request("GET", "/")
        assert connection.getresponse().read() == b"hello from python app.py"
    finally:
        server.stop()
