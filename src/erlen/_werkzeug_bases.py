"""With the flask alias on, erlen's errors and containers also become Werkzeug's.

Flask's extensions test what they are given against Werkzeug's classes:
``except werkzeug.exceptions.NotFound``, ``isinstance(response.headers,
werkzeug.datastructures.Headers)`` (Flask-Cors), ``isinstance(field.data,
FileStorage)`` (Flask-WTF), a rule's converter against
``werkzeug.routing.IntegerConverter`` (flask-smorest), a view's return value
against ``werkzeug.wrappers.Response`` (Flask-RESTful). Python's ``except`` and ``isinstance`` look at
a class's real bases, so when Werkzeug is imported, each erlen class gets
its Werkzeug counterpart as a further base, next to the empty base erlen
keeps for this (``_HTTPExceptionBase``, ``_HeadersBase`` ...). It happens
when Werkzeug's module is imported (or at once, if it already is), never
otherwise, and :func:`unpatch` puts every class back.

erlen's own methods and attributes stay first in each class's lookup
order, so nothing erlen did changes. Between erlen's class and Werkzeug's
sits a *seam*: a class made here that keeps every name erlen used to get
from the built-in types (``dict.values``, ``Exception.__init__``) pointing
where it pointed, so a ``super()`` call in erlen never lands in Werkzeug's
code. What Werkzeug adds that erlen lacks (``Headers.add_header``,
``HTTPException.get_description``) is Werkzeug's; where that would misread
erlen's data, the seam gives a version that reads it right.
"""

from __future__ import annotations

import sys
import typing as t
from types import ModuleType

#: The Werkzeug modules whose import patches erlen's classes.
WATCHED = (
    "werkzeug.exceptions",
    "werkzeug.datastructures",
    "werkzeug.routing.exceptions",
    "werkzeug.routing.converters",
    "werkzeug.wrappers.response",
)

#: Names a class defines about itself, never copied into a seam.
_OWN = frozenset(
    (
        "__dict__",
        "__weakref__",
        "__module__",
        "__doc__",
        "__qualname__",
        "__slots__",
        "__annotations__",
        "__orig_bases__",
        "__parameters__",
        "__firstlineno__",
        "__static_attributes__",
        "__abstractmethods__",
        "_abc_impl",
    )
)

#: (erlen's class, its original bases), in the order they were changed.
_patched: list[tuple[type, tuple[type, ...]]] = []


def patch_loaded() -> None:
    """Patch for each watched Werkzeug module that is already imported."""
    for name in WATCHED:
        if name in sys.modules:
            patch(name)


def patch(module_name: str) -> None:
    """Make erlen's classes also Werkzeug's, for the Werkzeug module just imported."""
    module = sys.modules[module_name]
    pairs = _PAIRS[module_name](module)
    for ours, theirs in sorted(pairs, key=lambda pair: len(pair[0].__mro__)):
        if theirs in ours.__mro__:
            continue  # done already
        _add_base(ours, theirs)


def unpatch() -> None:
    """Give every patched class its own bases back."""
    while _patched:
        cls, bases = _patched.pop()
        cls.__bases__ = bases


def patched_classes() -> list[type]:
    """The erlen classes that have a Werkzeug base now."""
    return [cls for cls, _ in _patched]


def _add_base(ours: type, theirs: type) -> None:
    bases = ours.__bases__
    # After erlen's own bases, before any built-in one (KeyError).
    at = max(
        (i + 1 for i, base in enumerate(bases) if base.__module__.startswith("erlen.")), default=0
    )
    seam = _seam(ours, theirs)
    ours.__bases__ = (*bases[:at], seam, theirs, *bases[at:])
    _patched.append((ours, bases))


def _seam(ours: type, theirs: type) -> type:
    """The class between ``ours`` and ``theirs``: see the module's docstring."""
    namespace: dict[str, t.Any] = {"__slots__": ()}
    # What erlen got from the built-in types before any patching: Werkzeug's
    # classes and seams put in by a patched parent do not count.
    builtins = [
        cls for cls in ours.__mro__ if not cls.__module__.startswith(("erlen.", "werkzeug."))
    ]
    werkzeug = [cls for cls in theirs.__mro__ if cls.__module__.startswith("werkzeug.")]
    for name in {name for cls in werkzeug for name in vars(cls)} - _OWN:
        owner = next((cls for cls in builtins if name in vars(cls)), None)
        if owner is not None:
            namespace[name] = vars(owner)[name]
    namespace.update(_FIXES.get(ours.__name__, {}))
    return type(f"_{ours.__name__}Seam", (), namespace)


