"""Per-request cost of erlen and its peers, calling each WSGI app directly.

No server and no socket: each call builds a fresh environ, calls
``app(environ, start_response)``, consumes the iterable and closes it, as a
server would. Frameworks run round-robin inside every repeat, so drift on a
noisy machine hits all of them alike; the reported figure is the median over
repeats. Run ``python bench/inprocess.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import platform
import statistics
import sys
import time

from apps import BUILDERS, CASES, FRAMEWORKS, SRC, answer_ok, version, write_report


def make_environ(method, path, body, content_type):
    """Return a WSGI environ template like one a server builds (PEP 3333)."""
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "erlen-bench/1",
        "HTTP_ACCEPT": "*/*",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if content_type:
        environ["CONTENT_TYPE"] = content_type
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


def start_response(status, headers, exc_info=None):
    start_response.status = status
    return None


def null_app(environ, start_response):
    """Do nothing but answer: its time is the harness's own overhead."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, World!"]


def call(app, template, body):
    """Serve one request; return (status, body)."""
    environ = template.copy()
    environ["wsgi.input"] = io.BytesIO(body)
    start_response.status = None
    result = app(environ, start_response)
    try:
        data = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return start_response.status, data


def check(app, case):
    """Return None if the app answers the case correctly, else a message."""
    method, path, body, content_type, expected = CASES[case]
    status, data = call(app, make_environ(method, path, body, content_type), body)
    ok = answer_ok(data, expected)
    if status and status.startswith("200") and ok:
        return None
    return f"got {status!r} {data[:200]!r}, expected 200 {expected!r}"


def timed(app, template, body, number):
    """Return seconds per request over ``number`` requests."""
    sr = start_response
    BytesIO = io.BytesIO
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(number):
        environ = template.copy()
        environ["wsgi.input"] = BytesIO(body)
        result = app(environ, sr)
        for _chunk in result:
            pass
        if hasattr(result, "close"):
            result.close()
    return (time.perf_counter() - t0) / number


def pin_to_one_core():
    """Pin this process to one CPU, so the scheduler does not move it."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def build_apps(names):
    apps = {}
    for name in names:
        try:
            apps[name] = BUILDERS[name]()
        except Exception as exc:
            print(f"  {name}: unavailable: {type(exc).__name__}: {exc}")
    return apps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds, for a smoke run")
    parser.add_argument("--number", type=int, help="requests per timing (default 3000)")
    parser.add_argument("--repeat", type=int, help="timings per framework and case (default 21)")
    parser.add_argument("--only", nargs="+", choices=FRAMEWORKS, help="frameworks to run")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH")
    args = parser.parse_args(argv)
    number = args.number or (300 if args.quick else 3000)
    repeat = args.repeat or (3 if args.quick else 21)
    names = args.only or FRAMEWORKS

    sys.path.insert(0, str(SRC))  # measure the working tree's erlen
    cpu = pin_to_one_core()
    versions = {name: version(name) for name in names}
    print(f"Python {platform.python_version()} on {platform.machine()}, pinned to CPU {cpu}")
    print("versions: " + ", ".join(f"{name} {v}" for name, v in versions.items()))
    print(f"{number} requests x {repeat} repeats per framework and case, median of repeats")

    print("checking answers")
    apps = build_apps(names)
    todo = {}  # case -> frameworks that answer it correctly
    for case in CASES:
        todo[case] = []
        for name, app in apps.items():
            try:
                problem = check(app, case)
            except Exception as exc:
                problem = f"raised {type(exc).__name__}: {exc}"
            if problem:
                print(f"  {name} {case}: {problem}")
            else:
                todo[case].append(name)
        if not todo[case]:
            del todo[case]

    templates = {case: make_environ(*CASES[case][:4]) for case in todo}
    bodies = {case: CASES[case][2] for case in todo}
    for case, names_ok in todo.items():  # warm up: caches, lazy imports
        for name in names_ok:
            timed(apps[name], templates[case], bodies[case], max(number // 10, 10))

    samples = {case: {name: [] for name in todo[case] + ["harness"]} for case in todo}
    apps["harness"] = null_app
    start = time.perf_counter()
    for r in range(repeat):
        for case in todo:
            order = todo[case] + ["harness"]
            k = r % len(order)
            for name in order[k:] + order[:k]:  # rotate: no framework always first
                seconds = timed(apps[name], templates[case], bodies[case], number)
                samples[case][name].append(seconds * 1e6)
    elapsed = time.perf_counter() - start

    results = {}
    hits = []
    for case in todo:
        medians = {name: statistics.median(s) for name, s in samples[case].items()}
        reference = next(n for n in ("erlen", "falcon", *todo[case]) if n in todo[case])
        print(f"\n{case}: {' '.join(CASES[case][:2])}")
        for name in todo[case]:
            ratio = medians[name] / medians[reference]
            spread = min(samples[case][name]), max(samples[case][name])
            print(
                f"  {name:7} {medians[name]:8.2f} us  ({ratio:.2f}x {reference})"
                f"   min {spread[0]:.2f}  max {spread[1]:.2f}"
            )
        print(f"  (harness overhead {medians['harness']:.2f} us, included above)")
        if "erlen" in medians and "falcon" in medians:
            hit = medians["erlen"] <= medians["falcon"]
            hits.append(hit)
            verdict = "met" if hit else "NOT met"
            print(f"  target erlen <= falcon: {verdict}")
        results[case] = {
            name: {"median_us": medians[name], "samples_us": samples[case][name]}
            for name in samples[case]
        }

    if hits:
        print(f"\ntarget erlen <= falcon met in {sum(hits)} of {len(hits)} cases")
    else:
        print("\ntarget erlen <= falcon: not checked (erlen or falcon did not run)")
    print(f"timed part took {elapsed:.0f} s")

    if args.json:
        report = {
            "python": platform.python_version(),
            "cpu": cpu,
            "number": number,
            "repeat": repeat,
            "versions": versions,
            "results": results,
        }
        write_report(args.json, report)


if __name__ == "__main__":
    main()
