"""An app whose startup fails: an ASGI server must refuse to serve it.

``uvicorn realapp.failing:app`` should exit with an error status and print
:data:`MESSAGE`, which the lifespan protocol carries in
``lifespan.startup.failed``.
"""

from __future__ import annotations

from erlen import Erlen

MESSAGE = "realapp.failing could not reach its database at db.invalid:5432; start it, then retry"

app = Erlen(__name__)


@app.route("/")
def index() -> str:
    return "never served"


@app.before_serving
def connect_database() -> None:
    raise ConnectionError(MESSAGE)
