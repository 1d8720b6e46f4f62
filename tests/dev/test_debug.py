"""The debug pages: the 500 traceback page and the 404 route list."""

from __future__ import annotations

import html
import os
import sys
import textwrap

import pytest

import erlen
from erlen import Erlen, abort, current_app, render_template, request
from erlen.dev import debug as debug_module
from erlen.dev import tracebacks
from erlen.dev.debug import debug_page
from erlen.dev.notfound import not_found_page
from servers import ServerProcess, server_env

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SCRIPT = "<script>alert(1)</script>"


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr exploded")


def make_app(tmp_path, debug: bool = True) -> Erlen:
    """An app as a developer runs it: DEBUG on, TESTING off, errors not propagated."""
    app = Erlen("debug_app", root_path=str(tmp_path))
    app.debug = debug
    assert app.config["TESTING"] is False
    assert app.config["PROPAGATE_EXCEPTIONS"] is None

    @app.route("/fail")
    def fail():
        secret_token = "s3cr3t"  # noqa: F841 - shown by the page
        snippet = SCRIPT  # noqa: F841 - shown by the page
        count = 3
        raise ValueError(f"count is {count}, expected <b>4</b>")

    @app.route("/chain")
    def chain():
        try:
            {}["missing"]
        except KeyError as error:
            raise RuntimeError("lookup failed") from error

    @app.route("/context")
    def context():
        try:
            1 / 0  # noqa: B018
        except ZeroDivisionError:
            if request.args.get("hide"):
                raise LookupError("while handling") from None
            raise LookupError("while handling")  # noqa: B904 - the implicit context is the point

    @app.route("/bad-repr")
    def bad_repr():
        thing = BadRepr()  # noqa: F841 - shown by the page
        huge = "y" * 100_000  # noqa: F841 - shown by the page
        nested = {"level": [[[[["deep"]]]]]}  # noqa: F841 - shown by the page
        raise TypeError("no good")

    @app.route("/template")
    def template():
        return render_template("missing_page.html")

    @app.route("/recurse/<int:n>")
    def recurse(n):
        def down(depth):
            return down(depth + 1)

        return down(0)

    @app.route("/config")
    def config():
        settings = dict(current_app.config)  # noqa: F841 - shown by the page
        signing_with = current_app.config["SECRET_KEY"]  # noqa: F841 - shown by the page
        raise RuntimeError("look at settings")

    @app.route("/upload", methods=["POST"])
    def upload():
        raise RuntimeError("upload broke before reading the form")

    @app.route("/login", methods=["POST"])
    def login():
        request.form  # noqa: B018 - read the form, as a real view would
        raise RuntimeError("login broke")

    @app.route("/user/<int:id>")
    def user(id):
        if id == 0:
            abort(404)
        return f"user {id}"

    @app.route("/about")
    def about():
        return "about"

    @app.route("/")
    def index():
        return "index"

    return app


@pytest.fixture
def debug_app(tmp_path) -> Erlen:
    return make_app(tmp_path)


@pytest.fixture
def debug_client(debug_app):
    return debug_app.test_client()


# -- the 500 page, HTML -------------------------------------------------------


def test_html_page_shows_type_message_and_frame(debug_client):
    response = debug_client.get("/fail", headers=BROWSER)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    body = response.text
    assert body.startswith("<!doctype html>")
    assert "<h1>ValueError</h1>" in body
    assert "count is 3, expected &lt;b&gt;4&lt;/b&gt;" in body
    assert "<b>4</b>" not in body
    # the view's frame, its file, and the failing source line highlighted
    assert "<code>fail</code>" in body
    assert __file__ in body
    app_frame = body.split('<details class="frame app" open>', 1)[1]
    current = app_frame.split('<span class="line current">', 1)[1].split("</span>", 1)[0]
    assert html.escape('raise ValueError(f"count is {count}, expected <b>4</b>")') in current


def test_html_page_security_headers_and_meta(debug_client):
    response = debug_client.get("/fail", headers=BROWSER)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    body = response.text
    assert '<meta name="robots" content="noindex' in body
    assert "<script" not in body.lower()  # no script at all, let alone a console
    assert "erlen debug mode — never enable it in production" in body


