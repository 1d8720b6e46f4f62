"""Per-request cost of erlen and its ASGI peers, calling each ASGI app directly.

No server and no socket: one event loop runs every app. Each call copies a
prebuilt scope and awaits ``app(scope, receive, send)`` with a minimal
channel that hands over the whole request body in one ``http.request``
event, as a server does for a small body. Frameworks run round-robin inside
every repeat; the figure is the median over repeats. Run
``python bench/asgi_inprocess.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from apps import CASES, SRC, answer_ok, version, write_report
from asgi_apps import FRAMEWORKS, PEERS, build, distribution, label

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "asgi_inprocess.json"
LIFESPAN_TIMEOUT = 10.0  # seconds for an app's startup or shutdown


def make_scope(method, path, body, content_type):
    """Return an HTTP scope like one uvicorn builds (ASGI HTTP spec 2.3)."""
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"user-agent", b"erlen-bench/1"),
        (b"accept", b"*/*"),
    ]
    if content_type:
        headers.append((b"content-type", content_type.encode("latin-1")))
        headers.append((b"content-length", str(len(body)).encode("latin-1")))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 54321),
        "scheme": "http",
        "method": method,
        "root_path": "",
        "path": path,
        "raw_path": path.encode("ascii"),
        "query_string": b"",
        "headers": headers,
        "state": {},
    }


class Channel:
    """One request's receive and send, as small as a correct server's.

    The first ``receive()`` returns the whole body; a later one waits until
    the response is complete and then reports ``http.disconnect`` (what
    uvicorn does; Quart, for one, keeps listening for it).
    """

    __slots__ = ("request", "done", "waiter")

    def __init__(self, request):
        self.request = request
        self.done = False
        self.waiter = None

    async def receive(self):
        request = self.request
        if request is not None:
            self.request = None
            return request
        if not self.done:
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        return {"type": "http.disconnect"}

    async def send(self, message):
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self.done = True
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(None)


class RecordingChannel(Channel):
    """A channel that also keeps the response status and body, for checking."""

    __slots__ = ("status", "chunks")

    def __init__(self, request):
        super().__init__(request)
        self.status = None
        self.chunks = []

    async def send(self, message):
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
        await super().send(message)


async def null_app(scope, receive, send):
    """Do nothing but answer: its time is the harness's own overhead."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": b"Hello, World!"})


def request_event(body):
    return {"type": "http.request", "body": body, "more_body": False}


async def check(app, case):
    """Return None if the app answers the case correctly, else a message."""
    method, path, body, content_type, expected = CASES[case]
    channel = RecordingChannel(request_event(body))
    await asyncio.wait_for(
        app(make_scope(method, path, body, content_type), channel.receive, channel.send),
        LIFESPAN_TIMEOUT,
    )
    data = b"".join(channel.chunks)
    ok = answer_ok(data, expected)
    if channel.status == 200 and ok and channel.done:
        return None
    return f"got {channel.status!r} {data[:200]!r}, expected 200 {expected!r}"


async def timed(app, scope, body, number):
    """Return seconds per request over ``number`` requests."""
    event = request_event(body)
    new_channel = Channel
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(number):
        channel = new_channel(event)
        await app(scope.copy(), channel.receive, channel.send)
    return (time.perf_counter() - t0) / number


