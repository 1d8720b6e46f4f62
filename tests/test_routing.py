"""Router: matching, converters, precedence, errors, building."""

from __future__ import annotations

import random
import re
import uuid
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import pytest

import erlen
from erlen.http.converters import BaseConverter, ValidationError
from erlen.http.exceptions import HTTPException, MethodNotAllowed, NotFound
from erlen.routing import BuildError, RequestRedirect, Router, Rule


def router_with(*rules: Rule) -> Router:
    router = Router()
    for rule in rules:
        router.add(rule)
    return router


def match(router: Router, path: str, method: str = "GET") -> tuple[str | None, dict]:
    rule, values = router.match(method, path)
    return rule.endpoint, values


# static and dynamic matching


def test_static_match():
    router = router_with(Rule("/", endpoint="index"), Rule("/about", endpoint="about"))
    assert match(router, "/") == ("index", {})
    assert match(router, "/about") == ("about", {})


def test_dynamic_match():
    router = router_with(Rule("/user/<int:uid>", endpoint="user", methods=["GET"]))
    rule, values = router.match("GET", "/user/42")
    assert rule.endpoint == "user"
    assert values == {"uid": 42}
    assert type(values["uid"]) is int


def test_several_variables():
    router = router_with(Rule("/<lang>/post/<int:year>/<slug>", endpoint="post"))
    assert match(router, "/en/post/2024/hello-world") == (
        "post",
        {"lang": "en", "year": 2024, "slug": "hello-world"},
    )


def test_variable_inside_a_segment():
    router = router_with(Rule("/page-<int:n>.html", endpoint="page"))
    assert match(router, "/page-3.html") == ("page", {"n": 3})
    with pytest.raises(NotFound):
        router.match("GET", "/page-x.html")


def test_defaults_are_merged():
    router = router_with(
        Rule("/blog/", endpoint="blog", defaults={"page": 1}),
        Rule("/blog/<int:page>", endpoint="blog"),
    )
    assert match(router, "/blog/") == ("blog", {"page": 1})
    assert match(router, "/blog/3") == ("blog", {"page": 3})


def test_match_returns_fresh_defaults():
    router = router_with(Rule("/blog/", endpoint="blog", defaults={"page": 1}))
    _, values = router.match("GET", "/blog/")
    values["page"] = 99
    assert router.match("GET", "/blog/")[1] == {"page": 1}


@pytest.mark.parametrize("path", ["/nope", "/user", "/user/", "/user/1/extra", "//", "/USER/1"])
def test_not_found(path):
    router = router_with(Rule("/", endpoint="index"), Rule("/user/<int:uid>", endpoint="user"))
    with pytest.raises(NotFound) as info:
        router.match("GET", path)
    assert info.value.code == 404


# converters


