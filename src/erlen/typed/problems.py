"""Problem details (RFC 9457): the errors typed views answer with.

Each is an erlen HTTP error (so ``@app.errorhandler(422)`` catches it)
that renders ``application/problem+json``:

.. code-block:: json

    {"type": "about:blank", "title": "Unprocessable Content", "status": 422,
     "detail": "The request did not validate: 2 errors.",
     "errors": [{"loc": ["body", "price"], "msg": "Field required", "type": "missing"}]}
"""

from __future__ import annotations

import json
import typing as t

from ..http.exceptions import (
    BadRequest,
    HTTPException,
    RequestEntityTooLarge,
    UnprocessableEntity,
    UnsupportedMediaType,
)

if t.TYPE_CHECKING:
    from ..request import Request

__all__ = [
    "PROBLEM_JSON",
    "Problem",
    "ValidationProblem",
    "BodyNotJSON",
    "WrongContentType",
    "BodyTooLarge",
    "problem_schema",
    "AnswerInvalid",
]

PROBLEM_JSON = "application/problem+json"


class Problem(HTTPException):
    """An HTTP error answered as an RFC 9457 problem document."""

    #: Extra members of the document (``errors`` for a validation problem).
    extra: dict[str, t.Any] = {}  # replaced per instance, never mutated

    def problem(self) -> dict[str, t.Any]:
        """Return the problem document as a dict."""
        return {
            "type": "about:blank",
            "title": self.name,
            "status": self.code,
            "detail": self.description,
            **self.extra,
        }

    def get_body(self, request: Request | None = None) -> tuple[str, str]:
        # ensure_ascii: a lone surrogate echoed from the input stays valid JSON.
        return json.dumps(self.problem(), separators=(",", ":"), default=str), PROBLEM_JSON


class ValidationProblem(Problem, UnprocessableEntity):
    """422: values that did not fit the view's types; ``errors`` lists each."""

    def __init__(self, errors: list[dict[str, t.Any]]) -> None:
        count = len(errors)
        where = ", ".join(".".join(str(part) for part in error["loc"]) for error in errors[:3])
        super().__init__(
            f"The request did not validate: {count} error{'s' if count != 1 else ''} "
            f"({where}{', ...' if count > 3 else ''}). See 'errors' for each one."
        )
        self.errors = errors
        self.extra = {"errors": errors}


class BodyNotJSON(Problem, BadRequest):
    """400: the body was meant to be JSON and is not."""


class WrongContentType(Problem, UnsupportedMediaType):
    """415: the body's content type is not the one the view reads."""


class BodyTooLarge(Problem, RequestEntityTooLarge):
    """413: the body is over ``MAX_CONTENT_LENGTH``; nothing of it was decoded."""


def problem_schema() -> dict[str, t.Any]:
    """Return the JSON Schema of the problem documents, for the OpenAPI document."""
    return {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "loc": {
                            "type": "array",
                            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                        },
                        "msg": {"type": "string"},
                        "type": {"type": "string"},
                    },
                    "required": ["loc", "msg", "type"],
                },
            },
        },
        "required": ["type", "title", "status", "detail"],
    }


class AnswerInvalid(TypeError):
    """A view's value does not fit its return annotation (``TYPED_CHECK_ANSWERS``).

    The view's bug, not the client's: it is raised from the view, logged,
    and answered 500 (the debug page in debug mode); the client sees none
    of the value.
    """
