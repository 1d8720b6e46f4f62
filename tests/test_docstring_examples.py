"""Every ``::`` example in a docstring of ``src/erlen`` runs as printed.

The API reference shows the docstrings, and their examples are mostly
reStructuredText literal blocks: the indented block after a line ending in
``::``. This test finds each one (in every module, class and function of
``src/erlen``, with ``ast``) and runs it, so an example cannot drift from
the code. The ``>>>`` examples run as doctests in
``tests/test_docs_code_blocks.py``.

Each block runs on its own, in a fresh folder (the current directory and
its app's root path), in a namespace holding ``from erlen import *``, the
``__all__`` of the module the docstring is in, an ``app`` with a secret key
and its test ``client``. What an example takes for granted beyond that (a
template it renders, a route it links to, a request it reads) and what it
says comes back are in ``STEPS`` below.

A block that is not meant to run says so with an explicit directive instead
of ``::``: ``.. code-block:: sh`` (or ``text``, ``json``...) for what is not
Python, and, for Python that must not run (a line that changes the whole
process), ``.. code-block:: python`` with the option ``:class: fragment``; a
fragment is still compiled. docs/contributing/docs.md describes this.
"""

from __future__ import annotations

import ast
import importlib
import linecache
import re
import sys
import textwrap
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "erlen"

PYTHON = {"python", "python3", "py"}
DIRECTIVE = re.compile(r"\.\. (?:code-block|code|sourcecode)::\s*(\S*)\s*$")


@dataclass
class Example:
    where: str  # the documented object: erlen.config.Config.from_file, or #2 for its second
    module: str
    file: str  # from the repository's root
    line: int  # of the first line of code, 1-based
    code: str
    language: str  # "python" for ``::``
    fragment: bool = False


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _blocks(doc: str) -> list[tuple[int, str, str, bool]]:
    """(line index, language, code, fragment) of each literal or code block of ``doc``.

    ``doc`` is the docstring as written (not cleaned), so that indexes are
    line offsets from the docstring's first line.
    """
    lines = doc.split("\n")
    found = []
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        directive = DIRECTIVE.match(stripped)
        if directive:
            language, fragment = directive[1] or "python", False
        elif stripped.endswith("::") and not stripped.startswith(".."):
            language, fragment = "python", False
        else:
            index += 1
            continue
        # The first line shares the quotes' line: its indent is the others'.
        base = (
            _indent(line)
            if index
            else min((_indent(other) for other in lines[1:] if other.strip()), default=0)
        )
        index += 1
        if directive:  # options (:class: fragment) up to a blank line
            while index < len(lines) and lines[index].strip().startswith(":"):
                fragment = fragment or lines[index].split() == [":class:", "fragment"]
                index += 1
        while index < len(lines) and not lines[index].strip():
            index += 1
        start = index
        while index < len(lines) and (not lines[index].strip() or _indent(lines[index]) > base):
            index += 1
        code = textwrap.dedent("\n".join(lines[start:index])).strip("\n") + "\n"
        if start < index and not code.startswith(">>>"):  # doctests run elsewhere
            found.append((start, language, code, fragment))
    return found


def examples_in(source: str, module: str, file: str) -> list[Example]:
    """Every block in the docstrings of ``source``, the text of ``module``."""
    found: list[Example] = []

    def visit(node: ast.AST, qualname: str) -> None:
        body = getattr(node, "body", [])
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            string = body[0].value
            blocks = _blocks(string.value)
            for number, (offset, language, code, fragment) in enumerate(blocks, 1):
                where = qualname if number == 1 else f"{qualname}#{number}"
                line = string.lineno + offset
                found.append(Example(where, module, file, line, code, language, fragment))
        for child in body:
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, f"{qualname}.{child.name}")

    visit(ast.parse(source), module)
    return found


