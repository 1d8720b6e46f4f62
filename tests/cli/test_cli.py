"""The erlen command: discovery, errors, app commands, routes, shell, .env, run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import click
import pytest
from click.testing import CliRunner

import erlen.cli
import erlen.dev.reloader
import erlen.dev.server
from erlen import Erlen, current_app, g, has_app_context
from erlen.blueprints import Blueprint
from erlen.cli import AppGroup, ScriptInfo, main, with_appcontext
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

COMMANDS_SOURCE = """
import click
from erlen import Erlen, current_app

app = Erlen(__name__)

@app.cli.command("hello")
@click.option("--name", default="world")
def hello(name):
    \"\"\"Say hello.\"\"\"
    click.echo(f"hello {name} from {current_app.name}")
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder to run erlen in; its modules and environment changes are undone after."""
    before = set(sys.modules)
    environ = dict(os.environ)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in [name for name in os.environ if name.startswith("ERLEN_")]:
        monkeypatch.delenv(name)
    yield tmp_path
    os.environ.clear()
    os.environ.update(environ)
    for name in set(sys.modules) - before:
        if not name.startswith(("erlen", "click")):
            del sys.modules[name]


def write(folder, name, source):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def run_cli(*args, env=None, input=None):
    return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)


def invoke(*args, **kwargs):
    return CliRunner().invoke(main, list(args), **kwargs)


# -- finding the app ---------------------------------------------------------


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
        (
            {
                "site_f.py": """
                from erlen import Erlen

                def make_app():
                    app = Erlen(__name__)
                    app.add_url_rule("/factory", "factory", lambda: "")
                    return app
                """
            },
            "site_f:make_app",
        ),
        ({"pkg_g/__init__.py": "", "pkg_g/web.py": APP_SOURCE.format(name="g")}, "pkg_g.web"),
        ({"sub/site_h.py": APP_SOURCE.format(name="h")}, "sub/site_h.py"),
        ({"site_i.py": APP_SOURCE.format(name="i").replace("app", "website")}, "site_i"),
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
    result = invoke("routes")
    assert result.exit_code == 2
    assert "Could not find an app" in result.output
    assert str(project) in result.output
    assert "ERLEN_APP" in result.output
    assert "Traceback" not in result.output


def test_not_an_erlen_app(project):
    write(project, "site_g.py", "app = 'just a string'\n")
    result = invoke("--app", "site_g:app", "routes")
    assert result.exit_code == 2
    assert "is a str, not an erlen app" in result.output


def test_the_class_instead_of_the_app(project):
    write(project, "site_g2.py", "from erlen import Erlen\nweb = Erlen\n")
    result = invoke("--app", "site_g2:web", "routes")
    assert result.exit_code == 2
    assert "is the class Erlen (not an instance of it), not an erlen app" in result.output


def test_module_without_an_app(project):
    write(project, "site_h.py", "x = 1\n")
    result = invoke("--app", "site_h", "routes")
    assert result.exit_code == 2
    assert "Found no erlen app in 'site_h'" in result.output
    assert "create_app" in result.output and "app = Erlen(__name__)" in result.output


def test_module_whose_app_is_something_else(project):
    write(project, "site_h2.py", "app = 42\n")
    result = invoke("--app", "site_h2", "routes")
    assert result.exit_code == 2
    assert "site_h2.app is an int, not an erlen app" in result.output


def test_several_apps_must_be_named(project):
    write(project, "site_h3.py", "from erlen import Erlen\none = Erlen('a')\ntwo = Erlen('b')\n")
    result = invoke("--app", "site_h3", "routes")
    assert result.exit_code == 2
    assert "holds several erlen apps (one, two)" in result.output
    assert "--app site_h3:app" in result.output


def test_missing_attribute_names_the_apps_there(project):
    write(project, "site_h4.py", APP_SOURCE.format(name="h4"))
    result = invoke("--app", "site_h4:ap", "routes")
    assert result.exit_code == 2
    assert "'site_h4' has no attribute 'ap'. It holds an erlen app as app." in result.output


def test_the_apps_own_import_error_is_not_hidden(project):
    write(project, "site_i.py", "import a_module_that_does_not_exist\n")
    result = invoke("--app", "site_i", "routes")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.output
    assert 'site_i.py", line 1' in result.output
    assert "No module named 'a_module_that_does_not_exist'" in result.output
    assert "erlen was importing your app (site_i)" in result.output
    assert "pip install" in result.output
    # The app's frames only: not Click's or those of any module of erlen.cli.
    assert "click" not in result.output
    assert os.path.dirname(erlen.cli.__file__) + os.sep not in result.output


def test_a_syntax_error_shows_where(project):
    write(project, "app.py", "def broken(:\n    pass\n")
    result = invoke("routes")
    assert result.exit_code == 1
    assert 'app.py", line 1' in result.output
    assert "SyntaxError" in result.output


def test_importing_flask_hints_at_erlen(project, monkeypatch):
    monkeypatch.setitem(sys.modules, "flask", None)  # as if Flask were not installed
    write(project, "app.py", "from flask import Flask\napp = Flask(__name__)\n")
    result = invoke("routes")
    assert result.exit_code == 1
    assert "from erlen import Erlen as Flask" in result.output


def test_missing_file(project):
    result = invoke("--app", "nowhere.py", "routes")
    assert result.exit_code == 2
    assert "There is no file 'nowhere.py'" in result.output


def test_missing_module(project):
    result = invoke("--app", "nowhere_pkg.web", "routes")
    assert result.exit_code == 2
    assert "Could not import 'nowhere_pkg.web': no such module" in result.output


def test_a_file_named_like_a_standard_module(project):
    write(project, "json.py", APP_SOURCE.format(name="json"))
    result = invoke("--app", "json.py", "routes")
    assert result.exit_code == 2
    assert "the name 'json' is taken" in result.output
    assert "Rename your file, for example to json_app.py" in result.output


def test_a_factory_that_needs_arguments(project):
    write(
        project,
        "site_j.py",
        "from erlen import Erlen\ndef create_app(config):\n    return Erlen(__name__)\n",
    )
    result = invoke("--app", "site_j", "routes")
    assert result.exit_code == 2
    assert "Could not call the factory create_app() in site_j" in result.output
    assert "missing a required argument: 'config'" in result.output
    assert "--app \"site_j:create_app('value')\"" in result.output


def test_a_factory_that_raises(project):
    write(project, "site_k.py", "def create_app():\n    raise RuntimeError('no database')\n")
    result = invoke("--app", "site_k", "routes")
    assert result.exit_code == 1
    assert "RuntimeError: no database" in result.output
    assert 'site_k.py", line 2, in create_app' in result.output
    assert "erlen called the app factory create_app() in site_k" in result.output


def test_a_factory_that_returns_nothing(project):
    write(project, "site_l.py", "def create_app(name='x'):\n    pass\n")
    result = invoke("--app", "site_l:create_app(name='y')", "routes")
    assert result.exit_code == 2
    assert "The factory create_app(name='y') in site_l returned None" in result.output
    assert "'return app'" in result.output


def test_factory_arguments_must_be_literals(project):
    write(project, "site_m.py", "def create_app(x):\n    pass\n")
    result = invoke("--app", "site_m:create_app(os.environ)", "routes")
    assert result.exit_code == 2
    assert "must be literals" in result.output


# -- the app's own commands --------------------------------------------------


def test_app_command_runs_in_the_app_context(project):
    write(project, "app.py", COMMANDS_SOURCE)
    result = run_cli("hello", "--name", "you")
    assert result.exit_code == 0, result.output
    assert result.output == "hello you from app\n"


def test_app_commands_are_listed_in_help(project):
    write(project, "app.py", COMMANDS_SOURCE)
    result = run_cli("--help")
    assert result.exit_code == 0
    assert "hello   Say hello." in result.output
    for built_in in ("routes", "run", "shell"):
        assert f"  {built_in} " in result.output
    assert "not listed" not in result.output


def test_help_after_app_option_lists_its_commands(project):
    write(project, "site_n.py", COMMANDS_SOURCE)
    assert "hello" in run_cli("--help", "--app", "site_n").output
    assert "hello" in run_cli("--app", "site_n", "--help").output


def test_no_arguments_prints_the_help(project):
    write(project, "app.py", COMMANDS_SOURCE)
    result = run_cli()
    assert result.exit_code == 0
    assert "Usage: erlen" in result.output and "hello" in result.output


def test_help_with_a_broken_app(project):
    write(project, "app.py", "import a_module_that_does_not_exist\n")
    result = invoke("--help")
    assert result.exit_code == 0
    assert "routes" in result.output and "run" in result.output and "shell" in result.output
    notes = [line for line in result.output.splitlines() if "not listed" in line]
    assert notes == [
        "The app's own commands are not listed: loading the app raised "
        "ModuleNotFoundError: No module named 'a_module_that_does_not_exist'. "
        "Run 'erlen routes' to see the whole error."
    ]
    assert "Traceback" not in result.output


def test_help_without_an_app(project):
    result = invoke("--help")
    assert result.exit_code == 0
    assert (
        "The app's own commands are not listed: Could not find an app: no --app option"
        in result.output
    )


def test_help_of_a_built_in_command_does_not_load_the_app(project):
    write(project, "app.py", "raise RuntimeError('imported')\n")
    result = invoke("run", "--help")
    assert result.exit_code == 0, result.output
    assert "--port" in result.output and "imported" not in result.output


def test_unknown_command_without_an_app(project):
    result = invoke("hello")
    assert result.exit_code == 2
    assert "No such command 'hello': it is not built in (routes, run, shell)" in result.output
    assert "Could not find an app" in result.output


def test_unknown_command_with_an_app(project):
    write(project, "app.py", COMMANDS_SOURCE)
    result = invoke("goodbye")
    assert result.exit_code == 2
    assert "No such command 'goodbye'" in result.output


def test_app_cli_group(project):
    write(
        project,
        "app.py",
        """
        import click
        from erlen import Erlen, current_app, g

        app = Erlen(__name__)

        @app.cli.group()
        def db():
            \"\"\"Database commands.\"\"\"

        @db.command()
        @click.argument("table")
        def init(table):
            click.echo(f"init {table} in {current_app.name}")
        """,
    )
    assert "db      Database commands." in run_cli("--help").output
    result = run_cli("db", "init", "users")
    assert result.exit_code == 0, result.output
    assert result.output == "init users in app\n"


@pytest.mark.parametrize(
    ("blueprint_options", "register_options", "args"),
    [
        ("", "", ["admin", "seed"]),
        ("cli_group='tools'", "", ["tools", "seed"]),
        ("cli_group=None", "", ["seed"]),
        ("", "cli_group='other'", ["other", "seed"]),
        ("", "name='admin2'", ["admin2", "seed"]),
    ],
)
def test_blueprint_command_group(project, blueprint_options, register_options, args):
    write(
        project,
        "app.py",
        f"""
        import click
        from erlen import Blueprint, Erlen, current_app

        admin = Blueprint("admin", __name__, {blueprint_options})

        @admin.cli.command("seed")
        def seed():
            click.echo(f"seeded {{current_app.name}}")

        app = Erlen(__name__)
        app.register_blueprint(admin, {register_options})
        """,
    )
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    assert result.output == "seeded app\n"


def test_blueprint_without_commands_adds_no_group():
    app = Erlen("bp_app")
    app.register_blueprint(Blueprint("quiet", __name__))
    assert app.cli.commands == {}


def test_test_cli_runner_invokes_app_commands():
    app = Erlen("runner_app")

    @app.cli.command("hello")
    @click.argument("name")
    def hello(name):
        g.seen = name
        click.echo(f"hello {name} from {current_app.name}")

    runner = app.test_cli_runner()
    result = runner.invoke(args=["hello", "you"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello you from runner_app\n"
    assert not has_app_context()


def test_test_cli_runner_with_another_command():
    app = Erlen("runner_app2")

    @click.command()
    @with_appcontext
    def which():
        click.echo(current_app.name)

    assert app.test_cli_runner().invoke(which).output == "runner_app2\n"


def test_command_without_the_app_context():
    app = Erlen("plain_app")

    @app.cli.command(with_appcontext=False)
    def plain():
        click.echo(f"context: {has_app_context()}")

    @app.cli.command
    def bare():
        click.echo(f"context: {has_app_context()}")

    runner = app.test_cli_runner()
    assert runner.invoke(args=["plain"]).output == "context: False\n"
    assert runner.invoke(args=["bare"]).output == "context: True\n"


def test_with_appcontext_loads_the_app_from_script_info():
    app = Erlen("info_app")
    calls = []

    @click.command()
    @with_appcontext
    def show():
        click.echo(current_app.name)

    info = ScriptInfo(create_app=lambda: calls.append(1) or app)
    result = CliRunner().invoke(show, obj=info)
    assert result.output == "info_app\n"
    assert info.load_app() is app and calls == [1]  # loaded once


def test_app_group_subgroups_are_app_groups():
    group = AppGroup("top")

    @group.group()
    def sub():
        pass

    assert isinstance(sub, AppGroup)


# -- routes ------------------------------------------------------------------

ROUTES_SOURCE = """
from erlen import Erlen

