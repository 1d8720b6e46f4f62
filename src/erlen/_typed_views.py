"""What ``Erlen._add_rule`` needs for typed views, without loading them.

:func:`may_be_typed` tells, from a view's annotations alone, whether
:mod:`erlen.typed` should look at it; only then is that package imported.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable

__all__ = ["OPENAPI_OPTIONS", "may_be_typed", "typed_or_same"]

#: Route options that only describe a route in the OpenAPI document.
OPENAPI_OPTIONS = frozenset(
    {"responses", "tags", "security", "deprecated", "summary", "include_in_schema"}
)

#: Annotations that never make a view typed, as objects and as the strings
#: ``from __future__ import annotations`` leaves (the static view's, say).
_PLAIN_ANNOTATIONS = frozenset(
    {str, int, float, bool, bytes, dict, list, None, type(None), t.Any}
    | {"str", "int", "float", "bool", "bytes", "dict", "list", "None", "Response"}
    | {"t.Any", "typing.Any", "Any", "ResponseReturnValue", "ft.ResponseReturnValue"}
)


def may_be_typed(view: t.Any) -> bool:
    """Whether a view may be typed; ``False`` is certain, ``True`` is looked at closely."""
    if hasattr(view, "view_class"):
        return True
    annotations = getattr(view, "__annotations__", None)
    if not annotations:
        return False
    try:
        return not all(value in _PLAIN_ANNOTATIONS for value in annotations.values())
    except TypeError:  # an unhashable annotation: let erlen.typed look
        return True


def typed_or_same(
    app: t.Any, view_func: Callable[..., t.Any], rule: t.Any, existing: t.Any
) -> Callable[..., t.Any]:
    """Return the typed view for ``view_func``, or ``view_func`` itself.

    The app's first typed view also adds the OpenAPI document's routes.
    """
    from .typed.registration import typed_view

    view_func, typed = typed_view(app, view_func, rule, existing)
    if typed and "_has_typed_views" not in app.__dict__:
        app.__dict__["_has_typed_views"] = True
        from .openapi.routes import add_openapi_routes

        add_openapi_routes(app)
    return view_func
