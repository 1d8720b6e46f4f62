"""The blog example (examples/blog) on erlen against the same blog on Flask, in-process.

The same application code and the same extensions (Flask-SQLAlchemy,
Flask-Login, Flask-WTF, Flask-Migrate, Flask-Session) serve each request;
only what ``import flask`` gives differs. Each side runs in a process of its
own (erlen's with ``import erlen.flask_compat`` first), both pinned to one
CPU, on a SQLite file of its own holding the same posts. The parent tells
them in turn to serve a block of requests, rotating who goes first, and
each reports the CPU time per request. Run ``python bench/blog_inprocess.py --help``.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
BLOG = HERE.parent / "examples" / "blog"
SIDES = ("erlen", "flask")
POSTS = 25

# name -> (path, what the answer must hold)
CASES = {
    "home": ("/", "the home page: 10 posts with their authors (2 queries) and a template"),
    "api": ("/api/posts", "the JSON API's list: the same 10 posts as JSON"),
    "post": ("/posts/7", "one post's page: a query by primary key and a template"),
}


# -- the child: one framework, one app, serving blocks of requests ----------------


def child(side: str, database: str, src: str) -> None:
    if side == "erlen":
        sys.path.insert(0, src)  # the working tree's erlen
        import erlen.flask_compat  # noqa: F401  (first: `import flask` gives erlen)
    sys.path.insert(0, str(BLOG))
    sys.path.insert(0, str(HERE))
    import flask
    import flask_migrate
    from blog import create_app
    from blog.extensions import db
    from blog.models import Post, User
    from cachelib import SimpleCache
    from inprocess import make_environ, start_response

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SESSION_TYPE": "cachelib",
            "SESSION_CACHELIB": SimpleCache(),
        }
    )
    logging.disable(logging.INFO)  # the migration's log lines
    with app.app_context():
        flask_migrate.upgrade()
        author = User(username="ada", password_hash="-")
        start = datetime(2026, 1, 1)
        db.session.add_all(
            Post(
                title=f"Post number {number}",
                body=f"The text of post {number}. " * 20,
                author=author,
                created_at=start + timedelta(hours=number),
            )
            for number in range(1, POSTS + 1)
        )
        db.session.commit()

    templates = {case: make_environ("GET", path, b"", None) for case, (path, _) in CASES.items()}

    def serve(case: str) -> tuple[str, bytes]:
        environ = templates[case].copy()
        environ["wsgi.input"] = io.BytesIO()
        result = app(environ, start_response)
        try:
            return start_response.status, b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()

    def timed(case: str, number: int) -> float:
        template = templates[case]
        BytesIO = io.BytesIO
        gc.collect()
        t0 = time.process_time()
        for _ in range(number):
            environ = template.copy()
            environ["wsgi.input"] = BytesIO()
            result = app(environ, start_response)
            for _chunk in result:
                pass
            if hasattr(result, "close"):
                result.close()
        return (time.process_time() - t0) / number * 1e6

    served_by = f"{flask.Flask.__module__}.{flask.Flask.__qualname__}"
    if side == "erlen":
        where = Path(sys.modules[flask.Flask.__module__].__file__).parent
        served_by += f" (erlen {_version('erlen')} from {where})"
    else:
        served_by += f" (Flask {_version('flask')})"
    print(json.dumps({"ready": True, "flask": served_by}), flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "check":
            answers = {}
            for case in CASES:
                status, body = serve(case)
                answers[case] = [status, body.decode(errors="replace")]
            print(json.dumps(answers), flush=True)
        elif command == "time":
            print(json.dumps(timed(args[0], int(args[1]))), flush=True)
        elif command == "quit":
            return


def _version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


# -- the parent: starts both, checks their answers, alternates the timing ---------


class Side:
    def __init__(self, name: str, python: str, database: str, cpu: int | None, src: str) -> None:
        self.name = name
        env = {**os.environ, "PYTHONPATH": str(BLOG)}
        self.process = subprocess.Popen(
            [python, __file__, "--child", name, "--database", database, "--erlen-src", src],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        if cpu is not None:
            os.sched_setaffinity(self.process.pid, {cpu})
        self.hello = self.read()

    def ask(self, command: str):
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.read()

    def read(self):
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            raise SystemExit(
                f"The {self.name} side exited (status {self.process.returncode}); "
                "see its error above. Is the blog's requirements-flask.txt installed?"
            )
        return json.loads(line)

    def stop(self) -> None:
        try:
            self.ask("quit")
        except (BrokenPipeError, SystemExit):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def check(sides: dict[str, Side]) -> list[str]:
    """Return what is wrong with the answers (empty when both are right and agree)."""
    problems = []
    answers = {name: side.ask("check") for name, side in sides.items()}
    for case in CASES:
        for name in sides:
            status, body = answers[name][case]
            if not status.startswith("200"):
                problems.append(f"{name} {case}: {status} {body[:300]!r}")
            elif case == "home" and body.count('<article class="post">') != 10:
                problems.append(f"{name} home: not 10 posts: {body[:300]!r}")
        if (
            case == "api"
            and len({json.dumps(json.loads(a[case][1])) for a in answers.values()}) > 1
        ):
            problems.append("api: erlen and Flask send different JSON")
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds, for a smoke run")
    parser.add_argument("--number", type=int, help="requests per timed block (default 500)")
    parser.add_argument("--repeat", type=int, help="blocks per side and case (default 21)")
    parser.add_argument(
        "--flask-python",
        default=sys.executable,
        help="the Python whose Flask and extensions serve Flask's side (default: this one)",
    )
    parser.add_argument(
        "--erlen-src", default=str(SRC), help="the erlen to measure (default: this tree's src/)"
    )
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH")
    parser.add_argument("--child", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.database, args.erlen_src)
        return
    number = args.number or (50 if args.quick else 500)
    repeat = args.repeat or (3 if args.quick else 21)
    cpu = max(os.sched_getaffinity(0)) if hasattr(os, "sched_setaffinity") else None

    with tempfile.TemporaryDirectory(prefix="blog-bench-") as folder:
        sides = {
            "erlen": Side("erlen", sys.executable, f"{folder}/erlen.sqlite3", cpu, args.erlen_src),
            "flask": Side(
                "flask", args.flask_python, f"{folder}/flask.sqlite3", cpu, args.erlen_src
            ),
        }
        try:
            print(f"Python {platform.python_version()}, both sides pinned to CPU {cpu}")
            for name, side in sides.items():
                print(f"  {name}: `import flask` gives {side.hello['flask']}")
            print(f"{number} requests x {repeat} blocks per side and case; CPU time, medians")
            problems = check(sides)
            if problems:
                raise SystemExit("Wrong answers, nothing timed:\n  " + "\n  ".join(problems))
            for case in CASES:  # warm up
                for side in sides.values():
                    side.ask(f"time {case} {max(number // 5, 10)}")
            samples = {case: {name: [] for name in sides} for case in CASES}
            for round_ in range(repeat):
                for case in CASES:
                    order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
                    for name in order:
                        samples[case][name].append(sides[name].ask(f"time {case} {number}"))
        finally:
            for side in sides.values():
                side.stop()

    results = {}
    met = []
    for case, (path, what) in CASES.items():
        medians = {name: statistics.median(values) for name, values in samples[case].items()}
        ratio = medians["erlen"] / medians["flask"]
        met.append(ratio <= 0.5)
        print(f"\n{case}: GET {path} ({what})")
        for name, values in samples[case].items():
            print(
                f"  {name:6} {medians[name]:8.1f} us  ({medians[name] / medians['flask']:.2f}x flask)"
                f"   min {min(values):.1f}  max {max(values):.1f}"
            )
        print(f"  target erlen <= 0.5x flask: {'met' if ratio <= 0.5 else 'NOT met'}")
        results[case] = {"median_us": medians, "samples_us": samples[case], "ratio": ratio}
    print(f"\ntarget met in {sum(met)} of {len(met)} cases")
    if args.json:
        from apps import write_report

        write_report(
            args.json,
            {
                "python": platform.python_version(),
                "number": number,
                "repeat": repeat,
                "sides": {name: side.hello["flask"] for name, side in sides.items()},
                "results": results,
            },
        )


if __name__ == "__main__":
    main()
