"""Every ```python block of every page in docs/, and of the README, runs as printed.

The guides keep their code in docs/examples/ (tests/test_docs_examples.py);
the other pages have their code inline, and this runs it. A page's blocks
run in order, in one namespace, as a reader types them into one file: a
later block may use the ``app`` an earlier one made. Each page runs in a
fresh folder (its app's root path), so files it reads or writes stay there.

What a page takes for granted (an ``app`` before the first block, a
``save()`` the example calls, a template the view renders) is set up by
``PAGES`` below, before or between its blocks, and so are the checks that
the answers are the ones the page gives. A block that defines ``test_*``
functions has them called, with the namespace's values for their
arguments (``app``, ``client``): the page's tests pass against the page's
app.

A block that is deliberately not a whole program is marked on its fence,
```` ```python fragment ````: it must still be valid Python (it is
compiled), but is not run. docs/contributing/docs.md describes this.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sys
import types
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from erlen import Erlen

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"

FENCE = re.compile(
    r"^(?P<fence>`{3,})python(?P<info>[^\n`]*)\n(?P<code>.*?)^(?P=fence)\s*$", re.M | re.S
)


@dataclass
class Block:
    page: str
    line: int  # of the first line of code, 1-based
    code: str
    fragment: bool


def blocks_of(page: Path, name: str) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        info = match["info"].split()
        if info not in ([], ["fragment"]):
            raise AssertionError(
                f"{name}: a ```python{match['info']} block: the only word "
                "allowed after python is 'fragment' (a block that is not run)."
            )
        line = text.count("\n", 0, match.start("code")) + 1
        found.append(Block(name, line, match["code"], info == ["fragment"]))
    return found


def pages() -> list[Path]:
    """Every page of the site, and the README (named ../README.md below)."""
    found = sorted(
        p
        for p in DOCS.rglob("*.md")
        if not ({"_build", "examples"} & set(p.relative_to(DOCS).parts))
    )
    return [*found, ROOT / "README.md"]


def shown_as(block: Block) -> str:
    """The file a block is in, from the repository's root: docs/asgi.md, README.md."""
    return os.path.normpath(f"docs/{block.page}")


# -- what each page takes for granted, and what it says comes back ----------------------
#
# PAGES[page][n]: code run after the page's n-th block (0: before the first).
# The namespace holds ``tmp`` (the page's folder, a Path), ``stack`` (an
# ExitStack closed after the page: contexts pushed for the blocks), ``out``
# (what the last block printed) and ``load`` (import a docs/examples file).

APP = """
from erlen import Erlen, Blueprint, request, session, url_for
app = Erlen(__name__)
"""

