import os

import click
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from erlen import Erlen, abort, g, request


class Base(DeclarativeBase):
    pass


class Book(Base):
    __tablename__ = "book"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(100))

    def to_dict(self):
        return {"id": self.id, "title": self.title, "author": self.author}


app = Erlen(__name__)
# SQLite in the instance folder unless DATABASE_URL says otherwise, such as
# ERLEN_DATABASE_URL=postgresql+psycopg://user:password@localhost/books
app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "books.db")
app.config.from_prefixed_env()


def get_engine():
    # One engine (and its connection pool) per app, made on first use.
    if "engine" not in app.extensions:
        engine = create_engine(app.config["DATABASE_URL"])
        if engine.url.get_backend_name() == "sqlite" and engine.url.database:
            # SQLite makes the file, but not its folder (the instance folder).
            os.makedirs(os.path.dirname(os.path.abspath(engine.url.database)), exist_ok=True)
        app.extensions["engine"] = engine
        app.extensions["sessions"] = sessionmaker(engine)
    return app.extensions["engine"]


def get_session() -> Session:
    # One session per request, opened when a view first asks for it.
    if "db" not in g:
        get_engine()
        g.db = app.extensions["sessions"]()
    return g.db


@app.teardown_appcontext
def close_session(error):
    db = g.pop("db", None)
    if db is not None:
        db.close()  # rolls back anything not committed, returns the connection to the pool


@app.cli.command("init-db")
def init_db():
    """Create the tables (a real project runs its Alembic migrations instead)."""
    Base.metadata.create_all(get_engine())
    click.echo("Created the tables.")


@app.get("/books")
def list_books():
    books = get_session().scalars(select(Book).order_by(Book.title))
    return {"books": [book.to_dict() for book in books]}


@app.post("/books")
def add_book():
    data = request.get_json()
    if not isinstance(data, dict) or not data.get("title") or not data.get("author"):
        abort(400, 'Send {"title": ..., "author": ...} as JSON.')
    db = get_session()
    book = Book(title=data["title"], author=data["author"])
    db.add(book)
    db.commit()
    return book.to_dict(), 201


@app.get("/books/<int:book_id>")
def get_book(book_id):
    book = get_session().get(Book, book_id)
    if book is None:
        abort(404, f"There is no book {book_id}.")
    return book.to_dict()
