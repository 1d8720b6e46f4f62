"""Templates: the environment, the loader, rendering, streaming, errors."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from markupsafe import Markup

from erlen import Blueprint, Erlen, flash, g, request, url_for
from erlen.templating import (
    TemplateNotFound,
    render_template,
    render_template_string,
    stream_template,
    stream_template_string,
)


def write(root, name: str, text: str) -> str:
    path = os.path.join(str(root), *name.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
    return path


@pytest.fixture
def app(tmp_path) -> Erlen:
    """An app rooted in tmp_path (conftest's ``client`` uses this one)."""
    app = Erlen("x", root_path=str(tmp_path))
    app.config["TESTING"] = True
    return app


# -- rendering ---------------------------------------------------------------


def test_render_with_context(app, client, tmp_path):
    write(tmp_path, "templates/hello.html", "Hello {{ name }}, {{ items|join(',') }}!")

    @app.route("/")
    def index():
        return render_template("hello.html", name="Ada", items=[1, 2])

    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "Hello Ada, 1,2!"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


def test_request_g_config_and_session_in_templates(app, client, tmp_path):
    app.config["GREETING"] = "hi"
    write(
        tmp_path,
        "templates/ctx.html",
        "{{ request.path }}|{{ request.args.q }}|{{ g.user }}|{{ config.GREETING }}|"
        "{{ session is defined }}",
    )

    @app.route("/page")
    def page():
        g.user = "ada"
        return render_template("ctx.html")

    assert client.get("/page?q=7").text == "/page|7|ada|hi|True"


def test_url_for_and_get_flashed_messages_are_globals(app, client):
    @app.route("/user/<int:uid>")
    def user(uid):
        return render_template_string(
            "{{ url_for('user', uid=3) }} {{ get_flashed_messages is defined }}"
        )

    assert client.get("/user/1").text == "/user/3 True"
    environment = app.jinja_env
    assert environment.globals["url_for"] is url_for


def test_flashed_messages_render(app, client):
    app.secret_key = "test secret"

    @app.route("/")
    def index():
        flash("saved", "info")
        return render_template_string(
            "{% for c, m in get_flashed_messages(with_categories=true) %}{{ c }}:{{ m }}"
            "{% endfor %}"
        )

    assert client.get("/").text == "info:saved"


def test_caller_values_win_over_context_processors(app, client):
    @app.context_processor
    def extra():
        return {"who": "processor", "site": "erlen"}

    @app.route("/")
    def index():
        return render_template_string("{{ who }} {{ site }}", who="caller")

    assert client.get("/").text == "caller erlen"


def test_context_processor_sees_the_request(app, client):
    @app.context_processor
    def current_path():
        return {"path": request.path}

    @app.route("/where")
    def where():
        return render_template_string("at {{ path }}")

    assert client.get("/where").text == "at /where"


@pytest.mark.parametrize("extension", ["html", "htm", "xml", "svg", "HTML", "html.j2"])
def test_autoescape_on_for_markup_files(app, tmp_path, extension):
    write(tmp_path, f"templates/page.{extension}", "{{ value }}")
    with app.app_context():
        assert render_template(f"page.{extension}", value="<b>&") == "&lt;b&gt;&amp;"


@pytest.mark.parametrize("extension", ["txt", "md", "j2"])
def test_autoescape_off_for_other_files(app, tmp_path, extension):
    write(tmp_path, f"templates/page.{extension}", "{{ value }}")
    with app.app_context():
        assert render_template(f"page.{extension}", value="<b>") == "<b>"


def test_safe_and_markup_are_not_escaped(app, tmp_path):
    write(tmp_path, "templates/page.html", "{{ raw|safe }} {{ markup }} {{ plain }}")
    with app.app_context():
        text = render_template(
            "page.html", raw="<i>a</i>", markup=Markup("<b>b</b>"), plain="<u>c</u>"
        )
    assert text == "<i>a</i> <b>b</b> &lt;u&gt;c&lt;/u&gt;"


def test_render_template_string_escapes(app):
    with app.app_context():
        assert render_template_string("{{ v }}", v="<script>") == "&lt;script&gt;"
        assert render_template_string("{{ v|safe }}", v="<p>") == "<p>"


def test_tojson_uses_the_apps_json_provider(app):
    import datetime

    with app.app_context():
        text = render_template_string("{{ v|tojson }}", v={"d": datetime.date(2024, 1, 2)})
        assert text == '{"d": "Tue, 02 Jan 2024 00:00:00 GMT"}'
        app.json.ensure_ascii = False
        assert render_template_string("{{ v|tojson }}", v={"b": "é", "a": "<"}) == (
            '{"a": "\\u003c", "b": "é"}'
        )


def test_list_of_names_first_existing_wins(app, tmp_path):
    write(tmp_path, "templates/second.html", "second")
    write(tmp_path, "templates/third.html", "third")
    with app.app_context():
        assert render_template(["first.html", "second.html", "third.html"]) == "second"
        assert render_template(("third.html",)) == "third"


def test_template_object_is_accepted(app, tmp_path):
    write(tmp_path, "templates/a.html", "A{{ x }}")
    with app.app_context():
        template = app.jinja_env.get_template("a.html")
        assert render_template(template, x=1) == "A1"
        assert render_template(["missing.html", template], x=2) == "A2"


def test_inheritance_and_include(app, tmp_path):
    write(
        tmp_path,
        "templates/base.html",
        "<title>{% block title %}{% endblock %}</title>{% block body %}{% endblock %}",
    )
    write(tmp_path, "templates/parts/nav.html", "<nav>{{ who }}</nav>")
    write(
        tmp_path,
        "templates/page.html",
        "{% extends 'base.html' %}{% block title %}T{% endblock %}"
        "{% block body %}{% include 'parts/nav.html' %}{% endblock %}",
    )
    with app.app_context():
        assert render_template("page.html", who="<me>") == ("<title>T</title><nav>&lt;me&gt;</nav>")


def test_jinja_options_are_applied(app, tmp_path):
    app.jinja_options = {"trim_blocks": True, "extensions": ["jinja2.ext.do"]}
    with app.app_context():
        text = render_template_string(
            "{% set l = [] %}{% do l.append(1) %}{% if 1 %}\nX{% endif %}{{ l }}"
        )
    assert text == "X[1]"


def test_list_templates(app, tmp_path):
    write(tmp_path, "templates/a.html", "")
    write(tmp_path, "templates/sub/b.html", "")
    assert app.jinja_env.list_templates() == ["a.html", "sub/b.html"]


def test_no_template_folder(tmp_path):
    app = Erlen("x", root_path=str(tmp_path), template_folder=None)
    with app.app_context():
        assert render_template_string("ok") == "ok"
        with pytest.raises(TemplateNotFound) as info:
            render_template("index.html")
    assert "template_folder=None" in str(info.value)


def test_custom_template_folder(tmp_path):
    write(tmp_path, "views/page.html", "custom")
    app = Erlen("x", root_path=str(tmp_path), template_folder="views")
    with app.app_context():
        assert render_template("page.html") == "custom"


# -- filters, globals, tests -------------------------------------------------


def test_template_extras_registered_before_the_environment(app):
    @app.template_filter()
    def reverse(value):
        return value[::-1]

    @app.template_filter("shout")
    def loud(value):
        return value.upper() + "!"

    @app.template_global()
    def answer():
        return 42

    @app.template_test()
    def even(value):
        return value % 2 == 0

    app.add_template_filter(lambda v: v * 2, "twice")
    app.add_template_global(lambda: "pi", "pie")
    app.add_template_test(lambda v: v > 10, "big")
    with app.app_context():
        text = render_template_string(
            "{{ 'abc'|reverse }} {{ 'hi'|shout }} {{ answer() }} {{ 4 is even }} "
            "{{ 'x'|twice }} {{ pie() }} {{ 11 is big }}"
        )
    assert text == "cba HI! 42 True xx pi True"


def test_template_extras_registered_after_the_environment(app):
    with app.app_context():
        assert render_template_string("ok") == "ok"

    @app.template_filter()
    def reverse(value):
        return value[::-1]

    @app.template_global("g2")
    def second():
        return "two"

    @app.template_test()
    def odd(value):
        return value % 2 == 1

    app.add_template_filter(str.upper, "up")
    app.add_template_global(lambda: 3, "three")
    app.add_template_test(lambda v: v == "", "blank")
    with app.app_context():
        text = render_template_string(
            "{{ 'ab'|reverse }} {{ g2() }} {{ 3 is odd }} {{ 'a'|up }} {{ three() }} "
            "{{ '' is blank }}"
        )
    assert text == "ba two True A 3 True"


# -- streaming ---------------------------------------------------------------


def test_stream_template_as_a_streamed_response(app, client, tmp_path):
    write(
        tmp_path,
        "templates/big.html",
        "{% for item in items %}<li>{{ item }} {{ request.path }}</li>{% endfor %}",
    )

    @app.route("/big")
    def big():
        return stream_template("big.html", items=["a", "<b>"])

    response = client.get("/big")
    assert response.status_code == 200
    assert response.text == "<li>a /big</li><li>&lt;b&gt; /big</li>"
    assert "Content-Length" not in response.headers


def test_stream_template_string(app, client):
    @app.route("/s")
    def streamed():
        g.name = "ada"
        return stream_template_string("{% for i in range(3) %}{{ i }}{{ g.name }}{% endfor %}")

    response = client.get("/s")
    assert response.text == "0ada1ada2ada"
    assert "Content-Length" not in response.headers


def test_stream_template_yields_pieces_and_keeps_its_context(app, tmp_path):
    write(tmp_path, "templates/s.txt", "{% for i in n %}{{ url_for('x') }}{% endfor %}")
    app.add_url_rule("/x", "x", lambda: "")
    with app.test_request_context("/"):
        chunks = stream_template("s.txt", n=range(2))
        assert not isinstance(chunks, str)
    # Iterated after the context ended: each step runs in the one it was made in.
    assert "".join(chunks) == "/x/x"


def test_stream_template_missing_raises_at_the_call(app):
    with app.app_context(), pytest.raises(TemplateNotFound):
        stream_template("nope.html")


# -- blueprints --------------------------------------------------------------


def test_blueprint_templates(app, client, tmp_path):
    write(tmp_path, "templates/base.html", "[app base {% block body %}{% endblock %}]")
    write(tmp_path, "templates/shared.html", "app shared")
    write(
        tmp_path,
        "admin/templates/admin/page.html",
        "{% extends 'base.html' %}{% block body %}{% include 'admin/part.html' %}{% endblock %}",
    )
    write(tmp_path, "admin/templates/admin/part.html", "admin part")
    write(tmp_path, "admin/templates/shared.html", "admin shared")
    write(tmp_path, "admin/templates/only_admin.html", "only admin {% include 'shared.html' %}")
    blueprint = Blueprint(
        "admin", __name__, template_folder="templates", root_path=str(tmp_path / "admin")
    )

    @blueprint.route("/page")
    def page():
        return render_template("admin/page.html")

    app.register_blueprint(blueprint, url_prefix="/admin")
    assert client.get("/admin/page").text == "[app base admin part]"
    with app.app_context():
        # The app's folder comes first: it overrides the blueprint's file.
        assert render_template("shared.html") == "app shared"
        assert render_template("only_admin.html") == "only admin app shared"
        assert "admin/part.html" in app.jinja_env.list_templates()
        with pytest.raises(TemplateNotFound) as info:
            render_template("nothing.html")
    message = str(info.value)
    assert str(tmp_path / "templates") in message
    assert str(tmp_path / "admin" / "templates") in message
    assert message.index(str(tmp_path / "templates")) < message.index(
        str(tmp_path / "admin" / "templates")
    )


def test_blueprint_registered_after_first_render(app, tmp_path):
    write(tmp_path, "templates/a.html", "a")
    write(tmp_path, "bp/tpl/b.html", "b")
    with app.app_context():
        assert render_template("a.html") == "a"
    app.register_blueprint(
        Blueprint("bp", __name__, template_folder="tpl", root_path=str(tmp_path / "bp"))
    )
    with app.app_context():
        assert render_template("b.html") == "b"


def test_nested_blueprint_templates_and_context_processor(app, client, tmp_path):
    write(tmp_path, "inner/templates/inner.html", "{{ where }} {{ app_wide }}")
    outer = Blueprint("outer", __name__, root_path=str(tmp_path / "outer"))
    inner = Blueprint(
        "inner", __name__, template_folder="templates", root_path=str(tmp_path / "inner")
    )

    @inner.context_processor
    def inner_values():
        return {"where": "inner"}

    @app.context_processor
    def app_values():
        return {"where": "app", "app_wide": "yes"}

    @inner.route("/")
    def page():
        return render_template("inner.html")

    outer.register_blueprint(inner, url_prefix="/inner")
    app.register_blueprint(outer, url_prefix="/outer")
    assert client.get("/outer/inner/").text == "inner yes"


# -- auto-reload -------------------------------------------------------------


def _rewrite(path: str, text: str, bump: int) -> None:
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
    stat = os.stat(path)
    os.utime(path, (stat.st_atime + bump, stat.st_mtime + bump))


def test_debug_reloads_edited_templates(app, client, tmp_path):
    app.debug = True
    path = write(tmp_path, "templates/page.html", "old")

    @app.route("/")
    def index():
        return render_template("page.html")

    assert client.get("/").text == "old"
    _rewrite(path, "new", bump=10)
    assert client.get("/").text == "new"


def test_debug_turned_on_after_first_render_reloads(app, client, tmp_path):
    path = write(tmp_path, "templates/page.html", "old")

    @app.route("/")
    def index():
        return render_template("page.html")

    assert client.get("/").text == "old"
    app.debug = True
    _rewrite(path, "new", bump=10)
    assert client.get("/").text == "new"


def test_no_reload_without_debug(app, client, tmp_path):
    app.config["TEMPLATES_AUTO_RELOAD"] = False
    path = write(tmp_path, "templates/page.html", "old")

    @app.route("/")
    def index():
        return render_template("page.html")

    assert client.get("/").text == "old"
    _rewrite(path, "new", bump=10)
    assert client.get("/").text == "old"
    app.config["TEMPLATES_AUTO_RELOAD"] = True
    assert client.get("/").text == "new"


def test_auto_reload_setting(app):
    environment = app.jinja_env
    assert environment.auto_reload is False
    app.debug = True
    assert environment.auto_reload is True
    app.config["TEMPLATES_AUTO_RELOAD"] = False
    assert environment.auto_reload is False
    environment.auto_reload = True
    assert environment.auto_reload is True


def test_auto_reload_from_jinja_options(app):
    app.jinja_options = {"auto_reload": False}
    app.debug = True
    assert app.jinja_env.auto_reload is False


# -- contexts ----------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: render_template("a.html"),
        lambda: render_template_string("x"),
        lambda: stream_template("a.html"),
        lambda: stream_template_string("x"),
    ],
)
def test_outside_an_app_context(call):
    with pytest.raises(RuntimeError) as info:
        call()
    assert "with app.app_context():" in str(info.value)
    assert "view" in str(info.value)


