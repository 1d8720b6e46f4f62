"""erlen.cli offers flask.cli's API: the names, their parameters, and their behaviour.

What is about the command line runs ``python -m erlen`` or a project's own
script in a real process; the rest runs in-process through Click's runner.
"""

from __future__ import annotations

import inspect
import os
import ssl
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import erlen.cli
import erlen.dev.reloader
import erlen.dev.server
from erlen import Erlen, current_app, g, has_app_context
from erlen.cli import (
    CertParamType,
    ErlenGroup,
    NoAppException,
    ScriptInfo,
    SeparatedPathType,
    find_app_by_string,
    find_best_app,
    load_dotenv,
    locate_app,
    main,
    pass_script_info,
    prepare_import,
    routes_command,
    run_command,
    shell_command,
    show_server_banner,
    with_appcontext,
)
from servers import server_env

APP_SOURCE = """
import click
from erlen import Erlen, current_app

app = Erlen(__name__)

@app.route("/")
def index():
    return "hi"

@app.cli.command("hello")
def hello():
    click.echo(f"hello from {current_app.name}")
"""

MANAGE_SOURCE = """
import click
from erlen import Erlen, current_app
from erlen.cli import ErlenGroup, with_appcontext

def create_app():
    app = Erlen("wiki")
    app.add_url_rule("/pages", "pages", lambda: "pages")

    @app.cli.command("init-db")
    def init_db():
        click.echo(f"init-db in {current_app.name}")

    return app

cli = ErlenGroup(create_app=create_app, help="Manage the wiki.")

@cli.command()
@with_appcontext
def stats():
    click.echo(f"stats of {current_app.name}, debug={current_app.debug}")

if __name__ == "__main__":
    cli()
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder to work in; its modules, sys.path and environment are restored after."""
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


@pytest.fixture
def served(monkeypatch):
    """Record run_simple and run_with_reloader calls instead of serving."""
    calls = []
    monkeypatch.setattr(
        erlen.dev.server,
        "run_simple",
        lambda host, port, app, **options: calls.append(("serve", host, port, app, options)),
    )
    monkeypatch.setattr(
        erlen.dev.reloader,
        "run_with_reloader",
        lambda argv, **options: calls.append(("reload", argv, options)) or 0,
    )
    monkeypatch.delenv("ERLEN_SERVER_FD", raising=False)
    monkeypatch.delenv("ERLEN_RELOADER_STATE", raising=False)
    return calls


def write(folder, name, source):
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def invoke(command, *args, **kwargs):
    return CliRunner().invoke(command, list(args), **kwargs)


def listed_commands(help_text):
    """The command names a --help output lists."""
    lines = help_text.split("Commands:\n")[1].splitlines()
    return [line.split()[0] for line in lines if line.startswith("  ") and line.strip()]


def run(args, cwd, *paths, **env):
    """Run a real process (``python -m erlen ...`` or a script) in ``cwd``."""
    environ = server_env(*paths, **env)
    for name in [name for name in environ if name.startswith("ERLEN_")]:
        if name not in env:
            del environ[name]
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=60
    )


# -- the names and their parameters ------------------------------------------

#: flask.cli's public names, Flask -> Erlen, and the parameters Flask 3.1 gives them.
FLASK_SIGNATURES = {
    "find_best_app": ["module"],
    "find_app_by_string": ["module", "app_name"],
    "prepare_import": ["path"],
    "locate_app": ["module_name", "app_name", "raise_if_not_found"],
    "get_version": ["ctx", "param", "value"],
    "load_dotenv": ["path", "load_defaults"],
    "show_server_banner": ["debug", "app_import_path"],
    "with_appcontext": ["f"],
}
FLASK_CLASSES = {
    "ScriptInfo": ["app_import_path", "create_app", "set_debug_flag", "load_dotenv_defaults"],
    "ErlenGroup": [
        "add_default_commands",
        "create_app",
        "add_version_option",
        "load_dotenv",
        "set_debug_flag",
        "extra",
    ],
    "CertParamType": [],
    "SeparatedPathType": [],
    "AppGroup": [],
    "NoAppException": [],
}


def _parameters(function):
    return [name for name in inspect.signature(function).parameters if name != "self"]


