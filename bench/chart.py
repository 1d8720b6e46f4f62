"""Draw the wrk results as an SVG bar chart: requests per second per server, case and framework.

Reads ``bench/results/servers_wrk.json`` (written by ``bench/servers_wrk.py``)
and, with ``--uvicorn``, ``bench/results/uvicorn_wrk.json`` too. Each server
gets a panel; in it, each case is a group of horizontal bars, one per
framework, labelled with its requests per second and its ratio to erlen. All
panels share one scale, so servers compare as well as frameworks. The SVG is
written by hand: no plotting library needed. Run ``python bench/chart.py --help``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from apps import CASES

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DEFAULT_INPUT = RESULTS / "servers_wrk.json"
DEFAULT_UVICORN = RESULTS / "uvicorn_wrk.json"
DEFAULT_OUTPUT = RESULTS / "servers_wrk.svg"

# Okabe-Ito colours (safe for colour-blind readers); erlen gets the strongest.
COLOURS = {
    "erlen": "#D55E00",
    "erlen-def": "#F4A582",
    "flask": "#0072B2",
    "falcon": "#009E73",
    "bottle": "#E69F00",
    "starlette": "#CC79A7",
    "fastapi": "#56B4E9",
    "quart": "#7F7F7F",
}
SPARE_COLOURS = ["#332288", "#882255", "#44AA99", "#999933", "#AA4499"]
SERVER_TITLES = {
    "gunicorn": "gunicorn, 1 sync worker (WSGI)",
    "granian-wsgi": "granian, 1 worker (WSGI)",
    "granian-asgi": "granian, 1 worker (ASGI)",
    "uvicorn": "uvicorn, 1 worker, httptools (ASGI)",
}
FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"

WIDTH = 960
LEFT = 170  # room for the case labels
RIGHT = 40
BAR = 16  # bar height
BAR_GAP = 3
GROUP_GAP = 14
PANEL_TITLE = 30


def load(path: Path) -> dict[str, Any]:
    """Read one results file, or exit saying how to make it."""
    try:
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    except FileNotFoundError:
        script = "uvicorn_wrk.py" if "uvicorn" in path.name else "servers_wrk.py"
        sys.exit(f"{path} does not exist: run `python bench/{script}` first, or give --input.")
    except ValueError as exc:
        sys.exit(f"{path} is not valid JSON ({exc}): run the benchmark again to rewrite it.")


def collect(main: dict[str, Any], uvicorn: dict[str, Any] | None) -> dict[str, Any]:
    """Return {server: {case: {framework: req/s}}} in the order to draw."""
    panels: dict[str, Any] = {}
    for server, cases in main.get("results", {}).items():
        panels[server] = {
            case: {name: row["median_rps"] for name, row in rows.items()}
            for case, rows in cases.items()
        }
    if uvicorn is not None:
        panels["uvicorn"] = {
            case: {name: row["median_rps"] for name, row in rows.items()}
            for case, rows in uvicorn.get("results", {}).items()
        }
    return {server: cases for server, cases in panels.items() if any(cases.values())}


def nice_step(top: float, ticks: int = 6) -> float:
    """Return a round tick step (1, 2 or 5 times a power of ten) giving about ``ticks`` ticks."""
    raw = max(top, 1.0) / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return float(factor * power)
    return float(10 * power)


def thousands(value: float) -> str:
    """Format a tick value: 12000 -> 12k."""
    if value >= 1000:
        text = f"{value / 1000:.1f}".rstrip("0").rstrip(".")
        return f"{text}k"
    return f"{value:.0f}"


def settings(run: dict[str, Any]) -> str:
    """Describe a run's load: wrk settings, repeats and pinning."""
    pinned = run.get("server_cpu") is not None
    return (
        f"wrk -t{run.get('threads', '?')} -c{run.get('connections', '?')} on loopback, "
        f"{run.get('duration_s', '?')} s x {run.get('repeat', '?')} runs, median; "
        + ("server and wrk pinned to separate CPUs" if pinned else "unpinned")
    )


def subtitle(run: dict[str, Any]) -> list[str]:
    """Describe the run in two lines: the load, then the versions."""
    versions = run.get("versions", {})
    shown = ", ".join(
        f"{name} {v}" for name, v in versions.items() if name != "wrk" and v != "not installed"
    )
    return [settings(run), f"Python {run.get('python', '?')}; {shown}"]


