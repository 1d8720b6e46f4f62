"""The reloader: a real supervisor process restarting a real child server.

The child is a small script serving a WSGI app with wsgiref on the socket
the supervisor passes down, so these tests depend on the reloader alone.
Every scenario runs with watchfiles (when installed) and with polling.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from erlen.dev import reloader, reloader_child, watchers
from servers import HOST, ServerProcess, free_port, server_env

pytestmark = pytest.mark.server
T = TypeVar("T")

CHILD = textwrap.dedent(
    """
    import os
    import socket
    import sys
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

    from erlen.dev import reloader

    reloader.report_modules()  # early, so the files of an import error are watched too
    import app

    reloader.report_modules()
    with open(sys.argv[1], "w") as pid_file:
        pid_file.write(str(os.getpid()))


    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass


    listener = socket.socket(fileno=reloader.inherited_fd())
    server = WSGIServer(listener.getsockname()[:2], QuietHandler, bind_and_activate=False)
    server.socket.close()
    server.socket = listener
    server.server_name, server.server_port = listener.getsockname()[:2]
    server.setup_environ()
    server.set_app(app.application)
    server.serve_forever()
    """
)


def app_source(text: str, marker: Path) -> str:
    """The app: logs each import to ``marker``; reads page.html once, at import."""
    return textwrap.dedent(
        f"""
        import os

        import helper

        with open({str(marker)!r}, "a") as marker:
            marker.write(f"{{os.getpid()}}\\n")
        with open(os.path.join(os.path.dirname(__file__), "page.html")) as page:
            PAGE = page.read().strip()
        TEXT = {text!r}


        def application(environ, start_response):
            body = f"{{TEXT}}|{{PAGE}}|{{helper.VALUE}}".encode()
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [body]
        """
    )


def edit(path: Path, text: str) -> None:
    """Write ``text`` and make sure the mtime moves, even on a coarse clock."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    stamp = max(time.time_ns(), before + 1_000_000)
    os.utime(path, ns=(stamp, stamp))


def alive(pid: int) -> bool:
    """Return whether ``pid`` runs (a zombie nobody reaped yet counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" not in status


class Reloaded:
    """A supervisor subprocess over the child script, and the files it watches."""

    def __init__(self, tmp_path: Path, method: str, extra_env: dict[str, str]) -> None:
        self.app_dir = tmp_path / "app"
        self.lib_dir = tmp_path / "lib"  # on the path, outside the watched folder
        self.app_dir.mkdir()
        self.lib_dir.mkdir()
        self.app = self.app_dir / "app.py"
        self.page = self.app_dir / "page.html"
        self.helper = self.lib_dir / "helper.py"
        self.extra = tmp_path / "settings.cfg"
        self.marker = tmp_path / "imports.log"  # not a watched kind of file
        self.pid_file = tmp_path / "child.pid"
        self.child_script = tmp_path / "child.py"
        self.app.write_text(app_source("v1", self.marker))
        self.page.write_text("page 1")
        self.helper.write_text('VALUE = "helper 1"\n')
        self.extra.write_text("setting = 1\n")
        self.child_script.write_text(CHILD)
        child_argv = [sys.executable, str(self.child_script), str(self.pid_file)]

        def argv(port: int) -> list[str]:
            call = (
                f"run_with_reloader({child_argv!r}, host={HOST!r}, port={port}, "
                f"watch=[{str(self.app_dir)!r}], extra_files=[{str(self.extra)!r}])"
            )
            code = f"import sys; from erlen.dev.reloader import run_with_reloader; sys.exit({call})"
            return [sys.executable, "-c", code]

        env = server_env(self.app_dir, self.lib_dir, ERLEN_RELOADER=method, **extra_env)
        self.server = ServerProcess(argv, cwd=tmp_path, env=env, log_path=tmp_path / "reloader.log")

    @property
    def process(self) -> subprocess.Popen[bytes]:
        assert self.server.process is not None
        return self.server.process

    def get(self) -> tuple[int, str] | None:
        """GET / and return (status, text), or None if nothing answers."""
        try:
            status, _, text = self.server.get()
        except (OSError, http.client.HTTPException):
            return None
        return status, text

    def wait_for(self, check: Callable[[], T | None], what: str, timeout: float = 20.0) -> T:
        """Poll ``check`` every 50 ms until it returns a true value (bounded)."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"No {what} within {timeout} s; last answer {self.get()!r}.\n"
                    f"The reloader's log:\n{self.server.log()[-4000:]}"
                )
            time.sleep(0.05)

    def child_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None  # not written yet, or being written

    def imports(self) -> list[int]:
        """The pids of the processes that imported the app, one per import."""
        if not self.marker.exists():
            return []
        return [int(line) for line in self.marker.read_text().split()]

    def close(self) -> None:
        self.server.stop()
        for pid in set(self.imports()):  # the supervisor stops them; make sure
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(params=["watchfiles", "poll"])
def method(request: pytest.FixtureRequest) -> str:
    if request.param == "watchfiles":
        pytest.importorskip("watchfiles")
    return str(request.param)