app = Erlen(__name__, static_folder=None)
app.add_url_rule("/zebra", "b_zebra", lambda: "", methods=["POST"])
app.add_url_rule("/apple", "c_apple", lambda: "", methods=["PUT", "GET"])
app.add_url_rule("/mango", "a_mango", lambda: "", methods=["DELETE"])
"""


@pytest.mark.parametrize(
    ("sort", "endpoints"),
    [
        ("endpoint", ["a_mango", "b_zebra", "c_apple"]),
        ("rule", ["c_apple", "a_mango", "b_zebra"]),
        ("methods", ["a_mango", "c_apple", "b_zebra"]),
        ("match", ["b_zebra", "c_apple", "a_mango"]),
    ],
)
def test_routes_sort(project, sort, endpoints):
    write(project, "app.py", ROUTES_SOURCE)
    result = run_cli("routes", "--sort", sort)
    assert result.exit_code == 0, result.output
    rows = [line.split()[0] for line in result.output.splitlines()[2:]]
    assert rows == endpoints


def test_routes_all_methods(project):
    write(project, "app.py", ROUTES_SOURCE)
    short = run_cli("routes", "-s", "rule").output.splitlines()
    assert short[2].split(None, 1)[1].split() == ["GET,", "PUT", "/apple"]
    full = run_cli("routes", "-s", "rule", "--all-methods").output.splitlines()
    assert full[2].split(None, 1)[1].split() == ["GET,", "HEAD,", "OPTIONS,", "PUT", "/apple"]


def test_routes_of_an_app_without_routes(project):
    write(project, "app.py", "from erlen import Erlen\napp = Erlen(__name__, static_folder=None)\n")
    result = run_cli("routes")
    assert result.output == "The app has no routes yet. Add one with @app.route('/').\n"


def test_routes_rejects_an_unknown_sort(project):
    write(project, "app.py", ROUTES_SOURCE)
    result = invoke("routes", "--sort", "size")
    assert result.exit_code == 2
    assert "'size' is not one of" in result.output


# -- shell -------------------------------------------------------------------


def test_shell_runs_piped_input_in_the_app_context(project):
    write(project, "app.py", APP_SOURCE.format(name="shell"))
    result = run_cli("shell", input="print('name:', app.name)\ng.x = 5\nprint('g:', g.x)\n")
    assert result.exit_code == 0, result.output
    assert "erlen shell for the app 'app'" in result.output
    assert "name: app" in result.output
    assert "g: 5" in result.output
    assert not has_app_context()


def test_shell_runs_pythonstartup(project):
    write(project, "app.py", APP_SOURCE.format(name="shell"))
    write(project, "startup.py", "greeting = 'from startup'\n")
    result = run_cli(
        "shell", input="print(greeting)\n", env={"PYTHONSTARTUP": str(project / "startup.py")}
    )
    assert "from startup" in result.output


# -- .env files --------------------------------------------------------------

ENV_SOURCE = """
import os
import click
from erlen import Erlen