PAGES: dict[str, dict[int, str]] = {
    "asgi.md": {
        0: APP
        + """
import asyncio
from erlen import websocket

async def create_pool():
    class Pool:
        async def close(self): ...
    return Pool()

feeds = Blueprint("feeds", __name__)

class SomeASGIMiddleware:
    def __init__(self, app):
        self.app = app
    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)
""",
        1: """
client = app.test_client(asgi=True)
assert client.get("/health").json == {"ok": True}
""",
        2: """
import sqlite3
with sqlite3.connect("app.db") as db:
    db.execute("create table item (name text)")
    db.execute("insert into item values ('tea')")
assert app.test_client(asgi=True).get("/count").json == {"count": 1}
assert app.test_client().get("/count").json == {"count": 1}
""",
        3: """
answer = app.test_client(asgi=True).post("/upload", data=b"x" * 100_000)
assert answer.json == {"size": 100_000}, answer.text
""",
        6: """
with app.test_client(asgi=True).websocket("/ws/3") as ws:
    ws.send("hello")
    assert ws.receive() == "room 3: hello"
""",
    },
    "cli.md": {
        0: APP
        + """
import click
class Database:
    created = False
    def create_all(self):
        self.created = True
db = Database()
(tmp / "wiki").mkdir()
(tmp / "wiki" / "__init__.py").write_text(
    "from erlen import Erlen\\ndef create_app():\\n    return Erlen('wiki')\\n"
)
sys.path.insert(0, str(tmp))
""",
        3: "assert db.created",
        4: """
from click.testing import CliRunner
result = CliRunner().invoke(cli, ["stats"])
assert result.output == "wiki\\n", result.output
""",
    },
    "config.md": {
        0: """
(tmp / "myapp").mkdir()
(tmp / "myapp" / "__init__.py").write_text("")
(tmp / "myapp" / "settings.py").write_text(
    "MAIL_SENDER = 'me@example.com'\\nclass Production:\\n    DEBUG = False\\n"
)
sys.path.insert(0, str(tmp))
(tmp / "settings.py").write_text("GREETING = 'hello'\\n")
(tmp / "config.toml").write_text('TITLE = "from TOML"\\n')
(tmp / "config.json").write_text('{"SUBTITLE": "from JSON"}')
monkeypatch.setenv("MYAPP_SETTINGS", str(tmp / "settings.py"))
monkeypatch.setenv("ERLEN_ITEMS_PER_PAGE", "20")
monkeypatch.setenv("MYAPP_COLOR", '"blue"')
""",
        1: 'assert app.debug and app.config["DEBUG"] and app.config["SECRET_KEY"] == "change me"',
        3: 'assert app.config["MAIL_SENDER"] == "me@example.com"',
        4: 'assert app.config["GREETING"] == "hello"',
        6: 'assert app.config["TITLE"] == "from TOML"',
        7: 'assert app.config["SUBTITLE"] == "from JSON"',
        8: 'assert app.config["ITEMS_PER_PAGE"] == 20 and app.config["COLOR"] == "blue"',
        10: 'assert app.config.get_namespace("MAIL_") == {"server": "smtp.example.com", "port": 587}',
    },
    "deploying.md": {
        0: """
(tmp / "app.py").write_text(
    "from erlen import Erlen\\napp = Erlen(__name__)\\n"
    "@app.get('/orders/<int:order_id>')\\ndef order(order_id): ...\\n"
)
sys.path.insert(0, str(tmp))
""",
        1: 'assert out == "https://shop.example.com/shop/orders/42\\n", out',
        3: """
seen = app.test_client().get("/", headers={"X-Forwarded-Proto": "https"})
assert seen.status_code == 404
""",
    },
    "flask.md": {},
    "../README.md": {
        0: """
monkeypatch.setenv("ERLEN_SECRET_KEY", "a secret key for the README, long enough")
(tmp / "templates").mkdir()
(tmp / "templates" / "index.html").write_text("visits: {{ visits }}")
""",
        2: """
first_app = app
client = app.test_client()
assert client.get("/").text == "visits: 0"
assert client.get("/user/7").json == {"id": 7}
refused = client.post("/greet", data={})
assert refused.status_code == 400 and "Say your name." in refused.text
""",
        3: """
client = app.test_client(asgi=True)
assert client.get("/search?q=tea").json == {"q": "tea"}
with client.websocket("/ws/lobby") as ws:
    ws.send("hi")
    assert ws.receive() == "lobby: hi"
with app.test_client(asgi=True) as client:  # the lifespan ran the serving hook
    assert app.extensions["ready"] is True
app = first_app  # the README's test is for its first app
""",
    },
    "guides/authentication.md": {
        0: """
from erlen import Erlen, g
example = load("auth/app.py")
login_required = example.login_required
app = Erlen(__name__)
client = example.app.test_client()
""",
    },
    "guides/blueprints.md": {
        0: """
sys.path.insert(0, str(EXAMPLES / "factory"))
from notes import create_app
from erlen import current_app
""",
        1: 'assert out == "notes\\n", out',
    },
    "guides/commands.md": {0: 'app = load("commands/app.py").app'},
    "guides/migrating.md": {},
    "guides/sessions.md": {
        0: """
from erlen import session
client = load("sessions/app.py").app.test_client()
""",
    },
    "index.md": {1: 'assert app.test_client().get("/").json == {"hello": "world"}'},
    "json.md": {
        0: """
from dataclasses import dataclass
from decimal import Decimal

@dataclass
class Note:
    id: int
    text: str
    def to_dict(self):
        return {"id": self.id, "text": self.text}

NOTES = []
def save(text):
    NOTES.append(Note(len(NOTES) + 1, text))
    return NOTES[-1]
def all_notes():
    return NOTES

@dataclass
class Money:
    amount: Decimal
""",
        1: """
client = app.test_client()
created = client.post("/notes", json={"text": "tea"})
assert (created.status_code, created.json) == (201, {"id": 1, "text": "tea"})
assert client.get("/notes").json == [{"id": 1, "text": "tea"}]
assert client.post("/notes", data="x", headers={"Content-Type": "text/plain"}).status_code == 415
assert client.post("/notes", data="{", headers={"Content-Type": "application/json"}).status_code == 400
""",
        2: 'assert app.json.dumps({"b": "é", "a": 1}) == \'{"b": "é", "a": 1}\'',
        3: 'assert app.json.dumps({"price": Money(Decimal("1.50"))}) == \'{"price": "1.50"}\'',
        4: 'assert app.json.loads(app.json.dumps({1: [2]})) == {"1": [2]}',
        5: """
from collections import OrderedDict
serializer = app.session_interface.serializer
again = serializer.loads(serializer.dumps(OrderedDict([("b", 1), ("a", 2)])))
assert type(again) is OrderedDict and list(again) == ["b", "a"]
""",
    },
    "limits.md": {0: APP, 1: 'assert app.config["MAX_CONTENT_LENGTH"] == 100 * 1024 * 1024'},
    "openapi-page.md": {
        0: APP + 'admin = Blueprint("admin", __name__, url_prefix="/admin")',
        2: """
app.register_blueprint(admin)
page = app.test_client().get("/admin/api-docs")
assert page.status_code == 200 and "Admin API" in page.text
""",
    },
    "request-response.md": {
        0: APP
        + """
from erlen import Response, abort
stack.enter_context(app.test_request_context(headers={
    "Authorization": 'Digest username="ada", realm="site", nonce="n1", response="r"'
}))
def is_admin():
    return False
def build_csv():
    return "name,price\\ntea,2\\n"
response = Response("hello")
""",
        1: 'assert (auth.type, auth.username, auth["nonce"]) == ("digest", "ada", "n1")',
        3: """
assert response.headers["Allow"] == "GET, POST"
assert response.headers["Vary"] == "Accept-Language"
assert response.headers["Cache-Control"] == "max-age=3600, public"
assert response.headers["WWW-Authenticate"] == 'Basic realm="api"'
""",
        4: """
client = app.test_client()
full = client.get("/report.csv")
assert full.status_code == 200 and full.headers["Accept-Ranges"] == "bytes"
assert client.get("/report.csv", headers={"If-None-Match": full.headers["ETag"]}).status_code == 304
part = client.get("/report.csv", headers={"Range": "bytes=0-3"})
assert (part.status_code, part.data) == (206, b"name")
""",
    },
    "routing.md": {
        0: APP + 'stack.enter_context(app.test_request_context("/"))',
        1: 'assert (url_for("user", uid=7), url_for("user", uid=7, tab=1)) == ("/user/7", "/user/7?tab=1")',
        2: 'assert url_for("tags", tags=["a", "b"]) == "/tags/a;b"',
        3: """
moved = app.test_client().get("/page/1")
assert (moved.status_code, moved.headers["Location"]) == (308, "/page/")
""",
        4: "subdomain_app = app",
        5: 'stack.enter_context(subdomain_app.test_request_context("http://example.com/"))',
        6: """
assert url_for("index") == "/"
assert url_for("api_index") == "http://api.example.com/"
assert url_for("profile", user="bob") == "http://bob.example.com/"
""",
    },
    "security.md": {
        0: APP
        + """
from erlen import send_from_directory
api = Blueprint("api", __name__)
admin_blueprint = Blueprint("admin", __name__)
shared = tmp / "shared"
shared.mkdir()
(shared / "notes.txt").write_text("hi")
name = "notes.txt"
stack.enter_context(app.test_request_context())
""",
        1: """
client = app.test_client()
app.logger.disabled = True  # the page's view is a stub (...), which answers 500
passed = client.post("/hooks/payment", headers={"Sec-Fetch-Site": "cross-site"})
assert passed.status_code == 500  # past the cross-site check, into the stub
""",
    },
    "signals.md": {
        1: """
(tmp / "templates").mkdir()
(tmp / "templates" / "index.html").write_text("<h1>Home</h1>")
from erlen import render_template
app.get("/")(lambda: render_template("index.html"))
""",
    },
    "sse.md": {},
    "testing.md": {
        0: APP
        + """
from erlen import redirect
from erlen.testing import EnvironBuilder
app.secret_key = "a secret key for the tests, long enough for erlen"

@app.post("/login")
def login():
    session["user"] = request.form["name"]
    return redirect("/welcome")

@app.get("/welcome")
def welcome():
    return f"Welcome, {session['user']}!"

@app.get("/profile")
def profile():
    return {"user_id": session["user_id"]}

books = Blueprint("books", __name__, url_prefix="/books")

@books.get("/")
def index():
    return "books"

app.register_blueprint(books)

@app.post("/upload")
def upload():
    return {"title": request.form["title"], "doc": request.files["doc"].read().decode(),
            "draft": request.args["draft"]}

@app.cli.command("init-db")
def init_db():
    print("Initialized the database.")

(tmp / "tests" / "data").mkdir(parents=True)
(tmp / "tests" / "data" / "notes.txt").write_text("my notes")
client = app.test_client()
""",
        6: 'assert response.json == {"title": "Notes", "doc": "my notes", "draft": "1"}',
        8: """
app.get("/token")(lambda: {"auth": request.headers["Authorization"]})
assert client.get("/token").json == {"auth": "Bearer secret"}
""",
    },
    "typed-views.md": {
        0: """
import datetime
from typing import Annotated
from erlen import Blueprint, Form
from erlen.views import MethodView
import msgspec

UPLOADS = tmp
def secure_name(name):
    return name.rsplit("/", 1)[-1]
ITEMS = []
class UserInDB(msgspec.Struct):
    name: str
    password_hash: str
def load_user():
    return UserInDB("ada", "x")
class ItemV1(msgspec.Struct):
    name: str
    price: float
class ItemV2(msgspec.Struct):
    name: str
    price: float
    currency: str
""",
        1: """
client = app.test_client()
created = client.post("/items", json={"name": "tea", "price": 2.5})
assert (created.status_code, created.json) == (201, {"name": "tea", "price": 2.5, "tags": []})
assert client.post("/items", json={"name": "tea"}).status_code == 422
app = Erlen(__name__)
""",
        3: "app = Erlen(__name__)",
        4: 'assert app.test_client().get("/items?page=2").json == []',
        6: """
client = app.test_client()
signed = client.post("/signup", data={"user": "ada", "age": "36"})
assert signed.json == {"user": "ada", "age": 36, "newsletter": False}, signed.text
sent = client.post("/documents", data={"title": "T", "document": (io.BytesIO(b"x"), "a.txt")})
assert sent.json == {"title": "T", "copies": 1} and (tmp / "a.txt").read_bytes() == b"x"
""",
        7: 'assert app.test_client().get("/me").json == {"name": "ada"}',
        8: "app = Erlen(__name__)",
    },
    "uploads.md": {
        0: """
from erlen.datastructures import FileStorage
""",
        1: """
upload = FileStorage(io.BytesIO(b"%PDF"), filename="a.pdf")
extension = ".pdf"
""",
        2: 'assert (Path(app.config["UPLOAD_FOLDER"]) / stored).read_bytes() == b"%PDF"',
        3: "client = app.test_client()",
        4: """
assert response.status_code == 302 and response.headers["Location"] == "/uploads/a.pdf"
assert client.get("/uploads/a.pdf").data == b"%PDF-1.7"
""",
    },
}


