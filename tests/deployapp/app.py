"""A small erlen app, configured from the environment, as docs/deploying.md advises.

``test_deploy.py`` serves it with every command in the guide. Each answer
names the process (``os.getpid()``) that produced it, so a test can see
which worker answered, and the session counter shows that the signed-cookie
session needs nothing from the worker that set it. ``/where/``, ``/go`` and
``/orders/<id>`` show the links ``url_for`` builds when the app is mounted
under a prefix, inside a request and outside one.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from erlen import Erlen, redirect, request, session, url_for

app = Erlen(__name__)
app.config.update(MAX_CONTENT_LENGTH=1024 * 1024)
# ERLEN_SECRET_KEY (and any other ERLEN_* setting) comes from the environment.
app.config.from_prefixed_env()


@app.route("/")
def index() -> dict[str, Any]:
    return {"app": "deployapp", "pid": os.getpid()}


@app.route("/login", methods=["POST"])
def login() -> dict[str, Any]:
    session.clear()
    session["user"] = request.form["name"]
    session["count"] = 0
    return {"user": session["user"], "count": 0, "pid": os.getpid()}


@app.route("/count", methods=["POST"])
def count() -> dict[str, Any]:
    if "user" not in session:
        return {"error": "log in first", "pid": os.getpid()}, 403
    session["count"] = session["count"] + 1
    return {"user": session["user"], "count": session["count"], "pid": os.getpid()}


@app.route("/async")
async def async_view() -> dict[str, Any]:
    await asyncio.sleep(0)
    return {"async": True, "q": request.args.get("q"), "pid": os.getpid()}


@app.route("/hold/<name>")
def hold(name: str) -> dict[str, Any]:
    """Keep this worker busy until the test releases it (at most 15 s).

    A sync worker answers one request at a time, so while it holds, the
    next request must go to another worker: the session test uses this to
    choose which worker answers, instead of hoping.
    """
    folder = Path(os.environ["DEPLOYAPP_HOLD_DIR"])
    (folder / f"{name}.held").write_text(str(os.getpid()))
    deadline = time.monotonic() + 15
    while not (folder / f"{name}.release").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return {"held": name, "pid": os.getpid()}


@app.route("/where/")
def where() -> dict[str, Any]:
    """Say where the app is mounted, and the links ``url_for`` builds from that."""
    return {
        "root_path": request.root_path,
        "path": request.path,
        "url": url_for("where"),
        "external": url_for("order", order_id=42, _external=True),
        "pid": os.getpid(),
    }


@app.route("/go")
def go() -> Any:
    return redirect(url_for("where"))


@app.route("/orders/<int:order_id>")
def order(order_id: int) -> dict[str, Any]:
    return {"order": order_id, "pid": os.getpid()}
