"""``app.test_cli_runner()``: the app's commands invoked in-process, as Flask's runner does."""

from __future__ import annotations

import click
import pytest

from erlen import Blueprint, current_app
from erlen.cli import ScriptInfo
from erlen.testing import ErlenCliRunner


@pytest.fixture
def app(app):
    @app.cli.command("greet")
    @click.argument("name")
    @click.option("--loud", is_flag=True)
    def greet(name, loud):
        text = f"hello {name} from {current_app.name}"
        click.echo(text.upper() if loud else text)

    @app.cli.command("ask")
    def ask():
        answer = click.prompt("name")
        click.echo(f"got {answer}")

    @app.cli.command("fail")
    def fail():
        raise LookupError("no such thing")

    return app


def test_invoke_runs_the_app_commands(app):
    runner = app.test_cli_runner()
    assert isinstance(runner, ErlenCliRunner)
    result = runner.invoke(args=["greet", "ada", "--loud"])
    assert (result.exit_code, result.output) == (0, "HELLO ADA FROM TEST_APP\n")
    assert runner.invoke(args="greet linus").output == "hello linus from test_app\n"


def test_invoke_passes_click_arguments_on(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["ask"], input="grace\n").output.endswith("got grace\n")
    failed = runner.invoke(args=["fail"])
    assert failed.exit_code == 1
    assert isinstance(failed.exception, LookupError)
    with pytest.raises(LookupError, match="no such thing"):
        runner.invoke(args=["fail"], catch_exceptions=False)


def test_the_script_info_loads_this_app_unless_obj_is_given(app):
    @click.command()
    @click.pass_obj
    def which(info):
        click.echo(f"{type(info).__name__} {info.load_app() is app}")

    runner = app.test_cli_runner()
    assert runner.invoke(which).output == "ScriptInfo True\n"

    other = ScriptInfo(create_app=lambda: app)
    assert runner.invoke(which, obj=other).output == "ScriptInfo True\n"


def test_blueprint_commands_are_reached(app):
    books = Blueprint("books", __name__, cli_group="books")

    @books.cli.command("count")
    def count():
        click.echo("3 books")

    app.register_blueprint(books)
    assert app.test_cli_runner().invoke(args=["books", "count"]).output == "3 books\n"


def test_test_cli_runner_class_is_used_with_its_arguments(app):
    class QuietRunner(ErlenCliRunner):
        def __init__(self, app, **kwargs):
            self.made_with = kwargs
            super().__init__(app, **kwargs)

    app.test_cli_runner_class = QuietRunner
    runner = app.test_cli_runner(env={"SHOP": "open"})
    assert isinstance(runner, QuietRunner)
    assert runner.made_with == {"env": {"SHOP": "open"}}
    assert runner.app is app
    assert runner.invoke(args=["greet", "x"]).exit_code == 0
