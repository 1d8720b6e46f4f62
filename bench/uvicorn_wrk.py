"""Requests per second of erlen and its ASGI peers under uvicorn, loaded by wrk.

Every framework gets one uvicorn process (one worker, httptools, the same
event loop setting for all) on a free loopback port, pinned with ``taskset``
to one CPU; wrk runs pinned to another. Each framework's answer to each case
is checked once before any load. Then, for every repeat and case, wrk loads
each framework in turn (the order rotates each repeat); the figure is the
median requests per second over the repeats. A run with any socket error or
error status fails its row. Run ``python bench/uvicorn_wrk.py --help``.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from apps import CASES, SRC, answer_ok, version, write_report
from asgi_apps import FACTORIES, FRAMEWORKS, PEERS, distribution, label

HERE = Path(__file__).resolve().parent
WRK_DIR = HERE / "wrk"
DEFAULT_JSON = HERE / "results" / "uvicorn_wrk.json"
HOST = "127.0.0.1"
READY_TIMEOUT = 30.0  # seconds for a server to answer its first request
STOP_TIMEOUT = 10.0  # seconds for a server to exit after SIGTERM
WRK_MARKER = "wrk-json "
PORT_TAKEN = ("Address already in use", "[Errno 98]")


def free_port():
    """Return a loopback port that was free a moment ago (the OS picked it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def pinned(argv, cpu):
    """Prefix ``argv`` with taskset when pinning is on (``cpu`` not None)."""
    return argv if cpu is None else ["taskset", "-c", str(cpu), *argv]


class Server:
    """One uvicorn process serving one framework's app; stopped by its pid."""

    def __init__(self, name, *, loop, cpu, log_dir):
        self.name = name
        self.loop = loop
        self.cpu = cpu
        self.log_path = Path(log_dir) / f"{name}.log"
        self.port = 0
        self.process = None

    def argv(self):
        return pinned(
            [
                sys.executable,
                "-m",
                "uvicorn",
                f"asgi_apps:{FACTORIES[self.name]}",
                "--factory",
                "--app-dir",
                str(HERE),
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--http",
                "httptools",
                "--loop",
                self.loop,
                "--interface",
                "asgi3",
                "--workers",
                "1",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            self.cpu,
        )

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self, attempts=3):
        """Start uvicorn and wait (bounded) until it answers; retry if the port was taken."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(SRC), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
        )
        env["PYTHONUNBUFFERED"] = "1"
        for attempt in range(1, attempts + 1):
            self.port = free_port()
            with open(self.log_path, "wb") as log:
                self.process = subprocess.Popen(
                    self.argv(),
                    cwd=HERE,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            try:
                self._wait_until_ready()
                return
            except RuntimeError:
                taken = any(marker in self.log() for marker in PORT_TAKEN)
                self.stop(timeout=1.0)
                if not taken or attempt == attempts:
                    raise

    def _wait_until_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"uvicorn for {self.name} exited with status {self.process.returncode} "
                    f"before answering. Its log:\n{self.log()[-3000:]}"
                )
            connection = http.client.HTTPConnection(HOST, self.port, timeout=1)
            try:
                connection.request("GET", "/")
                connection.getresponse().read()
                return
            except OSError:
                pass  # not listening yet
            finally:
                connection.close()
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"uvicorn for {self.name} did not answer on port {self.port} within "
                    f"{READY_TIMEOUT} s. Its log:\n{self.log()[-3000:]}"
                )
            time.sleep(0.05)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=STOP_TIMEOUT):
        """Stop the server by its pid: SIGTERM, then SIGKILL after ``timeout``."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            try:
                os.kill(process.pid, signal.SIGTERM)
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=timeout)
            except ProcessLookupError:
                process.wait(timeout=timeout)
        else:
            process.wait()


def check(server, case):
    """Return None if the server answers the case correctly, else a message."""
    method, path, body, content_type, expected = CASES[case]
    headers = {"Content-Type": content_type} if content_type else {}
    connection = http.client.HTTPConnection(HOST, server.port, timeout=10)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        status, data = response.status, response.read()
    except OSError as exc:
        return f"request failed: {type(exc).__name__}: {exc}"
    finally:
        connection.close()
    ok = answer_ok(data, expected)
    if status == 200 and ok:
        return None
    return f"got {status} {data[:200]!r}, expected 200 {expected!r}"


