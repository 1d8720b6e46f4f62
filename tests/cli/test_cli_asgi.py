"""``erlen run --asgi``: the app served through uvicorn, with erlen's reloader.

In-process tests replace the servers and check what reaches them; the rest
start real processes (``erlen run --asgi``, ``python app.py``) and talk HTTP
and WebSocket to them.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from websockets.sync.client import connect

import erlen.dev.reloader
import erlen.dev.server
from erlen import Erlen
from erlen.cli import main
from servers import HOST, ServerProcess, free_port, server_env

SOURCE = """
import asyncio
import os

from erlen import Erlen, websocket

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "imports.txt"), "a") as marker:
    marker.write(f"{os.getpid()}\\n")

app = Erlen(__name__)


@app.before_serving
def started():
    with open(os.path.join(HERE, "lifespan.txt"), "a") as marker:
        marker.write(f"startup {os.getpid()}\\n")


@app.after_serving
async def stopped():
    with open(os.path.join(HERE, "lifespan.txt"), "a") as marker:
        marker.write(f"shutdown {os.getpid()}\\n")


@app.route("/")
def index():
    return "VERSION"


@app.route("/async")
async def later():
    await asyncio.sleep(0)
    return {"version": "VERSION", "async": True}


@app.route("/boom")
def boom():
    raise ValueError("kaboom in VERSION")


@app.websocket("/ws/echo")
async def echo():
    await websocket.accept()
    async for message in websocket:
        await websocket.send(f"VERSION echo: {message}")
"""

# Python starts with this on its path imports this, and then cannot import uvicorn.
NO_UVICORN = "import sys\nsys.modules['uvicorn'] = None\n"

MISSING = "Serving with --asgi needs uvicorn, which is not installed."


def write_app(folder: Path, version: str, name: str = "app.py") -> Path:
    """Write the app with ``version`` in its answers; make sure the mtime moves."""
    path = folder / name
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(SOURCE.replace("VERSION", version))
    stamp = max(time.time_ns(), before + 1_000_000)
    os.utime(path, ns=(stamp, stamp))
    return path


def echo(server: ServerProcess, message: str) -> str:
    """Send ``message`` over a websocket to /ws/echo and return the answer."""
    with connect(f"ws://{HOST}:{server.port}/ws/echo", open_timeout=5, close_timeout=5) as ws:
        ws.send(message)
        answer = ws.recv(timeout=5)
    assert isinstance(answer, str)
    return answer


def alive(pid: int) -> bool:
    """Return whether ``pid`` runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True


def pids(folder: Path, name: str = "imports.txt") -> list[int]:
    path = folder / name
    if not path.exists():
        return []
    return [int(line.split()[-1]) for line in path.read_text().splitlines()]


def erlen_run(*args: str) -> Callable[[int], list[str]]:
    return lambda port: [sys.executable, "-m", "erlen", "run", "--port", str(port), *args]


def stop(server: ServerProcess) -> int:
    """Stop the server (SIGTERM, bounded) and return its exit status."""
    process = server.process
    assert process is not None
    server.stop()
    assert process.returncode is not None
    return process.returncode


@pytest.fixture
def started() -> Iterator[list[ServerProcess]]:
    """Servers a test starts; any still running at its end are stopped."""
    servers: list[ServerProcess] = []
    yield servers
    for server in servers:
        server.stop()


# -- real processes ------------------------------------------------------------


@pytest.mark.server
def test_erlen_run_asgi_serves_http_async_views_and_websockets(
    tmp_path: Path, started: list[ServerProcess]
) -> None:
    write_app(tmp_path, "v1")
    server = ServerProcess(
        erlen_run("--asgi"),
        cwd=tmp_path,
        env=server_env(),
        log_path=tmp_path / "server.log",
        ready_marker=" * Serving",
    )
    started.append(server)
    server.start()

    status, headers, text = server.get()
    assert (status, text) == (200, "v1")
    assert headers["server"] == "uvicorn"  # not the development server
    status, _, text = server.get("/async")
    assert (status, json.loads(text)) == (200, {"version": "v1", "async": True})
    assert echo(server, "hello") == "v1 echo: hello"
    status, _, text = server.get("/boom")
    assert status == 500
    assert "kaboom" not in text  # no debug page without --debug

    assert stop(server) == 0
    [pid] = pids(tmp_path)
    lifespan = (tmp_path / "lifespan.txt").read_text().splitlines()
    assert lifespan == [f"startup {pid}", f"shutdown {pid}"]  # SIGTERM: a graceful stop
    log = server.log()
    assert f" * Serving app on http://{HOST}:{server.port}/ (CTRL+C to quit)" in log
    assert " * Served by uvicorn" in log
    assert "Do not use it in production: use gunicorn" not in log
    assert '"GET /async HTTP/1.1" 200' in log  # uvicorn's access log
    assert "Debug mode" not in log
    assert "ValueError: kaboom in v1" in log  # the error is in the terminal
    assert "Traceback" not in log.split("ValueError: kaboom in v1")[1]  # nor on stop