@pytest.mark.parametrize(
    ("rule", "path", "expected"),
    [
        ("/s/<name>", "/s/abc", "abc"),
        ("/s/<name>", "/s/a b.c~é", "a b.c~é"),
        ("/s/<string:name>", "/s/x", "x"),
        ("/s/<string(minlength=2):name>", "/s/ab", "ab"),
        ("/s/<string(minlength=2, maxlength=3):name>", "/s/abc", "abc"),
        ("/s/<string(maxlength=3):name>", "/s/a", "a"),
        ("/s/<string(length=4):name>", "/s/abcd", "abcd"),
        ("/s/<string(length=2):name>", "/s/éé", "éé"),
        ("/i/<int:n>", "/i/0", 0),
        ("/i/<int:n>", "/i/007", 7),
        ("/i/<int:n>", "/i/12345678901234567890", 12345678901234567890),
        ("/i/<int(min=1):n>", "/i/1", 1),
        ("/i/<int(max=10):n>", "/i/10", 10),
        ("/i/<int(min=1, max=10):n>", "/i/5", 5),
        ("/i/<int(fixed_digits=4):n>", "/i/0042", 42),
        ("/i/<int(signed=True):n>", "/i/-5", -5),
        ("/i/<int(signed=True):n>", "/i/5", 5),
        ("/i/<int(signed=True, min=-3):n>", "/i/-3", -3),
        ("/f/<float:x>", "/f/1.5", 1.5),
        ("/f/<float:x>", "/f/0.0", 0.0),
        ("/f/<float(signed=True):x>", "/f/-2.25", -2.25),
        ("/f/<float(max=2.0):x>", "/f/2.0", 2.0),
        ("/p/<path:p>", "/p/a", "a"),
        ("/p/<path:p>", "/p/a/b/c", "a/b/c"),
        ("/p/<path:p>", "/p/a/b/", "a/b/"),
        ("/p/<path:p>", "/p/a//b", "a//b"),
        ("/p/<path:p>/edit", "/p/a/b/edit", "a/b"),
        (
            "/u/<uuid:u>",
            "/u/12345678-1234-5678-1234-567812345678",
            uuid.UUID("12345678-1234-5678-1234-567812345678"),
        ),
        (
            "/u/<uuid:u>",
            "/u/ABCDEF01-ABCD-ABCD-ABCD-ABCDEF012345",
            uuid.UUID("abcdef01-abcd-abcd-abcd-abcdef012345"),
        ),
        ("/<any(about, help):page>", "/about", "about"),
        ("/<any(about, help):page>", "/help", "help"),
        ("/<any('a.b', 'c+d'):page>", "/a.b", "a.b"),
        ("/<any('a.b', 'c+d'):page>", "/c+d", "c+d"),
    ],
)
def test_converter_matches(rule, path, expected):
    router = router_with(Rule(rule, endpoint="e"))
    _, values = router.match("GET", path)
    (value,) = values.values()
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ("/s/<name>", "/s/"),
        ("/s/<name>", "/s/a/b"),
        ("/s/<string(minlength=2):name>", "/s/a"),
        ("/s/<string(minlength=2, maxlength=3):name>", "/s/abcd"),
        ("/s/<string(maxlength=3):name>", "/s/abcd"),
        ("/s/<string(length=4):name>", "/s/abc"),
        ("/s/<string(length=4):name>", "/s/abcde"),
        ("/i/<int:n>", "/i/abc"),
        ("/i/<int:n>", "/i/-5"),
        ("/i/<int:n>", "/i/1.5"),
        ("/i/<int:n>", "/i/+5"),
        ("/i/<int:n>", "/i/ 5"),
        ("/i/<int:n>", "/i/٣"),  # a Unicode digit is not an ASCII integer
        ("/i/<int(min=1):n>", "/i/0"),
        ("/i/<int(max=10):n>", "/i/11"),
        ("/i/<int(fixed_digits=4):n>", "/i/42"),
        ("/i/<int(fixed_digits=4):n>", "/i/00042"),
        ("/i/<int(signed=True, min=-3):n>", "/i/-4"),
        ("/f/<float:x>", "/f/1"),
        ("/f/<float:x>", "/f/.5"),
        ("/f/<float:x>", "/f/-1.5"),
        ("/f/<float:x>", "/f/1e5"),
        ("/f/<float:x>", "/f/nan"),
        ("/f/<float(max=2.0):x>", "/f/2.5"),
        ("/p/<path:p>", "/p/"),
        ("/p/<path:p>", "/p//a"),
        ("/u/<uuid:u>", "/u/not-a-uuid"),
        ("/u/<uuid:u>", "/u/12345678123456781234567812345678"),
        ("/u/<uuid:u>", "/u/12345678-1234-5678-1234-56781234567g"),
        ("/<any(about, help):page>", "/other"),
        ("/<any(about, help):page>", "/abouthelp"),
        ("/<any(about, help):page>", "/abou"),
        ("/<any('a.b', 'c+d'):page>", "/axb"),
    ],
)
def test_converter_rejects(rule, path):
    router = router_with(Rule(rule, endpoint="e"))
    with pytest.raises(NotFound):
        router.match("GET", path)


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ("/p/<path:p>", "/p/a\nb"),
        ("/p/<path:p>", "/p/line\n/next"),
        ("/s/<name>", "/s/a\nb"),
    ],
)
def test_decoded_newline_matches_like_any_character(rule, path):
    # A %0A in the URL reaches the router decoded; path must treat it as string does.
    router = router_with(Rule(rule, endpoint="e"))
    _, values = router.match("GET", path)
    assert list(values.values()) == [path.split("/", 2)[2]]


def test_int_too_long_for_python_is_not_found():
    # int() refuses more than sys.get_int_max_str_digits() digits: a 404, not a 500.
    router = router_with(Rule("/i/<int:n>", endpoint="e"))
    with pytest.raises(NotFound):
        router.match("GET", "/i/" + "9" * 5000)


def test_float_overflow_is_not_found():
    # 400 digits do not fit a float: the view would get inf.
    router = router_with(Rule("/f/<float:x>", endpoint="e"))
    with pytest.raises(NotFound):
        router.match("GET", "/f/" + "9" * 400 + ".0")


# precedence


def test_static_beats_dynamic():
    router = router_with(
        Rule("/user/<name>", endpoint="by_name"),
        Rule("/user/new", endpoint="new"),
    )
    assert match(router, "/user/new") == ("new", {})
    assert match(router, "/user/bob") == ("by_name", {"name": "bob"})


@pytest.mark.parametrize("order", ["int-first", "string-first"])
def test_int_beats_string_for_digits(order):
    rules = [Rule("/item/<int:id>", endpoint="by_id"), Rule("/item/<name>", endpoint="by_name")]
    if order == "string-first":
        rules.reverse()
    router = router_with(*rules)
    assert match(router, "/item/12") == ("by_id", {"id": 12})
    assert match(router, "/item/twelve") == ("by_name", {"name": "twelve"})


@pytest.mark.parametrize("order", ["path-first", "path-last"])
def test_path_is_tried_last(order):
    rules = [
        Rule("/files/<path:p>", endpoint="any_file"),
        Rule("/files/<name>", endpoint="one_segment"),
        Rule("/files/<name>/edit", endpoint="edit"),
        Rule("/files/<uuid:u>", endpoint="by_uuid"),
    ]
    if order == "path-last":
        rules.append(rules.pop(0))
    router = router_with(*rules)
    some_uuid = "12345678-1234-5678-1234-567812345678"
    assert match(router, "/files/a") == ("one_segment", {"name": "a"})
    assert match(router, "/files/a/edit") == ("edit", {"name": "a"})
    assert match(router, "/files/a/b/edit") == ("any_file", {"p": "a/b/edit"})
    assert match(router, f"/files/{some_uuid}") == ("by_uuid", {"u": uuid.UUID(some_uuid)})


def test_uuid_and_any_beat_string():
    router = router_with(
        Rule("/x/<name>", endpoint="string"),
        Rule("/x/<any(special):kind>", endpoint="any"),
    )
    assert match(router, "/x/special") == ("any", {"kind": "special"})
    assert match(router, "/x/other") == ("string", {"name": "other"})


