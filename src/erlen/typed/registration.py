"""Registration: deciding, once per route, whether a view is typed.

``Erlen._add_rule`` calls :func:`typed_view` for a view that has
annotations (or is a ``MethodView``); a view that turns out not to be
typed comes back as the very same object.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable

from .binding import bind
from .signature import inspect_view

__all__ = ["typed_view"]

_HTTP_METHODS = ("get", "post", "head", "options", "delete", "put", "trace", "patch")


def _describe(function: t.Any) -> str:
    module = getattr(function, "__module__", "?")
    return f"{module}.{getattr(function, '__qualname__', function)!s}()"


def typed_view(
    app: t.Any, view_func: Callable[..., t.Any], rule: t.Any, previous: t.Any = None
) -> tuple[Callable[..., t.Any], bool]:
    """Return the view to register for ``view_func`` on ``rule`` and whether it is typed.

    A view that is not typed comes back as itself.

    :param previous: the view already registered under the same endpoint, when
        the same function is registered again for another rule; the path
        variables of both rules count as path values.
    """
    converters: dict[str, t.Any] = dict.fromkeys(rule.arguments)
    converters.update(getattr(rule, "_converters", {}))
    view_class = getattr(view_func, "view_class", None)
    if view_class is not None:
        return view_func, _type_method_view(app, view_class, converters)
    spec_of_previous = getattr(previous, "_erlen_typed", None)
    original = view_func
    if spec_of_previous is not None and previous.__wrapped__ == view_func:
        for name in getattr(previous, "_erlen_path", {}):
            converters.setdefault(name, None)
    spec = inspect_view(original, converters, _describe(original))
    if spec is None:
        return view_func, False
    wrapper = bind(app, spec)
    wrapper._erlen_path = converters  # type: ignore[attr-defined]
    return wrapper, True


def _type_method_view(app: t.Any, view_class: type, converters: dict[str, t.Any]) -> bool:
    """Bind the typed methods of a MethodView class (``get``, ``post`` ...)."""
    from ..views import MethodView

    if not issubclass(view_class, MethodView):
        return False
    typed: dict[str, Callable[..., t.Any]] = {}
    for name in _HTTP_METHODS:
        function = getattr(view_class, name, None)
        if function is None:
            continue
        spec = inspect_view(function, converters, _describe(function), skip_first=True)
        if spec is not None:
            typed[name] = bind(app, spec)
    if typed:
        view_class._typed_methods = typed  # type: ignore[attr-defined]
    return bool(typed)
