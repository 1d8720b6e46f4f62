"""Pages: a template with a 20-item loop, and a 100 KB static file.

erlen, Flask, Bottle and Falcon (the last two rendering with Jinja2, as
their users do), side by side in one run, in-process like inprocess.py.
Raw Jinja2 (the same template, no framework) is measured too: erlen's
target is raw render time plus its own hello-world overhead, within 10%.

    python bench/pages.py [--quick] [--number N] [--repeat R] [--json PATH]
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from apps import SRC, version, write_report
from inprocess import call, make_environ, pin_to_one_core, timed

HERE = Path(__file__).parent / "pages"
TEMPLATES = HERE / "templates"
ITEMS = [{"id": i, "name": f"Item <{i}>", "price": i * 1.25} for i in range(20)]
STATIC_SIZE = 100 * 1024


def make_static_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="erlen-bench-"))
    (folder / "static").mkdir()
    (folder / "static" / "blob.bin").write_bytes(os.urandom(STATIC_SIZE))
    return folder


def _flask_style_app(module_name: str, class_name: str, root: Path):
    # erlen and Flask run the very same code: only the import differs.
    module = importlib.import_module(module_name)
    render_template = module.render_template
    app = getattr(module, class_name)(__name__, root_path=str(root), template_folder=str(TEMPLATES))

    @app.route("/page")
    def page():
        return render_template("page.html", title="Items", items=ITEMS)

    return app


def erlen_app(root: Path):
    return _flask_style_app("erlen", "Erlen", root)


def flask_app(root: Path):
    return _flask_style_app("flask", "Flask", root)


def _jinja_env():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, auto_reload=False
    )


def bottle_app(root: Path):
    import bottle

    env = _jinja_env()
    app = bottle.Bottle()

    @app.route("/page")
    def page():
        return env.get_template("page.html").render(title="Items", items=ITEMS)

    @app.route("/static/<filename:path>")
    def static(filename):
        return bottle.static_file(filename, root=str(root / "static"))

    return app


def falcon_app(root: Path):
    import falcon

    env = _jinja_env()

    class Page:
        def on_get(self, req, resp):
            resp.content_type = falcon.MEDIA_HTML
            resp.text = env.get_template("page.html").render(title="Items", items=ITEMS)

    app = falcon.App()
    app.add_route("/page", Page())
    app.add_static_route("/static", str(root / "static"))
    return app


BUILDERS = {"erlen": erlen_app, "flask": flask_app, "bottle": bottle_app, "falcon": falcon_app}
CASES = {"template": "/page", "static": "/static/blob.bin"}


def raw_jinja_seconds(number: int) -> float:
    template = _jinja_env().get_template("page.html")
    t0 = time.perf_counter()
    for _ in range(number):
        template.render(title="Items", items=ITEMS)
    return (time.perf_counter() - t0) / number


def hello_seconds(number: int) -> float:
    from erlen import Erlen

    app = Erlen("hello")
    app.add_url_rule("/", "hello", lambda: "Hello, World!")
    return timed(app, make_environ("GET", "/", b"", None), b"", number)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--number", type=int, default=1000, help="requests per repeat")
    parser.add_argument("--repeat", type=int, default=15, help="repeats (median taken)")
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    if args.quick:
        args.number, args.repeat = 50, 3
    sys.path.insert(0, str(SRC))
    cpu = pin_to_one_core()
    root = make_static_folder()
    apps = {}
    for name, build in BUILDERS.items():
        try:
            apps[name] = build(root)
        except Exception as exc:  # noqa: BLE001 - report and go on
            print(f"{name}: could not build the app ({type(exc).__name__}: {exc})")
    print(f"Python {sys.version.split()[0]}, pinned to CPU {cpu}")
    print("versions: " + ", ".join(f"{n} {version(n)}" for n in apps))
    print(f"{args.number} requests x {args.repeat} repeats, median of repeats\n")
    expected_static = (root / "static" / "blob.bin").read_bytes()
    results: dict[str, dict[str, float]] = {}
    for case, path in CASES.items():
        template = make_environ("GET", path, b"", None)
        for name, app in list(apps.items()):
            status, body = call(app, template, b"")
            good = status and status.startswith("200")
            if case == "static":
                good = good and body == expected_static
            else:
                good = good and b"Item &lt;19&gt;" in body
            if not good:
                print(f"{name} {case}: wrong answer {status!r} {body[:80]!r}; left out")
        samples: dict[str, list[float]] = {name: [] for name in apps}
        for repeat in range(args.repeat):
            order = list(apps)[repeat % len(apps) :] + list(apps)[: repeat % len(apps)]
            for name in order:
                samples[name].append(timed(apps[name], template, b"", args.number))
        results[case] = {name: statistics.median(values) * 1e6 for name, values in samples.items()}
    raw = statistics.median(raw_jinja_seconds(args.number) for _ in range(args.repeat)) * 1e6
    hello = statistics.median(hello_seconds(args.number) for _ in range(args.repeat)) * 1e6
    for case, timings in results.items():
        print(f"{case}: GET {CASES[case]}")
        base = timings.get("erlen")
        for name, micros in timings.items():
            ratio = f"  ({micros / base:.2f}x erlen)" if base else ""
            print(f"  {name:8s} {micros:9.2f} us{ratio}")
        print()
    if "erlen" in results.get("template", {}):
        budget = (raw + hello) * 1.10
        page = results["template"]["erlen"]
        verdict = "met" if page <= budget else "NOT met"
        print(f"raw Jinja2 render {raw:.2f} us + erlen hello-world {hello:.2f} us")
        print(f"target erlen template page <= {budget:.2f} us (+10%): {page:.2f} us, {verdict}")
    if "erlen" in results.get("static", {}) and "flask" in results["static"]:
        verdict = "met" if results["static"]["erlen"] <= results["static"]["flask"] else "NOT met"
        print(f"target erlen static file <= flask: {verdict}")
    if args.json:
        write_report(args.json, {"results": results, "raw_jinja_us": raw, "hello_us": hello})


if __name__ == "__main__":
    main()
