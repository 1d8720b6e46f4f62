"""Per-request cost of erlen with the flask alias on, against the alias off.

One process; the apps of ``inprocess.py`` (``def`` views, for WSGI) and of
``asgi_inprocess.py`` (``async def`` views, for ASGI). Werkzeug is imported, so with
the alias on erlen's classes carry Werkzeug's bases, as they do once an
extension is loaded. Each repeat times the alias off, then on (the order
alternating between repeats), under WSGI and under ASGI, calling the app
directly as ``inprocess.py`` and ``asgi_inprocess.py`` do. The figure is
the median over repeats; the target is on within 3% of off.

    python bench/flask_alias.py                 # about a minute
    python bench/flask_alias.py --quick         # smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys

from apps import CASES, SRC, erlen_app
from asgi_apps import build
from asgi_inprocess import make_scope
from asgi_inprocess import timed as timed_asgi
from inprocess import check, make_environ, pin_to_one_core, timed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds, for a smoke run")
    parser.add_argument("--number", type=int, help="requests per timing (default 3000)")
    parser.add_argument("--repeat", type=int, help="timings per setting (default 21)")
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=["hello", "json"])
    args = parser.parse_args(argv)
    number = args.number or (300 if args.quick else 3000)
    repeat = args.repeat or (3 if args.quick else 21)

    sys.path.insert(0, str(SRC))  # measure the working tree's erlen
    import erlen.flask_compat as alias

    # isort: split
    import flask
    import werkzeug.datastructures  # noqa: F401 - what extensions import
    import werkzeug.exceptions  # noqa: F401

    assert flask.Flask.__name__ == "Erlen"
    app = erlen_app()
    asgi_app = build("erlen")
    cpu = pin_to_one_core()
    print(f"Python {platform.python_version()} on {platform.machine()}, pinned to CPU {cpu}")
    print(f"{number} requests x {repeat} repeats per setting, median of repeats")

    templates = {case: make_environ(*CASES[case][:4]) for case in args.cases}
    scopes = {case: make_scope(*CASES[case][:4]) for case in args.cases}
    bodies = {case: CASES[case][2] for case in args.cases}
    for case in args.cases:
        problem = check(app, case)
        if problem:
            sys.exit(f"{case}: {problem}")

    def switch(on):
        if on:
            alias.install()
        else:
            alias.uninstall()

    loop = asyncio.new_event_loop()
    samples = {
        (proto, case, on): []
        for proto in ("wsgi", "asgi")
        for case in args.cases
        for on in (False, True)
    }
    for on in (False, True):  # warm up both settings
        switch(on)
        for case in args.cases:
            timed(app, templates[case], bodies[case], max(number // 10, 10))
            loop.run_until_complete(timed_asgi(asgi_app, scopes[case], bodies[case], number // 10))
    for r in range(repeat):
        for on in (r % 2 == 0, r % 2 == 1):
            switch(on)
            for case in args.cases:
                seconds = timed(app, templates[case], bodies[case], number)
                samples["wsgi", case, on].append(seconds * 1e6)
                seconds = loop.run_until_complete(
                    timed_asgi(asgi_app, scopes[case], bodies[case], number)
                )
                samples["asgi", case, on].append(seconds * 1e6)
    loop.close()
    switch(False)

    for proto in ("wsgi", "asgi"):
        for case in args.cases:
            off = statistics.median(samples[proto, case, False])
            on = statistics.median(samples[proto, case, True])
            verdict = "met" if on <= off * 1.03 else "NOT met"
            print(
                f"{proto} {case:6} alias off {off:6.2f} us   on {on:6.2f} us   "
                f"on/off {on / off:.3f}   target <= 1.03: {verdict}"
            )


if __name__ == "__main__":
    main()
