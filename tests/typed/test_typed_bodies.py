"""Typed views: JSON bodies, validated by msgspec and by pydantic.

No ``from __future__ import annotations`` here: the views below are typed
with the fixture's models, so their annotations must be evaluated where
they are written.
"""

import datetime
from typing import Annotated

import pytest
from typed_models import MODELS, Pair, Point

from erlen import Body, Created

PROBLEM = "application/problem+json"


@pytest.fixture(params=["msgspec", "pydantic"])
def models(request):
    return MODELS[request.param]


def _errors(response):
    assert response.status_code == 422, response.text
    assert response.content_type == PROBLEM
    document = response.json
    assert document["type"] == "about:blank"
    assert document["title"] == "Unprocessable Content"
    assert document["status"] == 422
    assert "did not validate" in document["detail"]
    return {tuple(error["loc"]): error for error in document["errors"]}


def test_a_valid_body_reaches_the_view_as_a_model(app, client, models):
    @app.post("/items")
    def create(item: models.Item) -> models.Item:
        assert isinstance(item, models.Item)
        return item

    response = client.post("/items", json={"name": "pen", "price": 1.5, "tags": ["a", "b", "c"]})
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.json == {"name": "pen", "price": 1.5, "tags": ["a", "b", "c"]}


def test_created_answers_201(app, client, models):
    @app.post("/items")
    def create(item: models.Item) -> Created[models.Item]:
        return item

    response = client.post("/items", json={"name": "pen", "price": 2})
    assert response.status_code == 201
    assert response.json == {"name": "pen", "price": 2.0, "tags": []}


def test_a_wrong_type_is_422_at_its_location(app, client, models):
    @app.post("/items")
    def create(item: models.Item) -> models.Item:
        return item

    errors = _errors(client.post("/items", json={"name": "pen", "price": "cheap"}))
    assert list(errors) == [("body", "price")]
    assert errors[("body", "price")]["msg"]


def test_a_missing_field_is_422_missing(app, client, models):
    @app.post("/items")
    def create(item: models.Item) -> models.Item:
        return item

    errors = _errors(client.post("/items", json={"name": "pen"}))
    assert errors[("body", "price")]["type"] == "missing"
    assert errors[("body", "price")]["msg"] == "Field required"


def test_nested_models_lists_enums_dates_and_unions(app, client, models):
    @app.post("/orders")
    def order(order: models.Order) -> models.Order:
        assert isinstance(order.address, models.Address)
        assert order.when == datetime.date(2026, 12, 7)
        return order

    sent = {
        "customer": "Ada",
        "address": {"street": "1 Main St", "city": "Oslo"},
        "items": [{"name": "pen", "price": 1.5, "tags": []}],
        "color": "green",
        "size": 2,
        "when": "2026-12-07",
        "code": "A7",
    }
    response = client.post("/orders", json=sent)
    assert response.status_code == 200, response.text
    assert response.json == sent


def test_an_error_deep_in_a_nested_model_says_where(app, client, models):
    @app.post("/orders")
    def order(order: models.Order) -> models.Order:
        return order

    sent = {
        "customer": "Ada",
        "address": {"street": "1 Main St", "city": "Oslo"},
        "items": [{"name": "pen", "price": 1}, {"name": "ink", "price": "x"}],
    }
    errors = _errors(client.post("/orders", json=sent))
    assert ("body", "items", 1, "price") in errors


def test_every_error_of_a_body_is_reported_with_either_library(app, client, models):
    @app.post("/orders")
    def order(order: models.Order) -> models.Order:
        return order

    sent = {
        "address": {"street": 1},
        "items": [{"name": "pen", "price": "x"}, {"price": 2, "tags": ["a", 3]}],
        "color": "blue",
        "when": "yesterday",
    }
    errors = _errors(client.post("/orders", json=sent))
    assert sorted(errors, key=str) == sorted(
        [
            ("body", "customer"),
            ("body", "address", "street"),
            ("body", "address", "city"),
            ("body", "items", 0, "price"),
            ("body", "items", 1, "name"),
            ("body", "items", 1, "tags", 1),
            ("body", "color"),
            ("body", "when"),
        ],
        key=str,
    )
    assert errors[("body", "customer")]["type"] == "missing"
    assert errors[("body", "address", "city")]["type"] == "missing"
    assert all(error["msg"] for error in errors.values())