@pytest.mark.server
def test_erlen_run_asgi_debug_reloads_and_leaves_no_process(
    tmp_path: Path, started: list[ServerProcess]
) -> None:
    app = write_app(tmp_path, "one")
    server = ServerProcess(
        erlen_run("--asgi", "--debug"),
        cwd=tmp_path,
        env=server_env(),
        log_path=tmp_path / "server.log",
        ready_marker=" * Serving",
    )
    started.append(server)
    server.start()
    server.wait_for_body("one")
    assert echo(server, "a") == "one echo: a"
    status, headers, text = server.get("/boom")
    assert status == 500
    assert headers["server"] == "uvicorn"
    assert "ValueError: kaboom in one" in text  # the debug page, as text for http.client
    assert "Traceback (most recent call last):" in text

    write_app(tmp_path, "two, longer")
    server.wait_for_body("two, longer")
    assert echo(server, "b") == "two, longer echo: b"
    children = pids(tmp_path)
    assert len(children) == len(set(children)) >= 2  # a new process for the edit
    assert server.process is not None and server.process.pid not in children
    assert not any(alive(pid) for pid in children[:-1])  # the old ones are gone
    assert children[-1] in pids(tmp_path, "lifespan.txt")  # the new one ran the lifespan

    app.write_text("def broken(:\n")
    server.wait_for_log("SyntaxError")
    assert server.process.poll() is None  # the supervisor keeps watching
    write_app(tmp_path, "three")
    server.wait_for_body("three")

    assert stop(server) == 0
    children = pids(tmp_path)
    assert len(children) >= 3
    for pid in children:
        assert not alive(pid), f"process {pid} outlived the supervisor"
    log = server.log()
    assert log.count(" * Served by uvicorn") >= 3
    assert " * Debug mode: on" in log
    assert " * Detected a change in " in log


@pytest.mark.server
@pytest.mark.parametrize("flag", ["--asgi", "--reload"])
def test_erlen_run_asgi_from_the_environment(
    tmp_path: Path, started: list[ServerProcess], flag: str
) -> None:
    write_app(tmp_path, "from env")
    args = () if flag == "--asgi" else ("--reload",)
    server = ServerProcess(
        erlen_run(*args),
        cwd=tmp_path,
        env=server_env(ERLEN_RUN_ASGI="1"),
        log_path=tmp_path / "server.log",
        ready_marker=" * Serving",
    )
    started.append(server)
    server.start()
    server.wait_for_body("from env")
    assert server.get()[1]["server"] == "uvicorn"
    assert echo(server, "x") == "from env echo: x"