# -- the runner -------------------------------------------------------------------------


def run(code: str, namespace: dict, where: str, line: int = 1) -> str:
    """Run ``code`` in ``namespace``; tracebacks name the page and its line. Return the output."""
    compiled = compile("\n" * (line - 1) + code, where, "exec")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compiled, namespace)
    namespace["out"] = printed.getvalue()
    return printed.getvalue()


def call_tests(namespace: dict, before: set[str], where: str) -> None:
    """Call the ``test_*`` functions the last block defined, arguments from the namespace."""
    for name, function in list(namespace.items()):
        if name.startswith("test_") and name not in before and callable(function):
            arguments = function.__code__.co_varnames[: function.__code__.co_argcount]
            missing = [a for a in arguments if a not in namespace]
            assert not missing, f"{where}: {name} takes {missing}, which the page never defines"
            function(*(namespace[a] for a in arguments))


def load(relative: str) -> types.ModuleType:
    """Import docs/examples/``relative`` under a fresh name, as the guides' tests do."""
    import importlib.util

    name = f"_docs_example_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


@pytest.fixture
def page_folder(tmp_path, monkeypatch):
    """A fresh folder as the working directory; modules imported from it forgotten after."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield tmp_path
    root.handlers[:], root.level = handlers, level
    for name in set(sys.modules) - before:
        file = getattr(sys.modules[name], "__file__", None) or ""
        if file.startswith((str(tmp_path), str(EXAMPLES))):
            del sys.modules[name]


def run_page(page: Path, name: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the page's blocks in order, with PAGES[name]'s set-up and checks between them."""
    blocks = blocks_of(page, name)
    steps = PAGES.get(name, {})
    runnable = [b for b in blocks if not b.fragment]
    wrong = [n for n in steps if n > len(runnable)]
    assert not wrong, f"PAGES[{name!r}] has steps after block {wrong}; the page has {len(runnable)}"
    for block in blocks:
        if block.fragment:  # shown, not run: still Python
            compile(block.code, f"{shown_as(block)}:{block.line}", "exec")

    # A module of its own, in the page's folder, so Erlen(__name__) roots the app there.
    module = types.ModuleType(f"docs_page_{uuid.uuid4().hex}")
    module.__file__ = str(folder / "page.py")
    sys.modules[module.__name__] = module
    namespace = module.__dict__
    with contextlib.ExitStack() as stack:
        namespace.update(
            tmp=folder,
            stack=stack,
            load=load,
            monkeypatch=monkeypatch,
            EXAMPLES=EXAMPLES,
            io=io,
            sys=sys,
            Path=Path,
        )
        try:
            if 0 in steps:
                run(steps[0], namespace, f"<set-up of {name}>")
            for number, block in enumerate(runnable, 1):
                where = shown_as(block)
                before = set(namespace)
                run(block.code, namespace, where, block.line)
                call_tests(namespace, before, f"{where}:{block.line}")
                if number in steps:
                    run(steps[number], namespace, f"<checks after {where}:{block.line}>")
                    # The checks sent requests while the reader is still setting
                    # up: let the next block add routes, as it could before them.
                    for value in namespace.values():
                        if isinstance(value, Erlen):
                            value._got_first_request = False
        finally:
            del sys.modules[module.__name__]


