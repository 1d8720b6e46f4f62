"""Run every command in docs/deploying.md, so the guide and the servers cannot drift apart.

Each command in the guide follows a marker comment, ``<!-- tested: NAME -->``,
in a fenced ``sh`` block. The tests read them from the file, put a free port
in place of ``8000`` and the test app (``deployapp.app:app``) in place of
``app:app``, run them as they stand, and send each server a GET, a form POST
that sets the session, a request that reads it back, and a request to an
``async def`` view. The app takes its secret key from ``ERLEN_SECRET_KEY``,
as the guide says to.

The commands that mount the app under a prefix ("Serving under a prefix")
get their own checks instead: each is sent the path its proxy would
forward, and the links, redirects and session cookie must all point under
the prefix. The guide's Python snippet for URLs outside a request is run
as a script.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

import erlen
from servers import ServerProcess, poll_until, server_env

pytestmark = pytest.mark.server

TESTS = Path(__file__).resolve().parent
GUIDE = TESTS.parent / "docs" / "deploying.md"
APP = "deployapp.app:app"
#: Where the commands come from: the virtualenv running the tests.
VENV_BIN = Path(sys.executable).parent

#: Every command the guide must hold, and what its server prints once it listens.
READY_MARKERS = {
    "gunicorn-sync": "Listening at",
    "gunicorn-gthread": "Listening at",
    "waitress": "Serving on",
    "uwsgi": "spawned uWSGI worker",
    "uvicorn": "Uvicorn running on",
    # granian says "Listening at" before its workers start, and a stop that
    # comes while a worker is still starting leaves that worker running.
    "granian-wsgi": "Started worker-2",
    "granian-asgi": "Started worker-2",
    "granian-rsgi": "Started worker-2",
    "hypercorn": "Running on http://",
}


@dataclass(frozen=True)
class Mount:
    """How a command of "Serving under a prefix" expects its proxy to behave."""

    ready_marker: str
    #: Whether the proxy takes the prefix off the path before passing it on.
    proxy_strips: bool


#: The prefix the guide mounts the app at.
PREFIX = "/shop"
#: Every command of "Serving under a prefix": gunicorn splits the prefix off
#: the full path itself; uvicorn wants it gone and puts it back in front.
PREFIX_COMMANDS = {
    "gunicorn-prefix": Mount("Listening at", proxy_strips=False),
    "uvicorn-prefix": Mount("Uvicorn running on", proxy_strips=True),
}
#: Every Python snippet the guide holds (run as scripts, not served).
SNIPPETS = {"outside-a-request"}

_MARKED_BLOCK = re.compile(r"<!-- tested: ([\w-]+) -->\n```sh\n(.*?)```", re.DOTALL)
_MARKED_SNIPPET = re.compile(r"<!-- tested: ([\w-]+) -->\n```python\n(.*?)```", re.DOTALL)
_MARKER = re.compile(r"<!-- tested: ([\w-]+) -->")
#: A shell assignment, as in ``SCRIPT_NAME=/shop gunicorn ...``.
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def guide_commands() -> dict[str, str]:
    """Return the tested commands in docs/deploying.md, by marker name."""
    commands: dict[str, str] = {}
    for name, block in _MARKED_BLOCK.findall(GUIDE.read_text(encoding="utf-8")):
        assert name not in commands, f"{GUIDE}: the marker 'tested: {name}' appears twice."
        lines = [line for line in block.splitlines() if line.strip()]
        assert len(lines) == 1, (
            f"{GUIDE}: the block after 'tested: {name}' must hold exactly one command line, "
            f"not {lines!r}; put other commands in a block without a marker."
        )
        commands[name] = lines[0]
    return commands


def guide_snippets() -> dict[str, str]:
    """Return the tested Python snippets in docs/deploying.md, by marker name."""
    snippets: dict[str, str] = {}
    for name, block in _MARKED_SNIPPET.findall(GUIDE.read_text(encoding="utf-8")):
        assert name not in snippets, f"{GUIDE}: the marker 'tested: {name}' appears twice."
        snippets[name] = block
    return snippets


def test_the_guide_holds_every_tested_command() -> None:
    # A command taken out of the guide (or a marker misspelt) would otherwise
    # just stop being tested.
    assert not set(READY_MARKERS) & set(PREFIX_COMMANDS)
    assert sorted(guide_commands()) == sorted([*READY_MARKERS, *PREFIX_COMMANDS])
    assert sorted(guide_snippets()) == sorted(SNIPPETS)
    # A marker before a block of another kind (or none) is tested by nothing.
    markers = _MARKER.findall(GUIDE.read_text(encoding="utf-8"))
    assert sorted(markers) == sorted([*guide_commands(), *guide_snippets()])


def split_command(command: str) -> tuple[dict[str, str], list[str]]:
    """Split ``command`` into its leading ``NAME=value`` assignments and its argv.

    As in the shell, the assignments set environment variables for the
    command alone; an argument that comes after the program is left alone.
    """
    argv = shlex.split(command)
    env: dict[str, str] = {}
    while argv and _ASSIGNMENT.match(argv[0]):
        name, _, value = argv.pop(0).partition("=")
        env[name] = value
    return env, argv


def runnable(command: str, port: int) -> list[str]:
    """Return ``command`` as argv: ``port`` for 8000, the test app for app:app.

    The program is taken from the tests' virtualenv, as it would be with
    the virtualenv activated. Leading assignments are not part of the argv
    (:func:`split_command` gives them, for the environment).
    """
    argv = split_command(command)[1]
    ports = [i for i, arg in enumerate(argv) if re.fullmatch(r"(.*[:=])?8000", arg)]
    apps = [i for i, arg in enumerate(argv) if arg == "app:app"]
    assert len(ports) == 1 and len(apps) == 1, (
        f"{command!r} in {GUIDE.name} must name port 8000 once and the app as 'app:app' once, "
        "so that the tests can serve their own app on a free port."
    )
    argv[ports[0]] = argv[ports[0]][: -len("8000")] + str(port)
    argv[apps[0]] = APP
    program = VENV_BIN / argv[0]
    assert program.exists(), (
        f"{argv[0]!r} (from {GUIDE.name}) is not installed in {VENV_BIN}: "
        "install the test extra, `pip install -e '.[test]'`."
    )
    return [str(program), *argv[1:]]


def test_the_command_is_taken_as_written() -> None:
    command = "uwsgi --http-socket 127.0.0.1:8000 --processes 2 --module app:app"
    assert runnable(command, 43210) == [
        str(VENV_BIN / "uwsgi"),
        "--http-socket",
        "127.0.0.1:43210",
        "--processes",
        "2",
        "--module",
        APP,
    ]
    with pytest.raises(AssertionError, match="port 8000 once"):
        runnable("gunicorn --bind 127.0.0.1:9000 app:app", 43210)


def test_leading_assignments_become_the_environment() -> None:
    command = (
        "SCRIPT_NAME=/shop GREETING='hello there' gunicorn --env A=1 -b 127.0.0.1:8000 app:app"
    )
    env, argv = split_command(command)
    assert env == {"SCRIPT_NAME": "/shop", "GREETING": "hello there"}
    assert argv == ["gunicorn", "--env", "A=1", "-b", "127.0.0.1:8000", "app:app"]
    assert runnable(command, 43210) == [
        str(VENV_BIN / "gunicorn"),
        "--env",
        "A=1",
        "-b",
        "127.0.0.1:43210",
        APP,
    ]
    assert split_command("uvicorn app:app --port 8000") == (
        {},
        ["uvicorn", "app:app", "--port", "8000"],
    )


# -- the servers --------------------------------------------------------------


@dataclass
class Deployed:
    """A server started with one of the guide's commands."""

    name: str
    process: ServerProcess
    #: The worker pids that answered.
    pids: set[int]
    #: Where /hold/<name> and the test signal each other.
    hold_dir: Path

    def send(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[http.client.HTTPResponse, bytes]:
        """Send one request on a new connection; return the response and its body."""
        connection = self.process.connection(timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        return response, data

    def fetch(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[http.client.HTTPResponse, Any]:
        """Send one request on a new connection; return the response and its JSON."""
        response, data = self.send(method, path, body, headers)
        assert response.getheader("Content-Type") == "application/json", (response.status, data)
        answer = json.loads(data)
        self.pids.add(answer["pid"])
        return response, answer


def _descendants(pid: int) -> set[int]:
    """Return the pids of the processes ``pid`` started, and theirs, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # it has just exited
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    """Tell whether process ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return "\nState:\tZ" not in status


@contextmanager
def serve(
    name: str,
    ready_marker: str,
    tmp_path_factory: pytest.TempPathFactory,
    ready_path: str = "/",
) -> Iterator[Deployed]:
    """Serve the test app with the guide's command ``name``; stop it (and check) after."""
    command = guide_commands()[name]
    directory = tmp_path_factory.mktemp(name)
    env = server_env(
        TESTS,
        ERLEN_SECRET_KEY=f"test_deploy: a key for {name} only",
        # What activating the virtualenv sets (uWSGI finds its packages by it).
        VIRTUAL_ENV=str(VENV_BIN.parent),
        DEPLOYAPP_HOLD_DIR=str(directory),
        PATH=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]),
    )
    env.update(split_command(command)[0])
    if name.startswith("gunicorn"):
        env["XDG_RUNTIME_DIR"] = str(directory)  # where gunicorn may put a control socket
    process = ServerProcess(
        lambda port: runnable(command, port),
        cwd=directory,
        env=env,
        log_path=directory / "server.log",
        ready_marker=ready_marker,
        ready_path=ready_path,
    )
    process.start()
    served = Deployed(name, process, set(), directory)
    try:
        yield served
    finally:
        assert process.process is not None
        workers = _descendants(process.process.pid)
        assert served.pids <= workers | {process.process.pid}, (served.pids, workers)
        process.stop()
        # Stopping the main process (by its pid, as a service manager would)
        # stops its workers too; any left are ours to kill, and a failure.
        gone = poll_until(lambda: not any(_alive(pid) for pid in workers), timeout=10)
        left = sorted(filter(_alive, workers))
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert gone, f"{name}: the processes {left} outlived the server. Its log:\n{process.log()}"


@pytest.fixture(scope="module", params=sorted(READY_MARKERS))
def deployed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployed]:
    with serve(request.param, READY_MARKERS[request.param], tmp_path_factory) as served:
        yield served


