"""Load and reliability test: erlen under gunicorn and uvicorn, driven by wrk.

For each server (one worker: gunicorn's sync worker, or uvicorn) the script
serves ``bench/loadapp`` on a free loopback port, pinned with ``taskset`` to
one CPU while wrk runs on the other, and checks:

1. every route answers as expected, once, before any load;
2. under load (``wrk/load_mix.lua``: ``def`` and ``async def`` views, a
   ``def`` view holding a SQLite connection in ``g``, JSON,
   a form that writes the session, small and spooled uploads, streamed
   responses), run in chunks until ``--requests`` requests (100,000 by
   default) or ``--time-limit`` seconds: every answer is a 200 (no 5xx, no
   4xx), no connection failed (connect, read, write, timeout), the session
   cookie made the round trip;
3. the worker's resident memory after ``--warmup`` requests and after the
   last one differs by at most ``--rss-growth-mb`` (4 MiB), and its count of
   memory blocks allocated by Python by at most ``--blocks-growth`` (10,000);
   its open descriptors do not grow; it is the same process throughout. The
   servers run with ``MALLOC_ARENA_MAX=2`` (``--malloc-arena-max``): with
   glibc's default, each of the threads that run ``def`` views under uvicorn
   may get a malloc arena of its own, and their slowly growing free space
   (not a leak: Python's block count stays flat) would hide one;
4. clients that disconnect mid-upload (after enough of a multipart body to
   spool to disk) and mid-stream (after a few chunks of a sync or async
   generator) leave nothing behind: every generator's ``finally`` ran (the
   app counts them, and writes a line per start and end to a marker file),
   no temporary file is open or present in the server's own ``TMPDIR``,
   and the server still answers;
5. the server log holds no error (a reset mid-upload included).

It prints a PASS/FAIL table and exits with status 1 if any check failed.
Run ``python bench/load.py --help``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(1, str(HERE.parent / "tests"))  # tests/servers.py: the server process helpers

from uvicorn_wrk import HOST, choose_cpus, pinned, wrk_version  # noqa: E402

from servers import READY_MARKERS, ServerProcess, poll_until, server_argv, server_env  # noqa: E402

LUA = HERE / "wrk" / "load_mix.lua"
WRK_MARKER = "wrk-json "
SERVERS = ("gunicorn", "uvicorn")
TARGET = "loadapp:app"
MB = 1024 * 1024

# A partial upload claims a 2 MiB file and sends 1 MiB of it: past the
# 512 KiB at which erlen spools a file part to disk.
UPLOAD_CLAIMED = 2 * MB
UPLOAD_SENT = 1 * MB
# A stream to disconnect from: up to 2,000 chunks of 1 KiB, 10 ms apart (at
# most 20 s if the server never noticed). The client reads three, then leaves.
STREAM_QUERY = "chunks=2000&size=1024&pause=0.01"
BOUNDARY = "erlen-load-disconnect"


@dataclass
class Check:
    """One line of the result table."""

    server: str
    name: str
    ok: bool
    detail: str


@dataclass
class Outcome:
    """Everything measured for one server."""

    server: str
    checks: list[Check] = field(default_factory=list)
    measured: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(self.server, name, ok, detail))
        mark = "PASS" if ok else "FAIL"
        print(f"  {mark}  {name}: {detail}", flush=True)
        return ok


# -- the server ----------------------------------------------------------


class LoadServer:
    """One server serving loadapp, with its own TMPDIR and marker directory."""

    def __init__(self, kind: str, folder: Path, args: argparse.Namespace, cpu: int | None):
        self.kind = kind
        self.folder = folder
        self.tmpdir = folder / "tmp"
        self.markers = folder / "markers"
        for path in (self.tmpdir, self.markers, folder / "worker"):
            path.mkdir(parents=True)
        env = server_env(
            HERE,
            TMPDIR=str(self.tmpdir),
            LOADAPP_MARKER_DIR=str(self.markers),
            LOADAPP_LEAK_BYTES=str(args.leak_bytes),
        )
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        # A server measured for coverage (the test suite's subprocess patch)
        # would run slower and hold the tracer's data: load it as it is.
        env.pop("COVERAGE_PROCESS_CONFIG", None)
        if args.malloc_arena_max:
            env["MALLOC_ARENA_MAX"] = str(args.malloc_arena_max)
        if kind == "gunicorn":
            options = [
                "--worker-class=sync",
                "--threads=1",  # more than one would turn the sync worker into gthread
                # gunicorn's heartbeat file, kept out of the TMPDIR under watch
                f"--worker-tmp-dir={folder / 'worker'}",
            ]
            env["XDG_RUNTIME_DIR"] = str(folder)  # where a control socket may go
        else:
            options = ["--workers=1", "--http=httptools", "--loop=asyncio", "--no-access-log"]
        self.process = ServerProcess(
            lambda port: pinned(server_argv(kind, TARGET, port, *options), cpu),
            cwd=HERE,
            env=env,
            log_path=folder / "server.log",
            ready_marker=READY_MARKERS[kind],
            timeout=30.0,
        )

    @property
    def port(self) -> int:
        return self.process.port

    def start(self) -> None:
        self.process.start()

    def stop(self) -> None:
        self.process.stop()

    def alive(self) -> bool:
        process = self.process.process
        return process is not None and process.poll() is None

    def log(self) -> str:
        return self.process.log()

    def get(self, path: str, timeout: float = 30.0) -> tuple[int, bytes]:
        """Send a GET and return the status and body."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def stats(self, collect: bool = False) -> dict[str, Any]:
        """Return the worker's own report (GET /stats), after a gc.collect() if asked."""
        status, body = self.get("/stats?collect=1" if collect else "/stats")
        if status != 200:
            raise RuntimeError(f"GET /stats answered {status}: {body[:300]!r}")
        stats: dict[str, Any] = json.loads(body)
        return stats

    def marker_counts(self) -> Counter[str]:
        """Count the 'start sync', 'end async', ... lines the generators wrote."""
        counts: Counter[str] = Counter()
        for path in self.markers.iterdir():
            counts.update(line for line in path.read_text().splitlines() if line)
        return counts

    def temp_fds(self, pid: int) -> list[str]:
        """Return what the worker ``pid`` holds open in its TMPDIR, seen from outside."""
        prefix = str(self.tmpdir) + "/"
        found = []
        try:
            names = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            return []
        for name in names:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{name}")
            except OSError:
                continue
            if target.startswith(prefix):
                found.append(target)
        return found


