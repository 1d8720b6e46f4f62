"""The worker threads of ASGI requests (erlen.serving.threads), and how requests use them."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading

import pytest

from erlen import Erlen, g
from erlen.serving.threads import Lane, NoWorkerAvailable, WorkerPool


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 30))


def test_a_lane_runs_every_step_on_one_thread():
    pool = WorkerPool(4)

    async def main():
        lane = Lane(pool)
        threads = {await lane.run(threading.get_ident) for _ in range(5)}
        lane.release()
        return threads

    try:
        threads = run(main())
        assert len(threads) == 1
        assert threads != {threading.get_ident()}
    finally:
        pool.close()


def test_a_step_that_raises_raises_in_the_request():
    pool = WorkerPool(1)

    def broken():
        raise ValueError("step failed")

    async def main():
        lane = Lane(pool)
        try:
            with pytest.raises(ValueError, match="step failed"):
                await lane.run(broken)
            return await lane.run(lambda: "the worker goes on")
        finally:
            lane.release()

    try:
        assert run(main()) == "the worker goes on"
    finally:
        pool.close()


def test_results_from_many_workers_at_once_all_reach_their_requests():
    # Results that arrive together share one wake-up of the loop: none may be lost.
    pool = WorkerPool(16)
    gate = threading.Barrier(16)

    def step(number):
        gate.wait(timeout=10)  # all sixteen finish at about the same moment
        return number * 2

    async def one(number):
        lane = Lane(pool)
        try:
            return [await lane.run(step, number)] + [await lane.run(int, n) for n in "12"]
        finally:
            lane.release()

    async def main():
        return await asyncio.gather(*(one(number) for number in range(16)))

    try:
        for _ in range(3):
            assert run(main()) == [[number * 2, 1, 2] for number in range(16)]
    finally:
        pool.close()


def test_a_loop_that_cannot_watch_a_descriptor_still_gets_its_results():
    class NoReaders(asyncio.SelectorEventLoop):
        def add_reader(self, fd, callback, *args):
            raise NotImplementedError("like Windows' proactor loop")

    pool = WorkerPool(2)

    async def main():
        lane = Lane(pool)
        try:
            return [await lane.run(threading.get_ident) != threading.get_ident() for _ in range(3)]
        finally:
            lane.release()

    loop = NoReaders()
    try:
        assert loop.run_until_complete(asyncio.wait_for(main(), 30)) == [True, True, True]
    finally:
        loop.close()
        pool.close()


def test_the_descriptors_of_closed_loops_are_closed():
    pool = WorkerPool(1)

    async def main():
        lane = Lane(pool)
        try:
            return await lane.run(lambda: "done")
        finally:
            lane.release()

    def open_descriptors():
        return len(os.listdir("/proc/self/fd"))

    try:
        assert run(main()) == "done"
        before = open_descriptors()
        for _ in range(20):
            assert run(main()) == "done"  # a new loop each time, closed after
        # One loop's inbox may stay open until the next new loop comes along.
        assert open_descriptors() <= before + 2
    finally:
        pool.close()


def test_the_pool_makes_at_most_size_threads_and_queues_the_rest():
    pool = WorkerPool(2)
    started = threading.Semaphore(0)
    go_on = threading.Event()

    def hold():
        started.release()
        go_on.wait(10)
        return threading.get_ident()

    async def one():
        lane = Lane(pool)
        try:
            return await lane.run(hold)
        finally:
            lane.release()

    async def main():
        tasks = [asyncio.create_task(one()) for _ in range(5)]
        loop = asyncio.get_running_loop()
        # Two run at once; the other three wait for a thread to come free.
        for _ in range(2):
            assert await loop.run_in_executor(None, started.acquire, True, 10)
        assert not started.acquire(timeout=0.2)
        go_on.set()
        return await asyncio.gather(*tasks)

    try:
        threads = run(main())
        assert len(threads) == 5
        assert len(set(threads)) == 2
    finally:
        pool.close()


def test_a_request_that_waits_too_long_gets_no_worker_and_the_pool_loses_none():
    pool = WorkerPool(1, timeout=0.2)
    go_on = threading.Event()

    async def main():
        holder = Lane(pool)
        holding = asyncio.ensure_future(holder.run(go_on.wait, 10))
        await asyncio.sleep(0)
        waiting = Lane(pool)
        with pytest.raises(NoWorkerAvailable):
            await waiting.run(lambda: None)
        go_on.set()
        await holding
        holder.release()
        later = Lane(pool)  # the one worker is free again
        try:
            return await later.run(lambda: "served")
        finally:
            later.release()

    try:
        assert run(main()) == "served"
    finally:
        pool.close()


def test_a_pool_needs_a_thread():
    with pytest.raises(ValueError, match="ASGI_THREADS is 0"):
        WorkerPool(0)


# -- requests ----------------------------------------------------------------------


@pytest.fixture
def db_app() -> Erlen:
    app = Erlen(__name__)
    app.config["TESTING"] = True
    app.config["ASGI_THREADS"] = 4
    seen: dict[str, list[int]] = {"closed": [], "errors": []}
    app.extensions["seen"] = seen

    def get_db() -> sqlite3.Connection:
        if "db" not in g:
            g.db = sqlite3.connect(":memory:")
        return g.db

    @app.before_request
    def before():
        g.hook_thread = threading.get_ident()

    @app.get("/")
    def index():
        (one,) = get_db().execute("select 1").fetchone()
        return f"{one} {g.hook_thread == threading.get_ident()}"

    @app.get("/rows")
    def rows():
        db = get_db()

        def produce():
            for n in range(3):
                (value,) = db.execute("select ?", (n,)).fetchone()
                yield f"{value},"

        return produce()

    @app.teardown_appcontext
    def close(error):
        db = g.pop("db", None)
        if db is not None:
            try:
                db.close()
            except sqlite3.ProgrammingError:
                seen["errors"].append(1)
                raise
            seen["closed"].append(1)

    return app


def test_sqlite_in_g_under_the_asgi_test_client(db_app):
    client = db_app.test_client(asgi=True)
    try:
        for _ in range(20):
            assert client.get("/").text == "1 True"
            assert client.get("/rows").text == "0,1,2,"
    finally:
        client.close()
        db_app._workers.close()
    seen = db_app.extensions["seen"]
    assert (len(seen["closed"]), seen["errors"]) == (40, [])


def test_a_request_that_gets_no_thread_in_time_is_a_503(db_app, caplog):
    db_app.config.update(ASGI_THREADS=1, ASGI_THREAD_TIMEOUT=0.2)
    go_on = threading.Event()

    @db_app.get("/slow")
    def slow():
        go_on.wait(10)
        return "slow"

    async def call(path: str) -> tuple[int, bytes]:
        messages: list[dict] = []
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"test")],
            "server": ("test", 80),
            "client": ("127.0.0.1", 1),
        }

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            messages.append(message)

        await db_app(scope, receive, send)
        return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])

    async def main():
        slow_one = asyncio.ensure_future(call("/slow"))
        await asyncio.sleep(0.05)
        busy = await call("/")
        go_on.set()
        return busy, await slow_one

    try:
        (status, body), slow_answer = run(main())
    finally:
        db_app._workers.close()
    assert status == 503
    assert b"every worker thread is in use" in body
    assert slow_answer == (200, b"slow")
    assert "ASGI_THREAD_TIMEOUT" in caplog.text


def _threads_app() -> Erlen:
    app = Erlen(__name__)
    app.config["TESTING"] = True
    seen: dict[str, int] = {}
    app.extensions["seen"] = seen

    @app.get("/plain")
    def plain():
        seen["plain"] = threading.get_ident()
        return "plain"

    @app.get("/cheap", on_loop=True)
    def cheap():
        seen["cheap"] = threading.get_ident()
        return "cheap"

    @app.get("/async")
    async def asynchronous():
        seen["async"] = threading.get_ident()
        seen["loop"] = threading.get_ident()
        return "async"

    return app


def test_on_loop_runs_a_plain_view_on_the_event_loop():
    app = _threads_app()
    client = app.test_client(asgi=True)
    try:
        assert client.get("/cheap").text == "cheap"
        assert client.get("/async").text == "async"
        assert client.get("/plain").text == "plain"
    finally:
        client.close()
        app._workers.close()
    seen = app.extensions["seen"]
    assert seen["cheap"] == seen["loop"]
    assert seen["plain"] != seen["loop"]


def test_asgi_sync_views_on_loop_runs_every_plain_view_on_the_loop():
    app = _threads_app()
    app.config["ASGI_SYNC_VIEWS_ON_LOOP"] = True
    client = app.test_client(asgi=True)
    try:
        client.get("/async")
        client.get("/plain")
    finally:
        client.close()
    seen = app.extensions["seen"]
    assert seen["plain"] == seen["loop"]
    assert "_thread_pool" not in app.__dict__  # no worker was ever needed


def test_on_loop_is_refused_with_a_message_for_a_typo():
    app = Erlen(__name__)
    with pytest.raises(TypeError, match="on_loop"):
        app.add_url_rule("/", "index", lambda: "", on_lop=True)


@pytest.mark.parametrize("in_thread", [False, True])
def test_asgi_hooks_in_thread_moves_the_sync_hooks_of_async_views_off_the_loop(in_thread):
    app = _threads_app()
    app.config["ASGI_HOOKS_IN_THREAD"] = in_thread
    seen = app.extensions["seen"]

    @app.before_request
    def before():
        seen["before"] = threading.get_ident()

    @app.after_request
    def after(response):
        seen["after"] = threading.get_ident()
        return response

    @app.before_request
    async def before_async():
        seen["before_async"] = threading.get_ident()

    client = app.test_client(asgi=True)
    try:
        assert client.get("/async").text == "async"
    finally:
        client.close()
        app._workers.close()
    assert seen["before_async"] == seen["loop"]  # an async hook stays on the loop
    if in_thread:
        assert seen["before"] != seen["loop"]
        assert seen["before"] == seen["after"]  # one worker for the request
    else:
        assert seen["before"] == seen["after"] == seen["loop"]