@pytest.mark.server
@pytest.mark.parametrize("reload", [False, True])
def test_erlen_run_asgi_on_a_busy_port(tmp_path: Path, reload: bool) -> None:
    write_app(tmp_path, "busy")
    with socket.socket() as holder:
        holder.bind((HOST, 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        args = ["--asgi", "--reload"] if reload else ["--asgi"]
        result = subprocess.run(
            erlen_run(*args)(port),
            cwd=tmp_path,
            env=server_env(),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert f"Port {port} on {HOST} is in use by another program." in result.stderr
    assert "try --port" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.server
@pytest.mark.parametrize(
    ("args", "env"),
    [(["--asgi"], {}), (["--asgi", "--debug"], {}), (["--reload"], {"ERLEN_RUN_ASGI": "1"})],
)
def test_erlen_run_asgi_without_uvicorn(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(NO_UVICORN)
    write_app(tmp_path, "never served")
    result = subprocess.run(
        [sys.executable, "-m", "erlen", "run", "--port", str(free_port()), *args],
        cwd=tmp_path,
        env=server_env(shim, **env),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()  # one line, no traceback
    assert line.startswith(MISSING)
    assert "pip install uvicorn" in line
    assert "erlen[asgi]" in line
    assert not (tmp_path / "imports.txt").exists()  # it stopped before importing the app


@pytest.mark.server
@pytest.mark.parametrize("debug", [False, True])
def test_python_app_py_with_app_run_asgi(
    tmp_path: Path, started: list[ServerProcess], debug: bool
) -> None:
    app = write_app(tmp_path, "script one")
    main_block = (
        "\nif __name__ == '__main__':\n    import sys\n"
        f"    app.run(port=int(sys.argv[1]), asgi=True, debug={debug})\n"
    )
    app.write_text(app.read_text() + main_block)
    server = ServerProcess(
        lambda port: [sys.executable, "app.py", str(port)],
        cwd=tmp_path,
        env=server_env(),
        log_path=tmp_path / "server.log",
        ready_marker=" * Serving",
    )
    started.append(server)
    server.start()
    server.wait_for_body("script one")
    assert server.get()[1]["server"] == "uvicorn"
    assert echo(server, "y") == "script one echo: y"
    if debug:
        app.write_text(app.read_text().replace("script one", "script two, longer"))
        server.wait_for_body("script two, longer")
    assert stop(server) == 0
    assert all(not alive(pid) for pid in pids(tmp_path))


ASGI_ONLY = """
import os
import sys

from erlen.dev.server import run_asgi

events = []


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            events.append(message["type"])
            kind = "startup" if message["type"] == "lifespan.startup" else "shutdown"
            await send({"type": f"lifespan.{kind}.complete"})
            if kind == "shutdown":
                return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": ",".join(events).encode()})


run_asgi("127.0.0.1", int(sys.argv[1]), application, debug=True)
print("run_asgi returned", events, flush=True)
"""


@pytest.mark.server
def test_run_asgi_serves_any_asgi_app(tmp_path: Path, started: list[ServerProcess]) -> None:
    (tmp_path / "serve.py").write_text(ASGI_ONLY)
    server = ServerProcess(
        lambda port: [sys.executable, "serve.py", str(port)],
        cwd=tmp_path,
        env=server_env(),
        log_path=tmp_path / "server.log",
        ready_marker=" * Serving",
    )
    started.append(server)
    server.start()
    status, headers, text = server.get()
    assert (status, headers["server"], text) == (200, "uvicorn", "lifespan.startup")
    assert stop(server) == 0
    log = server.log()
    assert "run_asgi returned ['lifespan.startup', 'lifespan.shutdown']" in log
    assert f" * Serving application on http://127.0.0.1:{server.port}/" in log
    assert " * Debug mode: on" in log
    assert "Traceback" not in log


# -- in-process: what reaches the server ----------------------------------------

APP = """
import os

from erlen import Erlen

with open(os.path.join(os.path.dirname(__file__), "imported.txt"), "a") as marker:
    marker.write("x")
app = Erlen(__name__)
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder with app.py to run erlen in; its modules are forgotten after."""
    before = set(sys.modules)
    environ = dict(os.environ)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in [name for name in os.environ if name.startswith("ERLEN_")]:
        del os.environ[name]
    os.environ["ERLEN_SKIP_DOTENV"] = "1"
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    yield tmp_path
    os.environ.clear()  # erlen run sets ERLEN_DEBUG and ERLEN_RUN_FROM_CLI
    os.environ.update(environ)
    for name in set(sys.modules) - before:
        if not name.startswith(("erlen", "click")):
            del sys.modules[name]


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """Record the calls to both servers and to the reloader instead of serving."""
    calls: list[tuple[object, ...]] = []

    def server(kind: str) -> Callable[..., None]:
        def record(host: str, port: int, app: Erlen, **options: object) -> None:
            calls.append((kind, host, port, app, options))

        return record

    def run_with_reloader(argv: list[str], **options: object) -> int:
        calls.append(("reload", argv, options))
        return 0

    monkeypatch.setattr(erlen.dev.server, "run_asgi", server("asgi"))
    monkeypatch.setattr(erlen.dev.server, "run_simple", server("wsgi"))
    monkeypatch.setattr(erlen.dev.reloader, "run_with_reloader", run_with_reloader)
    return calls


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


@pytest.mark.parametrize(
    ("args", "env", "kind"),
    [
        (["--asgi"], {}, "asgi"),
        ([], {"ERLEN_RUN_ASGI": "1"}, "asgi"),
        ([], {"ERLEN_RUN_ASGI": "yes"}, "asgi"),
        (["--no-asgi"], {"ERLEN_RUN_ASGI": "1"}, "wsgi"),
        ([], {"ERLEN_RUN_ASGI": "0"}, "wsgi"),
        ([], {}, "wsgi"),
    ],
)
def test_run_chooses_the_server(
    project: Path,
    served: list[tuple[object, ...]],
    args: list[str],
    env: dict[str, str],
    kind: str,
) -> None:
    result = invoke("run", "-p", "8131", *args, env=env)
    assert result.exit_code == 0, result.output
    [(called, host, port, app, options)] = served
    assert (called, host, port, options) == (kind, "127.0.0.1", 8131, {"fd": None, "debug": False})
    assert isinstance(app, Erlen)


def test_run_asgi_debug_reaches_the_server(project: Path, served: list[tuple[object, ...]]) -> None:
    result = invoke("run", "--asgi", "--debug", "--no-reload")
    assert result.exit_code == 0, result.output
    [(called, _, _, app, options)] = served
    assert (called, options) == ("asgi", {"fd": None, "debug": True})
    assert isinstance(app, Erlen) and app.debug is True


def test_run_asgi_rejects_an_unclear_value(project: Path, served: list[tuple[object, ...]]) -> None:
    result = invoke("run", env={"ERLEN_RUN_ASGI": "sometimes"})
    assert result.exit_code == 2
    assert "ERLEN_RUN_ASGI='sometimes' is not a yes/no value" in result.output
    assert served == []


def test_run_asgi_with_the_reloader_restarts_the_same_command(
    project: Path, served: list[tuple[object, ...]]
) -> None:
    result = invoke("run", "--asgi", "--debug", "-p", "8132")
    assert result.exit_code == 0, result.output
    [(called, argv, options)] = served
    assert called == "reload"
    assert argv == [sys.executable, "-m", "erlen", "run", "--asgi", "--debug", "-p", "8132"]
    assert isinstance(options, dict) and options["port"] == 8132
    assert not (project / "imported.txt").exists()  # the supervisor never imports the app


def test_run_asgi_in_the_reloader_child_serves_the_inherited_socket(
    project: Path, served: list[tuple[object, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(erlen.dev.reloader.STATE_ENV, str(project / "state.txt"))
    monkeypatch.setenv(erlen.dev.reloader.FD_ENV, "7")
    monkeypatch.setattr(erlen.dev.reloader, "report_modules", lambda: None)
    result = invoke("run", "--asgi", "--debug")
    assert result.exit_code == 0, result.output
    [(called, _, _, _, options)] = served
    assert (called, options) == ("asgi", {"fd": 7, "debug": True})


@pytest.mark.parametrize("args", [["--asgi"], ["--asgi", "--reload"]])
def test_run_asgi_without_uvicorn(
    project: Path,
    served: list[tuple[object, ...]],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn fails
    result = invoke("run", *args)
    assert result.exit_code == 1
    assert result.output.startswith(MISSING)
    assert "pip install uvicorn" in result.output
    assert served == []  # neither a server nor the reloader
    assert not (project / "imported.txt").exists()


def test_app_run_asgi(project: Path, served: list[tuple[object, ...]]) -> None:
    app = Erlen("run_app")
    app.run(asgi=True, port=8133)
    assert served == [("asgi", "127.0.0.1", 8133, app, {"debug": False})]


def test_app_run_asgi_from_the_environment(
    project: Path, served: list[tuple[object, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERLEN_RUN_ASGI", "1")
    app = Erlen("run_app")
    app.run()
    app.run(asgi=False)
    assert [call[0] for call in served] == ["asgi", "wsgi"]


def test_app_run_asgi_in_the_reloader_child(
    project: Path, served: list[tuple[object, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(erlen.dev.reloader.STATE_ENV, str(project / "state.txt"))
    monkeypatch.setenv(erlen.dev.reloader.FD_ENV, "9")
    monkeypatch.setattr(erlen.dev.reloader, "report_modules", lambda: None)
    app = Erlen("run_app")
    app.run(asgi=True, debug=True)
    assert served == [("asgi", "127.0.0.1", 5000, app, {"fd": 9, "debug": True})]


def test_app_run_asgi_without_uvicorn(
    project: Path,
    served: list[tuple[object, ...]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    with pytest.raises(SystemExit) as raised:
        Erlen("run_app").run(asgi=True, debug=True)
    assert raised.value.code == 1
    assert capsys.readouterr().err.startswith(MISSING)
    assert served == []


def test_run_asgi_names_a_broken_uvicorn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = tmp_path / "uvicorn"
    fake.mkdir()
    (fake / "__init__.py").write_text("import erlen_test_missing_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "uvicorn", raising=False)
    port = free_port()
    with pytest.raises(SystemExit) as raised:
        erlen.dev.server.run_asgi(HOST, port, Erlen("broken"))
    assert raised.value.code == 1
    error = capsys.readouterr().err
    assert error.startswith(
        "Serving with --asgi needs uvicorn, which could not be imported "
        "(No module named 'erlen_test_missing_dependency')."
    )
    assert "pip install uvicorn" in error
    with socket.socket() as probe:
        probe.bind((HOST, port))  # nothing was left bound