# -- answers before load -------------------------------------------------


def _multipart(size: int, fill: bytes = b"u") -> tuple[bytes, dict[str, str]]:
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            'filename="data.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + fill * size
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def _answers() -> list[tuple[str, str, bytes, dict[str, str], Callable[[bytes], bool]]]:
    """The request to each route, and a test of its body."""
    form = b"name=Ada+Lovelace&email=ada%40example.com"
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    small, small_type = _multipart(4096)
    large, large_type = _multipart(600 * 1024)

    def upload(size: int, spooled: bool) -> Callable[[bytes], bool]:
        def good(body: bytes) -> bool:
            answer = json.loads(body)
            expected = {"size": size, "spooled": spooled, "note": "hi"}
            return {key: answer.get(key) for key in expected} == expected

        return good

    def stream(body: bytes) -> bool:
        return body.startswith(b"000000 xxxx") and body.count(b"\n") == 3

    return [
        ("GET", "/", b"", {}, lambda body: body == b"Hello, World!"),
        ("GET", "/async", b"", {}, lambda body: body == b"Hello, async World!"),
        ("GET", "/db", b"", {}, lambda body: body == b"answer=42"),
        ("GET", "/user/42", b"", {}, lambda b: json.loads(b) == {"id": 42, "name": "user42"}),
        (
            "POST",
            "/json",
            b'{"name": "load", "values": [1, 2, 3, 4]}',
            {"Content-Type": "application/json"},
            lambda body: json.loads(body) == {"name": "load", "total": 10},
        ),
        (
            "POST",
            "/form",
            form,
            form_type,
            lambda b: b == b"Ada Lovelace <ada@example.com> count=1",
        ),
        ("POST", "/form-async", form, form_type, lambda b: b.endswith(b"count=1")),
        ("POST", "/upload", small, small_type, upload(4096, False)),
        ("POST", "/upload-async", small, small_type, upload(4096, False)),
        ("POST", "/upload", large, large_type, upload(600 * 1024, True)),
        ("POST", "/upload-async", large, large_type, upload(600 * 1024, True)),
        ("POST", "/upload-streamed", large, large_type, upload(600 * 1024, True)),
        ("GET", "/stream/sync?chunks=3&size=64", b"", {}, stream),
        ("GET", "/stream/async?chunks=3&size=64", b"", {}, stream),
    ]