def test_validation_failure_falls_through_to_next_rule():
    router = router_with(
        Rule("/n/<int(max=9):small>", endpoint="small"),
        Rule("/n/<int:big>", endpoint="big"),
    )
    assert match(router, "/n/5") == ("small", {"small": 5})
    assert match(router, "/n/50") == ("big", {"big": 50})


def test_rules_without_a_static_first_segment():
    router = router_with(
        Rule("/<lang>/about", endpoint="about"),
        Rule("/en/about", endpoint="en_about"),
        Rule("/<path:rest>", endpoint="catch_all"),
    )
    assert match(router, "/en/about") == ("en_about", {})
    assert match(router, "/fr/about") == ("about", {"lang": "fr"})
    assert match(router, "/fr/other/x") == ("catch_all", {"rest": "fr/other/x"})


# methods


def test_method_not_allowed():
    router = router_with(Rule("/user/<int:uid>", endpoint="user", methods=["GET", "PUT"]))
    with pytest.raises(MethodNotAllowed) as info:
        router.match("POST", "/user/1")
    error = info.value
    assert error.code == 405
    assert error.valid_methods == ["GET", "HEAD", "OPTIONS", "PUT"]
    assert error.get_headers() == [("Allow", "GET, HEAD, OPTIONS, PUT")]


def test_method_not_allowed_static():
    router = router_with(Rule("/form", endpoint="form", methods=["POST"]))
    with pytest.raises(MethodNotAllowed) as info:
        router.match("GET", "/form")
    assert set(info.value.valid_methods) == {"POST", "OPTIONS"}


def test_method_not_allowed_collects_every_rule():
    router = router_with(
        Rule("/thing", endpoint="read", methods=["GET"]),
        Rule("/thing", endpoint="write", methods=["POST"]),
        Rule("/<name>", endpoint="delete", methods=["DELETE"]),
    )
    with pytest.raises(MethodNotAllowed) as info:
        router.match("PATCH", "/thing")
    assert info.value.valid_methods == ["DELETE", "GET", "HEAD", "OPTIONS", "POST"]
    assert match(router, "/thing", "POST") == ("write", {})
    assert match(router, "/thing", "DELETE") == ("delete", {"name": "thing"})


def test_same_path_different_methods_dynamic():
    router = router_with(
        Rule("/u/<int:uid>", endpoint="show", methods=["GET"]),
        Rule("/u/<int:uid>", endpoint="update", methods=["PUT"]),
    )
    assert match(router, "/u/1", "GET") == ("show", {"uid": 1})
    assert match(router, "/u/1", "PUT") == ("update", {"uid": 1})


def test_static_method_mismatch_falls_back_to_dynamic_rule():
    router = router_with(
        Rule("/user/new", endpoint="new", methods=["GET"]),
        Rule("/user/<name>", endpoint="update", methods=["POST"]),
    )
    assert match(router, "/user/new", "POST") == ("update", {"name": "new"})


@pytest.mark.parametrize("rule", ["/static", "/dyn/<int:x>"])
def test_head_allowed_with_get(rule):
    router = router_with(Rule(rule, endpoint="e", methods=["GET"]))
    path = rule.replace("<int:x>", "1")
    assert router.match("HEAD", path)[0].endpoint == "e"
    assert router.match("OPTIONS", path)[0].endpoint == "e"


@pytest.mark.parametrize(
    ("methods", "kwargs", "expected"),
    [
        (None, {}, {"GET", "HEAD", "OPTIONS"}),
        (["GET"], {}, {"GET", "HEAD", "OPTIONS"}),
        (["get", "post"], {}, {"GET", "HEAD", "POST", "OPTIONS"}),
        (["POST"], {}, {"POST", "OPTIONS"}),
        (("PUT",), {}, {"PUT", "OPTIONS"}),
        (["GET"], {"provide_automatic_options": False}, {"GET", "HEAD"}),
        (["OPTIONS"], {}, {"OPTIONS"}),
    ],
)
def test_rule_methods(methods, kwargs, expected):
    rule = Rule("/", endpoint="e", methods=methods, **kwargs)
    assert rule.methods == frozenset(expected)


def test_explicit_options_disables_automatic_options():
    rule = Rule("/", endpoint="e", methods=["GET", "OPTIONS"])
    assert rule.provide_automatic_options is False
    assert Rule("/", endpoint="e").provide_automatic_options is True


def test_head_only_rule_does_not_allow_get():
    router = router_with(Rule("/h", endpoint="e", methods=["HEAD"]))
    with pytest.raises(MethodNotAllowed):
        router.match("GET", "/h")


def test_methods_as_string_refused():
    with pytest.raises(TypeError, match=r"\['GET', 'POST'\]"):
        Rule("/", endpoint="e", methods="GET")


def test_allowed_methods():
    router = router_with(
        Rule("/a", endpoint="a", methods=["GET"]),
        Rule("/<name>", endpoint="n", methods=["DELETE"]),
    )
    assert router.allowed_methods("/a") == {"GET", "HEAD", "OPTIONS", "DELETE"}
    assert router.allowed_methods("/b") == {"DELETE", "OPTIONS"}
    assert router.allowed_methods("/a/b") == set()


# strict slashes


