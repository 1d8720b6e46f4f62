"""Typed views: which views are typed, and where they can be declared."""

import subprocess
import sys
from typing import Annotated

import pytest
import string_annotated_views
from typed_models import MODELS, MItem, PItem

from erlen import Blueprint, Created, Erlen, Query
from erlen.views import MethodView


@pytest.fixture(params=["msgspec", "pydantic"])
def models(request):
    return MODELS[request.param]


def test_a_view_without_typed_annotations_is_registered_as_it_is(app):
    def plain():
        return "plain"

    def annotated(uid: int) -> str:
        return str(uid)

    def returns_dict(name: str) -> dict[str, str]:
        return {"name": name}

    app.add_url_rule("/", view_func=plain)
    app.add_url_rule("/users/<int:uid>", view_func=annotated)
    app.add_url_rule("/names/<name>", view_func=returns_dict)
    assert app.view_functions["plain"] is plain
    assert app.view_functions["annotated"] is annotated
    assert app.view_functions["returns_dict"] is returns_dict
    assert not any(rule.endpoint == "_openapi" for rule in app.url_map.iter_rules())


def test_a_typed_view_is_wrapped_and_keeps_its_name_and_doc(app, models):
    def create(item: models.Item) -> models.Item:
        """Make one."""
        return item

    app.add_url_rule("/items", view_func=create, methods=["POST"])
    registered = app.view_functions["create"]
    assert registered is not create
    assert registered.__wrapped__ is create
    assert registered.__name__ == "create"
    assert registered.__doc__ == "Make one."


def test_one_typed_function_on_two_rules(app, client, models):
    @app.get("/items", defaults={"page": 1})
    @app.get("/items/page/<int:page>")
    def items(page: int, q: Annotated[str, Query()] = "") -> dict:
        return {"page": page, "q": q}

    assert client.get("/items?q=x").json == {"page": 1, "q": "x"}
    assert client.get("/items/page/3").json == {"page": 3, "q": ""}


def test_async_typed_views(app, client, models):
    @app.post("/items")
    async def create(item: models.Item, n: Annotated[int, Query()] = 1) -> list[models.Item]:
        return [item] * n

    response = client.post("/items?n=2", json={"name": "pen", "price": 1})
    assert response.status_code == 200
    assert [item["name"] for item in response.json] == ["pen", "pen"]
    assert client.post("/items?n=x", json={"name": "pen", "price": 1}).status_code == 422


def test_typed_views_in_a_blueprint(app, client, models):
    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.post("/items/<int:shelf>")
    def create(shelf: int, item: models.Item) -> dict:
        return {"shelf": shelf, "name": item.name}

    app.register_blueprint(bp)
    assert client.post("/shop/items/4", json={"name": "pen", "price": 1}).json == {
        "shelf": 4,
        "name": "pen",
    }
    assert client.post("/shop/items/4", json={"name": "pen"}).status_code == 422


def test_views_with_string_annotations(app, client):
    app.register_blueprint(string_annotated_views.bp)
    response = client.post("/shop/items", json={"name": "pen", "price": 1})
    assert response.status_code == 201
    assert response.json == {"name": "pen", "price": 1.0, "tags": []}
    assert (
        client.post("/shop/items?dry_run=true", json={"name": "p", "price": 1}).json["name"]
        == "dry"
    )
    assert client.get("/shop/plain/4").text == "8"
    assert app.view_functions["shop.plain"] is string_annotated_views.plain


def test_a_typed_view_whose_annotation_does_not_resolve_fails_at_registration(app):
    namespace = {}
    exec(
        "from __future__ import annotations\n"
        "from typed_models import MItem\n"
        "def create(item: MItem, other: Missing) -> MItem:\n"
        "    return item\n",
        namespace,
    )
    with pytest.raises(TypeError, match="do not resolve: other"):
        app.add_url_rule("/items", view_func=namespace["create"], methods=["POST"])


class ItemAPI(MethodView):
    def get(self, name: str) -> dict:
        return {"name": name}

    def put(self, name: str, item: MItem, notify: Annotated[bool, Query()] = False) -> MItem:
        return MItem(name=f"{name}:{item.name}", price=item.price, tags=["notified"] * notify)

    async def patch(self, name: str, item: PItem) -> PItem:
        return PItem(name=name, price=item.price * 2)


