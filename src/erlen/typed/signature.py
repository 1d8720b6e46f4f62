"""Reading a view's signature, once, at registration.

:func:`inspect_view` says whether a view is typed and, if it is, where
each parameter's value comes from (:class:`ViewSpec`). It imports no
validation library: a type is a ``Struct`` or a ``BaseModel`` only if its
library is already in ``sys.modules``.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing as t
import uuid

from .adapters import installed, library_of
from .params import Body, Param, _Status

__all__ = ["ParamSpec", "ViewSpec", "inspect_view", "is_model"]

_EMPTY = inspect.Parameter.empty


@dataclasses.dataclass
class ParamSpec:
    """One parameter of a typed view and where its value comes from."""

    name: str
    #: "path", "query", "header", "cookie", "form", "body" or "file".
    source: str
    type: t.Any
    #: The name on the wire (query key, header, cookie, form field).
    wire: str
    default: t.Any = _EMPTY
    marker: Param | None = None
    #: Whether the value is a model filled from several fields (query or form).
    model: bool = False
    #: Whether a path value is converted again, from the converter's string.
    convert: bool = False

    @property
    def required(self) -> bool:
        return self.default is _EMPTY


@dataclasses.dataclass
class ViewSpec:
    """What registration learned from a typed view's signature."""

    function: t.Callable[..., t.Any]
    params: list[ParamSpec]
    #: The body's type in the answer, or ``None`` when the view does not say.
    returns: t.Any = None
    status: int = 200
    #: "msgspec" or "pydantic": the library of the view's parameters.
    library: str = "msgspec"


def _bare(tp: t.Any) -> t.Any:
    """Return ``tp`` without ``Annotated[...]`` (constraints such as msgspec's ``Meta``)."""
    while t.get_origin(tp) is t.Annotated:
        tp = t.get_args(tp)[0]
    return tp


def _strip_optional(tp: t.Any) -> t.Any:
    """Return the type under ``X | None`` and ``Annotated``, for telling what ``tp`` is."""
    tp = _bare(tp)
    args = t.get_args(tp)
    if args and type(None) in args and _is_union(tp):
        rest = [arg for arg in args if arg is not type(None)]
        if len(rest) == 1:
            return _bare(rest[0])
    return tp


def _is_union(tp: t.Any) -> bool:
    return t.get_origin(tp) is t.Union or isinstance(tp, types.UnionType)


def is_model(tp: t.Any) -> bool:
    """Whether ``tp`` is a model: a Struct, a BaseModel, a dataclass or a TypedDict."""
    if not isinstance(tp, type) or t.get_origin(tp) is not None:
        return False
    if library_of(tp) is not None:
        return True
    return dataclasses.is_dataclass(tp) or t.is_typeddict(tp)


def _has_model(tp: t.Any) -> bool:
    """Whether ``tp`` is a model, or a list, union or optional of models."""
    tp = _bare(tp)
    if is_model(tp):
        return True
    origin = t.get_origin(tp)
    if origin in (list, tuple, set, frozenset) or _is_union(tp):
        return any(_has_model(arg) for arg in t.get_args(tp) if arg is not type(None))
    return False


def _split_annotated(annotation: t.Any) -> tuple[t.Any, Param | None]:
    """Return the type and the marker; other metadata (``Meta(ge=1)``) stays on the type."""
    if t.get_origin(annotation) is not t.Annotated:
        return annotation, None
    tp, *extras = t.get_args(annotation)
    marker: Param | None = None
    rest = []
    for extra in extras:
        if isinstance(extra, Param):
            marker = extra
        elif isinstance(extra, type) and issubclass(extra, Param):
            marker = extra()
        else:
            rest.append(extra)
    if rest:
        metadata = (tp, *rest)
        tp = t.Annotated[metadata]  # type: ignore[valid-type]  # Annotated[x, y] is Annotated[(x, y)]
    return tp, marker


def _hints(function: t.Callable[..., t.Any]) -> tuple[dict[str, t.Any], list[str]]:
    """Return the view's resolved annotations and the names that did not resolve."""
    try:
        return t.get_type_hints(function, include_extras=True), []
    except Exception:  # one unresolvable name: resolve the others alone
        pass
    raw = dict(getattr(function, "__annotations__", {}))
    namespace = getattr(inspect.unwrap(function), "__globals__", {})
    hints: dict[str, t.Any] = {}
    failed: list[str] = []
    for name, value in raw.items():
        if isinstance(value, str):
            try:
                value = eval(value, namespace)  # the view's own annotation
            except Exception:
                failed.append(name)
                continue
        hints[name] = value
    return hints, failed


_CONVERTED = {"int": int, "float": float, "uuid": uuid.UUID}


def _check_path_type(view: str, name: str, tp: t.Any, converter: t.Any) -> bool:
    """Raise if a path parameter's annotation disagrees with its URL converter.

    Return whether the converter's string still has to be converted to the
    annotation's type (an enum, a date ... read from a string part).
    """
    if converter is None or tp is t.Any or tp is object:
        return False
    from ..http import converters

    expected: t.Any = None
    for kind, python_type in _CONVERTED.items():
        if type(converter).__name__.lower().startswith(kind):
            expected = python_type
    if isinstance(converter, (converters.UnicodeConverter, converters.PathConverter)):
        expected = str
    if expected is None:
        return False  # a custom converter: it knows what it returns
    if isinstance(tp, type) and t.get_origin(tp) is None and issubclass(expected, tp):
        return False
    if expected is str:
        return True  # Color, datetime.date, Literal[...]: the library reads the string
    raise TypeError(
        f"The view {view} annotates its URL parameter {name!r} as "
        f"{getattr(tp, '__name__', tp)}, but "
        f"the rule's converter gives {expected.__name__}. Change the annotation to "
        f"{expected.__name__}, or the rule's converter (<int:{name}>, <float:{name}>, "
        f"<uuid:{name}>, <{name}> for a string)."
    )


