"""app.json: the JSON provider every JSON response, jsonify and get_json go through."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import io
import json
import uuid
from collections import OrderedDict

import pytest
from markupsafe import Markup

import erlen.json
from erlen import Erlen, jsonify, render_template_string, request
from erlen.json import _backend
from erlen.json.provider import DefaultJSONProvider, JSONProvider

BACKENDS = ["stdlib"] + (["orjson"] if _backend._orjson() is not None else [])


@pytest.fixture(params=BACKENDS)
def backend(request, monkeypatch):
    """Run the test with orjson, then with the standard library only."""
    if request.param == "stdlib":
        monkeypatch.setattr(_backend, "_orjson", lambda: None)
    monkeypatch.setattr(_backend, "dumps_bytes", _backend.dumps_bytes)
    monkeypatch.setattr(_backend, "loads", _backend.loads)
    monkeypatch.setattr(erlen.json, "_encode_without_app", None)
    _backend._load_backend()
    return request.param


def serve(app, value):
    """Register a view returning ``value`` at ``/``."""
    app.add_url_rule("/", "index", lambda: value)


@dataclasses.dataclass
class Point:
    y: int
    x: int


# -- the default provider writes what Flask writes --------------------------------------


def test_every_app_has_a_default_provider(app):
    assert Erlen.json_provider_class is DefaultJSONProvider
    assert isinstance(app.json, DefaultJSONProvider)
    assert app.json is not Erlen("other").json


def test_dict_return_sorts_keys_escapes_and_ends_with_a_newline(backend, app, client):
    serve(app, {"b": 1, "a": "é", "c": {"z": None, "y": [True]}})
    response = client.get("/")
    assert response.data == b'{"a":"\\u00e9","b":1,"c":{"y":[true],"z":null}}\n'
    assert response.headers["Content-Type"] == "application/json"


def test_extra_types_are_written_as_flask_writes_them(backend, app, client):
    serve(
        app,
        {
            "date": datetime.date(2020, 5, 17),
            "naive": datetime.datetime(2015, 10, 21, 7, 28, 5, 999),
            "aware": datetime.datetime(
                2015, 10, 21, 9, 28, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
            ),
            "decimal": decimal.Decimal("1.10"),
            "uuid": uuid.UUID(int=1),
            "point": Point(y=2, x=1),
            "markup": Markup("<b>x</b>"),
        },
    )
    assert client.get("/").data == (
        b'{"aware":"Wed, 21 Oct 2015 07:28:00 GMT","date":"Sun, 17 May 2020 00:00:00 GMT",'
        b'"decimal":"1.10","markup":"<b>x</b>","naive":"Wed, 21 Oct 2015 07:28:05 GMT",'
        b'"point":{"x":1,"y":2},"uuid":"00000000-0000-0000-0000-000000000001"}\n'
    )


def test_a_dict_subclass_is_written_the_same_way(backend, app, client):
    serve(app, OrderedDict([("b", 1), ("a", 2)]))
    assert client.get("/").data == b'{"a":2,"b":1}\n'


def test_a_lone_surrogate_still_gives_valid_json(backend, app, client):
    serve(app, {"a": "x\ud800"})
    assert client.get("/").data == b'{"a":"x\\ud800"}\n'
    app.json.ensure_ascii = False
    assert json.loads(client.get("/").data) == {"a": "x\ud800"}


# -- settings ------------------------------------------------------------------------


def test_sort_keys_false_keeps_insertion_order(backend, app, client):
    serve(app, {"b": 1, "a": {"d": 1, "c": 2}})
    client.get("/")  # the fast encoder is built; the setting must still reach it
    app.json.sort_keys = False
    assert client.get("/").data == b'{"b":1,"a":{"d":1,"c":2}}\n'
    with app.app_context():
        assert jsonify(b=1, a=2).data == b'{"b":1,"a":2}\n'
        assert erlen.json.dumps({"b": 1, "a": 2}) == '{"b": 1, "a": 2}'


def test_ensure_ascii_false_writes_utf8(backend, app, client):
    serve(app, {"a": "é ☃"})
    app.json.ensure_ascii = False
    response = client.get("/")
    assert response.data == '{"a":"é ☃"}\n'.encode()
    assert response.json == {"a": "é ☃"}


def test_compact_none_indents_in_debug_mode_only(backend, app, client):
    serve(app, {"b": [1], "a": 2})
    assert client.get("/").data == b'{"a":2,"b":[1]}\n'
    app.debug = True
    assert client.get("/").data == b'{\n  "a": 2,\n  "b": [\n    1\n  ]\n}\n'
    app.json.compact = True
    assert client.get("/").data == b'{"a":2,"b":[1]}\n'


def test_compact_false_always_indents(backend, app, client):
    serve(app, [1])
    app.json.compact = False
    assert client.get("/").data == b"[\n  1\n]\n"


def test_mimetype(backend, app, client):
    serve(app, {"a": 1})
    app.json.mimetype = "application/vnd.api+json"
    response = client.get("/")
    assert response.headers["Content-Type"] == "application/vnd.api+json"
    assert response.data == b'{"a":1}\n'
    with app.app_context():
        assert jsonify(1).mimetype == "application/vnd.api+json"


def test_default_set_on_the_instance(backend, app, client):
    class Money:
        def __init__(self, cents):
            self.cents = cents

    def default(value):
        if isinstance(value, Money):
            return f"{value.cents / 100:.2f} EUR"
        return DefaultJSONProvider.default(value)

    serve(app, {"price": Money(250), "when": datetime.date(2020, 1, 1)})
    app.json.default = default
    assert client.get("/").json == {"price": "2.50 EUR", "when": "Wed, 01 Jan 2020 00:00:00 GMT"}


# -- a provider of one's own ---------------------------------------------------------


class ISODatesProvider(DefaultJSONProvider):
    """Dates in ISO 8601, keys in their order, sets as sorted lists."""

    sort_keys = False

    @staticmethod
    def default(value):
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, (set, frozenset)):
            return sorted(value)
        return DefaultJSONProvider.default(value)


class ISOApp(Erlen):
    json_provider_class = ISODatesProvider


@pytest.fixture
def iso_app():
    app = ISOApp("iso")
    app.config["TESTING"] = True
    return app


def test_json_provider_class_reaches_everything(backend, iso_app):
    app = iso_app
    value = {"when": datetime.date(2024, 1, 2), "tags": {"b", "a"}}

    @app.post("/echo")
    def echo():
        return {"got": request.get_json(), "value": value}

    @app.get("/jsonify")
    def with_jsonify():
        return jsonify(value)

    assert isinstance(app.json, ISODatesProvider)
    client = app.test_client()
    response = client.post("/echo", json={"b": 1, "a": 2})
    assert response.data == (
        b'{"got":{"b":1,"a":2},"value":{"when":"2024-01-02","tags":["a","b"]}}\n'
    )
    assert client.get("/jsonify").data == b'{"when":"2024-01-02","tags":["a","b"]}\n'
    with app.app_context():
        assert erlen.json.dumps(value) == '{"when": "2024-01-02", "tags": ["a", "b"]}'
        # Jinja's tojson asks for sorted keys (its json.dumps_kwargs policy), as in Flask.
        text = render_template_string("{{ v|tojson }}", v=value)
        assert text == '{"tags": ["a", "b"], "when": "2024-01-02"}'


class PlainProvider(JSONProvider):
    """The least a provider implements: dumps and loads (here, with markers)."""

    def dumps(self, obj, **kwargs):
        return json.dumps({"wrapped": obj}, **kwargs)

    def loads(self, s, **kwargs):
        return {"parsed": json.loads(s, **kwargs)}


def test_a_provider_with_only_dumps_and_loads(app, client):
    app.json = PlainProvider(app)

    @app.post("/")
    def index():
        return [request.get_json()]

    response = client.post("/", data=b'{"a": 1}', content_type="application/json")
    assert response.headers["Content-Type"] == "application/json"
    assert response.data == b'{"wrapped": [{"parsed": {"a": 1}}]}'
    with app.app_context():
        assert erlen.json.loads("[1]") == {"parsed": [1]}
        assert erlen.json.dumps(1) == '{"wrapped": 1}'
        out = io.StringIO()
        erlen.json.dump(2, out)
        assert out.getvalue() == '{"wrapped": 2}'
        assert erlen.json.load(io.StringIO("[3]")) == {"parsed": [3]}


class HeaderProvider(DefaultJSONProvider):
    def response(self, *args, **kwargs):
        response = super().response(*args, **kwargs)
        response.headers["X-Provider"] = "mine"
        return response


def test_an_overridden_response_is_used_for_returned_dicts(backend, app, client):
    app.json = HeaderProvider(app)
    serve(app, {"b": 1, "a": 2})
    response = client.get("/")
    assert response.headers["X-Provider"] == "mine"
    assert response.data == b'{"a":2,"b":1}\n'


def test_bad_json_body_is_still_a_400_with_a_custom_provider(iso_app):
    @iso_app.post("/")
    def index():
        return {"got": request.get_json()}

    client = iso_app.test_client()
    response = client.post("/", data=b"{bad", content_type="application/json")
    assert response.status_code == 400
    assert "Failed to decode JSON" in response.text


# -- app.json.response and jsonify ---------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "body"),
    [
        ((), {}, b"null\n"),
        (({"b": 1, "a": 2},), {}, b'{"a":2,"b":1}\n'),
        ((1, "two"), {}, b'[1,"two"]\n'),
        ((), {"b": 1, "a": 2}, b'{"a":2,"b":1}\n'),
        (([1],), {}, b"[1]\n"),
    ],
    ids=["nothing", "one-value", "several", "keywords", "one-list"],
)
def test_response_takes_values_or_keywords(backend, app, args, kwargs, body):
    with app.app_context():
        for response in (app.json.response(*args, **kwargs), jsonify(*args, **kwargs)):
            assert response.status_code == 200
            assert response.data == body
            assert response.headers["Content-Type"] == "application/json"


def test_response_refuses_values_and_keywords_together(app):
    with app.app_context(), pytest.raises(TypeError, match="either positional arguments or"):
        jsonify(1, a=2)


def test_jsonify_calls_the_apps_provider(app):
    calls = []

    class Recording(DefaultJSONProvider):
        def response(self, *args, **kwargs):
            calls.append((args, kwargs))
            return super().response(*args, **kwargs)

    app.json = Recording(app)
    with app.test_request_context():
        assert jsonify(a=1).json == {"a": 1}
        assert jsonify(1, 2).json == [1, 2]
    assert calls == [((), {"a": 1}), ((1, 2), {})]


def test_jsonify_outside_an_app_context_writes_the_default_format(backend):
    response = jsonify({"b": "é", "a": datetime.date(2020, 5, 17)})
    assert response.data == b'{"a":"Sun, 17 May 2020 00:00:00 GMT","b":"\\u00e9"}\n'
    assert response.headers["Content-Type"] == "application/json"


# -- erlen.json's functions ------------------------------------------------------------


def test_dumps_and_loads_inside_an_app_context_use_app_json(app):
    with app.app_context():
        assert erlen.json.dumps({"b": 1, "a": "é"}) == '{"a": "\\u00e9", "b": 1}'
        assert erlen.json.dumps({"b": 1}, indent=1) == '{\n "b": 1\n}'
        assert erlen.json.loads(b'{"a": [1, 2]}') == {"a": [1, 2]}
        assert erlen.json.loads('{"a": 1.5}', parse_float=decimal.Decimal) == {
            "a": decimal.Decimal("1.5")
        }
        out = io.StringIO()
        erlen.json.dump({"b": datetime.date(2020, 5, 17), "a": 1}, out)
        assert out.getvalue() == '{"a": 1, "b": "Sun, 17 May 2020 00:00:00 GMT"}'
        assert erlen.json.load(io.BytesIO(b"[1]")) == [1]


def test_dumps_and_loads_outside_an_app_context(backend):
    assert erlen.json.dumps({"b": 1, "a": datetime.date(2020, 5, 17)}) == (
        '{"b": 1, "a": "Sun, 17 May 2020 00:00:00 GMT"}'
    )
    assert erlen.json.dumps({"a": "é"}, ensure_ascii=False) == '{"a": "é"}'
    assert erlen.json.loads('{"a": [1]}') == {"a": [1]}
    assert erlen.json.loads("[1.5]", parse_float=decimal.Decimal) == [decimal.Decimal("1.5")]
    out = io.StringIO()
    erlen.json.dump([uuid.UUID(int=1)], out)
    assert out.getvalue() == '["00000000-0000-0000-0000-000000000001"]'
    assert erlen.json.load(io.StringIO('{"a": null}')) == {"a": None}


def test_provider_dump_and_load_use_files(app):
    out = io.StringIO()
    app.json.dump({"b": 1, "a": 2}, out, separators=(",", ":"))
    assert out.getvalue() == '{"a":2,"b":1}'
    assert app.json.load(io.StringIO('{"a": 1}')) == {"a": 1}
    assert app.json.loads('{"a": 1}', object_hook=lambda d: sorted(d)) == ["a"]


# -- errors ----------------------------------------------------------------------------


def test_unserializable_value_names_the_type_and_the_fix(backend, app, client):
    class Invoice:
        pass

    serve(app, {"invoice": Invoice()})
    with pytest.raises(TypeError) as caught:
        client.get("/")
    message = str(caught.value)
    assert "Object of type Invoice is not JSON serializable" in message
    assert "to_dict()" in message
    assert "DefaultJSONProvider" in message


def test_unserializable_value_in_jsonify_and_dumps(backend, app):
    with app.app_context():
        with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
            jsonify(object())
        with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
            erlen.json.dumps([object()])


def test_mixed_key_types_cannot_be_sorted(backend, app, client):
    serve(app, {1: "a", "b": 2})
    with pytest.raises(TypeError, match="not supported between instances"):
        client.get("/")
    app.json.sort_keys = False
    assert client.get("/").json == {"1": "a", "b": 2}


@pytest.mark.parametrize("body", [b"{bad", b"[1,]", b"\xff", b"[" * 100_000])
def test_bad_json_body_is_a_400_with_a_message(app, client, body):
    @app.post("/")
    def index():
        return {"got": request.get_json()}

    response = client.post("/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "Failed to decode JSON" in response.text
