"""The OpenAPI 3.1 document of an app, built from its routes.

Each rule is an operation per method (HEAD and OPTIONS left out): its path
template and path parameters come from the rule's converters; its
parameters, body and answer from a typed view's annotations; its summary
and description from the view's docstring; its tag from its blueprint.
The JSON Schemas are the validation libraries' own (msgspec's
``schema_components``, pydantic's ``json_schema``), with references into
``#/components/schemas``.

Configuration (``app.config``):

- ``OPENAPI_TITLE`` / ``OPENAPI_VERSION`` / ``OPENAPI_INFO`` (a dict merged
  into ``info``: description, contact, license ...);
- ``OPENAPI_SERVERS``: the ``servers`` list;
- ``OPENAPI_SECURITY_SCHEMES``: ``components.securitySchemes``, and
  ``OPENAPI_SECURITY``: the requirement of every operation (a route's
  ``security=`` option overrides it).
"""

from __future__ import annotations

import inspect
import re
import typing as t

from ..http.status import HTTP_STATUS_PHRASES
from ..typed.adapters import adapter_for, library_of
from ..typed.problems import PROBLEM_JSON, problem_schema
from ..typed.signature import ParamSpec, ViewSpec, _strip_optional

__all__ = ["build_document", "OPENAPI_ENDPOINTS"]

#: The endpoints erlen adds itself, never described in the document.
OPENAPI_ENDPOINTS = frozenset({"static", "_openapi", "_openapi_docs", "_openapi_docs_file"})

REF = "#/components/schemas/{model}"
_VARIABLE = re.compile(r"<(?:(?P<converter>[^<>:(]+)(?:\([^<>]*\))?:)?(?P<name>[^<>:]+)>")
_SKIPPED_METHODS = {"HEAD", "OPTIONS"}


class _Schemas:
    """JSON Schemas of types, by library, with the components they share."""

    def __init__(self) -> None:
        self.components: dict[str, t.Any] = {"Problem": problem_schema()}
        self._cache: dict[tuple[str, t.Any], dict[str, t.Any]] = {}

    def of(self, tp: t.Any, library: str) -> dict[str, t.Any]:
        library = library_of(tp) or library
        key = (library, tp)
        try:
            found = self._cache.get(key)
        except TypeError:  # an unhashable annotation
            found, key = None, (library, id(tp))
        if found is None:
            (schema,), components = adapter_for(library).schemas([tp], REF)
            self.components.update(components)
            found = self._cache[key] = schema
        return found

    def resolve(self, schema: dict[str, t.Any]) -> dict[str, t.Any]:
        """Return the schema a ``$ref`` points to (one level)."""
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return t.cast("dict[str, t.Any]", self.components.get(ref.rpartition("/")[2], {}))
        return schema


def _converter_schema(converter: t.Any) -> dict[str, t.Any]:
    kind = type(converter).__name__.lower()
    if kind.startswith("int"):
        return {
            "type": "integer",
            **({"minimum": 0} if not getattr(converter, "signed", False) else {}),
        }
    if kind.startswith("float"):
        return {"type": "number"}
    if kind.startswith("uuid"):
        return {"type": "string", "format": "uuid"}
    items = getattr(converter, "items", None)
    if kind.startswith("any") and items:
        return {"type": "string", "enum": list(items)}
    return {"type": "string"}


def _docstring(function: t.Any) -> tuple[str | None, str | None]:
    doc = inspect.getdoc(function)
    if not doc:
        return None, None
    summary, _, rest = doc.partition("\n")
    rest = rest.strip()
    return summary.strip(), rest or None


def _json_content(schema: dict[str, t.Any], media: str = "application/json") -> dict[str, t.Any]:
    return {media: {"schema": schema}}


def _problem(description: str) -> dict[str, t.Any]:
    return {
        "description": description,
        "content": _json_content({"$ref": REF.format(model="Problem")}, PROBLEM_JSON),
    }


