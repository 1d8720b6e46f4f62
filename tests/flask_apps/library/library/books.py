"""Pages about books: generic class-based views with options."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.views import View

from library.auth import login_required
from library.store import get_store

bp = Blueprint("books", __name__, url_prefix="/books")


class BookList(View):
    """The catalogue, a page at a time (?page=2)."""

    init_every_request = False

    def __init__(self, template="books/list.html"):
        self.template = template

    def dispatch_request(self):
        per_page = current_app.config["BOOKS_PER_PAGE"]
        page = request.args.get("page", 1, type=int)
        books = sorted(get_store().books.values(), key=lambda book: book["title"])
        shown = books[(page - 1) * per_page : page * per_page]
        if page > 1 and not shown:
            abort(404)
        return render_template(self.template, books=shown, page=page)


class BookDetail(View):
    methods = ["GET", "POST"]
    decorators = [login_required]

    def dispatch_request(self, id):
        book = get_store().books.get(id) or abort(404, f"There is no book {id}.")
        if request.method == "POST":
            if book["borrower"] is not None:
                flash(f"{book['title']} is out already.", "error")
            else:
                book["borrower"] = g.user
                flash(f"You borrowed {book['title']}.", "info")
                return redirect(url_for(".detail", id=id))
        return render_template("books/detail.html", book=book)


@bp.before_request
def set_section():
    g.section = "Books"


bp.add_url_rule("/", view_func=BookList.as_view("list"))
bp.add_url_rule("/<int:id>", view_func=BookDetail.as_view("detail"))
