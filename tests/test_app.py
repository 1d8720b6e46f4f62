"""The application object: registration, the request cycle, return values."""

from __future__ import annotations

import asyncio

import pytest

from erlen import (
    Erlen,
    Headers,
    Response,
    abort,
    after_this_request,
    current_app,
    g,
    jsonify,
    make_response,
    request,
    session,
    url_for,
)
from erlen.http.exceptions import BadRequest, NotFound
from erlen.routing import BuildError

# -- registration ------------------------------------------------------------


def test_route_methods_and_shortcuts(app, client):
    @app.route("/both", methods=["GET", "POST"])
    def both():
        return request.method

    @app.get("/g")
    def get_view():
        return "get"

    @app.post("/p")
    def post_view():
        return "post"

    @app.put("/u")
    def put_view():
        return "put"

    @app.patch("/a")
    def patch_view():
        return "patch"

    @app.delete("/d")
    def delete_view():
        return "delete"

    assert client.get("/both").text == "GET"
    assert client.post("/both").text == "POST"
    assert client.get("/g").text == "get"
    assert client.post("/p").text == "post"
    assert client.put("/u").text == "put"
    assert client.patch("/a").text == "patch"
    assert client.delete("/d").text == "delete"
    assert client.get("/p").status_code == 405
    assert client.get("/p").headers["Allow"] == "OPTIONS, POST"


def test_shortcut_refuses_methods_argument(app):
    with pytest.raises(TypeError, match="methods"):
        app.get("/x", methods=["POST"])


def test_methods_as_string_is_refused(app):
    with pytest.raises(TypeError, match=r"\['GET', 'POST'\]"):
        app.add_url_rule("/x", "x", lambda: "", methods="POST")


def test_two_views_one_endpoint_is_an_error_at_registration(app):
    @app.route("/a")
    def page():
        return "a"

    with pytest.raises(ValueError, match="overwriting an existing endpoint") as info:

        @app.route("/b", endpoint="page")
        def other():
            return "b"

    assert "functools.wraps" in str(info.value)
    # The failed registration left nothing half-done behind.
    assert [r.rule for r in app.url_map.iter_rules() if r.endpoint != "static"] == ["/a"]


def test_same_view_on_two_rules_is_fine(app, client):
    def page(name="home"):
        return name

    app.add_url_rule("/", view_func=page)
    app.add_url_rule("/<name>", view_func=page)
    assert client.get("/").text == "home"
    assert client.get("/about").text == "about"


def test_an_app_endpoint_may_have_a_dot(app, client):
    # Flask refuses dots in a blueprint's endpoints only; the app's may have them.
    def view():
        return f"{request.endpoint} {request.blueprint} {url_for('reports.monthly')}"

    app.add_url_rule("/reports/monthly", "reports.monthly", view)
    response = client.get("/reports/monthly")
    # As in Flask, the part before the last dot reads as a blueprint's name.
    assert response.text == "reports.monthly reports /reports/monthly"


def test_unknown_route_option_is_refused(app):
    with pytest.raises(TypeError, match="methods"):
        app.add_url_rule("/x", "x", lambda: "", method=["GET"])


def test_endpoint_decorator(app, client):
    app.add_url_rule("/x", "named")

    @app.endpoint("named")
    def view():
        return "named view"

    assert client.get("/x").text == "named view"


def test_defaults_are_passed_to_the_view(app, client):
    @app.route("/page/", defaults={"n": 1})
    @app.route("/page/<int:n>")
    def page(n):
        return f"page {n}"

    assert client.get("/page/").text == "page 1"
    assert client.get("/page/3").text == "page 3"


# -- return values -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status", "body", "mimetype"),
    [
        ("text", 200, b"text", "text/html"),
        (b"bytes", 200, b"bytes", "text/html"),
        ({"a": 1}, 200, b'{"a":1}\n', "application/json"),
        ([1, 2], 200, b"[1,2]\n", "application/json"),
        (("created", 201), 201, b"created", "text/html"),
        (("teapot", "418 I'm a teapot"), 418, b"teapot", "text/html"),
        (({"ok": True}, 202), 202, b'{"ok":true}\n', "application/json"),
        (("h", {"X-A": "1"}), 200, b"h", "text/html"),
        (("h", 203, [("X-A", "1")]), 203, b"h", "text/html"),
    ],
)
def test_return_values(app, client, value, status, body, mimetype):
    @app.route("/")
    def index():
        return value

    response = client.get("/")
    assert response.status_code == status
    assert response.data == body
    assert response.mimetype == mimetype
    if isinstance(value, tuple) and not isinstance(value[-1], (int, str)):
        assert response.headers["X-A"] == "1"