def test_inside_an_app_context(app, tmp_path):
    write(tmp_path, "templates/a.txt", "{{ config.DEBUG }} {{ g.x }} {{ 'r' if request }}")
    with app.app_context():
        g.x = 1
        assert render_template("a.txt") == "False 1 "


# -- the missing template ----------------------------------------------------


def _missing_message(app, name="index.html") -> str:
    with app.app_context(), pytest.raises(TemplateNotFound) as info:
        render_template(name)
    assert isinstance(info.value, __import__("jinja2").TemplateNotFound)
    assert info.value.name == name
    return str(info.value)


def test_missing_names_the_template_and_folder(app, tmp_path):
    message = _missing_message(app)
    assert "'index.html'" in message
    assert str(tmp_path / "templates") in message
    assert "(missing)" in message
    assert f"put index.html in {tmp_path / 'templates'}{os.sep}" in message


def test_missing_existing_folder_is_not_marked_missing(app, tmp_path):
    write(tmp_path, "templates/other.html", "")
    message = _missing_message(app)
    assert "(missing)" not in message


def test_missing_wrong_case(app, tmp_path):
    write(tmp_path, "templates/Index.html", "")
    message = _missing_message(app)
    assert str(tmp_path / "templates" / "Index.html") in message
    assert "case" in message