def test_locals_are_escaped_and_secrets_masked(debug_client):
    body = debug_client.get("/fail", headers=BROWSER).text
    assert SCRIPT not in body
    assert html.escape(repr(SCRIPT)) in body
    assert "<th>snippet</th>" in body
    assert "<th>count</th><td><code>3</code>" in body
    assert "<th>secret_token</th>" in body
    assert "s3cr3t" not in body  # neither the local's value nor the source line


def test_request_headers_and_cookies_masked(debug_client):
    headers = {
        **BROWSER,
        "Cookie": "session=abc123; theme=dark",
        "Authorization": "Bearer tk-9f8e7d",
    }
    body = debug_client.get("/fail?page=2&api_token=qwerty99", headers=headers).text
    assert "abc123" not in body
    assert "tk-9f8e7d" not in body
    assert "qwerty99" not in body
    assert "session=***; theme=***" in body
    assert "Bearer ***" in body
    assert "<th>page</th><td><code>&#x27;2&#x27;</code>" in body  # query args shown
    assert "<th>api_token</th>" in body
    assert "<th>Method</th><td><code>GET</code>" in body
    assert "http://localhost/fail?page=2" in body


def test_basic_authorization_password_hidden(debug_client):
    import base64

    credentials = base64.b64encode(b"ada:hunter2-long").decode()
    headers = {"Authorization": f"Basic {credentials}"}
    body = debug_client.get("/fail", headers=headers).text
    assert credentials not in body
    assert "hunter2-long" not in body
    assert "Authorization: Basic ***" in body


def test_form_fields_masked(debug_client):
    body = debug_client.post(
        "/login", data={"user": "ada", "password": "pa55word!"}, headers=BROWSER
    ).text
    assert "pa55word!" not in body
    assert "<th>user</th><td><code>&#x27;ada&#x27;</code>" in body
    assert '<th>password</th><td><code class="masked">***</code>' in body


def test_unread_form_is_not_parsed(debug_client):
    body = debug_client.post("/upload", data={"comment": "first-post"}).text
    assert "RuntimeError: upload broke" in body
    assert "Form fields:\n  (not read): the app did not read a form" in body
    assert "first-post" not in body


def test_app_frames_open_library_frames_folded(debug_client):
    body = debug_client.get("/fail", headers=BROWSER).text
    assert '<details class="frame app" open>' in body
    assert '<details class="frame library">' in body
    assert '<details class="frame library" open>' not in body
    # erlen's own request cycle is library code
    library = body.split('<details class="frame library">', 1)[1].split("</details>", 1)[0]
    assert "erlen" in library and f"<code>{os.path.dirname(erlen.__file__)}{os.sep}" in library
    app_frame = body.split('<details class="frame app" open>', 1)[1].split("</details>", 1)[0]
    assert "<code>fail</code>" in app_frame
    assert "your code" in app_frame


def test_secret_settings_hidden_everywhere(debug_app):
    debug_app.config["SECRET_KEY"] = "very-secret-signing-key"
    body = debug_app.test_client().get("/config", headers=BROWSER).text
    assert "very-secret-signing-key" not in body
    assert "<th>settings</th><td><code>{&#x27;APPLICATION_ROOT&#x27;" in body
    assert "<th>signing_with</th><td><code>&#x27;***&#x27;</code>" in body


# -- the 500 page, plain text -------------------------------------------------


@pytest.mark.parametrize("accept", ["*/*", None, "application/json"])
def test_text_page_for_non_browsers(debug_client, accept):
    headers = {"Accept": accept} if accept else {}
    headers["Cookie"] = "session=abc123"
    response = debug_client.get("/fail", headers=headers)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    body = response.text
    assert body.startswith("500 Internal Server Error — ValueError: count is 3")
    assert "Traceback (most recent call last):" in body
    assert f'File "{__file__}"' in body
    assert "in fail\n" in body
    assert "ValueError: count is 3, expected <b>4</b>" in body
    assert "Request:\n  Method: GET\n  URL: http://localhost/fail" in body
    assert "Cookie: session=***" in body
    assert "Local variables of fail" in body
    assert "  secret_token = ***" in body
    assert "  count = 3" in body
    assert "s3cr3t" not in body and "abc123" not in body
    assert body.rstrip().splitlines()[-1].startswith("Debug mode is on")


# -- robustness and hints -----------------------------------------------------