def test_every_error_of_a_dataclass_or_typeddict_body(app, client):
    @app.post("/points")
    def point(point: Point) -> Point:
        return point

    @app.post("/pairs")
    def pair(pair: Pair) -> Pair:
        return pair

    assert set(_errors(client.post("/points", json={"x": "left"}))) == {
        ("body", "x"),
        ("body", "y"),
    }
    assert set(_errors(client.post("/pairs", json={"left": 1, "right": [2]}))) == {
        ("body", "left"),
        ("body", "right"),
    }


def test_a_body_with_very_many_errors_reports_a_bounded_number(app, client, models):
    @app.post("/items")
    def create(items: list[models.Item]) -> list[models.Item]:
        return items

    errors = _errors(client.post("/items", json=[{"name": 1}] * 500))
    assert len(errors) == 100  # erlen.typed.adapters.MAX_ERRORS
    assert ("body", 0, "name") in errors and ("body", 0, "price") in errors


@pytest.mark.parametrize(
    ("field", "value"),
    [("color", "blue"), ("size", 7), ("when", "yesterday"), ("code", [1])],
)
def test_a_bad_enum_date_or_union_member_is_422(app, client, models, field, value):
    @app.post("/orders")
    def order(order: models.Order) -> models.Order:
        return order

    sent = {"customer": "Ada", "address": {"street": "s", "city": "c"}, "items": [], field: value}
    errors = _errors(client.post("/orders", json=sent))
    assert any(loc[:2] == ("body", field) for loc in errors), errors


def test_a_list_of_models_as_the_body(app, client, models):
    @app.post("/items")
    def create(items: list[models.Item]) -> list[models.Item]:
        return items[::-1]

    response = client.post("/items", json=[{"name": "a", "price": 1}, {"name": "b", "price": 2}])
    assert [item["name"] for item in response.json] == ["b", "a"]
    errors = _errors(client.post("/items", json=[{"name": "a"}]))
    assert ("body", 0, "price") in errors


def test_an_optional_body_may_be_left_out(app, client, models):
    @app.post("/items")
    def create(item: models.Item | None = None) -> dict:
        return {"got": None if item is None else item.name}

    assert client.post("/items").json == {"got": None}
    assert client.post("/items", json={"name": "pen", "price": 1}).json == {"got": "pen"}


def test_a_required_body_left_out_is_422(app, client, models):
    @app.post("/items")
    def create(item: models.Item) -> models.Item:
        return item

    errors = _errors(client.post("/items"))
    assert errors[("body",)]["type"] == "missing"


def test_a_body_that_is_not_json_is_400(app, client, models):
    @app.post("/items")
    def create(item: models.Item) -> models.Item:
        return item

    response = client.post("/items", data='{"name": ', content_type="application/json")
    assert response.status_code == 400
    assert response.content_type == PROBLEM
    assert response.json["status"] == 400
    assert "not valid JSON" in response.json["detail"]


def test_a_body_of_another_content_type_is_415(app, client, models):
    @app.post("/items")
    def create(item: models.Item) -> models.Item:
        return item

    response = client.post("/items", data={"name": "pen", "price": "1"})
    assert response.status_code == 415
    assert response.content_type == PROBLEM
    assert "application/x-www-form-urlencoded" in response.json["detail"]
    assert "Content-Type: application/json" in response.json["detail"]


def test_a_json_suffix_content_type_is_json(app, client, models):
    @app.post("/items")
    def create(item: models.Item) -> models.Item:
        return item

    response = client.post(
        "/items", data='{"name": "pen", "price": 1}', content_type="application/merge-patch+json"
    )
    assert response.status_code == 200
    response = client.post(
        "/items", data='{"name": "pen", "price": 1}', content_type="application/json; charset=utf-8"
    )
    assert response.status_code == 200


def test_a_body_too_large_is_413_before_it_is_decoded(app, client, models):
    app.config["MAX_CONTENT_LENGTH"] = 64
    seen = []

    @app.post("/items")
    def create(item: models.Item) -> models.Item:
        seen.append(item)
        return item

    response = client.post("/items", json={"name": "x" * 200, "price": 1})
    assert response.status_code == 413
    assert response.content_type == PROBLEM
    assert response.json["status"] == 413
    assert seen == []