@pytest.fixture
def reloaded(tmp_path: Path, method: str) -> Iterator[Reloaded]:
    reloaded = Reloaded(tmp_path, method, {})
    try:
        yield reloaded
    finally:
        reloaded.close()


def test_restarts_on_source_template_module_and_extra_file(reloaded: Reloaded, method: str) -> None:
    reloaded.server.start()
    banner = "(watchfiles)" if method == "watchfiles" else "(polling every"
    assert f" * Reloading on changes {banner}" in reloaded.server.log()
    reloaded.server.wait_for_body("v1|page 1|helper 1")

    edit(reloaded.app, app_source("v2", reloaded.marker))
    reloaded.server.wait_for_body("v2|page 1|helper 1")
    edit(reloaded.page, "page 2")  # read at import only: just a restart shows it
    reloaded.server.wait_for_body("v2|page 2|helper 1")
    # helper.py lies outside the watched folder: watched because the child reported it.
    edit(reloaded.helper, 'VALUE = "helper 2"\n')
    reloaded.server.wait_for_body("v2|page 2|helper 2")
    before = reloaded.child_pid()
    edit(reloaded.extra, "setting = 2\n")
    reloaded.wait_for(lambda: reloaded.child_pid() not in (None, before), "restart")
    reloaded.server.wait_for_body("v2|page 2|helper 2")

    log = reloaded.server.log()
    for path in (reloaded.app, reloaded.page, reloaded.helper, reloaded.extra):
        assert f" * Detected a change in {path}, reloading" in log
    # Only children import the app, once each; the supervisor never does. (An
    # edit of erlen's own checkout restarts too: wait for a restart under way.)
    reloaded.wait_for(
        lambda: (
            len(reloaded.imports()) == 1 + reloaded.server.log().count(" * Detected a change in ")
        ),
        "one import per child start",
    )
    imports = reloaded.imports()
    assert len(imports) >= 5
    assert len(set(imports)) == len(imports)
    assert reloaded.process.pid not in imports
    assert reloaded.process.poll() is None


def test_syntax_error_is_shown_and_watching_goes_on(reloaded: Reloaded) -> None:
    reloaded.server.start()
    reloaded.server.wait_for_body("v1|page 1|helper 1")
    edit(reloaded.app, "def broken(:\n")

    def stopped() -> str | None:
        answer = reloaded.get()
        return answer[1] if answer and answer[0] == 503 else None

    page = reloaded.wait_for(stopped, "503 while the app is stopped")
    assert "The app stopped (exit code 1)" in page
    assert "Fix it and save" in page
    log = reloaded.server.log()
    assert "SyntaxError" in log  # the child's traceback, on the shared stderr
    assert (
        " * The app stopped (exit code 1); fix the error and save: erlen is still watching" in log
    )
    assert reloaded.process.poll() is None

    edit(reloaded.app, app_source("v3", reloaded.marker))
    reloaded.server.wait_for_body("v3|page 1|helper 1")
    assert reloaded.process.poll() is None


def test_error_in_an_unwatched_module_at_first_start(reloaded: Reloaded) -> None:
    # helper.py is outside the watched folder and never imported cleanly: the
    # child reports it from its traceback, so fixing it restarts the app.
    reloaded.helper.write_text("VALUE = (\n")
    reloaded.server.start()
    reloaded.wait_for(lambda: " * The app stopped (exit code 1)" in reloaded.server.log(), "stop")

    edit(reloaded.helper, 'VALUE = "fixed"\n')
    reloaded.server.wait_for_body("v1|page 1|fixed")


DEVSERVER_CHILD = textwrap.dedent(
    """
    import os
    import sys

    from erlen.dev import reloader
    from erlen.dev.server import run_simple

    reloader.report_modules()
    import app

    reloader.report_modules()
    with open(sys.argv[1], "w") as pid_file:
        pid_file.write(str(os.getpid()))
    run_simple("127.0.0.1", 0, app.application, fd=reloader.inherited_fd(), quiet=True)
    """
)


