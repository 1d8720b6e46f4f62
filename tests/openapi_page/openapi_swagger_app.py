"""The same API as openapi_docs_app.py, with Swagger UI as its docs page."""

from __future__ import annotations

from openapi_docs_app import DOCUMENT
from openapi_docs_app import app as api

from erlen import Erlen
from erlen.openapi.page import register_docs_page
from erlen.security import security_headers

app = Erlen(__name__)
security_headers(app)


@app.get("/openapi.json")
def openapi_document() -> dict[str, object]:
    return DOCUMENT


register_docs_page(app, docs_url="/docs", openapi_url="/openapi.json", title="Shop", ui="swagger")

# The same views answer here as in the other app.
for rule in api.url_map.iter_rules():
    if rule.endpoint in {"get_item", "create_item", "health"}:
        app.add_url_rule(
            rule.rule, rule.endpoint, api.view_functions[rule.endpoint], methods=rule.methods
        )
