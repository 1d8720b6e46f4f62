"""Typed views: values read from the request by the view's annotations.

The markers (:class:`Query`, :class:`Header`, :class:`Cookie`,
:class:`Form`, :class:`Body`) and the status annotations
(:class:`Created`, :class:`Accepted`) are also importable from ``erlen``.
The problems (:class:`ValidationProblem` ...) are what error handlers
catch. The rest loads when the first typed view is registered.
"""

from __future__ import annotations

from .params import Accepted, Body, Cookie, Created, Form, Header, Param, Query
from .problems import (
    AnswerInvalid,
    BodyNotJSON,
    BodyTooLarge,
    Problem,
    ValidationProblem,
    WrongContentType,
)

__all__ = [
    "Param",
    "Query",
    "Header",
    "Cookie",
    "Form",
    "Body",
    "Created",
    "Accepted",
    "Problem",
    "ValidationProblem",
    "BodyNotJSON",
    "BodyTooLarge",
    "WrongContentType",
    "AnswerInvalid",
]