def test_get(deployed: Deployed) -> None:
    response, answer = deployed.fetch("GET", "/")
    assert response.status == 200
    assert answer["app"] == "deployapp"


def test_form_post_and_the_session(deployed: Deployed) -> None:
    response, answer = deployed.fetch(
        "POST",
        "/login",
        body=urlencode({"name": "Ada ☃"}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 200
    assert answer["user"] == "Ada ☃"
    cookie = SimpleCookie(response.getheader("Set-Cookie"))["session"].value
    response, answer = deployed.fetch("POST", "/count", headers={"Cookie": f"session={cookie}"})
    assert response.status == 200
    assert (answer["user"], answer["count"]) == ("Ada ☃", 1)


def test_async_view(deployed: Deployed) -> None:
    response, answer = deployed.fetch("GET", "/async?q=caf%C3%A9")
    assert response.status == 200
    assert answer["async"] is True
    assert answer["q"] == "café"


class Hold:
    """A request that keeps one sync worker busy until released."""

    def __init__(self, deployed: Deployed, folder: Path, name: str) -> None:
        self.folder = folder
        self.name = name
        self.answer: dict[str, Any] = {}
        self.thread = threading.Thread(
            target=lambda: self.answer.update(deployed.fetch("GET", f"/hold/{name}")[1])
        )
        self.thread.start()
        held = folder / f"{name}.held"
        assert poll_until(held.exists, timeout=10), f"no worker took /hold/{name} within 10 s"
        self.pid = int(held.read_text())

    def release(self) -> None:
        (self.folder / f"{self.name}.release").touch()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), f"/hold/{self.name} did not end within 10 s"
        assert self.answer.get("pid") == self.pid


@pytest.mark.parametrize("deployed", ["gunicorn-sync"], indirect=True)
def test_the_session_is_carried_across_workers(deployed: Deployed) -> None:
    # Which worker takes a connection is the kernel's choice, and under load
    # one worker can take them all. So the test chooses: a sync worker
    # answers one request at a time, and while one is held busy the next
    # request can only go to the other.
    folder = deployed.hold_dir
    session_cookie = {}

    def send(path: str, **options: Any) -> dict[str, Any]:
        headers = options.pop("headers", {})
        if session_cookie:
            headers["Cookie"] = f"session={session_cookie['value']}"
        response, answer = deployed.fetch("POST", path, headers=headers, **options)
        assert response.status == 200, answer
        session_cookie["value"] = SimpleCookie(response.getheader("Set-Cookie"))["session"].value
        return answer

    holds = []
    try:
        holds.append(Hold(deployed, folder, "x"))  # worker X busy
        x = holds[-1].pid
        answer = send(
            "/login",
            body="name=ada",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        y = answer["pid"]  # the session was made by worker Y
        assert y != x
        holds.append(Hold(deployed, folder, "y"))  # Y busy; it must be Y
        assert holds[-1].pid == y
        holds.pop(0).release()  # X free, Y held
        answer = send("/count")
        # Worker X read the session worker Y made.
        assert (answer["pid"], answer["user"], answer["count"]) == (x, "ada", 1)
        holds.append(Hold(deployed, folder, "x-again"))  # only X is free: X busy
        assert holds[-1].pid == x
        holds.pop(0).release()  # Y free, X held
        answer = send("/count")
        # And worker Y read the cookie worker X wrote.
        assert (answer["pid"], answer["user"], answer["count"]) == (y, "ada", 2)
    finally:
        for hold in holds:
            hold.release()


# -- serving under a prefix -----------------------------------------------------

#: The host a proxy passes on (nginx: ``proxy_set_header Host $host``).
PUBLIC_HOST = "shop.example.com"


@dataclass
class Mounted:
    """A server started with a command of "Serving under a prefix"."""

    served: Deployed
    mount: Mount

    def forwarded(self, path: str) -> str:
        """Return the path the proxy passes on when the browser asks for ``PREFIX + path``."""
        return path if self.mount.proxy_strips else PREFIX + path


@pytest.fixture(scope="module", params=sorted(PREFIX_COMMANDS))
def mounted(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Mounted]:
    mount = PREFIX_COMMANDS[request.param]
    ready_path = "/" if mount.proxy_strips else f"{PREFIX}/"
    with serve(request.param, mount.ready_marker, tmp_path_factory, ready_path) as served:
        yield Mounted(served, mount)


def test_mounted_links(mounted: Mounted) -> None:
    response, answer = mounted.served.fetch(
        "GET", mounted.forwarded("/where/"), headers={"Host": PUBLIC_HOST}
    )
    assert response.status == 200
    assert (answer["root_path"], answer["path"]) == (PREFIX, "/where/")
    assert answer["url"] == f"{PREFIX}/where/"
    assert answer["external"] == f"http://{PUBLIC_HOST}{PREFIX}/orders/42"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/go", 302),  # the view's redirect(url_for("where"))
        ("/where", 308),  # erlen's own: the rule ends with a slash
    ],
)
def test_mounted_redirects(mounted: Mounted, path: str, status: int) -> None:
    response, body = mounted.served.send("GET", mounted.forwarded(path))
    assert response.status == status, body
    assert response.getheader("Location") == f"{PREFIX}/where/"


