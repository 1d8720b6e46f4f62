"""Binding: the wrapper that fills a typed view's arguments from the request.

:func:`bind` is called once per view, at registration. It turns the
:class:`~erlen.typed.signature.ViewSpec` into a list of steps, each
reading one source of the request (the body, the query string, headers,
cookies, a form) through the adapter of the view's library, and returns a
function with the view's name that runs them, calls the view and encodes
its answer. All errors of all sources are gathered into one 422.
"""

from __future__ import annotations

import functools
import inspect
import typing as t
from collections.abc import Callable

from ..ctx import _cv
from ..http.exceptions import RequestEntityTooLarge
from ..response import Response, response_of_bytes
from .adapters import MISSING, Adapter, Invalid, NotJSON, adapter_for, library_of
from .problems import AnswerInvalid, BodyNotJSON, BodyTooLarge, ValidationProblem, WrongContentType
from .signature import ParamSpec, ViewSpec, _has_model, _strip_optional, is_model

if t.TYPE_CHECKING:
    from ..request import Request

__all__ = ["bind"]


Step = Callable[["Request", dict[str, t.Any]], None]

_JSON = "application/json"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_list(tp: t.Any) -> bool:
    return t.get_origin(_strip_optional(tp)) in (list, tuple, set, frozenset)


def _is_json(mimetype: str) -> bool:
    # RFC 6839: "application/<anything>+json" is JSON too.
    return mimetype == _JSON or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _missing(source: str, wire: str) -> dict[str, t.Any]:
    loc = [source] if source == "body" else [source, wire]
    return {"loc": loc, "msg": "Field required", "type": "missing"}


def _prefixed(errors: list[dict[str, t.Any]], prefix: list[t.Any]) -> list[dict[str, t.Any]]:
    return [{**error, "loc": [*prefix, *error["loc"]]} for error in errors]


def _read_body(request: Request) -> bytes:
    try:
        return t.cast(bytes, request.get_data())
    except RequestEntityTooLarge as error:
        raise BodyTooLarge(error.description) from None


def _json_step(param: ParamSpec, adapter: Adapter) -> Step:
    decode = adapter.json_decoder(param.type)
    name, required, default = param.name, param.required, param.default

    def read_json(request: Request, kwargs: dict[str, t.Any]) -> None:
        # perf: the usual exact header is one comparison; anything else is parsed.
        if request.content_type == _JSON:
            try:  # perf: _read_body() inlined
                body = request.get_data()
            except RequestEntityTooLarge as error:
                raise BodyTooLarge(error.description) from None
        elif not _is_json(request.mimetype):
            if request.mimetype or _read_body(request):
                raise WrongContentType(
                    f"This endpoint reads a JSON body, and the request's Content-Type is "
                    f"{request.content_type or 'missing'!r}. Send the body as JSON with the header "
                    "'Content-Type: application/json'."
                )
            if required:
                raise Invalid([_missing("body", name)])
            kwargs[name] = default
            return
        else:
            body = _read_body(request)
        if not body:
            if required:
                raise Invalid([_missing("body", name)])
            kwargs[name] = default
            return
        try:
            kwargs[name] = decode(body)
        except NotJSON as error:
            raise BodyNotJSON(
                f"The request body is not valid JSON ({error}). Send a JSON document."
            ) from None
        except Invalid as error:
            raise Invalid(_prefixed(error.errors, ["body"])) from None

    return read_json


def _fields_of(tp: t.Any) -> set[str]:
    """Return the names of ``tp``'s list-typed fields (they take every value sent)."""
    try:
        hints = t.get_type_hints(_strip_optional(tp))
    except Exception:  # a model whose hints do not resolve: no lists
        return set()
    return {name for name, hint in hints.items() if _is_list(hint)}


def _gather(values: t.Any, lists: set[str]) -> dict[str, t.Any]:
    """Return a MultiDict's values, a list for list fields and the first value otherwise."""
    return {key: found if key in lists else found[0] for key, found in values.lists()}


def _form_or_415(request: Request) -> None:
    if request.mimetype not in _FORMS:
        raise WrongContentType(
            f"This endpoint reads a form, and the request's Content-Type is "
            f"{request.content_type or 'missing'!r}. Send 'application/x-www-form-urlencoded' or "
            "'multipart/form-data'."
        )