@pytest.mark.parametrize(("name", "expected"), sorted(FLASK_SIGNATURES.items()))
def test_functions_take_flasks_parameters_in_flasks_order(name, expected):
    assert name in erlen.cli.__all__
    assert _parameters(getattr(erlen.cli, name))[: len(expected)] == expected


@pytest.mark.parametrize(("name", "expected"), sorted(FLASK_CLASSES.items()))
def test_classes_take_flasks_parameters_in_flasks_order(name, expected):
    assert name in erlen.cli.__all__
    cls = getattr(erlen.cli, name)
    if expected:
        assert _parameters(cls.__init__)[: len(expected)] == expected


def test_extra_parameters_come_after_flasks_with_defaults():
    info = inspect.signature(ScriptInfo).parameters
    assert info["app"].kind is inspect.Parameter.KEYWORD_ONLY and info["app"].default is None
    run_parameters = inspect.signature(run_command.callback).parameters
    assert list(run_parameters)[:9] == [
        "info",
        "host",
        "port",
        "reload",
        "debugger",
        "with_threads",
        "cert",
        "extra_files",
        "exclude_patterns",
    ]
    assert run_parameters["asgi"].default is None


def test_commands_and_main():
    for command in (run_command, shell_command, routes_command):
        assert isinstance(command, click.Command)
    assert erlen.cli.cli is main and isinstance(main, ErlenGroup)
    assert {"run", "shell", "routes"} <= set(main.commands)
    options = {option for param in run_command.params for option in param.opts}
    assert {
        "--host",
        "-h",
        "--port",
        "-p",
        "--cert",
        "--key",
        "--reload",
        "--debugger",
        "--with-threads",
        "--extra-files",
        "--exclude-patterns",
        "--debug",
    } <= options


def test_group_methods_take_flasks_parameters():
    assert _parameters(ErlenGroup.get_command) == ["ctx", "name"]
    assert _parameters(ErlenGroup.list_commands) == ["ctx"]
    assert _parameters(ErlenGroup.make_context)[:3] == ["info_name", "args", "parent"]
    assert _parameters(ErlenGroup.parse_args) == ["ctx", "args"]


# -- ScriptInfo and pass_script_info -----------------------------------------


def test_script_info_attributes(project, monkeypatch):
    def factory():
        return Erlen("made")

    info = ScriptInfo("site:app", factory)
    assert info.app_import_path == "site:app"
    assert info.create_app is factory
    assert info.data == {}
    assert info.set_debug_flag is True and info.load_dotenv_defaults is True
    assert ScriptInfo(load_dotenv_defaults=False).load_dotenv_defaults is False
    monkeypatch.setenv("ERLEN_SKIP_DOTENV", "1")
    assert ScriptInfo().load_dotenv_defaults is False


def test_script_info_loads_the_app_once_from_its_import_path(project):
    write(project, "site_a.py", APP_SOURCE)
    info = ScriptInfo(app_import_path="site_a.py:app")
    app = info.load_app()
    assert isinstance(app, Erlen) and app.name == "site_a"
    assert info.load_app() is app


def test_script_info_applies_erlen_debug_unless_told_not_to(project, monkeypatch):
    monkeypatch.setenv("ERLEN_DEBUG", "1")

    def create_app():
        app = Erlen("a")  # a new app reads ERLEN_DEBUG itself, as Flask's does
        app.debug = False
        return app

    assert ScriptInfo(create_app=create_app).load_app().debug is True
    assert ScriptInfo(create_app=create_app, set_debug_flag=False).load_app().debug is False


def test_script_info_factory_that_returns_no_app(project):
    def create_app():
        return "not an app"

    with pytest.raises(NoAppException) as raised:
        ScriptInfo(create_app=create_app).load_app()
    assert raised.value.message == (
        "create_app() returned a str, not an erlen app. End it with 'return app'."
    )


def test_pass_script_info(project):
    seen = []

    @click.command()
    @pass_script_info
    def show(info):
        seen.append(info)
        info.data["x"] = 1

    given = ScriptInfo(app_import_path="given")
    assert invoke(show, obj=given).exit_code == 0
    assert seen == [given] and given.data == {"x": 1}
    assert invoke(show).exit_code == 0  # made when there is none
    assert isinstance(seen[1], ScriptInfo) and seen[1] is not given


