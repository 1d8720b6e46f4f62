"""Flask's application API on erlen: aborter, redirect, trapping rules, dispatch steps, ...

Each test is written from Flask 3.1's documented behaviour.
"""

from __future__ import annotations

import gc
import io
import logging
import sys
import threading
import weakref
from datetime import timedelta

import pytest

import erlen
from erlen import Erlen, Response, abort, redirect, request
from erlen.config import ConfigAttribute
from erlen.ctx import RequestContext
from erlen.exceptions import BadRequest, BadRequestKeyError, HTTPException, NotFound
from erlen.http.exceptions import Aborter

# -- abort and the app's aborter ------------------------------------------------


class Teapot(HTTPException):
    code = 418
    description = "I am a teapot."


def test_abort_uses_the_apps_aborter(client, app):
    app.aborter = Aborter(extra={418: Teapot})

    @app.route("/")
    def index():
        abort(418)

    response = client.get("/")
    assert response.status_code == 418
    assert "I am a teapot." in response.text


def test_aborter_class_and_make_aborter_are_used_for_each_app():
    class MyAborter(Aborter):
        def __init__(self) -> None:
            super().__init__(extra={418: Teapot})

    class MyApp(Erlen):
        aborter_class = MyAborter

    app = MyApp(__name__)
    assert isinstance(app.aborter, MyAborter)
    with pytest.raises(Teapot):
        app.aborter(418)


def test_abort_passes_the_description_on(client, app):
    @app.route("/")
    def index():
        abort(403, description="Admins only.")

    response = client.get("/")
    assert response.status_code == 403
    assert "Admins only." in response.text


def test_abort_with_a_response_sends_it(client, app):
    @app.route("/")
    def index():
        abort(Response("custom", 409))

    response = client.get("/")
    assert (response.status_code, response.text) == (409, "custom")


def test_abort_outside_an_app_uses_the_default_codes():
    with pytest.raises(NotFound):
        abort(404)


def test_abort_with_an_unknown_code_says_what_to_do():
    with pytest.raises(LookupError, match="aborter's mapping"):
        abort(299)


# -- redirect ------------------------------------------------------------------


class MyResponse(Response):
    pass


def test_redirect_inside_an_app_uses_its_response_class(client, app):
    app.response_class = MyResponse

    @app.route("/")
    def index():
        result = redirect("/there", 307)
        assert type(result) is MyResponse
        return result

    response = client.get("/")
    assert response.status_code == 307
    assert response.headers["Location"] == "/there"


def test_app_redirect_can_be_overridden(client):
    class MyApp(Erlen):
        def redirect(self, location: str, code: int = 302) -> Response:
            return super().redirect("/always", 303)

    app = MyApp(__name__)

    @app.route("/")
    def index():
        return redirect("/somewhere")

    response = app.test_client().get("/")
    assert (response.status_code, response.headers["Location"]) == (303, "/always")


def test_redirect_outside_an_app():
    response = redirect("/x", Response=MyResponse)
    assert type(response) is MyResponse
    assert response.headers["Location"] == "/x"


# -- trapping rules --------------------------------------------------------------


def test_trap_http_exceptions_raises_in_tests(client, app):
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    with pytest.raises(NotFound):
        client.get("/missing")


def test_a_trapped_error_still_goes_to_its_handler(client, app):
    app.config["TRAP_HTTP_EXCEPTIONS"] = True

    @app.errorhandler(404)
    def not_found(error):
        return "handled", 404

    response = client.get("/missing")
    assert (response.status_code, response.text) == (404, "handled")


def test_trap_bad_request_errors_traps_400s_only(client, app):
    app.config["TRAP_BAD_REQUEST_ERRORS"] = True

    @app.route("/bad")
    def bad():
        abort(400)

    @app.route("/forbidden")
    def forbidden():
        abort(403)

    with pytest.raises(BadRequest):
        client.get("/bad")
    assert client.get("/forbidden").status_code == 403


def test_missing_form_key_is_a_400_outside_debug(client, app):
    @app.route("/", methods=["POST"])
    def index():
        return request.form["name"]

    response = client.post("/", data={"other": "x"})
    assert response.status_code == 400
    assert "name" in response.text