@pytest.mark.parametrize(
    ("rule", "path", "target"),
    [
        ("/docs/", "/docs", "/docs/"),
        ("/docs/<name>/", "/docs/intro", "/docs/intro/"),
        ("/a/b/c/", "/a/b/c", "/a/b/c/"),
    ],
)
def test_missing_trailing_slash_redirects(rule, path, target):
    router = router_with(Rule(rule, endpoint="docs"))
    with pytest.raises(RequestRedirect) as info:
        router.match("GET", path)
    error = info.value
    assert isinstance(error, HTTPException)
    assert error.code == 308
    assert error.new_path == target
    assert error.get_headers() == [("Location", target)]


def test_redirect_whatever_the_method():
    # The canonical URL is the same for every method; the method is checked there.
    router = router_with(Rule("/docs/", endpoint="docs", methods=["POST"]))
    with pytest.raises(RequestRedirect):
        router.match("GET", "/docs")


@pytest.mark.parametrize(("rule", "path"), [("/docs", "/docs/"), ("/docs/<name>", "/docs/x/")])
def test_extra_trailing_slash_is_not_found(rule, path):
    router = router_with(Rule(rule, endpoint="docs"))
    with pytest.raises(NotFound) as info:
        router.match("GET", path)
    assert not isinstance(info.value, RequestRedirect)


def test_both_slash_forms_are_separate_rules():
    router = router_with(Rule("/a", endpoint="bare"), Rule("/a/", endpoint="slash"))
    assert match(router, "/a") == ("bare", {})
    assert match(router, "/a/") == ("slash", {})


def test_strict_slashes_false_matches_without_redirect():
    # As Flask documents strict_slashes=False: no redirect, the rule just matches.
    router = router_with(Rule("/docs/", endpoint="docs", strict_slashes=False))
    assert match(router, "/docs/") == ("docs", {})
    assert match(router, "/docs") == ("docs", {})


# building


@pytest.fixture
def router() -> Router:
    return router_with(
        Rule("/", endpoint="index"),
        Rule("/user/<int:uid>", endpoint="user", methods=["GET"]),
        Rule("/user/<int:uid>", endpoint="user_edit", methods=["POST"]),
        Rule("/files/<path:p>", endpoint="files"),
        Rule("/page/<name>", endpoint="page"),
        Rule("/café", endpoint="cafe"),
        Rule("/blog/", endpoint="blog", defaults={"page": 1}),
        Rule("/blog/<int:page>", endpoint="blog"),
        Rule("/form", endpoint="form", methods=["GET"]),
        Rule("/form-post", endpoint="form", methods=["POST"]),
    )


@pytest.mark.parametrize(
    ("endpoint", "values", "expected"),
    [
        ("index", None, "/"),
        ("index", {}, "/"),
        ("user", {"uid": 42}, "/user/42"),
        ("user", {"uid": "42"}, "/user/42"),
        ("files", {"p": "a/b c.txt"}, "/files/a/b%20c.txt"),
        ("page", {"name": "a b"}, "/page/a%20b"),
        ("page", {"name": "a/b"}, "/page/a%2Fb"),
        ("page", {"name": "?#%"}, "/page/%3F%23%25"),
        ("page", {"name": "é"}, "/page/%C3%A9"),
        ("page", {"name": "a:b@c;d=e"}, "/page/a:b@c;d=e"),
        ("cafe", None, "/caf%C3%A9"),
        ("blog", None, "/blog/"),
        ("blog", {"page": 1}, "/blog/"),
        ("blog", {"page": 2}, "/blog/2"),
    ],
)
def test_build(router, endpoint, values, expected):
    assert router.build(endpoint, values) == expected


@pytest.mark.parametrize(
    ("values", "query"),
    [
        ({"q": "x"}, [("q", "x")]),
        ({"q": "a b&c=d"}, [("q", "a b&c=d")]),
        ({"tag": ["a", "b"]}, [("tag", "a"), ("tag", "b")]),
        ({"tag": ("a", None, "b")}, [("tag", "a"), ("tag", "b")]),
        ({"n": 5, "f": 1.5}, [("n", "5"), ("f", "1.5")]),
        ({"q": "é"}, [("q", "é")]),
    ],
)
def test_build_extra_values_go_to_query_string(router, values, query):
    url = router.build("user", {"uid": 1, **values})
    parts = urlsplit(url)
    assert parts.path == "/user/1"
    assert parse_qsl(parts.query) == query


def test_build_drops_none_values(router):
    assert router.build("user", {"uid": 1, "q": None}) == "/user/1"
    assert router.build("index", {"q": None, "r": "1"}) == "/?r=1"


def test_build_none_for_argument_is_missing(router):
    with pytest.raises(BuildError, match="uid"):
        router.build("user", {"uid": None})


@pytest.mark.parametrize(
    ("endpoint", "values", "missing"),
    [
        ("user", {}, "uid"),
        ("user", {"id": 1}, "uid"),
        ("files", None, "p"),
    ],
)
def test_build_missing_value(router, endpoint, values, missing):
    with pytest.raises(BuildError) as info:
        router.build(endpoint, values)
    error = info.value
    assert isinstance(error, LookupError)
    assert error.endpoint == endpoint
    assert f"missing value(s) for {missing}" in str(error)
    assert f"{missing}=..." in str(error)


def test_build_missing_several_values():
    router = router_with(Rule("/<a>/<b>", endpoint="two"))
    with pytest.raises(BuildError, match="missing value\\(s\\) for a, b"):
        router.build("two", {})


def test_build_picks_the_rule_the_values_fit():
    router = router_with(
        Rule("/list", endpoint="items"),
        Rule("/list/<int:page>", endpoint="items"),
    )
    assert router.build("items") == "/list"
    assert router.build("items", {"page": 3}) == "/list/3"


