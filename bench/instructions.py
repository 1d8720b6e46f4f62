"""Instructions per request of one app, counted by callgrind: a figure that does not move.

CPU time on a shared machine moves by a few percent from run to run;
callgrind's count of executed instructions does not (two runs agree within
0.01%). Only the timed loop is counted: it runs inside ``eval()``, and
callgrind collects inside ``builtin_eval`` only. With ``--cycles`` the
cache and branch simulators also estimate cycles (instructions + 15 per
mispredicted branch + 10 per L1 miss + 100 per last-level miss), which
follows CPU time more closely. Needs Debian's ``valgrind``.

    python bench/instructions.py                       # erlen, ASGI, every case
    python bench/instructions.py --wsgi --cases hello
    python bench/instructions.py --app falcon --cycles # an ASGI peer
    python bench/instructions.py --src /tmp/old/src    # another tree's erlen
    python bench/instructions.py --typed "erlen msgspec asgi" litestar
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(src: str, protocol: str, app_name: str, case: str, number: int) -> None:
    """Serve ``number`` requests, the last ``number`` of them inside ``eval()``."""
    sys.path[:0] = [src, str(HERE)]
    if case == "typed":
        typed_child(app_name, number)
        return
    from apps import CASES

    method, path, body, content_type, _ = CASES[case]
    if protocol == "wsgi":
        import apps
        import inprocess

        app = getattr(apps, f"{app_name}_app")()
        template = inprocess.make_environ(method, path, body, content_type)
        inprocess.timed(app, template, body, 300)
        eval("inprocess.timed(app, template, body, number)")
    else:
        import asyncio

        import asgi_apps
        import asgi_inprocess

        app = asgi_apps.build(app_name)
        scope = asgi_inprocess.make_scope(method, path, body, content_type)
        loop = asyncio.new_event_loop()
        loop.run_until_complete(asgi_inprocess.timed(app, scope, body, 300))
        eval("loop.run_until_complete(asgi_inprocess.timed(app, scope, body, number))")


def typed_child(name: str, number: int) -> None:
    """Serve ``number`` requests of ``typed_inprocess.py``'s contender ``name``."""
    import asyncio

    import typed_inprocess as typed

    builder, protocol, _ = typed.CONTENDERS[name]
    app = builder()
    if protocol == "wsgi":
        typed._wsgi_timed(app, 300)
        eval("typed._wsgi_timed(app, number)")
    else:
        loop = asyncio.new_event_loop()
        loop.run_until_complete(typed._asgi_timed(app, 300))
        eval("loop.run_until_complete(typed._asgi_timed(app, number))")


def count(src: str, protocol: str, app_name: str, case: str, number: int, cycles: bool) -> str:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        command += ["--collect-atstart=no", "--toggle-collect=builtin_eval"]
        if cycles:
            command += ["--cache-sim=yes", "--branch-sim=yes"]
        command += [sys.executable, __file__, "--child", src, protocol, app_name, case, str(number)]
        environ = dict(os.environ, PYTHONHASHSEED="0")
        subprocess.run(command, check=True, env=environ, capture_output=True)
        events: dict[str, int] = {}
        names: list[str] = []
        for line in out.read_text().splitlines():
            if line.startswith("events:"):
                names = line.split()[1:]
            elif line.startswith(("summary:", "totals:")):
                events = dict(zip(names, map(int, line.split()[1:]), strict=True))
    ir = events["Ir"] / number
    text = f"{ir:9.0f} instructions"
    if cycles:
        missed = events.get("Bcm", 0) + events.get("Bim", 0)
        l1 = sum(events.get(name, 0) for name in ("I1mr", "D1mr", "D1mw"))
        ll = sum(events.get(name, 0) for name in ("ILmr", "DLmr", "DLmw"))
        estimate = events["Ir"] + 15 * missed + 10 * l1 + 100 * ll
        text += f"  {estimate / number:9.0f} estimated cycles"
    return text


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        src, protocol, app_name, case, number = sys.argv[2:7]
        child(src, protocol, app_name, case, int(number))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", default=str(HERE.parent / "src"), help="the erlen to measure")
    parser.add_argument("--wsgi", action="store_true", help="WSGI (inprocess.py), not ASGI")
    parser.add_argument("--app", default="erlen", help="the app: erlen, erlen-def, falcon ...")
    parser.add_argument("--cases", nargs="+", default=["hello", "json", "form"])
    parser.add_argument("--number", type=int, default=2000, help="requests counted")
    parser.add_argument("--cycles", action="store_true", help="also estimate cycles (slower)")
    parser.add_argument(
        "--typed", nargs="+", metavar="NAME", help="typed_inprocess.py's contenders instead"
    )
    args = parser.parse_args()
    protocol = "wsgi" if args.wsgi else "asgi"
    for name in args.typed or ():
        result = count(args.src, "typed", name, "typed", args.number, args.cycles)
        print(f"typed {name:22s} {result} per request")
    if args.typed:
        return
    for case in args.cases:
        result = count(args.src, protocol, args.app, case, args.number, args.cycles)
        print(f"{protocol} {args.app:12s} {case:6s} {result} per request")


if __name__ == "__main__":
    main()