def check_answers(server: LoadServer, outcome: Outcome) -> bool:
    problems = []
    answers = _answers()
    for method, path, body, headers, good in answers:
        connection = http.client.HTTPConnection(HOST, server.port, timeout=30)
        try:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            status, data = response.status, response.read()
        except OSError as exc:
            problems.append(f"{method} {path}: {type(exc).__name__}: {exc}")
            continue
        finally:
            connection.close()
        try:
            ok = status == 200 and good(data)
        except ValueError:
            ok = False
        if not ok:
            problems.append(f"{method} {path}: {status} {data[:200]!r}")
    detail = f"{len(answers)} requests, one per route and kind, answered as expected"
    return outcome.add("answers", not problems, "; ".join(problems) or detail)


# -- load ----------------------------------------------------------------


def run_wrk(
    server: LoadServer, seconds: int, args: argparse.Namespace, client_cpu: int | None
) -> dict[str, Any]:
    """Load the server with the mix for ``seconds``; return wrk's totals."""
    argv = pinned(
        [
            "wrk",
            "-t1",
            f"-c{args.connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            f"http://{HOST}:{server.port}/",
            "--",
            str(args.big_every),
        ],
        client_cpu,
    )
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith(WRK_MARKER):
            totals: dict[str, Any] = json.loads(line[len(WRK_MARKER) :])
            return totals
    raise RuntimeError(
        f"wrk printed no totals (exit {done.returncode}).\n{done.stdout}\n{done.stderr}"
    )


def drive(
    server: LoadServer,
    target: int,
    deadline: float,
    totals: Counter[str],
    args: argparse.Namespace,
    client_cpu: int | None,
    samples: list[tuple[int, int, int, int]],
) -> None:
    """Run wrk in chunks until ``totals["requests"]`` reaches ``target`` or the deadline."""
    while totals["requests"] < target:
        left = deadline - time.monotonic()
        if left < 1 or not server.alive():
            return
        rate = totals["requests"] / (totals["duration_us"] / 1e6) if totals["requests"] else 0
        needed = (target - totals["requests"]) / rate if rate else 2
        seconds = max(1, min(args.chunk, math.ceil(needed), int(left)))
        chunk = run_wrk(server, seconds, args, client_cpu)
        for key, value in chunk.items():
            if key == "session_max":
                totals[key] = max(totals[key], value)
            elif not key.startswith("latency"):
                totals[key] += value
        totals["latency_p99_us_max"] = max(totals["latency_p99_us_max"], chunk["latency_p99_us"])
        if server.alive():
            stats = server.stats(collect=True)
            samples.append((totals["requests"], stats["rss"], stats["blocks"], stats["threads"]))


