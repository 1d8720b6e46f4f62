"""send_file, send_from_directory and safe_join."""

from __future__ import annotations

import io
import os
import sys
from datetime import datetime, timedelta, timezone

import pytest

from erlen import Erlen
from erlen.http import http_date
from erlen.http.exceptions import NotFound
from erlen.sendfile import CHUNK_SIZE, safe_join, send_file, send_from_directory

MTIME = 1_700_000_000  # Tue, 14 Nov 2023 22:13:20 GMT
DATA = bytes(range(100))


@pytest.fixture
def app(tmp_path):
    """An app rooted in tmp_path (conftest's ``client`` validates it with wsgiref)."""
    app = Erlen("x", root_path=str(tmp_path))
    app.config["TESTING"] = True
    return app


def write(tmp_path, name, data=DATA, mtime=MTIME):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def serve(app, make, methods=("GET",)):
    """Route ``/f`` to a view returning ``make()``."""
    app.add_url_rule("/f", "f", lambda: make(), methods=list(methods))


@pytest.fixture
def data_file(tmp_path, app):
    path = write(tmp_path, "data.bin")
    serve(app, lambda: send_file("data.bin"), methods=("GET", "POST"))
    return path


# -- Content-Type -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("site.css", "text/css; charset=utf-8"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("page.html", "text/html; charset=utf-8"),
        ("data.json", "application/json; charset=utf-8"),
        ("logo.png", "image/png"),
        ("photo.JPG", "image/jpeg"),
        ("archive.tar.gz", "application/gzip"),
        ("blob.unknownext", "application/octet-stream"),
        ("README", "application/octet-stream"),
    ],
)
def test_content_type_guessed_from_name(app, client, tmp_path, name, expected):
    write(tmp_path, name)
    serve(app, lambda: send_file(name))
    response = client.get("/f")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == expected
    assert "Content-Encoding" not in response.headers
    assert response.data == DATA


def test_javascript_gets_a_charset(app, client, tmp_path):
    write(tmp_path, "app.js")
    serve(app, lambda: send_file("app.js"))
    mimetype, _, params = client.get("/f").headers["Content-Type"].partition("; ")
    assert mimetype in ("text/javascript", "application/javascript")
    assert params == "charset=utf-8"


def test_explicit_mimetype_and_download_name_decide_the_type(app, client, tmp_path):
    write(tmp_path, "data.bin")
    serve(app, lambda: send_file("data.bin", mimetype="text/csv"))
    assert client.get("/f").headers["Content-Type"] == "text/csv; charset=utf-8"
    other = Erlen("y", root_path=str(tmp_path))
    serve(other, lambda: send_file("data.bin", download_name="report.pdf"))
    assert other.test_client().get("/f").headers["Content-Type"] == "application/pdf"


def test_mimetype_with_newline_is_refused(app, tmp_path):
    path = write(tmp_path, "data.bin")
    with app.test_request_context(), pytest.raises(ValueError, match="newline"):
        send_file(path, mimetype="text/plain\r\nSet-Cookie: a=1")


# -- Content-Disposition -----------------------------------------------------


def test_no_disposition_by_default(app, client, data_file):
    assert "Content-Disposition" not in client.get("/f").headers


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"as_attachment": True}, 'attachment; filename="data.bin"'),
        ({"as_attachment": True, "download_name": "q3.pdf"}, 'attachment; filename="q3.pdf"'),
        ({"download_name": "q3.pdf"}, 'inline; filename="q3.pdf"'),
        (
            {"as_attachment": True, "download_name": "résumé.pdf"},
            "attachment; filename=\"resume.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
        ),
        (
            {"as_attachment": True, "download_name": "文件.txt"},
            "attachment; filename*=UTF-8''%E6%96%87%E4%BB%B6.txt",
        ),
        (
            {"as_attachment": True, "download_name": "a b;c=d.txt"},
            'attachment; filename="a b;c=d.txt"',
        ),
    ],
)
def test_content_disposition(app, client, tmp_path, kwargs, expected):
    write(tmp_path, "data.bin")
    serve(app, lambda: send_file("data.bin", **kwargs))
    assert client.get("/f").headers["Content-Disposition"] == expected


