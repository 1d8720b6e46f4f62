"""``erlen run`` against ``flask run``: start-up, and reload after an edit.

1. Start-up: spawn ``python -m erlen --app app.py run --port P`` (and the
   same with ``flask``) in a temporary folder holding an equivalent
   one-route app; time from the spawn to the first ``200`` answer. Runs
   alternate between the two; the figure is the median.
2. Reload: start each with ``--reload``, wait for it to serve, then edit the
   route's text and time from the write to the first answer carrying the new
   text; the median over the edits. Each reloader watches its own way: erlen
   through watchfiles when installed (else polling every 0.5 s), Flask
   through watchdog when installed (else polling every second).

A command that fails (``erlen run --reload`` before the reloader existed)
is reported as unavailable; the other one still runs. See ``--help``.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from apps import SRC, version, write_report

HOST = "127.0.0.1"
APPS = {
    "erlen": "from erlen import Erlen\n\napp = Erlen(__name__)\n",
    "flask": "from flask import Flask\n\napp = Flask(__name__)\n",
}
ROUTE = '\n\n@app.route("/")\ndef index():\n    return {text!r}\n'
START_TIMEOUT = 20.0
RELOAD_TIMEOUT = 15.0


class Unavailable(Exception):
    """The command did not serve; the message says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def fetch(port: int) -> bytes | None:
    """GET / and return the body of a 200, or None."""
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        body = response.read()
        return body if response.status == 200 else None
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def write_app(folder: Path, name: str, text: str) -> None:
    path = folder / "app.py"
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(APPS[name] + ROUTE.format(text=text))
    stamp = max(time.time_ns(), before + 1_000_000)  # a new mtime even on a coarse clock
    os.utime(path, ns=(stamp, stamp))


class Server:
    """``python -m NAME --app app.py run`` in its own process group."""

    def __init__(self, name: str, folder: Path, env: dict[str, str], reload: bool) -> None:
        self.name = name
        self.folder = folder
        self.env = env
        self.reload = reload
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / f"{name}.log"

    def start(self) -> float:
        """Start; return seconds from the spawn to the first 200."""
        self.port = free_port()
        command = [sys.executable, "-m", self.name, "--app", "app.py", "run"]
        command += ["--port", str(self.port)] + (["--reload"] if self.reload else [])
        with open(self.log, "wb") as log:
            start = time.perf_counter()
            self.process = subprocess.Popen(
                command,
                cwd=self.folder,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: a reloader's child stops too
            )
        while fetch(self.port) is None:
            if self.process.poll() is not None or time.perf_counter() - start > START_TIMEOUT:
                self.stop()
                lines = self.log.read_text(errors="replace").strip().splitlines()
                raise Unavailable(lines[-1] if lines else "no output")
            time.sleep(0.002)
        return time.perf_counter() - start

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        for signum in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, signum)  # the group this script created
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=5)
                break
            except subprocess.TimeoutExpired:
                continue
        try:
            os.killpg(process.pid, signal.SIGKILL)  # a reloader's child left behind
        except ProcessLookupError:
            pass

    def time_reload(self, text: str) -> float:
        """Edit the app to answer ``text``; return seconds until it does."""
        start = time.perf_counter()
        write_app(self.folder, self.name, text)
        expected = text.encode()
        while fetch(self.port) != expected:
            if time.perf_counter() - start > RELOAD_TIMEOUT:
                raise Unavailable(f"the edit was not served within {RELOAD_TIMEOUT:g} s")
            time.sleep(0.002)
        return time.perf_counter() - start


