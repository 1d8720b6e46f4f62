"""The same models written for each validation library, for the typed-view tests."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import types
import typing as t

import msgspec
import pydantic


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Size(enum.IntEnum):
    SMALL = 1
    LARGE = 2


# -- msgspec -----------------------------------------------------------------


class MItem(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


class MAddress(msgspec.Struct):
    street: str
    city: str


class MOrder(msgspec.Struct):
    customer: str
    address: MAddress
    items: list[MItem]
    color: Color = Color.RED
    size: Size = Size.SMALL
    when: datetime.date | None = None
    code: int | str = 0


class MPage(msgspec.Struct):
    page: int = 1
    per_page: int = 20
    sort: list[str] = []


class MSignup(msgspec.Struct):
    user: str
    age: int
    newsletter: bool = False


# -- pydantic ----------------------------------------------------------------


class PItem(pydantic.BaseModel):
    name: str
    price: float
    tags: list[str] = []


class PAddress(pydantic.BaseModel):
    street: str
    city: str


class POrder(pydantic.BaseModel):
    customer: str
    address: PAddress
    items: list[PItem]
    color: Color = Color.RED
    size: Size = Size.SMALL
    when: datetime.date | None = None
    code: int | str = 0


class PPage(pydantic.BaseModel):
    page: int = 1
    per_page: int = 20
    sort: list[str] = []


class PSignup(pydantic.BaseModel):
    user: str
    age: int
    newsletter: bool = False


# -- neither: a dataclass and a TypedDict -----------------------------------


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Pair(t.TypedDict):
    left: str
    right: str


MODELS = {
    "msgspec": types.SimpleNamespace(
        Item=MItem, Address=MAddress, Order=MOrder, Page=MPage, Signup=MSignup
    ),
    "pydantic": types.SimpleNamespace(
        Item=PItem, Address=PAddress, Order=POrder, Page=PPage, Signup=PSignup
    ),
}