class RawConverter(BaseConverter):
    """A careless custom converter: its values go into the URL as they are."""

    regex = "[^/]*"

    def to_url(self, value):
        return str(value)


@pytest.mark.parametrize(
    ("endpoint", "value", "expected"),
    [
        ("path", "/evil.example", "/evil.example"),
        ("path", "//evil.example", "/evil.example"),
        ("path", "\\evil.example", "/%5Cevil.example"),
        ("raw", "\\evil.example", "/%5Cevil.example/x"),
        ("raw", "/\\evil.example", "/%5Cevil.example/x"),
        ("raw", "", "/x"),
        ("deeper", "/evil.example", "/files//evil.example"),
    ],
)
def test_build_never_starts_with_two_slashes(endpoint, value, expected):
    router = Router()
    router.converters["raw"] = RawConverter
    router.add(Rule("/<path:value>", endpoint="path"))
    router.add(Rule("/<raw:value>/x", endpoint="raw"))
    router.add(Rule("/files/<path:value>", endpoint="deeper"))
    assert router.build(endpoint, {"value": value}) == expected


def test_build_unknown_endpoint_suggests_close_name(router):
    with pytest.raises(BuildError) as info:
        router.build("usr", {"uid": 1})
    message = str(info.value)
    assert info.value.endpoint == "usr"
    assert "'usr'" in message
    assert "Did you mean 'user'" in message


def test_build_unknown_endpoint_lists_known_ones():
    router = router_with(Rule("/a", endpoint="alpha"), Rule("/b", endpoint="beta"))
    with pytest.raises(BuildError, match="Known endpoints: alpha, beta"):
        router.build("zzzzzzzz")


def test_build_unknown_endpoint_empty_router():
    with pytest.raises(BuildError, match="no view has that endpoint"):
        Router().build("anything")


def test_build_with_method(router):
    assert router.build("form") == "/form"
    assert router.build("form", method="GET") == "/form"
    assert router.build("form", method="POST") == "/form-post"
    with pytest.raises(BuildError, match="with method 'PUT'"):
        router.build("form", method="PUT")


@pytest.mark.parametrize(
    ("rule", "values"),
    [
        ("/i/<int:n>", {"n": "abc"}),
        ("/i/<int:n>", {"n": object()}),
        ("/<any(a, b):x>", {"x": "c"}),
    ],
)
def test_build_value_that_does_not_fit(rule, values):
    router = router_with(Rule(rule, endpoint="e"))
    with pytest.raises(BuildError, match="does not fit"):
        router.build("e", values)


@pytest.mark.parametrize(
    ("rule", "value", "built"),
    [
        ("/i/<int(fixed_digits=4):n>", 42, "/i/0042"),
        ("/i/<int(signed=True):n>", -3, "/i/-3"),
        ("/f/<float:x>", 1.5, "/f/1.5"),
        ("/f/<float:x>", 2, "/f/2.0"),
        (
            "/u/<uuid:x>",
            uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "/u/12345678-1234-5678-1234-567812345678",
        ),
        ("/<any(about, help):x>", "help", "/help"),
    ],
)
def test_build_converters(rule, value, built):
    router = router_with(Rule(rule, endpoint="e"))
    variable = rule.rsplit(":", 1)[1].rstrip(">")
    assert router.build("e", {variable: value}) == built


# round trip: build, decode as a server does, match


def _random_text(rng: random.Random, alphabet: str) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))


_TRICKY = " !\"#$%&'()*+,-.:;<=>?@[\\]^_`{|}~éü日本🍪\t"
_RNG = random.Random(20240611)
_STRINGS = [
    "a",
    "hello world",
    "100%",
    "%2F",
    "%",
    "a+b",
    "?q=1#frag",
    "café",
    "日本語",
    "🍪",
    "..",
    ".",
    "~user",
    "semi;colon,comma=eq",
    "tab\there",
] + [_random_text(_RNG, "abc" + _TRICKY) for _ in range(40)]
_PATHS = [
    *_STRINGS,
    "a/b",
    "a/b/",
    "dir/file.tar.gz",
    "a//b",
    "ü/日本/🍪 x",
    "a/%2F/b",
] + [_random_text(_RNG, "ab/" + _TRICKY).lstrip("/") or "x" for _ in range(40)]
_INTS = [0, 1, 9, 10, 42, 2**31, 2**63 + 1, 10**30] + [_RNG.randrange(10**12) for _ in range(20)]
_FLOATS = [0.0, 0.5, 1.0, 2.25, 3.141592653589793, 123456.789, 1e20, 1e-7, 2.5e-5]
_UUIDS = [uuid.UUID(int=_RNG.getrandbits(128)) for _ in range(20)] + [
    uuid.UUID(int=0),
    uuid.UUID(int=2**128 - 1),
]
_ANY_ITEMS = ("about", "a b", "ü", "c+d", "x.y", "50%")

ROUND_TRIP_CASES = (
    [("/s/<value>", v) for v in _STRINGS]
    + [("/p/<path:value>", v) for v in _PATHS]
    + [("/p/<path:value>/edit", v) for v in _PATHS[:20]]
    + [("/i/<int:value>", v) for v in _INTS]
    + [("/f/<float:value>", v) for v in _FLOATS]
    + [("/u/<uuid:value>", v) for v in _UUIDS]
    + [("/a/<any('about', 'a b', 'ü', 'c+d', 'x.y', '50%'):value>", v) for v in _ANY_ITEMS]
)