def render(
    panels: dict[str, Any], main: dict[str, Any], uvicorn: dict[str, Any] | None, title: str
) -> str:
    """Return the chart as an SVG document."""
    names = list(dict.fromkeys(n for cases in panels.values() for r in cases.values() for n in r))
    colours = dict(COLOURS)
    spare = iter(SPARE_COLOURS * 4)
    for name in names:
        colours.setdefault(name, next(spare))
    top: float = max(
        v for cases in panels.values() for rows in cases.values() for v in rows.values()
    )
    room = top * 1.2  # for the labels after the longest bar
    step = nice_step(room, 8)
    scale_top = math.ceil(room / step) * step
    plot_width = WIDTH - LEFT - RIGHT

    def x(value: float) -> float:
        return LEFT + plot_width * value / scale_top

    out: list[str] = []
    y = 28.0
    out.append(
        f'<text x="{WIDTH / 2}" y="{y}" text-anchor="middle" font-size="18" '
        f'font-weight="bold">{escape(title)}</text>'
    )
    for line in subtitle(main):
        y += 16
        out.append(
            f'<text x="{WIDTH / 2}" y="{y}" text-anchor="middle" font-size="11" '
            f'fill="#555">{escape(line)}</text>'
        )
    # Legend: one swatch per framework, centred.
    y += 24
    entry = 110
    lx = (WIDTH - entry * len(names)) / 2
    for name in names:
        out.append(
            f'<rect x="{lx:.1f}" y="{y - 11}" width="14" height="14" rx="2" '
            f'fill="{colours[name]}"/>'
        )
        out.append(f'<text x="{lx + 20:.1f}" y="{y}" font-size="13">{escape(name)}</text>')
        lx += entry
    y += 18
    plot_top = y

    bars: list[str] = []
    for server, cases in panels.items():
        y += PANEL_TITLE
        bars.append(
            f'<text x="12" y="{y - 10}" font-size="14" font-weight="bold">'
            f"{escape(SERVER_TITLES.get(server, server))}</text>"
        )
        bars.append(f'<line x1="12" x2="{WIDTH - RIGHT}" y1="{y - 5}" y2="{y - 5}" stroke="#999"/>')
        for case, rows in cases.items():
            if not rows:
                continue
            block = len(rows) * (BAR + BAR_GAP) - BAR_GAP
            method, path = CASES[case][:2] if case in CASES else ("", "")
            middle = y + block / 2
            bars.append(
                f'<text x="{LEFT - 10}" y="{middle - 2}" text-anchor="end" font-size="13" '
                f'font-weight="bold">{escape(case)}</text>'
            )
            bars.append(
                f'<text x="{LEFT - 10}" y="{middle + 12}" text-anchor="end" font-size="11" '
                f'fill="#555">{escape(f"{method} {path}".strip())}</text>'
            )
            erlen = rows.get("erlen")
            for name in names:
                if name not in rows:
                    continue
                value = rows[name]
                end = x(value)
                bars.append(
                    f'<rect x="{LEFT}" y="{y:.1f}" width="{end - LEFT:.1f}" height="{BAR}" '
                    f'fill="{colours[name]}"><title>{escape(name)} {server} {case}: '
                    f"{value:,.0f} req/s</title></rect>"
                )
                ratio = f"  ({value / erlen:.2f}x erlen)" if erlen and name != "erlen" else ""
                bars.append(
                    f'<text x="{end + 5:.1f}" y="{y + BAR - 4:.1f}" font-size="11">'
                    f"{value:,.0f}{escape(ratio)}</text>"
                )
                y += BAR + BAR_GAP
            y += GROUP_GAP - BAR_GAP
    plot_bottom = y + 4

    # Grid and x axis, drawn under the bars.
    grid: list[str] = []
    tick = 0.0
    while tick <= scale_top + step / 2:
        gx = x(tick)
        grid.append(
            f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="{plot_top}" y2="{plot_bottom}" '
            f'stroke="{"#444" if tick == 0 else "#ddd"}"/>'
        )
        grid.append(
            f'<text x="{gx:.1f}" y="{plot_bottom + 16}" text-anchor="middle" '
            f'font-size="11">{thousands(tick)}</text>'
        )
        tick += step
    grid.append(
        f'<text x="{LEFT + plot_width / 2}" y="{plot_bottom + 36}" text-anchor="middle" '
        f'font-size="13">requests per second (higher is better)</text>'
    )
    height = plot_bottom + 52
    if uvicorn is not None and "uvicorn" in panels:
        versions = uvicorn.get("versions", {})
        note = (
            f"uvicorn panel: bench/uvicorn_wrk.py, {settings(uvicorn)}; "
            f"uvicorn {versions.get('uvicorn', '?')}, loop {uvicorn.get('loop', '?')}"
        )
        grid.append(
            f'<text x="12" y="{height + 2}" font-size="11" fill="#555">{escape(note)}</text>'
        )
        height += 18
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
            f'viewBox="0 0 {WIDTH} {height:.0f}" font-family="{FONT}" fill="#222">',
            f'<rect width="{WIDTH}" height="{height:.0f}" fill="white"/>',
            *out,
            *grid,
            *bars,
            "</svg>",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--input", type=Path, default=DEFAULT_INPUT, help=f"results (default {DEFAULT_INPUT})"
    )
    parser.add_argument(
        "--uvicorn",
        type=Path,
        nargs="?",
        const=DEFAULT_UVICORN,
        help=f"add a uvicorn panel from this file (default {DEFAULT_UVICORN})",
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help=f"SVG to write ({DEFAULT_OUTPUT})"
    )
    parser.add_argument(
        "--title", default="erlen against its peers: requests per second, one worker"
    )
    args = parser.parse_args(argv)
    main_results = load(args.input)
    uvicorn = load(args.uvicorn) if args.uvicorn else None
    panels = collect(main_results, uvicorn)
    if not panels:
        sys.exit(f"{args.input} holds no results: every row failed, or none ran.")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(panels, main_results, uvicorn, args.title))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
