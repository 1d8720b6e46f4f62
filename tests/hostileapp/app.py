"""An erlen app for hostile input over real sockets (tests/test_hostile.py).

erlen's development server, gunicorn, uvicorn and hypercorn serve it; the
tests send malformed bytes, then check that it still answers ``/``. Its
views echo what erlen made of the request, so a test can see whether a
spoofed or broken header got through. ``secret.txt`` sits beside
``static/``: no URL may reach it, not even through a symbolic link.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from erlen import Erlen, Response, redirect, request, send_from_directory, url_for
from erlen.utils import secure_filename

HERE = Path(__file__).resolve().parent
#: A folder for send_from_directory: a file in it, and a link out of it to
#: secret.txt. Another for uploads. Both this process's own, removed at exit.
LINKED = Path(tempfile.mkdtemp(prefix="hostile-linked-"))
(LINKED / "inside.txt").write_text("inside")
os.symlink(HERE / "secret.txt", LINKED / "outside.txt")
UPLOADS = Path(tempfile.mkdtemp(prefix="hostile-uploads-"))
atexit.register(shutil.rmtree, LINKED, True)
atexit.register(shutil.rmtree, UPLOADS, True)

app = Erlen(__name__)
# The answers echo what arrived as UTF-8, not as \u escapes, so the tests read the bytes.
app.json.ensure_ascii = False
app.config.update(MAX_CONTENT_LENGTH=64 * 1024)


@app.route("/")
def index() -> str:
    return "hostile: ok"


@app.route("/echo", methods=["GET", "POST"])
def echo() -> dict[str, Any]:
    return {
        "path": request.path,
        "args": request.args.to_dict(),
        "cookies": request.cookies.to_dict(),
        "x": request.headers.get("X-Test"),
        "length": len(request.get_data()),
    }


@app.route("/whoami")
def whoami() -> dict[str, Any]:
    return {
        "host": request.host,
        "remote_addr": request.remote_addr,
        "scheme": request.scheme,
        "root_path": request.root_path,
        "external": url_for("whoami", _external=True),
    }


@app.route("/next")
def follow_next() -> Response:
    # An app that checked ?next= for a leading "//" and passes it on.
    target = request.args.get("next", "/")
    return redirect(target if not target.startswith(("//", "/\\")) else "/")


# A rule url_for builds with whatever value the client sent (issue 15, item 2).
app.add_url_rule("/<path:page>", endpoint="page", build_only=True)


@app.route("/go")
def go() -> Response:
    return redirect(url_for("page", page=request.args.get("to", "")))


@app.route("/linked/<name>")
def linked(name: str) -> Response:
    return send_from_directory(LINKED, name)


@app.post("/upload")
def upload() -> dict[str, Any]:
    saved = []
    for file in request.files.getlist("file"):
        name = secure_filename(file.filename or "")
        file.save(UPLOADS, name=name)
        saved.append(name)
    return {"saved": saved}


# Four variables in one segment: one regex over the path took time growing
# with the fourth power of a long segment of dots to miss it.
@app.route("/r/<a>.<b>.<c>.<int:d>/e")
def dotted(a: str, b: str, c: str, d: int) -> str:
    return "dotted"


# Two catch-all routes with a trailing slash: a request without it gets the
# slash redirect, the path an open redirect would abuse.
@app.route("/<a>/")
def one_level(a: str) -> str:
    return f"one {a}"


@app.route("/<string(minlength=0):first>/<second>/")
def two_levels(first: str, second: str) -> str:
    return f"two {first} {second}"
