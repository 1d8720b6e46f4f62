"""A lending library: an app factory, blueprints and class-based views."""

import click
from flask import Flask, render_template

from library import api, auth, books, pages
from library.store import Store


def create_app(test_config=None):
    """Create and configure an instance of the app."""
    app = Flask(__name__)
    app.config.from_mapping(SECRET_KEY="dev", BOOKS_PER_PAGE=2)
    if test_config is not None:
        app.config.update(test_config)
    app.extensions["library"] = Store()

    app.register_blueprint(auth.bp)
    app.register_blueprint(books.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)

    app.add_url_rule("/", endpoint="index", view_func=books.BookList.as_view("index"))

    @app.errorhandler(404)
    def page_not_found(error):
        return render_template("404.html"), 404

    @app.template_filter("initials")
    def initials(name):
        return "".join(part[0] for part in name.split())

    @app.context_processor
    def library_name():
        return {"library_name": "The Little Library"}

    @app.cli.command("add-book")
    @click.argument("title")
    @click.option("--author", default="Anonymous")
    def add_book_command(title, author):
        """Add a book to the catalogue."""
        book = app.extensions["library"].add(title, author)
        click.echo(f"Added book {book['id']}: {title}.")

    return app