def _typed_spec(view: t.Any, method: str) -> ViewSpec | None:
    spec = getattr(view, "_erlen_typed", None)
    if spec is not None:
        return t.cast(ViewSpec, spec)
    view_class = getattr(view, "view_class", None)
    methods = getattr(view_class, "_typed_methods", None) or {}
    typed = methods.get(method.lower()) or (methods.get("get") if method == "HEAD" else None)
    return None if typed is None else t.cast(ViewSpec, typed._erlen_typed)


def _function_of(view: t.Any, method: str) -> t.Any:
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return getattr(view_class, method.lower(), None) or view_class
    return getattr(view, "__wrapped__", view)


class _Builder:
    def __init__(self, app: t.Any) -> None:
        self.app = app
        self.schemas = _Schemas()
        self.operation_ids: set[str] = set()
        self.tags: dict[str, dict[str, t.Any]] = {}

    def parameter(self, param: ParamSpec, library: str) -> list[dict[str, t.Any]]:
        schema = self.schemas.of(param.type, library)
        marker = param.marker
        if param.model:
            # A model filled from the query string (or headers, cookies): one
            # parameter per field.
            model = self.schemas.resolve(schema)
            required = set(model.get("required", ()))
            header = param.source == "header"
            return [
                {
                    "name": name.replace("_", "-").title() if header else name,
                    "in": param.source,
                    "required": name in required,
                    "schema": field,
                }
                for name, field in model.get("properties", {}).items()
            ]
        found: dict[str, t.Any] = {
            "name": param.wire,
            "in": param.source,
            "required": param.required,
            "schema": schema,
        }
        if marker is not None and marker.description:
            found["description"] = marker.description
        if marker is not None and marker.example is not None:
            found["example"] = marker.example
        if param.source == "query" and t.get_origin(_strip_optional(param.type)) is list:
            found["style"], found["explode"] = "form", True
        return [found]

    def request_body(self, spec: ViewSpec) -> dict[str, t.Any] | None:
        fields: dict[str, t.Any] = {}
        required: list[str] = []
        for param in spec.params:
            if param.source == "body":
                return {
                    "required": param.required,
                    "content": _json_content(self.schemas.of(param.type, spec.library)),
                }
            if param.source == "form" and param.model:
                schema = self.schemas.of(param.type, spec.library)
                return {
                    "required": param.required,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": schema},
                        "multipart/form-data": {"schema": schema},
                    },
                }
            if param.source == "file":
                fields[param.wire] = {
                    "type": "string",
                    "contentMediaType": "application/octet-stream",
                }
            elif param.source == "form":
                fields[param.wire] = self.schemas.of(param.type, spec.library)
            else:
                continue
            if param.required:
                required.append(param.wire)
        if not fields:
            return None
        form: dict[str, t.Any] = {"type": "object", "properties": fields}
        if required:
            form["required"] = required
        return {"required": bool(required), "content": {"multipart/form-data": {"schema": form}}}

    def responses(self, spec: ViewSpec | None, declared: dict[t.Any, t.Any]) -> dict[str, t.Any]:
        found: dict[str, t.Any] = {}
        if spec is not None:
            answer: dict[str, t.Any] = {"description": HTTP_STATUS_PHRASES.get(spec.status, "OK")}
            if spec.returns is not None:
                answer["content"] = _json_content(self.schemas.of(spec.returns, spec.library))
            found[str(spec.status)] = answer
            reads = [param for param in spec.params if param.source not in ("path", "keep")]
            if any(param.source in ("body", "form", "file") for param in spec.params):
                found["400"] = _problem("The body is not JSON")
                found["413"] = _problem("The body is too large")
                found["415"] = _problem(
                    "The body's content type is not the one this endpoint reads"
                )
            if reads:
                found["422"] = _problem("The request did not validate")
        else:
            found["200"] = {"description": "OK"}
        library = spec.library if spec is not None else "msgspec"
        for status, what in declared.items():
            description = HTTP_STATUS_PHRASES.get(int(status), "Response")
            if what is None:
                found[str(status)] = {"description": description}
            elif isinstance(what, dict):
                found[str(status)] = what
            else:
                schema = self.schemas.of(what, library)
                media = (
                    PROBLEM_JSON
                    if schema.get("$ref", "").endswith("/Problem")
                    else "application/json"
                )
                found[str(status)] = {
                    "description": description,
                    "content": _json_content(schema, media),
                }
        return found

    def operation(
        self, rule: t.Any, method: str, view: t.Any, options: dict[str, t.Any], many: bool
    ) -> dict[str, t.Any]:
        spec = _typed_spec(view, method)
        function = spec.function if spec is not None else _function_of(view, method)
        summary, description = _docstring(function)
        operation: dict[str, t.Any] = {}
        tags = list(options.get("tags") or ())
        blueprint = rule.endpoint.rpartition(".")[0]
        if blueprint and not tags:
            tags = [blueprint]
        for tag in tags:
            self.tags.setdefault(tag, {"name": tag})
        if tags:
            operation["tags"] = tags
        summary = options.get("summary") or summary
        if summary:
            operation["summary"] = summary
        if description:
            operation["description"] = description
        operation_id = rule.endpoint + (f"_{method.lower()}" if many else "")
        while operation_id in self.operation_ids:
            operation_id += "_"
        self.operation_ids.add(operation_id)
        operation["operationId"] = operation_id
        parameters = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": _converter_schema(converter),
            }
            for name, converter in rule._converters.items()
        ]
        if spec is not None:
            for param in spec.params:
                if param.source == "path" and param.convert:
                    for found in parameters:
                        if found["name"] == param.name:
                            found["schema"] = self.schemas.of(param.type, spec.library)
                if param.source in ("query", "header", "cookie"):
                    parameters.extend(self.parameter(param, spec.library))
            body = self.request_body(spec)
            if body is not None:
                operation["requestBody"] = body
        if parameters:
            operation["parameters"] = parameters
        operation["responses"] = self.responses(spec, dict(options.get("responses") or {}))
        if "security" in options:
            operation["security"] = options["security"]
        if options.get("deprecated"):
            operation["deprecated"] = True
        return operation

    def build(self) -> dict[str, t.Any]:
        app = self.app
        config = app.config
        described = app.__dict__.get("_openapi_options", {})
        paths: dict[str, dict[str, t.Any]] = {}
        for rule in app.url_map.iter_rules():
            if (
                rule.endpoint in OPENAPI_ENDPOINTS
                or getattr(rule, "websocket", False)
                or getattr(rule, "build_only", False)
                or getattr(rule, "redirect_to", None) is not None
            ):
                continue
            options = described.get(rule.endpoint, {})
            if options.get("include_in_schema") is False:
                continue
            view = app.view_functions.get(rule.endpoint)
            if view is None:
                continue
            path = _VARIABLE.sub(lambda m: "{" + m.group("name") + "}", rule.rule)
            methods = sorted(set(rule.methods or ()) - _SKIPPED_METHODS) or ["GET"]
            item = paths.setdefault(path, {})
            for method in methods:
                item[method.lower()] = self.operation(rule, method, view, options, len(methods) > 1)
        info: dict[str, t.Any] = {
            "title": config.get("OPENAPI_TITLE") or app.name,
            "version": str(config.get("OPENAPI_VERSION") or "0.1.0"),
        }
        info.update(config.get("OPENAPI_INFO") or {})
        document: dict[str, t.Any] = {"openapi": "3.1.0", "info": info}
        if config.get("OPENAPI_SERVERS"):
            document["servers"] = list(config["OPENAPI_SERVERS"])
        document["paths"] = paths
        components: dict[str, t.Any] = {"schemas": dict(sorted(self.schemas.components.items()))}
        if config.get("OPENAPI_SECURITY_SCHEMES"):
            components["securitySchemes"] = dict(config["OPENAPI_SECURITY_SCHEMES"])
        document["components"] = components
        if config.get("OPENAPI_SECURITY"):
            document["security"] = list(config["OPENAPI_SECURITY"])
        if self.tags:
            document["tags"] = list(self.tags.values())
        return document


def build_document(app: t.Any) -> dict[str, t.Any]:
    """Return the OpenAPI 3.1 document of ``app``'s routes, as a dict."""
    return _Builder(app).build()
