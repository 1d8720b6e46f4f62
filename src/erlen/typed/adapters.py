"""The validation libraries behind typed views: msgspec and pydantic v2.

Each adapter turns a type into the few callables a typed view needs, made
once at registration: a JSON decoder for bodies, a converter for values
that arrive as strings (query, headers, cookies, forms), an encoder for
answers, and JSON Schemas for the OpenAPI document. Every error comes out
as :class:`Invalid`, a list of ``{"loc", "msg", "type"}`` dicts, whatever
the library said.

The libraries are imported here, and this module is imported only when a
typed view is registered.
"""

from __future__ import annotations

import re
import sys
import typing as t
from collections.abc import Callable

__all__ = ["Invalid", "NotJSON", "Adapter", "adapter_for", "library_of", "installed"]

Errors = list[dict[str, t.Any]]

#: A converter's stand-in for a value that was not sent: the view's default applies.
MISSING: t.Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()


class Invalid(Exception):
    """Values that did not fit their types; ``errors`` says where and why."""

    def __init__(self, errors: Errors) -> None:
        super().__init__(errors)
        self.errors = errors


class NotJSON(Exception):
    """A body that is not JSON at all; the message is the decoder's."""


def installed(library: str) -> bool:
    """Whether ``library`` ("msgspec" or "pydantic") can be imported."""
    if library in sys.modules:
        return True
    from importlib.util import find_spec

    return find_spec(library) is not None


def library_of(tp: t.Any) -> str | None:
    """Return the library a type belongs to ("msgspec", "pydantic"), or ``None``.

    A type made of parts (``list[Item]``, ``Item | None``) belongs to the
    library of its first model. The check reads ``sys.modules``: a type
    cannot be a ``Struct`` unless msgspec is already imported.
    """
    # get_origin: on Python 3.10, list[int] still passes isinstance(..., type).
    if isinstance(tp, type) and t.get_origin(tp) is None:
        msgspec = sys.modules.get("msgspec")
        if msgspec is not None and issubclass(tp, msgspec.Struct):
            return "msgspec"
        pydantic = sys.modules.get("pydantic")
        if pydantic is not None and issubclass(tp, pydantic.BaseModel):
            return "pydantic"
    for arg in t.get_args(tp):
        found = library_of(arg)
        if found is not None:
            return found
    return None


class Adapter:
    """What a typed view needs from a validation library."""

    name = ""

    def json_decoder(self, tp: t.Any) -> Callable[[bytes], t.Any]:
        raise NotImplementedError

    def converter(
        self, fields: list[tuple[str, t.Any, bool]]
    ) -> Callable[[dict[str, t.Any]], dict[str, t.Any]]:
        """Return a function checking ``{name: raw value}`` against ``fields``.

        ``fields`` are ``(name, type, required)``; a field that is not
        required and not sent comes back as :data:`MISSING`.
        """
        raise NotImplementedError

    def model_converter(self, tp: t.Any) -> Callable[[dict[str, t.Any]], t.Any]:
        """Return a function building a ``tp`` from loosely typed values (a form)."""
        raise NotImplementedError

    def encoder(self, tp: t.Any) -> Callable[[t.Any], bytes]:
        raise NotImplementedError

    def answer_checker(self, tp: t.Any) -> Callable[[t.Any], t.Any]:
        """Return a function making a view's value a ``tp``: checked, extra fields dropped.

        Objects are read by their attributes, so another model with more
        fields becomes a ``tp`` with only its own. An instance of ``tp``
        itself passes as it is. Raises :class:`Invalid`.
        """
        raise NotImplementedError

    def schemas(
        self, types: list[t.Any], ref_template: str
    ) -> tuple[list[dict[str, t.Any]], dict[str, t.Any]]:
        """Return a schema per type (``$ref`` where it can) and the components they use."""
        raise NotImplementedError


# -- msgspec ----------------------------------------------------------------

