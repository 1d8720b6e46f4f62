"""An erlen app for hostile input over real sockets (tests/test_hostile.py).

erlen's development server, gunicorn, uvicorn and hypercorn serve it; the
tests send malformed bytes, then check that it still answers ``/``. Its
views echo what erlen made of the request, so a test can see whether a
spoofed or broken header got through. ``secret.txt`` sits beside
``static/``: no URL may reach it.
"""

from __future__ import annotations

from typing import Any

from erlen import Erlen, Response, redirect, request, url_for

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


# Two catch-all routes with a trailing slash: a request without it gets the
# slash redirect, the path an open redirect would abuse.
@app.route("/<a>/")
def one_level(a: str) -> str:
    return f"one {a}"


@app.route("/<string(minlength=0):first>/<second>/")
def two_levels(first: str, second: str) -> str:
    return f"two {first} {second}"
