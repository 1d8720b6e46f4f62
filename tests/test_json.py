"""erlen.json: the same answers whether orjson is installed or not."""

from __future__ import annotations

import datetime
import uuid

import pytest

from erlen import json as erlen_json


@pytest.fixture(params=["orjson", "stdlib"])
def backend(request, monkeypatch):
    if request.param == "orjson":
        functions = erlen_json._orjson_backend()
        if functions is None:
            pytest.skip("orjson 3.9.15 or newer is not installed")
    else:
        functions = (
            erlen_json._stdlib_dumps,
            erlen_json._stdlib_dumps_bytes,
            erlen_json._stdlib_loads,
        )
    for name, function in zip(("dumps", "dumps_bytes", "loads"), functions, strict=True):
        monkeypatch.setattr(erlen_json, name, function)
    return request.param


def test_round_trip(backend):
    value = {"text": "héllo", "n": 1, "f": 1.5, "list": [True, None], "nested": {"a": []}}
    assert erlen_json.loads(erlen_json.dumps_bytes(value)) == value
    assert erlen_json.loads(erlen_json.dumps(value)) == value
    assert erlen_json.dumps_bytes({"a": "é"}) == '{"a":"é"}'.encode()


def test_extra_types(backend):
    ident = uuid.uuid4()
    value = {"d": datetime.date(2020, 5, 17), "u": ident, "s": {1}, "big": 2**80, 1: "int key"}
    decoded = erlen_json.loads(erlen_json.dumps_bytes(value))
    assert decoded == {"d": "2020-05-17", "u": str(ident), "s": [1], "big": 2**80, "1": "int key"}


def test_unknown_type_message(backend):
    with pytest.raises(TypeError, match="not JSON serializable"):
        erlen_json.dumps_bytes({"x": object()})


@pytest.mark.parametrize("bad", [b"{bad", b"", b"\xff\xfe", b"[1,]", b"[" * 100_000])
def test_malformed_input_is_a_value_error(backend, bad):
    with pytest.raises((ValueError, RecursionError)):
        erlen_json.loads(bad)


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


def test_old_orjson_without_a_depth_limit_is_not_used(monkeypatch):
    import sys
    import types

    fake = types.ModuleType("orjson")
    fake.__version__ = "3.8.3"
    monkeypatch.setitem(sys.modules, "orjson", fake)
    assert erlen_json._orjson_backend() is None
