"""An app with typed views of every kind, for the OpenAPI tests."""

from __future__ import annotations

import datetime
from typing import Annotated

import msgspec
import pydantic
from typed_models import Color, MOrder, MPage, PItem

from erlen import Blueprint, Cookie, Created, Erlen, Form, Header, Query, abort
from erlen.datastructures import FileStorage
from erlen.views import MethodView


class NotFoundBody(msgspec.Struct):
    message: str


class Note(msgspec.Struct):
    text: str
    pinned: bool = False


def create_app() -> Erlen:
    app = Erlen("shop")
    app.config.update(
        TESTING=True,
        OPENAPI_TITLE="Shop",
        OPENAPI_VERSION="2.1",
        OPENAPI_INFO={"description": "Things to buy."},
        OPENAPI_SECURITY_SCHEMES={"bearer": {"type": "http", "scheme": "bearer"}},
    )
    orders: dict[int, MOrder] = {}

    @app.get("/")
    def index():
        return "<h1>Shop</h1>"

    @app.get("/health", include_in_schema=False)
    def health():
        return "ok"

    @app.post("/orders", responses={409: NotFoundBody}, security=[{"bearer": []}])
    def create_order(
        order: MOrder, x_request_id: Annotated[str | None, Header()] = None
    ) -> Created[MOrder]:
        """Place an order.

        The order is kept in memory.
        """
        orders[len(orders) + 1] = order
        return order

    @app.get("/orders/<int:number>", responses={404: NotFoundBody})
    def get_order(number: int) -> MOrder:
        """Read one order."""
        if number not in orders:
            abort(404)
        return orders[number]

    @app.get("/orders")
    def list_orders(
        paging: Annotated[MPage, Query()],
        color: Annotated[Color | None, Query(description="Only this color")] = None,
        since: Annotated[datetime.date | None, Query()] = None,
    ) -> list[MOrder]:
        """List orders, a page at a time."""
        found = list(orders.values())
        start = (paging.page - 1) * paging.per_page
        return found[start : start + paging.per_page]

    @app.post("/notes")
    def add_note(
        text: Annotated[str, Form()],
        attachment: Annotated[FileStorage | None, Form()] = None,
        session_id: Annotated[str | None, Cookie()] = None,
    ) -> Note:
        return Note(text=text + (f" ({attachment.filename})" if attachment else ""))

    v1 = Blueprint("v1", __name__, url_prefix="/v1")
    v2 = Blueprint("v2", __name__, url_prefix="/v2")

    @v1.post("/items")
    def create_item(item: PItem) -> Created[PItem]:
        """Add an item (v1)."""
        return item

    @v2.post("/items", tags=["items"], deprecated=False, summary="Add an item (v2)")
    def create_item_v2(item: PItem, dry_run: Annotated[bool, Query()] = False) -> Created[PItem]:
        return item

    class NoteAPI(MethodView):
        def get(self, key: str) -> Note:
            """Read a note."""
            return Note(text=key)

        def put(self, key: str, note: Note) -> Note:
            """Replace a note."""
            return note

    v2.add_url_rule("/notes/<key>", view_func=NoteAPI.as_view("note"))
    app.register_blueprint(v1)
    app.register_blueprint(v2)
    return app


app = create_app()
pydantic_version = pydantic.VERSION