def check_load(
    server: LoadServer, args: argparse.Namespace, client_cpu: int | None, outcome: Outcome
) -> None:
    totals: Counter[str] = Counter()
    samples: list[tuple[int, int, int, int]] = []
    start = time.monotonic()
    deadline = start + args.time_limit
    warmup = min(args.warmup, args.requests)
    drive(server, warmup, deadline, totals, args, client_cpu, samples)
    if not server.alive() or totals["requests"] < warmup:
        outcome.add("load", False, _stopped(server, totals, warmup, args.time_limit))
        return
    before = server.stats(collect=True)
    after_warmup = totals["requests"]
    drive(server, args.requests, deadline, totals, args, client_cpu, samples)
    elapsed = time.monotonic() - start
    if not server.alive():
        outcome.add("load", False, _stopped(server, totals, args.requests, args.time_limit))
        return
    # Sockets wrk left are closed by the server a moment later: wait (bounded) for them.
    poll_until(lambda: server.stats()["fds"] <= before["fds"], timeout=10.0)
    after = server.stats(collect=True)

    requests = totals["requests"]
    rate = requests / (totals["duration_us"] / 1e6)
    outcome.measured.update(
        requests=requests,
        load_seconds=round(elapsed, 1),
        rate=round(rate),
        warmup_requests=after_warmup,
        rss_after_warmup=before["rss"],
        rss_after_load=after["rss"],
        blocks_after_warmup=before["blocks"],
        blocks_after_load=after["blocks"],
        samples=[
            {"requests": n, "rss": rss, "blocks": blocks, "threads": threads}
            for n, rss, blocks, threads in samples
        ],
        fds_after_warmup=before["fds"],
        fds_after_load=after["fds"],
        wrk=dict(totals),
    )
    outcome.add(
        "load: request count",
        requests >= args.requests,
        f"{requests:,} requests in {elapsed:.0f} s ({rate:,.0f} req/s with wrk running), "
        f"{totals['big_uploads']:,} of them 600 KiB uploads; wanted {args.requests:,} "
        f"within {args.time_limit} s",
    )
    bad = {kind: totals[kind] for kind in ("3xx", "4xx", "5xx", "other") if totals[kind]}
    outcome.add(
        "load: every answer 200",
        totals["2xx"] == requests and not bad and not totals["status"],
        f"{totals['2xx']:,} answers 2xx, "
        + (", ".join(f"{n:,} {kind}" for kind, n in bad.items()) or "none other")
        + f" (wrk error statuses: {totals['status']})",
    )
    failed = {k: totals[k] for k in ("connect", "read", "write", "timeout") if totals[k]}
    outcome.add(
        "load: no failed connections",
        not failed,
        ", ".join(f"{n} {kind} errors" for kind, n in failed.items())
        or f"no connect, read, write or timeout error (p99 latency <= "
        f"{totals['latency_p99_us_max'] / 1000:.0f} ms)",
    )
    outcome.add(
        "load: session cookie round trip",
        totals["session_max"] > 1,
        f"highest session count seen in one wrk run: {totals['session_max']}",
    )
    growth = after["rss"] - before["rss"]
    peak = max(sample[1] for sample in samples)
    outcome.add(
        "memory flat",
        growth <= args.rss_growth_mb * MB,
        f"worker RSS {before['rss'] / MB:.1f} MiB after {after_warmup:,} requests, "
        f"{after['rss'] / MB:.1f} MiB after {requests:,} ({growth / MB:+.2f} MiB; "
        f"bound {args.rss_growth_mb} MiB; peak {peak / MB:.1f} MiB over "
        f"{len(samples)} samples; threads {before['threads']}, then {after['threads']})",
    )
    blocks = after["blocks"] - before["blocks"]
    outcome.add(
        "Python objects flat",
        blocks <= args.blocks_growth,
        f"memory blocks allocated by Python: {before['blocks']:,} after the warm-up, "
        f"{after['blocks']:,} after the load ({blocks:+,}; bound {args.blocks_growth:,}); "
        f"objects tracked by the collector {before['objects']:,}, then {after['objects']:,}",
    )
    outcome.add(
        "descriptors flat",
        after["fds"] <= before["fds"],
        f"{before['fds']} open descriptors after the warm-up, {after['fds']} after the load",
    )
    outcome.add(
        "threads flat",
        after["threads"] <= before["threads"] and max(sample[3] for sample in samples) <= 64,
        f"{before['threads']} threads after the warm-up, {after['threads']} after the load "
        f"(most seen {max(sample[3] for sample in samples)}; ASGI_THREADS caps the workers)",
    )
    outcome.add(
        "same worker",
        after["pid"] == before["pid"],
        f"pid {before['pid']} before, {after['pid']} after"
        + ("" if after["pid"] == before["pid"] else ": the worker was replaced"),
    )


def _stopped(server: LoadServer, totals: Counter[str], wanted: int, limit: float) -> str:
    if not server.alive():
        return f"the server died after {totals['requests']:,} requests:\n{server.log()[-3000:]}"
    return f"only {totals['requests']:,} of {wanted:,} requests within {limit} s"


# -- disconnects ---------------------------------------------------------