def test_chained_exceptions_shown(debug_client):
    body = debug_client.get("/chain", headers=BROWSER).text
    assert "KeyError: &#x27;missing&#x27;" in body
    assert "RuntimeError: lookup failed" in body
    assert "direct cause of the following exception" in body
    assert body.index("KeyError") < body.index("direct cause") < body.rindex("RuntimeError")
    text = debug_client.get("/chain").text
    assert text.count("Traceback (most recent call last):") == 2
    assert "KeyError: 'missing'" in text
    context = debug_client.get("/context").text
    assert "During handling of the above exception" in context
    assert "ZeroDivisionError" in context
    hidden = debug_client.get("/context?hide=1").text  # raise ... from None
    assert "ZeroDivisionError" not in hidden


def test_failing_repr_and_huge_locals(debug_client):
    response = debug_client.get("/bad-repr", headers=BROWSER)
    assert response.status_code == 500
    body = response.text
    assert "&lt;repr failed: RuntimeError: repr exploded&gt;" in body
    assert "y" * 400 not in body
    assert "…" in body or "..." in body
    assert len(body) < 50_000
    assert "TypeError" in body


def test_recursion_is_cut_short(debug_client):
    response = debug_client.get("/recurse/1", headers=BROWSER)
    assert response.status_code == 500
    body = response.text
    assert "RecursionError" in body
    assert "earlier frames not shown" in body
    assert body.count('<details class="frame') <= tracebacks.MAX_FRAMES
    assert "kept calling itself" in body


def test_template_not_found_message_in_full(debug_client, tmp_path):
    response = debug_client.get("/template")
    assert response.status_code == 500
    body = response.text
    assert "TemplateNotFound: Template 'missing_page.html' not found." in body
    assert "erlen looked in these folders" in body
    assert str(tmp_path / "templates") in body
    page = debug_client.get("/template", headers=BROWSER).text
    assert "erlen looked in these folders" in page
    assert "missing_page.html" in page


def test_hint_for_a_missing_module(debug_app):
    @debug_app.route("/import")
    def import_missing():
        import erlen_no_such_module_xyz  # noqa: F401

    text = debug_app.test_client().get("/import").text
    assert "ModuleNotFoundError: No module named 'erlen_no_such_module_xyz'" in text
    assert "Install the package that provides erlen_no_such_module_xyz" in text


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is new in 3.11")
def test_exception_group_lists_its_members(debug_app):
    @debug_app.route("/group")
    def group():
        raise ExceptionGroup("several", [ValueError("first"), KeyError("second")])  # noqa: F821

    text = debug_app.test_client().get("/group").text
    assert "ExceptionGroup: several (2 sub-exceptions)" in text
    assert "  ValueError: first\n  KeyError: 'second'" in text


def test_library_frames_are_told_apart():
    import os

    import jinja2

    assert tracebacks._is_library(os.__file__)
    assert tracebacks._is_library(jinja2.__file__)
    assert tracebacks._is_library(debug_module.__file__)
    assert tracebacks._is_library("<frozen runpy>")
    assert not tracebacks._is_library(__file__)
    assert not tracebacks._is_library("<template>")