def test_mounted_session(mounted: Mounted) -> None:
    response, answer = mounted.served.fetch(
        "POST",
        mounted.forwarded("/login"),
        body="name=ada",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (response.status, answer["user"]) == (200, "ada")
    cookie = SimpleCookie(response.getheader("Set-Cookie"))["session"]
    # The server's prefix scopes the cookie: see
    # test_the_session_cookie_path_is_where_the_app_is_mounted.
    assert cookie["path"] == PREFIX
    response, answer = mounted.served.fetch(
        "POST", mounted.forwarded("/count"), headers={"Cookie": f"session={cookie.value}"}
    )
    assert response.status == 200
    assert (answer["user"], answer["count"]) == ("ada", 1)


def test_mounted_the_proxy_must_strip_as_the_server_expects(mounted: Mounted) -> None:
    # The guide says which servers want the prefix taken off: the other form fails.
    if mounted.mount.proxy_strips:
        # uvicorn puts the prefix in front again: /shop/shop/where/ is not a page.
        response, body = mounted.served.send("GET", f"{PREFIX}/where/")
        assert response.status == 404, body
    else:
        # gunicorn answers itself, before the app sees the request.
        response, body = mounted.served.send("GET", "/where/")
        assert response.status == 500, body
        assert b"does not start with SCRIPT_NAME" in body


# -- URLs outside a request -----------------------------------------------------


def test_urls_outside_a_request(tmp_path: Path) -> None:
    snippet = guide_snippets()["outside-a-request"]
    assert snippet.count("from app import app") == 1, snippet
    script = snippet.replace("from app import app", "from deployapp.app import app")
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=server_env(TESTS),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip()
    assert link == f"https://{PUBLIC_HOST}{PREFIX}/orders/42"
    assert f"# {link}" in snippet  # what the guide says it prints


def test_urls_outside_a_request_need_server_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from deployapp.app import app

    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    monkeypatch.setitem(app.config, "APPLICATION_ROOT", PREFIX)
    with app.app_context():
        with pytest.raises(RuntimeError) as caught:
            erlen.url_for("order", order_id=42)
        path = erlen.url_for("order", order_id=42, _external=False)
    # The guide quotes the error as it is.
    assert f"RuntimeError: {caught.value}" in GUIDE.read_text(encoding="utf-8")
    assert path == f"{PREFIX}/orders/42"


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_the_session_cookie_path_is_where_the_app_is_mounted(asgi: bool) -> None:
    # What the guide says: the server's prefix scopes the cookie, unless
    # APPLICATION_ROOT or SESSION_COOKIE_PATH says otherwise.
    app = erlen.Erlen(__name__)
    app.config["SECRET_KEY"] = "test_deploy: cookie path"

    @app.route("/login", methods=["POST"])
    def login() -> dict[str, str]:
        erlen.session["user"] = "ada"
        return {"root_path": erlen.request.root_path}

    client = app.test_client(asgi=asgi)

    def cookie_path() -> str:
        response = client.post("/login", base_url=f"http://localhost{PREFIX}/")
        assert response.get_json() == {"root_path": PREFIX}
        return str(SimpleCookie(response.headers["Set-Cookie"])["session"]["path"])

    assert cookie_path() == PREFIX
    app.config["APPLICATION_ROOT"] = "/elsewhere"
    assert cookie_path() == "/elsewhere"
    app.config["SESSION_COOKIE_PATH"] = "/"
    assert cookie_path() == "/"