def test_tuple_headers_replace_existing_values(app, client):
    @app.route("/")
    def index():
        return Response("x", headers={"X-A": "old"}), {"X-A": "new", "Content-Type": "text/plain"}

    response = client.get("/")
    assert response.headers.getlist("X-A") == ["new"]
    assert response.mimetype == "text/plain"


def test_generator_is_streamed(app, client):
    @app.route("/")
    def index():
        def generate():
            yield "a"
            yield b"b"
            yield "c"

        return generate()

    response = client.get("/")
    assert response.data == b"abc"
    assert "Content-Length" not in response.headers


def test_none_return_explains_the_mistake(app, client):
    @app.route("/")
    def forgot():
        pass

    with pytest.raises(TypeError, match="did not return a valid response") as info:
        client.get("/")
    assert "'forgot'" in str(info.value)


def test_unsupported_return_type_explains(app, client):
    @app.route("/")
    def index():
        return 42

    with pytest.raises(TypeError, match="returned a int"):
        client.get("/")


def test_bad_tuple_length(app, client):
    @app.route("/")
    def index():
        return ("a", 200, {}, "extra")

    with pytest.raises(TypeError, match="tuple of 4 items"):
        client.get("/")


def test_jsonify_and_make_response(app, client):
    @app.route("/j")
    def j():
        return jsonify(a=1)

    @app.route("/l")
    def lst():
        return jsonify(1, 2)

    @app.route("/m")
    def m():
        response = make_response("made", 201)
        response.headers["X-Made"] = "yes"
        return response

    assert client.get("/j").json == {"a": 1}
    assert client.get("/l").json == [1, 2]
    response = client.get("/m")
    assert (response.status_code, response.text, response.headers["X-Made"]) == (201, "made", "yes")


def test_json_encodes_common_types(app, client):
    import datetime
    import decimal
    import uuid
    from dataclasses import dataclass

    @dataclass
    class Point:
        x: int
        y: int

    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")

    @app.route("/")
    def index():
        return {
            "when": datetime.date(2026, 1, 2),
            "money": decimal.Decimal("1.50"),
            "id": ident,
            "point": Point(1, 2),
            "big": 2**70,
        }

    assert client.get("/").json == {
        "when": "Fri, 02 Jan 2026 00:00:00 GMT",  # an HTTP date, as Flask writes it
        "money": "1.50",
        "id": str(ident),
        "point": {"x": 1, "y": 2},
        "big": 2**70,
    }


def test_json_refuses_unknown_types_with_advice(app, client):
    @app.route("/")
    def index():
        return {"x": object()}

    with pytest.raises(TypeError, match="not JSON serializable.*to_dict"):
        client.get("/")


# -- hooks -------------------------------------------------------------------


def test_hooks_run_in_order(app, client):
    calls = []

    @app.before_request
    def first():
        calls.append("before1")

    @app.before_request
    def second():
        calls.append("before2")

    @app.after_request
    def after_a(response):
        calls.append("afterA")
        return response

    @app.after_request
    def after_b(response):
        calls.append("afterB")
        response.headers["X-After"] = "yes"
        return response

    @app.teardown_request
    def teardown(error):
        calls.append(("teardown", error))

    @app.teardown_appcontext
    def teardown_app(error):
        calls.append("teardown_app")

    @app.route("/")
    def index():
        calls.append("view")
        return "ok"

    response = client.get("/")
    assert response.headers["X-After"] == "yes"
    assert calls == [
        "before1",
        "before2",
        "view",
        "afterB",
        "afterA",
        ("teardown", None),
        "teardown_app",
    ]


def test_before_request_can_answer(app, client):
    @app.before_request
    def guard():
        if request.args.get("token") != "s3cret":
            return "no entry", 403
        return None

    @app.route("/")
    def index():
        return "inside"

    assert client.get("/").status_code == 403
    assert client.get("/?token=s3cret").text == "inside"