@pytest.mark.parametrize(
    "name",
    [
        'evil".txt',
        "evil\r\nSet-Cookie: session=stolen.txt",
        "evil\nX-Injected: 1.txt",
        "evil\\\x00\x7f.txt",
        'é"\r\nSet-Cookie: a=1.txt',
    ],
)
def test_download_name_cannot_inject_headers(app, client, tmp_path, name):
    write(tmp_path, "data.bin")
    serve(app, lambda: send_file("data.bin", as_attachment=True, download_name=name))
    response = client.get("/f")
    assert response.status_code == 200
    value = response.headers["Content-Disposition"]
    assert not any(char in value for char in "\r\n\x00\x7f\\")
    assert value.count('"') in (0, 2)
    assert "Set-Cookie" not in response.headers
    assert "X-Injected" not in response.headers
    assert response.data == DATA


# -- file objects ------------------------------------------------------------


def test_bytesio_is_sent_and_closed(app, client):
    buffer = io.BytesIO(b"hello world")
    serve(app, lambda: send_file(buffer, mimetype="text/plain"))
    response = client.get("/f")
    assert response.data == b"hello world"
    assert response.headers["Content-Length"] == "11"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "ETag" not in response.headers
    assert "Last-Modified" not in response.headers
    assert buffer.closed


def test_bytesio_is_sent_from_its_position(app, client):
    buffer = io.BytesIO(b"skip:rest")
    buffer.seek(5)
    serve(app, lambda: send_file(buffer, download_name="x.txt"))
    response = client.get("/f", headers={"Range": "bytes=1-"})
    assert response.status_code == 206
    assert response.data == b"est"
    assert response.headers["Content-Range"] == "bytes 1-3/4"
    assert response.headers["Content-Disposition"] == 'inline; filename="x.txt"'


def test_open_file_uses_its_name_and_is_closed(app, client, tmp_path):
    path = write(tmp_path, "notes.txt", b"some notes")
    opened = []

    def view():
        opened.append(open(path, "rb"))  # send_file closes it
        return send_file(opened[-1], as_attachment=True)

    app.add_url_rule("/f", "f", view)
    response = client.get("/f")
    assert response.data == b"some notes"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert opened[0].closed
    client.head("/f")
    assert opened[1].closed


def test_unseekable_file_object_streams_to_the_end(app, client):
    class Pipe:
        def __init__(self):
            self.chunks = [b"a" * CHUNK_SIZE, b"b" * 10]
            self.closed = False

        def read(self, size=-1):
            return self.chunks.pop(0) if self.chunks else b""

        def seekable(self):
            return False

        def close(self):
            self.closed = True

    pipe = Pipe()
    serve(app, lambda: send_file(pipe, mimetype="application/octet-stream"))
    response = client.get("/f", headers={"Range": "bytes=0-1"})
    assert response.status_code == 200
    assert response.data == b"a" * CHUNK_SIZE + b"b" * 10
    assert "Content-Length" not in response.headers
    assert "Accept-Ranges" not in response.headers
    assert pipe.closed


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({}, "mimetype="), ({"mimetype": "text/plain", "as_attachment": True}, "download_name=")],
)
def test_file_object_without_name_needs_help(app, kwargs, match):
    with app.test_request_context(), pytest.raises(TypeError, match=match):
        send_file(io.BytesIO(b"x"), **kwargs)


def test_text_file_object_is_refused(app):
    with app.test_request_context(), pytest.raises(TypeError, match="binary mode"):
        send_file(io.StringIO("x"), mimetype="text/plain")  # type: ignore[arg-type]


def test_file_object_is_closed_when_the_response_fails(app):
    buffer = io.BytesIO(b"x")
    with app.test_request_context(), pytest.raises(TypeError):
        send_file(buffer)
    assert buffer.closed


# -- paths -------------------------------------------------------------------


def test_relative_path_is_taken_from_root_path(app, tmp_path, monkeypatch):
    write(tmp_path, "sub/file.txt", b"rooted")
    monkeypatch.chdir(tmp_path.parent)
    with app.test_request_context():
        response = send_file("sub/file.txt")
        assert response.get_data() == b"rooted"
        response.close()