@pytest.mark.parametrize(("rule", "value"), ROUND_TRIP_CASES)
def test_build_then_match_round_trip(rule, value):
    router = router_with(Rule(rule, endpoint="e"))
    built = router.build("e", {"value": value})
    assert "?" not in built and "#" not in built and " " not in built
    _, values = router.match("GET", unquote(built))
    assert values == {"value": value}


def test_build_then_match_round_trip_with_query(router):
    url = router.build("page", {"name": "a b", "next": "/x?y=1&z=%"})
    parts = urlsplit(url)
    assert match(router, unquote(parts.path)) == ("page", {"name": "a b"})
    assert dict(parse_qsl(parts.query)) == {"next": "/x?y=1&z=%"}


@pytest.mark.parametrize("value", ["a b", "日本", "%41", "x/y"])
def test_built_path_is_plain_ascii(value):
    router = router_with(Rule("/p/<path:value>", endpoint="e"))
    built = router.build("e", {"value": value})
    assert built.isascii()
    assert built == "/p/" + quote(value, safe="/!$&'()*+,;=:@-._~")


# registration errors


@pytest.mark.parametrize("rule", ["", "user", "user/<id>", "http://x/", " /x"])
def test_rule_must_start_with_slash(rule):
    with pytest.raises(ValueError, match="must start with a slash"):
        Rule(rule, endpoint="e")


def test_rule_must_be_a_string():
    with pytest.raises(ValueError):
        Rule(b"/x", endpoint="e")  # type: ignore[arg-type]


def test_unknown_converter_lists_known_ones():
    router = Router()
    with pytest.raises(LookupError) as info:
        router.add(Rule("/x/<slug:name>", endpoint="e"))
    message = str(info.value)
    assert "'slug'" in message
    assert "any, float, int, path, string, uuid" in message
    assert "url_map.converters" in message


def test_duplicate_variable():
    with pytest.raises(ValueError, match="'id' twice"):
        router_with(Rule("/<id>/<int:id>", endpoint="e"))


@pytest.mark.parametrize(
    "rule",
    [
        "/user/<name",
        "/user/name>",
        "/user/<>",
        "/user/<int:>",
        "/user/<1abc>",
        "/user/<na me>",
        "/user/<int:id>/<",
        "/<a>/<b c>/<d>",
        "/<a>/<>/<d>",
        "/x/<int:a><",
    ],
)
def test_malformed_variable(rule):
    with pytest.raises(ValueError, match="malformed variable"):
        router_with(Rule(rule, endpoint="e"))


@pytest.mark.parametrize(
    "rule",
    [
        "/x/<int(fixed_digits=):n>",
        "/x/<int(import os):n>",
        "/x/<int(bogus=1):n>",
        "/x/<string(1, 2, 3, 4):n>",
        "/x/<uuid(1):n>",
        "/x/<any:n>",
    ],
)
def test_bad_converter_arguments(rule):
    with pytest.raises((ValueError, TypeError)):
        router_with(Rule(rule, endpoint="e"))


# custom converters


class ListConverter(BaseConverter):
    regex = r"[^/]+"  # flat: a nested repeat is refused (issue 15)

    def to_python(self, value):
        items = value.split(",")
        if "" in items:
            raise ValidationError()
        return items

    def to_url(self, value):
        return ",".join(quote(v, safe="") for v in value)


class EvenConverter(BaseConverter):
    regex = r"\d+"
    weight = 50

    def to_python(self, value):
        number = int(value)
        if number % 2:
            raise ValidationError()
        return number


class PrefixConverter(BaseConverter):
    def __init__(self, prefix):
        self.prefix = prefix
        self.regex = f"{prefix}-[a-z]+"


def test_custom_converter():
    router = Router()
    router.converters["list"] = ListConverter
    router.add(Rule("/tags/<list:tags>", endpoint="tags"))
    assert match(router, "/tags/a,b,c") == ("tags", {"tags": ["a", "b", "c"]})
    assert router.build("tags", {"tags": ["x y", "z"]}) == "/tags/x%20y,z"


def test_custom_list_converter_refuses_empty_items():
    router = Router()
    router.converters["list"] = ListConverter
    router.add(Rule("/tags/<list:tags>", endpoint="tags"))
    for path in ("/tags/a,,b", "/tags/,a", "/tags/a,"):
        with pytest.raises(NotFound):
            router.match("GET", path)


@pytest.mark.parametrize(
    "regex",
    [
        r"[^/]+(?:,[^/]+)*",  # the ListConverter that used to be in the docs
        r"(?:a+)+",
        r"(\w*-?)+",
        r"(?:x|[a-z]+)*",
        r"(?:[0-9]{1,3}\.)+",
    ],
)
def test_a_converter_regex_with_nested_repeats_is_refused(regex):
    # Such a regex takes exponential time to miss: one request could stall
    # the server (issue 15). Registration says why and what to write instead.
    class Nested(BaseConverter):
        pass

    Nested.regex = regex
    router = Router()
    router.converters["nested"] = Nested
    with pytest.raises(ValueError, match="repeat inside a repeat") as caught:
        router.add(Rule("/tags/<nested:tags>", endpoint="tags"))
    message = str(caught.value)
    assert "'nested'" in message and "/tags/<nested:tags>" in message
    assert "to_python" in message and "ValidationError" in message


