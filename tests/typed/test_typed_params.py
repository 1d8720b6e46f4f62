"""Typed views: query, header, cookie and form values, files, and path values."""

import datetime
import io
from typing import Annotated

import pytest
from typed_models import MODELS, Color, Size

from erlen import Cookie, Form, Header, Query
from erlen.datastructures import FileStorage

PROBLEM = "application/problem+json"


@pytest.fixture(params=["msgspec", "pydantic"])
def models(request):
    return MODELS[request.param]


def _errors(response):
    assert response.status_code == 422, response.text
    assert response.content_type == PROBLEM
    return {tuple(error["loc"]): error for error in response.json["errors"]}


def test_query_values_are_converted(app, client):
    @app.get("/search")
    def search(
        q: Annotated[str, Query()],
        limit: Annotated[int, Query()] = 10,
        ratio: Annotated[float, Query()] = 1.0,
        exact: Annotated[bool, Query()] = False,
        color: Annotated[Color, Query()] = Color.RED,
        size: Annotated[Size, Query()] = Size.SMALL,
        since: Annotated[datetime.date | None, Query()] = None,
    ) -> dict:
        return {
            "q": q,
            "limit": limit,
            "ratio": ratio,
            "exact": exact,
            "color": color.value,
            "size": int(size),
            "since": since and since.isoformat(),
        }

    response = client.get(
        "/search?q=pen&limit=5&ratio=0.5&exact=true&color=green&size=2&since=2026-01-02"
    )
    assert response.json == {
        "q": "pen",
        "limit": 5,
        "ratio": 0.5,
        "exact": True,
        "color": "green",
        "size": 2,
        "since": "2026-01-02",
    }
    defaults = client.get("/search?q=pen").json
    assert defaults == {
        "q": "pen",
        "limit": 10,
        "ratio": 1.0,
        "exact": False,
        "color": "red",
        "size": 1,
        "since": None,
    }


@pytest.mark.parametrize("library", ["msgspec", "pydantic"])
def test_query_errors_are_gathered_with_the_body_errors(app, client, library):
    models = MODELS[library]

    @app.post("/items")
    def create(
        item: models.Item,
        limit: Annotated[int, Query()] = 10,
    ) -> models.Item:
        return item

    errors = _errors(client.post("/items?limit=many", json={"name": "pen"}))
    assert ("query", "limit") in errors
    assert ("body", "price") in errors


@pytest.mark.parametrize("library", ["msgspec", "pydantic"])
def test_a_missing_required_query_value_is_422(app, client, library):
    models = MODELS[library]

    @app.post("/items")
    def create(item: models.Item, q: Annotated[str, Query()]) -> models.Item:
        return item

    errors = _errors(client.post("/items", json={"name": "pen", "price": 1}))
    assert errors[("query", "q")]["type"] == "missing"


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ("limit=x", "limit"),
        ("exact=maybe", "exact"),
        ("color=blue", "color"),
        ("since=soon", "since"),
        ("ids=1&ids=two", "ids"),
    ],
)
def test_a_bad_query_value_is_422_naming_it(app, client, query, where):
    @app.get("/search")
    def search(
        limit: Annotated[int, Query()] = 10,
        exact: Annotated[bool, Query()] = False,
        color: Annotated[Color, Query()] = Color.RED,
        since: Annotated[datetime.date | None, Query()] = None,
        ids: Annotated[list[int], Query()] = [],  # noqa: B006 - never mutated
    ) -> dict:
        return {}

    errors = _errors(client.get(f"/search?{query}"))
    assert [loc[:2] for loc in errors] == [("query", where)]


def test_a_list_takes_every_value_of_a_query_key(app, client):
    @app.get("/tags")
    def tags(tag: Annotated[list[str], Query()] = [], n: Annotated[list[int], Query()] = []):  # noqa: B006
        return {"tag": tag, "n": n}

    assert client.get("/tags?tag=a&tag=b&n=1&n=2").json == {"tag": ["a", "b"], "n": [1, 2]}
    assert client.get("/tags").json == {"tag": [], "n": []}