def examples() -> list[Example]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        parts = path.relative_to(SOURCE.parent).with_suffix("").parts
        module = ".".join(parts).removesuffix(".__init__")
        file = path.relative_to(ROOT).as_posix()
        found.extend(examples_in(path.read_text(encoding="utf-8"), module, file))
    return found


# -- what each example takes for granted, and what it says comes back ------------------
#
# STEPS[where]: ``before`` runs first in the example's namespace, ``after``
# once it ran; with ``request``, the example runs inside a request context,
# made from the namespace's ``request_args`` (keyword arguments of
# ``app.test_request_context``, none if ``before`` sets none). The namespace
# holds ``tmp``, the example's folder (a Path), and ``monkeypatch``.


@dataclass
class Steps:
    before: str = ""
    after: str = ""
    request: bool = False


STEPS: dict[str, Steps] = {
    "erlen": Steps(after='assert app.test_client().get("/").text == "Hello from /"'),
    "erlen._response_headers.ResponseHeaders.make_conditional": Steps(
        before="def build_report(): return b'0123456789' * 10",
        after="""
        whole = client.get("/report")
        assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes"
        assert client.get("/report", headers={"Range": "bytes=0-3"}).data == b"0123"
        unchanged = client.get("/report", headers={"If-None-Match": whole.headers["ETag"]})
        assert unchanged.status_code == 304
        """,
    ),
    "erlen.app.Erlen": Steps(after='assert app.test_client().get("/").text == "Hello"'),
    "erlen.blueprints": Steps(after='assert client.get("/admin/").text == "admin home"'),
    "erlen.cli.group.ErlenGroup": Steps(
        after="""
        from click.testing import CliRunner
        assert "Manage the wiki." in CliRunner().invoke(cli, ["--help"]).output
        """
    ),
    "erlen.config.Config": Steps(
        before="""
        (tmp / "settings.py").write_text("DEBUG_TOOLBAR = True\\nhelper = 1\\n")
        monkeypatch.setenv("ERLEN_MAIL_PORT", "2525")
        """,
        after="""
        assert app.config["SECRET_KEY"] == "dev" and app.config["DEBUG_TOOLBAR"] is True
        assert "helper" not in app.config and app.config["MAIL_PORT"] == 2525
        """,
    ),
    "erlen.config.Config.from_object": Steps(
        before="""
        (tmp / "pkg").mkdir()
        (tmp / "pkg" / "__init__.py").write_text("")
        (tmp / "pkg" / "settings.py").write_text("class Production:\\n    LEVEL = 'pkg'\\n")
        """,
        after="""
        import sys
        sys.modules.pop("pkg.settings"); sys.modules.pop("pkg")
        assert app.config["SECRET_KEY"] == "..." and app.config["LEVEL"] == "pkg"
        """,
    ),
    "erlen.config.Config.from_pyfile": Steps(
        before='(tmp / "settings.py").write_text("ANSWER = 42\\n")',
        after='assert app.config["ANSWER"] == 42',
    ),
    "erlen.config.Config.from_file": Steps(
        before='(tmp / "config.toml").write_text("ANSWER = 42\\n")',
        after='assert app.config["ANSWER"] == 42',
    ),
    "erlen.config.Config.from_file#2": Steps(
        before='(tmp / "config.json").write_text(\'{"ANSWER": 42}\')',
        after='assert app.config["ANSWER"] == 42',
    ),
    "erlen.config.Config.from_envvar": Steps(
        before="""
        (tmp / "production.py").write_text("ANSWER = 42\\n")
        monkeypatch.setenv("MYAPP_SETTINGS", str(tmp / "production.py"))
        """,
        after='assert app.config["ANSWER"] == 42',
    ),
    "erlen.config.Config.get_namespace": Steps(
        after='assert app.config.get_namespace("MAIL_") == {"server": "smtp.example.com"}'
    ),
    "erlen.csrf.exempt": Steps(before='api_blueprint = Blueprint("api", __name__)'),
    "erlen.ctx.copy_current_request_context": Steps(
        before="""
        import threading as _threading

        class Mail:
            def __init__(self):
                self.sent, self.done = [], _threading.Event()
            def send(self, to):
                self.sent.append(to)
                self.done.set()

        mail = Mail()
        """,
        after="""
        answer = client.post("/signup", data={"email": "ada@example.com"})
        assert answer.text == "Check your inbox"
        assert mail.done.wait(10) and mail.sent == ["ada@example.com"]
        """,
    ),
    "erlen.dev.http11": Steps(after="assert parser.next_event() is PAUSED"),
    "erlen.http.auth.Authorization": Steps(
        before="def check(username, password): return (username, password) == ('ada', 'pw')",
        after="""
        import base64
        refused = client.get("/admin")
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == 'Basic realm="site"'
        basic = "Basic " + base64.b64encode(b"ada:pw").decode()
        assert client.get("/admin", headers={"Authorization": basic}).text == "Hello, ada"
        """,
    ),
    "erlen.http.auth.WWWAuthenticate": Steps(
        before="response = Response()",
        after='assert response.headers["WWW-Authenticate"] == \'Basic realm="admin"\'',
    ),
    "erlen.http.cache_control.ResponseCacheControl": Steps(
        before="response = Response()",
        after='assert response.headers["Cache-Control"] == "max-age=3600, public"',
    ),
    "erlen.http.converters": Steps(
        after='assert client.get("/tags/tea,cake").text == "tea and cake"'
    ),
    "erlen.http.datastructures.FileStorage.save": Steps(
        before="""
        import io
        (tmp / "uploads").mkdir()
        app.config["UPLOAD_FOLDER"] = str(tmp / "uploads")
        request_args = {"method": "POST", "data": {"photo": (io.BytesIO(b"png"), "../me.png")}}
        """,
        after='assert (tmp / "uploads" / "me.png").read_bytes() == b"png"',
        request=True,
    ),
    "erlen.http.hosts": Steps(
        after="""
        assert client.get("/", headers={"Host": "evil.example.net"}).status_code == 400
        assert client.get("/", headers={"Host": "api.example.org"}).status_code == 404
        """
    ),
    "erlen.json.jsonify": Steps(
        before="""
        class User:
            def __init__(self, uid): self.uid = uid
            def to_dict(self): return {"id": self.uid}

        load_user = User
        """,
        after="""
        assert client.get("/users/3").json == {"id": 3, "name": "ann"}
        assert client.get("/users/4").json == {"id": 4}
        """,
    ),
    "erlen.json.tag": Steps(
        # The sessions' serializer is shared by every app: the tag goes after the test.
        before="""
        serializer = app.session_interface.serializer
        # Without a tag of that key, whatever an earlier test registered.
        tags = {key: tag for key, tag in serializer.tags.items() if key != "~od"}
        monkeypatch.setattr(serializer, "tags", tags)
        monkeypatch.setattr(serializer, "order", [t for t in serializer.order if t.key != "~od"])
        """,
        after="""
        from collections import OrderedDict
        serializer = app.session_interface.serializer
        loaded = serializer.loads(serializer.dumps(OrderedDict(b=1, a=2)))
        assert type(loaded) is OrderedDict and list(loaded) == ["b", "a"]
        """,
    ),
    "erlen.middleware.ProxyFix": Steps(
        before='@app.get("/")\ndef where(): return request.remote_addr',
        after='assert client.get("/", headers={"X-Forwarded-For": "203.0.113.9"}).text == "203.0.113.9"',
    ),
    "erlen.security": Steps(
        before='@app.get("/")\ndef home(): return "home"',
        after="""
        headers = client.get("/").headers
        assert headers["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in headers
        """,
    ),
    "erlen.sendfile.send_file": Steps(
        before="""
        (tmp / "reports").mkdir()
        (tmp / "reports" / "q3.pdf").write_bytes(b"%PDF-1.7")
        """,
        after="""
        answer = client.get("/report")
        assert answer.data == b"%PDF-1.7"
        assert answer.headers["Content-Disposition"].startswith("attachment;")
        """,
    ),
    "erlen.sendfile.send_from_directory": Steps(
        before="""
        (tmp / "uploads").mkdir()
        (tmp / "uploads" / "a.txt").write_text("a")
        """,
        after="""
        assert client.get("/uploads/a.txt").text == "a"
        assert client.get("/uploads/b.txt").status_code == 404
        """,
    ),
    "erlen.sessions.SecureCookieSession": Steps(
        before="session = SecureCookieSession({'cart': []}); item = 'tea'",
        after="assert session == {'cart': ['tea']} and session.modified",
    ),
    "erlen.sessions.SessionInterface": Steps(
        before="""
        class FakeRedis(dict):
            def setex(self, key, ttl, value): self[key] = value
            def delete(self, key): self.pop(key, None)

        redis = FakeRedis()
        """,
        after="""
        @app.get("/count")
        def count():
            session["n"] = session.get("n", 0) + 1
            return str(session["n"])

        assert [client.get("/count").text for _ in range(3)] == ["1", "2", "3"]
        assert list(redis.values()) == ['{"n": 3}']
        """,
    ),
    "erlen.signals": Steps(
        after="""
        assert list(template_rendered.receivers_for(app))
        template_rendered.disconnect(log_render, app)
        """
    ),
    "erlen.templating": Steps(
        before="""
        (tmp / "templates").mkdir()
        (tmp / "templates" / "hello.html").write_text("Hello {{ name }}")
        """,
        after='assert client.get("/hello/ada").text == "Hello ada"',
    ),
    "erlen.templating.render_template": Steps(
        before="""
        (tmp / "templates").mkdir()
        (tmp / "templates" / "user.html").write_text("User {{ name }}")
        """,
        after='assert client.get("/users/ada").text == "User ada"',
    ),
    "erlen.templating.render_template_string": Steps(
        after='assert client.get("/hello/<b>").text == "Hello &lt;b&gt;!"'
    ),
    "erlen.templating.stream_template": Steps(
        before="""
        (tmp / "templates").mkdir()
        (tmp / "templates" / "report.html").write_text("{% for row in rows %}{{ row }};{% endfor %}")

        def query_rows(): return [1, 2]
        """,
        after='assert client.get("/report").text == "1;2;"',
    ),
    "erlen.testing": Steps(
        before="""
        @app.post("/login")
        def login():
            return redirect(url_for("welcome", name=request.form["name"]))

        @app.get("/welcome/<name>")
        def welcome(name):
            return f"Welcome, {name}"

        @app.websocket("/echo")
        async def echo():
            await websocket.accept()
            await websocket.send(await websocket.receive())
        """
    ),
    "erlen.testing.client.Client.session_transaction": Steps(
        before='@app.get("/profile")\ndef profile(): return str(session["user_id"])',
        after='assert client.get("/profile").text == "1"',
    ),
    "erlen.testing.client.Client.websocket": Steps(
        before="""
        @app.websocket("/chat")
        async def chat():
            await websocket.accept(subprotocol="v1")
            message = await websocket.receive_json()
            await websocket.send_json({"said": message["say"]})
        """
    ),
    "erlen.testing.runner.ErlenCliRunner": Steps(
        before="""
        @app.cli.command("hello")
        def hello():
            print("Hello")
        """
    ),
    "erlen.typed.params": Steps(
        before="""
        from dataclasses import dataclass

        @dataclass
        class Item:
            name: str
        """
    ),
    "erlen.views": Steps(
        after="""
        assert client.get("/users/3").json == {"id": 3}
        assert client.delete("/users/3").status_code == 204
        """
    ),
    "erlen.websockets": Steps(
        after="""
        with client.websocket("/ws/tea") as ws:
            ws.send("hi")
            assert ws.receive() == "tea: hi"
        """
    ),
}

