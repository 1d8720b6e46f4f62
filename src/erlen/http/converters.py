"""URL converters: a regex, ``to_python`` and ``to_url`` each.

A custom converter subclasses :class:`BaseConverter` and is registered in
``app.url_map.converters``::

    class ListConverter(BaseConverter):
        # One flat repeat; the view's rules go in to_python. A pattern such
        # as [^/]+(?:,[^/]+)* nests a repeat inside a repeat, which takes
        # exponential time on a URL that almost matches: routes refuse it.
        regex = "[^/]+"
        def to_python(self, value):
            items = value.split(",")
            if "" in items:
                raise ValidationError()  # "a,,b": no match, a 404
            return items
        def to_url(self, value): return ",".join(quote(v, safe="") for v in value)

    app.url_map.converters["list"] = ListConverter

    @app.route("/tags/<list:tags>")
    def tags(tags):
        return " and ".join(tags)  # /tags/tea,cake: "tea and cake"

A converter that takes arguments from the rule (``<list(2, sep=';'):tags>``)
is written as for Werkzeug, with the URL map first::

    class ListConverter(BaseConverter):
        def __init__(self, map, size, sep=","):
            super().__init__(map)
            ...

An ``__init__`` whose first parameter is not called ``map`` or ``url_map``
gets the rule's arguments only, and the converter's ``map`` attribute is
set afterwards.
"""

from __future__ import annotations

import re
import typing as t
from urllib.parse import quote

__all__ = [
    "ValidationError",
    "BaseConverter",
    "UnicodeConverter",
    "PathConverter",
    "IntegerConverter",
    "FloatConverter",
    "UUIDConverter",
    "AnyConverter",
    "DEFAULT_CONVERTERS",
    "make_converter",
]


class ValidationError(ValueError):
    """Raised by ``to_python`` when a matched part is not a valid value.

    The router then tries the next rule, and answers 404 if none fits.
    """


#: Whether a value is made only of what a path segment (or a path) may hold as
#: it is: letters and digits and RFC 3986's unreserved and sub-delims, ":" and "@".
_SEGMENT_SAFE = re.compile(r"[A-Za-z0-9!$&'()*+,;=:@._~-]*").fullmatch
_PATH_SAFE = re.compile(r"[A-Za-z0-9!$&'()*+,;=:@._~/-]*").fullmatch


class _ConverterBase:
    """Empty: where :mod:`erlen.flask_compat` puts Werkzeug's ``BaseConverter``.

    A class's bases can change only for bases of the same layout; this one
    lets the Flask alias make erlen's converters pass ``isinstance`` checks
    against Werkzeug's. With the alias off it does nothing.
    """


class BaseConverter(_ConverterBase):
    """Match one part of a URL and turn it into a Python value and back.

    The class attributes are Werkzeug's: ``regex`` (what the part may be),
    ``weight`` (lower weights are tried first), ``part_isolating`` (the
    regex never matches a slash).
    """

    regex = "[^/]+"
    #: How specific the converter is; rules with lower weights match first.
    weight = 100
    #: Whether the regex stays within one path segment (never matches "/").
    part_isolating = True
    #: Whether ``to_python`` does more than return the string unchanged.
    converts = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        # As Werkzeug: a class with a regex of its own that may span a slash
        # is not part-isolating unless it says so.
        if "regex" in cls.__dict__ and "part_isolating" not in cls.__dict__:
            cls.part_isolating = "/" not in cls.regex

    def __init__(self, map: t.Any = None, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: A002 - Werkzeug's name
        if (args or kwargs) and type(self).__init__ is BaseConverter.__init__:
            raise TypeError(
                f"The {type(self).__name__} converter takes no arguments, "
                f"got {args or ''}{kwargs or ''}. To take arguments from the rule, "
                "give it an __init__(self, map, *args) that calls super().__init__(map)."
            )
        #: The URL map (``app.url_map``) the converter was made for.
        self.map = map

    def to_python(self, value: str) -> t.Any:
        return value

    def to_url(self, value: t.Any) -> str:
        text = str(value)
        if _SEGMENT_SAFE(text):  # perf: most values need no percent-encoding
            return text
        return quote(text, safe="!$&'()*+,;=:@-._~")


class UnicodeConverter(BaseConverter):
    """``<string:name>`` (the default): one path segment, no slashes."""

    converts = False

    def __init__(
        self,
        map: t.Any = None,  # noqa: A002 - Werkzeug's name
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map)
        # Spelled as Werkzeug spells it (`[^/]{1,}`), which flask-smorest reads
        # the lengths back from.
        if length is not None:
            self.regex = f"[^/]{{{int(length)}}}"
        else:
            most = "" if maxlength is None else int(maxlength)
            self.regex = f"[^/]{{{int(minlength)},{most}}}"


class PathConverter(BaseConverter):
    """``<path:name>``: like string but slashes too."""

    regex = "[^/].*?"
    weight = 200
    part_isolating = False
    converts = False

    def to_url(self, value: t.Any) -> str:
        text = str(value)
        if _PATH_SAFE(text):  # perf: most values need no percent-encoding
            return text
        return quote(text, safe="!$&'()*+,;=:@-._~/")


class _NumberConverter(BaseConverter):
    weight = 50
    num_type: type = int

    def __init__(
        self,
        map: t.Any = None,  # noqa: A002 - Werkzeug's names
        fixed_digits: int = 0,
        min: float | None = None,  # noqa: A002
        max: float | None = None,  # noqa: A002
        signed: bool = False,
    ) -> None:
        super().__init__(map)
        if signed:
            self.regex = "-?" + self.regex
        self.fixed_digits = fixed_digits
        self.min = min
        self.max = max
        self.signed = signed

    def to_python(self, value: str) -> t.Any:
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        number = self.num_type(value)
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            raise ValidationError()
        return number

    def to_url(self, value: t.Any) -> str:
        text = str(self.num_type(value))
        if self.fixed_digits:
            text = text.zfill(self.fixed_digits)
        return text


class IntegerConverter(_NumberConverter):
    """``<int:name>``: a non-negative integer (``signed=True`` for negatives)."""

    regex = "[0-9]+"  # not \d: that also matches Arabic-Indic and other digits


class FloatConverter(_NumberConverter):
    """``<float:name>``: a decimal number with a point, such as ``1.5``."""

    regex = "[0-9]+[.][0-9]+"
    num_type = float

    def __init__(
        self,
        map: t.Any = None,  # noqa: A002
        min: float | None = None,  # noqa: A002
        max: float | None = None,  # noqa: A002
        signed: bool = False,
    ) -> None:
        super().__init__(map, 0, min, max, signed)

    def to_python(self, value: str) -> t.Any:
        number = super().to_python(value)
        if number in (float("inf"), float("-inf")):
            raise ValidationError()  # too many digits for a float
        return number

    def to_url(self, value: t.Any) -> str:
        from decimal import Decimal

        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"{value!r} has no URL form: it is not a finite number.")
        # Positional notation, never 1e+20, so the URL matches the rule again.
        text = format(Decimal(repr(number)), "f")
        return text if "." in text else f"{text}.0"