def test_after_request_must_return_a_response(app, client):
    @app.after_request
    def broken(response):
        response.headers["X"] = "1"

    @app.route("/")
    def index():
        return "x"

    with pytest.raises(TypeError, match="returned None"):
        client.get("/")


def test_after_this_request(app, client):
    @app.route("/")
    def index():
        @after_this_request
        def add_header(response):
            response.headers["X-Once"] = "1"
            return response

        return "x"

    @app.route("/other")
    def other():
        return "y"

    assert client.get("/").headers["X-Once"] == "1"
    assert "X-Once" not in client.get("/other").headers


def test_teardown_errors_are_logged_and_others_still_run(app, client, caplog):
    ran = []

    @app.teardown_request
    def good(error):
        ran.append("good")

    @app.teardown_request
    def bad(error):
        raise RuntimeError("teardown broke")

    @app.route("/")
    def index():
        return "x"

    assert client.get("/").text == "x"
    assert ran == ["good"]
    assert "teardown broke" in caplog.text


def test_async_view_and_hooks_under_wsgi(app, client):
    @app.before_request
    async def load():
        await asyncio.sleep(0)
        g.user = "ada"

    @app.route("/<name>")
    async def hello(name):
        await asyncio.sleep(0)
        return {"name": name, "user": g.user, "path": request.path}

    @app.after_request
    async def stamp(response):
        response.headers["X-Async"] = "1"
        return response

    response = client.get("/bob")
    assert response.json == {"name": "bob", "user": "ada", "path": "/bob"}
    assert response.headers["X-Async"] == "1"


def test_async_view_inside_a_running_loop(app):
    @app.route("/")
    async def index():
        await asyncio.sleep(0)
        return request.path

    async def main():
        return app.test_client().get("/").text

    assert asyncio.run(main()) == "/"


def test_async_generator_streams_under_wsgi(app, client):
    @app.route("/")
    def index():
        async def generate():
            for part in ("x", "y"):
                await asyncio.sleep(0)
                yield part

        return generate()

    assert client.get("/").data == b"xy"


# -- errors ------------------------------------------------------------------


def test_abort_and_default_error_pages(app, client):
    @app.route("/secret")
    def secret():
        abort(403, "Only admins may see this.")

    response = client.get("/secret")
    assert response.status_code == 403
    assert "Only admins may see this." in response.text
    assert response.mimetype == "text/html"