ALL = examples()
RUN = [example for example in ALL if example.language in PYTHON and not example.fragment]


def _compile_step(where: str, when: str, source: str) -> types.CodeType:
    """Compile a step, kept in linecache so that a traceback shows its lines."""
    name = f"STEPS[{where!r}].{when}"
    source = textwrap.dedent(source)
    linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
    return compile(source, name, "exec", dont_inherit=True)


def run(example: Example, folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Run one example as its docstring prints it; return its namespace."""
    from erlen import Erlen

    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    app = Erlen("docstring_example", root_path=str(folder))
    app.secret_key = "a secret key for the docstring examples, long enough"
    # A module of its own, as a reader's file would be (dataclasses look it up).
    example_module = types.ModuleType("docstring_example")
    monkeypatch.setitem(sys.modules, "docstring_example", example_module)
    namespace = example_module.__dict__
    exec("from erlen import *", namespace)
    module = importlib.import_module(example.module)
    namespace.update({name: getattr(module, name) for name in getattr(module, "__all__", [])})
    namespace.update(app=app, client=app.test_client(), tmp=folder, monkeypatch=monkeypatch)
    steps = STEPS.get(example.where, Steps())
    # Padded so that a traceback names the docstring's line in the source file.
    # dont_inherit: not this file's `from __future__ import annotations`.
    code = compile(
        "\n" * (example.line - 1) + example.code, example.file, "exec", dont_inherit=True
    )
    if steps.before:
        exec(_compile_step(example.where, "before", steps.before), namespace)
    if steps.request:
        request_args = namespace.get("request_args", {})
        assert isinstance(request_args, dict)
        with app.test_request_context(**request_args):
            exec(code, namespace)
    else:
        exec(code, namespace)
    if steps.after:
        exec(_compile_step(example.where, "after", steps.after), namespace)
    return namespace


@pytest.mark.parametrize("example", RUN, ids=[example.where for example in RUN])
def test_docstring_example_runs(example, tmp_path, monkeypatch):
    run(example, tmp_path, monkeypatch)


@pytest.mark.parametrize(
    "example",
    [example for example in ALL if example.fragment],
    ids=lambda example: example.where,
)
def test_a_fragment_is_still_python(example):
    compile(example.code, example.file, "exec")


def test_examples_are_found():
    # Most examples run; a block that does not run says what it is instead.
    assert len(RUN) > 40
    assert len(RUN) > 4 * (len(ALL) - len(RUN))


def test_every_step_names_an_example():
    known = {example.where for example in RUN}
    assert [where for where in STEPS if where not in known] == []


SAMPLE = '''
def view():
    """Return something.

    An example::

        app.no_such_method()

    A shell command:

    .. code-block:: sh

        erlen run

    A fragment:

    .. code-block:: python
        :class: fragment

        import this_is_not_run
    """


class Thing:
    """A thing.

    ::

        thing = 1
    """
'''


def test_blocks_are_found_with_their_language_and_line():
    found = examples_in(SAMPLE, "sample", "src/sample.py")
    assert [(e.where, e.line, e.language, e.fragment) for e in found] == [
        ("sample.view", 7, "python", False),
        ("sample.view#2", 13, "sh", False),
        ("sample.view#3", 20, "python", True),
        ("sample.Thing", 29, "python", False),
    ]
    assert found[0].code == "app.no_such_method()\n"
    assert found[3].code == "thing = 1\n"


def test_a_wrong_example_fails_and_names_its_line(tmp_path, monkeypatch):
    wrong = examples_in(SAMPLE, "erlen", "src/sample.py")[0]
    with pytest.raises(AttributeError) as caught:
        run(wrong, tmp_path, monkeypatch)
    frames = [(entry.frame.code.raw.co_filename, entry.lineno + 1) for entry in caught.traceback]
    assert ("src/sample.py", 7) in frames