def test_missing_form_key_is_trapped_in_debug(app):
    app.debug = True
    app.config["TESTING"] = True

    @app.route("/")
    def index():
        return request.args["page"]

    with pytest.raises(BadRequestKeyError, match="page"):
        app.test_client().get("/")


def test_trap_bad_request_errors_false_keeps_the_400_in_debug(app):
    app.debug = True
    app.config["TRAP_BAD_REQUEST_ERRORS"] = False

    @app.route("/")
    def index():
        return request.args["page"]

    assert app.test_client().get("/").status_code == 400


def test_trap_http_exception_can_be_overridden():
    class MyApp(Erlen):
        def trap_http_exception(self, error: Exception) -> bool:
            return isinstance(error, NotFound)

    app = MyApp(__name__)
    app.testing = True
    with pytest.raises(NotFound):
        app.test_client().get("/nowhere")


def test_handle_http_exception_returns_the_handlers_value_or_the_error(app):
    @app.errorhandler(404)
    def not_found(error):
        return "gone", 404

    with app.test_request_context("/"):
        assert app.handle_http_exception(NotFound()) == ("gone", 404)
        forbidden = erlen.exceptions.Forbidden()
        assert app.handle_http_exception(forbidden) is forbidden


# -- the dispatch steps, one by one ------------------------------------------------


def test_dispatch_request_calls_the_matched_view(app):
    @app.route("/user/<int:uid>")
    def user(uid):
        return f"user {uid}"

    with app.test_request_context("/user/7"):
        assert app.dispatch_request() == "user 7"


def test_dispatch_request_raises_the_routing_error(app):
    with app.test_request_context("/nowhere"), pytest.raises(NotFound):
        app.dispatch_request()


def test_dispatch_request_runs_an_async_view(app):
    @app.route("/")
    async def index():
        return "async"

    with app.test_request_context("/"):
        assert app.dispatch_request() == "async"


def test_full_dispatch_request_runs_hooks_and_makes_the_response(app):
    @app.before_request
    def before():
        request.environ["seen"] = True

    @app.after_request
    def after(response):
        response.headers["X-After"] = "yes"
        return response

    @app.route("/")
    def index():
        return "body"

    with app.test_request_context("/"):
        response = app.full_dispatch_request()
    assert response.get_data(as_text=True) == "body"
    assert response.headers["X-After"] == "yes"


def test_finalize_request_makes_the_response_and_runs_after_hooks(app):
    @app.after_request
    def after(response):
        response.headers["X-Final"] = "1"
        return response

    with app.test_request_context("/"):
        response = app.finalize_request(("made", 201))
    assert (response.status_code, response.headers["X-Final"]) == (201, "1")


def test_finalize_request_from_an_error_handler_logs_a_failing_hook(app, caplog):
    @app.after_request
    def broken(response):
        raise ValueError("hook broke")

    with app.test_request_context("/"):
        with pytest.raises(ValueError):
            app.finalize_request("x")
        response = app.finalize_request("x", from_error_handler=True)
    assert response.get_data(as_text=True) == "x"
    assert "Request finalizing failed" in caplog.text


def test_make_default_options_response_lists_the_methods(app):
    @app.route("/item", methods=["GET", "PUT"])
    def item():
        return ""

    with app.test_request_context("/item", method="OPTIONS"):
        response = app.make_default_options_response()
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT"}


def test_dispatch_steps_outside_a_request_say_what_to_do(app):
    for step in (
        app.dispatch_request,
        app.full_dispatch_request,
        app.make_default_options_response,
    ):
        with pytest.raises(RuntimeError, match="test_request_context"):
            step()


def test_ensure_sync_and_async_to_sync(app):
    async def add(a, b):
        return a + b

    def plain():
        return 1

    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(add)(2, 3) == 5
    assert app.async_to_sync(add)(1, 1) == 2


def test_raise_routing_exception_needs_a_routing_error(app):
    @app.route("/")
    def index():
        return ""

    with app.test_request_context("/missing"):
        with pytest.raises(NotFound):
            app.raise_routing_exception(request._get_current_object())
    with app.test_request_context("/"):
        with pytest.raises(RuntimeError, match="routing_exception"):
            app.raise_routing_exception(request._get_current_object())


def test_should_ignore_error_is_false():
    assert Erlen(__name__).should_ignore_error(ValueError()) is False