def _close(sock: socket.socket, reset: bool) -> None:
    """Close ``sock``: with a FIN, or at once with a RST (SO_LINGER on, 0 s)."""
    if reset:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def partial_upload(
    server: LoadServer, path: str, pid: int, wait_spool: bool, reset: bool
) -> tuple[bool, bool]:
    """Send half of a large multipart upload, then go.

    Return whether all of that half was sent, and whether the worker was
    seen holding a temporary file for it before the client left.
    """
    head, headers = _multipart(0)
    head = head[: -len(f"\r\n--{BOUNDARY}--\r\n")]
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    length = len(head) + UPLOAD_CLAIMED + len(tail)
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{server.port}\r\n"
        f"Content-Type: {headers['Content-Type']}\r\nContent-Length: {length}\r\n\r\n"
    ).encode()
    sock = socket.create_connection((HOST, server.port), timeout=30)
    try:
        sock.sendall(request + head + b"u" * UPLOAD_SENT)
        return True, wait_spool and poll_until(lambda: bool(server.temp_fds(pid)), timeout=10.0)
    except OSError:
        return False, False
    finally:
        _close(sock, reset)


def partial_stream(server: LoadServer, kind: str, reset: bool) -> bool:
    """Read three chunks of a long stream, then go; return whether they came."""
    request = f"GET /stream/{kind}?{STREAM_QUERY} HTTP/1.1\r\nHost: {HOST}:{server.port}\r\n\r\n"
    sock = socket.create_connection((HOST, server.port), timeout=30)
    try:
        sock.sendall(request.encode())
        received = b""
        while b"000002 " not in received:
            data = sock.recv(65536)
            if not data:
                return False
            received += data
        return True
    except OSError:
        return False
    finally:
        _close(sock, reset)


def check_disconnects(server: LoadServer, args: argparse.Namespace, outcome: Outcome) -> None:
    """Cut uploads and streams off (half by a close, half by a reset); check what is left."""
    count: int = args.disconnects
    before = server.stats()
    pid = before["pid"]
    buffered = server.kind == "uvicorn"  # ASGI reads a body ahead unless stream_body=True
    routes = {"/upload": not buffered, "/upload-async": not buffered, "/upload-streamed": True}
    sent: dict[str, int] = {}
    spooled: dict[str, int] = {}
    start = time.monotonic()
    for path, wait_spool in routes.items():
        results = [
            partial_upload(server, path, pid, wait_spool, reset=i % 2 == 1) for i in range(count)
        ]
        sent[path] = sum(ok for ok, _ in results)
        spooled[path] = sum(seen for _, seen in results)
    left_behind = poll_until(
        lambda: not server.temp_fds(pid) and not any(server.tmpdir.iterdir()), timeout=15.0
    )
    seconds = time.monotonic() - start
    stats = server.stats()
    total = count * len(routes)
    expect = {path: count if wait else 0 for path, wait in routes.items()}
    outcome.add(
        "upload disconnects: spooled first",
        spooled == expect and all(n == count for n in sent.values()),
        f"{total} uploads cut off after {UPLOAD_SENT // MB} MiB of {UPLOAD_CLAIMED // MB} MiB "
        f"(half with FIN, half with RST; {sum(sent.values())} sent that far); "
        "seen spooling before the cut: "
        + ", ".join(f"{path} {n}/{count}" for path, n in spooled.items())
        + (" (uvicorn reads a body ahead, in memory, unless stream_body=True)" if buffered else ""),
    )
    outcome.add(
        "upload disconnects: nothing left",
        left_behind and not stats["temp_fds"] and not stats["temp_files"],
        f"after {seconds:.1f} s: temp files open in the worker {stats['temp_fds'] or 'none'}, "
        f"in its TMPDIR {stats['temp_files'] or 'none'}",
    )

    for kind in ("sync", "async"):
        start = time.monotonic()
        first = server.stats()["streams"]
        came = sum(partial_stream(server, kind, reset=i % 2 == 1) for i in range(count))

        def settled(kind: str = kind, first: dict[str, Any] = first) -> bool:
            streams = server.stats()["streams"]
            return bool(
                streams["started"][kind] - first["started"][kind] >= count and streams["open"] == 0
            )

        poll_until(settled, timeout=30.0)
        seconds = time.monotonic() - start
        streams = server.stats()["streams"]
        started = streams["started"][kind] - first["started"][kind]
        closed = streams["closed"][kind] - first["closed"][kind]
        outcome.add(
            f"stream disconnects ({kind} generator): closed",
            came == count and started == count and closed == count and streams["open"] == 0,
            f"{count} clients left after 3 chunks (half with FIN, half with RST; "
            f"{came} got their chunks); generators started {started}, ran their finally "
            f"{closed}, open now {streams['open']} ({seconds:.1f} s)",
        )

    status, body = server.get("/")
    final = server.stats()
    outcome.add(
        "still serving",
        status == 200 and body == b"Hello, World!" and final["pid"] == pid,
        f"GET / answered {status} {body[:40]!r} after the disconnects; worker pid "
        f"{final['pid']} (was {pid})",
    )


