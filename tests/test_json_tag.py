"""erlen.json.tag: Flask's tagged JSON API, in the format erlen's session cookies use."""

from __future__ import annotations

import datetime
import uuid
from collections import OrderedDict
from decimal import Decimal

import pytest
from markupsafe import Markup

from erlen import session
from erlen.json.tag import (
    JSONTag,
    PassDict,
    PassList,
    TagBytes,
    TagDate,
    TagDateTime,
    TagDict,
    TaggedJSONSerializer,
    TagMarkup,
    TagTuple,
    TagUUID,
)
from erlen.sessions import SecureCookieSessionInterface, session_json_serializer

UTC = datetime.timezone.utc

VALUES = {
    "str": "héllo ☃",
    "int": 2**70,
    "float": 1.5,
    "bool": True,
    "none": None,
    "list": [1, "two", None],
    "tuple": (1, (2, 3)),
    "bytes": b"\x00\xffbin",
    "datetime": datetime.datetime(2024, 5, 17, 12, 30, 45, 123456, tzinfo=UTC),
    "naive-datetime": datetime.datetime(2024, 5, 17, 12, 30),
    "date": datetime.date(2024, 5, 17),
    "uuid": uuid.UUID(int=7),
    "markup": Markup("<b>x</b>"),
    "tag-like-dict": {"~t": [1]},
    "escape-like-dict": {"~~": 1},
    "two-key-dict": {"~t": 1, "~b": 2},
    "nested": {"a": [(1, b"x"), {"when": datetime.date(2020, 1, 1)}], "m": [Markup("<i>")]},
}


