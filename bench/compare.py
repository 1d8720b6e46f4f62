"""Before and after: erlen's per-request cost at two git revisions, in one run.

    python bench/compare.py BASE [HEAD]

BASE (and HEAD, when given) is checked out into a temporary ``git worktree``,
removed at the end; without HEAD the working tree, uncommitted changes
included, is the "after" side. Both sides run the working tree's
``inprocess.py`` and ``asgi_inprocess.py`` (erlen's rows only), so only
``src/erlen`` differs between them: each run is a fresh process with that
revision's ``src`` first on the path, and says which erlen it imported. The
revisions alternate, run after run, so drift on the machine falls on both.
Times are CPU time (``time.process_time``) unless ``--wall``; a case more
than 3% slower after is marked. Run ``python bench/compare.py --help`` for
the options.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SCRIPTS = {"inprocess.py": "WSGI", "asgi_inprocess.py": "ASGI"}
SLOWER = 1.03  # after/before above this is marked
PROBLEM = re.compile(r"  (WRONG ANSWER: )?erlen(: unavailable| \w+:)")

# Runs one bench script in a child process, for one revision. The scripts put
# ``apps.SRC`` (the checkout's own src) first on sys.path; pointing it at the
# revision's src makes the script measure that revision. With CPU time, the
# script's clock is swapped for time.process_time: its timed blocks then leave
# out whatever else the machine was doing. The last line names the erlen used.
CHILD = """\
import importlib.util, pathlib, sys, time, types
script, src, clock = sys.argv[1:4]
sys.path.insert(0, str(pathlib.Path(script).parent))
import apps
apps.SRC = pathlib.Path(src)
spec = importlib.util.spec_from_file_location("bench_script", script)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
if clock == "cpu":
    module.time = types.SimpleNamespace(**vars(time))
    module.time.perf_counter = time.process_time
try:
    module.main(sys.argv[4:])
finally:
    erlen = sys.modules.get("erlen")
    print("ERLEN_FILE=" + str(getattr(erlen, "__file__", None)), flush=True)
