"""The WSGI benchmark's three endpoints as ASGI apps, one builder per framework.

- ``GET /`` returns ``Hello, World!`` as text.
- ``GET /user/<int:uid>`` returns ``{"id": uid, "name": "user<uid>"}`` as JSON.
- ``POST /form`` reads three urlencoded fields and returns them as text.

Each app is written the way its framework's documentation writes it, with
``async`` endpoints. erlen has two rows: ``erlen`` with ``async def`` views
(run on the event loop) and ``erlen-def`` with plain ``def`` views, the very
code of the WSGI benchmark, which erlen runs in its thread pool under ASGI.

Every builder imports its framework when called, so a missing or broken
framework fails only its own builder. The builders are also the factories
that ``bench/uvicorn_wrk.py`` hands to ``uvicorn --factory``.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoints'
# annotations at run time, and the names they use are imported inside a builder,
# out of reach of string annotations.
from typing import Any

# Keys are the names used on the command line; LABELS gives the table's rows.
FACTORIES = {
    "erlen": "erlen_app",
    "erlen-def": "erlen_def_app",
    "starlette": "starlette_app",
    "starlette-def": "starlette_def_app",
    "falcon": "falcon_app",
    "blacksheep": "blacksheep_app",
    "fastapi": "fastapi_app",
    "quart": "quart_app",
}
FRAMEWORKS = list(FACTORIES)
PEERS = ["starlette", "starlette-def", "falcon", "blacksheep", "fastapi", "quart"]
LABELS = {"erlen-def": "erlen (def views)", "starlette-def": "starlette (def endpoints)"}
# The distribution whose version a row reports.
DISTRIBUTIONS = {"erlen-def": "erlen", "starlette-def": "starlette"}


def label(name: str) -> str:
    """Return the table label for a framework key."""
    return LABELS.get(name, name)


def erlen_app() -> Any:
    """Return erlen with ``async def`` views, run on the event loop."""
    from erlen import Erlen, request

    app = Erlen(__name__)

    @app.route("/")
    async def hello():
        return "Hello, World!"

    @app.get("/user/<int:uid>")
    async def user(uid):
        return {"id": uid, "name": f"user{uid}"}

    @app.post("/form")
    async def form():
        # The ASGI adapter has read the body before the view: no await here.
        return f"{request.form['name']} <{request.form['email']}> {request.form['age']}"

    return app


def erlen_def_app() -> Any:
    """Return erlen with plain ``def`` views, which ASGI runs in a thread pool."""
    from erlen import Erlen, request

    app = Erlen(__name__)

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


def starlette_app() -> Any:
    """Return Starlette with a route table and async endpoints."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    async def hello(request):
        return PlainTextResponse("Hello, World!")

    async def user(request):
        uid = request.path_params["uid"]
        return JSONResponse({"id": uid, "name": f"user{uid}"})

    async def form(request):
        form = await request.form()
        return PlainTextResponse(f"{form['name']} <{form['email']}> {form['age']}")

    return Starlette(
        routes=[
            Route("/", hello),
            Route("/user/{uid:int}", user),
            Route("/form", form, methods=["POST"]),
        ]
    )


def starlette_def_app() -> Any:
    """Return Starlette with plain ``def`` endpoints, which it runs in a thread pool.

    The form endpoint stays ``async``: Starlette reads a form only with ``await``.
    """
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    def hello(request):
        return PlainTextResponse("Hello, World!")

    def user(request):
        uid = request.path_params["uid"]
        return JSONResponse({"id": uid, "name": f"user{uid}"})

    async def form(request):
        form = await request.form()
        return PlainTextResponse(f"{form['name']} <{form['email']}> {form['age']}")

    return Starlette(
        routes=[
            Route("/", hello),
            Route("/user/{uid:int}", user),
            Route("/form", form, methods=["POST"]),
        ]
    )


def blacksheep_app() -> Any:
    """Return BlackSheep (request and response types compiled with Cython)."""
    from blacksheep import Application, Request, json, text

    app = Application()

    @app.router.get("/")
    async def hello():
        return text("Hello, World!")

    @app.router.get("/user/{uid}")
    async def user(uid: int):
        return json({"id": uid, "name": f"user{uid}"})

    @app.router.post("/form")
    async def form(request: Request):
        data = await request.form()
        return text(f"{data['name']} <{data['email']}> {data['age']}")

    return app


def falcon_app() -> Any:
    """Return ``falcon.asgi.App`` with async responders."""
    import falcon
    import falcon.asgi

    class Hello:
        async def on_get(self, req, resp):
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = "Hello, World!"

    class User:
        async def on_get(self, req, resp, uid):
            resp.media = {"id": uid, "name": f"user{uid}"}

    class Form:
        async def on_post(self, req, resp):
            # The default media handlers include urlencoded forms.
            form = await req.get_media()
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = f"{form['name']} <{form['email']}> {form['age']}"

    app = falcon.asgi.App()
    app.add_route("/", Hello())
    app.add_route("/user/{uid:int}", User())
    app.add_route("/form", Form())
    return app


def fastapi_app() -> Any:
    """Return FastAPI with a typed path parameter and ``Form`` fields."""
    from typing import Annotated

    from fastapi import FastAPI, Form
    from fastapi.responses import PlainTextResponse

    app = FastAPI()

    @app.get("/", response_class=PlainTextResponse)
    async def hello():
        return "Hello, World!"

    @app.get("/user/{uid}")
    async def user(uid: int):
        return {"id": uid, "name": f"user{uid}"}

    @app.post("/form", response_class=PlainTextResponse)
    async def form(
        name: Annotated[str, Form()],
        email: Annotated[str, Form()],
        age: Annotated[int, Form()],
    ):
        return f"{name} <{email}> {age}"

    return app


def quart_app() -> Any:
    """Return Quart with async views and ``await request.form``."""
    from quart import Quart, request

    app = Quart(__name__)

    @app.route("/")
    async def hello():
        return "Hello, World!"

    @app.get("/user/<int:uid>")
    async def user(uid):
        return {"id": uid, "name": f"user{uid}"}

    @app.post("/form")
    async def form():
        form = await request.form
        return f"{form['name']} <{form['email']}> {form['age']}"

    return app


def build(name: str) -> Any:
    """Build the app of one framework key."""
    return globals()[FACTORIES[name]]()


def distribution(name: str) -> str:
    """Return the installed distribution a framework key stands for."""
    return DISTRIBUTIONS.get(name, name)