def test_nothing_leaks_a_traceback(app, client, models):
    @app.post("/items")
    def create(item: models.Item) -> models.Item:
        return item

    for response in (
        client.post("/items", data="\xff\xfe", content_type="application/json"),
        client.post("/items", json={"name": {"deep": [1, 2]}, "price": None}),
        client.post("/items", json=[1, 2, 3]),
    ):
        assert response.status_code in (400, 422), response.text
        assert "Traceback" not in response.text
        assert 'File "' not in response.text


def test_a_body_marked_body_of_a_plain_type(app, client):
    @app.post("/sum")
    def total(numbers: Annotated[list[int], Body()]) -> dict:
        return {"sum": sum(numbers)}

    assert client.post("/sum", json=[1, 2, 3]).json == {"sum": 6}
    errors = _errors(client.post("/sum", json=[1, "two"]))
    assert ("body", 1) in errors


def test_a_dataclass_and_a_typeddict_body(app, client):
    @app.post("/point")
    def point(point: Point) -> Point:
        return Point(point.y, point.x)

    @app.post("/pair")
    def pair(pair: Pair) -> dict:
        return {"joined": pair["left"] + pair["right"]}

    assert client.post("/point", json={"x": 1, "y": 2}).json == {"x": 2, "y": 1}
    assert client.post("/pair", json={"left": "a", "right": "b"}).json == {"joined": "ab"}
    assert ("body", "y") in _errors(client.post("/point", json={"x": 1}))


def test_a_returned_model_with_a_status_tuple(app, client, models):
    @app.put("/items/<name>")
    def replace(name: str, item: models.Item) -> models.Item:
        return item, 202, {"X-Name": name}

    response = client.put("/items/pen", json={"name": "pen", "price": 3})
    assert response.status_code == 202
    assert response.headers["X-Name"] == "pen"
    assert response.json["price"] == 3.0


def test_a_model_returned_without_a_return_annotation_is_encoded(app, client, models):
    @app.post("/items")
    def create(item: models.Item):
        return item

    assert client.post("/items", json={"name": "pen", "price": 3}).json["name"] == "pen"


def test_a_422_goes_to_the_apps_error_handler(app, client, models):
    @app.errorhandler(422)
    def invalid(error):
        return {"mine": [".".join(map(str, e["loc"])) for e in error.errors]}, 422

    @app.post("/items")
    def create(item: models.Item) -> models.Item:
        return item

    response = client.post("/items", json={"name": "pen"})
    assert response.status_code == 422
    assert response.json == {"mine": ["body.price"]}


def test_a_handler_for_validation_problems_reshapes_them(app, client, models):
    from erlen.typed import ValidationProblem

    @app.errorhandler(ValidationProblem)
    def invalid(error):
        fields = {".".join(map(str, e["loc"][1:])): e["type"] for e in error.errors}
        return {"message": "Please check the fields.", "fields": fields}, 422

    @app.post("/items")
    def create(item: models.Item) -> models.Item:
        return item

    response = client.post("/items", json={"name": "pen"})
    assert response.status_code == 422
    assert response.json == {"message": "Please check the fields.", "fields": {"price": "missing"}}
    assert client.post("/items", data="{", content_type="application/json").status_code == 400


def test_a_plain_return_type_goes_through_the_apps_json(app, client, models):
    @app.post("/items")
    def create(item: models.Item) -> Created[dict]:
        return {"name": item.name, "when": None}

    @app.post("/echo")
    def echo(item: models.Item) -> dict:
        return {"price": item.price}

    response = client.post("/items", json={"name": "pen", "price": 1})
    assert response.status_code == 201
    assert response.json == {"name": "pen", "when": None}
    assert client.post("/echo", json={"name": "pen", "price": 1}).json == {"price": 1.0}


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\x00",
        b'{"name": "\xc3(", "price": 1}',
        b"[" * 5000,
        b'{"price": 1e999999}',
        b"nul",
    ],
)
def test_hostile_bodies_are_4xx_problems(app, client, models, body):
    @app.post("/items")
    def create(item: models.Item) -> models.Item:
        return item

    response = client.post("/items", data=body, content_type="application/json")
    assert response.status_code in (400, 422), response.text
    assert response.content_type == PROBLEM
    assert response.json["status"] == response.status_code
