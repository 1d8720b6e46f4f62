"""The same three endpoints, written the way each framework's users write them.

- ``GET /`` returns ``Hello, World!`` as text.
- ``GET /user/<int:uid>`` returns ``{"id": uid, "name": "user<uid>"}`` as JSON.
- ``POST /form`` reads three urlencoded fields and returns them as text.

Each builder imports its framework when called, so a missing or broken
framework fails only its own builder.
"""

from __future__ import annotations

import importlib
import json
from importlib import metadata
from pathlib import Path


def _flask_style_app(module_name: str, class_name: str):
    # erlen and Flask run the very same application code: only the import differs.
    module = importlib.import_module(module_name)
    request = module.request
    app = getattr(module, class_name)(__name__)

    @app.route("/")
    def hello():
        return "Hello, World!"

    @app.get("/user/<int:uid>")
    def user(uid):
        return {"id": uid, "name": f"user{uid}"}

    @app.post("/form")
    def form():
        return f"{request.form['name']} <{request.form['email']}> {request.form['age']}"

    return app


def erlen_app():
    return _flask_style_app("erlen", "Erlen")


def flask_app():
    return _flask_style_app("flask", "Flask")


def falcon_app():
    import falcon

    class Hello:
        def on_get(self, req, resp):
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = "Hello, World!"

    class User:
        def on_get(self, req, resp, uid):
            resp.media = {"id": uid, "name": f"user{uid}"}

    class Form:
        def on_post(self, req, resp):
            # Falcon 3+ parses urlencoded bodies with its default media
            # handler (URLEncodedFormHandler); get_media() is the documented way.
            form = req.get_media()
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = f"{form['name']} <{form['email']}> {form['age']}"

    app = falcon.App()
    app.add_route("/", Hello())
    app.add_route("/user/{uid:int}", User())
    app.add_route("/form", Form())
    return app


def bottle_app():
    import bottle
    from bottle import request

    app = bottle.Bottle()

    @app.route("/")
    def hello():
        return "Hello, World!"

    @app.get("/user/<uid:int>")
    def user(uid):
        return {"id": uid, "name": f"user{uid}"}

    @app.post("/form")
    def form():
        # Attribute access is Bottle's recommended way: it decodes to str.
        forms = request.forms
        return f"{forms.name} <{forms.email}> {forms.age}"

    return app


BUILDERS = {
    "erlen": erlen_app,
    "flask": flask_app,
    "falcon": falcon_app,
    "bottle": bottle_app,
}

FRAMEWORKS = list(BUILDERS)
SRC = Path(__file__).resolve().parent.parent / "src"


def version(name):
    """Return the installed version of a framework, or a note why not."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        pass
    try:
        module = importlib.import_module(name)
    except Exception as exc:
        return f"unavailable ({type(exc).__name__})"
    return getattr(module, "__version__", "dev")


def write_report(path: str, report: dict) -> None:
    """Save a benchmark's results as JSON (creating the folder)."""
    import json
    import os

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as file:
        json.dump(report, file, indent=2)
    print(f"wrote {path}")


FORM_BODY = b"name=Ada+Lovelace&email=ada%40example.com&age=36"

# name -> (method, path, body, content type, expected body): the cases every
# benchmark runs, WSGI and ASGI alike.
CASES = {
    "hello": ("GET", "/", b"", None, b"Hello, World!"),
    "json": ("GET", "/user/42", b"", None, {"id": 42, "name": "user42"}),
    "form": (
        "POST",
        "/form",
        FORM_BODY,
        "application/x-www-form-urlencoded",
        b"Ada Lovelace <ada@example.com> 36",
    ),
}


def answer_ok(data: bytes, expected) -> bool:
    """Whether a body is the expected one (JSON compared as data)."""
    if isinstance(expected, dict):
        try:
            return json.loads(data) == expected
        except ValueError:
            return False
    return data == expected