# -- shell context, sessions, config ------------------------------------------------


def test_shell_context_processors_add_names():
    app = Erlen(__name__)

    @app.shell_context_processor
    def extra():
        return {"answer": 42}

    namespace = app.make_shell_context()
    assert namespace["app"] is app
    assert namespace["answer"] == 42
    assert "g" in namespace


def test_permanent_session_lifetime_reads_and_writes_the_config():
    app = Erlen(__name__)
    assert app.permanent_session_lifetime == timedelta(days=31)
    app.permanent_session_lifetime = 3600
    assert app.config["PERMANENT_SESSION_LIFETIME"] == 3600
    assert app.permanent_session_lifetime == timedelta(hours=1)


def test_config_attribute_on_a_class():
    class Holder:
        def __init__(self) -> None:
            self.config = {"LIMIT": "5"}

        limit = ConfigAttribute("LIMIT", int)
        raw = ConfigAttribute("LIMIT")

    holder = Holder()
    assert holder.limit == 5
    holder.raw = "7"
    assert holder.config["LIMIT"] == "7"
    assert isinstance(Holder.limit, ConfigAttribute)


def test_config_class_and_make_config():
    class MyConfig(erlen.Config):
        pass

    class MyApp(Erlen):
        config_class = MyConfig

    app = MyApp(__name__, instance_path="/tmp/erlen-instance", instance_relative_config=True)
    assert isinstance(app.config, MyConfig)
    assert app.config.root_path == "/tmp/erlen-instance"
    assert app.make_config().root_path == app.root_path


@pytest.mark.parametrize(
    ("value", "debug"), [("1", True), ("true", True), ("0", False), ("no", False)]
)
def test_a_new_app_reads_erlen_debug(monkeypatch, value, debug):
    monkeypatch.setenv("ERLEN_DEBUG", value)
    assert Erlen(__name__).debug is debug
    assert erlen.helpers.get_debug_flag() is debug


def test_get_load_dotenv(monkeypatch):
    monkeypatch.delenv("ERLEN_SKIP_DOTENV", raising=False)
    assert erlen.helpers.get_load_dotenv() is True
    assert erlen.helpers.get_load_dotenv(False) is False
    monkeypatch.setenv("ERLEN_SKIP_DOTENV", "1")
    assert erlen.helpers.get_load_dotenv() is False


def test_get_root_path_of_this_module():
    import os

    assert erlen.helpers.get_root_path(__name__) == os.path.dirname(os.path.abspath(__file__))


# -- contexts ------------------------------------------------------------------------


def test_copy_current_request_context_runs_in_a_thread(app):
    seen = []

    @app.route("/")
    def index():
        @erlen.copy_current_request_context
        def work():
            seen.append((request.path, request.args["q"]))

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(10)
        return "ok"

    app.test_client().get("/?q=1")
    assert seen == [("/", "1")]


def test_copy_current_request_context_outside_a_request_says_what_to_do():
    with pytest.raises(RuntimeError, match="inside a view"):
        erlen.copy_current_request_context(lambda: None)


def test_request_context_takes_a_wsgi_environ(app):
    from erlen.testing import EnvironBuilder

    environ = EnvironBuilder(app, "/hello").get_environ()
    with RequestContext(app, environ) as context:
        assert request.path == "/hello"
        copied = context.copy()
        assert copied.request is context.request
    with pytest.raises(TypeError, match="environ"):
        RequestContext(app)


def test_request_context_match_request_records_the_rule(app):
    @app.route("/a")
    def a():
        return ""

    context = app.test_request_context("/a")
    context.request.url_rule = None
    context.match_request()
    assert context.request.url_rule.rule == "/a"


def test_globals_app_ctx_and_request_ctx(app):
    from erlen.globals import app_ctx, request_ctx

    with app.test_request_context("/x"):
        assert app_ctx.app is app
        assert request_ctx.request.path == "/x"
    with app.app_context():
        assert app_ctx.app is app
        with pytest.raises(RuntimeError):
            request_ctx.request  # noqa: B018
    assert not app_ctx
    with pytest.raises(RuntimeError):
        app_ctx.app  # noqa: B018


# -- an app is freed with its last reference ------------------------------------------