def test_absolute_path_works_without_an_app(tmp_path):
    path = write(tmp_path, "file.txt", b"no app")
    response = send_file(str(path))
    assert response.get_data() == b"no app"
    assert response.headers["Cache-Control"] == "no-cache"
    response.close()
    with pytest.raises(RuntimeError, match="application context"):
        send_file("file.txt")


def test_missing_file_and_directory_raise(app, tmp_path):
    with app.test_request_context():
        with pytest.raises(FileNotFoundError):
            send_file("missing.txt")
        with pytest.raises(IsADirectoryError):
            send_file(tmp_path)


def test_missing_file_is_a_server_error_through_a_view(app, client):
    serve(app, lambda: send_file("missing.txt"))
    with pytest.raises(FileNotFoundError):
        client.get("/f")  # TESTING propagates the error
    app.config["TESTING"] = False
    assert client.get("/f").status_code == 500


# -- validators and caching --------------------------------------------------


def test_validators_and_no_cache_by_default(app, client, data_file):
    response = client.get("/f")
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Last-Modified"] == http_date(MTIME) == "Tue, 14 Nov 2023 22:13:20 GMT"
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Length"] == "100"
    assert client.get("/f").headers["ETag"] == etag  # stable


def test_etag_changes_with_the_file(app, client, tmp_path, data_file):
    first = client.get("/f").headers["ETag"]
    write(tmp_path, "data.bin", DATA, mtime=MTIME + 1)
    second = client.get("/f").headers["ETag"]
    write(tmp_path, "data.bin", DATA + b"!", mtime=MTIME + 1)
    third = client.get("/f").headers["ETag"]
    assert len({first, second, third}) == 3


@pytest.mark.parametrize(
    ("max_age", "expected"),
    [
        (None, "no-cache"),
        (0, "public, max-age=0"),
        (3600, "public, max-age=3600"),
        (timedelta(days=1), "public, max-age=86400"),
        (lambda path: 42 if path.endswith(".bin") else None, "public, max-age=42"),
    ],
)
def test_max_age(app, client, tmp_path, max_age, expected):
    write(tmp_path, "data.bin")
    serve(app, lambda: send_file("data.bin", max_age=max_age))
    assert client.get("/f").headers["Cache-Control"] == expected


def test_explicit_etag_and_last_modified(app, client, tmp_path):
    write(tmp_path, "data.bin")
    when = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    serve(app, lambda: send_file("data.bin", etag="v1", last_modified=when))
    response = client.get("/f")
    assert response.headers["ETag"] == '"v1"'
    assert response.headers["Last-Modified"] == "Thu, 02 Jan 2020 03:04:05 GMT"
    assert client.get("/f", headers={"If-None-Match": '"v1"'}).status_code == 304