class Lifespan:
    """Run an app's ASGI lifespan: startup before the requests, shutdown after."""

    def __init__(self, app, name):
        self.app = app
        self.name = name
        self.queue = asyncio.Queue()
        self.answers = asyncio.Queue()
        self.task = None
        self.supported = True

    async def receive(self):
        return await self.queue.get()

    async def send(self, message):
        await self.answers.put(message)

    async def _answer(self, expected):
        """Return the app's answer, or None if it left the lifespan scope."""
        answer = asyncio.ensure_future(self.answers.get())
        done, _ = await asyncio.wait(
            {answer, self.task}, timeout=LIFESPAN_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if answer in done:
            message = answer.result()
            if message["type"] != expected:
                raise RuntimeError(
                    f"{self.name}: lifespan answered {message!r}, expected {expected!r}; "
                    "the app failed its startup or shutdown: fix the app, then run again."
                )
            return message
        answer.cancel()
        if self.task in done:
            return None
        raise RuntimeError(f"{self.name}: no {expected!r} within {LIFESPAN_TIMEOUT} s")

    async def startup(self):
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        scope["state"] = {}
        self.task = asyncio.ensure_future(self.app(scope, self.receive, self.send))
        await self.queue.put({"type": "lifespan.startup"})
        if await self._answer("lifespan.startup.complete") is None:
            # An app that raises on the lifespan scope does not support it (ASGI spec).
            self.supported = False
            try:
                self.task.result()
            except Exception as exc:
                print(f"  {self.name}: no lifespan support ({type(exc).__name__}: {exc})")

    async def shutdown(self):
        if not self.supported:
            return
        await self.queue.put({"type": "lifespan.shutdown"})
        await self._answer("lifespan.shutdown.complete")
        await asyncio.wait_for(self.task, LIFESPAN_TIMEOUT)


def pin_to_one_core():
    """Pin this process to one CPU, so the scheduler does not move it."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


async def run(names, cases, number, repeat):
    """Check, warm up and time every framework; return (samples, started apps)."""
    apps = {}
    lifespans = []
    for name in names:
        try:
            app = build(name)
            lifespan = Lifespan(app, label(name))
            await lifespan.startup()
        except Exception as exc:
            print(f"  {label(name)}: unavailable: {type(exc).__name__}: {exc}")
            continue
        apps[name] = app
        lifespans.append(lifespan)

    print("checking answers")
    todo = {}  # case -> frameworks that answer it correctly
    failures = []
    for case in cases:
        todo[case] = []
        for name, app in apps.items():
            try:
                problem = await check(app, case)
            except Exception as exc:
                problem = f"raised {type(exc).__name__}: {exc}"
            if problem:
                failures.append(f"{label(name)} {case}: {problem}")
                print(f"  WRONG ANSWER: {label(name)} {case}: {problem}")
            else:
                todo[case].append(name)
        if not todo[case]:
            del todo[case]

    scopes = {case: make_scope(*CASES[case][:4]) for case in todo}
    bodies = {case: CASES[case][2] for case in todo}
    for case, names_ok in todo.items():  # warm up: caches, lazy imports, thread pools
        for name in names_ok:
            await timed(apps[name], scopes[case], bodies[case], max(number // 10, 10))

    samples = {case: {name: [] for name in todo[case] + ["harness"]} for case in todo}
    apps["harness"] = null_app
    for r in range(repeat):
        for case in todo:
            order = todo[case] + ["harness"]
            k = r % len(order)
            for name in order[k:] + order[:k]:  # rotate: no framework always first
                seconds = await timed(apps[name], scopes[case], bodies[case], number)
                samples[case][name].append(seconds * 1e6)

    for lifespan in lifespans:
        try:
            await lifespan.shutdown()
        except Exception as exc:
            print(f"  {lifespan.name}: shutdown: {type(exc).__name__}: {exc}")
    return todo, samples, failures


def report(todo, samples):
    """Print the table per case; return the results and target verdicts."""
    results = {}
    hits = []
    for case in todo:
        medians = {name: statistics.median(s) for name, s in samples[case].items()}
        names = todo[case]
        reference = next(n for n in ("erlen", *PEERS, *names) if n in names)
        print(f"\n{case}: {' '.join(CASES[case][:2])}")
        for name in names:
            ratio = medians[name] / medians[reference]
            low, high = min(samples[case][name]), max(samples[case][name])
            print(
                f"  {label(name):17} {medians[name]:8.2f} us  ({ratio:5.2f}x {reference})"
                f"   min {low:.2f}  max {high:.2f}"
            )
        print(f"  (harness overhead {medians['harness']:.2f} us, included above)")
        peers = [n for n in PEERS if n in names]
        if "erlen" in medians and peers:
            fastest = min(peers, key=medians.__getitem__)
            hit = medians["erlen"] <= medians[fastest]
            hits.append(hit)
            verdict = "met" if hit else "NOT met"
            print(f"  target erlen <= fastest peer ({fastest}): {verdict}")
        results[case] = {
            name: {"median_us": medians[name], "samples_us": samples[case][name]}
            for name in samples[case]
        }
    if hits:
        print(f"\ntarget erlen <= fastest peer met in {sum(hits)} of {len(hits)} cases")
    else:
        print("\ntarget erlen <= fastest peer: not checked (erlen or no peer ran)")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds, for a smoke run")
    parser.add_argument("--number", type=int, help="requests per timing (default 3000)")
    parser.add_argument("--repeat", type=int, help="timings per framework and case (default 21)")
    parser.add_argument("--only", nargs="+", choices=FRAMEWORKS, help="frameworks to run")
    parser.add_argument("--cases", nargs="+", choices=list(CASES), help="cases to run")
    parser.add_argument(
        "--json", metavar="PATH", default=str(DEFAULT_JSON), help="where to write the results"
    )
    args = parser.parse_args(argv)
    number = args.number or (300 if args.quick else 3000)
    repeat = args.repeat or (3 if args.quick else 21)
    names = args.only or FRAMEWORKS
    cases = args.cases or list(CASES)

    sys.path.insert(0, str(SRC))  # measure the working tree's erlen
    cpu = pin_to_one_core()
    shown = dict.fromkeys(distribution(name) for name in names)
    versions = {name: version(name) for name in [*shown, "anyio", "python-multipart"]}
    print(f"Python {platform.python_version()} on {platform.machine()}, pinned to CPU {cpu}")
    print("versions: " + ", ".join(f"{name} {v}" for name, v in versions.items()))
    print(f"{number} requests x {repeat} repeats per framework and case, median of repeats")

    start = time.perf_counter()
    todo, samples, failures = asyncio.run(run(names, cases, number, repeat))
    elapsed = time.perf_counter() - start
    results = report(todo, samples)
    print(f"run took {elapsed:.0f} s")

    write_report(
        args.json,
        {
            "python": platform.python_version(),
            "cpu": cpu,
            "number": number,
            "repeat": repeat,
            "versions": versions,
            "failures": failures,
            "results": results,
        },
    )
    if failures:
        print(f"\n{len(failures)} wrong answer(s), left out of the tables above:")
        for failure in failures:
            print(f"  {failure}")
        sys.exit(1)


if __name__ == "__main__":
    main()