@pytest.mark.parametrize(
    "regex", [r"[^/]+", r"[a-z]{2,8}", r"(?:[0-9]{2})+", r"v[0-9]+\.[0-9]+", r"(?:a|b)+"]
)
def test_flat_converter_regexes_are_accepted(regex):
    class Flat(BaseConverter):
        pass

    Flat.regex = regex
    router = Router()
    router.converters["flat"] = Flat
    router.add(Rule("/x/<flat:value>", endpoint="x"))


def test_two_path_variables_are_refused():
    # Which split is meant is ambiguous, and trying them all takes time
    # quadratic (or worse) in the URL's length; one <path:> and a split
    # in the view says what is meant, in linear time.
    router = Router()
    with pytest.raises(ValueError, match="two variables that can hold slashes") as caught:
        router.add(Rule("/<path:a>/<path:b>", endpoint="e"))
    message = str(caught.value)
    assert "'a' and 'b'" in message and "rsplit" in message


def test_one_path_variable_with_others_is_accepted():
    router = Router()
    router.add(Rule("/<path:a>/edit/<int:b>", endpoint="e"))
    assert match(router, "/x/y/edit/3") == ("e", {"a": "x/y", "b": 3})


def test_two_variables_in_one_segment_still_match_as_before():
    # Such rules are matched a segment at a time (in linear time); the
    # values are those one regex over the whole path would give.
    router = Router()
    router.add(Rule("/<name>.<ext>", endpoint="file"))
    router.add(Rule("/d/<a>-<b>/<int:n>", endpoint="dashed"))
    router.add(Rule("/j/<a>.<b>.json", endpoint="json"))
    router.add(Rule("/p/x<a>.<b>y/<c>", endpoint="framed"))
    assert match(router, "/a.b.c") == ("file", {"name": "a.b", "ext": "c"})
    assert match(router, "/d/x-y-z/4") == ("dashed", {"a": "x-y", "b": "z", "n": 4})
    assert match(router, "/j/a.b.c.json") == ("json", {"a": "a.b", "b": "c"})
    assert match(router, "/j/..json.json") == ("json", {"a": ".", "b": "json"})
    assert match(router, "/p/xx.yy/z") == ("framed", {"a": "x", "b": "y", "c": "z"})
    for path in ("/a.b/", "/a.b/c", "/d/x-y/4/", "/d/x-y", "/j/a.json", "/j/a.b.json/", "/p/x.y/z"):
        with pytest.raises((NotFound, RequestRedirect)):
            router.match("GET", path)


#: Rules whose segments hold several variables, each with every built-in
#: converter shape: fixed text between them or none, signs, lengths, words.
SHARED_SEGMENT_RULES = [
    "/<a>.<b>.<int:c>",
    "/<a><int:b>",
    "/<a>1<int:b>",
    "/<a>-<b>-<c>",
    "/x<a>.<float:b>.<c>y/z",
    "/<int(signed=True):a>-<int:b>.<uuid:u>",
    "/<any(a, ab, b):k><a>.<b>",
    "/<string(minlength=2):a>.<string(maxlength=3):b>.<c>",
    "/<a>..<b>.<int(fixed_digits=2):c>",
    "/<string(length=2):a><b>",
    "/f/<a>.<b>/<c>.<d>.<e>",
    "/<path:p>.<ext>",
    "/<path:p>/<a>.<b>.<int:c>",
    "/<a>-<path:p>.<ext>",
    "/<path:p>.<a>.<int:c>/x",
    "/<segment:a>.<b>.<int:c>",
    "/<overlap:a>",
    "/w/<overlap:a>.json",
]


class _Segment(BaseConverter):
    # Not part_isolating by Werkzeug's rule (its regex names a slash), yet
    # it never holds one: matched a segment at a time too.
    regex = "[^/]+"


class _Overlap(BaseConverter):
    # Two repeats that share the digits: one regex tries every split.
    regex = r"\w+\d+"


def _with_test_converters(router: Router) -> Router:
    router.converters["segment"] = _Segment
    router.converters["overlap"] = _Overlap
    return router


def _old_values(rule: str, path: str) -> dict | None:
    # What one regex over the whole path gave before segments were matched
    # apart: the rule's regex, converters applied as Rule.match applies them.
    from erlen.routing.rules import _compile_template

    router = _with_test_converters(Router())
    _, pattern, converters = _compile_template(rule, router.converters, router, rule)
    found = re.fullmatch(pattern, path, re.DOTALL)
    if found is None:
        return None
    try:
        return {
            name: converters[name].to_python(value) for name, value in found.groupdict().items()
        }
    except ValueError:
        return None


@pytest.mark.parametrize("rule", SHARED_SEGMENT_RULES)
def test_shared_segments_match_as_one_regex_did(rule):
    # Random paths and near misses built from the rule, short (matched by the
    # regex) and long (matched by the linear scan): the same values either way.
    router = _with_test_converters(Router())
    router.add(Rule(rule, endpoint="e"))
    rng = random.Random(rule)
    variables = re.findall(r"<[^>]+>", rule)
    for count in range(2000):
        if count % 2:
            path = "/" + "".join(rng.choice("ab1.-/x9yzF/") for _ in range(rng.randint(0, 40)))
        else:
            path = rule
            for variable in variables:
                size = rng.choice((0, 1, 2, 5, 40, 150))
                value = "".join(rng.choice("1.a-ab/") for _ in range(size))
                path = path.replace(variable, value, 1)
        try:
            _, values = router.match("GET", path)
        except (NotFound, RequestRedirect):
            values = None
        assert values == _old_values(rule, path), path


