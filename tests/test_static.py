"""The app's static route: /static/<path:filename>."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from erlen import Erlen, url_for

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
SECRET = b"SECRET = 'never serve me'"


@pytest.fixture
def site(tmp_path):
    """An app folder: app.py (a secret) beside static/ with css, js and an image."""
    (tmp_path / "app.py").write_bytes(SECRET)
    (tmp_path / "secret.txt").write_bytes(SECRET)
    static = tmp_path / "static"
    for name, data in {
        "css/site.css": b"body { color: red }",
        "js/app.js": b"console.log(1)",
        "img/logo.png": PNG,
        "sub/page.html": b"<p>hi</p>",
    }.items():
        path = static / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    # Files with Windows device names: refused by name, not because they are missing.
    (static / "NUL").write_bytes(b"device")
    (static / "con.txt").write_bytes(b"device")
    return tmp_path


@pytest.fixture
def app(site):
    app = Erlen("x", root_path=str(site))
    app.config["TESTING"] = True
    return app


@pytest.mark.parametrize(
    ("path", "content_type", "data"),
    [
        ("/static/css/site.css", "text/css; charset=utf-8", b"body { color: red }"),
        ("/static/img/logo.png", "image/png", PNG),
        ("/static/sub/page.html", "text/html; charset=utf-8", b"<p>hi</p>"),
    ],
)
def test_serves_files_with_their_type(client, path, content_type, data):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Length"] == str(len(data))
    assert response.data == data


def test_serves_javascript(client):
    response = client.get("/static/js/app.js")
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert response.data == b"console.log(1)"


def test_url_for_static(app):
    with app.test_request_context():
        assert url_for("static", filename="css/site.css") == "/static/css/site.css"


def test_custom_static_folder_and_url_path(site):
    (site / "assets").mkdir()
    (site / "assets" / "x.css").write_bytes(b"x")
    app = Erlen("x", root_path=str(site), static_folder="assets", static_url_path="/s")
    client = app.test_client()
    assert client.get("/s/x.css").data == b"x"
    assert client.get("/static/css/site.css").status_code == 404
    assert client.get("/s/../app.py").status_code == 404
    with app.test_request_context():
        assert url_for("static", filename="x.css") == "/s/x.css"


def test_static_url_path_follows_the_folder_name(site):
    (site / "assets").mkdir()
    (site / "assets" / "x.css").write_bytes(b"x")
    app = Erlen("x", root_path=str(site), static_folder="assets")
    assert app.test_client().get("/assets/x.css").data == b"x"


def test_absolute_static_folder(site, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "y.txt").write_bytes(b"y")
    app = Erlen("x", root_path=str(site), static_folder=str(elsewhere))
    client = app.test_client()
    assert client.get(f"/{elsewhere.name}/y.txt").data == b"y"


def test_no_static_folder_no_route(site):
    app = Erlen("x", root_path=str(site), static_folder=None)
    assert app.test_client().get("/static/css/site.css").status_code == 404


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "no-cache"),
        (0, "public, max-age=0"),
        (3600, "public, max-age=3600"),
        (timedelta(hours=12), "public, max-age=43200"),
    ],
)
def test_send_file_max_age_default(app, client, value, expected):
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = value
    assert client.get("/static/css/site.css").headers["Cache-Control"] == expected


TRAVERSALS = [
    "/static/../app.py",
    "/static/%2e%2e/app.py",
    "/static/%2E%2E/app.py",
    "/static/.%2e/app.py",
    "/static/..%2fapp.py",
    "/static/..%2Fapp.py",
    "/static/%2e%2e%2fapp.py",
    "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/static/../../../../../../etc/passwd",
    "/static//etc/passwd",
    "/static///etc/passwd",
    "/static/%2Fetc%2Fpasswd",
    "/static/%2fetc/passwd",
    "/static/..\\app.py",
    "/static/..%5capp.py",
    "/static/..%5Capp.py",
    "/static/sub\\..\\..\\app.py",
    "/static/a%00b.css",
    "/static/css/site.css%00.png",
    "/static/C:/windows/win.ini",
    "/static/c:%5cwindows%5cwin.ini",
    "/static/NUL",
    "/static/nul",
    "/static/con.txt",
    "/static/CON",
    "/static/sub/COM1.js",
    "/static/LPT1",
    "/static/sub/../../app.py",
    "/static/sub/%2e%2e/%2e%2e/app.py",
    "/static/css/../../secret.txt",
    "/static/...",
    "/static/../secret.txt",
    "/static/%252e%252e/app.py",  # decoded once: a literal "%2e%2e" folder, which is absent
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_attempts_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404, response.data
    assert b"SECRET" not in response.data
    assert b"device" not in response.data


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_attempts_never_reach_a_file(app, path, monkeypatch):
    opened = []
    real_open = os.open
    monkeypatch.setattr(
        "erlen.sendfile.os.open", lambda name, *args: opened.append(name) or real_open(name, *args)
    )
    app.test_client().get(path)
    # Either refused before opening, or opened something inside static/ that is absent.
    root = app.root_path
    static = os.path.join(root, "static")
    forbidden = {os.path.join(root, "app.py"), os.path.join(root, "secret.txt")}
    forbidden |= {os.path.join(static, "NUL"), os.path.join(static, "con.txt")}
    assert all(os.path.realpath(name).startswith(static + os.sep) for name in opened)
    assert not forbidden & {os.path.realpath(name) for name in opened}


def test_symlinks_out_of_the_static_folder_are_404(app, client, site):
    static = site / "static"
    (static / "leak.txt").symlink_to(site / "secret.txt")
    (static / "code").symlink_to(site, target_is_directory=True)
    (static / "style.css").symlink_to(static / "css" / "site.css")
    for path in ("/static/leak.txt", "/static/code/app.py"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"SECRET" not in response.data
    assert client.get("/static/style.css").data == b"body { color: red }"
    # An app whose static folder links out on purpose says so.
    app.config["STATIC_FOLLOW_SYMLINKS"] = True
    assert client.get("/static/leak.txt").data == SECRET
    assert client.get("/static/code/app.py").data == SECRET


@pytest.mark.parametrize("path", ["/static/css", "/static/css/", "/static/sub", "/static/"])
def test_directories_are_404(client, path):
    assert client.get(path).status_code == 404


def test_missing_file_is_404(client):
    assert client.get("/static/css/missing.css").status_code == 404


def test_head(client):
    get = client.get("/static/img/logo.png")
    head = client.head("/static/img/logo.png")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == str(len(PNG))
    for name in ("Content-Type", "ETag", "Last-Modified", "Cache-Control", "Accept-Ranges"):
        assert head.headers[name] == get.headers[name]


def test_304_round_trip(client, site):
    first = client.get("/static/css/site.css")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = client.get("/static/css/site.css", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    since = client.get("/static/css/site.css", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    # The file changes: the old ETag no longer matches.
    path = site / "static" / "css" / "site.css"
    path.write_bytes(b"body { color: blue; }")
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 10))
    changed = client.get("/static/css/site.css", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.data == b"body { color: blue; }"
    assert changed.headers["ETag"] != etag


def test_range_on_a_static_file(client):
    response = client.get("/static/img/logo.png", headers={"Range": "bytes=0-7"})
    assert response.status_code == 206
    assert response.data == PNG[:8]
    assert response.headers["Content-Range"] == f"bytes 0-7/{len(PNG)}"
