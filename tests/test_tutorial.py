"""The tutorial app (examples/tutorial), and a Flask app ported by its import line."""

from __future__ import annotations

import importlib.util
import re
import sys
import textwrap
import uuid
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest

TUTORIAL = Path(__file__).resolve().parents[1] / "examples" / "tutorial" / "app.py"


def load_module(path: Path) -> ModuleType:
    """Import the file at ``path`` under a fresh name, as ``import app`` would."""
    name = f"_tutorial_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # In sys.modules while it runs, so Erlen(__name__) finds its folder.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


@pytest.fixture
def tutorial_client():
    app = load_module(TUTORIAL).app
    app.config["TESTING"] = True
    return app.test_client()


def test_home_page_has_title_message_and_link(tutorial_client):
    response = tutorial_client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "<title>erlen tutorial</title>" in response.text
    assert "<h1>Hello from erlen!</h1>" in response.text
    assert 'href="/submit"' in response.text


def test_form_page_posts_to_itself(tutorial_client):
    response = tutorial_client.get("/submit")
    assert response.status_code == 200
    assert '<form method="post" action="/submit">' in response.text
    assert 'name="note"' in response.text


@pytest.mark.parametrize("data", [{}, {"note": ""}, {"note": "   "}])
def test_empty_submission_redirects_home(tutorial_client, data):
    response = tutorial_client.post("/submit", data=data)
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/"

    followed = tutorial_client.post("/submit", data=data, follow_redirects=True)
    assert followed.status_code == 200
    assert followed.request.method == "GET"
    assert "Hello from erlen!" in followed.text


def test_submitted_value_is_shown(tutorial_client):
    response = tutorial_client.post("/submit", data={"note": "Grüße from erlen"})
    assert response.status_code == 200
    assert '<blockquote id="note">Grüße from erlen</blockquote>' in response.text


def test_submitted_markup_is_escaped(tutorial_client):
    response = tutorial_client.post("/submit", data={"note": "<script>alert(1)</script>"})
    assert response.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script>" not in response.text


def test_stylesheet_is_served_as_css(tutorial_client):
    page = tutorial_client.get("/").text
    match = re.search(r'<link rel="stylesheet" href="([^"]+)">', page)
    assert match is not None, page
    href = match.group(1)
    assert href == "/static/style.css"

    response = tutorial_client.get(href)
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert response.data == (TUTORIAL.parent / "static" / "style.css").read_bytes()
    response.close()


def test_icon_is_served_as_svg(tutorial_client):
    page = tutorial_client.get("/").text
    assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in page
    response = tutorial_client.get("/static/favicon.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    response.close()


def test_unknown_path_is_404(tutorial_client):
    assert tutorial_client.get("/no/such/page").status_code == 404
    assert tutorial_client.get("/static/missing.css").status_code == 404


def test_static_files_stay_in_their_folder(tutorial_client):
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py"):
        response = tutorial_client.get(path)
        assert response.status_code == 404, path
        assert b"render_template" not in response.data


def test_submit_refuses_other_methods(tutorial_client):
    response = tutorial_client.put("/submit")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


# -- a Flask app, ported by changing its import line -----------------------------

FLASK_APP = textwrap.dedent(
    """\
    from flask import Flask, render_template, request, redirect, url_for

    app = Flask(__name__)


    @app.route('/')
    def home():
        return render_template('index.html', title='Ported', message='Same app, new import')


    @app.route('/submit', methods=['GET', 'POST'])
    def submit_data():
        if request.method == 'POST':
            user_input = request.form.get('user_input')
            if user_input:
                return render_template('submitted.html', data=user_input)
            else:
                return redirect(url_for('home'))
        return render_template('submit_form.html')


    if __name__ == '__main__':
        app.run(debug=True, port=5000)
    """
)

FLASK_TEMPLATES = {
    "index.html": """\
        <!DOCTYPE html>
        <html><head><title>{{ title }}</title>
        <link rel="stylesheet" href="{{ url_for('static', filename='style.css') }}"></head>
        <body><h1>{{ message }}</h1>
        <a href="{{ url_for('submit_data') }}">Submit something</a></body></html>
        """,
    "submit_form.html": """\
        <!DOCTYPE html>
        <html><head><title>Submit</title>
        <link rel="stylesheet" href="{{ url_for('static', filename='style.css') }}"></head>
        <body><form method="POST" action="{{ url_for('submit_data') }}">
        <input type="text" name="user_input"><input type="submit"></form>
        <a href="{{ url_for('home') }}">Home</a></body></html>
        """,
    "submitted.html": """\
        <!DOCTYPE html>
        <html><head><title>Submitted</title></head>
        <body><p>You sent: <strong>{{ data }}</strong></p></body></html>
        """,
}


@pytest.fixture
def ported_client(tmp_path):
    source = FLASK_APP.replace("from flask import Flask,", "from erlen import Erlen as Flask,", 1)
    assert [
        (flask_line, erlen_line)
        for flask_line, erlen_line in zip(FLASK_APP.splitlines(), source.splitlines(), strict=True)
        if flask_line != erlen_line
    ] == [
        (
            "from flask import Flask, render_template, request, redirect, url_for",
            "from erlen import Erlen as Flask, render_template, request, redirect, url_for",
        )
    ]
    (tmp_path / "app.py").write_text(source)
    (tmp_path / "templates").mkdir()
    for name, text in FLASK_TEMPLATES.items():
        (tmp_path / "templates" / name).write_text(textwrap.dedent(text))
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "style.css").write_text("body { color: teal; }\n")
    return load_module(tmp_path / "app.py").app.test_client()


def test_ported_flask_app_runs_unchanged(ported_client):
    home = ported_client.get("/")
    assert home.status_code == 200
    assert "<title>Ported</title>" in home.text
    assert "<h1>Same app, new import</h1>" in home.text
    assert 'href="/submit"' in home.text
    assert 'href="/static/style.css"' in home.text

    form = ported_client.get("/submit")
    assert form.status_code == 200
    assert '<form method="POST" action="/submit">' in form.text

    sent = ported_client.post("/submit", data={"user_input": "<b>hi</b>"})
    assert sent.status_code == 200
    assert "You sent: <strong>&lt;b&gt;hi&lt;/b&gt;</strong>" in sent.text

    empty = ported_client.post("/submit", data={"user_input": ""})
    assert empty.status_code == 302
    assert urlsplit(empty.headers["Location"]).path == "/"

    css = ported_client.get("/static/style.css")
    assert css.status_code == 200
    assert css.mimetype == "text/css"
    assert css.text == "body { color: teal; }\n"
    css.close()

    assert ported_client.get("/nowhere").status_code == 404