def page_name(page: Path) -> str:
    return os.path.relpath(page, DOCS)


@pytest.mark.parametrize("page", pages(), ids=page_name)
def test_page_code_runs(page, page_folder, monkeypatch):
    run_page(page, page_name(page), page_folder, monkeypatch)


WRONG_PAGE = """\
# A page

```python
from erlen import Erlen
app = Erlen(__name__)
```

```python fragment
app.anything_at_all()   # not run
```

```python
app.no_such_method()
```
"""


def test_a_wrong_example_fails_and_names_its_line(page_folder, monkeypatch):
    page = page_folder / "wrong.md"
    page.write_text(WRONG_PAGE, encoding="utf-8")
    with pytest.raises(AttributeError) as caught:
        run_page(page, "wrong.md", page_folder, monkeypatch)
    frames = [(entry.frame.code.raw.co_filename, entry.lineno + 1) for entry in caught.traceback]
    assert ("docs/wrong.md", 13) in frames


def test_a_fragment_must_still_be_python(page_folder, monkeypatch):
    page = page_folder / "broken.md"
    page.write_text("```python fragment\nif True\n```\n", encoding="utf-8")
    with pytest.raises(SyntaxError):
        run_page(page, "broken.md", page_folder, monkeypatch)


def test_every_step_follows_a_block():
    for name in PAGES:
        assert (DOCS / name).is_file(), f"PAGES names {name}, which is not in docs/"