def check_generators(server: LoadServer, outcome: Outcome) -> None:
    """Every generator that started, during load and disconnects, ran its finally."""
    stats = server.stats()["streams"]
    marks = server.marker_counts()
    started = {kind: marks[f"start {kind}"] for kind in ("sync", "async")}
    ended = {kind: marks[f"end {kind}"] for kind in ("sync", "async")}
    outcome.add(
        "generators: all finally ran",
        started == ended == stats["started"] == stats["closed"] and stats["open"] == 0,
        f"marker files: started {started}, ended {ended}; the worker's counts: "
        f"started {stats['started']}, closed {stats['closed']}",
    )


def check_databases(server: LoadServer, outcome: Outcome) -> None:
    """Every SQLite connection a def view opened in g was closed, on its own thread."""
    databases = server.stats()["databases"]
    outcome.add(
        "databases: every connection closed",
        databases["opened"] == databases["closed"] > 0 and databases["errors"] == 0,
        f"opened {databases['opened']}, closed {databases['closed']}, errors {databases['errors']}",
    )


def log_errors(log: str) -> list[list[str]]:
    """Split a server log into entries and return those that report an error."""
    entries: list[list[str]] = []
    for line in log.splitlines():
        starts = line.startswith("[") or line.split(":", 1)[0] in ("INFO", "WARNING", "ERROR")
        if starts or not entries:
            entries.append([line])
        else:
            entries[-1].append(line)
    return [e for e in entries if "ERROR" in e[0] or any("Traceback" in x for x in e)]


def check_log(server: LoadServer, outcome: Outcome) -> None:
    """No error in the server's log, the disconnects included.

    A client that resets the connection mid-upload makes gunicorn's
    ``wsgi.input`` raise ConnectionResetError; erlen answers that as a 400
    for a body it could not read, and logs nothing.
    """
    errors = log_errors(server.log())
    detail = f"{len(errors)} error entries"
    if errors:
        detail += ", the first:\n" + "\n".join(errors[0][-12:])
    outcome.add("server log: no error", not errors, detail)


# -- the run -------------------------------------------------------------


def run_server(
    kind: str,
    args: argparse.Namespace,
    cpus: tuple[int | None, int | None],
    folder: Path,
) -> Outcome:
    outcome = Outcome(kind)
    print(f"\n== {kind}: one worker, serving {TARGET}", flush=True)
    server = LoadServer(kind, folder / kind, args, cpus[0])
    try:
        server.start()
    except RuntimeError as exc:
        outcome.add("server starts", False, str(exc))
        return outcome
    try:
        print(f"  listening on {HOST}:{server.port}, TMPDIR {server.tmpdir}", flush=True)
        if check_answers(server, outcome):
            check_load(server, args, cpus[1], outcome)
            if server.alive() and args.disconnects:
                check_disconnects(server, args, outcome)
            if server.alive():
                check_generators(server, outcome)
                check_databases(server, outcome)
        if not server.alive():
            outcome.add("server alive", False, f"it exited:\n{server.log()[-3000:]}")
    except (OSError, RuntimeError, ValueError) as exc:
        outcome.add("run", False, f"{type(exc).__name__}: {exc}")
    finally:
        server.stop()
        check_log(server, outcome)
    return outcome


