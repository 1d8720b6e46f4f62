"""A small API with a hand-written OpenAPI 3.1 document and the docs page.

The document is written out here rather than generated, so the page's
tests do not depend on the generator: they check that the page shows and
drives whatever a valid document describes.
"""

from __future__ import annotations

from erlen import Blueprint, Erlen, request
from erlen.openapi.page import register_docs_page
from erlen.response import Response
from erlen.security import security_headers

app = Erlen(__name__)
# The app's own strict CSP; the docs page keeps the one it sets itself.
security_headers(app)

ITEMS: dict[int, dict[str, object]] = {1: {"id": 1, "name": "kettle", "price": 25.5, "tags": []}}

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}

DOCUMENT: dict[str, object] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Shop",
        "version": "1.2.0",
        "description": "Items for sale.\n\nPrices are in euros.",
    },
    "tags": [{"name": "items", "description": "Things in the shop."}],
    "paths": {
        "/items/{item_id}": {
            "parameters": [
                {
                    "name": "item_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                    "description": "The item's number.",
                }
            ],
            "get": {
                "tags": ["items"],
                "operationId": "get_item",
                "summary": "Read an item",
                "parameters": [
                    {
                        "name": "fields",
                        "in": "query",
                        "schema": {"type": "array", "items": {"type": "string"}},
                        "description": "Only these fields.",
                    },
                    {"name": "verbose", "in": "query", "schema": {"type": "boolean"}},
                    {"name": "X-Trace", "in": "header", "schema": {"type": ["string", "null"]}},
                ],
                "responses": {
                    "200": {
                        "description": "The item.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                        },
                    },
                    "404": {"description": "No such item."},
                },
            },
        },
        "/items": {
            "post": {
                "tags": ["items"],
                "operationId": "create_item",
                "summary": "Add an item",
                "description": "The price must not be negative.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/NewItem"}}
                    },
                },
                "responses": {
                    "201": {
                        "description": "Created.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                        },
                    },
                    "422": {
                        "description": "The body did not validate.",
                        "content": {
                            "application/problem+json": {
                                "schema": {"$ref": "#/components/schemas/Problem"}
                            }
                        },
                    },
                },
            }
        },
        "/uploads": {
            "post": {
                "tags": ["files"],
                "summary": "Upload a file",
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {
                                    "title": {"type": "string", "default": "untitled"},
                                    "file": {"type": "string", "format": "binary"},
                                },
                            }
                        },
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {"title": {"type": "string"}},
                            }
                        },
                    },
                },
                "responses": {"200": {"description": "What arrived."}},
            }
        },
        "/health": {
            "get": {
                "summary": "Say the service is up",
                "responses": {"200": {"description": "Up.", "content": {"text/plain": {}}}},
            }
        },
    },
    "components": {
        "schemas": {
            "NewItem": {
                "type": "object",
                "required": ["name", "price"],
                "properties": {
                    "name": {"type": "string", "example": "teapot"},
                    "price": {"type": "number", "minimum": 0},
                    "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
                    "colour": {"anyOf": [{"enum": ["red", "blue"]}, {"type": "null"}]},
                },
            },
            "Item": {
                "allOf": [
                    {"$ref": "#/components/schemas/NewItem"},
                    {"type": "object", "properties": {"id": {"type": "integer"}}},
                ]
            },
            "Tag": {"type": "string", "enum": ["kitchen", "garden"]},
            "Problem": PROBLEM,
        }
    },
}


@app.get("/openapi.json")
def openapi_document() -> dict[str, object]:
    return DOCUMENT


register_docs_page(app, docs_url="/docs", openapi_url="/openapi.json", title="Shop API")


@app.get("/items/<int:item_id>")
def get_item(item_id: int) -> object:
    item = ITEMS.get(item_id)
    if item is None:
        return {"error": "no such item"}, 404
    fields = request.args.getlist("fields")
    shown = {key: value for key, value in item.items() if not fields or key in fields}
    if request.headers.get("X-Trace"):
        shown["trace"] = request.headers["X-Trace"]
    return shown


@app.post("/items")
def create_item() -> object:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _problem(400, "The body is not a JSON object.", [])
    errors = []
    if not isinstance(body.get("name"), str):
        errors.append({"loc": ["body", "name"], "msg": "a string is required", "type": "missing"})
    price = body.get("price")
    if not isinstance(price, int | float) or price < 0:
        errors.append({"loc": ["body", "price"], "msg": "must be 0 or more", "type": "range"})
    if errors:
        return _problem(422, "The body did not validate.", errors)
    item = {"id": len(ITEMS) + 1, **body}
    ITEMS[int(item["id"])] = item
    return item, 201


# A document whose every string is markup, to show the page renders it as text.
MARKUP = '<img src=x onerror="window.__pwned=1">'
HOSTILE_DOCUMENT: dict[str, object] = {
    "openapi": "3.1.0",
    "info": {"title": MARKUP, "version": "</script><script>window.__pwned=2</script>"},
    "tags": [{"name": MARKUP, "description": MARKUP}],
    "paths": {
        "/evil/{" + MARKUP + "}": {
            "post": {
                "tags": [MARKUP],
                "summary": MARKUP,
                "description": MARKUP,
                "externalDocs": {"url": "javascript:window.__pwned=3", "description": MARKUP},
                "parameters": [
                    {
                        "name": MARKUP,
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "example": MARKUP},
                    },
                    {"name": "q", "in": "query", "schema": {"enum": [MARKUP], "default": MARKUP}},
                ],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "title": MARKUP,
                                "properties": {MARKUP: {"type": "string", "example": MARKUP}},
                            }
                        }
                    }
                },
                "responses": {MARKUP: {"description": MARKUP}},
            }
        }
    },
}

evil = Blueprint("evil", __name__, url_prefix="/evil")


@evil.get("/openapi.json")
def hostile_document() -> dict[str, object]:
    return HOSTILE_DOCUMENT


register_docs_page(evil, docs_url="/docs", openapi_url="/evil/openapi.json", title=MARKUP)
app.register_blueprint(evil)


# A docs page pointed at a document that is not there.
missing = Blueprint("missing", __name__, url_prefix="/missing")
register_docs_page(missing, openapi_url="/missing/openapi.json", title="Nothing")
app.register_blueprint(missing)


@app.post("/uploads")
def upload() -> dict[str, object]:
    file = request.files.get("file")
    return {
        "content_type": request.mimetype,
        "title": request.form.get("title"),
        "file": None if file is None else {"filename": file.filename, "text": file.read().decode()},
    }


@app.get("/health")
def health() -> str:
    return "up"


def _problem(status: int, detail: str, errors: list[dict[str, object]]) -> Response:
    return Response(
        app.json.dumps(
            {
                "type": "about:blank",
                "title": "Unprocessable Content" if status == 422 else "Bad Request",
                "status": status,
                "detail": detail,
                "errors": errors,
            }
        ),
        status=status,
        mimetype="application/problem+json",
    )