def _model_step(param: ParamSpec, adapter: Adapter) -> Step:
    """A model filled from many fields: the query string, or a form (files included)."""
    build = adapter.model_converter(_strip_optional(param.type))
    lists = _fields_of(param.type)
    name, source = param.name, param.source

    def read_model(request: Request, kwargs: dict[str, t.Any]) -> None:
        if source == "form":
            _form_or_415(request)
            try:
                values = _gather(request.form, lists)
                values.update(_gather(request.files, lists))
            except RequestEntityTooLarge as error:
                raise BodyTooLarge(error.description) from None
        elif source == "query":
            values = _gather(request.args, lists)
        elif source == "cookie":
            values = dict(request.cookies)
        else:
            values = {
                key.lower().replace("-", "_"): value for key, value in request.headers.items()
            }
        try:
            kwargs[name] = build(values)
        except Invalid as error:
            raise Invalid(_prefixed(error.errors, [source])) from None

    return read_model


def _file_step(param: ParamSpec) -> Step:
    name, wire, required, default = param.name, param.wire, param.required, param.default

    def read_file(request: Request, kwargs: dict[str, t.Any]) -> None:
        _form_or_415(request)
        try:
            found = request.files.get(wire)
        except RequestEntityTooLarge as error:
            raise BodyTooLarge(error.description) from None
        if found is None:
            if required:
                raise Invalid([_missing("form", wire)])
            kwargs[name] = default
        else:
            kwargs[name] = found

    return read_file


def _values_step(source: str, params: list[ParamSpec], adapter: Adapter) -> Step:
    """Single values of one source (query, header, cookie, form), checked together."""
    check = adapter.converter([(p.name, p.type, p.required) for p in params])
    wanted = [(p.name, p.wire, _is_list(p.type) and source != "path") for p in params]
    wire_of = {p.name: p.wire for p in params}

    def read_values(request: Request, kwargs: dict[str, t.Any]) -> None:
        if source == "query":
            values: t.Any = request.args
        elif source == "path":
            values = kwargs
        elif source == "header":
            values = request.headers
        elif source == "cookie":
            values = request.cookies
        else:
            _form_or_415(request)
            values = request.form
        raw: dict[str, t.Any] = {}
        for name, wire, many in wanted:
            if many:
                found = values.getlist(wire)
                if found:
                    raw[name] = found
            else:
                value = values.get(wire)
                if value is not None:
                    raw[name] = value
        try:
            checked = check(raw)
        except Invalid as error:
            raise Invalid(
                [
                    {**e, "loc": [source, wire_of.get(e["loc"][0], e["loc"][0]), *e["loc"][1:]]}
                    if e["loc"]
                    else {**e, "loc": [source]}
                    for e in error.errors
                ]
            ) from None
        for name, value in checked.items():
            if value is not MISSING:
                kwargs[name] = value

    return read_values


def _steps(spec: ViewSpec, adapter: Adapter) -> list[Step]:
    steps: list[Step] = []
    grouped: dict[str, list[ParamSpec]] = {}
    for param in spec.params:
        if param.source == "path" and param.convert:
            grouped.setdefault("path", []).append(param)
            continue
        if param.source in ("path", "keep"):
            continue
        own = adapter_for(library_of(param.type) or spec.library)
        if param.source == "body":
            steps.append(_json_step(param, own))
        elif param.source == "file":
            steps.append(_file_step(param))
        elif param.model:
            steps.append(_model_step(param, own))
        else:
            grouped.setdefault(param.source, []).append(param)
    for source, params in grouped.items():
        steps.append(_values_step(source, params, adapter))
    return steps


def _checked_encoder(
    spec: ViewSpec, own: Adapter, encode: Callable[[t.Any], bytes]
) -> Callable[[t.Any], bytes]:
    """Wrap ``encode`` to make the value a return type first (``TYPED_CHECK_ANSWERS``)."""
    check = own.answer_checker(spec.returns)
    returns = getattr(spec.returns, "__name__", None) or repr(spec.returns)
    view = getattr(spec.function, "__qualname__", spec.function)

    def checked_encode(value: t.Any) -> bytes:
        try:
            value = check(value)
        except Invalid as error:
            where = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'the value'}: {e['msg']}" for e in error.errors
            )
            raise AnswerInvalid(
                f"The view {view} returned a value that does not fit its return annotation "
                f"{returns} ({where}). Return a {returns}, or change the annotation. "
                "(TYPED_CHECK_ANSWERS is on, so answers are checked.)"
            ) from None
        return encode(value)

    return checked_encode