"""


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"git {' '.join(args)} failed:\n{done.stderr.strip()}")
    return done.stdout.strip()


def describe(rev: str) -> str:
    line = git("log", "-1", "--format=%h %s", rev)
    return line if len(line) <= 60 else line[:57] + "..."


class Side:
    """One revision: where its src is and how the table names it."""

    def __init__(self, name: str, rev: str | None, spelled: str | None, folder: Path | None):
        self.name = name  # "before" or "after"
        self.rev = rev  # None: the working tree
        self.src = (folder or ROOT) / "src"
        if rev is None:
            changed = git("status", "--porcelain", "--", "src")
            dirty = f", {len(changed.splitlines())} changed file(s) in src" if changed else ""
            self.label = f"working tree ({describe('HEAD')}{dirty})"
        else:
            self.label = f"{spelled} = {describe(rev)}"
        self.erlen_file: str | None = None
        self.problems: set[tuple[str, str]] = set()


def add_worktree(rev: str, folder: Path) -> None:
    git("worktree", "add", "--detach", "--quiet", str(folder), rev)


def remove_worktree(folder: Path) -> None:
    done = subprocess.run(
        ["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, capture_output=True
    )
    if done.returncode:
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)


def pin_prefix(cpu: int | None) -> list[str]:
    """Return ``taskset -c CPU`` when taskset exists and the CPU is ours."""
    if cpu is None or not shutil.which("taskset") or not hasattr(os, "sched_getaffinity"):
        return []
    if cpu not in os.sched_getaffinity(0):
        return []
    return ["taskset", "-c", str(cpu)]


def run_once(side: Side, script: str, options: list[str], clock: str, prefix: list[str], out):
    """Run one script for one side; return its JSON results."""
    result_file = Path(out) / f"{side.name}-{script}.json"
    command = [*prefix, sys.executable, "-c", CHILD, str(BENCH / script), str(side.src), clock]
    command += [*options, "--only", "erlen", "--json", str(result_file)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(side.src), env.get("PYTHONPATH")]))
    done = subprocess.run(command, cwd=BENCH, env=env, capture_output=True, text=True)
    lines = done.stdout.splitlines()
    erlen_file = next((x[11:] for x in reversed(lines) if x.startswith("ERLEN_FILE=")), "None")
    if erlen_file == "None":
        sys.exit(f"{script} for {side.name} did not import erlen:\n{done.stdout}{done.stderr}")
    if not Path(erlen_file).resolve().is_relative_to(side.src.resolve()):
        sys.exit(
            f"{script} for {side.name} imported erlen from {erlen_file}, not from {side.src}.\n"
            f"{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    if side.erlen_file is None:
        side.erlen_file = erlen_file
        print(f"  {side.name}: erlen imported from {erlen_file}")
    if not result_file.exists():
        sys.exit(f"{script} for {side.name} wrote no results:\n{done.stdout}{done.stderr}")
    results = json.loads(result_file.read_text())
    result_file.unlink()
    for line in lines:  # the scripts' own word on a wrong answer or a failed build
        if PROBLEM.match(line) and (script, line) not in side.problems:
            side.problems.add((script, line))
            print(f"  {side.name}: {script}: {line.strip()}")
    return results["results"]


def measure(sides, runs, options, clock, prefix, out):
    """Alternate the sides run after run; return samples[script][case][row][side]."""
    samples: dict = {}
    for r in range(runs):
        started = time.perf_counter()
        order = sides if r % 2 == 0 else sides[::-1]
        for script in SCRIPTS:
            for side in order:
                results = run_once(side, script, options, clock, prefix, out)
                for case, rows in results.items():
                    for row, figures in rows.items():
                        cell = samples.setdefault(script, {}).setdefault(case, {})
                        cell.setdefault(row, {}).setdefault(side.name, [])
                        cell[row][side.name] += figures["samples_us"]
        print(f"  run {r + 1}/{runs}: {time.perf_counter() - started:.0f} s")
    return samples


def report(samples, sides) -> int:
    """Print the before/after table; return how many erlen cases got slower."""
    names = [side.name for side in sides]
    print(f"\n{'us per request':22}{'before':>10}{'after':>10}{'after/before':>14}")
    slower = 0
    for script, interface in SCRIPTS.items():
        print(f"{script} ({interface}), erlen:")
        harness: dict = {name: [] for name in names}
        for case, rows in samples.get(script, {}).items():
            for name in names:
                harness[name] += rows.get("harness", {}).get(name, [])
            figures = rows.get("erlen", {})
            missing = [name for name in names if not figures.get(name)]
            if missing:
                print(f"  {case:20}  no figure {' or '.join(missing)} (see above)")
                continue
            ratio = print_row(case, *(figures[name] for name in names))
            slower += ratio > SLOWER
        if all(harness.values()):
            print_row("(harness)", *harness.values())
    return slower


def print_row(title: str, before: list[float], after: list[float]) -> float:
    """Print one row of medians; return after/before."""
    before_us, after_us = statistics.median(before), statistics.median(after)
    ratio = after_us / before_us
    mark = "  SLOWER" if ratio > SLOWER and title[0] != "(" else ""
    print(f"  {title:20}{before_us:10.2f}{after_us:10.2f}{ratio:13.3f}x{mark}")
    return ratio


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the revision before (any git revision: HEAD~3, a tag)")
    parser.add_argument("head", nargs="?", help="the revision after (default: the working tree)")
    parser.add_argument("--quick", action="store_true", help="a smoke run, under a minute")
    parser.add_argument("--runs", type=int, help="alternating runs per side (default 15)")
    parser.add_argument("--number", type=int, help="requests per timed block (default 2000)")
    parser.add_argument("--repeat", type=int, help="timed blocks per case and run (default 5)")
    parser.add_argument("--cpu", type=int, default=1, help="CPU for taskset -c (default 1)")
    parser.add_argument("--wall", action="store_true", help="wall-clock time, not CPU time")
    args = parser.parse_args(argv)
    runs = args.runs or (2 if args.quick else 15)
    options = ["--quick"] if args.quick else []
    if args.number or not args.quick:
        options += ["--number", str(args.number or 2000)]
    if args.repeat or not args.quick:
        options += ["--repeat", str(args.repeat or 5)]
    clock = "wall" if args.wall else "cpu"
    prefix = pin_prefix(args.cpu)

    base = git("rev-parse", "--verify", "--short", f"{args.base}^{{commit}}")
    head = git("rev-parse", "--verify", "--short", f"{args.head}^{{commit}}") if args.head else None
    temp = Path(tempfile.mkdtemp(prefix="erlen-compare-"))
    folders = []
    try:
        sides = []
        for name, rev, spelled in (("before", base, args.base), ("after", head, args.head)):
            folder = None
            if rev is not None:
                folder = temp / name
                add_worktree(rev, folder)
                folders.append(folder)
            sides.append(Side(name, rev, spelled, folder))
        for side in sides:
            print(f"{side.name + ':':8}{side.label}")
        print(
            f"{runs} alternating runs of {', '.join(SCRIPTS)} per side, "
            f"{'CPU' if clock == 'cpu' else 'wall-clock'} time, "
            + (f"pinned with {' '.join(prefix)}" if prefix else "pinned by the scripts")
        )
        samples = measure(sides, runs, options, clock, prefix, temp)
    finally:
        for folder in folders:
            remove_worktree(folder)
        shutil.rmtree(temp, ignore_errors=True)
    slower = report(samples, sides)
    print(
        "\nMedians over every timed block of every run; the harness rows time the same "
        "code on both sides, so their ratio shows the noise."
    )
    if slower:
        print(f"{slower} case(s) more than {100 * (SLOWER - 1):.0f}% slower after.")
    if args.quick:
        print("--quick: a smoke run, too few samples for the ratios to mean anything.")


if __name__ == "__main__":
    main()
