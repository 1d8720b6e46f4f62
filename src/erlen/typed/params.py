"""Where a typed view's values come from, and what status its answer has.

::

    from typing import Annotated
    from erlen import Query, Header, Created

    @app.post("/items")
    def create(item: Item, dry_run: Annotated[bool, Query()] = False) -> Created[Item]:
        ...

This module imports nothing heavy: ``from erlen import Query`` stays cheap.
"""

from __future__ import annotations

import typing as t

__all__ = ["Param", "Query", "Header", "Cookie", "Form", "Body", "Created", "Accepted"]

T = t.TypeVar("T")


class Param:
    """A marker saying where a parameter's value comes from.

    :param alias: the name on the wire, when it is not the parameter's own
        (``Query(alias="page-size")``; a header's default is the parameter's
        name with ``_`` as ``-``).
    :param description: shown in the OpenAPI document.
    """

    #: The OpenAPI ``in`` of the parameter, or ``"body"``.
    source: t.ClassVar[str] = ""

    __slots__ = ("alias", "description", "example")

    def __init__(
        self, alias: str | None = None, *, description: str | None = None, example: t.Any = None
    ) -> None:
        self.alias = alias
        self.description = description
        self.example = example

    def __repr__(self) -> str:
        alias = "" if self.alias is None else repr(self.alias)
        return f"{type(self).__name__}({alias})"


class Query(Param):
    """The value comes from the query string (``?limit=10``); a list takes every value."""

    source = "query"


class Header(Param):
    """The value comes from a request header; ``x_token`` reads ``X-Token``."""

    source = "header"


class Cookie(Param):
    """The value comes from a cookie of the request."""

    source = "cookie"


class Form(Param):
    """The value comes from a form body (urlencoded or multipart).

    On a model, the form's fields fill the model; on a ``FileStorage``, the
    parameter is one uploaded file; on anything else, one field.
    """

    source = "form"


class Body(Param):
    """The value is the JSON body, for types that are not models (``list[int]``)."""

    source = "body"


class _Status(t.Generic[T]):
    """A return annotation giving the response's status with its body's type."""

    status: t.ClassVar[int] = 200


class Created(_Status[T]):
    """Return annotation: the view answers 201 Created with a ``T`` body."""

    status = 201


class Accepted(_Status[T]):
    """Return annotation: the view answers 202 Accepted with a ``T`` body."""

    status = 202