def _answer(
    spec: ViewSpec, adapter: Adapter, response_class: type[Response], check: bool = False
) -> Callable[[t.Any], t.Any]:
    """Return the function turning the view's value into what the cycle receives.

    A return type with a model in it is encoded by that model's library
    (first checked and filtered to that type when ``check``). Any other
    value goes to the cycle as from any view (a dict through ``app.json``),
    except a model instance, which its library encodes.
    """
    passthrough = (Response, str, bytes)
    status = spec.status
    # make(body, content_type, status): the answer's Response.
    make: Callable[[bytes, str, int], Response]
    if response_class._own_init:  # perf: no general constructor for the usual answer
        make = functools.partial(response_of_bytes, response_class)  # positional: no dict
    else:

        def make(body: bytes, content_type: str, status: int) -> Response:
            return response_class(body, status, content_type=content_type)

    if spec.returns is not None and _has_model(spec.returns):
        own = adapter_for(library_of(spec.returns) or spec.library)
        encode = own.encoder(spec.returns)
        if check:
            encode = _checked_encoder(spec, own, encode)
        returns = spec.returns if isinstance(spec.returns, type) else None

        def answer(value: t.Any) -> t.Any:
            if value.__class__ is returns:  # perf: the usual answer tested first
                return make(encode(value), _JSON, status)
            if isinstance(value, passthrough):
                return value
            if type(value) is tuple:
                if not value or isinstance(value[0], passthrough):
                    return value
                return (make(encode(value[0]), _JSON, status), *value[1:])
            return make(encode(value), _JSON, status)

        return answer

    encoders: dict[type, Callable[[t.Any], bytes] | None] = {}

    def encoder_of(value: t.Any) -> Callable[[t.Any], bytes] | None:
        kind = type(value)
        if kind not in encoders:
            encoders[kind] = (
                adapter_for(library_of(kind) or spec.library).encoder(kind)
                if is_model(kind)
                else None
            )
        return encoders[kind]

    def answer_plain(value: t.Any) -> t.Any:
        first = value[0] if type(value) is tuple and value else value
        encode = None if isinstance(first, passthrough) else encoder_of(first)
        if encode is not None:
            body = make(encode(first), _JSON, status)
            return (body, *value[1:]) if first is not value else body
        if status != 200 and first is value and not isinstance(value, Response):
            return value, status
        return value

    return answer_plain


def bind(app: t.Any, spec: ViewSpec) -> Callable[..., t.Any]:
    """Return the typed view: the view wrapped to read, check and answer."""
    adapter = adapter_for(spec.library)
    steps = _steps(spec, adapter)
    answer = _answer(
        spec, adapter, app.response_class, bool(app.config.get("TYPED_CHECK_ANSWERS", False))
    )
    function = spec.function
    current = _cv.get

    if len(steps) == 1:  # perf: the usual typed view reads one source (its body)
        only = steps[0]

        def arguments(args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> dict[str, t.Any]:
            try:
                only(current().request, kwargs)  # type: ignore[arg-type]  # perf: no cast()
            except Invalid as error:
                raise ValidationProblem(error.errors) from None
            return kwargs

    else:

        def arguments(args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> dict[str, t.Any]:
            request = current().request
            errors: list[dict[str, t.Any]] = []
            for step in steps:
                try:
                    step(request, kwargs)  # type: ignore[arg-type]  # perf: no cast() call
                except Invalid as error:
                    errors.extend(error.errors)
            if errors:
                raise ValidationProblem(errors)
            return kwargs

    if inspect.iscoroutinefunction(function):

        async def typed_async(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return answer(await function(*args, **arguments(args, kwargs)))

        wrapper: Callable[..., t.Any] = typed_async
    else:

        def typed(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return answer(function(*args, **arguments(args, kwargs)))

        wrapper = typed
    functools.update_wrapper(wrapper, function)
    wrapper._erlen_typed = spec  # type: ignore[attr-defined]
    return wrapper