def shape(value):
    """The value's types, all the way down."""
    if isinstance(value, dict):
        return (type(value), {key: shape(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return (type(value), [shape(item) for item in value])
    return type(value)


class TagNothing(JSONTag):
    """A tag that takes no value: registered, it moves tag() off its shortcut."""

    __slots__ = ()
    key = "~nothing"

    def check(self, value):
        return False


def general_serializer():
    serializer = TaggedJSONSerializer()
    serializer.register(TagNothing)
    return serializer


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_round_trip(value):
    serializer = TaggedJSONSerializer()
    loaded = serializer.loads(serializer.dumps(value))
    assert loaded == value
    assert shape(loaded) == shape(value)


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_shortcut_and_tags_write_the_same(value):
    # tag() has a shortcut for the default tags; the tags themselves must agree.
    assert general_serializer().tag(value) == TaggedJSONSerializer().tag(value)
    assert general_serializer().dumps(value) == TaggedJSONSerializer().dumps(value)


def test_tag_and_untag_one_value():
    serializer = TaggedJSONSerializer()
    assert serializer.tag((1, 2)) == {"~t": [1, 2]}
    assert serializer.tag({"a": b"hi"}) == {"a": {"~b": "aGk="}}
    assert serializer.tag({"~x": 1}) == {"~~": ["~x", 1]}
    assert serializer.untag({"~t": [1, 2]}) == (1, 2)
    assert serializer.untag({"~u": uuid.UUID(int=1).hex}) == uuid.UUID(int=1)
    assert serializer.untag({"plain": 1}) == {"plain": 1}
    assert serializer.untag({"a": 1, "~t": 2}) == {"a": 1, "~t": 2}


def test_the_tags_and_their_order():
    serializer = TaggedJSONSerializer()
    assert [type(tag) for tag in serializer.order] == [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
        TagDate,
    ]
    assert set(serializer.tags) == {"~~", "~t", "~b", "~m", "~u", "~d", "~D"}
    tag = serializer.tags["~t"]
    assert tag.serializer is serializer
    assert tag.check((1,)) and not tag.check([1])
    assert tag.tag((1,)) == {"~t": [1]}
    assert tag.to_python([1]) == (1,)


def test_cookies_written_before_still_decode():
    # Text the session serializer wrote before it was erlen.json.tag.
    old = (
        '{"a":{"~t":[1,{"~b":"aGk="}]},"d":{"~d":"2024-05-17T12:30:00+00:00"},'
        '"D":{"~D":"2024-05-17"},"u":{"~u":"00000000000000000000000000000007"},'
        '"m":{"~m":"<b>x</b>"},"e":{"~~":["~t",1]}}'
    )
    assert session_json_serializer.loads(old) == {
        "a": (1, b"hi"),
        "d": datetime.datetime(2024, 5, 17, 12, 30, tzinfo=UTC),
        "D": datetime.date(2024, 5, 17),
        "u": uuid.UUID(int=7),
        "m": Markup("<b>x</b>"),
        "e": {"~t": 1},
    }


def test_unknown_tag_is_a_value_error():
    with pytest.raises(ValueError, match="Unknown tag '~z'"):
        TaggedJSONSerializer().loads('{"a": {"~z": 1}}')


# -- tags of one's own --------------------------------------------------------------


class TagOrderedDict(JSONTag):
    __slots__ = ()
    key = "~od"

    def check(self, value):
        return isinstance(value, OrderedDict)

    def to_json(self, value):
        return [[key, self.serializer.tag(item)] for key, item in value.items()]

    def to_python(self, value):
        return OrderedDict(value)


class TagDecimal(JSONTag):
    __slots__ = ()
    key = " dec"  # Flask's style of key: registered, it is escaped like erlen's

    def check(self, value):
        return isinstance(value, Decimal)

    def to_json(self, value):
        return str(value)

    def to_python(self, value):
        return Decimal(value)


def test_a_tag_registered_first_takes_precedence():
    serializer = TaggedJSONSerializer()
    serializer.register(TagOrderedDict, index=0)
    assert isinstance(serializer.order[0], TagOrderedDict)
    value = {"o": OrderedDict([("b", (1,)), ("a", 2)])}
    assert serializer.tag(value) == {"o": {"~od": [["b", {"~t": [1]}], ["a", 2]]}}
    loaded = serializer.loads(serializer.dumps(value))
    assert loaded == value
    assert type(loaded["o"]) is OrderedDict
    assert list(loaded["o"]) == ["b", "a"]
    # Without the tag, an OrderedDict is a dict like any other.
    assert type(TaggedJSONSerializer().loads(TaggedJSONSerializer().dumps(value))["o"]) is dict


def test_a_registered_key_is_escaped_in_plain_dicts():
    serializer = TaggedJSONSerializer()
    serializer.register(TagDecimal)
    value = {"price": Decimal("1.10"), "raw": {" dec": "not a decimal"}}
    assert serializer.tag(value) == {
        "price": {" dec": "1.10"},
        "raw": {"~~": [" dec", "not a decimal"]},
    }
    assert serializer.loads(serializer.dumps(value)) == value


def test_registering_a_key_twice():
    serializer = TaggedJSONSerializer()
    with pytest.raises(KeyError, match="already registered") as caught:
        serializer.register(TagTuple)
    assert "force=True" in str(caught.value)

    class ListTuple(TagTuple):
        __slots__ = ()

        def to_python(self, value):
            return ["was a tuple", *value]

    serializer.register(ListTuple, force=True)
    assert serializer.loads(serializer.dumps((1,))) == ["was a tuple", 1]


def test_a_custom_tag_in_the_session_cookie(app, client):
    app.secret_key = "test secret"
    app.session_interface.serializer = TaggedJSONSerializer()
    app.session_interface.serializer.register(TagDecimal)

    @app.get("/store")
    def store():
        session["price"] = Decimal("9.99")
        return "ok"

    @app.get("/load")
    def load():
        price = session["price"]
        return f"{type(price).__name__} {price}"

    client.get("/store")
    assert client.get("/load").text == "Decimal 9.99"


def test_the_session_interface_has_a_tagged_serializer(app):
    assert isinstance(app.session_interface.serializer, TaggedJSONSerializer)
    assert SecureCookieSessionInterface.serializer is session_json_serializer


# -- errors --------------------------------------------------------------------------


def test_an_untaggable_value_names_its_type_and_the_fix():
    class Cart:
        pass

    for serializer in (TaggedJSONSerializer(), general_serializer()):
        with pytest.raises(TypeError) as caught:
            serializer.dumps({"cart": Cart()})
        message = str(caught.value)
        assert "cannot store a" in message
        assert "Cart" in message
        assert "register a JSONTag" in message


def test_a_key_that_is_not_a_string_is_refused():
    for serializer in (TaggedJSONSerializer(), general_serializer()):
        with pytest.raises(TypeError, match="str keys, not the int key 1"):
            serializer.dumps({1: "x"})


def test_a_malformed_tag_value_is_an_error():
    serializer = TaggedJSONSerializer()
    with pytest.raises(ValueError):
        serializer.loads('{"~b": "***"}')
    with pytest.raises(ValueError):
        serializer.loads('{"~~": [1, 2, 3]}')