@pytest.mark.parametrize("other", ["index.htm", "index.jinja", "index.html.j2", "index.j2"])
def test_missing_wrong_extension(app, tmp_path, other):
    write(tmp_path, f"templates/{other}", "")
    message = _missing_message(app)
    assert str(tmp_path / "templates" / other) in message
    assert "extension" in message


def test_missing_file_in_app_root(app, tmp_path):
    write(tmp_path, "index.html", "")
    message = _missing_message(app)
    assert f"{tmp_path / 'index.html'}: in the root folder of the app" in message
    assert f"Move it to {tmp_path / 'templates' / 'index.html'}" in message


def test_missing_singular_template_folder(app, tmp_path):
    write(tmp_path, "template/index.html", "")
    message = _missing_message(app)
    assert str(tmp_path / "template" / "index.html") in message
    assert "'template/'" in message
    assert "template_folder='template'" in message


def test_missing_file_in_static(app, tmp_path):
    write(tmp_path, "static/index.html", "")
    message = _missing_message(app)
    assert str(tmp_path / "static" / "index.html") in message
    assert "static folder" in message


def test_missing_file_in_another_folder(app, tmp_path):
    write(tmp_path, "pages/index.html", "")
    write(tmp_path, "views/templates/index.html", "")
    message = _missing_message(app)
    assert str(tmp_path / "pages" / "index.html") in message
    assert str(tmp_path / "views" / "templates" / "index.html") in message


