"""Import time and memory of a minimal one-route app, per framework.

Each measurement is a fresh ``python`` process that imports the framework,
builds a one-route app (timed inside the child with ``perf_counter``), serves
one request in-process and reports its resident set size (VmRSS, Linux).
The parent also times the whole child from outside, minus a bare-Python
child that does the same with a plain WSGI function. Runs go round-robin
across frameworks; figures are medians. See ``--help``.

Children run with ``python -S`` and site-packages on ``PYTHONPATH``, so that
``.pth`` files on this machine (which may import modules at every startup)
do not preload what the frameworks would otherwise pay for. ``--site``
runs them the ordinary way instead.
"""

from __future__ import annotations

import argparse
import os
import platform
import site
import statistics
import subprocess
import sys
import time

from apps import FRAMEWORKS, SRC, version, write_report

# The timed part: import the framework and build the app.
SNIPPETS = {
    "python": """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, World!"]
""",
    "erlen": """
from erlen import Erlen
app = Erlen(__name__)
@app.route("/")
def hello():
    return "Hello, World!"
""",
    "flask": """
from flask import Flask
app = Flask(__name__)
@app.route("/")
def hello():
    return "Hello, World!"
""",
    "falcon": """
import falcon
class Hello:
    def on_get(self, req, resp):
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "Hello, World!"
app = falcon.App()
app.add_route("/", Hello())
""",
    "bottle": """
import bottle
app = bottle.Bottle()
@app.route("/")
def hello():
    return "Hello, World!"
""",
}

HEAD = "import time\nt0 = time.perf_counter()\n"

# Untimed: serve one request, then report milliseconds, RSS, modules, answer.
TAIL = """
t1 = time.perf_counter()
import io, sys
environ = {
    "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/", "QUERY_STRING": "",
    "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
    "HTTP_HOST": "127.0.0.1:8000", "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
    "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr, "wsgi.multithread": False,
    "wsgi.multiprocess": False, "wsgi.run_once": False,
}
status = []
result = app(environ, lambda s, headers, exc_info=None: status.append(s))
body = b"".join(result)
if hasattr(result, "close"):
    result.close()
ok = status[0].startswith("200") and body == b"Hello, World!"
with open("/proc/self/status") as file:
    rss_kb = next(int(line.split()[1]) for line in file if line.startswith("VmRSS:"))
print((t1 - t0) * 1000, rss_kb, len(sys.modules), ok)
"""


def run_child(name, command, env):
    """Run one fresh process; return (wall ms, import ms, RSS kB, modules)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [*command, HEAD + SNIPPETS[name] + TAIL],
        env=env,
        capture_output=True,
        text=True,
    )
    wall_ms = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(last)
    import_ms, rss_kb, modules, ok = proc.stdout.split()
    if ok != "True":
        raise RuntimeError("wrong answer to GET /")
    return wall_ms, float(import_ms), int(rss_kb), int(modules)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="processes per framework")
    parser.add_argument("--site", action="store_true", help="let children process .pth files")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH")
    args = parser.parse_args(argv)

    if hasattr(os, "sched_setaffinity"):  # children inherit the pinning
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    env = dict(os.environ)
    # Let every framework use compiled .pyc files, as an installed one does.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    paths = [str(SRC), env.get("PYTHONPATH")]
    command = [sys.executable, "-c"]
    if not args.site:
        command = [sys.executable, "-S", "-c"]
        paths += [*site.getsitepackages(), site.getusersitepackages()]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p and os.path.isdir(p))
    sys.path.insert(0, str(SRC))
    versions = {name: version(name) for name in FRAMEWORKS}
    print(f"Python {platform.python_version()} on {platform.machine()}")
    print("versions: " + ", ".join(f"{name} {v}" for name, v in versions.items()))
    shown = " ".join(["python", *command[1:], "..."])
    print(f"{args.runs} fresh processes ({shown}) per framework, round-robin, medians")

    names = []
    for name in ["python", *FRAMEWORKS]:  # warm-up run: writes .pyc, checks it works
        try:
            run_child(name, command, env)
            names.append(name)
        except RuntimeError as exc:
            print(f"  {name}: unavailable: {exc}")

    samples = {name: [] for name in names}
    for r in range(args.runs):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            samples[name].append(run_child(name, command, env))

    results = {}
    for name in names:
        wall, import_ms, rss_kb, modules = (
            statistics.median(column) for column in zip(*samples[name], strict=True)
        )
        results[name] = {
            "wall_ms": wall,
            "import_ms": import_ms,
            "rss_mb": rss_kb / 1024,
            "modules": modules,
        }
    base_wall = results["python"]["wall_ms"]
    for result in results.values():
        result["wall_over_python_ms"] = result["wall_ms"] - base_wall

    flask = results.get("flask")
    print(
        f"\n{'':8}{'import ms':>10}{'wall-python ms':>16}{'RSS MB':>8}{'modules':>9}",
        end="",
    )
    print("   (ratio to flask: import, RSS)" if flask else "")
    for name, result in results.items():
        line = (
            f"{name:8}{result['import_ms']:10.1f}{result['wall_over_python_ms']:16.1f}"
            f"{result['rss_mb']:8.1f}{result['modules']:9.0f}"
        )
        if flask and name != "python":
            line += (
                f"   {result['import_ms'] / flask['import_ms']:.2f}x"
                f"  {result['rss_mb'] / flask['rss_mb']:.2f}x"
            )
        print(line)

    erlen = results.get("erlen")
    if erlen and flask:
        verdict = "met" if erlen["import_ms"] < flask["import_ms"] / 2 else "NOT met"
        print(f"\ntarget erlen import < half of flask's: {verdict}")
    if erlen:
        verdict = "met" if erlen["rss_mb"] < 20 else "NOT met"
        print(f"target erlen RSS < 20 MB: {verdict}")
    else:
        print("\ntargets not checked: erlen did not run")

    if args.json:
        report = {"python": platform.python_version(), "runs": args.runs}
        report.update(versions=versions, results=results)
        write_report(args.json, report)


if __name__ == "__main__":
    main()
