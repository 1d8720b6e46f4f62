"""The guides' code runs as printed: each file in docs/examples/, used as the page says.

The pages show these files with ``literalinclude``; here they are imported
(or run with pytest, for the testing guide's own tests) and sent the
requests the pages describe, through WSGI and through ASGI, asserting the
answers the pages give.
"""

from __future__ import annotations

import asyncio
import html
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"
DOCS = ROOT / "docs"
PROTOCOLS = ["wsgi", "asgi"]


def load(path: Path) -> ModuleType:
    """Import the file at ``path`` under a fresh name, as ``import app`` would."""
    name = f"_docs_example_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # while it runs, so Erlen(__name__) finds its folder
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


@pytest.fixture(params=PROTOCOLS)
def protocol(request):
    return request.param


@pytest.fixture
def client_for(protocol):
    """Make a test client of an app, for this test's protocol; closed at the end."""
    clients = []

    def make(app, **kwargs):
        client = app.test_client(asgi=protocol == "asgi", **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def run_pytest(folder: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    """Run pytest on ``folder`` as a user would, with ``paths`` importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), *map(str, paths), env.get("PYTHONPATH", "")]
    )
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", os.devnull, "."],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# -- every page's includes exist, and every example is shown somewhere ------------


def test_every_example_file_is_shown_on_a_page():
    pages = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md"))
    included = set()
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r"^```\{literalinclude\} (\S+)", page.read_text("utf-8"), re.M):
            included.add((page.parent / target).resolve())
    shown = [p for p in EXAMPLES.rglob("*") if p.suffix in (".py", ".toml", ".html")]
    missing = [str(p.relative_to(ROOT)) for p in shown if p.resolve() not in included]
    assert missing == [], f"Files in docs/examples/ that no page shows: {missing}"
    assert "literalinclude" in pages


# -- installing -----------------------------------------------------------------


def test_installing_pyproject_names_real_extras():
    example = (EXAMPLES / "installing" / "pyproject.toml").read_text("utf-8")
    ours = (ROOT / "pyproject.toml").read_text("utf-8")
    section = ours.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    extras = set(re.findall(r"^([\w-]+) = \[", section, re.M))
    named = [e for group in re.findall(r'"erlen\[([\w,]+)\]"', example) for e in group.split(",")]
    assert named and set(named) <= extras, f"{named} against erlen's extras {sorted(extras)}"
    assert '"erlen",' in example


# -- quickstart -------------------------------------------------------------------


def test_quickstart(client_for):
    client = client_for(load(EXAMPLES / "quickstart" / "app.py").app)
    assert client.get("/").text == "Hello, World!"
    assert client.get("/hello/Ada").text == "Hello, Ada!"
    response = client.post("/echo", json={"n": 1})
    assert response.json == {"you sent": {"n": 1}}
    # The page prints the answer as curl shows it.
    page = (DOCS / "guides" / "quickstart.md").read_text("utf-8")
    assert f"`{response.text.strip()}`" in page


# -- the tutorial -------------------------------------------------------------------


def test_tutorial_step1(client_for):
    client = client_for(load(EXAMPLES / "tutorial" / "step1.py").app)
    assert client.get("/").text == "<h1>Hello from erlen!</h1>"


def test_tutorial_step3(client_for):
    client = client_for(load(EXAMPLES / "tutorial" / "step3.py").app)
    assert 'href="/submit"' in client.get("/").text
    assert '<form method="post">' in client.get("/submit").text
    response = client.post("/submit", data={"note": "<script>alert(1)</script>"})
    assert "<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>" in response.text
    empty = client.post("/submit", data={"note": "  "})
    assert (empty.status_code, empty.headers["Location"]) == (303, "/")


def test_tutorial_tests_pass():
    result = run_pytest(EXAMPLES / "tutorial", ROOT / "examples" / "tutorial")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


# -- templates, static files, forms and uploads -----------------------------------------


@pytest.fixture
def forms_app(tmp_path):
    app = load(EXAMPLES / "forms" / "app.py").app
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    return app


def test_forms_page_and_static(forms_app, client_for):
    client = client_for(forms_app)
    page = client.get("/")
    assert "<title>Contact us</title>" in page.text
    assert 'href="/static/style.css"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert "font-family" in client.get("/static/style.css").text


def test_forms_contact(forms_app, client_for):
    client = client_for(forms_app)
    thanks = client.post("/contact", data={"name": "Ada", "message": "<b>Hi</b>"})
    assert "<h1>Thanks, Ada!</h1>" in thanks.text
    assert "&lt;b&gt;Hi&lt;/b&gt;" in thanks.text
    nameless = client.post("/contact", data={"name": " ", "message": "Hi"})
    assert nameless.status_code == 422
    assert "Say your name." in nameless.text
    missing = client.post("/contact", data={"name": "Ada"})
    assert missing.status_code == 400
    assert "message" in missing.text


def test_forms_upload(forms_app, client_for, tmp_path):
    client = client_for(forms_app)
    sent = client.post("/upload", data={"picture": (io.BytesIO(b"GIF89a..."), "../../evil.gif")})
    assert sent.status_code == 303
    location = sent.headers["Location"]
    assert re.fullmatch(r"/uploads/[0-9a-f]{32}\.gif", location)
    stored = list((tmp_path / "uploads").iterdir())
    assert [p.name for p in stored] == [location.rsplit("/", 1)[1]]  # our name, in the folder
    assert client.get(location).data == b"GIF89a..."


def test_forms_upload_refusals(forms_app, client_for):
    client = client_for(forms_app)
    wrong = client.post("/upload", data={"picture": (io.BytesIO(b"MZ"), "notes.exe")})
    assert wrong.status_code == 415
    assert "A .exe file is not accepted" in wrong.text
    none = client.post("/upload", data={"other": "x"})
    assert none.status_code == 400
    assert "Choose a file to upload" in none.text
    too_big = client.post(
        "/upload", data={"picture": (io.BytesIO(b"x" * (3 * 1024 * 1024)), "big.txt")}
    )
    assert too_big.status_code == 413
    assert client.get("/uploads/..%2fapp.py").status_code == 404


# -- sessions and flash ------------------------------------------------------------------


def test_sessions_and_flash(client_for):
    client = client_for(load(EXAMPLES / "sessions" / "app.py").app)
    assert "<h1>Who are you?</h1>" in client.get("/").text
    page = client.post("/name", data={"name": "Ada"}, follow_redirects=True)
    assert "<h1>Welcome back, Ada</h1>" in page.text
    assert "Hello, Ada!" in page.text
    assert "Hello, Ada!" not in client.get("/").text  # a flash is shown once
    client.post("/cart", data={"item": "tea"})
    page = client.post("/cart", data={"item": "milk"}, follow_redirects=True)
    assert "In your cart: tea, milk" in page.text
    assert '<p class="flash info">Added milk.</p>' in page.text
    page = client.post("/forget", follow_redirects=True)
    assert "<h1>Who are you?</h1>" in page.text
    assert '<p class="flash warning">Forgotten.</p>' in page.text


# -- blueprints and the app factory ---------------------------------------------------------


@pytest.fixture
def notes(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES / "factory"))
    for name in [m for m in sys.modules if m == "notes" or m.startswith("notes.")]:
        monkeypatch.delitem(sys.modules, name)
    return importlib.import_module("notes")


def test_factory(notes, client_for):
    client = client_for(notes.create_app({"TESTING": True}))
    assert "<li>Buy milk</li>" in client.get("/").text
    assert client.get("/about").json == {"home": "/", "api": "/api/notes"}
    assert client.get("/api/notes").json == {"notes": ["Buy milk", "Call Ada"]}
    assert client.get("/api/notes/2").json == {"number": 2, "text": "Call Ada"}
    assert "There is no note 3." in client.get("/api/notes/3").text


def test_factory_reads_the_environment(notes, monkeypatch):
    monkeypatch.setenv("ERLEN_NOTES_TITLE", "From the environment")
    app = notes.create_app()
    assert app.config["NOTES_TITLE"] == "From the environment"
    assert app.test_client().get("/").text.count("From the environment") == 2


def test_testing_guide_tests_pass():
    result = run_pytest(EXAMPLES / "testing", EXAMPLES / "factory")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "12 passed" in result.stdout


# -- commands ---------------------------------------------------------------------------------


def test_commands():
    module = load(EXAMPLES / "commands" / "app.py")
    runner = module.app.test_cli_runner()
    assert runner.invoke(args=["greet", "Ada"]).output == "Hello, Ada!\n"
    assert runner.invoke(args=["greet", "Ada", "--shout"]).output == "HELLO, ADA!\n"
    assert runner.invoke(args=["users", "create", "ada"]).output == "Created ada.\n"
    assert runner.invoke(args=["users", "count"]).output == "1 user(s).\n"
    help_text = runner.invoke(args=["--help"]).output
    assert "greet" in help_text and "users" in help_text


# -- databases --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres():
    """A real PostgreSQL in a temporary folder (the blog example's), stopped at the end."""
    services = load(ROOT / "examples" / "blog" / "tests" / "services.py")
    server = services.Postgres()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def books_app(request, tmp_path):
    app = load(EXAMPLES / "databases" / "app.py").app
    if request.param == "sqlite":
        app.config["DATABASE_URL"] = f"sqlite:///{tmp_path / 'test.db'}"
    else:  # the same code, another URL, as the page says
        server = request.getfixturevalue("postgres")
        app.config["DATABASE_URL"] = server.create_database(f"books_{uuid.uuid4().hex}")
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.output == "Created the tables.\n", result.output
    yield app
    app.extensions["engine"].dispose()


def test_databases(books_app, client_for):
    client = client_for(books_app)
    assert client.get("/books").json == {"books": []}
    created = client.post("/books", json={"title": "Dune", "author": "Frank Herbert"})
    assert created.status_code == 201
    assert created.json == {"id": 1, "title": "Dune", "author": "Frank Herbert"}
    client.post("/books", json={"title": "Ašaru", "author": "Anon"})
    titles = [book["title"] for book in client.get("/books").json["books"]]
    assert titles == ["Ašaru", "Dune"]  # ordered by title
    assert client.get("/books/1").json["author"] == "Frank Herbert"
    missing = client.get("/books/9", headers={"Accept": "application/json"})
    assert missing.status_code == 404 and "There is no book 9." in missing.text
    bad = client.post("/books", json={"title": "No author"})
    assert bad.status_code == 400 and "as JSON" in bad.text


def test_databases_guide_tests_pass():
    result = run_pytest(EXAMPLES / "databases", EXAMPLES / "databases")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_databases_session_is_closed_after_each_request(books_app, client_for):
    client = client_for(books_app)
    client.get("/books")
    pool = books_app.extensions["engine"].pool
    assert pool.checkedout() == 0  # the teardown gave the connection back


# -- authentication -----------------------------------------------------------------------------


@pytest.fixture
def auth_app():
    return load(EXAMPLES / "auth" / "app.py").app


PASSWORD = "correct horse battery"


def test_auth_login_and_protected_view(auth_app, client_for):
    client = client_for(auth_app)
    assert client.post("/register", data={"name": "ada", "password": PASSWORD}).status_code == 201
    closed = client.get("/account")
    assert (closed.status_code, closed.headers["Location"]) == (303, "/login?next=%2Faccount")
    login = client.post("/login?next=/account", data={"name": "ada", "password": PASSWORD})
    assert (login.status_code, login.headers["Location"]) == (303, "/account")
    assert client.get("/account").json == {"user": "ada"}


def test_auth_refusals(auth_app, client_for):
    client = client_for(auth_app)
    client.post("/register", data={"name": "ada", "password": PASSWORD})
    wrong = client.post("/login", data={"name": "ada", "password": "wrong password!"})
    unknown = client.post("/login", data={"name": "bob", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json == {"error": "Wrong name or password."}
    short = client.post("/register", data={"name": "bob", "password": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.text
    taken = client.post("/register", data={"name": "ada", "password": PASSWORD})
    assert taken.status_code == 409
    assert "The name 'ada' is taken." in html.unescape(taken.text)


def test_auth_next_never_leaves_the_site(auth_app, client_for):
    client = client_for(auth_app)
    client.post("/register", data={"name": "ada", "password": PASSWORD})
    for target in ("https://evil.example/", "//evil.example/"):
        login = client.post(
            "/login", query_string={"next": target}, data={"name": "ada", "password": PASSWORD}
        )
        assert login.headers["Location"] == "/account"


def test_auth_logout_ends_every_copy_of_the_session(auth_app, client_for):
    # As printed in docs/guides/authentication.md.
    client = client_for(auth_app)
    client.post("/register", data={"name": "ada", "password": "correct horse battery"})
    client.post("/login", data={"name": "ada", "password": "correct horse battery"})
    stolen = client.get_cookie("session").value  # a copy of the cookie
    client.post("/logout")
    client.set_cookie("session", stolen)  # the copy, sent again
    assert client.get("/account").status_code == 303  # to the login page


def test_auth_page_shows_the_logout_test():
    page = (DOCS / "guides" / "authentication.md").read_text("utf-8")
    assert 'stolen = client.get_cookie("session").value' in page
    assert 'client.set_cookie("session", stolen)' in page


# -- cross-origin requests --------------------------------------------------------------------------


FRONTEND = "http://localhost:5173"


def test_cross_origin_preflight_and_post(client_for):
    client = client_for(load(EXAMPLES / "cross_origin" / "app.py").app)
    preflight = client.options(
        "/api/todos",
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert preflight.headers["Access-Control-Allow-Headers"] == "Content-Type"
    posted = client.post(
        "/api/todos",
        json={"text": "Ship it"},
        headers={"Origin": FRONTEND, "Sec-Fetch-Site": "same-site"},
    )
    assert posted.status_code == 201
    assert posted.json == {"todos": ["Write the docs", "Ship it"]}
    assert posted.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in posted.headers["Vary"]


def test_cross_origin_other_sites_are_refused(client_for):
    client = client_for(load(EXAMPLES / "cross_origin" / "app.py").app)
    refused = client.post(
        "/api/todos",
        json={"text": "x"},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert refused.status_code == 403
    assert "CSRF_TRUSTED_ORIGINS" in refused.text
    read = client.get("/api/todos", headers={"Origin": "https://evil.example"})
    assert read.status_code == 200
    assert "Access-Control-Allow-Origin" not in read.headers  # the browser hides the answer


# -- migrating from Flask ---------------------------------------------------------------------------


def test_migrating_changes_only_the_import_line():
    flask_lines = (EXAMPLES / "migrating" / "flask_app.py").read_text("utf-8").splitlines()
    erlen_lines = (EXAMPLES / "migrating" / "erlen_app.py").read_text("utf-8").splitlines()
    changed = [(a, b) for a, b in zip(flask_lines, erlen_lines, strict=True) if a != b]
    assert changed == [
        (
            "from flask import Flask, abort, jsonify, request, session",
            "from erlen import Erlen as Flask, abort, jsonify, request, session",
        )
    ]


MIGRATING_CHECK = """
import json, sys
sys.path.insert(0, sys.argv[1])
app = __import__(sys.argv[2]).app
client = app.test_client()
got = [client.get("/visits").json, client.get("/visits").json]
got.append(client.get("/square/12?debug=1").json)
too_big = client.get("/square/1001")
got.append([too_big.status_code, "Pick a number up to 1000." in too_big.text])
print(json.dumps(got))
"""


def test_migrating_both_apps_answer_the_same():
    # Each in its own process: Flask and erlen's flask alias must not meet here.
    answers = []
    for name in ("flask_app", "erlen_app"):
        result = subprocess.run(
            [sys.executable, "-c", MIGRATING_CHECK, str(EXAMPLES / "migrating"), name],
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        answers.append(json.loads(result.stdout))
    assert answers[0] == answers[1]
    assert answers[1] == [
        {"visits": 1},
        {"visits": 2},
        {"n": 12, "square": 144, "debug": True},
        [400, True],
    ]


# -- async views, WebSockets and Server-Sent Events ------------------------------------------


@pytest.fixture
def shop():
    return load(EXAMPLES / "async_views" / "app.py")


def test_async_view_gathers_prices(shop, client_for):
    client = client_for(shop.app)
    answer = client.get("/basket", query_string=[("item", "tea"), ("item", "milk")])
    assert answer.json == {"prices": {"tea": 2.5, "milk": 1.2}, "total": 3.7}
    empty = client.get("/basket")
    assert empty.status_code == 400 and "Name at least one item" in empty.text
    unknown = client.get("/basket?item=tea&item=caviar")
    assert unknown.status_code == 404
    assert "There is no price for 'caviar'." in html.unescape(unknown.text)


def test_async_view_answers_504_when_the_service_is_slow(shop, client_for):
    async def no_answer_in_time(item):
        raise asyncio.TimeoutError  # what wait_for raises after its 2 seconds

    shop.fetch_price = no_answer_in_time
    answer = client_for(shop.app).get("/basket?item=tea")
    assert answer.status_code == 504
    assert "did not answer within 2 seconds" in answer.text


def test_websocket_echo_and_chat(shop, client_for):
    client = client_for(shop.app)
    with client.websocket("/echo") as ws:
        ws.send("ping")
        assert ws.receive() == "ping"
        ws.send(b"\x00bytes")
        assert ws.receive() == b"\x00bytes"
    with client.websocket("/chat/lobby?name=ada") as ada:
        with client.websocket("/chat/lobby", query_string={"name": "bob"}) as bob:
            with client.websocket("/chat/kitchen?name=cook") as cook:
                bob.send("hi all")
                assert ada.receive() == bob.receive() == "bob: hi all"
                cook.send("soup's on")
                assert cook.receive() == "cook: soup's on"  # other rooms hear nothing
                ada.send("hello")
                assert ada.receive() == bob.receive() == "ada: hello"
    assert shop.rooms == {"lobby": set(), "kitchen": set()}  # the finally ran for each


def test_server_sent_events(shop, client_for):
    response = client_for(shop.app).get("/jobs/7/progress")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response.text == (
        'event: progress\ndata: {"job":7,"percent":0}\n\n'
        'event: progress\ndata: {"job":7,"percent":50}\n\n'
        'event: progress\ndata: {"job":7,"percent":100}\n\n'
        "event: end\ndata: done\n\n"
    )


def test_async_guide_tests_pass():
    result = run_pytest(EXAMPLES / "async_views", EXAMPLES / "async_views")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 passed" in result.stdout
