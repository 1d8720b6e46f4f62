"""Views written under ``from __future__ import annotations``: their annotations are strings."""

from __future__ import annotations

from typing import Annotated

from typed_models import MItem

from erlen import Blueprint, Created, Query

bp = Blueprint("shop", __name__, url_prefix="/shop")


@bp.post("/items")
def create(item: MItem, dry_run: Annotated[bool, Query()] = False) -> Created[MItem]:
    """Add an item to the shop."""
    return item if not dry_run else (MItem(name="dry", price=0), 200)


@bp.get("/plain/<int:n>")
def plain(n: int) -> str:
    return str(n * 2)
