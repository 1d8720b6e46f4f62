"""Converters written the way Werkzeug's are, as Flask apps write them."""

from __future__ import annotations

import pytest

from erlen import url_for
from erlen.routing import (
    BaseConverter,
    IntegerConverter,
    Router,
    Rule,
    UnicodeConverter,
    ValidationError,
)


class ListConverter(BaseConverter):
    """``<list(2, sep=';'):items>``: at least ``size`` items joined by ``sep``."""

    def __init__(self, map, size=1, sep=","):
        super().__init__(map)
        self.size = size
        self.sep = sep
        self.regex = r"[^/]+"

    def to_python(self, value):
        items = value.split(self.sep)
        if len(items) < self.size:
            raise ValidationError()
        return items

    def to_url(self, value):
        quote = super().to_url
        return self.sep.join(quote(item) for item in value)


class ShortName(UnicodeConverter):
    """A subclass of a built-in, passing its own arguments up as Werkzeug's would."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, maxlength=3)


class Even(IntegerConverter):
    def to_python(self, value):
        number = super().to_python(value)
        if number % 2:
            raise ValidationError()
        return number


class Upper(BaseConverter):
    regex = "[A-Z]+"
    part_isolating = True
    weight = 10

    def to_python(self, value):
        return value.lower()

    def to_url(self, value):
        return value.upper()


class Slashed(BaseConverter):
    regex = "[a-z/]+"


@pytest.fixture
def app(app):
    app.url_map.converters["list"] = ListConverter
    app.url_map.converters["short"] = ShortName
    app.url_map.converters["even"] = Even
    app.url_map.converters["upper"] = Upper

    @app.route("/l/<list(2, sep=';'):items>")
    def items(items):
        return {"items": items, "url": url_for("items", items=items)}

    @app.route("/s/<short:name>")
    def short(name):
        return name

    @app.route("/e/<even:n>")
    def even(n):
        return str(n)

    @app.route("/u/<upper:word>")
    def upper(word):
        return word + " " + url_for("upper", word=word)

    return app


def test_arguments_from_the_rule_reach_the_converter(client):
    response = client.get("/l/a;b;c")
    assert response.json == {"items": ["a", "b", "c"], "url": "/l/a;b;c"}


def test_validation_error_means_no_match(client):
    assert client.get("/l/a").status_code == 404  # fewer than 2 items
    assert client.get("/e/3").status_code == 404
    assert client.get("/e/4").text == "4"


def test_subclass_of_a_builtin_takes_the_map_first(client):
    assert client.get("/s/abc").text == "abc"
    assert client.get("/s/abcd").status_code == 404


def test_class_attributes_are_used(app, client):
    assert client.get("/u/HELLO").text == "hello /u/HELLO"
    assert client.get("/u/hello").status_code == 404
    rule = next(app.url_map.iter_rules("upper"))
    converter = rule._converters["word"]
    assert converter.map is app.url_map
    assert converter.weight == 10


def test_part_isolating_follows_the_regex_as_in_werkzeug():
    assert BaseConverter.part_isolating is True
    assert Slashed.part_isolating is False
    assert Upper.part_isolating is True


def test_builtin_converters_take_the_map_first():
    router = Router()
    converter = UnicodeConverter(router, minlength=2)
    assert converter.map is router
    assert converter.regex == "[^/]{2,}"
    assert IntegerConverter(router, fixed_digits=2).to_url(5) == "05"


def test_converters_written_the_erlen_way_still_work():
    class Prefixed(BaseConverter):
        def __init__(self, prefix):
            super().__init__()
            self.regex = f"{prefix}-[a-z]+"

    router = Router()
    router.converters["prefixed"] = Prefixed
    router.add(Rule("/<prefixed('id'):key>", endpoint="e"))
    assert router.match("GET", "/id-abc")[1] == {"key": "id-abc"}
    converter = next(router.iter_rules())._converters["key"]
    assert converter.map is router


def test_base_converter_without_init_refuses_rule_arguments():
    class Plain(BaseConverter):
        pass

    router = Router()
    router.converters["plain"] = Plain
    with pytest.raises(TypeError, match="takes no arguments"):
        router.add(Rule("/<plain(1):x>", endpoint="e"))


def test_a_converter_error_at_registration_names_the_rule():
    router = Router()
    router.converters["list"] = ListConverter
    with pytest.raises(TypeError):
        router.add(Rule("/<list(1, 2, 3, 4):x>", endpoint="e"))
    with pytest.raises(ValueError, match="converter arguments"):
        router.add(Rule("/<list(import os):x>", endpoint="e"))


def test_werkzeug_converter_classes_are_accepted():
    werkzeug_routing = pytest.importorskip("werkzeug.routing")

    class FromWerkzeug(werkzeug_routing.BaseConverter):
        regex = "[0-9]{3}"

        def __init__(self, map, offset):
            super().__init__(map)
            self.offset = offset

        def to_python(self, value):
            if value == "999":
                raise werkzeug_routing.ValidationError()
            return int(value) + self.offset

    router = Router()
    router.converters["three"] = FromWerkzeug
    router.add(Rule("/<three(10):n>", endpoint="e"))
    assert router.match("GET", "/123")[1] == {"n": 133}
    from erlen.http.exceptions import NotFound

    with pytest.raises(NotFound):
        router.match("GET", "/999")