# -- with_appcontext ---------------------------------------------------------


def test_with_appcontext_keeps_the_context_for_subcommands(project):
    app = Erlen("grouped")

    @click.group()
    @with_appcontext
    def tools():
        g.mark = "set by the group"

    @tools.command()
    def show():
        click.echo(f"{current_app.name}: {g.mark}")

    result = invoke(tools, "show", obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    assert result.output == "grouped: set by the group\n"
    assert not has_app_context()


def test_with_appcontext_uses_an_active_app_context(project):
    outer, loaded = Erlen("outer"), []

    @click.command()
    @with_appcontext
    def show():
        click.echo(current_app.name)

    with outer.app_context():
        result = invoke(show, obj=ScriptInfo(create_app=lambda: loaded.append(1) or Erlen("x")))
    assert result.output == "outer\n" and loaded == []


# -- ErlenGroup: a project's own command -------------------------------------


def _wiki_group(**options):
    def create_app():
        app = Erlen("wiki")
        app.add_url_rule("/pages", "pages", lambda: "pages")

        @app.cli.command("init-db")
        @click.option(
            "--name",
            callback=lambda ctx, param, value: f"{value} for {current_app.name}",
        )
        def init_db(name):
            click.echo(f"init-db {name}")

        return app

    return ErlenGroup(create_app=create_app, name="wiki", **options)


def test_custom_group_runs_app_commands_and_built_ins(project):
    cli = _wiki_group()

    @cli.command()
    def stats():
        click.echo(f"stats of {current_app.name}")

    result = invoke(cli, "stats")
    assert result.exit_code == 0, result.output
    assert result.output == "stats of wiki\n"
    # The option's callback runs in the app context too.
    result = invoke(cli, "init-db", "--name", "pages")
    assert result.output == "init-db pages for wiki\n", result.output
    result = invoke(cli, "routes")
    assert "pages" in result.output and "/pages" in result.output
    assert not has_app_context()


def test_custom_group_made_by_the_click_group_decorator(project):
    def create_app():
        app = Erlen("decorated")
        app.cli.command("ping")(lambda: click.echo("pong"))
        return app

    @click.group(cls=ErlenGroup, create_app=create_app)
    def cli():
        """Manage the decorated app."""

    assert isinstance(cli, ErlenGroup)
    result = invoke(cli, "--help")
    assert "Manage the decorated app." in result.output
    assert listed_commands(result.output) == ["ping", "routes", "run", "shell"]
    assert invoke(cli, "ping").output == "pong\n"


def test_custom_group_without_defaults_or_version(project):
    cli = _wiki_group(add_default_commands=False, add_version_option=False)
    assert cli.commands == {}
    assert not any("--version" in param.opts for param in cli.params)
    result = invoke(cli, "--help")
    assert "init-db" in result.output and "routes" not in result.output


def test_custom_group_with_no_arguments_lists_the_apps_commands(project):
    result = invoke(_wiki_group())
    assert "Usage: wiki" in result.output
    assert "init-db" in result.output


def test_custom_group_load_dotenv_false_skips_the_default_files(project):
    write(project, ".env", "FROM_DOTENV=yes\n")
    cli = _wiki_group(load_dotenv=False)
    cli.command("show")(lambda: click.echo(f"{os.environ.get('FROM_DOTENV')}"))
    assert invoke(cli, "show").output == "None\n"
    assert invoke(_wiki_group(), "routes").exit_code == 0
    assert os.environ.get("FROM_DOTENV") == "yes"


def test_custom_group_set_debug_flag_false(project, monkeypatch):
    monkeypatch.setenv("ERLEN_DEBUG", "1")
    for options, debug in (({}, "True"), ({"set_debug_flag": False}, "False")):
        cli = _wiki_group(**options)

        @cli.command("debug")
        def show() -> None:
            click.echo(current_app.debug)

        # The factory's app reads ERLEN_DEBUG when made; set_debug_flag decides
        # whether the group sets it again after the factory turned it off.
        made = cli.create_app

        def create_app(made=made):
            app = made()
            app.debug = False
            return app

        cli.create_app = create_app
        assert invoke(cli, "debug").output == f"{debug}\n"


def test_make_context_gives_a_script_info_with_the_groups_settings(project):
    cli = _wiki_group(set_debug_flag=False, load_dotenv=False)
    with cli.make_context("wiki", ["routes"]) as ctx:
        info = ctx.obj
        assert isinstance(info, ScriptInfo)
        assert (info.create_app, info.set_debug_flag) == (cli.create_app, False)
        assert info.load_dotenv_defaults is False
    mine = ScriptInfo()
    with cli.make_context("wiki", ["routes"], obj=mine) as ctx:
        assert ctx.obj is mine


def test_custom_script_in_a_real_process(tmp_path):
    write(tmp_path, "manage.py", MANAGE_SOURCE)
    result = run(["manage.py", "stats"], tmp_path)
    assert (result.returncode, result.stdout) == (0, "stats of wiki, debug=False\n"), result.stderr
    result = run(["manage.py", "--debug", "stats"], tmp_path)
    assert result.stdout == "stats of wiki, debug=True\n", result.stderr
    result = run(["manage.py", "init-db"], tmp_path)
    assert result.stdout == "init-db in wiki\n", result.stderr
    result = run(["manage.py", "--help"], tmp_path)
    assert "Manage the wiki." in result.stdout
    assert listed_commands(result.stdout) == ["init-db", "routes", "run", "shell", "stats"]
    result = run(["manage.py", "--version"], tmp_path)
    assert result.stdout.startswith(f"erlen {erlen.__version__} (Python ")


def test_custom_script_run_reloads_the_script_itself(project, served):
    cli = _wiki_group()
    result = invoke(cli, "run", "--reload", "-p", "8131")
    assert result.exit_code == 0, result.output
    [(kind, argv, options)] = served
    assert kind == "reload"
    assert argv == [sys.executable, *sys.orig_argv[1:]]  # this program, not python -m erlen
    assert options["watch"] == [os.path.dirname(os.path.abspath(__file__))]
    assert options["port"] == 8131


# -- the group's options and the environment ---------------------------------


def test_erlen_debug_option_on_the_group(project):
    write(project, "app.py", APP_SOURCE + "\n@app.cli.command('debug')\ndef d():\n"
          "    click.echo(current_app.debug)\n")  # fmt: skip
    assert invoke(main, "--debug", "debug").output == "True\n"
    assert os.environ["ERLEN_DEBUG"] == "1"
    assert invoke(main, "--no-debug", "debug").output == "False\n"


def test_command_options_from_erlen_command_option_variables(project):
    write(
        project,
        "app.py",
        """
        import click
        from erlen import Erlen

        app = Erlen(__name__, static_folder=None)
        app.add_url_rule("/b", "a_first", lambda: "")
        app.add_url_rule("/a", "b_second", lambda: "")

        @app.cli.command("greet")
        @click.option("--name", default="nobody")
        def greet(name):
            click.echo(f"hello {name}")
        """,
    )
    result = invoke(main, "routes", env={"ERLEN_ROUTES_SORT": "rule"})
    assert [line.split()[0] for line in result.output.splitlines()[2:]] == ["b_second", "a_first"]
    assert invoke(main, "greet", env={"ERLEN_GREET_NAME": "env"}).output == "hello env\n"


def test_extra_files_from_the_environment(project, served):
    write(project, "app.py", APP_SOURCE)
    files = os.pathsep.join(["a.cfg", "b.cfg"])
    result = invoke(main, "run", "--reload", env={"ERLEN_RUN_EXTRA_FILES": files})
    assert result.exit_code == 0, result.output
    assert served[0][2]["extra_files"] == [str(project / "a.cfg"), str(project / "b.cfg")]


# -- commands of installed packages (entry points) ---------------------------


def test_commands_of_installed_packages(tmp_path):
    site = tmp_path / "site"
    write(
        site,
        "erlen_greet.py",
        """
        import click

        @click.command()
        def greet():
            "Say hello from a package."
            click.echo("hello from a package")

        @click.command()
        def run():
            click.echo("not the built-in run")
        """,
    )
    write(site, "erlen_greet-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: erlen-greet\n"
          "Version: 1.0\n")  # fmt: skip
    write(site, "erlen_greet-1.0.dist-info/entry_points.txt",
          "[erlen.commands]\ngreet = erlen_greet:greet\nrun = erlen_greet:run\n")  # fmt: skip
    result = run(["-m", "erlen", "greet"], tmp_path, site)
    assert (result.returncode, result.stdout) == (0, "hello from a package\n"), result.stderr
    result = run(["-m", "erlen", "--help"], tmp_path, site)
    assert "greet   Say hello from a package." in result.stdout
    result = run(["-m", "erlen", "run", "--help"], tmp_path, site)
    assert "--asgi" in result.stdout  # a package cannot replace a built-in command


# -- finding the app ---------------------------------------------------------


def test_prepare_import(project):
    write(project, "plain.py", "")
    write(project, "shop/__init__.py", "")
    write(project, "shop/web/__init__.py", "")
    write(project, "shop/web/site.py", "")
    assert prepare_import("plain.py") == "plain"
    assert sys.path[0] == os.path.realpath(project)
    sys.path.pop(0)
    assert prepare_import(str(project / "shop/web/site.py")) == "shop.web.site"
    assert sys.path[0] == os.path.realpath(project)
    assert prepare_import("shop/web/__init__.py") == "shop.web"
    assert prepare_import("shop/web") == "shop.web"
    assert sys.path.count(os.path.realpath(project)) == 1  # not added twice in a row


def test_a_file_in_a_package_imports_as_part_of_it(tmp_path):
    write(tmp_path, "shop/__init__.py", "NAME = 'the shop'\n")
    write(tmp_path, "shop/web.py", "from . import NAME\n" + APP_SOURCE.replace(
        'f"hello from {current_app.name}"', 'f"hello from {current_app.name}, {NAME}"'))  # fmt: skip
    result = run(["-m", "erlen", "--app", "shop/web.py", "hello"], tmp_path)
    assert result.stdout == "hello from shop.web, the shop\n", result.stderr


def test_locate_app(project):
    write(project, "site_b.py", APP_SOURCE + "other = Erlen('other')\n")
    assert locate_app("site_b", None).name == "site_b"
    assert locate_app("site_b", "other").name == "other"
    assert locate_app("nowhere_at_all", None, raise_if_not_found=False) is None
    with pytest.raises(NoAppException) as raised:
        locate_app("nowhere_at_all", None)
    assert "Could not import 'nowhere_at_all': no such module" in raised.value.message
    assert "Point --app (or ERLEN_APP) at your app" in raised.value.message


def test_locate_app_with_raise_if_not_found_false_still_reports_other_errors(project):
    write(project, "site_c.py", "x = 1\n")
    with pytest.raises(NoAppException, match="Found no erlen app in 'site_c'"):
        locate_app("site_c", None, raise_if_not_found=False)


def _module(name, **values):
    module = types.ModuleType(name)
    vars(module).update(values)
    return module


def test_find_best_app(project):
    app = Erlen("best")
    assert find_best_app(_module("m1", app=app, other=Erlen("x"))) is app
    assert find_best_app(_module("m2", application=app)) is app
    assert find_best_app(_module("m3", web=app)) is app
    assert find_best_app(_module("m4", create_app=lambda: app)) is app
    assert find_best_app(_module("m5", make_app=lambda: app)) is app


def test_find_best_app_in_a_module_without_an_app(project):
    with pytest.raises(NoAppException) as raised:
        find_best_app(_module("empty", x=1))
    message = raised.value.message
    assert message.startswith("Found no erlen app in 'empty'")
    assert "looked for app and application, any Erlen object, and the factories" in message
    assert "Create one with app = Erlen(__name__)." in message


def test_find_best_app_with_two_apps(project):
    with pytest.raises(NoAppException) as raised:
        find_best_app(_module("twice", one=Erlen("a"), two=Erlen("b")))
    assert raised.value.message == (
        "'twice' holds several erlen apps (one, two); name one: --app twice:app."
    )


def test_find_best_app_with_a_factory_that_needs_arguments(project):
    def create_app(config):
        return Erlen("needs")

    with pytest.raises(NoAppException) as raised:
        find_best_app(_module("factory", create_app=create_app))
    message = raised.value.message
    assert "Could not call the factory create_app() in factory" in message
    assert "missing a required argument: 'config'" in message
    assert "--app \"factory:create_app('value')\"" in message


def test_find_app_by_string(project):
    def create_app(name="default", *, debug=False):
        app = Erlen(name)
        app.debug = debug
        return app

    module = _module("strings", web=Erlen("web"), create_app=create_app, text="hi")
    assert find_app_by_string(module, "web").name == "web"
    assert find_app_by_string(module, "create_app").name == "default"
    made = find_app_by_string(module, "create_app('dev', debug=True)")
    assert (made.name, made.debug) == ("dev", True)
    with pytest.raises(NoAppException) as raised:
        find_app_by_string(module, "text")
    assert raised.value.message.startswith("'strings:text' is a str, not an erlen app.")
    assert "Point --app at the object made with app = Erlen(__name__)" in raised.value.message
    with pytest.raises(NoAppException, match="has no attribute 'missing'. It holds an erlen app"):
        find_app_by_string(module, "missing")
    with pytest.raises(NoAppException, match=r"Could not parse 'web\(' as a name or a call"):
        find_app_by_string(module, "web(")
    with pytest.raises(NoAppException, match="must be literals"):
        find_app_by_string(module, "create_app(name)")


@pytest.mark.parametrize(
    ("files", "args", "expected"),
    [
        ({"app.py": "x = 1\n"}, ["routes"], ["Found no erlen app in 'app'", "app = Erlen("]),
        (
            {"app.py": "from erlen import Erlen\none = Erlen('a')\ntwo = Erlen('b')\n"},
            ["routes"],
            ["holds several erlen apps (one, two)", "name one: --app app:app"],
        ),
        (
            {"app.py": "from erlen import Erlen\ndef create_app(config):\n    return Erlen('x')\n"},
            ["routes"],
            ["missing a required argument: 'config'", "Give its parameters defaults"],
        ),
    ],
)
def test_discovery_errors_on_the_command_line(tmp_path, files, args, expected):
    for name, source in files.items():
        write(tmp_path, name, source)
    result = run(["-m", "erlen", *args], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr


# -- .env files --------------------------------------------------------------


def test_load_dotenv(project, monkeypatch):
    write(project, ".env", "ORDER=dotenv\nFROM_DOTENV=1\n")
    write(project, ".erlenenv", "ORDER=erlenenv\nFROM_ERLENENV=1\n")
    write(project, "chosen.env", "ORDER=chosen\n")
    for name in ("ORDER", "FROM_DOTENV", "FROM_ERLENENV"):
        monkeypatch.delenv(name, raising=False)
    assert load_dotenv("chosen.env", load_defaults=False) is True
    assert (os.environ["ORDER"], os.environ.get("FROM_DOTENV")) == ("chosen", None)
    del os.environ["ORDER"]
    assert load_dotenv("chosen.env") is True
    assert (os.environ["ORDER"], os.environ["FROM_DOTENV"]) == ("chosen", "1")
    assert os.environ["FROM_ERLENENV"] == "1"
    assert load_dotenv("no-such.env", load_defaults=False) is False


def test_load_dotenv_without_python_dotenv(project, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "dotenv", None)
    write(project, "chosen.env", "X=1\n")
    assert load_dotenv("chosen.env", load_defaults=False) is False
    assert capsys.readouterr().err == (
        " * Could not load 'chosen.env': reading env files needs python-dotenv. "
        "pip install python-dotenv\n"
    )


def test_env_file_is_loaded_even_with_erlen_skip_dotenv(project):
    write(project, "app.py", APP_SOURCE + "\n@app.cli.command('env')\ndef e():\n"
          "    import os\n    click.echo(f\"{os.environ.get('A')} {os.environ.get('B')}\")\n")  # fmt: skip
    write(project, "chosen.env", "A=chosen\n")
    write(project, ".env", "B=dotenv\n")
    result = invoke(main, "-e", "chosen.env", "env", env={"ERLEN_SKIP_DOTENV": "1"})
    assert result.output == "chosen None\n", result.output


# -- get_version, show_server_banner -----------------------------------------


def test_get_version(project):
    result = invoke(main, "--version")
    assert result.exit_code == 0
    assert result.output.startswith(f"erlen {erlen.__version__} (Python ")
    with click.Context(main) as ctx:
        assert erlen.cli.get_version(ctx, None, False) is None  # not asked: nothing


def test_show_server_banner(project, monkeypatch, capsys):
    monkeypatch.delenv("ERLEN_RELOADER_STATE", raising=False)
    show_server_banner(True, "hello:app")
    assert capsys.readouterr().out == " * Serving erlen app 'hello:app'\n * Debug mode: on\n"
    show_server_banner(False, None)
    assert capsys.readouterr().out == " * Debug mode: off\n"
    monkeypatch.setenv("ERLEN_RELOADER_STATE", str(project / "state.json"))
    show_server_banner(True, "hello:app")
    assert capsys.readouterr().out == ""  # the reloader's child: said once already


# -- parameter types ---------------------------------------------------------


def test_separated_path_type(project):
    write(project, "a.cfg", "")
    paths = SeparatedPathType().convert(os.pathsep.join(["a.cfg", "b.cfg"]), None, None)
    assert paths == ["a.cfg", "b.cfg"]
    with pytest.raises(click.BadParameter, match="'b.cfg' does not exist"):
        SeparatedPathType(exists=True).convert(os.pathsep.join(["a.cfg", "b.cfg"]), None, None)


SSL_MODULE = "import ssl\ncontext = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\nnot_one = 42\n"


def test_cert_param_type(project, monkeypatch):
    write(project, "cert.pem", "")
    write(project, "tls_setup.py", SSL_MODULE)
    sys.path.insert(0, str(project))
    cert = CertParamType()
    assert cert.convert("cert.pem", None, None) == str(project / "cert.pem")
    assert isinstance(cert.convert("tls_setup:context", None, None), ssl.SSLContext)
    assert isinstance(cert.convert("tls_setup.context", None, None), ssl.SSLContext)
    spec = importlib_spec("cryptography")
    monkeypatch.setitem(sys.modules, "cryptography", spec)
    assert cert.convert("adhoc", None, None) == "adhoc"


def importlib_spec(name):
    import importlib.machinery

    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    return module


def test_cert_param_type_errors(project, monkeypatch):
    write(project, "tls_setup2.py", SSL_MODULE)
    sys.path.insert(0, str(project))
    cert = CertParamType()
    with pytest.raises(click.BadParameter) as raised:
        cert.convert("missing.pem", None, None)
    assert "'missing.pem' is not a file" in raised.value.message
    assert "Check the path of the certificate file." in raised.value.message
    with pytest.raises(click.BadParameter, match="'tls_setup2:not_one' is int, not an ssl"):
        cert.convert("tls_setup2:not_one", None, None)
    monkeypatch.setitem(sys.modules, "cryptography", None)  # as if not installed
    with pytest.raises(click.BadParameter, match="needs the cryptography package: pip install"):
        cert.convert("adhoc", None, None)


# -- erlen run: Flask's options ----------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--cert", "cert.pem", "--key", "key.pem"],
            ["erlen run serves plain HTTP only", "--cert and --key are not supported",
             "uvicorn app:app --ssl-certfile cert.pem --ssl-keyfile key.pem"],
        ),
        (["--key", "key.pem"], ["--cert and --key are not supported"]),
        (
            ["--cert", "missing.pem"],
            ["'missing.pem' is not a file", "Check the path of the certificate file",
             "erlen run serves plain HTTP only"],
        ),
        (
            ["--without-threads"],
            ["no single-threaded mode", "--without-threads is not supported. Leave it out."],
        ),
        (
            ["--exclude-patterns", "*.tmp"],
            ["erlen's reloader has no --exclude-patterns", "use --no-reload"],
        ),
        (
            ["--debugger"],
            ["--debugger needs debug mode: use --debug (or ERLEN_DEBUG=1) instead"],
        ),
    ],
)  # fmt: skip
def test_run_refuses_what_erlen_cannot_do(tmp_path, args, expected):
    write(tmp_path, "app.py", APP_SOURCE + "raise SystemExit('the app must not load')\n")
    write(tmp_path, "cert.pem", "")
    write(tmp_path, "key.pem", "")
    result = run(["-m", "erlen", "run", *args], tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "must not load" not in result.stderr
    message = " ".join(result.stderr.split())
    for text in expected:
        assert text in message


@pytest.mark.parametrize("args", [["--with-threads"], ["--debug", "--debugger"], ["--no-debugger"]])
def test_run_takes_flasks_options_it_can_honour(project, served, args):
    write(project, "app.py", APP_SOURCE)
    result = invoke(main, "run", "--no-reload", *args)
    assert result.exit_code == 0, result.output
    assert served[0][0] == "serve"


def test_run_no_debugger_leaves_errors_to_the_server(project, served):
    write(project, "app.py", APP_SOURCE + "\n@app.route('/fail')\ndef fail():\n    1 / 0\n")
    result = invoke(main, "run", "--debug", "--no-reload", "--no-debugger")
    assert result.exit_code == 0, result.output
    app = served[0][3]
    assert app.debug is True
    assert app.config["PROPAGATE_EXCEPTIONS"] is True  # no debug page: the server answers 500
    with pytest.raises(ZeroDivisionError):
        app.test_client().get("/fail")


def test_run_with_debugger_keeps_the_debug_page(project, served):
    write(project, "app.py", APP_SOURCE)
    invoke(main, "run", "--debug", "--no-reload")
    assert served[0][3].config["PROPAGATE_EXCEPTIONS"] is None


# -- shell and routes --------------------------------------------------------


class ShellApp(Erlen):
    def make_shell_context(self):
        return {"app": self, "g": g, "answer": 42}


def test_shell_uses_the_apps_shell_context(project):
    app = ShellApp("shelled")
    result = app.test_cli_runner().invoke(shell_command, input="print('answer:', answer)\n")
    assert result.exit_code == 0, result.output
    assert "answer: 42" in result.output
    assert "The app context is active; ready: answer, app, g." in result.output


def test_shell_of_a_plain_app_has_app_and_g(project):
    app = Erlen("plain_shell")
    result = app.test_cli_runner().invoke(shell_command, input="print(app.name, g.__class__)\n")
    assert result.exit_code == 0, result.output
    assert "plain_shell <class" in result.output
    assert "ready: app, g." in result.output


class _Map:
    def __init__(self, rules, host_matching=False):
        self.rules, self.host_matching = rules, host_matching

    def iter_rules(self):
        return iter(self.rules)


def _rule(endpoint, rule, **domain):
    return types.SimpleNamespace(
        endpoint=endpoint, rule=rule, methods={"GET", "HEAD", "OPTIONS"}, **domain
    )


def _routes(url_map, *args):
    app = Erlen("routed")
    app.url_map = url_map
    result = app.test_cli_runner().invoke(routes_command, list(args))
    assert result.exit_code == 0, result.output
    return [line.split() for line in result.output.splitlines()]


def test_routes_shows_subdomains(project):
    url_map = _Map([_rule("b", "/x", subdomain="api"), _rule("a", "/y", subdomain="")])
    lines = _routes(url_map, "--sort", "domain")
    assert lines[0] == ["Endpoint", "Methods", "Subdomain", "Rule"]
    assert lines[2:] == [["a", "GET", "/y"], ["b", "GET", "api", "/x"]]


def test_routes_shows_hosts_under_host_matching(project):
    url_map = _Map([_rule("b", "/", host="b.example"), _rule("a", "/", host="a.example")], True)
    lines = _routes(url_map, "--sort", "domain")
    assert lines[0] == ["Endpoint", "Methods", "Host", "Rule"]
    assert lines[2:] == [["a", "GET", "a.example", "/"], ["b", "GET", "b.example", "/"]]


def test_routes_without_domains_has_no_domain_column(project):
    lines = _routes(_Map([_rule("b", "/x"), _rule("a", "/y")]), "--sort", "domain")
    assert lines[0] == ["Endpoint", "Methods", "Rule"]
    assert [line[0] for line in lines[2:]] == ["b", "a"]  # no domain to sort by: match order