def test_typed_methods_of_a_method_view(app, client):
    app.add_url_rule("/items/<name>", view_func=ItemAPI.as_view("item"))
    assert client.get("/items/pen").json == {"name": "pen"}
    response = client.put("/items/pen?notify=1", json={"name": "ink", "price": 2})
    assert response.json == {"name": "pen:ink", "price": 2.0, "tags": ["notified"]}
    assert client.put("/items/pen", json={"price": 2}).status_code == 422
    assert client.patch("/items/pen", json={"name": "x", "price": 2}).json == {
        "name": "pen",
        "price": 4.0,
        "tags": [],
    }


def _loaded_after(script: str) -> list[str]:
    code = (
        "import sys\n"
        + script
        + "\nprint(sorted(m for m in ('msgspec', 'pydantic', 'erlen.typed', 'erlen.openapi')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip())  # noqa: S307 - our own print


def test_an_app_without_typed_views_loads_none_of_it():
    script = (
        "import erlen\n"
        "app = erlen.Erlen('plain')\n"
        "@app.get('/<int:n>')\n"
        "def view(n: int) -> str:\n"
        "    return str(n)\n"
        "app.test_client().get('/4')\n"
    )
    assert _loaded_after(script) == []


def test_a_msgspec_app_loads_msgspec_not_pydantic():
    script = (
        "import msgspec, erlen\n"
        "class Item(msgspec.Struct):\n"
        "    name: str\n"
        "app = erlen.Erlen('typed')\n"
        "@app.post('/')\n"
        "def view(item: Item) -> Item:\n"
        "    return item\n"
    )
    assert _loaded_after(script) == ["erlen.openapi", "erlen.typed", "msgspec"]


def test_the_markers_are_erlens_public_names():
    import erlen
    from erlen.typed import params

    for name in ("Query", "Header", "Cookie", "Form", "Body", "Created", "Accepted"):
        assert getattr(erlen, name) is getattr(params, name)
        assert name in erlen.__all__
    assert repr(Query("page-size")) == "Query('page-size')"


def test_a_typed_app_still_serves_its_plain_views(client, app, models):
    @app.get("/")
    def index():
        return "home"

    @app.post("/items")
    def create(item: models.Item) -> models.Item:
        return item

    assert client.get("/").text == "home"
    assert app.view_functions["index"] is index


def test_an_erlen_app_made_elsewhere_is_unaffected():
    other = Erlen("other")

    @other.get("/")
    def index() -> str:
        return "hi"

    assert other.view_functions["index"] is index


def test_a_subclass_of_a_typed_method_view_is_read_on_its_own(app, client):
    class Base(MethodView):
        def put(self, name: str, item: MItem) -> MItem:
            return item

    class Plain(Base):
        def put(self, name: str):
            return f"plain {name}"

    app.add_url_rule("/base/<name>", view_func=Base.as_view("base"))
    app.add_url_rule("/plain/<name>", view_func=Plain.as_view("plain"))
    assert client.put("/base/x", json={"name": "a", "price": 1}).json["name"] == "a"
    assert client.put("/plain/x").text == "plain x"


def test_a_callable_object_is_not_read_for_types(app, client):
    class Greeter:
        greeting: MItem  # a class annotation, not a parameter

        def __call__(self, name):
            return f"hello {name}"

    greeter = Greeter()
    app.add_url_rule("/hello/<name>", endpoint="hello", view_func=greeter)
    assert app.view_functions["hello"] is greeter
    assert client.get("/hello/ada").text == "hello ada"


def test_a_typed_view_under_a_decorator_made_with_functools_wraps(app, client, models):
    import functools

    from erlen import abort, request

    def token_required(view):
        @functools.wraps(view)
        def checked(*args, **kwargs):
            if request.headers.get("X-Token") != "secret":
                abort(401)
            return view(*args, **kwargs)

        return checked

    @app.post("/items")
    @token_required
    def create(item: models.Item) -> Created[models.Item]:
        return item

    assert client.post("/items", json={"name": "a", "price": 1}).status_code == 401
    response = client.post("/items", json={"name": "a", "price": 1}, headers={"X-Token": "secret"})
    assert response.status_code == 201
    assert response.json["name"] == "a"