app = Erlen(__name__)

@app.cli.command("env")
@click.argument("names", nargs=-1)
def env(names):
    for name in names:
        click.echo(f"{name}={os.environ.get(name)}")
"""


def test_dotenv_files_are_loaded_without_overriding(project, monkeypatch):
    write(project, "site_env.py", ENV_SOURCE)
    write(project, ".env", "ERLEN_APP=site_env\nFROM_ENV=dotenv\nSET_ALREADY=dotenv\n")
    write(project, ".erlenenv", "FROM_ENV=erlenenv\nONLY_ERLENENV=erlenenv\n")
    monkeypatch.setenv("SET_ALREADY", "shell")
    result = run_cli("env", "FROM_ENV", "SET_ALREADY", "ONLY_ERLENENV")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "FROM_ENV=dotenv",
        "SET_ALREADY=shell",
        "ONLY_ERLENENV=erlenenv",
    ]


def test_dotenv_in_a_parent_folder(project, monkeypatch):
    write(project, ".env", "FROM_PARENT=yes\n")
    write(project, "inner/app.py", ENV_SOURCE)
    monkeypatch.chdir(project / "inner")
    assert run_cli("env", "FROM_PARENT").output == "FROM_PARENT=yes\n"


def test_env_file_option(project):
    write(project, "app.py", ENV_SOURCE)
    write(project, "settings.env", "CHOSEN=file\n")
    write(project, ".env", "CHOSEN=dotenv\nOTHER=dotenv\n")
    result = run_cli("-e", "settings.env", "env", "CHOSEN", "OTHER")
    assert result.output.splitlines() == ["CHOSEN=file", "OTHER=dotenv"]


def test_env_file_must_exist(project):
    result = invoke("--env-file", "missing.env", "routes")
    assert result.exit_code == 2
    assert "'missing.env' does not exist" in result.output


def test_skip_dotenv(project):
    write(project, "app.py", ENV_SOURCE)
    write(project, ".env", "SKIPPED=no\n")
    result = run_cli("env", "SKIPPED", env={"ERLEN_SKIP_DOTENV": "1"})
    assert result.output == "SKIPPED=None\n"


def test_dotenv_not_installed_says_so(project, monkeypatch):
    monkeypatch.setitem(sys.modules, "dotenv", None)  # `import dotenv` raises ImportError
    write(project, "app.py", ENV_SOURCE)
    write(project, ".env", "NOT_LOADED=1\n")
    result = run_cli("env", "NOT_LOADED")
    assert result.exit_code == 0, result.output
    assert result.output == (
        " * Found .env but python-dotenv is not installed: pip install python-dotenv\n"
        "NOT_LOADED=None\n"
    )


def test_dotenv_not_installed_and_no_env_file_is_silent(project, monkeypatch):
    monkeypatch.setitem(sys.modules, "dotenv", None)
    write(project, "app.py", ENV_SOURCE)
    assert run_cli("env").output == ""


def test_env_file_option_without_dotenv(project, monkeypatch):
    monkeypatch.setitem(sys.modules, "dotenv", None)
    write(project, "settings.env", "X=1\n")
    result = invoke("-e", "settings.env", "routes")
    assert result.exit_code == 2
    assert "reading env files needs python-dotenv. pip install python-dotenv" in result.output


# -- erlen run (in-process, the server replaced) -----------------------------


@pytest.fixture
def served(monkeypatch):
    """Record run_simple and run_with_reloader calls instead of serving."""
    calls = []

    def run_simple(host, port, app, **options):
        calls.append(("serve", host, port, app, options))

    def run_with_reloader(argv, **options):
        calls.append(("reload", argv, options))
        return 0

    monkeypatch.setattr(erlen.dev.server, "run_simple", run_simple)
    monkeypatch.setattr(erlen.dev.reloader, "run_with_reloader", run_with_reloader)
    monkeypatch.delenv("ERLEN_SERVER_FD", raising=False)
    monkeypatch.delenv("ERLEN_RELOADER_STATE", raising=False)
    return calls


def test_run_defaults(project, served):
    write(project, "app.py", APP_SOURCE.format(name="run"))
    result = run_cli("run")
    assert result.exit_code == 0, result.output
    [(kind, host, port, app, options)] = served
    assert (kind, host, port, app.name, options) == (
        "serve",
        "127.0.0.1",
        5000,
        "app",
        {"fd": None, "debug": False},
    )


def test_run_options_reach_the_server(project, served):
    write(project, "app.py", APP_SOURCE.format(name="run"))
    result = run_cli("run", "--host", "0.0.0.0", "-p", "8123", "--debug", "--no-reload")
    assert result.exit_code == 0, result.output
    [(_, host, port, app, options)] = served
    assert (host, port, options) == ("0.0.0.0", 8123, {"fd": None, "debug": True})
    assert app.debug is True


def test_run_limits_reach_the_development_server(project, served):
    write(project, "app.py", APP_SOURCE.format(name="run"))
    result = run_cli(
        "run",
        "--head-timeout",
        "2.5",
        "--max-connections",
        "7",
        env={"ERLEN_RUN_BODY_TIMEOUT": "30"},
    )
    assert result.exit_code == 0, result.output
    [(_, _, _, _, options)] = served
    assert options == {
        "fd": None,
        "debug": False,
        "head_timeout": 2.5,
        "body_timeout": 30.0,
        "max_connections": 7,
    }


@pytest.mark.parametrize(
    "args", [("--head-timeout", "0"), ("--body-timeout", "-1"), ("--max-connections", "0")]
)
def test_run_limits_must_be_positive(project, served, args):
    write(project, "app.py", APP_SOURCE.format(name="run"))
    result = run_cli("run", *args)
    assert result.exit_code == 2
    assert args[0] in result.output
    assert not served


def test_run_port_from_the_environment(project, served):
    write(project, "app.py", APP_SOURCE.format(name="run"))
    run_cli("run", env={"ERLEN_RUN_PORT": "8124"})
    assert served[0][2] == 8124


@pytest.mark.parametrize(
    ("value", "debug"), [("1", True), ("true", True), ("yes", True), ("0", False), ("no", False)]
)
def test_run_debug_from_the_environment(project, served, value, debug):
    write(project, "app.py", APP_SOURCE.format(name="run"))
    result = run_cli("run", "--no-reload", env={"ERLEN_DEBUG": value})
    assert result.exit_code == 0, result.output
    assert served[0][4]["debug"] is debug


def test_run_rejects_an_unclear_debug_value(project, served):
    write(project, "app.py", APP_SOURCE.format(name="run"))
    result = invoke("run", env={"ERLEN_DEBUG": "maybe"})
    assert result.exit_code == 2
    assert "ERLEN_DEBUG='maybe' is not a yes/no value" in result.output
    assert served == []


def test_run_rejects_a_bad_port(project, served):
    result = invoke("run", "--port", "http")
    assert result.exit_code == 2
    assert "'http' is not a valid integer" in result.output


@pytest.mark.parametrize(
    ("args", "reloads"),
    [
        (["--debug"], True),
        (["--debug", "--no-reload"], False),
        (["--reload"], True),
        ([], False),
        (["--no-debug"], False),
    ],
)
def test_run_reloader_follows_debug(project, served, args, reloads):
    write(project, "app.py", APP_SOURCE.format(name="run"))
    result = run_cli("run", *args)
    assert result.exit_code == 0, result.output
    assert served[0][0] == ("reload" if reloads else "serve")


def test_run_with_the_reloader_never_imports_the_app(project, served):
    marker = project / "imported.txt"
    write(project, "templates/index.html", "hi")
    write(project, "site_r.py", f"open({str(marker)!r}, 'a').write('x')\n" + APP_SOURCE)
    extra = os.pathsep.join(["a.cfg", "b.cfg"])
    result = run_cli(
        "--app", "site_r.py", "run", "--debug", "-p", "8125", "--extra-files", extra,
        "--extra-files", "c.cfg",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not marker.exists()
    [(kind, argv, options)] = served
    assert kind == "reload"
    assert argv == [
        sys.executable, "-m", "erlen", "--app", "site_r.py", "run", "--debug", "-p", "8125",
        "--extra-files", extra, "--extra-files", "c.cfg",
    ]  # fmt: skip
    assert options == {
        "host": "127.0.0.1",
        "port": 8125,
        "watch": [str(project), str(project / "templates")],
        "extra_files": [str(project / name) for name in ("a.cfg", "b.cfg", "c.cfg")],
    }


def test_run_with_the_reloader_finds_a_package_without_importing_it(project, served):
    write(project, "shop/__init__.py", "raise RuntimeError('imported')\n")
    write(project, "shop/web/__init__.py", "raise RuntimeError('imported')\n")
    write(project, "shop/web/site.py", APP_SOURCE)
    write(project, "shop/web/templates/page.html", "hi")
    result = run_cli("--app", "shop.web.site:app", "run", "--reload")
    assert result.exit_code == 0, result.output
    assert served[0][2]["watch"] == [str(project / "shop"), str(project / "shop/web/templates")]


def test_run_with_the_reloader_checks_that_the_app_exists(project, served):
    result = invoke("--app", "nowhere.web", "run", "--reload")
    assert result.exit_code == 2
    assert "Could not import 'nowhere.web': no such module" in result.output
    result = invoke("run", "--reload")
    assert result.exit_code == 2
    assert "Could not find an app" in result.output
    assert served == []


def test_run_in_the_reloader_child_serves_the_inherited_socket(project, served, monkeypatch):
    monkeypatch.setenv("ERLEN_RELOADER_STATE", str(project / "state.json"))
    monkeypatch.setenv("ERLEN_SERVER_FD", "7")
    monkeypatch.setattr(erlen.dev.reloader, "report_modules", lambda: served.append("reported"))
    write(project, "app.py", APP_SOURCE.format(name="child") + "\napp.run()\n")
    result = run_cli("run", "--debug")
    assert result.exit_code == 0, result.output
    assert served[0] == "reported"
    [(kind, _, _, app, options)] = served[1:]
    assert (kind, options) == ("serve", {"fd": 7, "debug": True})
    assert "Ignoring app.run()" in result.output  # the module's own app.run()


# -- app.run() (in-process, the server replaced) -----------------------------


def test_app_run_defaults(project, served):
    app = Erlen("run_app")
    app.run()
    assert served == [("serve", "127.0.0.1", 5000, app, {"debug": False})]


def test_app_run_arguments_and_environment(project, served, monkeypatch):
    monkeypatch.setenv("ERLEN_RUN_PORT", "8126")
    app = Erlen("run_app")
    app.run(host="0.0.0.0", use_reloader=False, debug=True)
    assert served == [("serve", "0.0.0.0", 8126, app, {"debug": True})]
    assert app.debug is True


def test_app_run_is_a_no_op_under_the_erlen_command(project, served, monkeypatch, capsys):
    monkeypatch.setenv("ERLEN_RUN_FROM_CLI", "true")
    Erlen("run_app").run()
    assert served == []
    assert "Ignoring app.run()" in capsys.readouterr().err


def test_app_run_debug_supervises_this_program(project, served):
    app = Erlen("run_app")
    with pytest.raises(SystemExit) as raised:
        app.run(debug=True, port=8127, extra_files=["x.cfg"])
    assert raised.value.code == 0
    [(kind, argv, options)] = served
    assert kind == "reload"
    assert argv == [sys.executable, *sys.orig_argv[1:]]
    assert options == {
        "host": "127.0.0.1",
        "port": 8127,
        "watch": [app.root_path],
        "extra_files": ["x.cfg"],
    }


def test_app_run_in_the_reloader_child(project, served, monkeypatch):
    monkeypatch.setenv("ERLEN_RELOADER_STATE", str(project / "state.json"))
    monkeypatch.setenv("ERLEN_SERVER_FD", "9")
    monkeypatch.setattr(erlen.dev.reloader, "report_modules", lambda: None)
    app = Erlen("run_app")
    app.run(debug=True)
    assert served == [("serve", "127.0.0.1", 5000, app, {"fd": 9, "debug": True})]


def test_app_run_rejects_unknown_options(project, served):
    with pytest.raises(TypeError, match="does not know: use_colours"):
        Erlen("run_app").run(use_colours=True)
    assert served == []


def test_app_run_takes_flasks_options(project, served):
    app = Erlen("run_app")
    app.run(
        use_reloader=False,
        use_debugger=True,
        use_evalex=True,
        threaded=True,
        processes=1,
        reloader_type="stat",
        reloader_interval=1,
        debug=True,
    )
    assert served == [("serve", "127.0.0.1", 5000, app, {"debug": True})]
    assert app.config["PROPAGATE_EXCEPTIONS"] is None  # the debug page answers errors


@pytest.mark.parametrize("option", [{"use_debugger": False}, {"passthrough_errors": True}])
def test_app_run_without_the_debugger_raises_errors_to_the_server(project, served, option):
    app = Erlen("run_app")
    app.run(use_reloader=False, debug=True, **option)
    assert app.config["PROPAGATE_EXCEPTIONS"] is True
    assert len(served) == 1


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"ssl_context": "adhoc"}, "ssl_context is not supported"),
        ({"threaded": False}, "no single-threaded mode"),
        ({"processes": 4}, "gunicorn -w 4"),
        ({"exclude_patterns": ["*.tmp"]}, "no exclude_patterns"),
        ({"static_files": {"/s": "static"}}, "static folder"),
        ({"use_debugger": True}, "needs debug mode"),
    ],
)
def test_app_run_says_which_option_it_cannot_honour(project, served, option, message):
    with pytest.raises(ValueError, match=message):
        Erlen("run_app").run(**option)
    assert served == []


def test_app_run_loads_dotenv(project, served):
    write(project, ".env", "ERLEN_RUN_PORT=8128\n")
    Erlen("run_app").run()
    assert served[0][2] == 8128


# -- real processes ----------------------------------------------------------


def _erlen(port, *args):
    return [sys.executable, "-m", "erlen", *args, "--port", str(port)]


@pytest.mark.server
def test_erlen_run_serves_the_app_once(tmp_path):
    # The module also calls app.run() unguarded: under `erlen run` that must
    # not start a second server (it would take the port, or block forever).
    write(tmp_path, "app.py", APP_SOURCE.format(name="erlen run") + "\napp.run()\n")
    server = ServerProcess(
        lambda port: _erlen(port, "run"),
        cwd=tmp_path,
        env=server_env(),
        log_path=tmp_path / "server.log",
        ready_marker=" * Serving",
    )
    server.start()
    connection = server.connection()
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"hello from erlen run")
        connection.request("POST", "/items/5")
        response = connection.getresponse()
        assert response.read() == b'{"iid":5}\n'
        log = server.log()
        assert f"http://127.0.0.1:{server.port}/" in log
        assert "development server" in log
        assert "Ignoring app.run()" in log
    finally:
        connection.close()
        server.stop()


@pytest.mark.server
@pytest.mark.parametrize("reload", [False, True])
def test_erlen_run_on_a_busy_port(tmp_path, reload):
    write(tmp_path, "app.py", APP_SOURCE.format(name="busy"))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        args = ["run", "--reload"] if reload else ["run"]
        result = subprocess.run(
            _erlen(port, *args),
            cwd=tmp_path,
            env=server_env(),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is in use by another program" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


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
        ready_marker=" * Serving",
    )
    server.start()
    try:
        status, _, body = server.get()
        assert (status, body) == (200, "hello from python app.py")
    finally:
        server.stop()


RELOAD_SOURCE = """
import os
from erlen import Erlen, render_template