def test_page_never_raises(debug_client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the debug page itself broke")

    monkeypatch.setattr(debug_module, "_Report", broken)
    response = debug_client.get("/fail", headers=BROWSER)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "ValueError: count is 3" in response.text
    assert "never enable it in production" in response.text


def test_page_without_a_request(debug_app):
    try:
        raise KeyError("no request")
    except KeyError as error:
        response = debug_page(debug_app, None, error)
    assert response.status_code == 500
    assert "KeyError: 'no request'" in response.get_data(as_text=True)


def test_exception_without_traceback(debug_app):
    response = debug_page(debug_app, None, ValueError("never raised"))
    assert "ValueError: never raised" in response.get_data(as_text=True)


def test_non_debug_app_hides_everything(tmp_path):
    client = make_app(tmp_path, debug=False).test_client()
    for headers in (BROWSER, {}):
        response = client.get("/fail", headers=headers)
        assert response.status_code == 500
        body = response.text
        assert "Traceback" not in body
        assert "count is 3" not in body
        assert "debug mode" not in body


# -- the 404 page -------------------------------------------------------------


def test_not_found_lists_routes_and_closest(debug_client):
    response = debug_client.get("/usr/1", headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
    body = response.text
    assert "No route matches GET /usr/1" in body
    assert "Did you mean" in body
    closest = body.split("Did you mean", 1)[1].split("</table>", 1)[0]
    assert "/user/&lt;int:id&gt;" in closest
    assert "<code>/user/1</code>" in closest
    for rule in ("/about", "/login", "/chain", "/static/&lt;path:filename&gt;"):
        assert f"<code>{rule}</code>" in body
    assert "<script" not in body.lower()


def test_not_found_text_and_slash_hints(debug_client):
    text = debug_client.get("/usr/1").text
    assert text.startswith("404 Not Found — No route matches GET /usr/1")
    assert "Did you mean:\n  /user/<int:id>  GET  -> user  (as in /user/1)" in text
    assert "/about" in text and "/recurse/<int:n>" in text
    assert text.rstrip().splitlines()[-1].startswith("Debug mode is on")
    slash = debug_client.get("/about/").text
    assert "The route /about has no trailing slash: try /about." in slash
    method = debug_client.post("/about/").text
    assert "try /about (with GET, not POST)." in method


def test_not_found_shape_matches_but_converter_refuses(debug_client):
    text = debug_client.get("/user/ada").text
    assert "has the shape of /user/<int:id>" in text


def test_not_found_from_the_view(debug_client):
    text = debug_client.get("/user/0").text
    assert "The route /user/<int:id> matched, but answered 404" in text
    assert "abort(404)" in text


def test_not_found_escapes_the_path(debug_client):
    response = debug_client.get(f"/{SCRIPT}", headers=BROWSER)
    assert response.status_code == 404
    body = response.text
    assert "<script" not in body.lower()
    assert html.escape(f"/{SCRIPT}") in body
    text = debug_client.get(f"/{SCRIPT}")
    assert text.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert text.headers["X-Content-Type-Options"] == "nosniff"


def test_error_page_escapes_the_path_and_query(debug_client):
    body = debug_client.get(f"/fail?q={SCRIPT}", headers=BROWSER).text
    assert "<script" not in body.lower()


def test_not_found_without_routes():
    app = Erlen("empty", static_folder=None)
    app.debug = True
    text = app.test_client().get("/").text
    assert "Routes (0)" in text
    assert "add one with @app.route" in text


def test_not_found_page_without_a_request(debug_app):
    from erlen.http.exceptions import NotFound

    response = not_found_page(debug_app, None, NotFound())
    assert response.status_code == 404
    assert "/about" in response.get_data(as_text=True)


def test_not_found_non_debug_lists_nothing(tmp_path):
    client = make_app(tmp_path, debug=False).test_client()
    for headers in (BROWSER, {}):
        response = client.get("/usr/1", headers=headers)
        assert response.status_code == 404
        assert "/user/" not in response.text
        assert "about" not in response.text
        assert "Did you mean" not in response.text


def test_custom_404_handler_wins_in_debug(debug_app):
    @debug_app.errorhandler(404)
    def missing(error):
        return "custom missing", 404

    response = debug_app.test_client().get("/usr/1")
    assert response.text == "custom missing"


# -- over HTTP, from a real process -------------------------------------------

APP_SOURCE = textwrap.dedent(
    """
    import sys

    from erlen import Erlen

    app = Erlen(__name__)


    @app.route("/")
    def index():
        return "up"


    @app.route("/boom")
    def boom():
        secret_token = "s3cr3t"
        raise ValueError("kaboom over http")


    if __name__ == "__main__":
        app.run(debug=True, port=int(sys.argv[1]), use_reloader=False)
    """
)


@pytest.mark.server
def test_debug_page_over_http(tmp_path):
    (tmp_path / "app.py").write_text(APP_SOURCE)
    server = ServerProcess(
        lambda port: [sys.executable, "app.py", str(port)],
        cwd=tmp_path,
        env=server_env(tmp_path),
        log_path=tmp_path / "server.log",
    )
    server.start()
    try:
        for accept, content_type, marker in (
            ("text/html", "text/html; charset=utf-8", "<h1>ValueError</h1>"),
            ("*/*", "text/plain; charset=utf-8", "Traceback (most recent call last):"),
        ):
            connection = server.connection()
            try:
                connection.request("GET", "/boom", headers={"Accept": accept})
                response = connection.getresponse()
                body = response.read().decode()
            finally:
                connection.close()
            assert response.status == 500, server.log()
            assert response.getheader("Content-Type") == content_type
            assert response.getheader("Cache-Control") == "no-store"
            assert marker in body
            assert "kaboom over http" in body
            assert "s3cr3t" not in body
    finally:
        server.stop()
    assert "kaboom over http" in server.log()  # logged once by the app