# "Expected `int`, got `str` - at `$.items[0].price`"
_MSGSPEC_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MSGSPEC_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[(.*?)\]")
_MSGSPEC_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]+)`$")


def _msgspec_errors(error: Exception) -> Errors:
    """Turn a msgspec error (one, with a path in its message) into the list form."""
    match = _MSGSPEC_AT.match(str(error))
    assert match is not None  # the pattern matches any string
    message, path = match.group("msg"), match.group("path") or ""
    loc: list[t.Any] = []
    for key, index, other in _MSGSPEC_PART.findall(path):
        loc.append(int(index) if index else key or other)
    missing = _MSGSPEC_MISSING.match(message)
    if missing:
        return [{"loc": [*loc, missing.group("field")], "msg": "Field required", "type": "missing"}]
    # "Expected `str`, got `int`" is the wrong type; "Expected `int` >= 1" and
    # "Invalid enum value" are the right type with a wrong value.
    kind = (
        "type_error" if message.startswith("Expected `") and ", got `" in message else "value_error"
    )
    return [{"loc": loc, "msg": message, "type": kind}]


#: How many errors of one body or parameter set are reported at most (with
#: either library), and how deep msgspec's second pass follows the type: a
#: body's errors, not an amplifier.
MAX_ERRORS = 100
_MAX_DEPTH = 32


def _field_types(msgspec: t.Any, tp: t.Any) -> list[tuple[str, t.Any, bool]] | None:
    """Return ``(key in the JSON object, type, required)`` per field of a model, or ``None``."""
    if not isinstance(tp, type) or t.get_origin(tp) is not None:
        return None
    if issubclass(tp, msgspec.Struct):
        if t.cast(t.Any, tp).__struct_config__.array_like:  # a list on the wire
            return None
        return [(f.encode_name, f.type, f.required) for f in msgspec.structs.fields(tp)]
    import dataclasses

    if dataclasses.is_dataclass(tp):
        hints = t.get_type_hints(tp, include_extras=True)
        return [
            (
                f.name,
                hints.get(f.name, t.Any),
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            )
            for f in dataclasses.fields(tp)
            if f.init
        ]
    if t.is_typeddict(tp):
        hints = t.get_type_hints(tp, include_extras=True)
        required = getattr(tp, "__required_keys__", frozenset(hints))
        return [(name, hint, name in required) for name, hint in hints.items()]
    return None


def _msgspec_all_errors(
    msgspec: t.Any, value: t.Any, tp: t.Any, strict: bool, first: Exception
) -> Errors:
    """Return every error of ``value`` against ``tp``, where msgspec gave only ``first``.

    perf: run only once a body has failed, never on the way to a valid one.
    The value, already decoded to plain JSON types, is checked part by part
    along the type: a model's fields, a list's items, a dict's values, the
    non-null side of an optional. A part with no smaller part to blame is
    reported with msgspec's own message for it.
    """
    convert, validation_error = msgspec.convert, msgspec.ValidationError
    errors: Errors = []

    def whole(part: t.Any, part_tp: t.Any, loc: list[t.Any], error: Exception | None) -> None:
        if error is None:
            try:
                convert(part, part_tp, strict=strict)
                return
            except validation_error as caught:
                error = caught
        errors.extend({**e, "loc": [*loc, *e["loc"]]} for e in _msgspec_errors(error))

    def walk(part: t.Any, part_tp: t.Any, loc: list[t.Any], depth: int) -> None:
        if len(errors) >= MAX_ERRORS:
            return
        try:
            convert(part, part_tp, strict=strict)
            return
        except validation_error as error:
            failed = error
        before = len(errors)
        inner = part_tp
        while t.get_origin(inner) is t.Annotated:
            inner = t.get_args(inner)[0]
        origin, args = t.get_origin(inner), t.get_args(inner)
        if depth < _MAX_DEPTH:
            fields = _field_types(msgspec, inner)
            if fields is not None and isinstance(part, dict):
                for key, field_tp, required in fields:
                    if key in part:
                        walk(part[key], field_tp, [*loc, key], depth + 1)
                    elif required:
                        errors.append(
                            {"loc": [*loc, key], "msg": "Field required", "type": "missing"}
                        )
            elif origin in (list, set, frozenset) and len(args) == 1 and isinstance(part, list):
                for index, item in enumerate(part):
                    walk(item, args[0], [*loc, index], depth + 1)
            elif origin is tuple and len(args) == 2 and args[1] is ... and isinstance(part, list):
                for index, item in enumerate(part):
                    walk(item, args[0], [*loc, index], depth + 1)
            elif origin is dict and len(args) == 2 and isinstance(part, dict):
                for key, item in part.items():
                    walk(item, args[1], [*loc, key], depth + 1)
            elif part is not None and type(None) in args:
                rest = [arg for arg in args if arg is not type(None)]
                if len(rest) == 1:
                    walk(part, rest[0], loc, depth)
        if len(errors) == before:
            # No part to blame (a constraint on the whole, a tagged union ...):
            # msgspec's own error for it.
            whole(part, part_tp, loc, failed)

    walk(value, tp, [], 0)
    if not errors:  # cannot happen, unless the two passes disagree
        return _msgspec_errors(first)
    return errors[:MAX_ERRORS]


class MsgspecAdapter(Adapter):
    """msgspec: ``Struct``, dataclasses, ``TypedDict`` and plain types."""

    name = "msgspec"

    def __init__(self) -> None:
        import msgspec

        self.msgspec = msgspec
        self._encode = msgspec.json.Encoder().encode

    def json_decoder(self, tp: t.Any) -> Callable[[bytes], t.Any]:
        msgspec = self.msgspec
        decode = msgspec.json.Decoder(tp).decode
        validation_error, decode_error = msgspec.ValidationError, msgspec.DecodeError

        plain_decode = msgspec.json.decode

        def decode_json(body: bytes) -> t.Any:
            try:
                return decode(body)
            except validation_error as error:
                # msgspec stops at the first error; a second pass, only now,
                # finds the others. A body even plain decoding refuses (a
                # number out of range, nesting too deep) keeps the first.
                try:
                    errors = _msgspec_all_errors(msgspec, plain_decode(body), tp, True, error)
                except (validation_error, decode_error, RecursionError):
                    errors = _msgspec_errors(error)
                raise Invalid(errors) from None
            except decode_error as error:
                raise NotJSON(str(error)) from None

        return decode_json

    def converter(
        self, fields: list[tuple[str, t.Any, bool]]
    ) -> Callable[[dict[str, t.Any]], dict[str, t.Any]]:
        convert, validation_error = self.msgspec.convert, self.msgspec.ValidationError

        def check(values: dict[str, t.Any]) -> dict[str, t.Any]:
            # One value at a time: msgspec stops at a value's first error, and
            # each value gets its own report this way.
            found: dict[str, t.Any] = {}
            errors: Errors = []
            for name, tp, required in fields:
                if name not in values:
                    if required:
                        errors.append({"loc": [name], "msg": "Field required", "type": "missing"})
                    found[name] = MISSING
                    continue
                try:
                    found[name] = convert(values[name], tp, strict=False)
                except validation_error as error:
                    errors.extend({**e, "loc": [name, *e["loc"]]} for e in _msgspec_errors(error))
            if errors:
                raise Invalid(errors)
            return found

        return check

    def model_converter(self, tp: t.Any) -> Callable[[dict[str, t.Any]], t.Any]:
        convert, validation_error = self.msgspec.convert, self.msgspec.ValidationError

        msgspec = self.msgspec

        def build(values: dict[str, t.Any]) -> t.Any:
            try:
                return convert(values, tp, strict=False)
            except validation_error as error:
                try:
                    errors = _msgspec_all_errors(msgspec, values, tp, False, error)
                except RecursionError:
                    errors = _msgspec_errors(error)
                raise Invalid(errors) from None

        return build

    def encoder(self, tp: t.Any) -> Callable[[t.Any], bytes]:
        return self._encode

    def answer_checker(self, tp: t.Any) -> Callable[[t.Any], t.Any]:
        convert, validation_error = self.msgspec.convert, self.msgspec.ValidationError

        def check(value: t.Any) -> t.Any:
            try:
                return convert(value, tp, from_attributes=True)
            except validation_error as error:
                raise Invalid(_msgspec_errors(error)) from None

        return check

    def schemas(
        self, types: list[t.Any], ref_template: str
    ) -> tuple[list[dict[str, t.Any]], dict[str, t.Any]]:
        found, components = self.msgspec.json.schema_components(
            types,
            ref_template=ref_template.replace("{model}", "{name}"),
            schema_hook=_custom_schema,
        )
        return list(found), dict(components)


def _custom_schema(tp: t.Any) -> dict[str, t.Any]:
    """Return the JSON Schema of a type no library knows: an uploaded file, or anything."""
    from ..http.datastructures import FileStorage

    if isinstance(tp, type) and issubclass(tp, FileStorage):
        return {"type": "string", "contentMediaType": "application/octet-stream"}
    return {"description": f"A {getattr(tp, '__name__', tp)!s} (no JSON Schema for it)."}


# -- pydantic ---------------------------------------------------------------


def _pydantic_errors(error: t.Any) -> Errors:
    items = error.errors(include_url=False, include_context=False, include_input=False)
    return [
        {"loc": list(item["loc"]), "msg": item["msg"], "type": item["type"]}
        for item in items[:MAX_ERRORS]
    ]


class PydanticAdapter(Adapter):
    """pydantic v2: ``BaseModel``, dataclasses, ``TypedDict`` and plain types."""

    name = "pydantic"

    def __init__(self) -> None:
        import pydantic
        from pydantic.json_schema import GenerateJsonSchema

        self.pydantic = pydantic

        class Schemas(GenerateJsonSchema):
            # A field of a type of its own (arbitrary_types_allowed): a file, or anything.
            def is_instance_schema(self, schema: t.Any) -> dict[str, t.Any]:
                return _custom_schema(schema.get("cls"))

        self._generator = Schemas

    def json_decoder(self, tp: t.Any) -> Callable[[bytes], t.Any]:
        pydantic = self.pydantic
        validate: Callable[[t.Any], t.Any]
        if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
            model: t.Any = tp
            if not model.__pydantic_complete__:
                model.model_rebuild()  # forward references: resolved now, not per request
            # perf: what model_validate_json calls, without its Python wrapper
            # (about a third of the 3 µs of a small model).
            validate = model.__pydantic_validator__.validate_json
        else:
            validate = pydantic.TypeAdapter(tp).validate_json
        validation_error = pydantic.ValidationError

        def decode_json(body: bytes) -> t.Any:
            try:
                return validate(body)
            except validation_error as error:
                errors = _pydantic_errors(error)
                if errors and errors[0]["type"] == "json_invalid":
                    raise NotJSON(errors[0]["msg"]) from None
                raise Invalid(errors) from None

        return decode_json

    def converter(
        self, fields: list[tuple[str, t.Any, bool]]
    ) -> Callable[[dict[str, t.Any]], dict[str, t.Any]]:
        pydantic = self.pydantic
        definitions: dict[str, t.Any] = {
            name: (tp, ...) if required else (tp, MISSING) for name, tp, required in fields
        }
        # Field names may be anything a parameter may be called, "model_*" included.
        config = pydantic.ConfigDict(protected_namespaces=(), arbitrary_types_allowed=True)
        model = pydantic.create_model("Parameters", __config__=config, **definitions)
        validation_error = pydantic.ValidationError

        def check(values: dict[str, t.Any]) -> dict[str, t.Any]:
            try:
                found = model.model_validate(values)
            except validation_error as error:
                raise Invalid(_pydantic_errors(error)) from None
            return dict(found.__dict__)

        return check

    def model_converter(self, tp: t.Any) -> Callable[[dict[str, t.Any]], t.Any]:
        pydantic = self.pydantic
        validate: Callable[[t.Any], t.Any]
        if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
            validate = tp.model_validate  # type: ignore[attr-defined]
        else:
            validate = pydantic.TypeAdapter(tp).validate_python
        validation_error = pydantic.ValidationError

        def build(values: dict[str, t.Any]) -> t.Any:
            try:
                return validate(values)
            except validation_error as error:
                raise Invalid(_pydantic_errors(error)) from None

        return build

    def encoder(self, tp: t.Any) -> Callable[[t.Any], bytes]:
        dump = self.pydantic.TypeAdapter(tp).dump_json

        def encode(value: t.Any) -> bytes:
            # warnings=False: a view may answer a dict where the type says a model.
            return dump(value, warnings=False)

        if not (isinstance(tp, type) and issubclass(tp, self.pydantic.BaseModel)):
            return encode
        # perf: the model's own serializer, for an instance of exactly that
        # model, costs half of the TypeAdapter's dump_json (1 µs against 2).
        to_json = tp.__pydantic_serializer__.to_json

        def encode_model(value: t.Any) -> bytes:
            if type(value) is tp:
                return to_json(value)
            return encode(value)

        return encode_model

    def answer_checker(self, tp: t.Any) -> Callable[[t.Any], t.Any]:
        validate = self.pydantic.TypeAdapter(tp).validate_python
        validation_error = self.pydantic.ValidationError

        def check(value: t.Any) -> t.Any:
            try:
                return validate(value, from_attributes=True)
            except validation_error as error:
                raise Invalid(_pydantic_errors(error)) from None

        return check

    def schemas(
        self, types: list[t.Any], ref_template: str
    ) -> tuple[list[dict[str, t.Any]], dict[str, t.Any]]:
        found: list[dict[str, t.Any]] = []
        components: dict[str, t.Any] = {}
        for tp in types:
            schema = self.pydantic.TypeAdapter(tp).json_schema(
                ref_template=ref_template, schema_generator=self._generator
            )
            components.update(schema.pop("$defs", {}))
            if isinstance(tp, type) and schema.get("type") == "object":
                # A model of its own goes to the components, as msgspec's do.
                components[tp.__name__] = schema
                schema = {"$ref": ref_template.format(model=tp.__name__)}
            found.append(schema)
        return found, components


_ADAPTERS: dict[str, Adapter] = {}


def adapter_for(library: str) -> Adapter:
    """Return the (one, shared) adapter of ``library``."""
    adapter = _ADAPTERS.get(library)
    if adapter is None:
        adapter = _ADAPTERS[library] = (
            MsgspecAdapter() if library == "msgspec" else PydanticAdapter()
        )
    return adapter