def has_reload(name: str, env: dict[str, str]) -> bool:
    help_text = subprocess.run(
        [sys.executable, "-m", name, "run", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    return "--reload" in help_text


def measure_startup(names: list[str], folders: dict[str, Path], env, runs: int):
    samples: dict[str, list[float]] = {name: [] for name in names}
    failures: dict[str, str] = {}
    for run in range(runs + 1):  # run 0 warms up (writes .pyc files) and is not counted
        order = names if run % 2 == 0 else names[::-1]
        for name in order:
            if name in failures:
                continue
            server = Server(name, folders[name], env, reload=False)
            try:
                seconds = server.start()
            except Unavailable as error:
                failures[name] = str(error)
                continue
            finally:
                server.stop()
            if run:
                samples[name].append(seconds * 1000)
    return samples, failures


def measure_reload(names: list[str], folders: dict[str, Path], env, edits: int, settle: float):
    samples: dict[str, list[float]] = {}
    failures: dict[str, str] = {}
    for name in names:
        if not has_reload(name, env):
            failures[name] = "not available yet (no --reload option)"
            continue
        write_app(folders[name], name, "version 0")
        server = Server(name, folders[name], env, reload=True)
        try:
            server.start()
            samples[name] = []
            for edit in range(1, edits + 1):
                # A fixed pause is fine here (a benchmark, not a test): it lets
                # both reloaders settle, so that each edit is one clean reload.
                time.sleep(settle)
                samples[name].append(server.time_reload(f"version {edit}") * 1000)
        except Unavailable as error:
            failures[name] = str(error)
            samples.pop(name, None)
        finally:
            server.stop()
    return samples, failures


def row(label: str, samples: dict[str, list[float]], failures: dict[str, str]) -> list[str]:
    lines = []
    erlen = statistics.median(samples["erlen"]) if samples.get("erlen") else None
    for name in ("erlen", "flask"):
        if name in failures:
            lines.append(f"  {name:6} {label:16} {failures[name]}")
            continue
        values = samples[name]
        median = statistics.median(values)
        ratio = f"{median / erlen:5.2f}x erlen" if erlen else ""
        lines.append(
            f"  {name:6} {label:16} {median:8.0f} ms   min {min(values):6.0f}"
            f"  max {max(values):6.0f}   {ratio}"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="start-ups per command")
    parser.add_argument("--edits", type=int, default=5, help="edits timed per reloader")
    parser.add_argument(
        "--settle", type=float, default=1.5, help="seconds between two edits (default 1.5)"
    )
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH")
    args = parser.parse_args(argv)

    env = dict(os.environ)
    for name in ("ERLEN_DEBUG", "FLASK_DEBUG", "ERLEN_APP", "FLASK_APP", "ERLEN_RUN_PORT"):
        env.pop(name, None)
    # Let the warm-up write erlen's .pyc files, as an installed Flask ships them:
    # without bytecode caching erlen would be compiled afresh at every start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    names = list(APPS)
    erlen_watch = "watchfiles" if importlib.util.find_spec("watchfiles") else "polling 0.5 s"
    if env.get("ERLEN_RELOADER", "").lower() == "poll":
        erlen_watch = "polling 0.5 s (ERLEN_RELOADER=poll)"
    flask_watch = "watchdog" if importlib.util.find_spec("watchdog") else "polling 1 s"
    versions = {"flask": version("flask"), "werkzeug": version("werkzeug")}
    print(
        f"Python {platform.python_version()} on {platform.machine()}; "
        + ", ".join(f"{name} {v}" for name, v in versions.items())
    )
    print(f"reloaders: erlen through {erlen_watch}, flask through {flask_watch}")

    with tempfile.TemporaryDirectory(prefix="erlen-cli-bench-") as temporary:
        folders = {}
        for name in names:
            folders[name] = Path(temporary) / name
            folders[name].mkdir()
            write_app(folders[name], name, "Hello, World!")
        print(f"\nstart-up: spawn to first 200, median of {args.runs} (after a warm-up)")
        startup, startup_failures = measure_startup(names, folders, env, args.runs)
        for line in row("run", startup, startup_failures):
            print(line)
        print(f"\nreload: edit to new text served, median of {args.edits} edits")
        reload, reload_failures = measure_reload(names, folders, env, args.edits, args.settle)
        for line in row("run --reload", reload, reload_failures):
            print(line)

    if args.json:
        report = {
            "python": platform.python_version(),
            "versions": versions,
            "reloaders": {"erlen": erlen_watch, "flask": flask_watch},
            "startup_ms": startup,
            "reload_ms": reload,
            "failures": {"startup": startup_failures, "reload": reload_failures},
        }
        write_report(args.json, report)


if __name__ == "__main__":
    main()