open(os.path.join(os.path.dirname(__file__), "imports.txt"), "a").write("imported\\n")
app = Erlen(__name__)

@app.route("/")
def index():
    return "{text}"

@app.route("/page")
def page():
    return render_template("page.html")
"""


def _imports(folder):
    return (folder / "imports.txt").read_text().splitlines()


@pytest.mark.server
@pytest.mark.parametrize(("flag", "method"), [("--reload", "poll"), ("--debug", "auto")])
def test_erlen_run_reloads_on_changes(tmp_path, flag, method):
    write(tmp_path, "app.py", RELOAD_SOURCE.format(text="version one"))
    write(tmp_path, "templates/page.html", "template one")
    server = ServerProcess(
        lambda port: _erlen(port, "run", flag),
        cwd=tmp_path,
        env=server_env(ERLEN_RELOADER=method),
        log_path=tmp_path / "server.log",
        ready_marker=" * Serving",
    )
    server.start()
    try:
        server.wait_for_body("version one")
        server.wait_for_body("template one", "/page")
        # Once per child that served; never in the supervisor.
        assert _imports(tmp_path) == ["imported"]

        write(tmp_path, "app.py", RELOAD_SOURCE.format(text="version two, longer"))
        server.wait_for_body("version two, longer")
        assert len(_imports(tmp_path)) == server.log().count(" * Serving") >= 2

        write(tmp_path, "templates/page.html", "template two, longer")
        server.wait_for_body("template two, longer", "/page")

        write(tmp_path, "app.py", "def broken(:\n")
        server.wait_for_log("SyntaxError")
        server.wait_for_log("The app stopped")  # the supervisor saw the child exit
        assert server.process is not None and server.process.poll() is None  # still watching

        write(tmp_path, "app.py", RELOAD_SOURCE.format(text="version three, fixed"))
        server.wait_for_body("version three, fixed")
        assert len(_imports(tmp_path)) == server.log().count(" * Serving")
    finally:
        server.stop()


@pytest.mark.server
def test_python_app_py_with_debug_reloads(tmp_path):
    write(
        tmp_path,
        "app.py",
        RELOAD_SOURCE.format(text="script one") + "\nif __name__ == '__main__':\n    import sys\n"
        "    app.run(port=int(sys.argv[1]), debug=True)\n",
    )
    server = ServerProcess(
        lambda port: [sys.executable, "app.py", str(port)],
        cwd=tmp_path,
        env=server_env(ERLEN_RELOADER="poll"),
        log_path=tmp_path / "server.log",
        ready_marker=" * Serving",
    )
    server.start()
    try:
        server.wait_for_body("script one")
        source = (tmp_path / "app.py").read_text().replace("script one", "script two, longer")
        (tmp_path / "app.py").write_text(source)
        server.wait_for_body("script two, longer")
    finally:
        server.stop()