def test_shared_segment_scan_gives_the_regex_values():
    # The linear scan itself (long text), against the same segment's regex.
    from erlen.routing.segments import Chain, chain_parts

    converters = Router().converters
    rng = random.Random(15)
    for items in (
        ["a", ".", "b", ".", "int"],
        ["a", "int"],
        ["any", "a", "-", "float"],
        ["uuid", "", "a"],
    ):
        chained, pattern = [], ""
        for index, item in enumerate(items):
            if item in ("a", "b"):
                converter = converters["default"]()
            elif item == "any":
                converter = converters["any"](None, "x", "x1", "1")
            elif item in converters:
                converter = converters[item]()
            else:
                chained.append(item)
                pattern += re.escape(item)
                continue
            chained.append((f"v{index}", chain_parts(converter.regex)))
            pattern += f"(?P<v{index}>{converter.regex})"
        regex = re.compile(pattern, re.DOTALL)
        chain = Chain(chained, regex)
        for _ in range(4000):
            text = "".join(rng.choice("1.x-a0") for _ in range(rng.randint(0, 30)))
            found = regex.fullmatch(text)
            assert chain.scan(text) == (found and found.groupdict()), (items, text)


class _Lookahead(BaseConverter):
    regex = "(?!new)[^/]+"


def test_shared_segment_with_a_regex_the_scan_cannot_read_is_refused():
    router = Router()
    router.converters["named"] = _Lookahead
    router.add(Rule("/a/<named:name>", endpoint="alone"))  # its own segment: fine
    with pytest.raises(ValueError, match="in time linear") as caught:
        router.add(Rule("/b/<named:name>.<ext>", endpoint="shared"))
    message = str(caught.value)
    assert "'name'" in message and "(?!new)[^/]+" in message
    assert "segment of its own" in message and "to_python" in message


def test_a_host_with_several_variables_matches_as_one_regex_did():
    router = Router(host_matching=True)
    router.add(Rule("/", endpoint="e", host="<a>.<b>.<int:n>.example.org"))
    assert router.bind("x.y.z.5.example.org").match("/") == ("e", {"a": "x.y", "b": "z", "n": 5})
    with pytest.raises(NotFound):
        router.bind("." * 200 + "x.example.org").match("/")


def test_a_path_variable_with_text_after_it_still_matches_as_before():
    router = Router()
    router.add(Rule("/f/<path:name>.<ext>", endpoint="file"))
    router.add(Rule("/n/<path:name>-<int:n>", endpoint="numbered"))
    assert match(router, "/f/a/b.c/d.tar.gz") == ("file", {"name": "a/b.c/d", "ext": "tar.gz"})
    assert match(router, "/f/x.y") == ("file", {"name": "x", "ext": "y"})
    assert match(router, "/n/a-b/c-1-2") == ("numbered", {"name": "a-b/c-1", "n": 2})
    for path in ("/f/a/", "/f/a.b/", "/f//a.b", "/f/.", "/n/a/b-", "/n/a-b/c"):
        with pytest.raises((NotFound, RequestRedirect)):
            router.match("GET", path)


def test_custom_converter_validation_error_falls_through():
    router = Router()
    router.converters["even"] = EvenConverter
    router.add(Rule("/n/<even:n>", endpoint="even"))
    router.add(Rule("/n/<int:n>", endpoint="odd"))
    assert match(router, "/n/4") == ("even", {"n": 4})
    assert match(router, "/n/5") == ("odd", {"n": 5})


def test_custom_converter_with_arguments():
    router = Router()
    router.converters["prefixed"] = PrefixConverter
    router.add(Rule("/<prefixed('id'):key>", endpoint="e"))
    assert match(router, "/id-abc") == ("e", {"key": "id-abc"})
    with pytest.raises(NotFound):
        router.match("GET", "/no-abc")


def test_custom_converter_is_per_router():
    router = Router()
    router.converters["list"] = ListConverter
    with pytest.raises(LookupError):
        Router().add(Rule("/tags/<list:tags>", endpoint="tags"))


def test_base_converter_refuses_arguments():
    router = Router()
    router.converters["list"] = ListConverter
    with pytest.raises(TypeError, match="takes no arguments"):
        router.add(Rule("/tags/<list(1):tags>", endpoint="tags"))


# introspection


def test_iter_rules_and_repr():
    first = Rule("/a", endpoint="a", methods=["GET", "POST"])
    second = Rule("/b/<int:x>", endpoint="b")
    router = router_with(first, second)
    assert list(router.iter_rules()) == [first, second]
    assert list(router.iter_rules("b")) == [second]
    assert list(router.iter_rules("missing")) == []
    assert repr(first) == "<Rule '/a' (GET, POST) -> a>"
    assert first.is_static and not second.is_static
    assert second.arguments == {"x"}


def test_url_for_encodes_what_a_value_needs_and_leaves_the_rest(app):
    @app.route("/p/<name>")
    def page(name):
        return name

    @app.route("/f/<path:rest>")
    def files(rest):
        return rest

    with app.test_request_context("/"):
        assert erlen.url_for("page", name="a b/ü%?#") == "/p/a%20b%2F%C3%BC%25%3F%23"
        assert erlen.url_for("page", name="plain-name_1.~") == "/p/plain-name_1.~"
        assert erlen.url_for("files", rest="dir/a b.txt") == "/f/dir/a%20b.txt"
        assert erlen.url_for("page", name="x", q="1 2") == "/p/x?q=1+2"
        assert erlen.url_for("page", name="x", skip=None) == "/p/x"