def print_table(outcomes: list[Outcome]) -> None:
    checks = [check for outcome in outcomes for check in outcome.checks]
    width = max((len(check.name) for check in checks), default=5)
    print(f"\n{'server':9} {'check':{width}}  result")
    for check in checks:
        print(f"{check.server:9} {check.name:{width}}  {'PASS' if check.ok else 'FAIL'}")
    for outcome in outcomes:
        m = outcome.measured
        if "requests" in m:
            print(
                f"{outcome.server}: {m['requests']:,} requests in {m['load_seconds']} s "
                f"({m['rate']:,} req/s); worker RSS {m['rss_after_warmup'] / MB:.2f} MiB after "
                f"{m['warmup_requests']:,}, {m['rss_after_load'] / MB:.2f} MiB after "
                f"{m['requests']:,}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=[*SERVERS, "both"], default="both")
    parser.add_argument(
        "--requests", type=int, default=100_000, help="requests per server (default 100,000)"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=20_000,
        help="requests before the first memory reading (default 20,000)",
    )
    parser.add_argument(
        "--time-limit",
        type=int,
        default=600,
        help="seconds of load per server at most; fewer requests fail (default 600)",
    )
    parser.add_argument(
        "--rss-growth-mb",
        type=float,
        default=4.0,
        help="the most the worker's RSS may grow from warm-up to end, in MiB (default 4)",
    )
    parser.add_argument(
        "--malloc-arena-max",
        type=int,
        default=2,
        help="MALLOC_ARENA_MAX for the servers (glibc); 0 leaves glibc's default (default 2)",
    )
    parser.add_argument(
        "--blocks-growth",
        type=int,
        default=10_000,
        help="the most the worker's count of Python memory blocks may grow (default 10,000)",
    )
    parser.add_argument(
        "--disconnects",
        type=int,
        default=50,
        help="clients that leave per upload route and per stream kind; 0 skips (default 50)",
    )
    parser.add_argument("--connections", type=int, default=64, help="wrk -c (default 64)")
    parser.add_argument(
        "--big-every",
        type=int,
        default=50,
        help="every Nth request of the mix is a 600 KiB upload; 0 for none (default 50)",
    )
    parser.add_argument(
        "--chunk", type=int, default=10, help="seconds per wrk run at most (default 10)"
    )
    parser.add_argument(
        "--leak-bytes",
        type=int,
        default=0,
        help="make the app keep this many bytes per request, to see the memory check fail",
    )
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU for the server (default 0)")
    parser.add_argument("--client-cpu", type=int, default=1, help="CPU for wrk (default 1)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the logs and temp directories")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.warmup < 0 or args.chunk < 1 or args.time_limit < 1:
        parser.error("--requests, --chunk and --time-limit must be positive, --warmup >= 0")

    if shutil.which("wrk") is None:
        print(
            "wrk, the load generator, is not installed. On Debian or Ubuntu: "
            "`apt-get install wrk` (as root), then run this again.",
            file=sys.stderr,
        )
        return 2
    cpus = choose_cpus(args)
    kinds = list(SERVERS) if args.server == "both" else [args.server]
    arenas = args.malloc_arena_max or "glibc's default"
    print(
        f"wrk {wrk_version()}; servers on CPU {cpus[0]} (MALLOC_ARENA_MAX {arenas}), "
        f"wrk on CPU {cpus[1]}"
    )
    print(
        f"{args.requests:,} requests per server ({args.warmup:,} of warm-up), "
        f"wrk -t1 -c{args.connections}, a 600 KiB upload every {args.big_every} requests; "
        f"{args.disconnects} disconnects per route and kind"
    )
    folder = Path(tempfile.mkdtemp(prefix="erlen-load-"))
    started = time.monotonic()
    try:
        outcomes = [run_server(kind, args, cpus, folder) for kind in kinds]
    finally:
        if args.keep:
            print(f"logs and temporary directories kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print_table(outcomes)
    failed = [check for outcome in outcomes for check in outcome.checks if not check.ok]
    for check in failed:
        print(f"FAILED {check.server} {check.name}: {check.detail}")
    print(f"\n{len(failed)} check(s) failed; took {time.monotonic() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "settings": vars(args),
                    "servers": [
                        {
                            "server": o.server,
                            "checks": [asdict(c) for c in o.checks],
                            "measured": o.measured,
                        }
                        for o in outcomes
                    ],
                },
                indent=2,
            )
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