def test_an_alias_names_the_value_on_the_wire(app, client):
    @app.get("/list")
    def listing(per_page: Annotated[int, Query(alias="per-page")] = 20) -> dict:
        return {"per_page": per_page}

    assert client.get("/list?per-page=5").json == {"per_page": 5}
    assert ("query", "per-page") in _errors(client.get("/list?per-page=x"))


@pytest.mark.parametrize("library", ["msgspec", "pydantic"])
def test_pagination_params_as_a_query_model(app, client, library):
    models = MODELS[library]

    @app.get("/items")
    def items(page: Annotated[models.Page, Query()]) -> dict:
        return {"page": page.page, "per_page": page.per_page, "sort": page.sort}

    assert client.get("/items?page=3&sort=name&sort=-price").json == {
        "page": 3,
        "per_page": 20,
        "sort": ["name", "-price"],
    }
    assert client.get("/items").json == {"page": 1, "per_page": 20, "sort": []}
    assert ("query", "page") in _errors(client.get("/items?page=last"))


def test_header_values(app, client):
    @app.get("/whoami")
    def whoami(
        x_token: Annotated[str, Header()],
        x_retries: Annotated[int, Header()] = 0,
        agent: Annotated[str | None, Header(alias="User-Agent")] = None,
    ) -> dict:
        return {"token": x_token, "retries": x_retries, "agent": agent}

    response = client.get(
        "/whoami", headers={"X-Token": "abc", "x-retries": "3", "User-Agent": "me"}
    )
    assert response.json == {"token": "abc", "retries": 3, "agent": "me"}
    errors = _errors(client.get("/whoami", headers={"X-Retries": "lots"}))
    assert errors[("header", "X-Token")]["type"] == "missing"
    assert ("header", "X-Retries") in errors


def test_cookie_values(app, client):
    @app.get("/prefs")
    def prefs(
        theme: Annotated[str, Cookie()] = "light",
        visits: Annotated[int, Cookie()] = 0,
    ) -> dict:
        return {"theme": theme, "visits": visits}

    assert client.get("/prefs").json == {"theme": "light", "visits": 0}
    client.set_cookie("theme", "dark")
    client.set_cookie("visits", "4")
    assert client.get("/prefs").json == {"theme": "dark", "visits": 4}
    client.set_cookie("visits", "often")
    assert ("cookie", "visits") in _errors(client.get("/prefs"))


@pytest.mark.parametrize("library", ["msgspec", "pydantic"])
def test_a_form_fills_a_model(app, client, library):
    models = MODELS[library]

    @app.post("/signup")
    def signup(form: Annotated[models.Signup, Form()]) -> models.Signup:
        return form

    response = client.post("/signup", data={"user": "ada", "age": "36", "newsletter": "true"})
    assert response.json == {"user": "ada", "age": 36, "newsletter": True}
    errors = _errors(client.post("/signup", data={"user": "ada", "age": "old"}))
    assert ("form", "age") in errors
    # Every bad or missing field at once, with either library.
    errors = _errors(client.post("/signup", data={"age": "old", "newsletter": "maybe"}))
    assert set(errors) == {("form", "user"), ("form", "age"), ("form", "newsletter")}
    response = client.post("/signup", json={"user": "ada", "age": 36})
    assert response.status_code == 415
    assert response.content_type == PROBLEM


def test_form_fields_and_an_uploaded_file(app, client):
    @app.post("/upload")
    def upload(
        title: Annotated[str, Form()],
        document: Annotated[FileStorage, Form()],
        copies: Annotated[int, Form()] = 1,
    ) -> dict:
        return {
            "title": title,
            "copies": copies,
            "name": document.filename,
            "size": len(document.read()),
        }

    response = client.post(
        "/upload",
        data={"title": "notes", "copies": "2", "document": (io.BytesIO(b"hello"), "notes.txt")},
    )
    assert response.json == {"title": "notes", "copies": 2, "name": "notes.txt", "size": 5}
    errors = _errors(client.post("/upload", data={"title": "notes"}))
    assert errors[("form", "document")]["type"] == "missing"
    errors = _errors(
        client.post("/upload", data={"copies": "x", "document": (io.BytesIO(b""), "a.txt")})
    )
    assert ("form", "title") in errors and ("form", "copies") in errors