class UUIDConverter(BaseConverter):
    """``<uuid:name>``: a UUID in its hyphenated hex form."""

    regex = r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"
    weight = 50

    def to_python(self, value: str) -> t.Any:
        import uuid

        return uuid.UUID(value)

    def to_url(self, value: t.Any) -> str:
        return str(value)


class AnyConverter(BaseConverter):
    """``<any(about, help):page>``: one of the listed words."""

    weight = 50
    converts = False

    def __init__(self, map: t.Any = None, *items: str) -> None:  # noqa: A002
        super().__init__(map)
        if not items:
            raise TypeError("The any converter needs at least one item: <any(a, b):name>.")
        self.items = items
        self.regex = "(?:" + "|".join(re.escape(item) for item in items) + ")"
        self.part_isolating = not any("/" in item for item in items)

    def to_url(self, value: t.Any) -> str:
        if value not in self.items:
            raise ValueError(f"{value!r} is not one of {', '.join(map(repr, self.items))}.")
        return super().to_url(value)


DEFAULT_CONVERTERS: dict[str, type[BaseConverter]] = {
    "default": UnicodeConverter,
    "string": UnicodeConverter,
    "path": PathConverter,
    "int": IntegerConverter,
    "float": FloatConverter,
    "uuid": UUIDConverter,
    "any": AnyConverter,
}


def make_converter(
    cls: type[t.Any],
    map: t.Any,
    args: tuple[t.Any, ...],
    kwargs: dict[str, t.Any],  # noqa: A002
) -> t.Any:
    """Return ``cls`` made for a rule, with the rule's arguments.

    Werkzeug's way passes the URL map first (``__init__(self, map, *args)``),
    and so does every converter that keeps :class:`BaseConverter`'s
    ``__init__``; an ``__init__`` whose first parameter has another name
    takes the rule's arguments alone.
    """
    if _takes_map(cls):
        return cls(map, *args, **kwargs)
    converter = cls(*args, **kwargs)
    if getattr(converter, "map", None) is None:
        converter.map = map
    return converter


_MAP_NAMES = frozenset({"map", "url_map"})


def _takes_map(cls: type[t.Any]) -> bool:
    import inspect

    init = cls.__init__  # type: ignore[misc]
    if init is BaseConverter.__init__ or not issubclass(cls, BaseConverter):
        return True  # erlen's base, or a converter written for Werkzeug itself
    try:
        parameters = list(inspect.signature(init).parameters.values())[1:]
    except (TypeError, ValueError):  # no signature to read: assume Werkzeug's
        return True
    if not parameters:
        return False
    first = parameters[0]
    return first.name in _MAP_NAMES or first.kind is inspect.Parameter.VAR_POSITIONAL


def parse_converter_args(text: str) -> tuple[tuple[t.Any, ...], dict[str, t.Any]]:
    """Parse ``"3, maxlength=8"`` into positional and keyword arguments."""
    import ast

    try:
        call = ast.parse(f"f({text})", mode="eval").body
        if not isinstance(call, ast.Call):
            raise ValueError
        args = tuple(_literal(arg) for arg in call.args)
        kwargs = {kw.arg: _literal(kw.value) for kw in call.keywords if kw.arg}
    except (SyntaxError, ValueError) as error:
        raise ValueError(
            f"Could not read the converter arguments ({text}). Use Python literals, "
            "as in <string(minlength=2):name> or <any(about, help):page>."
        ) from error
    return args, kwargs


def _literal(node: t.Any) -> t.Any:
    import ast

    if isinstance(node, ast.Name):  # bare words, as in any(about, help)
        return node.id
    return ast.literal_eval(node)
