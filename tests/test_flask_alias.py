"""The flask alias (``erlen.flask_compat``): ``import flask`` gives erlen.

The alias changes ``sys.modules`` and ``sys.meta_path`` for a whole
process, so every test here runs its code in a fresh Python process (the
test environment has Flask itself installed, which the alias must hide,
or refuse to hide once it is imported).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import typing as t
from pathlib import Path

import pytest

from servers import ServerProcess, server_env

TIMEOUT = 60


def run(
    code: str, *args: str, cwd: Path | None = None, paths: tuple[Path, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (or, with ``args``, ``python ARGS``) in a fresh interpreter."""
    argv = [sys.executable, *args] if args else [sys.executable, "-c", textwrap.dedent(code)]
    environ = server_env(*paths, **env)
    for name in list(environ):
        if name.startswith(("FLASK_", "ERLEN_")) and name not in env:
            del environ[name]
    return subprocess.run(
        argv, cwd=cwd, env=environ, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def run_ok(code: str, **kwargs: t.Any) -> str:
    result = run(code, **kwargs)
    assert result.returncode == 0, result.stderr
    return result.stdout


FLASK_MODULES = [
    "flask",
    "flask.app",
    "flask.blueprints",
    "flask.cli",
    "flask.config",
    "flask.ctx",
    "flask.debughelpers",
    "flask.globals",
    "flask.helpers",
    "flask.json",
    "flask.json.provider",
    "flask.json.tag",
    "flask.logging",
    "flask.sessions",
    "flask.signals",
    "flask.templating",
    "flask.testing",
    "flask.typing",
    "flask.views",
    "flask.wrappers",
    "flask.sansio.app",
    "flask.sansio.blueprints",
    "flask.sansio.scaffold",
]


# -- importing -----------------------------------------------------------------


def test_every_flask_module_is_erlens_under_flasks_names():
    out = run_ok(
        f"""
        import importlib
        import erlen.flask_compat
        import flask, erlen, erlen.testing, erlen.cli, erlen.json.provider, erlen.globals
        for name in {FLASK_MODULES!r}:
            module = importlib.import_module(name)
            assert module.__name__ == name and module.__erlen__, name
        import flask.json.provider
        from flask.testing import FlaskClient, FlaskCliRunner
        from flask.cli import FlaskGroup
        from flask.globals import request_ctx, app_ctx
        assert flask.Flask is erlen.Erlen
        assert FlaskClient is erlen.testing.ErlenClient
        assert FlaskCliRunner is erlen.testing.ErlenCliRunner
        assert FlaskGroup is erlen.cli.ErlenGroup
        assert request_ctx is erlen.globals.request_ctx and app_ctx is erlen.globals.app_ctx
        assert flask.json.provider.DefaultJSONProvider is erlen.json.provider.DefaultJSONProvider
        assert flask.json is importlib.import_module("flask.json")
        assert flask.request is erlen.request and flask.g is erlen.g
        assert flask.sansio.app.Flask is erlen.Erlen
        from flask import *
        assert Flask is erlen.Erlen and jsonify is erlen.jsonify
        print("ok")
        """
    )
    assert out == "ok\n"


def test_the_alias_makes_modules_only_when_imported():
    out = run_ok(
        """
        import sys
        import erlen.flask_compat
        import flask
        app = flask.Flask("lazy")
        heavy = ["erlen.templating", "erlen.cli", "erlen.testing", "erlen.signals", "jinja2",
                 "click", "blinker", "werkzeug", "flask.app", "flask.cli", "importlib.metadata"]
        print(sorted(name for name in heavy if name in sys.modules))
        """
    )
    assert out == "[]\n"


def test_importing_erlen_leaves_the_alias_off():
    out = run_ok(
        """
        import sys, erlen
        print("erlen.flask_compat" in sys.modules, any(
            getattr(finder, "erlen_flask_alias", False) for finder in sys.meta_path))
        import flask
        print(flask.Flask is erlen.Erlen, hasattr(flask, "__erlen__"))
        """
    )
    assert out == "False False\nFalse False\n"  # the real Flask, installed here


def test_flask_imported_first_is_refused_with_what_to_do():
    result = run("import flask\nimport erlen.flask_compat")
    assert result.returncode == 1
    assert "FlaskAlreadyImported" in result.stderr
    assert "Flask itself is already imported (from " in result.stderr
    assert "site-packages/flask/__init__.py" in result.stderr
    assert "make 'import erlen.flask_compat' the first import" in result.stderr


def test_the_alias_hides_an_installed_flask_and_says_so():
    out = run_ok(
        """
        import erlen.flask_compat, flask
        print(flask.__erlen__["shadowed_flask"])
        print(flask.__erlen__["flask_api"], flask.__erlen__["erlen_version"])
        print(flask.__doc__)
        """
    )
    shadowed, versions, *doc = out.splitlines()
    assert shadowed.endswith("site-packages/flask")
    assert versions.startswith("3.1.3 ")
    assert f"Flask itself is installed ({shadowed}) but is not used" in " ".join(doc)


def test_flasks_version_is_the_one_erlen_matches():
    out = run_ok(
        """
        import warnings
        import erlen.flask_compat
        from importlib.metadata import distribution, metadata, version
        print(version("flask"), version("Flask"), metadata("flask")["Name"])
        print(distribution("flask").read_text("METADATA").splitlines()[3])
        import flask
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(flask.__version__, caught[0].category.__name__)
        """
    )
    assert out.splitlines() == [
        "3.1.3 3.1.3 Flask",
        "Summary: Flask's API, served by erlen 0.1.0 (erlen.flask_compat)",
        "3.1.3 DeprecationWarning",  # as Flask 3.1's own __version__
    ]


def test_a_name_erlen_lacks_is_an_error_that_points_to_the_docs():
    out = run_ok(
        """
        import erlen.flask_compat
        import flask.globals
        try:
            flask.globals.no_such_thing
        except AttributeError as error:
            print("AttributeError:", error)
        try:
            from flask import NoSuchFlask
        except ImportError as error:
            print("ImportError:", error)
        print(hasattr(flask, "no_such_thing"), getattr(flask, "no_such_thing", "default"))
        try:
            import flask.no_such_module
        except ModuleNotFoundError as error:
            print("ModuleNotFoundError:", error)
        """
    )
    lines = out.splitlines()
    assert lines[0].startswith("AttributeError: flask.globals.no_such_thing is not provided by")
    assert lines[1].startswith("ImportError: flask.NoSuchFlask is not provided by erlen")
    assert "(nor 'NoSuchErlen')" in lines[1]
    for line in (lines[0], lines[1], lines[3]):
        assert "docs/flask.md#flasks-names-that-differ" in line
    assert lines[2] == "False default"
    assert lines[3].startswith("ModuleNotFoundError: No module named 'flask.no_such_module'")


def test_flask_variables_are_read_as_erlens():
    out = run_ok(
        """
        import os
        import erlen.flask_compat
        from flask import Flask
        app = Flask("env")
        app.config.from_prefixed_env()
        print(app.config["SECRET_KEY"], app.config["LIMIT"], os.environ["ERLEN_APP"])
        other = Flask("flask-prefix")
        other.config.from_prefixed_env(prefix="FLASK")
        print(other.config["SECRET_KEY"])
        """,
        FLASK_SECRET_KEY="from-flask",
        FLASK_LIMIT="3",
        ERLEN_LIMIT="5",  # erlen's own variable wins
        FLASK_APP="app.py",
    )
    assert out.splitlines() == ["from-flask 5 app.py", "from-flask"]


def test_uninstall_turns_everything_back():
    out = run_ok(
        """
        import os, sys
        import erlen, erlen.flask_compat
        import flask, werkzeug.exceptions
        from erlen.http.exceptions import NotFound
        print(issubclass(NotFound, werkzeug.exceptions.NotFound), os.environ.get("ERLEN_X"))
        erlen.flask_compat.uninstall()
        print(issubclass(NotFound, werkzeug.exceptions.NotFound), os.environ.get("ERLEN_X"),
              "flask" in sys.modules, erlen.flask_compat.is_installed())
        import flask
        print(flask.Flask is erlen.Erlen)  # Flask itself, installed here
        """,
        FLASK_X="1",
    )
    assert out.splitlines() == ["True 1", "False None False False", "False"]


def test_werkzeug_imported_before_or_after_the_alias_is_patched():
    before = run_ok(
        """
        import werkzeug.datastructures, werkzeug.exceptions, werkzeug.routing
        import erlen.flask_compat, flask
        print(isinstance(flask.Response().headers, werkzeug.datastructures.Headers),
              issubclass(erlen.routing.RequestRedirect, werkzeug.routing.RequestRedirect))
        """
    )
    after = run_ok(
        """
        import sys
        import erlen.flask_compat, flask
        assert "werkzeug" not in sys.modules
        import werkzeug.datastructures, werkzeug.exceptions, werkzeug.routing
        print(isinstance(flask.Response().headers, werkzeug.datastructures.Headers),
              issubclass(erlen.routing.RequestRedirect, werkzeug.routing.RequestRedirect))
        """
    )
    assert before == after == "True True\n"


def test_local_proxy_globals_of_extensions_see_erlens_contexts():
    # Flask-Login's current_user, written the way it is.
    out = run_ok(
        """
        import erlen.flask_compat
        from flask import Flask, current_app, g, has_request_context
        from flask.globals import app_ctx, request_ctx
        from werkzeug.local import LocalProxy

        def _get_user():
            if has_request_context():
                if "_login_user" not in g:
                    name = request_ctx.request.args.get("user")
                    g._login_user = current_app.config["USERS"].get(name)
                return g._login_user
            return None

        current_user = LocalProxy(lambda: _get_user())
        app = Flask("proxies")
        app.config["USERS"] = {"ann": "Ann"}

        @app.get("/")
        def index():
            return {"user": str(current_user), "known": bool(current_user),
                    "upper": current_user.upper() if current_user else None,
                    "same_app": app_ctx.app is current_app._get_current_object()}

        import json
        for asgi in (False, True):
            with app.test_client(asgi=asgi) as client:
                print(json.dumps([client.get("/?user=ann").json, client.get("/?user=bob").json]))
        print(bool(current_user))
        """
    )
    ann = {"user": "Ann", "known": True, "upper": "ANN", "same_app": True}
    bob = {"user": "None", "known": False, "upper": None, "same_app": True}
    wsgi, asgi, outside = out.splitlines()
    assert json.loads(wsgi) == json.loads(asgi) == [ann, bob]
    assert outside == "False"


def test_pytest_plugin_turns_the_alias_on_before_conftest(tmp_path):
    (tmp_path / "conftest.py").write_text("import flask\nFLASK = flask.Flask\n")
    (tmp_path / "test_it.py").write_text(
        "import erlen, flask\n"
        "from conftest import FLASK\n"
        "def test_flask_is_erlen():\n"
        "    assert FLASK is flask.Flask is erlen.Erlen\n"
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    result = run(
        "",
        "-m",
        "pytest",
        "-p",
        "erlen.flask_compat",
        "-p",
        "no:cacheprovider",
        "-q",
        str(tmp_path),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


# -- the command line and the runner -------------------------------------------------

APP = """\
import importlib.metadata
import flask
import werkzeug.exceptions
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def index():
    try:
        flask.abort(404)
    except werkzeug.exceptions.NotFound:
        caught = "werkzeug.exceptions.NotFound"
    return jsonify(flask=Flask.__name__, caught=caught, version=importlib.metadata.version("flask"))


@app.cli.command("hello")
def hello():
    print("hello from", flask.current_app.name)
"""


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


EXPECTED = {"flask": "Erlen", "caught": "werkzeug.exceptions.NotFound", "version": "3.1.3"}


def test_runner_serves_an_unmodified_flask_app_with_gunicorn(app_dir):
    server = ServerProcess(
        lambda port: [
            sys.executable,
            "-m",
            "erlen.flask_compat",
            "gunicorn",
            f"--bind=127.0.0.1:{port}",
            "app:app",
        ],
        cwd=app_dir,
        env=server_env(app_dir),
        log_path=app_dir / "gunicorn.log",
        ready_marker="Listening at",
    )
    server.start()
    try:
        status, headers, body = server.get("/")
    finally:
        server.stop()
    assert (status, json.loads(body)) == (200, EXPECTED)


def test_runner_serves_an_unmodified_flask_app_with_uvicorn_workers(app_dir):
    # uvicorn's workers are spawned processes: they start by importing the runner.
    server = ServerProcess(
        lambda port: [
            sys.executable,
            "-m",
            "erlen.flask_compat",
            "uvicorn",
            "--port",
            str(port),
            "--workers",
            "2",
            "app:app",
        ],
        cwd=app_dir,
        env=server_env(app_dir),
        log_path=app_dir / "uvicorn.log",
        ready_marker="Application startup complete",
    )
    server.start()
    try:
        status, headers, body = server.get("/")
    finally:
        server.stop()
    assert (status, json.loads(body)) == (200, EXPECTED)


def test_runner_runs_erlens_command_as_flask(app_dir):
    result = run("", "-m", "erlen.flask_compat", "flask", "hello", cwd=app_dir, FLASK_APP="app.py")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello from app\n"
    result = run("", "-m", "erlen.flask_compat", "flask", "--help", cwd=app_dir)
    assert result.stdout.startswith("Usage: flask ")


def test_runner_runs_a_module_or_a_file(app_dir):
    (app_dir / "script.py").write_text(
        "import sys, flask\nprint(flask.Flask.__name__, sys.argv[1:], __name__)\n"
    )
    result = run("", "-m", "erlen.flask_compat", "-m", "script", "a", cwd=app_dir, paths=(app_dir,))
    assert result.stdout == "Erlen ['a'] __main__\n", result.stderr
    result = run("", "-m", "erlen.flask_compat", "script.py", "b", cwd=app_dir)
    assert result.stdout == "Erlen ['b'] __main__\n", result.stderr
    # From elsewhere, the file's folder is first on the path, as for `python FILE`.
    (app_dir / "script.py").write_text("import sys, app\nprint(app.app.name, sys.argv[1:])\n")
    result = run(
        "", "-m", "erlen.flask_compat", str(app_dir / "script.py"), "c", cwd=app_dir.parent
    )
    assert result.stdout == "app ['c']\n", result.stderr


def test_runner_says_what_it_runs_when_the_command_is_unknown():
    result = run("", "-m", "erlen.flask_compat", "no-such-command")
    assert result.returncode == 1
    assert "'no-such-command' is not a console script installed in this environment" in (
        result.stderr
    )
    result = run("", "-m", "erlen.flask_compat")
    assert result.returncode == 2
    assert result.stdout.startswith("usage: python -m erlen.flask_compat COMMAND")


@pytest.mark.parametrize("how", ["option", "variable"])
def test_erlen_command_turns_the_alias_on_and_reads_flask_app(app_dir, how):
    args = ["--flask-alias", "hello"] if how == "option" else ["hello"]
    env = {"FLASK_APP": "app.py"}
    if how == "variable":
        env["ERLEN_FLASK_ALIAS"] = "1"
    result = run("", "-m", "erlen", *args, cwd=app_dir, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello from app\n"


def test_erlen_command_reads_flaskenv_with_the_alias_on(app_dir):
    (app_dir / ".flaskenv").write_text("FLASK_APP=app.py\n")
    result = run("", "-m", "erlen", "--flask-alias", "hello", cwd=app_dir)
    assert result.stdout == "hello from app\n", result.stderr
    result = run("", "-m", "erlen", "hello", cwd=app_dir)  # no alias: .flaskenv is Flask's
    assert result.returncode == 2
    assert "No such command 'hello'" in result.stderr


def test_flask_extensions_commands_come_with_the_alias(tmp_path, app_dir):
    # An installed package adding a command to Flask's, as Flask-Migrate adds 'db'.
    site = tmp_path / "site"
    info = site / "greeter-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: greeter\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[flask.commands]\ngreet = greeter:greet\n")
    (site / "greeter.py").write_text(
        "import click\nfrom flask import current_app\nfrom flask.cli import with_appcontext\n\n"
        "@click.command()\n@with_appcontext\ndef greet():\n    print('greetings from', current_app.name)\n"
    )
    env = {"FLASK_APP": "app.py"}
    result = run("", "-m", "erlen", "--flask-alias", "greet", cwd=app_dir, paths=(site,), **env)
    assert result.stdout == "greetings from app\n", result.stderr
    # The app's module may turn the alias on itself: its extensions' commands follow.
    (app_dir / "app.py").write_text("import erlen.flask_compat\n" + APP)
    result = run("", "-m", "erlen", "greet", cwd=app_dir, paths=(site,), **env)
    assert result.stdout == "greetings from app\n", result.stderr
    assert "greet" in run("", "-m", "erlen", "--help", cwd=app_dir, paths=(site,), **env).stdout


def test_erlen_installs_no_flask_command():
    # A 'flask' console script from erlen would shadow Flask's own.
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    scripts = pyproject.split("[project.scripts]", 1)[1].split("\n[", 1)[0]
    assert [line.split("=")[0].strip() for line in scripts.splitlines() if "=" in line] == ["erlen"]