def test_missing_file_in_templates_one_level_up(tmp_path):
    write(tmp_path, "templates/index.html", "")
    app = Erlen("x", root_path=str(tmp_path / "package"))
    message = _missing_message(app)
    assert str(tmp_path / "templates" / "index.html") in message


def test_missing_close_name_and_other_subfolder(app, tmp_path):
    write(tmp_path, "templates/indx.html", "")
    write(tmp_path, "templates/pages/index.html", "")
    message = _missing_message(app)
    assert "did you mean 'indx.html'" in message
    assert "ask for 'pages/index.html'" in message


def test_missing_name_with_templates_prefix(app, tmp_path):
    write(tmp_path, "templates/index.html", "")
    message = _missing_message(app, "templates/index.html")
    assert "ask for 'index.html'" in message


def test_missing_unrelated_files_are_not_near_misses(app, tmp_path):
    write(tmp_path, "templates/about.html", "")
    write(tmp_path, "static/index.js", "")
    write(tmp_path, "index.py", "")
    message = _missing_message(app)
    assert "Near misses" not in message


def test_missing_in_a_list(app, tmp_path):
    write(tmp_path, "templates/b.htm", "")
    with app.app_context(), pytest.raises(TemplateNotFound) as info:
        render_template(["a.html", "b.html"])
    message = str(info.value)
    assert "'a.html', 'b.html'" in message
    assert str(tmp_path / "templates" / "b.htm") in message
    assert info.value.templates == ["a.html", "b.html"]