def test_the_sse_page_prints_event_streams_signature():
    import inspect

    from erlen import event_stream

    signature = inspect.signature(event_stream)
    plain = signature.replace(
        parameters=[p.replace(annotation=p.empty) for p in signature.parameters.values()],
        return_annotation=signature.empty,
    )
    text = (DOCS / "sse.md").read_text(encoding="utf-8")
    assert f"event_stream{plain}" in text


# -- the docstrings' >>> examples, shown in the API reference ---------------------------


def modules_with_doctests() -> list[str]:
    source = ROOT / "src"
    return sorted(
        ".".join(path.relative_to(source).with_suffix("").parts).removesuffix(".__init__")
        for path in (source / "erlen").rglob("*.py")
        if ">>> " in path.read_text(encoding="utf-8")
    )


@pytest.mark.parametrize("name", modules_with_doctests())
def test_docstring_examples_run(name):
    import doctest
    import importlib

    from erlen import Response

    module = importlib.import_module(name)
    # A docstring of a response's attribute starts from a response.
    extra = {"response": Response()}
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = finder.find(module, name, globs=vars(module), extraglobs=extra)
    assert tests, f"{name} has '>>> ' in its source, but doctest finds no example"
    report = io.StringIO()
    for test in tests:
        runner.run(test, out=report.write)
    assert runner.tries > 0 and runner.failures == 0, report.getvalue()
