"""Flask extensions pass their own test suites on erlen, through the flask alias.

``scripts/flask_extensions`` runs the suites of Flask-SQLAlchemy, Flask-Login,
Flask-WTF, Flask-Migrate, Flask-Cors, Flask-JWT-Extended, Flask-HTTPAuth,
Flask-RESTful, Flask-Limiter, Flask-Caching, flask-smorest, Flask-Compress,
Flask-SocketIO, flask-marshmallow and flask-talisman, from their
source distributions (and erlen's own short suites for Flask-Babel,
Flask-Mail, Flask-Session and Flask-Principal, which ship none), on Flask
3.1.3 and on erlen with Flask not installed (``pytest -p erlen.flask_compat``).
It leaves out (``--ci``) the suites too slow for CI, which run by hand. It runs once here, for all of them; each
test then checks one extension. The first run sets up two environments in
``.venv/flask-extensions/`` (a minute or two); later runs reuse them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "flask_extensions"

#: Per extension: how many of its tests pass on Flask 3.1.3, and how many must
#: pass on erlen (a floor: raise it when erlen passes more; the goal is
#: Flask's count, and a test Flask fails is no test of erlen).
PASSING = {
    "flask-sqlalchemy": (450, 450),
    "flask-login": (114, 114),
    "flask-wtf": (85, 85),
    "flask-migrate": (7, 7),
    "flask-cors": (98, 98),
    "flask-jwt-extended": (180, 180),
    "flask-httpauth": (121, 121),
    "flask-restful": (93, 93),
    "flask-limiter": (112, 112),
    "flask-caching": (210, 210),
    # Six fewer: RFC 9110's status names (docs/flask.md, "Extensions known to work").
    "flask-smorest": (554, 548),
    "flask-compress": (56, 56),
    "flask-socketio": (43, 43),
    "flask-marshmallow": (50, 50),
    "flask-talisman": (15, 15),
    "flask-babel": (5, 5),
    "flask-mail": (6, 6),
    "flask-session": (5, 5),
    "flask-principal": (5, 5),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict], str]:
    path = tmp_path_factory.mktemp("flask-extensions") / "results.json"
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--ci", "--verbose", "--json", str(path)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    output = run.stdout + run.stderr
    assert path.exists(), f"scripts/flask_extensions wrote no results:\n{output}"
    return json.loads(path.read_text()), output


def test_every_extension_the_script_runs_has_a_floor(results: tuple[dict[str, dict], str]) -> None:
    report, output = results
    assert sorted(report) == sorted(PASSING), output


@pytest.mark.parametrize("name", sorted(PASSING))
def test_extension_suite_passes_on_erlen(results: tuple[dict[str, dict], str], name: str) -> None:
    report, output = results
    assert name in report, output
    entry = report[name]
    on_flask, floor = PASSING[name]

    # The erlen side ran without Flask: the suite's `flask` was erlen's, and no
    # real Flask could be found on its path.
    erlen = entry["erlen"]
    assert erlen.get("flask_imported") is True, output
    assert erlen.get("flask_is_erlen") is True, output
    assert erlen.get("real_flask") is None, output
    assert entry["ran"], output

    assert entry["flask"]["passed"] >= on_flask, (
        f"{entry['name']} {entry['version']} passes {entry['flask']['passed']} of its tests on "
        f"Flask, not {on_flask}: its environment is broken.\n{output}"
    )
    missing = "\n".join(f"  {test}: {why}" for test, why in entry["pass_on_flask_only"].items())
    assert erlen["passed"] >= floor, (
        f"{entry['name']} {entry['version']}: {erlen['passed']} tests pass on erlen, fewer "
        f"than the {floor} recorded. These pass on Flask but not on erlen:\n{missing}"
    )
