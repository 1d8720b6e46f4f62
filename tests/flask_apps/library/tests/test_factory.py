from flask import render_template_string
from library import create_app


def test_config():
    assert not create_app().testing
    assert create_app({"TESTING": True}).testing


def test_each_app_has_its_own_store():
    first, second = create_app(), create_app()
    first.extensions["library"].add("Middlemarch", "George Eliot")
    assert len(first.extensions["library"].books) == 4
    assert len(second.extensions["library"].books) == 3


def test_template_filter_and_context_processor(app):
    assert app.jinja_env.filters["initials"]("Ada Lovelace") == "AL"
    with app.test_request_context():
        assert render_template_string("{{ library_name }}") == "The Little Library"


def test_add_book_command(app, runner):
    result = runner.invoke(args=["add-book", "Middlemarch", "--author", "George Eliot"])
    assert result.exit_code == 0
    assert result.output == "Added book 4: Middlemarch.\n"
    assert app.extensions["library"].books[4]["author"] == "George Eliot"
