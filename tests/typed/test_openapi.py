"""The OpenAPI 3.1 document: its content, where it is served, and a round trip."""

import json
import re
import sys
from typing import Annotated

import jsonschema
import pytest
from click.testing import CliRunner
from openapi_app import create_app
from openapi_spec_validator import validate
from typed_models import MItem

from erlen import Query
from erlen.cli import main
from erlen.openapi import build_document
from erlen.openapi import page as page_module


@pytest.fixture
def app():
    return create_app()


def _document(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    return response.json


def test_the_document_is_valid_openapi_3_1(client):
    document = _document(client)
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_info_servers_and_security_come_from_the_config(client):
    document = _document(client)
    assert document["info"] == {"title": "Shop", "version": "2.1", "description": "Things to buy."}
    assert document["components"]["securitySchemes"] == {
        "bearer": {"type": "http", "scheme": "bearer"}
    }
    assert document["paths"]["/orders"]["post"]["security"] == [{"bearer": []}]
    assert "security" not in document["paths"]["/orders"]["get"]


def test_paths_come_from_the_rules_and_their_converters(client):
    paths = _document(client)["paths"]
    assert set(paths) == {
        "/",
        "/orders",
        "/orders/{number}",
        "/notes",
        "/v1/items",
        "/v2/items",
        "/v2/notes/{key}",
    }
    number = paths["/orders/{number}"]["get"]["parameters"][0]
    assert number == {
        "name": "number",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
    assert set(paths["/v2/notes/{key}"]) == {"get", "put"}


def test_docstrings_give_summary_and_description(client):
    operation = _document(client)["paths"]["/orders"]["post"]
    assert operation["summary"] == "Place an order."
    assert operation["description"] == "The order is kept in memory."
    assert _document(client)["paths"]["/v2/notes/{key}"]["put"]["summary"] == "Replace a note."


def test_blueprints_are_tags(client):
    document = _document(client)
    assert document["paths"]["/v1/items"]["post"]["tags"] == ["v1"]
    assert document["paths"]["/v2/items"]["post"]["tags"] == ["items"]
    assert document["paths"]["/v2/items"]["post"]["summary"] == "Add an item (v2)"
    assert {tag["name"] for tag in document["tags"]} == {"v1", "v2", "items"}


def test_bodies_parameters_and_answers(client):
    document = _document(client)
    schemas = document["components"]["schemas"]
    create = document["paths"]["/orders"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/MOrder"}
    assert {"MOrder", "MAddress", "MItem", "PItem", "Problem", "Note"} <= set(schemas)
    assert set(create["responses"]) == {"201", "400", "409", "413", "415", "422"}
    problem = create["responses"]["422"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}
    header = create["parameters"][0]
    assert (header["name"], header["in"], header["required"]) == ("X-Request-Id", "header", False)

    listing = document["paths"]["/orders"]["get"]
    names = {param["name"]: param for param in listing["parameters"]}
    assert set(names) == {"page", "per_page", "sort", "color", "since"}
    assert names["color"]["description"] == "Only this color"
    answer = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"type": "array", "items": {"$ref": "#/components/schemas/MOrder"}}

    notes = document["paths"]["/notes"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert notes["schema"]["required"] == ["text"]
    assert set(notes["schema"]["properties"]) == {"text", "attachment"}
    cookie = document["paths"]["/notes"]["post"]["parameters"][0]
    assert (cookie["name"], cookie["in"]) == ("session_id", "cookie")


def test_untyped_and_hidden_routes(client):
    paths = _document(client)["paths"]
    assert paths["/"]["get"]["responses"] == {"200": {"description": "OK"}}
    assert "/health" not in paths
    assert "/openapi.json" not in paths and "/docs" not in paths


def test_the_document_is_built_once_and_kept(app, client, monkeypatch):
    from erlen.openapi import document as module

    built = []
    original = module.build_document

    def counting(app):
        built.append(app)
        return original(app)

    monkeypatch.setattr(module, "build_document", counting)
    first = client.get("/openapi.json").data
    assert client.get("/openapi.json").data == first
    assert len(built) == 1


def test_openapi_url_and_docs_url_are_read_when_the_first_typed_view_registers():
    from erlen import Erlen

    moved = Erlen("moved")
    moved.config.update(OPENAPI_URL="/api/schema.json", OPENAPI_DOCS_URL=None)

    @moved.post("/items")
    def create(item: MItem) -> MItem:
        return item

    rules = {rule.rule: rule.endpoint for rule in moved.url_map.iter_rules()}
    assert rules["/api/schema.json"] == "_openapi"
    assert "/openapi.json" not in rules and "/docs" not in rules
    assert moved.test_client().get("/api/schema.json").json["paths"]["/items"]["post"]

    off = Erlen("off")
    off.config["OPENAPI_URL"] = None

    @off.post("/items")
    def create_too(item: MItem) -> MItem:
        return item

    assert {rule.endpoint for rule in off.url_map.iter_rules()} == {"static", "create_too"}


def test_the_docs_route_builds_its_page_only_when_asked():
    import subprocess

    script = (
        "import sys, msgspec, erlen\n"
        "class Item(msgspec.Struct):\n"
        "    name: str\n"
        "app = erlen.Erlen('docs')\n"
        "@app.post('/items')\n"
        "def create(item: Item) -> Item:\n"
        "    return item\n"
        "rules = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}\n"
        "from erlen.openapi import page\n"
        "print(rules['/docs'], page._page_assets.cache_info().currsize,\n"
        "    '_openapi_json' in app.__dict__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["_openapi_docs", "0", "False"]


def test_a_route_of_the_app_at_the_documents_url_is_left_alone():
    from erlen import Erlen

    app = Erlen("mine")

    @app.get("/openapi.json")
    def mine():
        return {"mine": True}

    @app.post("/items")
    def create(item: MItem, n: Annotated[int, Query()] = 1) -> MItem:
        return item

    assert app.test_client().get("/openapi.json").json == {"mine": True}


def test_erlen_openapi_prints_the_document(monkeypatch):
    monkeypatch.syspath_prepend(str(__import__("pathlib").Path(__file__).parent))
    result = CliRunner().invoke(main, ["--app", "openapi_app:app", "openapi"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    validate(document)
    assert document["info"]["title"] == "Shop"


# -- a round trip: requests built from the document get the documented answers


def _resolve(schema, components):
    while "$ref" in schema:
        schema = components[schema["$ref"].rpartition("/")[2]]
    return schema


def _example(schema, components):
    """Return a value that fits ``schema``, built from the schema alone."""
    schema = _resolve(schema, components)
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        choices = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _example(choices[0], components)
    kind = schema.get("type")
    if kind == "object":
        required = schema.get("required", list(schema.get("properties", {})))
        return {
            name: _example(schema["properties"][name], components)
            for name in required
            if name in schema.get("properties", {})
        }
    if kind == "array":
        return [_example(schema.get("items", {}), components)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 2.5
    if kind == "boolean":
        return True
    if schema.get("format") == "date":
        return "2026-12-07"
    return "text"


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_requests_built_from_the_document_get_the_documented_answers(client):
    document = _document(client)
    components = document["components"]["schemas"]
    checked = 0
    for path, method, operation in _operations(document):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None and "requestBody" in operation:
            continue  # forms: exercised in test_typed_params.py
        url = path
        query = {}
        for param in operation.get("parameters", []):
            value = _example(param["schema"], components)
            if param["in"] == "path":
                url = url.replace("{" + param["name"] + "}", str(value))
            elif param["in"] == "query" and param["required"]:
                query[param["name"]] = value
        kwargs = {"query_string": query}
        if body is not None:
            kwargs["json"] = _example(body["schema"], components)
        if path == "/orders/{number}":  # the order made by POST /orders comes first
            url = "/orders/1"
        response = getattr(client, method)(url, **kwargs)
        documented = operation["responses"]
        assert str(response.status_code) in documented, (method, path, response.text)
        answer = documented[str(response.status_code)]
        for media, content in answer.get("content", {}).items():
            assert response.content_type == media
            schema = {**content["schema"], "components": {"schemas": components}}
            jsonschema.Draft202012Validator(schema).validate(response.json)
        checked += 1
        if body is not None:
            # Leave out everything: the documented 422, shaped as documented.
            bad = getattr(client, method)(url, json={"unexpected": True}, query_string=query)
            if bad.status_code == 422:
                problem = documented["422"]["content"]["application/problem+json"]["schema"]
                schema = {**problem, "components": {"schemas": components}}
                jsonschema.Draft202012Validator(schema).validate(bad.json)
    assert checked >= 8


def test_erlen_openapi_is_listed_only_for_an_app_with_typed_views(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plain_site.py").write_text(
        "from erlen import Erlen\napp = Erlen(__name__)\n\n@app.get('/')\ndef index():\n    return 'hi'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    listed = CliRunner().invoke(main, ["--app", "plain_site", "--help"]).output
    assert "openapi" not in listed
    result = CliRunner().invoke(main, ["--app", "plain_site", "openapi", "--indent", "0"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["paths"]["/"]["get"]["responses"] == {
        "200": {"description": "OK"}
    }
    monkeypatch.syspath_prepend(str(__import__("pathlib").Path(__file__).parent))
    assert "openapi " in CliRunner().invoke(main, ["--app", "openapi_app:app", "--help"]).output


@pytest.mark.parametrize("library", ["msgspec", "pydantic"])
def test_documents_of_every_kind_of_type_validate(library):
    import datetime
    import enum
    import uuid

    from typed_models import MODELS, Pair, Point

    from erlen import Body, Cookie, Erlen, Form, Header
    from erlen.datastructures import FileStorage

    models = MODELS[library]

    class Level(enum.Enum):
        LOW = "low"
        HIGH = "high"

    app = Erlen(f"kinds_{library}")

    @app.post("/orders/<uuid:ref>/<any(a, b):kind>")
    def order(
        ref: uuid.UUID,
        kind: str,
        order: models.Order,
        level: Annotated[Level, Query(example="low")] = Level.LOW,
        at: Annotated[datetime.datetime | None, Query()] = None,
        ids: Annotated[list[int], Query()] = [],  # noqa: B006
        token: Annotated[str, Header(description="An opaque token")] = "",
        seen: Annotated[bool, Cookie()] = False,
    ) -> models.Order:
        return order

    @app.put("/points")
    def point(point: Point) -> Point:
        return point

    @app.put("/pairs")
    def pair(pair: Pair) -> Pair:
        return pair

    @app.post("/numbers")
    def numbers(values: Annotated[list[float], Body()]) -> dict:
        return {}

    @app.post("/files")
    def files(title: Annotated[str, Form()], upload: Annotated[FileStorage, Form()]) -> models.Item:
        return models.Item(name=title, price=0)

    @app.post("/signup")
    def signup(form: Annotated[models.Signup, Form()]) -> models.Signup:
        return form

    document = build_document(app)
    validate(document)
    operation = document["paths"]["/orders/{ref}/{kind}"]["post"]
    by_name = {param["name"]: param for param in operation["parameters"]}
    assert by_name["ref"]["schema"] == {"type": "string", "format": "uuid"}
    assert by_name["kind"]["schema"] == {"type": "string", "enum": ["a", "b"]}
    assert by_name["level"]["example"] == "low"
    assert by_name["Token"]["description"] == "An opaque token"
    assert by_name["ids"]["schema"]["type"] == "array"
    assert "Point" in document["components"]["schemas"]
    upload = document["paths"]["/files"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert upload["schema"]["required"] == ["title", "upload"]


def test_swagger_ui_is_served_from_the_installed_package(tmp_path):
    from erlen import Erlen

    app = Erlen("swagger")
    app.config.update(OPENAPI_DOCS_UI="swagger", OPENAPI_TITLE="Shop <API>")

    @app.post("/items")
    def create(item: MItem) -> MItem:
        return item

    client = app.test_client()
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.content_type == "text/html; charset=utf-8"
    assert '<script src="/docs/swagger-ui/swagger-ui-bundle.js">' in page.text
    assert '{"openapiUrl": "/openapi.json"}' in page.text
    assert "<title>Shop &lt;API&gt;</title>" in page.text
    script = client.get("/docs/swagger-ui/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert b"SwaggerUIBundle" in script.data
    # Swagger UI 5 is the first to read OpenAPI 3.1.
    assert re.search(rb"swagger-ui-5\.\d+", str(page_module.swagger_ui_directory()).encode())
    assert client.get("/docs/swagger-ui/../../../etc/passwd").status_code == 404
    assert client.get("/docs/swagger-ui/nothing.js").status_code == 404
    assert set(build_document(app)["paths"]) == {"/items"}


def test_an_unknown_docs_ui_fails_when_the_first_typed_view_registers():
    from erlen import Erlen

    app = Erlen("unknown_ui")
    app.config["OPENAPI_DOCS_UI"] = "redoc"
    with pytest.raises(ValueError, match="'erlen'.*'swagger'"):

        @app.post("/items")
        def create(item: MItem) -> MItem:
            return item


def test_swagger_ui_without_its_package_says_what_to_install(monkeypatch):
    from erlen import Erlen

    monkeypatch.setitem(sys.modules, "swagger_ui_bundle", None)
    app = Erlen("no_swagger")
    app.config["OPENAPI_DOCS_UI"] = "swagger"
    with pytest.raises(RuntimeError, match=r"pip install 'erlen\[swagger-ui\]'"):

        @app.post("/items")
        def create(item: MItem) -> MItem:
            return item


def test_a_form_model_with_a_file_field_is_read_and_documented():
    import io

    import msgspec
    import pydantic

    from erlen import Erlen, Form
    from erlen.datastructures import FileStorage

    class MUpload(msgspec.Struct):
        title: str
        file: FileStorage

    class PUpload(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)
        title: str
        file: FileStorage

    app = Erlen("uploads")

    @app.post("/m")
    def upload_m(form: Annotated[MUpload, Form()]) -> dict:
        return {"title": form.title, "name": form.file.filename}

    @app.post("/p")
    def upload_p(form: Annotated[PUpload, Form()]) -> dict:
        return {"title": form.title, "name": form.file.filename}

    client = app.test_client()
    for url in ("/m", "/p"):
        sent = {"title": "notes", "file": (io.BytesIO(b"x"), "a.txt")}
        assert client.post(url, data=sent).json == {"title": "notes", "name": "a.txt"}
    document = client.get("/openapi.json").json
    validate(document)
    binary = {"type": "string", "contentMediaType": "application/octet-stream"}
    for name in ("MUpload", "PUpload"):
        field = document["components"]["schemas"][name]["properties"]["file"]
        assert {key: field[key] for key in binary} == binary
