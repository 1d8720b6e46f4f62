"""One erlen app with every kind of view the load test drives.

``def`` and ``async def`` views, JSON in and out, a urlencoded form that
writes the session, multipart uploads (a small one stays in memory, one over
512 KiB spools to a temporary file), streamed responses from a sync and an
async generator, and ``GET /stats``, which reports on the worker process
itself: its pid, its resident memory, its open file descriptors (those in
the temporary directory apart), and how many streamed responses started and
how many generators ran their ``finally``.

Environment:

- ``LOADAPP_MARKER_DIR``: each generator appends ``start <kind>`` when it
  starts and ``end <kind>`` in its ``finally`` to ``<pid>.log`` there, so
  that the load script can check from outside that every one was closed.
- ``LOADAPP_SECRET_KEY``: the session key (default: a random one per process).
- ``LOADAPP_LEAK_BYTES``: keep that many bytes per request forever, to show
  that the load script's memory check can fail (default 0).
- ``TMPDIR``: where uploads spool; the load script gives each server its own.
"""

from __future__ import annotations

import asyncio
import gc
import os
import secrets
import sqlite3
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from erlen import Erlen, Response, abort, g, request, session

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_MAX_CHUNKS = 10_000
_MAX_CHUNK_SIZE = 64 * 1024
_MAX_PAUSE = 0.1  # seconds between chunks


class _Streams:
    """Counts of streamed responses, shared by the worker's threads."""

    def __init__(self, marker_dir: str | None) -> None:
        self.lock = threading.Lock()
        self.started = {"sync": 0, "async": 0}
        self.closed = {"sync": 0, "async": 0}
        self.marker_dir = marker_dir

    def _mark(self, line: str) -> None:
        if self.marker_dir:
            path = os.path.join(self.marker_dir, f"{os.getpid()}.log")
            # One short O_APPEND write per line: lines from threads never interleave.
            with open(path, "a", encoding="ascii") as marker:
                marker.write(line + "\n")

    def start(self, kind: str) -> None:
        with self.lock:
            self.started[kind] += 1
        self._mark(f"start {kind}")

    def close(self, kind: str) -> None:
        with self.lock:
            self.closed[kind] += 1
        self._mark(f"end {kind}")

    def report(self) -> dict[str, Any]:
        with self.lock:
            started, closed = dict(self.started), dict(self.closed)
        return {
            "started": started,
            "closed": closed,
            "open": sum(started.values()) - sum(closed.values()),
        }


