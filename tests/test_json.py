"""erlen.json's encoders: the same answers whether orjson is installed or not."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid

import pytest
from markupsafe import Markup

import erlen
from erlen import json as erlen_json
from erlen.json import _backend

BACKENDS = ["stdlib"] + (["orjson"] if _backend._orjson() is not None else [])


@pytest.fixture(params=BACKENDS)
def backend(request, monkeypatch):
    """Run the test with orjson, then with the standard library only."""
    if request.param == "stdlib":
        monkeypatch.setattr(_backend, "_orjson", lambda: None)
    # Rebound by _load_backend; monkeypatch puts the originals back afterwards.
    monkeypatch.setattr(_backend, "dumps_bytes", _backend.dumps_bytes)
    monkeypatch.setattr(_backend, "loads", _backend.loads)
    monkeypatch.setattr(erlen_json, "_encode_without_app", None)
    _backend._load_backend()
    return request.param


@dataclasses.dataclass
class Point:
    y: int
    x: int


def test_round_trip(backend):
    value = {"text": "héllo", "n": 1, "f": 1.5, "list": [True, None], "nested": {"a": []}}
    assert erlen_json.loads(erlen_json.dumps_bytes(value)) == value
    assert erlen_json.loads(erlen_json.dumps(value)) == value
    assert erlen_json.dumps_bytes({"b": "é", "a": 1}) == '{"b":"é","a":1}'.encode()


def test_extra_types(backend):
    ident = uuid.uuid4()
    value = {"d": datetime.date(2020, 5, 17), "u": ident, "s": {1}, "big": 2**80, 1: "int key"}
    decoded = erlen_json.loads(erlen_json.dumps_bytes(value))
    assert decoded == {
        "d": "Sun, 17 May 2020 00:00:00 GMT",
        "u": str(ident),
        "s": [1],
        "big": 2**80,
        "1": "int key",
    }


def test_unknown_type_message_says_what_to_do(backend):
    class Money:
        pass

    with pytest.raises(TypeError) as caught:
        erlen_json.dumps_bytes({"x": Money()})
    message = str(caught.value)
    assert "Object of type Money is not JSON serializable" in message
    assert "to_dict()" in message
    assert "json_provider_class" in message


@pytest.mark.parametrize("bad", [b"{bad", b"", b"\xff\xfe", b"[1,]", b"[" * 100_000])
def test_malformed_input_is_a_value_error(backend, bad):
    with pytest.raises((ValueError, RecursionError)):
        erlen_json.loads(bad)
    assert erlen_json.JSONDecodeError is ValueError


def test_request_json_errors_are_400_under_both(backend, app, client):
    from erlen import request

    @app.post("/")
    def index():
        return {"got": request.get_json()}

    assert client.post("/", json={"a": 1}).json == {"got": {"a": 1}}
    for body in (b"{bad", b"[" * 100_000, b"\xff"):
        response = client.post("/", data=body, content_type="application/json")
        assert response.status_code == 400, body[:10]
        assert "Failed to decode JSON" in response.text


# The response encoder writes what json.dumps(sort_keys=True, ensure_ascii=True,
# compact) and a newline write, byte for byte: Flask's response bodies.
RESPONSE_VALUES = {
    "object": {"b": 1, "a": [1, 2, {"d": None, "c": True}]},
    "list": [3, "two", 1.5],
    "string": "plain",
    "non-ascii": {"é": "snow ☃", "emoji": "\U0001f600"},
    "lone-surrogate": {"a": "x\ud800y"},
    "date": datetime.date(2020, 5, 17),
    "naive-datetime": datetime.datetime(2015, 10, 21, 7, 28, 5, 999),
    "aware-datetime": datetime.datetime(
        2015, 10, 21, 9, 28, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    ),
    "decimal": decimal.Decimal("1.10"),
    "uuid": uuid.UUID(int=1),
    "dataclass": {"p": Point(y=2, x=1)},
    "markup": Markup("<b>x</b>"),
    "big-int": 2**70,
    "int-keys": {2: "b", 1: "a"},
    "nested-empty": {"a": {}, "b": []},
}


@pytest.mark.parametrize("value", RESPONSE_VALUES.values(), ids=RESPONSE_VALUES.keys())
def test_response_encoder_writes_what_json_dumps_writes(backend, value):
    encode = _backend.response_encoder(True, True, indent=False, config={})
    expected = json.dumps(value, default=_backend.default, sort_keys=True, separators=(",", ":"))
    assert encode(value) == f"{expected}\n".encode()


@pytest.mark.parametrize("value", RESPONSE_VALUES.values(), ids=RESPONSE_VALUES.keys())
def test_response_encoder_in_utf8_keeps_order_and_stays_valid(backend, value):
    encode = _backend.response_encoder(False, False, indent=False, config={})
    body = encode(value)
    expected = json.loads(json.dumps(value, default=_backend.default))
    assert json.loads(body.decode("utf-8")) == expected
    assert body.endswith(b"\n")


def test_response_encoder_indents_in_debug_mode(backend):
    config = {"DEBUG": False}
    encode = _backend.response_encoder(True, True, indent=None, config=config)
    assert encode({"b": [1], "a": 2}) == b'{"a":2,"b":[1]}\n'
    config["DEBUG"] = True
    assert encode({"b": [1], "a": 2}) == b'{\n  "a": 2,\n  "b": [\n    1\n  ]\n}\n'
    always = _backend.response_encoder(True, True, indent=True, config={"DEBUG": False})
    assert always([1]) == b"[\n  1\n]\n"


def test_response_encoder_refuses_unknown_types_clearly(backend):
    encode = _backend.response_encoder(True, True, indent=False, config={})
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        encode({"x": object()})
    with pytest.raises(TypeError, match="not supported between instances"):
        encode({1: "mixed", "a": "keys"})  # sorting needs comparable keys, as in Flask


def test_old_orjson_without_a_depth_limit_is_not_used(monkeypatch):
    import sys
    import types

    fake = types.ModuleType("orjson")
    fake.__version__ = "3.8.3"
    monkeypatch.setitem(sys.modules, "orjson", fake)
    assert _backend._orjson() is None


def test_an_integer_beyond_64_bits_keeps_every_digit(client, app):
    # orjson, when installed, would read it as a rounded float: no data may be lost.
    @app.post("/echo")
    def echo():
        value = erlen.request.get_json()["n"]
        return f"{type(value).__name__} {value}"

    body = b'{"n": 123456789012345678901234567890, "id": "12345678901234567890123"}'
    response = client.post("/echo", data=body, content_type="application/json")
    assert response.text == "int 123456789012345678901234567890"