def test_error_pages_answer_json_to_json_clients(app, client):
    response = client.get("/nowhere", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["code"] == 404
    assert response.json["name"] == "Not Found"


def test_errorhandler_by_code_and_class(app, client):
    class Oops(Exception):
        pass

    @app.errorhandler(404)
    def not_found(error):
        return f"custom 404 for {request.path}", 404

    @app.errorhandler(Oops)
    def oops(error):
        return {"error": "oops"}, 409

    @app.errorhandler(BadRequest)
    def bad(error):
        return "bad: " + error.description, 400

    @app.route("/oops")
    def raise_oops():
        raise Oops()

    @app.route("/key")
    def key():
        return request.args["missing"]

    assert client.get("/nope").text == "custom 404 for /nope"
    response = client.get("/oops")
    assert (response.status_code, response.json) == (409, {"error": "oops"})
    response = client.get("/key")
    assert response.status_code == 400
    assert "missing" in response.text


def test_errorhandler_for_subclass_via_mro(app, client):
    @app.errorhandler(LookupError)
    def lookup(error):
        return "lookup handled", 404

    @app.route("/")
    def index():
        raise KeyError("k")

    assert client.get("/").text == "lookup handled"


def test_errorhandler_registration_errors(app):
    with pytest.raises(ValueError, match="not an HTTP error code"):
        app.errorhandler(999)
    with pytest.raises(TypeError, match="not an instance|exception class"):
        app.errorhandler(ValueError())


def test_unhandled_exception_is_logged_once_and_becomes_500(client, app, caplog):
    app.config["TESTING"] = False

    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "kaboom" not in response.text
    assert "Traceback" not in response.text
    records = [r for r in caplog.records if "Exception on /boom [GET]" in r.getMessage()]
    assert len(records) == 1
    assert records[0].exc_info is not None


def test_500_handler_receives_the_original_error(client, app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.errorhandler(500)
    def server_error(error):
        return f"sorry: {type(error.original_exception).__name__}", 500

    @app.route("/")
    def index():
        raise ZeroDivisionError()

    response = client.get("/")
    assert (response.status_code, response.text) == (500, "sorry: ZeroDivisionError")


def test_broken_500_handler_still_gives_a_500(client, app, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.errorhandler(500)
    def server_error(error):
        raise RuntimeError("handler broke too")

    @app.route("/")
    def index():
        raise ZeroDivisionError()

    response = client.get("/")
    assert response.status_code == 500
    assert "handler broke too" in caplog.text


def test_testing_mode_propagates_exceptions(app, client):
    @app.route("/")
    def index():
        raise ZeroDivisionError()

    with pytest.raises(ZeroDivisionError):
        client.get("/")


def test_trap_http_exceptions(app, client):
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    with pytest.raises(NotFound):
        client.get("/missing")


def test_http_exception_in_hook(app, client):
    @app.before_request
    def deny():
        abort(401)

    @app.route("/")
    def index():
        return "never"

    assert client.get("/").status_code == 401


# -- routing behaviour through the app ---------------------------------------


def test_slash_redirect_keeps_query_and_root(app, client):
    @app.route("/docs/")
    def docs():
        return "docs"

    response = client.get("/docs?page=2")
    assert response.status_code == 308
    assert response.headers["Location"] == "/docs/?page=2"
    response = client.get("/docs?page=2", base_url="http://localhost/mount/")
    assert response.headers["Location"] == "/mount/docs/?page=2"
    assert client.get("/docs", follow_redirects=True).text == "docs"


def test_automatic_options_lists_all_methods(app, client):
    @app.route("/r", methods=["GET"])
    def read():
        return ""

    @app.route("/r", methods=["POST"], endpoint="write")
    def write():
        return ""

    response = client.options("/r")
    assert response.status_code == 200
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS, POST"


def test_head_has_headers_but_no_body(app, client):
    @app.route("/")
    def index():
        return "twelve bytes"

    response = client.head("/")
    assert response.data == b""
    assert response.headers["Content-Length"] == "12"


def test_url_for_in_views(app, client):
    @app.route("/user/<int:uid>")
    def user(uid):
        return url_for("user", uid=uid + 1, tab="posts", _anchor="top")

    @app.route("/ext")
    def external():
        return url_for("user", uid=1, _external=True)

    @app.route("/https")
    def https():
        return url_for("user", uid=1, _scheme="https", _external=True)

    assert client.get("/user/1").text == "/user/2?tab=posts#top"
    assert client.get("/ext").text == "http://localhost/user/1"
    assert client.get("/https").text == "https://localhost/user/1"
    assert client.get("/ext", base_url="http://example.com/app/").text == (
        "http://example.com/app/user/1"
    )


def test_url_for_errors_say_what_is_missing(app):
    @app.route("/user/<int:uid>")
    def user(uid):
        return ""

    with app.test_request_context():
        with pytest.raises(BuildError, match="missing value.*uid"):
            url_for("user")
        with pytest.raises(BuildError, match="Did you mean 'user'"):
            url_for("usr")


def test_url_for_outside_requests(app):
    @app.route("/x")
    def x():
        return ""

    with pytest.raises(RuntimeError, match="application context"):
        url_for("x")
    with app.app_context():
        with pytest.raises(RuntimeError, match="SERVER_NAME"):
            url_for("x")
        app.config["SERVER_NAME"] = "example.com"
        assert url_for("x") == "http://example.com/x"
        assert url_for("x", _external=False) == "/x"


# -- contexts ----------------------------------------------------------------


def test_proxies_inside_a_request(app, client):
    @app.route("/")
    def index():
        g.seen = True
        return {
            "app": current_app.name,
            "g": g.get("seen"),
            "in_g": "seen" in g,
            "method": request.method,
        }

    assert client.get("/").json == {"app": "test_app", "g": True, "in_g": True, "method": "GET"}


def test_proxies_outside_a_context_explain():
    with pytest.raises(RuntimeError, match="outside of request context"):
        request.path  # noqa: B018
    with pytest.raises(RuntimeError, match="outside of application context"):
        current_app.name  # noqa: B018
    assert not request  # a falsy proxy, no error


def test_app_context_and_g(app):
    torn_down = []
    app.teardown_appcontext(torn_down.append)
    with app.app_context():
        g.x = 1
        assert current_app._get_current_object() is app
        assert g.pop("x") == 1
        with pytest.raises(RuntimeError, match="request context"):
            request.path  # noqa: B018
    assert torn_down == [None]


def test_test_request_context(app):
    with app.test_request_context("/a?b=1", method="POST", data={"c": "2"}):
        assert request.path == "/a"
        assert request.args["b"] == "1"
        assert request.form["c"] == "2"
        assert request.method == "POST"


def test_contexts_are_isolated_between_threads(app):
    import threading

    seen = {}

    @app.route("/<name>")
    def index(name):
        g.name = name
        barrier.wait(timeout=5)
        return f"{name}:{g.name}:{request.view_args['name']}"

    barrier = threading.Barrier(2)

    def call(name):
        seen[name] = app.test_client().get(f"/{name}").text

    threads = [threading.Thread(target=call, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert seen == {"a": "a:a:a", "b": "b:b:b"}


# -- the object --------------------------------------------------------------


def test_config_defaults_and_properties(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    assert app.debug is False
    app.debug = True
    assert app.config["DEBUG"] is True
    app.secret_key = "k"
    assert app.config["SECRET_KEY"] == "k"
    app.config.from_mapping({"MAIL_HOST": "h", "lower": 1}, MAIL_PORT=25)
    assert app.config.get_namespace("MAIL_") == {"host": "h", "port": 25}
    assert "lower" not in app.config


def test_config_from_object(app):
    class Settings:
        DEBUG = True
        private = "no"

    app.config.from_object(Settings)
    assert app.config["DEBUG"] is True
    assert "private" not in app.config


def test_root_path_and_name():
    app = Erlen(__name__)
    assert app.name == __name__
    assert app.root_path.endswith("tests")
    assert repr(app) == f"<Erlen {__name__!r}>"


def test_logger_is_named_after_the_app(app):
    assert app.logger.name == "test_app"


def test_app_is_sniffed_as_asgi3_and_still_serves_wsgi(app):
    import asyncio
    import inspect

    @app.route("/")
    def index():
        return "both"

    assert inspect.iscoroutinefunction(app.__call__)
    assert asyncio.iscoroutinefunction(app.__call__)
    assert app.test_client().get("/").data == b"both"


def test_unknown_asgi_scope_type_is_refused_clearly(app):
    import asyncio

    async def nothing():
        return {}

    async def ignore(message):
        pass

    with pytest.raises(ValueError, match="'http', 'websocket' and 'lifespan'"):
        asyncio.run(app({"type": "telepathy"}, nothing, ignore))


def test_wsgi_app_can_be_wrapped_by_middleware(app):
    @app.route("/")
    def index():
        return "inner"

    inner = app.wsgi_app

    def middleware(environ, start_response):
        environ["PATH_INFO"] = "/"
        return inner(environ, start_response)

    app.wsgi_app = middleware
    assert app.test_client().get("/anything").text == "inner"


def test_response_headers_object_is_usable(app, client):
    @app.route("/")
    def index():
        return "x", Headers([("X-Multi", "1"), ("X-Multi", "2")])

    assert client.get("/").headers.getlist("X-Multi") == ["1", "2"]


def test_isinstance_on_an_unbound_proxy_is_false():
    from erlen.request import Request

    assert not isinstance(request, Request)
    assert not isinstance(g, dict)


def test_unbound_proxies_can_be_unwrapped_as_functions_are():
    # Outside any context, a proxy answers __wrapped__ (Werkzeug's do too),
    # so inspect.unwrap() and doctest's finder can walk a module's globals.
    import doctest
    import inspect
    import types

    for proxy in (request, g, current_app, session):
        assert hasattr(proxy, "__wrapped__")
        assert inspect.unwrap(proxy) is not None
    module = types.ModuleType("uses_proxies")
    module.current_app = current_app
    module.request = request
    assert doctest.DocTestFinder().find(module) == []
    with pytest.raises(RuntimeError, match="application context"):
        _ = current_app.name


def test_a_bound_proxy_unwraps_to_its_object(app):
    with app.app_context():
        assert not hasattr(current_app, "__wrapped__")


def test_async_view_errors_carry_no_stray_context(app, client):
    @app.route("/")
    async def index():
        raise ValueError("from the view")

    with pytest.raises(ValueError, match="from the view") as info:
        client.get("/")
    assert info.value.__context__ is None