def test_erlen_devserver_serves_on_the_inherited_socket(reloaded: Reloaded) -> None:
    reloaded.child_script.write_text(DEVSERVER_CHILD)
    reloaded.server.start()
    reloaded.server.wait_for_body("v1|page 1|helper 1")
    edit(reloaded.app, app_source("v2", reloaded.marker))
    reloaded.server.wait_for_body("v2|page 1|helper 1")
    reloaded.wait_for(
        lambda: (
            len(reloaded.imports()) == 1 + reloaded.server.log().count(" * Detected a change in ")
        ),
        "one import per child start",
    )


ERLEN_APP = textwrap.dedent(
    """
    import os

    from erlen import Erlen

    with open(os.path.join(os.path.dirname(__file__), "imports.log"), "a") as marker:
        marker.write(f"{os.getpid()}\\n")
    app = Erlen(__name__)


    @app.route("/")
    def index():
        return "TEXT"
    """
)


def test_erlen_run_reload(tmp_path: Path, method: str) -> None:
    """The whole chain: ``erlen run --reload`` restarts the app on an edit."""
    env = server_env(ERLEN_RELOADER=method)
    app = tmp_path / "app.py"
    app.write_text(ERLEN_APP.replace("TEXT", "hello 1"))
    server = ServerProcess(
        lambda port: [
            sys.executable,
            "-m",
            "erlen",
            "--app",
            "app.py",
            "run",
            "--reload",
            "--port",
            str(port),
        ],
        cwd=tmp_path,
        env=env,
        log_path=tmp_path / "run.log",
    )
    server.start()
    try:
        server.wait_for_body("hello 1")
        edit(app, ERLEN_APP.replace("TEXT", "hello 2"))
        server.wait_for_body("hello 2")
        assert server.process is not None
        imports = (tmp_path / "imports.log").read_text().split()
        assert str(server.process.pid) not in imports  # only children import the app
        assert len(set(imports)) == len(imports) >= 2
    finally:
        server.stop()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_child_and_exits_0(reloaded: Reloaded, signum: int) -> None:
    reloaded.server.start()
    reloaded.server.wait_for_body("v1|page 1|helper 1")
    child = reloaded.wait_for(reloaded.child_pid, "child pid")
    assert alive(child)
    os.kill(reloaded.process.pid, signum)
    assert reloaded.process.wait(timeout=15) == 0
    assert not alive(child)
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


def test_child_exits_when_the_supervisor_is_killed(reloaded: Reloaded) -> None:
    reloaded.server.start()
    reloaded.server.wait_for_body("v1|page 1|helper 1")
    child = reloaded.wait_for(reloaded.child_pid, "child pid")
    environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
    prefix = f"{reloader.STATE_ENV}=".encode()
    state = Path(next(item for item in environ if item.startswith(prefix))[len(prefix) :].decode())
    assert state.parent.is_dir()
    os.kill(reloaded.process.pid, signal.SIGKILL)
    reloaded.process.wait(timeout=10)
    reloaded.wait_for(lambda: not alive(child), "orphaned child to exit", timeout=10)
    assert not state.parent.exists()  # the child cleaned up for the supervisor