def test_path_values_keep_their_converters(app, client, models):
    @app.post("/shops/<int:shop>/items/<name>")
    def create(shop: int, name: str, item: models.Item) -> dict:
        return {"shop": shop, "name": name, "item": item.name}

    response = client.post("/shops/7/items/pen", json={"name": "ink", "price": 1})
    assert response.json == {"shop": 7, "name": "pen", "item": "ink"}
    assert client.post("/shops/seven/items/pen", json={}).status_code == 404


def test_a_path_annotation_that_disagrees_with_its_converter_fails_at_registration(app, models):
    with pytest.raises(TypeError, match=r"'shop' as str.*converter gives int"):

        @app.post("/shops/<int:shop>")
        def create(shop: str, item: models.Item) -> models.Item:
            return item


def test_an_unmarked_plain_parameter_fails_at_registration(app, models):
    with pytest.raises(TypeError, match=r"Annotated\[int, Query\(\)\]"):

        @app.post("/items")
        def create(item: models.Item, limit: int) -> models.Item:
            return item


def test_two_json_bodies_fail_at_registration(app, models):
    with pytest.raises(TypeError, match="more than one request body"):

        @app.post("/items")
        def create(first: models.Item, second: models.Item) -> models.Item:
            return first


def test_a_path_string_read_as_an_enum_or_a_date(app, client, models):
    @app.post("/days/<day>/<color>")
    def paint(day: datetime.date, color: Color, item: models.Item) -> dict:
        return {"weekday": day.isoweekday(), "color": color.value}

    assert client.post("/days/2026-12-07/green", json={"name": "a", "price": 1}).json == {
        "weekday": 1,
        "color": "green",
    }
    errors = _errors(client.post("/days/monday/blue", json={"name": "a", "price": 1}))
    assert ("path", "day") in errors and ("path", "color") in errors
    document = app.test_client().get("/openapi.json").json
    operation = document["paths"]["/days/{day}/{color}"]["post"]
    color = next(p for p in operation["parameters"] if p["name"] == "color")["schema"]
    if "$ref" in color:
        color = document["components"]["schemas"][color["$ref"].rpartition("/")[2]]
    assert sorted(color["enum"]) == ["green", "red"]


@pytest.mark.parametrize("library", ["msgspec", "pydantic"])
def test_a_header_model(app, client, library):
    import msgspec
    import pydantic

    if library == "msgspec":

        class Client(msgspec.Struct):
            user_agent: str
            x_retries: int = 0

    else:

        class Client(pydantic.BaseModel):
            user_agent: str
            x_retries: int = 0

    @app.get("/client")
    def who(client_headers: Annotated[Client, Header()]) -> dict:
        return {"agent": client_headers.user_agent, "retries": client_headers.x_retries}

    response = client.get("/client", headers={"User-Agent": "me", "X-Retries": "2"})
    assert response.json == {"agent": "me", "retries": 2}
    assert ("header", "x_retries") in _errors(
        client.get("/client", headers={"User-Agent": "me", "X-Retries": "two"})
    )
    operation = app.test_client().get("/openapi.json").json["paths"]["/client"]["get"]
    assert [(p["name"], p["in"], p["required"]) for p in operation["parameters"]] == [
        ("User-Agent", "header", True),
        ("X-Retries", "header", False),
    ]


@pytest.mark.parametrize("library", ["msgspec", "pydantic"])
def test_constraints_beside_the_marker_are_kept(app, client, library):
    import msgspec
    import pydantic

    models = MODELS[library]
    between = msgspec.Meta(ge=1, le=100) if library == "msgspec" else pydantic.Field(ge=1, le=100)

    @app.post("/items")
    def create(item: models.Item, limit: Annotated[int, Query(), between] = 10) -> models.Item:
        return item

    assert client.post("/items?limit=100", json={"name": "a", "price": 1}).status_code == 200
    errors = _errors(client.post("/items?limit=0", json={"name": "a", "price": 1}))
    assert list(errors) == [("query", "limit")]
    document = app.test_client().get("/openapi.json").json
    limit = document["paths"]["/items"]["post"]["parameters"][0]
    assert (limit["name"], limit["schema"]["minimum"], limit["schema"]["maximum"]) == (
        "limit",
        1,
        100,
    )