def test_explicit_validators_are_for_one_response_only(app, client, tmp_path):
    # A file's description is kept between requests: what one caller chose
    # must not show up in the next response for the same file.
    write(tmp_path, "data.bin")
    when = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    app.add_url_rule(
        "/chosen", "chosen", lambda: send_file("data.bin", etag="v1", last_modified=when)
    )
    app.add_url_rule("/plain", "plain", lambda: send_file("data.bin"))
    plain = client.get("/plain").headers
    assert client.get("/chosen").headers["ETag"] == '"v1"'
    again = client.get("/plain").headers
    assert again["ETag"] == plain["ETag"] != '"v1"'
    assert again["Last-Modified"] == plain["Last-Modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"


@pytest.mark.parametrize(("etag", "header"), [('W/"v2"', 'W/"v2"'), ('"v3"', '"v3"')])
def test_quoted_etag_is_kept(app, client, tmp_path, etag, header):
    write(tmp_path, "data.bin")
    serve(app, lambda: send_file("data.bin", etag=etag))
    assert client.get("/f").headers["ETag"] == header


def test_no_etag(app, client, tmp_path):
    write(tmp_path, "data.bin")
    serve(app, lambda: send_file("data.bin", etag=False))
    assert "ETag" not in client.get("/f").headers


def test_etag_with_newline_is_refused(app, tmp_path):
    path = write(tmp_path, "data.bin")
    with app.test_request_context(), pytest.raises(ValueError):
        send_file(path, etag="a\r\nX: y")


# -- conditional requests ------------------------------------------------------


def etag_of(client):
    return client.get("/f").headers["ETag"]


@pytest.mark.parametrize(
    "header",
    [
        "{etag}",
        "W/{etag}",
        "*",
        '"other", {etag}',
        '"other",W/{etag} , "more"',
    ],
)
def test_if_none_match_gives_304(client, data_file, header):
    etag = etag_of(client)
    response = client.get("/f", headers={"If-None-Match": header.format(etag=etag)})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Last-Modified"] == http_date(MTIME)
    for name in ("Content-Type", "Content-Length", "Content-Range", "Accept-Ranges"):
        assert name not in response.headers


def test_if_none_match_mismatch_gives_200(client, data_file):
    response = client.get("/f", headers={"If-None-Match": '"other", W/"else"'})
    assert response.status_code == 200
    assert response.data == DATA


@pytest.mark.parametrize(
    ("since", "status"),
    [(MTIME, 304), (MTIME + 3600, 304), (MTIME - 1, 200)],
)
def test_if_modified_since(client, data_file, since, status):
    response = client.get("/f", headers={"If-Modified-Since": http_date(since)})
    assert response.status_code == status
    assert len(response.data) == (0 if status == 304 else 100)


def test_if_none_match_wins_over_if_modified_since(client, data_file):
    headers = {"If-None-Match": '"other"', "If-Modified-Since": http_date(MTIME)}
    assert client.get("/f", headers=headers).status_code == 200


@pytest.mark.parametrize("since", ["yesterday", "", "Tue, 99 Nov 2023 22:13:20 GMT"])
def test_malformed_if_modified_since_is_ignored(client, data_file, since):
    assert client.get("/f", headers={"If-Modified-Since": since}).status_code == 200


def test_head_gives_304_too(client, data_file):
    etag = etag_of(client)
    assert client.head("/f", headers={"If-None-Match": etag}).status_code == 304


def test_if_none_match_on_post_is_a_failed_precondition(client, data_file):
    etag = etag_of(client)
    assert client.post("/f", headers={"If-None-Match": etag}).status_code == 412
    assert client.post("/f", headers={"If-Modified-Since": http_date(MTIME)}).status_code == 200


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"If-Match": "*"}, 200),
        ({"If-Match": "{etag}"}, 200),
        ({"If-Match": '"other"'}, 412),
        ({"If-Match": "W/{etag}"}, 412),  # If-Match compares strongly
        ({"If-Unmodified-Since": http_date(MTIME)}, 200),
        ({"If-Unmodified-Since": http_date(MTIME - 60)}, 412),
        ({"If-Match": "{etag}", "If-Unmodified-Since": http_date(MTIME - 60)}, 200),
    ],
)
def test_if_match_and_if_unmodified_since(client, data_file, headers, status):
    etag = etag_of(client)
    headers = {name: value.format(etag=etag) for name, value in headers.items()}
    assert client.get("/f", headers=headers).status_code == status


def test_conditional_false_ignores_conditions_and_ranges(app, client, tmp_path):
    write(tmp_path, "data.bin")
    serve(app, lambda: send_file("data.bin", conditional=False))
    response = client.get("/f", headers={"If-None-Match": "*", "Range": "bytes=0-1"})
    assert response.status_code == 200
    assert response.data == DATA
    assert "Accept-Ranges" not in response.headers


def test_file_is_closed_after_304(app, client):
    buffer = io.BytesIO(b"x")
    serve(app, lambda: send_file(buffer, mimetype="text/plain", etag="t"))
    assert client.get("/f", headers={"If-None-Match": '"t"'}).status_code == 304
    assert buffer.closed