def inspect_view(
    function: t.Callable[..., t.Any],
    path_converters: dict[str, t.Any],
    view: str,
    *,
    skip_first: bool = False,
) -> ViewSpec | None:
    """Return how to call ``function`` as a typed view, or ``None`` if it is not one.

    :param path_converters: the rule's variables, each with its converter
        (``None`` for a value that comes from the rule's defaults).
    :param view: how error messages name the view.
    :param skip_first: leave out the first parameter (a method's ``self``).
    """
    if not (inspect.isfunction(function) or inspect.ismethod(function)):
        return None  # a callable object, a partial: its annotations are not its signature's
    if not getattr(function, "__annotations__", None):
        return None
    hints, failed = _hints(function)
    signature = inspect.signature(function)
    parameters = list(signature.parameters.values())
    if skip_first:
        parameters = parameters[1:]
    typed = False
    found: list[tuple[inspect.Parameter, t.Any, Param | None]] = []
    for parameter in parameters:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        annotation = hints.get(parameter.name, _EMPTY)
        tp, marker = _split_annotated(annotation)
        if marker is not None or (
            parameter.name not in path_converters and _has_model(_strip_optional(tp))
        ):
            typed = True
        found.append((parameter, tp, marker))
    returns = hints.get("return", _EMPTY)
    status = 200
    if isinstance(t.get_origin(returns), type) and issubclass(t.get_origin(returns), _Status):
        status = t.get_origin(returns).status
        returns = t.get_args(returns)[0]
        typed = True
    elif returns is not _EMPTY and _has_model(returns):
        typed = True
    else:
        returns = None if returns is _EMPTY or returns is None else returns
    if not typed:
        blind = [
            parameter.name
            for parameter, _, _ in found
            if parameter.name in failed
            and parameter.name not in path_converters
            and parameter.default is _EMPTY
        ]
        if blind:
            # Such a view could never be called: say why now, not with a 500 later.
            raise TypeError(
                f"The view {view} takes {', '.join(map(repr, blind))}, whose annotation "
                "does not resolve, so erlen cannot tell where its value comes from. "
                "Import the names the annotation uses at module level (a class defined "
                "inside a function cannot be named in a string annotation)."
            )
        return None
    library = _pick_library(view, [tp for _, tp, _ in found] + [returns])
    if library is None:
        return None  # only dataclasses and TypedDicts, and no library: as a plain view
    if failed:
        raise TypeError(
            f"The typed view {view} has annotations that do not resolve: "
            f"{', '.join(failed)}. Import the names they use at module level (not only "
            "under TYPE_CHECKING), so that erlen can read them when the route is registered."
        )
    params = [
        _classify(view, parameter, tp, marker, path_converters) for parameter, tp, marker in found
    ]
    bodies = [param.name for param in params if param.source in ("body", "form", "file")]
    if len(bodies) > 1 and any(param.source == "body" for param in params):
        raise TypeError(
            f"The typed view {view} takes more than one request body ({', '.join(bodies)}). "
            "A request has one body: put the fields in one model."
        )
    return ViewSpec(function, params, returns, status, library)


def _pick_library(view: str, types: list[t.Any]) -> str | None:
    for tp in types:
        library = library_of(tp)
        if library is not None:
            return library
    for library in ("msgspec", "pydantic"):
        if installed(library):
            return library
    return None


def _classify(
    view: str,
    parameter: inspect.Parameter,
    tp: t.Any,
    marker: Param | None,
    path_converters: dict[str, t.Any],
) -> ParamSpec:
    name = parameter.name
    default = parameter.default
    if tp is _EMPTY:
        tp = t.Any
    if name in path_converters and marker is None:
        if _check_path_type(view, name, _strip_optional(tp), path_converters[name]):
            return ParamSpec(name, "path", tp, name, default, model=False, convert=True)
        return ParamSpec(name, "path", tp, name, default)
    if marker is None:
        if _has_model(_strip_optional(tp)):
            marker = Body()
        elif default is not _EMPTY:
            return ParamSpec(name, "keep", tp, name, default)
        else:
            raise TypeError(
                f"The typed view {view} takes {name!r}, which is not a variable of its URL "
                f"rule and whose type is not a model. Say where it comes from, for example "
                f"Annotated[{getattr(tp, '__name__', tp)!s}, Query()] for ?{name}=..., or "
                "Header() or Cookie(); or add <"
                f"{name}> to the rule."
            )
    source = marker.source
    wire = marker.alias or (name.replace("_", "-").title() if source == "header" else name)
    if source == "form":
        from ..http.datastructures import FileStorage

        if _strip_optional(tp) is FileStorage:
            return ParamSpec(name, "file", tp, wire, default, marker)
        if is_model(_strip_optional(tp)):
            return ParamSpec(name, "form", tp, wire, default, marker, model=True)
        return ParamSpec(name, "form", tp, wire, default, marker)
    if source in ("query", "header", "cookie") and is_model(_strip_optional(tp)):
        return ParamSpec(name, source, tp, wire, default, marker, model=True)
    return ParamSpec(name, source, tp, wire, default, marker)