# -- what Werkzeug adds that would misread erlen's data -------------------------


def _listvalues(self: t.Any) -> t.Iterator[list[t.Any]]:
    return (self.getlist(key) for key in self)


def _popitemlist(self: t.Any) -> tuple[t.Any, list[t.Any]]:
    for key in self:
        return key, self.poplist(key)
    from .http.exceptions import BadRequestKeyError

    raise BadRequestKeyError("popitemlist(): the dictionary is empty")


def _setlistdefault(self: t.Any, key: t.Any, default_list: t.Any = None) -> list[t.Any]:
    if key not in self:
        self.setlist(key, list(default_list or ()))
    return self.getlist(key)  # type: ignore[no-any-return]


def _setstate(self: t.Any, state: t.Any) -> None:
    # What unpickling does without __setstate__ (Werkzeug's would store lists as values).
    self.__dict__.update(state)


def _content_length(self: t.Any) -> int:
    headers = self.headers
    try:
        return int((headers.get("Content-Length") if headers is not None else None) or 0)
    except ValueError:
        return 0


def _stream_getattr(self: t.Any, name: str) -> t.Any:
    # Werkzeug's FileStorage hands unknown names to its stream; without the
    # guard, a missing stream would recurse forever.
    if name == "stream" or (name.startswith("__") and name.endswith("__")):
        raise AttributeError(name)
    return getattr(self.stream, name)


_FIXES: dict[str, dict[str, t.Any]] = {
    "HTTPException": {"retry_after": None},  # set by Werkzeug's __init__, which erlen skips
    "MultiDict": {
        "listvalues": _listvalues,
        "popitemlist": _popitemlist,
        "setlistdefault": _setlistdefault,
        "__setstate__": _setstate,
    },
    "FileStorage": {
        "content_type": None,  # an attribute of erlen's instances, not Werkzeug's property
        "content_length": property(_content_length),
        "__getattr__": _stream_getattr,
    },
}


# -- which class goes with which ---------------------------------------------------


def _exceptions(werkzeug: ModuleType) -> list[tuple[type, type]]:
    from .http import exceptions as ours

    pairs = [
        (ours.HTTPException, werkzeug.HTTPException),
        (ours.BadRequestKeyError, werkzeug.BadRequestKeyError),
        (ours.SecurityError, werkzeug.SecurityError),
    ]
    for code, cls in ours.default_exceptions.items():
        theirs = werkzeug.default_exceptions.get(code)
        if theirs is not None:
            pairs.append((cls, theirs))
    return pairs


def _datastructures(werkzeug: ModuleType) -> list[tuple[type, type]]:
    from .http import datastructures, headers

    return [
        (headers.Headers, werkzeug.Headers),
        (datastructures.MultiDict, werkzeug.MultiDict),
        (datastructures.FileStorage, werkzeug.FileStorage),
    ]


def _routing(werkzeug: ModuleType) -> list[tuple[type, type]]:
    from .routing import BuildError, RequestRedirect

    # flask-marshmallow's URL fields let url_for's BuildError through, which
    # callers catch as Werkzeug's.
    return [(RequestRedirect, werkzeug.RequestRedirect), (BuildError, werkzeug.BuildError)]


def _converters(werkzeug: ModuleType) -> list[tuple[type, type]]:
    # flask-smorest documents a path variable by its converter's Werkzeug class.
    from .http import converters as ours

    names = "Base Unicode Path Integer Float UUID Any".split()
    names = [f"{name}Converter" for name in names]
    return [(getattr(ours, name), getattr(werkzeug, name)) for name in names]


def _response(werkzeug: ModuleType) -> list[tuple[type, type]]:
    # Flask-RESTful and flask-smorest pass a view's Response through as it is
    # when it is a `werkzeug.wrappers.Response`, and serialize anything else.
    from .response import Response

    return [(Response, werkzeug.Response)]


_PAIRS: dict[str, t.Callable[[ModuleType], list[tuple[type, type]]]] = {
    "werkzeug.exceptions": _exceptions,
    "werkzeug.datastructures": _datastructures,
    "werkzeug.routing.exceptions": _routing,
    "werkzeug.routing.converters": _converters,
    "werkzeug.wrappers.response": _response,
}