def test_port_in_use_is_reported(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = (
            "import sys; from erlen.dev.reloader import run_with_reloader; "
            f"sys.exit(run_with_reloader([sys.executable, '-c', 'pass'], host={HOST!r}, "
            f"port={port}))"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            env=server_env(),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=20,
        )
    assert result.returncode == 1
    assert f"Port {port} on {HOST} is in use by another program." in result.stderr
    assert "try --port" in result.stderr


def test_unknown_method_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    status = reloader.run_with_reloader(
        [sys.executable, "-c", "pass"], host=HOST, port=free_port(), method="inotify"
    )
    assert status == 1
    assert "Unknown reloader method 'inotify'" in capsys.readouterr().err


# -- the pieces, without processes ----------------------------------------------


def test_inherited_fd_and_in_reloader_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(reloader.FD_ENV, raising=False)
    monkeypatch.delenv(reloader.STATE_ENV, raising=False)
    assert reloader.inherited_fd() is None
    assert not reloader.in_reloader_child()
    monkeypatch.setenv(reloader.FD_ENV, "7")
    monkeypatch.setenv(reloader.STATE_ENV, "/tmp/state.json")
    assert reloader.inherited_fd() == 7
    assert reloader.in_reloader_child()
    monkeypatch.setenv(reloader.FD_ENV, "seven")
    with pytest.raises(RuntimeError, match="not a file descriptor"):
        reloader.inherited_fd()


def test_report_modules_is_a_no_op_outside_the_reloader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(reloader.STATE_ENV, raising=False)
    reloader.report_modules()
    assert reloader_child._reporter is None


def test_module_files_leave_out_the_libraries() -> None:
    files = reloader_child._module_files()
    assert str(Path(__file__).resolve()) in files
    assert str(Path(reloader.__file__).resolve()) in files  # erlen's own checkout
    assert os.path.abspath(os.__file__) not in files
    assert os.path.abspath(pytest.__file__) not in files
    assert all(os.path.isabs(path) and os.path.isfile(path) for path in files)


def test_report_modules_writes_the_apps_files(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text("import json\n")
    state = tmp_path / "state.txt"
    code = "import mine; from erlen.dev import reloader; reloader.report_modules()"
    env = server_env(tmp_path, **{reloader.STATE_ENV: str(state)})
    subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, timeout=20, check=True)
    pid, *files = state.read_text().splitlines()
    assert int(pid) > 0
    assert str(tmp_path / "mine.py") in files
    assert str(Path(reloader.__file__).resolve()) in files
    assert not any("site-packages" in path or path == json.__file__ for path in files)
    assert [path.name for path in tmp_path.iterdir() if path.suffix == ".tmp"] == []


def test_polling_watcher_sees_edits_additions_and_removals(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "index.html").write_text("<p>")
    for ignored in (".venv", "__pycache__", "node_modules", ".git", "env"):
        (tmp_path / ignored).mkdir()
        (tmp_path / ignored / "lib.py").write_text("x = 1\n")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    extra = tmp_path / "outside.cfg"
    watcher = watchers._PollingWatcher()
    watcher.update([str(tmp_path)], [str(extra)])  # an extra file may not exist yet
    assert watcher.check() is None

    edit(tmp_path / "templates" / "index.html", "<p>!")
    assert watcher.check() == str(tmp_path / "templates" / "index.html")
    assert watcher.check() is None
    for ignored in (".venv", "__pycache__", "node_modules", ".git", "env"):
        edit(tmp_path / ignored / "lib.py", "x = 2\n")
    edit(tmp_path / "notes.log", "not watched")
    edit(tmp_path / ".app.py.swp", "not watched")
    assert watcher.check() is None
    edit(tmp_path / "views.py", "y = 1\n")
    assert watcher.check() == str(tmp_path / "views.py")
    (tmp_path / "views.py").unlink()
    assert watcher.check() == str(tmp_path / "views.py")
    edit(extra, "on = 1\n")
    assert watcher.check() == str(extra)


def test_walking_stops_at_max_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for index in range(5):
        (tmp_path / f"folder{index}").mkdir()
    watcher = watchers._PollingWatcher()
    watcher.update([str(tmp_path)], [])
    assert not watcher.tree.truncated
    monkeypatch.setattr(watchers, "MAX_FOLDERS", 3)
    watcher.update([str(tmp_path)], [])
    assert watcher.tree.truncated


def test_watchfiles_watcher_rescans_new_folders(tmp_path: Path) -> None:
    pytest.importorskip("watchfiles")
    events: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
    watcher = watchers._WatchfilesWatcher(events)

    def next_event(action: Callable[[int], None]) -> tuple[str, object]:
        """Repeat ``action`` (the watch may still be starting) until an event comes."""
        deadline = time.monotonic() + 10
        for attempt in range(1000):
            action(attempt)
            try:
                return events.get(timeout=0.2)
            except queue.Empty:
                assert time.monotonic() < deadline, "no event from watchfiles"
        raise AssertionError("unreachable")

    watcher.update([str(tmp_path)], [])
    try:
        assert next_event(lambda n: (tmp_path / f"new{n}").mkdir()) == ("rescan", None)
        watcher.update([str(tmp_path)], [])
        page = tmp_path / "new0" / "page.html"
        assert next_event(lambda n: edit(page, f"<p>{n}")) == ("change", str(page))
        (tmp_path / "new0" / "node_modules").mkdir()  # ignored: no rescan, no change
        edit(tmp_path / "new0" / "notes.log", "ignored")
        # Then a change that must be reported: anything the two above caused
        # comes before it. Its name sorts after theirs, so that a batch holding
        # all three would report theirs first.
        sentinel = tmp_path / "new0" / "sentinel.py"
        late = []
        while (event := next_event(lambda n: edit(sentinel, f"x = {n}\n"))) != (
            "change",
            str(sentinel),
        ):
            late.append(event)
        assert [event for event in late if event != ("change", str(page))] == []
    finally:
        watcher.close()
