"""Requests per second of one erlen app under granian, RSGI against ASGI, loaded by wrk.

The same app object (``asgi_apps.py``'s erlen builder: ``async def`` views;
``--def`` adds its ``def``-view twin) is served by ``granian --interface
asgi`` and by ``granian --interface rsgi``, one worker each, pinned with
``taskset`` to one CPU while wrk runs pinned to another. Both servers run
side by side for the whole run and wrk loads them in turn, the order
rotating each repeat, so a busy moment on a shared machine falls on both.
The figure is the median requests per second over the repeats, and the
ratio RSGI / ASGI; the target is at least 1.3 for ``hello``. Beside it
stands the server's CPU time per request (user and system time of the
granian processes, all their threads, over the requests wrk counted): on a
machine shared with other work, requests per second swing with what else
runs, while CPU time per request hardly moves, so its ratio ASGI / RSGI is
the steadier reading of the same comparison. Starting,
answer checks, wrk and pinning are those of ``bench/servers_wrk.py`` and
``bench/uvicorn_wrk.py``. Run ``python bench/rsgi_wrk.py --help``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import servers_wrk
import uvicorn_wrk
from apps import CASES, SRC, version, write_report
from uvicorn_wrk import choose_cpus, measure, wrk_version

DEFAULT_JSON = servers_wrk.HERE / "results" / "rsgi_wrk.json"
#: RSGI's requests per second over ASGI's, for hello.
TARGET = 1.3
#: Row -> (granian interface, factory).
ROWS = {
    "asgi": ("asgi", "asgi_apps:erlen_app"),
    "rsgi": ("rsgi", "asgi_apps:erlen_app"),
    "asgi-def": ("asgi", "asgi_apps:erlen_def_app"),
    "rsgi-def": ("rsgi", "asgi_apps:erlen_def_app"),
    # The protocols alone (raw_apps.py, hello only): the most RSGI can gain.
    "asgi-raw": ("asgi", "raw_apps:asgi_hello"),
    "rsgi-raw": ("rsgi", "raw_apps:rsgi_hello"),
}


def cpu_seconds(pid: int) -> float:
    """User and system time of process ``pid`` and its child processes, all threads, so far."""
    ticks = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                pids.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def run_wrk_timing_cpu(server: Any, case: str, args: Any, duration: int) -> dict[str, Any]:
    """uvicorn_wrk's run_wrk, with the server's CPU time per request added to the totals."""
    before = cpu_seconds(server.process.pid)
    totals: dict[str, Any] = RUN_WRK(server, case, args, duration)
    spent = cpu_seconds(server.process.pid) - before
    totals["cpu_us_per_request"] = spent / max(totals["requests"], 1) * 1e6
    return totals


RUN_WRK = uvicorn_wrk.run_wrk


class Process(servers_wrk.Process):
    """granian serving erlen's app through one interface; the rest is servers_wrk's."""

    def __init__(self, row: str, *, cpu: int | None, log_dir: str) -> None:
        interface, factory = ROWS[row]
        uvicorn_wrk.Server.__init__(self, row, loop=None, cpu=cpu, log_dir=log_dir)
        self.server = f"granian-{interface}"
        self.target = factory


def report(cases: list[str], rows: list[str], samples: dict, failures: dict) -> dict[str, Any]:
    """Print each case's requests per second and RSGI's ratio to ASGI; return the results."""
    results: dict[str, Any] = {}
    for case in cases:
        print(f"\n{case}: {' '.join(CASES[case][:2])}")
        medians: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for row in rows:
            if row.endswith("-raw") and case != "hello":
                continue  # the bare protocols answer hello only
            runs = samples[case].get(row)
            if not runs or (row, case) in failures:
                print(f"  {row:9} FAILED: {failures.get((row, case), 'no run')}")
                continue
            medians[row] = statistics.median(t["rps"] for t in runs)
            cpu[row] = statistics.median(t["cpu_us_per_request"] for t in runs)
            rps = [t["rps"] for t in runs]
            print(
                f"  {row:9} {medians[row]:9.0f} req/s   min {min(rps):.0f}  max {max(rps):.0f}"
                f"   server CPU {cpu[row]:6.1f} us/request"
            )
        ratios = {}
        for suffix in ("", "-def", "-raw"):
            rsgi, asgi = f"rsgi{suffix}", f"asgi{suffix}"
            if rsgi in medians and asgi in medians:
                ratio = medians[rsgi] / medians[asgi]
                ratios[f"{rsgi}/{asgi}"] = ratio
                ratios[f"{rsgi}/{asgi} by CPU"] = cpu[asgi] / cpu[rsgi]
                line = (
                    f"  {rsgi} / {asgi}: {ratio:.2f}x req/s, "
                    f"{cpu[asgi] / cpu[rsgi]:.2f}x by CPU time per request"
                )
                if case == "hello" and not suffix:
                    line += f"   target >= {TARGET}: {'met' if ratio >= TARGET else 'NOT met'}"
                print(line)
        results[case] = {
            "median_rps": medians,
            "median_cpu_us_per_request": cpu,
            "ratios": ratios,
            "runs": {row: samples[case].get(row, []) for row in rows},
        }
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 s loads, 1 repeat: a smoke run")
    parser.add_argument("--def", dest="def_views", action="store_true", help="add def views")
    parser.add_argument(
        "--raw", action="store_true", help="add the bare protocols (raw_apps.py), hello only"
    )
    parser.add_argument("--cases", nargs="+", choices=list(CASES), help="cases to run")
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    numbers = {  # option: (default, help), as servers_wrk.py has them
        "duration": (None, "seconds per wrk run (default 5)"),
        "repeat": (None, "wrk runs per row and case (default 7)"),
        "warmup": (None, "seconds of load before timing (default 2)"),
        "connections": (64, "wrk -c (default 64)"),
        "threads": (1, "wrk -t (default 1)"),
        "server-cpu": (0, "CPU for granian (default 0)"),
        "client-cpu": (1, "CPU for wrk (default 1)"),
    }
    for name, (default, text) in numbers.items():
        parser.add_argument(f"--{name}", type=int, default=default, help=text)
    parser.add_argument("--json", metavar="PATH", default=str(DEFAULT_JSON), help="results file")
    args = parser.parse_args(argv)
    args.duration = args.duration or (1 if args.quick else 5)
    args.repeat = args.repeat or (1 if args.quick else 7)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.quick else 2)
    cases = args.cases or list(CASES)
    rows = [row for row in ROWS if not row.endswith(("-def", "-raw"))]
    rows += [row for row in ROWS if row.endswith("-def")] if args.def_views else []
    raw = [row for row in ROWS if row.endswith("-raw")] if args.raw else []
    if shutil.which("wrk") is None:
        sys.exit("wrk, the load generator, is not installed: `apt-get install wrk`, then again.")
    server_cpu, client_cpu = choose_cpus(args)
    args.client_cpu = client_cpu

    sys.path.insert(0, str(SRC))  # report the working tree's erlen version
    # granian's --loop auto takes rloop, else uvloop, else asyncio.
    loops = {name: importlib.util.find_spec(name) is not None for name in ("rloop", "uvloop")}
    versions = {
        **{name: version(name) for name in ("erlen", "granian")},
        **{name: version(name) if there else "not installed" for name, there in loops.items()},
        "wrk": wrk_version(),
    }
    print(f"Python {platform.python_version()} on {platform.machine()}; versions:")
    print("  " + ", ".join(f"{name} {v}" for name, v in versions.items()))
    print(f"granian on CPU {server_cpu}, wrk -t{args.threads} -c{args.connections} on {client_cpu}")
    print(f"{args.repeat} run(s) of {args.duration} s per row and case, median")

    uvicorn_wrk.run_wrk = run_wrk_timing_cpu  # measure() calls it by that name
    with tempfile.TemporaryDirectory(prefix="erlen-bench-") as log_dir:
        groups = [(rows, cases)] + ([(raw, ["hello"])] if raw and "hello" in cases else [])
        samples = {case: {} for case in cases}
        failures = {}
        for group, group_cases in groups:
            found, failed = measure(
                group,
                lambda row: Process(row, cpu=server_cpu, log_dir=log_dir),
                lambda row: f"granian {row}",
                group_cases,
                args,
                warmup=args.warmup,
                repeat=args.repeat,
                duration=args.duration,
            )
            for case in group_cases:
                samples[case].update(found[case])
            failures.update(failed)
    rows += raw if "hello" in cases else []
    results = report(cases, rows, samples, failures)
    write_report(
        args.json,
        {
            "python": platform.python_version(),
            # The command line's settings, the CPUs as used (None: not pinned).
            "settings": {**vars(args), "server_cpu": server_cpu, "json": None},
            "commands": {
                row: f"granian --interface {ROWS[row][0]} --workers 1 --factory {ROWS[row][1]}"
                for row in rows
            },
            "versions": versions,
            "failures": {f"{row} {case}": message for (row, case), message in failures.items()},
            "results": results,
        },
    )
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