def test_the_app_is_freed_without_the_garbage_collector(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("{{ name }}")
    (tmp_path / "static").mkdir()
    gc.collect()
    gc.disable()
    try:
        app = Erlen("freed_app", root_path=str(tmp_path))
        blueprint = erlen.Blueprint("parts", __name__)

        @blueprint.route("/part")
        def part():
            return "part"

        app.register_blueprint(blueprint)

        @app.route("/")
        def index():
            return erlen.render_template("page.html", name="x")

        client = app.test_client()
        assert client.get("/").text == "x"
        assert client.get("/part").text == "part"
        ref = weakref.ref(app)
        del app, client, index
        assert ref() is None, "a reference cycle keeps the app alive"
    finally:
        gc.enable()


# -- logging -----------------------------------------------------------------------


def test_create_logger_and_the_default_handler():
    from erlen.logging import create_logger, default_handler, has_level_handler

    app = Erlen("logging_app_under_test")
    logger = create_logger(app)
    assert logger is logging.getLogger("logging_app_under_test")
    assert logger is app.logger
    assert has_level_handler(logger)
    if default_handler in logger.handlers:  # pytest's handler on the root may be enough
        logger.removeHandler(default_handler)


def test_has_level_handler_follows_levels_and_propagation():
    from erlen.logging import has_level_handler

    parent = logging.getLogger("erlen_test_parent")
    child = logging.getLogger("erlen_test_parent.child")
    child.setLevel(logging.INFO)
    handler = logging.StreamHandler(io.StringIO())
    handler.setLevel(logging.ERROR)
    parent.addHandler(handler)
    try:
        child.propagate = False
        assert not has_level_handler(child)
        child.propagate = True
        handler.setLevel(logging.DEBUG)
        assert has_level_handler(child)
    finally:
        parent.removeHandler(handler)


@pytest.mark.wsgi_only
def test_wsgi_errors_stream_writes_to_the_requests_error_stream(app):
    from erlen.logging import wsgi_errors_stream

    errors = io.StringIO()

    @app.route("/")
    def index():
        wsgi_errors_stream.write("to the server\n")
        return ""

    app.test_client().get("/", environ_overrides={"wsgi.errors": errors})
    assert errors.getvalue() == "to the server\n"
    assert wsgi_errors_stream._target() is sys.stderr  # type: ignore[attr-defined]


# -- debug helpers -------------------------------------------------------------------


def test_attach_enctype_error_multidict_explains_a_missing_file(app):
    from erlen.debughelpers import DebugFilesKeyError, attach_enctype_error_multidict

    with app.test_request_context("/", method="POST", data={"upload": "photo.jpg"}):
        attach_enctype_error_multidict(request._get_current_object())
        with pytest.raises(DebugFilesKeyError) as caught:
            request.files["upload"]  # noqa: B018
        assert "multipart/form-data" in str(caught.value)
        assert "photo.jpg" in str(caught.value)
        with pytest.raises(KeyError):
            request.files["other"]  # noqa: B018


def test_explain_template_loading_attempts_logs_each_loader(app, caplog):
    from erlen.debughelpers import explain_template_loading_attempts

    caplog.set_level(logging.INFO)
    explain_template_loading_attempts(app, "page.html", [(object(), app, None)])
    assert "Locating template 'page.html'" in caplog.text
    assert "could not be found" in caplog.text


# -- templates -------------------------------------------------------------------------


def test_get_template_attribute_calls_a_macro(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "macros.html").write_text(
        "{% macro hello(name) %}Hello {{ name }}!{% endmacro %}"
    )
    app = Erlen(__name__, root_path=str(tmp_path))
    with app.app_context():
        assert erlen.get_template_attribute("macros.html", "hello")("you") == "Hello you!"


def test_jinja_options_environment_class_and_autoescape_hook(tmp_path):
    from erlen.templating import Environment

    class MyEnvironment(Environment):
        pass

    class MyApp(Erlen):
        jinja_environment = MyEnvironment
        jinja_options = {"trim_blocks": True}

        def select_jinja_autoescape(self, filename):
            return False

    app = MyApp(__name__, root_path=str(tmp_path))
    assert isinstance(app.jinja_env, MyEnvironment)
    assert app.jinja_env.trim_blocks is True
    with app.app_context():
        assert erlen.render_template_string("{{ '<b>' }}") == "<b>"
    assert Erlen(__name__).jinja_options == {}
    assert app.jinja_loader is not None


# -- url_build_error_handlers ----------------------------------------------------------


def test_url_build_error_handlers_give_a_url_or_pass(app):
    calls = []

    def passes(error, endpoint, values):
        calls.append(("passes", endpoint))
        return None

    def builds(error, endpoint, values):
        calls.append(("builds", endpoint, values["_external"]))
        return f"https://elsewhere.example/{endpoint}"

    app.url_build_error_handlers.extend([passes, builds])
    with app.test_request_context("/"):
        assert erlen.url_for("legacy") == "https://elsewhere.example/legacy"
    assert calls == [("passes", "legacy"), ("builds", "legacy", False)]


def test_url_build_error_is_raised_when_no_handler_builds(app):
    from erlen.routing import BuildError

    app.url_build_error_handlers.append(lambda error, endpoint, values: None)
    with app.test_request_context("/"), pytest.raises(BuildError):
        erlen.url_for("nowhere")


def test_a_handler_may_raise_the_error_again(app):
    from erlen.routing import BuildError

    def reraise(error, endpoint, values):
        raise error

    app.url_build_error_handlers.append(reraise)
    with app.app_context(), pytest.raises(BuildError):
        app.handle_url_build_error(BuildError("x", "no rule for x"), "x", {})


# -- a view returning a Werkzeug Response ----------------------------------------------


def test_a_werkzeug_response_is_sent_as_it_is(client, app):
    import werkzeug

    closed = []

    @app.route("/")
    def index():
        response = werkzeug.Response(
            "made by Werkzeug", 201, {"X-From": "wz"}, mimetype="text/plain"
        )
        response.call_on_close(lambda: closed.append(True))
        return response

    response = client.get("/")
    assert response.status_code == 201
    assert response.text == "made by Werkzeug"
    assert response.headers["X-From"] == "wz"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert closed == [True]


def test_a_streamed_werkzeug_response_stays_streamed(client, app):
    import werkzeug

    @app.route("/")
    def index():
        def parts():
            yield "one,"
            yield b"two"

        return werkzeug.Response(parts(), headers={"X-Kind": "stream"})

    response = client.get("/")
    assert (response.text, response.headers["X-Kind"]) == ("one,two", "stream")
    assert "Content-Length" not in response.headers


def test_a_werkzeug_response_with_status_and_headers_in_a_tuple(client, app):
    import werkzeug

    @app.route("/")
    def index():
        return werkzeug.Response("x"), 202, {"X-Extra": "1"}

    response = client.get("/")
    assert (response.status_code, response.headers["X-Extra"]) == (202, "1")


def test_call_on_close_runs_after_an_in_memory_body_is_sent(client, app):
    closed = []

    @app.route("/")
    def index():
        response = Response("body")
        response.call_on_close(lambda: closed.append("closed"))
        return response

    @app.after_request
    def later(response):
        response.set_data("replaced")  # a new body keeps the hook
        return response

    response = client.get("/")
    assert (response.text, response.headers["Content-Length"]) == ("replaced", "8")
    assert closed == ["closed"]
    client.head("/")
    assert closed == ["closed", "closed"]


# -- setup after the first request -------------------------------------------------------


@pytest.mark.parametrize(
    "setup",
    [
        lambda app: app.add_url_rule("/late", "late", lambda: ""),
        lambda app: app.before_request(lambda: None),
        lambda app: app.after_request(lambda response: response),
        lambda app: app.teardown_request(lambda error: None),
        lambda app: app.teardown_appcontext(lambda error: None),
        lambda app: app.register_error_handler(404, lambda error: ""),
        lambda app: app.context_processor(dict),
        lambda app: app.url_defaults(lambda endpoint, values: None),
        lambda app: app.url_value_preprocessor(lambda endpoint, values: None),
        lambda app: app.add_template_filter(str.upper),
        lambda app: app.shell_context_processor(dict),
        lambda app: app.register_blueprint(erlen.Blueprint("late", __name__)),
    ],
)
def test_setup_after_the_first_request_is_refused(client, app, setup):
    from erlen.scaffold import SetupTooLate

    setup(app)  # before any request: fine
    client.get("/")
    with pytest.raises(AssertionError, match="after it handled its first request") as caught:
        setup(app)
    assert isinstance(caught.value, SetupTooLate)
    assert isinstance(caught.value, RuntimeError)


# -- handle_user_exception and handle_exception may be replaced ------------------


def _raising_view(app: Erlen, error: Exception, is_async: bool) -> None:
    if is_async:

        @app.route("/")
        async def index():
            raise error

    else:

        @app.route("/")
        def index():
            raise error


@pytest.mark.parametrize("is_async", [False, True], ids=["def", "async"])
def test_a_replaced_handle_user_exception_answers_errors(app, client, is_async):
    # An extension wraps the app's method on the instance (Flask-Cors does).
    original = app.handle_user_exception
    seen = []

    def handle_user_exception(e):
        seen.append(type(e).__name__)
        response = app.make_response(original(e))
        response.headers["X-Wrapped"] = "yes"
        return response

    app.handle_user_exception = handle_user_exception
    _raising_view(app, NotFound(), is_async)
    response = client.get("/")
    assert response.status_code == 404
    assert response.headers["X-Wrapped"] == "yes"
    assert seen == ["NotFound"]


@pytest.mark.parametrize("is_async", [False, True], ids=["def", "async"])
def test_a_replaced_handle_user_exception_may_return_a_view_value(is_async):
    class App(Erlen):
        def handle_user_exception(self, e):
            return {"error": str(e)}, 409

    app = App("replaced")
    _raising_view(app, ValueError("taken"), is_async)
    for test_client in (app.test_client(), app.test_client(asgi=True)):
        response = test_client.get("/")
        assert response.status_code == 409
        assert response.get_json() == {"error": "taken"}
        test_client.close()


@pytest.mark.parametrize("is_async", [False, True], ids=["def", "async"])
def test_a_replaced_handle_exception_answers_unhandled_errors(is_async):
    class App(Erlen):
        def handle_exception(self, e):
            return f"sorry: {e}", 503

    app = App("replaced")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _raising_view(app, ValueError("broken"), is_async)
    for test_client in (app.test_client(), app.test_client(asgi=True)):
        response = test_client.get("/")
        assert response.status_code == 503
        assert response.text == "sorry: broken"
        test_client.close()


def test_the_original_handle_exception_still_propagates_in_tests(app, client):
    original = app.handle_exception
    calls = []

    def handle_exception(e):
        calls.append(e)
        return original(e)

    app.handle_exception = handle_exception
    _raising_view(app, ValueError("raised to the test"), False)
    with pytest.raises(ValueError, match="raised to the test"):
        client.get("/")
    assert len(calls) == 1


# -- hook tables are defaultdicts, as in Flask -----------------------------------


def test_hooks_written_straight_into_the_tables_run(app, client):
    # Extensions add hooks this way (Flask's tables are defaultdict(list)).
    calls = []

    @app.before_request
    def decorated():
        calls.append("decorated")

    app.before_request_funcs[None].insert(0, lambda: calls.append("inserted first"))
    app.before_request_funcs["shop"].append(lambda: calls.append("shop only"))

    def add_header(response):
        response.headers["X-Added"] = "yes"
        return response

    app.after_request_funcs[None].append(add_header)
    app.teardown_request_funcs[None].append(lambda exc: calls.append("teardown"))
    app.template_context_processors[None].append(lambda: {"shop_name": "Corner"})

    @app.route("/")
    def index():
        return erlen.render_template_string("{{ shop_name }}")

    response = client.get("/")
    assert response.text == "Corner"
    assert response.headers["X-Added"] == "yes"
    assert calls == ["inserted first", "decorated", "teardown"]


def test_reading_a_missing_name_gives_an_empty_table(app, client):
    for table in (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
        app.template_context_processors,
        app.url_value_preprocessors,
        app.url_default_functions,
    ):
        assert table[None] == []
        assert table["a_blueprint"] == []
    assert app.error_handler_spec[None] == {}
    blueprint = erlen.Blueprint("a_blueprint", __name__)
    assert blueprint.before_request_funcs[None] == []

    @app.route("/")
    def index():
        return "still served"

    assert client.get("/").text == "still served"
    assert client.get("/missing").status_code == 404