def test_missing_include_explains_too(app, tmp_path):
    write(tmp_path, "templates/page.html", "{% include 'parts/nav.html' %}")
    write(tmp_path, "templates/parts/Nav.html", "")
    with app.app_context(), pytest.raises(TemplateNotFound) as info:
        render_template("page.html")
    assert str(tmp_path / "templates" / "parts" / "Nav.html") in str(info.value)


def test_include_ignore_missing_still_works(app, tmp_path):
    with app.app_context():
        assert render_template_string("a{% include 'no.html' ignore missing %}b") == "ab"


def test_missing_template_in_a_view_is_a_500_without_details(app, client, tmp_path, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    write(tmp_path, "index.html", "")

    @app.route("/")
    def index():
        return render_template("index.html")

    with caplog.at_level(logging.ERROR):
        response = client.get("/")
    assert response.status_code == 500
    assert "index.html" not in response.text
    assert str(tmp_path) not in response.text
    assert "templates" not in response.text
    # The log, for the developer, carries the whole explanation.
    assert str(tmp_path / "index.html") in caplog.text


def test_missing_template_propagates_in_tests(app, client):
    @app.route("/")
    def index():
        return render_template("index.html")

    with pytest.raises(TemplateNotFound):
        client.get("/")


def test_explain_template_loading_logs(app, tmp_path, caplog):
    app.debug = True
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    write(tmp_path, "templates/a.html", "a")
    with caplog.at_level(logging.INFO, logger=app.logger.name), app.app_context():
        render_template("a.html")
        with pytest.raises(TemplateNotFound):
            render_template("b.html")
    assert "Loading template 'a.html'" in caplog.text
    assert "found" in caplog.text
    assert "Loading template 'b.html'" in caplog.text


def test_no_explanation_logged_by_default(app, tmp_path, caplog):
    app.debug = True
    write(tmp_path, "templates/a.html", "a")
    with caplog.at_level(logging.INFO), app.app_context():
        render_template("a.html")
    assert "Loading template" not in caplog.text


# -- lazy import -------------------------------------------------------------


def test_jinja2_is_imported_on_first_render(tmp_path):
    code = (
        "import sys, erlen\n"
        "assert 'jinja2' not in sys.modules, 'import erlen imported jinja2'\n"
        f"app = erlen.Erlen('x', root_path={str(tmp_path)!r})\n"
        "assert 'jinja2' not in sys.modules, 'Erlen() imported jinja2'\n"
        "with app.app_context():\n"
        "    print(erlen.render_template_string('{{ 1 + 1 }}'))\n"
        "assert 'jinja2' in sys.modules\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert output.returncode == 0, output.stderr
    assert output.stdout.strip() == "2"
