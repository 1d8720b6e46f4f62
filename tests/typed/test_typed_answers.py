"""Typed views: the view's value against its return annotation (``TYPED_CHECK_ANSWERS``).

Off (the default), the value is encoded by the annotation's library as it
is; on, it is first made the annotated type: extra fields dropped, a value
that does not fit is the view's bug, a 500.
"""

import types
from typing import Annotated

import msgspec
import pydantic
import pytest

from erlen import Created
from erlen.typed import AnswerInvalid


class MPublic(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=2)]


class MPrivate(msgspec.Struct):
    name: str
    password: str


class PPublic(pydantic.BaseModel):
    name: str = pydantic.Field(min_length=2)


class PPrivate(pydantic.BaseModel):
    name: str
    password: str


USERS = {
    "msgspec": types.SimpleNamespace(Public=MPublic, Private=MPrivate),
    "pydantic": types.SimpleNamespace(Public=PPublic, Private=PPrivate),
}


@pytest.fixture(params=["msgspec", "pydantic"])
def users(request):
    return USERS[request.param]


def test_off_by_default_a_value_is_encoded_not_checked(app, client):
    @app.get("/me")
    def me() -> MPublic:
        return MPrivate(name="ada", password="secret")

    @app.get("/short")
    def short() -> PPublic:
        return PPublic.model_construct(name="a")  # built without validation

    # msgspec writes what the view returned, every field of it; pydantic
    # writes the annotated model's fields. Neither checks the value.
    assert client.get("/me").json == {"name": "ada", "password": "secret"}
    assert client.get("/short").json == {"name": "a"}


def test_on_extra_fields_are_dropped(app, client, users):
    app.config["TYPED_CHECK_ANSWERS"] = True

    @app.get("/me")
    def me() -> Created[users.Public]:
        return users.Private(name="ada", password="secret")

    @app.get("/all")
    def everyone() -> list[users.Public]:
        return [users.Private(name="ada", password="x"), {"name": "bob", "password": "y"}]

    response = client.get("/me")
    assert response.status_code == 201
    assert response.json == {"name": "ada"}
    assert client.get("/all").json == [{"name": "ada"}, {"name": "bob"}]


def test_on_a_value_of_the_type_itself_passes(app, client, users):
    app.config["TYPED_CHECK_ANSWERS"] = True

    @app.get("/me")
    def me() -> users.Public:
        return users.Public(name="ada")

    assert client.get("/me").json == {"name": "ada"}


def test_on_a_value_that_does_not_fit_is_the_views_error(app, client, users):
    app.config["TYPED_CHECK_ANSWERS"] = True

    @app.get("/me")
    def me() -> users.Public:
        return {"name": "a", "password": "secret"}

    with pytest.raises(AnswerInvalid) as caught:
        client.get("/me")
    message = str(caught.value)
    assert message.startswith("The view test_on_a_value_that_does_not_fit_is_the_views_error")
    name = users.Public.__name__
    assert f"does not fit its return annotation {name} (name: " in message
    assert f"Return a {name}, or change the annotation." in message


def test_on_the_client_gets_a_plain_500_and_nothing_of_the_value(app, client, users):
    app.config.update(TYPED_CHECK_ANSWERS=True, TESTING=False)

    @app.get("/me")
    def me() -> users.Public:
        return {"password": "secret"}

    response = client.get("/me")
    assert response.status_code == 500
    assert b"secret" not in response.data


def test_a_response_tuple_or_string_is_not_checked(app, client, users):
    app.config["TYPED_CHECK_ANSWERS"] = True

    @app.get("/gone")
    def gone() -> users.Public:
        return "gone", 410

    @app.get("/later")
    def later() -> users.Public:
        return users.Private(name="ada", password="x"), 202, {"X-Later": "1"}

    assert client.get("/gone").status_code == 410
    response = client.get("/later")
    assert (response.status_code, response.json) == (202, {"name": "ada"})
    assert response.headers["X-Later"] == "1"