def run_wrk(server, case, args, duration):
    """Load one server with wrk for ``duration`` seconds; return wrk's totals."""
    method, path = CASES[case][:2]
    script = WRK_DIR / ("form.lua" if method == "POST" else "report.lua")
    argv = pinned(
        [
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{duration}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            f"http://{HOST}:{server.port}{path}",
        ],
        args.client_cpu,
    )
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    for line in done.stdout.splitlines():
        if line.startswith(WRK_MARKER):
            totals = json.loads(line[len(WRK_MARKER) :])
            totals["rps"] = totals["requests"] / (totals["duration_us"] / 1e6)
            totals["errors"] = sum(
                totals[kind] for kind in ("connect", "read", "write", "status", "timeout")
            )
            return totals
    raise RuntimeError(
        f"wrk printed no totals (exit {done.returncode}).\n{done.stdout}\n{done.stderr}"
    )


def measure(names, make_server, label, cases, args, *, warmup, repeat, duration):
    """Start a server per framework, check its answers, warm up, then time the rounds.

    ``make_server(name)`` returns a server not yet started; ``label(name)``
    names it in messages. Return the wrk totals by case and framework, and
    the failures by (framework, case). The servers are stopped at the end.
    """
    failures = {}  # (name, case) -> message
    samples = {case: {} for case in cases}
    servers = {}
    try:
        for name in names:
            server = make_server(name)
            try:
                server.start()
            except RuntimeError as exc:
                for case in cases:
                    failures[name, case] = "server did not start"
                print(f"  FAILED: {label(name)}: {exc}")
                continue
            servers[name] = server

        print("checking answers")
        for case in cases:
            for name, server in servers.items():
                problem = check(server, case)
                if problem:
                    failures[name, case] = f"wrong answer: {problem}"
                    print(f"  FAILED: {label(name)} {case}: {problem}")
                else:
                    samples[case][name] = []

        if warmup:
            for case in cases:
                for name in samples[case]:
                    run_wrk(servers[name], case, args, warmup)

        for r in range(repeat):
            for case in cases:
                order = list(samples[case])
                k = r % len(order) if order else 0
                for name in order[k:] + order[:k]:  # rotate: no framework always first
                    if (name, case) in failures:
                        continue
                    totals = run_wrk(servers[name], case, args, duration)
                    if not servers[name].alive():
                        failures[name, case] = "the server died under load"
                        print(f"  FAILED: {label(name)} {case}: server died:")
                        print(servers[name].log()[-3000:])
                    elif totals["errors"]:
                        failures[name, case] = f"wrk reported {describe_errors(totals)}"
                        print(f"  FAILED: {label(name)} {case}: {failures[name, case]}")
                    else:
                        samples[case][name].append(totals)
    finally:
        for server in servers.values():
            server.stop()
    return samples, failures


def describe_errors(totals):
    kinds = ("connect", "read", "write", "timeout", "status")
    parts = [f"{kind} {totals[kind]}" for kind in kinds if totals[kind]]
    return ", ".join(parts).replace("status", "error status (>=400)")


def choose_cpus(args):
    """Return (server cpu, client cpu), or (None, None) when pinning is not possible."""
    if args.no_pin:
        return None, None
    if shutil.which("taskset") is None:
        print("taskset not found (util-linux): running unpinned")
        return None, None
    available = sorted(os.sched_getaffinity(0))
    wanted = (args.server_cpu, args.client_cpu)
    if len(available) < 2 or any(cpu not in available for cpu in wanted):
        print(f"CPUs {wanted} are not both available (have {available}): running unpinned")
        return None, None
    return wanted


