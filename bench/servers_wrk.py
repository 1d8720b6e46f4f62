"""Requests per second of erlen and its peers under gunicorn and granian, loaded by wrk.

Three servers, one worker each: ``gunicorn -k sync`` and ``granian --interface
wsgi`` serve the WSGI apps of ``apps.py`` (erlen, Flask, Falcon, Bottle);
``granian --interface asgi`` serves the ASGI apps of ``asgi_apps.py`` (erlen,
Falcon's ``falcon.asgi`` and Starlette: Flask and Bottle have no ASGI). The
servers run one after the other. For each, every framework gets its own
process on a free loopback port, pinned with ``taskset`` to one CPU, while wrk
runs pinned to another; each answer is checked once before any load; then,
for every repeat and case, wrk loads each framework in turn (the order rotates
each repeat). The figure is the median requests per second over the repeats,
with its ratio to erlen. A run with any socket error or error status fails its
row. The wrk driving, answer checks and pinning are those of
``bench/uvicorn_wrk.py``. Run ``python bench/servers_wrk.py --help``.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import uvicorn_wrk
from apps import CASES, SRC, version, write_report
from uvicorn_wrk import choose_cpus, wrk_version

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results" / "servers_wrk.json"

WSGI_FRAMEWORKS = ["erlen", "flask", "falcon", "bottle"]
ASGI_FRAMEWORKS = ["erlen", "falcon", "starlette"]
# server key -> (module holding the app factories, frameworks it serves)
SERVERS = {
    "gunicorn": ("apps", WSGI_FRAMEWORKS),
    "granian-wsgi": ("apps", WSGI_FRAMEWORKS),
    "granian-asgi": ("asgi_apps", ASGI_FRAMEWORKS),
}
# The factory of each framework in the two app modules (apps.py: <name>_app).
FACTORIES = {
    "apps": {name: f"{name}_app" for name in WSGI_FRAMEWORKS},
    "asgi_apps": {"erlen": "erlen_app", "falcon": "falcon_app", "starlette": "starlette_app"},
}
FRAMEWORKS = list(dict.fromkeys(WSGI_FRAMEWORKS + ASGI_FRAMEWORKS))
# How each server is started, as printed and saved with the results.
COMMANDS = {
    "gunicorn": "gunicorn --workers 1 --worker-class sync",
    "granian-wsgi": "granian --interface wsgi --workers 1",
    "granian-asgi": "granian --interface asgi --workers 1",
}


class Process(uvicorn_wrk.Server):
    """One gunicorn or granian process serving one framework's app; stopped by its pid.

    Starting, readiness polling (bounded) and stopping are uvicorn_wrk's; only
    the command line differs.
    """

    def __init__(self, server: str, name: str, *, cpu: int | None, log_dir: str) -> None:
        super().__init__(name, loop=None, cpu=cpu, log_dir=log_dir)
        self.server = server
        module, _ = SERVERS[server]
        self.target = f"{module}:{FACTORIES[module][name]}"

    def argv(self) -> list[str]:
        if self.server == "gunicorn":
            command = [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "1",
                "--worker-class",
                "sync",
                "--bind",
                f"{uvicorn_wrk.HOST}:{self.port}",
                "--chdir",
                str(HERE),
                "--log-level",
                "warning",
                f"{self.target}()",  # gunicorn calls a factory written as a call
            ]
        else:
            command = [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                self.server.removeprefix("granian-"),
                "--workers",
                "1",
                "--host",
                uvicorn_wrk.HOST,
                "--port",
                str(self.port),
                "--working-dir",
                str(HERE),
                "--no-access-log",
                "--log-level",
                "warning",
                "--factory",
                self.target,
            ]
        argv: list[str] = uvicorn_wrk.pinned(command, self.cpu)
        return argv

    def _wait_until_ready(self) -> None:
        # uvicorn_wrk's messages name uvicorn: name the server that really ran.
        try:
            super()._wait_until_ready()  # type: ignore[no-untyped-call]
        except RuntimeError as exc:
            message = str(exc).replace("uvicorn for", f"{self.server} for", 1)
            raise RuntimeError(message) from None


def measure(
    server: str,
    names: list[str],
    cases: list[str],
    args: argparse.Namespace,
    server_cpu: int | None,
    log_dir: str,
) -> tuple[dict[str, dict[str, list[dict[str, Any]]]], dict[tuple[str, str], str]]:
    """Run every framework and case under one server; return the wrk totals and failures."""
    folder = Path(log_dir) / server
    folder.mkdir()
    print(f"\n== {server}: {COMMANDS[server]} ({', '.join(names)})")
    return uvicorn_wrk.measure(
        names,
        lambda name: Process(server, name, cpu=server_cpu, log_dir=str(folder)),
        lambda name: f"{server} {name}",
        cases,
        args,
        warmup=args.warmup,
        repeat=args.repeat,
        duration=args.duration,
    )


def report(
    server: str,
    cases: list[str],
    samples: dict[str, dict[str, list[dict[str, Any]]]],
    failures: dict[tuple[str, str], str],
) -> dict[str, dict[str, Any]]:
    """Print one server's table per case (req/s, ratio to erlen); return its results."""
    results: dict[str, dict[str, Any]] = {}
    for case in cases:
        rows = {
            name: runs
            for name, runs in samples[case].items()
            if runs and (name, case) not in failures
        }
        print(f"\n{server} {case}: {' '.join(CASES[case][:2])}")
        if not rows:
            print("  (no framework completed this case)")
            continue
        medians = {name: statistics.median(t["rps"] for t in runs) for name, runs in rows.items()}
        reference = "erlen" if "erlen" in rows else next(iter(rows))
        for name, runs in rows.items():
            rps = [t["rps"] for t in runs]
            p50 = statistics.median(t["latency_p50_us"] for t in runs) / 1000
            p99 = statistics.median(t["latency_p99_us"] for t in runs) / 1000
            ratio = medians[name] / medians[reference]
            print(
                f"  {name:10} {medians[name]:9.0f} req/s  ({ratio:5.2f}x {reference})"
                f"   min {min(rps):.0f}  max {max(rps):.0f}"
                f"   p50 {p50:.2f} ms  p99 {p99:.2f} ms"
            )
        peers = [name for name in rows if name != "erlen"]
        if "erlen" in rows and peers:
            best = max(peers, key=medians.__getitem__)
            verdict = "met" if medians["erlen"] >= medians[best] else "NOT met"
            print(f"  target erlen >= best peer ({best}): {verdict}")
        results[case] = {
            name: {
                "median_rps": medians[name],
                "ratio_to_erlen": medians[name] / medians["erlen"] if "erlen" in rows else None,
                "runs": runs,
            }
            for name, runs in rows.items()
        }
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 s loads, 1 repeat: a smoke run")
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 10)")
    parser.add_argument("--repeat", type=int, help="wrk runs per framework and case (default 3)")
    parser.add_argument("--warmup", type=int, help="seconds of load before timing (default 2)")
    parser.add_argument("--connections", type=int, default=64, help="wrk -c (default 64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk -t (default 1)")
    parser.add_argument("--servers", nargs="+", choices=list(SERVERS), help="servers to run")
    parser.add_argument("--only", nargs="+", choices=FRAMEWORKS, help="frameworks to run")
    parser.add_argument("--cases", nargs="+", choices=list(CASES), help="cases to run")
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU for the server (default 0)")
    parser.add_argument("--client-cpu", type=int, default=1, help="CPU for wrk (default 1)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    parser.add_argument(
        "--json", metavar="PATH", default=str(DEFAULT_JSON), help="where to write the results"
    )
    args = parser.parse_args(argv)
    args.duration = args.duration or (1 if args.quick else 10)
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.quick else 2)
    servers = args.servers or list(SERVERS)
    cases = args.cases or list(CASES)
    plan = {
        server: [name for name in SERVERS[server][1] if not args.only or name in args.only]
        for server in servers
    }
    plan = {server: names for server, names in plan.items() if names}
    if not plan:
        sys.exit(
            f"none of the frameworks {args.only} runs under the servers {servers}: "
            f"the ASGI server serves {ASGI_FRAMEWORKS}, the WSGI ones {WSGI_FRAMEWORKS}."
        )

    if shutil.which("wrk") is None:
        sys.exit(
            "wrk, the load generator, is not installed. On Debian or Ubuntu: "
            "`apt-get install wrk` (as root), then run this again."
        )
    server_cpu, client_cpu = choose_cpus(args)
    args.client_cpu = client_cpu

    sys.path.insert(0, str(SRC))  # report the working tree's erlen version
    shown = dict.fromkeys(name for names in plan.values() for name in names)
    tools = dict.fromkeys(server.split("-")[0] for server in plan)
    versions = {name: version(name) for name in [*shown, *tools]}
    if any(server.startswith("granian") for server in plan):
        # granian's default --loop auto takes rloop, else uvloop, else asyncio.
        for loop in ("rloop", "uvloop"):
            found = importlib.util.find_spec(loop) is not None
            versions[loop] = version(loop) if found else "not installed"
    versions["wrk"] = wrk_version()
    print(f"Python {platform.python_version()} on {platform.machine()}")
    print("versions: " + ", ".join(f"{name} {v}" for name, v in versions.items()))
    print(
        f"servers on CPU {server_cpu}; "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s on CPU {client_cpu}"
    )
    print(f"{args.repeat} repeat(s) per framework and case after a {args.warmup} s warm-up, median")

    failures: dict[str, str] = {}
    results: dict[str, dict[str, Any]] = {}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="erlen-bench-") as log_dir:
        for server, names in plan.items():
            samples, failed = measure(server, names, cases, args, server_cpu, log_dir)
            results[server] = report(server, cases, samples, failed)
            failures.update(
                {f"{server} {name} {case}": message for (name, case), message in failed.items()}
            )
    elapsed = time.perf_counter() - start
    print(f"\nrun took {elapsed:.0f} s")
    write_report(
        args.json,
        {
            "python": platform.python_version(),
            "server_cpu": server_cpu,
            "client_cpu": client_cpu,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "repeat": args.repeat,
            "connections": args.connections,
            "threads": args.threads,
            "commands": {server: COMMANDS[server] for server in plan},
            "versions": versions,
            "failures": failures,
            "results": results,
        },
    )
    if failures:
        print(f"\n{len(failures)} row(s) FAILED and are left out of the tables above:")
        for row, message in failures.items():
            print(f"  {row}: {message}")
        sys.exit(1)


if __name__ == "__main__":
    main()