# -- ranges ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=10-19", 10, 19),
        ("bytes=-5", 95, 99),
        ("bytes=90-", 90, 99),
        ("bytes=95-1000", 95, 99),
        ("bytes=-1000", 0, 99),
        ("bytes=99-99", 99, 99),
        ("BYTES = 0-0", 0, 0),
        ("bytes=0-9, ", 0, 9),
        ("bytes=0-99999999999999999999999999", 0, 99),
    ],
)
def test_range_gives_206(client, data_file, header, first, last):
    response = client.get("/f", headers={"Range": header})
    assert response.status_code == 206
    assert response.data == DATA[first : last + 1]
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/100"
    assert response.headers["Content-Length"] == str(last - first + 1)
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "ETag" in response.headers


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=1000-2000", "bytes=-0"])
def test_unsatisfiable_range_gives_416(client, data_file, header):
    response = client.get("/f", headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */100"


def test_any_range_of_an_empty_file_is_unsatisfiable(app, client, tmp_path):
    write(tmp_path, "empty.txt", b"")
    serve(app, lambda: send_file("empty.txt"))
    assert client.get("/f").data == b""
    response = client.get("/f", headers={"Range": "bytes=0-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */0"


@pytest.mark.parametrize(
    "header",
    [
        "bytes=abc",
        "bytes=5-2",  # last before first: invalid
        "bytes=",
        "bytes 0-1",
        "bytes=0-1-2",
        "bytes=+1-2",
        "bytes=0x1-2",
        "bytes=1 - 2",
        "items=0-1",
        "=0-1",
        "bytes=" + "9" * 5000 + "-",
        "bytes=0-1,5-6",  # several ranges: the whole file (see _parse_range)
        "bytes=0-1, -5",
    ],
)
def test_malformed_or_multiple_ranges_give_the_whole_file(client, data_file, header):
    response = client.get("/f", headers={"Range": header})
    assert response.status_code == 200
    assert response.data == DATA
    assert "Content-Range" not in response.headers


@pytest.mark.parametrize(
    ("if_range", "status"),
    [
        ("{etag}", 206),
        ('"other"', 200),
        ("W/{etag}", 200),  # If-Range compares strongly
        (http_date(MTIME), 206),
        (http_date(MTIME - 1), 200),
        (http_date(MTIME + 1), 200),
        ("garbage", 200),
    ],
)
def test_if_range(client, data_file, if_range, status):
    etag = etag_of(client)
    headers = {"Range": "bytes=0-9", "If-Range": if_range.format(etag=etag)}
    response = client.get("/f", headers=headers)
    assert response.status_code == status
    assert response.data == (DATA[:10] if status == 206 else DATA)


def test_range_is_only_for_get(client, data_file):
    for send in (client.head, client.post):
        response = send("/f", headers={"Range": "bytes=0-9"})
        assert response.status_code == 200
        assert response.headers["Content-Length"] == "100"


def test_304_wins_over_range(client, data_file):
    etag = etag_of(client)
    response = client.get("/f", headers={"Range": "bytes=0-9", "If-None-Match": etag})
    assert response.status_code == 304


# -- HEAD and streaming --------------------------------------------------------


def test_head_has_the_headers_and_no_body(client, data_file):
    get = client.get("/f")
    head = client.head("/f")
    assert head.status_code == 200
    assert head.data == b""
    for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified", "Cache-Control"):
        assert head.headers[name] == get.headers[name]


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def test_large_file_is_streamed_in_chunks(app, client, tmp_path):
    data = os.urandom(2 * 1024 * 1024 + 7)
    path = write(tmp_path, "big.bin", data)
    serve(app, lambda: send_file("big.bin"))
    response = client.get("/f")
    assert response.status_code == 200
    assert response.data == data
    assert response.headers["Content-Length"] == str(len(data))
    assert client.get("/f", headers={"Range": "bytes=1000000-"}).data == data[1000000:]
    with app.test_request_context():
        response = send_file(path)
        assert response.is_streamed
        assert not isinstance(response.response, list)
        sizes = [len(chunk) for chunk in response.response]
        assert max(sizes) <= CHUNK_SIZE
        assert sum(sizes) == len(data)
        response.close()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_file_is_closed_when_the_response_is(app, client, tmp_path, data_file):
    before = open_fds()
    for method in ("GET", "HEAD"):
        client.open("/f", method)
        client.open("/f", method, headers={"Range": "bytes=0-1"})
        client.open("/f", method, headers={"If-None-Match": "*"})
        client.open("/f", method, headers={"Range": "bytes=500-"})
    assert open_fds() == before
    with app.test_request_context():
        send_file(data_file).close()  # closed before it was read
        response = send_file(data_file)
        next(iter(response.response))
        response.close()  # closed half way
    assert open_fds() == before


def test_a_file_that_shrinks_while_sent_fails_loudly(app, tmp_path):
    path = write(tmp_path, "data.bin", b"x" * (CHUNK_SIZE + 10))
    with app.test_request_context():
        response = send_file(path)
        chunks = iter(response.response)
        next(chunks)
        path.write_bytes(b"")
        with pytest.raises(OSError, match="shrank"):
            next(chunks)
        response.close()


# -- send_from_directory -------------------------------------------------------


def test_send_from_directory(app, client, tmp_path):
    write(tmp_path, "files/sub/a.txt", b"a")
    write(tmp_path, "secret.txt", b"SECRET")
    app.add_url_rule("/files/<path:name>", "files", lambda name: send_from_directory("files", name))
    assert client.get("/files/sub/a.txt").data == b"a"
    for path in ("/files/missing.txt", "/files/sub", "/files/sub/", "/files/../secret.txt"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"SECRET" not in response.data


def test_send_from_directory_passes_options_on(app, client, tmp_path):
    write(tmp_path, "files/a.txt", b"a")
    app.add_url_rule(
        "/f", "f", lambda: send_from_directory(tmp_path / "files", "a.txt", as_attachment=True)
    )
    response = client.get("/f")
    assert response.headers["Content-Disposition"] == 'attachment; filename="a.txt"'


@pytest.mark.parametrize("name", ["../secret.txt", "/etc/passwd", "missing", "", "sub"])
def test_send_from_directory_raises_not_found(app, tmp_path, name):
    write(tmp_path, "files/sub/a.txt")
    write(tmp_path, "secret.txt")
    with app.test_request_context(), pytest.raises(NotFound):
        send_from_directory(tmp_path / "files", name)


def _linked_folder(tmp_path):
    """files/ with links out of it (to a file, to a folder) and links inside it."""
    write(tmp_path, "files/sub/a.txt", b"inside")
    write(tmp_path, "outside/secret.txt", b"SECRET")
    files = tmp_path / "files"
    (files / "file-out.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    (files / "dir-out").symlink_to(tmp_path / "outside", target_is_directory=True)
    (files / "file-in.txt").symlink_to(files / "sub" / "a.txt")
    (files / "dir-in").symlink_to("sub", target_is_directory=True)  # relative
    (files / "sub" / "up").symlink_to("..", target_is_directory=True)
    (files / "loop").symlink_to(files / "loop")
    (files / "dangling").symlink_to(files / "nowhere")
    return files


@pytest.mark.parametrize("name", ["file-out.txt", "dir-out/secret.txt"])
def test_send_from_directory_refuses_links_out_of_the_folder(app, client, tmp_path, name):
    files = _linked_folder(tmp_path)
    app.add_url_rule("/files/<path:name>", "files", lambda name: send_from_directory(files, name))
    response = client.get(f"/files/{name}")
    assert response.status_code == 404
    assert b"SECRET" not in response.data
    # Asked for explicitly, links are followed wherever they lead.
    with app.test_request_context():
        followed = send_from_directory(files, name, follow_symlinks=True)
        assert b"".join(followed.response) == b"SECRET"
        followed.close()


@pytest.mark.parametrize("name", ["file-in.txt", "dir-in/a.txt", "sub/up/sub/a.txt"])
def test_send_from_directory_follows_links_that_stay_inside(app, client, tmp_path, name):
    files = _linked_folder(tmp_path)
    app.add_url_rule("/files/<path:name>", "files", lambda name: send_from_directory(files, name))
    response = client.get(f"/files/{name}")
    assert response.status_code == 200
    assert response.data == b"inside"


@pytest.mark.parametrize("name", ["loop", "dangling", "sub/up", "dir-in", "loop/x"])
def test_send_from_directory_answers_404_for_broken_links_and_folders(app, client, tmp_path, name):
    files = _linked_folder(tmp_path)
    app.add_url_rule("/files/<path:name>", "files", lambda name: send_from_directory(files, name))
    assert client.get(f"/files/{name}").status_code == 404


def test_send_from_directory_through_a_linked_folder(app, client, tmp_path):
    # The folder itself may be a link (a deployment's "current" release): that is the folder.
    _linked_folder(tmp_path)
    (tmp_path / "current").symlink_to(tmp_path / "files", target_is_directory=True)
    app.add_url_rule(
        "/files/<path:name>",
        "files",
        lambda name: send_from_directory(tmp_path / "current", name),
    )
    assert client.get("/files/sub/a.txt").data == b"inside"
    assert client.get("/files/file-out.txt").status_code == 404


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_send_from_directory_refuses_a_fifo_without_blocking(app, tmp_path):
    (tmp_path / "files").mkdir()
    os.mkfifo(tmp_path / "files" / "pipe")
    with app.test_request_context(), pytest.raises(NotFound):
        send_from_directory(tmp_path / "files", "pipe")


# -- safe_join -----------------------------------------------------------------

HOSTILE = [
    "..",
    "../app.py",
    "../../etc/passwd",
    "sub/../../app.py",
    "sub/..",
    "a/../b",
    "...",
    ".. ",
    "/etc/passwd",
    "//etc/passwd",
    "..\\app.py",
    "sub\\..\\..\\app.py",
    "\\\\server\\share",
    "a\x00b.css",
    "C:/windows/win.ini",
    "c:windows",
    "sub/C:/x",
    "NUL",
    "nul",
    "con.txt",
    "CON.tar.gz",
    "sub/aux",
    "PRN",
    "COM1",
    "com9.log",
    "LPT1",
    "lpt5.txt",
    "COM\u00b9",
    "CONIN$",
    "nul .txt",
    " ",
]


@pytest.mark.parametrize("path", HOSTILE)
def test_safe_join_refuses(path):
    assert safe_join("/srv/static", path) is None


def test_safe_join_refuses_in_any_part():
    assert safe_join("/srv/static", "css", "../../app.py") is None
    assert safe_join("/srv/static", "css", "/etc/passwd") is None


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (("css/site.css",), "css/site.css"),
        (("css", "site.css"), "css/site.css"),
        (("./css/./site.css",), "css/site.css"),
        (("css//site.css",), "css/site.css"),
        (("css/",), "css"),
        (("..site.css",), "..site.css"),
        (("site..css",), "site..css"),
        (("a.b/c",), "a.b/c"),
        (("console.log",), "console.log"),
        (("nullable.txt",), "nullable.txt"),
        (("com10.txt",), "com10.txt"),
        (("été.txt",), "été.txt"),
        (("12:30.txt",), "12:30.txt") if os.name != "nt" else (("ok",), "ok"),
    ],
)
def test_safe_join_accepts(paths, expected):
    assert safe_join("/srv/static", *paths) == os.path.join("/srv/static", expected)


def test_safe_join_of_nothing_is_the_directory():
    assert safe_join("/srv/static") == "/srv/static"
    assert safe_join("/srv/static", "") == "/srv/static"
    assert safe_join("/srv/static", ".") == "/srv/static"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
def test_safe_join_with_root_and_relative_directories():
    assert safe_join("/", "etc/passwd") == "/etc/passwd"
    assert safe_join("static", "a.css") == "static/a.css"
    assert safe_join("static", "../a.css") is None
    assert safe_join(".", "a.css") == "./a.css"
    assert safe_join("", "css/a.css") == "css/a.css"
    assert safe_join("../shared", "a.css") == "../shared/a.css"
    assert safe_join(".", "../a.css") is None


@pytest.mark.parametrize("path", ["../app.py", "a/../../app.py", ".."])
def test_safe_join_final_check_catches_what_segment_checks_miss(monkeypatch, path):
    monkeypatch.setattr("erlen.sendfile._unsafe_segment", lambda segment: False)
    assert safe_join("/srv/static", path) is None
    assert safe_join(".", path) is None