def _rss_bytes() -> int:
    """Return this process's resident memory, from /proc/self/statm (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * _PAGE_SIZE


def _open_files(tmpdir: str) -> tuple[int, list[str]]:
    """Return the number of open descriptors and the targets of those under ``tmpdir``."""
    count = 0
    in_tmp: list[str] = []
    prefix = tmpdir.rstrip("/") + "/"
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue  # the descriptor listdir itself used, closed by now
        count += 1
        if target.startswith(prefix):
            in_tmp.append(target)  # "/tmp/x/#1234 (deleted)" for an O_TMPFILE file
    return count, in_tmp


def _int_arg(name: str, default: int, high: int) -> int:
    value = request.args.get(name, default, type=int)
    if value is None or not 0 <= value <= high:
        abort(400, f"'{name}' must be an integer from 0 to {high}.")
    return value


def _pause_arg() -> float:
    value = request.args.get("pause", 0.0, type=float)
    if value is None or not 0.0 <= value <= _MAX_PAUSE:
        abort(400, f"'pause' must be a number of seconds from 0 to {_MAX_PAUSE}.")
    return value


def _describe_upload() -> dict[str, Any]:
    upload = request.files.get("file")
    if upload is None:
        abort(400, "Send the file in a multipart field named 'file'.")
    size = crc = 0
    while chunk := upload.read(64 * 1024):
        size += len(chunk)
        crc = zlib.crc32(chunk, crc)
    return {
        "size": size,
        "crc32": crc,
        # SpooledTemporaryFile keeps no public flag for "rolled over to disk".
        "spooled": bool(getattr(upload.stream, "_rolled", True)),
        "note": request.form.get("note", ""),
    }


def create_app() -> Erlen:
    """Build the load test's app from the environment."""
    app = Erlen(__name__)
    app.config["SECRET_KEY"] = os.environ.get("LOADAPP_SECRET_KEY") or secrets.token_hex(16)
    streams = _Streams(os.environ.get("LOADAPP_MARKER_DIR") or None)
    leak_bytes = int(os.environ.get("LOADAPP_LEAK_BYTES") or 0)
    kept: list[bytes] = []

    if leak_bytes:

        @app.before_request
        def leak() -> None:
            kept.append(os.urandom(leak_bytes))

    @app.get("/")
    def hello() -> str:
        return "Hello, World!"

    # Flask's database pattern: a SQLite connection in g, opened by a def view
    # and closed at teardown. SQLite refuses a connection used on another
    # thread, so this holds only if one request's code runs on one thread.
    databases = {"opened": 0, "closed": 0, "errors": 0}
    databases_lock = threading.Lock()

    @app.get("/db")
    def db() -> str:
        g.db = sqlite3.connect(":memory:")
        with databases_lock:
            databases["opened"] += 1
        (total,) = g.db.execute("select 40 + 2").fetchone()
        return f"answer={total}"

    @app.teardown_appcontext
    def close_db(error: BaseException | None) -> None:
        connection = g.pop("db", None)
        if connection is None:
            return
        try:
            connection.close()
        except sqlite3.Error:
            with databases_lock:
                databases["errors"] += 1
            raise
        with databases_lock:
            databases["closed"] += 1

    @app.get("/async")
    async def hello_async() -> str:
        await asyncio.sleep(0)
        return "Hello, async World!"

    @app.get("/user/<int:uid>")
    def user(uid: int) -> dict[str, Any]:
        return {"id": uid, "name": f"user{uid}"}

    @app.post("/json")
    async def echo_json() -> dict[str, Any]:
        data = request.get_json()
        if not isinstance(data, dict) or not isinstance(data.get("values"), list):
            abort(400, 'Send a JSON object such as {"name": "x", "values": [1, 2]}.')
        return {"name": data.get("name"), "total": sum(data["values"])}

    def count_visit() -> str:
        count = session.get("count", 0) + 1
        session["count"] = count
        return f"{request.form['name']} <{request.form['email']}> count={count}"

    @app.post("/form")
    def form() -> str:
        return count_visit()

    @app.post("/form-async")
    async def form_async() -> str:
        return count_visit()

    @app.post("/upload")
    def upload() -> dict[str, Any]:
        return _describe_upload()

    @app.post("/upload-async")
    async def upload_async() -> dict[str, Any]:
        return _describe_upload()

    # Not read ahead under ASGI: the upload spools while it arrives, as under WSGI.
    @app.post("/upload-streamed", stream_body=True)
    def upload_streamed() -> dict[str, Any]:
        return _describe_upload()

    @app.get("/stream/sync")
    def stream_sync() -> Response:
        chunks, pause = _int_arg("chunks", 3, _MAX_CHUNKS), _pause_arg()
        size = _int_arg("size", 64, _MAX_CHUNK_SIZE)
        filler = b"x" * size

        def generate() -> Iterator[bytes]:
            streams.start("sync")
            try:
                for i in range(chunks):
                    if pause and i:
                        time.sleep(pause)
                    yield b"%06d %s\n" % (i, filler)
            finally:
                streams.close("sync")

        return Response(generate(), mimetype="text/plain")

    @app.get("/stream/async")
    async def stream_async() -> Response:
        chunks, pause = _int_arg("chunks", 3, _MAX_CHUNKS), _pause_arg()
        size = _int_arg("size", 64, _MAX_CHUNK_SIZE)
        filler = b"x" * size

        async def generate() -> AsyncIterator[bytes]:
            streams.start("async")
            try:
                for i in range(chunks):
                    if pause and i:
                        await asyncio.sleep(pause)
                    yield b"%06d %s\n" % (i, filler)
            finally:
                streams.close("async")

        return Response(generate(), mimetype="text/plain")

    @app.get("/stats")
    def stats() -> dict[str, Any]:
        if request.args.get("collect"):
            gc.collect()  # counts without the garbage that happens to wait for the collector
        tmpdir = tempfile.gettempdir()
        fds, temp_fds = _open_files(tmpdir)
        return {
            "pid": os.getpid(),
            "rss": _rss_bytes(),
            "fds": fds,
            "tmpdir": tmpdir,
            "temp_files": sorted(os.listdir(tmpdir)),
            "temp_fds": temp_fds,
            "threads": threading.active_count(),
            # Python's own count of allocated memory blocks and tracked objects:
            # if RSS grows while these stay flat, the allocator kept freed memory.
            "blocks": sys.getallocatedblocks(),
            "objects": len(gc.get_objects()),
            "streams": streams.report(),
            "databases": dict(databases),
            "leaked": len(kept) * leak_bytes,
        }

    return app


app = create_app()