def wrk_version():
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)
    words = (done.stdout or done.stderr).split()  # "wrk debian/4.1.0-3 [epoll] Copyright ..."
    return words[1] if len(words) > 1 else "unknown"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 s loads, 1 repeat: a smoke run")
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 10)")
    parser.add_argument("--repeat", type=int, help="wrk runs per framework and case (default 3)")
    parser.add_argument("--warmup", type=int, help="seconds of load before timing (default 2)")
    parser.add_argument("--connections", type=int, default=64, help="wrk -c (default 64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk -t (default 1)")
    parser.add_argument("--only", nargs="+", choices=FRAMEWORKS, help="frameworks to run")
    parser.add_argument("--cases", nargs="+", choices=list(CASES), help="cases to run")
    parser.add_argument(
        "--loop",
        choices=["asyncio", "uvloop"],
        default="asyncio",
        help="uvicorn --loop, the same for every framework (default asyncio)",
    )
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU for uvicorn (default 0)")
    parser.add_argument("--client-cpu", type=int, default=1, help="CPU for wrk (default 1)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    parser.add_argument(
        "--json", metavar="PATH", default=str(DEFAULT_JSON), help="where to write the results"
    )
    args = parser.parse_args(argv)
    duration = args.duration or (1 if args.quick else 10)
    repeat = args.repeat or (1 if args.quick else 3)
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 2)
    names = args.only or FRAMEWORKS
    cases = args.cases or list(CASES)

    if shutil.which("wrk") is None:
        sys.exit(
            "wrk, the load generator, is not installed. On Debian or Ubuntu: "
            "`apt-get install wrk` (as root), then run this again."
        )
    has_uvloop = importlib.util.find_spec("uvloop") is not None
    if args.loop == "uvloop" and not has_uvloop:
        sys.exit("--loop uvloop needs uvloop: `pip install uvloop`, or use --loop asyncio.")
    server_cpu, client_cpu = choose_cpus(args)
    args.client_cpu = client_cpu

    sys.path.insert(0, str(SRC))  # report the working tree's erlen version
    shown = dict.fromkeys(distribution(name) for name in names)
    versions = {name: version(name) for name in [*shown, "uvicorn", "httptools"]}
    versions["uvloop"] = version("uvloop") if has_uvloop else "not installed"
    versions["wrk"] = wrk_version()
    print(f"Python {platform.python_version()} on {platform.machine()}")
    print("versions: " + ", ".join(f"{name} {v}" for name, v in versions.items()))
    print(
        f"uvicorn --http httptools --loop {args.loop} --workers 1 on CPU {server_cpu}; "
        f"wrk -t{args.threads} -c{args.connections} -d{duration}s on CPU {client_cpu}"
    )
    print(f"{repeat} repeat(s) per framework and case after a {warmup} s warm-up, median")

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="erlen-bench-") as log_dir:
        samples, failures = measure(
            names,
            lambda name: Server(name, loop=args.loop, cpu=server_cpu, log_dir=log_dir),
            label,
            cases,
            args,
            warmup=warmup,
            repeat=repeat,
            duration=duration,
        )
    elapsed = time.perf_counter() - start

    results = report(cases, samples, failures)
    print(f"run took {elapsed:.0f} s")
    write_report(
        args.json,
        {
            "python": platform.python_version(),
            "server_cpu": server_cpu,
            "client_cpu": client_cpu,
            "loop": args.loop,
            "duration_s": duration,
            "warmup_s": warmup,
            "repeat": repeat,
            "connections": args.connections,
            "threads": args.threads,
            "versions": versions,
            "failures": {f"{name} {case}": message for (name, case), message in failures.items()},
            "results": results,
        },
    )
    if failures:
        print(f"\n{len(failures)} row(s) FAILED and are left out of the tables above:")
        for (name, case), message in failures.items():
            print(f"  {label(name)} {case}: {message}")
        sys.exit(1)


def report(cases, samples, failures):
    """Print the table per case; return the results and print target verdicts."""
    results = {}
    hits = []
    for case in cases:
        rows = {
            name: runs
            for name, runs in samples[case].items()
            if runs and (name, case) not in failures
        }
        print(f"\n{case}: {' '.join(CASES[case][:2])}")
        if not rows:
            print("  (no framework completed this case)")
            continue
        medians = {name: statistics.median(t["rps"] for t in runs) for name, runs in rows.items()}
        reference = next(n for n in ("erlen", *PEERS, *rows) if n in rows)
        for name, runs in rows.items():
            rps = [t["rps"] for t in runs]
            p50 = statistics.median(t["latency_p50_us"] for t in runs) / 1000
            p99 = statistics.median(t["latency_p99_us"] for t in runs) / 1000
            ratio = medians[name] / medians[reference]
            print(
                f"  {label(name):17} {medians[name]:9.0f} req/s  ({ratio:5.2f}x {reference})"
                f"   min {min(rps):.0f}  max {max(rps):.0f}"
                f"   p50 {p50:.2f} ms  p99 {p99:.2f} ms"
            )
        peers = [n for n in PEERS if n in rows]
        if "erlen" in rows and peers:
            best = max(peers, key=medians.__getitem__)
            hit = medians["erlen"] >= medians[best]
            hits.append(hit)
            verdict = "met" if hit else "NOT met"
            print(f"  target erlen >= best peer ({best}): {verdict}")
        results[case] = {
            name: {"median_rps": medians[name], "runs": runs} for name, runs in rows.items()
        }
    if hits:
        print(f"\ntarget erlen >= best peer met in {sum(hits)} of {len(hits)} cases")
    else:
        print("\ntarget erlen >= best peer: not checked (erlen or no peer completed)")
    return results


if __name__ == "__main__":
    main()
