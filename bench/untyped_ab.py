"""An untyped app's cost, erlen from two source trees, alternating (A/B).

Whether a change (typed views, say) costs an app that does not use it
anything per request: the same app, ``GET /user/42`` answering a dict from
a view annotated ``(uid: int) -> dict``, served by erlen from ``--base``
and from this checkout, in alternating child processes, each pinned to one
CPU and timing CPU time per request (median of its repeats). The figure is
the median over the rounds of each side.

    git archive <base commit> src | tar -x -C /tmp/base
    python bench/untyped_ab.py --base /tmp/base/src --rounds 12
"""

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"

CHILD = """
import gc, io, os, statistics, sys, time
sys.path.insert(0, sys.argv[1])
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
from erlen import Erlen
app = Erlen("untyped")

@app.get("/user/<int:uid>")
def user(uid: int) -> dict:
    return {"id": uid}

environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/user/42", "QUERY_STRING": "",
    "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
    "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr}
assert app.view_functions["user"] is user
number, repeat = int(sys.argv[2]), int(sys.argv[3])
found = []
for _ in range(repeat):
    gc.collect()
    start = time.process_time()
    for _ in range(number):
        for _chunk in app(environ.copy(), lambda *a: None):
            pass
    found.append((time.process_time() - start) / number * 1e6)
print(statistics.median(found))
"""


def measure(src, number, repeat):
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), str(number), str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the other tree's src/ folder")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--number", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    sides = {"base": [], "this": []}
    for round_ in range(args.rounds):
        order = [("base", args.base), ("this", SRC)]
        if round_ % 2:
            order.reverse()
        for name, src in order:
            sides[name].append(measure(src, args.number, args.repeat))
        print(
            f"round {round_ + 1}: base {sides['base'][-1]:.2f} us, this {sides['this'][-1]:.2f} us"
        )
    base, this = (statistics.median(sides[name]) for name in ("base", "this"))
    print(f"\nmedian: base {base:.2f} us, this {this:.2f} us, this/base = {this / base:.3f}")


if __name__ == "__main__":
    main()
