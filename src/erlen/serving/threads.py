"""Worker threads for the synchronous code of ASGI requests: one thread per request.

Under ASGI, a plain ``def`` view, its hooks, the steps of a streamed sync
generator and the teardown functions may block, so they run off the event
loop. They run on *one* thread for the whole request, as they would under
a WSGI server: a database connection opened in ``g`` by a view is closed
by ``teardown_appcontext`` on the thread that opened it (SQLite refuses
any other). A request takes a :class:`Worker` from the app's
:class:`WorkerPool` when it first needs one and gives it back when it
ends.

A hop to the worker is a :class:`queue.SimpleQueue` put. The way back is
the loop's :class:`_Inbox`: the worker leaves the result in a deque and
wakes the loop through a file descriptor of the inbox's own (an eventfd
on Linux), once for however many results are waiting. That is less than
``loop.run_in_executor`` does (no :class:`concurrent.futures.Future`, no
lock, no callback chain), and less than ``call_soon_threadsafe`` too,
whose self-pipe the loop empties by reading until the read fails: an
exception per hop. A loop that cannot watch a file descriptor (Windows'
proactor loop) gets the results through ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import typing as t
from collections import deque
from queue import SimpleQueue

from .concurrency import running_loop

__all__ = ["Lane", "Worker", "WorkerPool", "NoWorkerAvailable"]

T = t.TypeVar("T")

_STOP: t.Any = object()


class NoWorkerAvailable(Exception):
    """Every worker thread stayed busy for longer than the pool's timeout."""


def _finish(future: asyncio.Future[t.Any], error: BaseException | None, value: t.Any) -> None:
    # On the loop: the awaiting request may have been cancelled meanwhile.
    if future.cancelled():
        return
    if error is None:
        future.set_result(value)
    else:
        future.set_exception(error)


class _Inbox:
    """Where worker threads leave results for one event loop, and how they wake it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._results: deque[tuple[asyncio.Future[t.Any], BaseException | None, t.Any]] = deque()
        # Whether the loop has been woken and has not yet taken the results.
        self._woken = False
        eventfd = getattr(os, "eventfd", None)
        if eventfd is not None:
            self._read_fd = self._write_fd = eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        else:  # macOS and the BSDs: a pipe does the same
            self._read_fd, self._write_fd = os.pipe()
            os.set_blocking(self._read_fd, False)
            os.set_blocking(self._write_fd, False)
        try:
            loop.add_reader(self._read_fd, self._take)
        except BaseException:
            self.close()
            raise

    def post(
        self, future: asyncio.Future[t.Any], error: BaseException | None, value: t.Any
    ) -> None:
        """From a worker thread: hand ``future`` its outcome on the loop."""
        self._results.append((future, error, value))
        # perf: one wake-up for every result that arrives before the loop
        # takes them. The flag is read after the append and cleared by the
        # loop before it empties the deque, so a result is never left unseen.
        if not self._woken:
            self._woken = True
            try:
                os.write(self._write_fd, b"\x01\0\0\0\0\0\0\0")
            except OSError:  # the loop has closed, and the inbox with it
                pass

    def _take(self) -> None:
        try:
            os.read(self._read_fd, 4096)
        except BlockingIOError:
            pass
        self._woken = False
        results = self._results
        while results:
            _finish(*results.popleft())

    def close(self) -> None:
        for fd in {self._read_fd, self._write_fd}:
            os.close(fd)


class _Callbacks:
    """The inbox of a loop that cannot watch a descriptor: ``call_soon_threadsafe``."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def post(
        self, future: asyncio.Future[t.Any], error: BaseException | None, value: t.Any
    ) -> None:
        self._loop.call_soon_threadsafe(_finish, future, error, value)

    def close(self) -> None:
        pass


_inboxes: dict[asyncio.AbstractEventLoop, _Inbox | _Callbacks] = {}
_inboxes_lock = threading.Lock()


def _inbox_of(loop: asyncio.AbstractEventLoop) -> _Inbox | _Callbacks:
    """The inbox of ``loop``, made on first use."""
    with _inboxes_lock:
        inbox = _inboxes.get(loop)
        if inbox is not None:
            return inbox
        # A closed loop's selector is gone: its inbox's descriptors are closed here.
        for old in [old for old in _inboxes if old.is_closed()]:
            _inboxes.pop(old).close()
        try:
            inbox = _Inbox(loop)
        except NotImplementedError:  # Windows' proactor loop
            inbox = _Callbacks(loop)
        _inboxes[loop] = inbox
        return inbox


class Worker:
    """One thread that runs the synchronous steps of one request at a time."""

    def __init__(self, pool: WorkerPool, number: int) -> None:
        self._jobs: SimpleQueue[t.Any] = SimpleQueue()
        self._pool = pool
        self.thread = threading.Thread(target=self._work, name=f"{pool.name}-{number}", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        jobs = self._jobs
        while True:
            job = jobs.get()
            if job is _STOP:
                return
            inbox, future, function, args = job
            job = None  # nothing of a request is kept alive until the next job
            try:
                value = function(*args)
            except BaseException as error:  # noqa: BLE001 - handed to the awaiting request
                inbox.post(future, error, None)
            else:
                inbox.post(future, None, value)
                value = None
            inbox = future = function = args = None

    def run(self, function: t.Callable[..., T], *args: t.Any) -> asyncio.Future[T]:
        """Run ``function(*args)`` on this worker's thread; await the result."""
        loop = running_loop()
        # perf: a dict lookup; _inbox_of takes its lock only for a new loop.
        inbox = _inboxes.get(loop) or _inbox_of(loop)
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((inbox, future, function, args))
        return future

    def stop(self) -> None:
        self._jobs.put(_STOP)


class WorkerPool:
    """At most ``size`` worker threads, made as they are first needed.

    :meth:`acquire` gives a request a worker of its own, waiting (on the
    event loop, up to ``timeout`` seconds) while all are busy;
    :meth:`release` hands it to the next waiting request, first come first
    served.
    """

    def __init__(self, size: int, timeout: float | None = None, name: str = "erlen-view") -> None:
        if size < 1:
            raise ValueError(
                f"ASGI_THREADS is {size}; the pool needs at least one thread for plain "
                "'def' views and sync teardown functions."
            )
        self.size = size
        self.timeout = timeout
        self.name = name
        self._idle: list[Worker] = []
        self._made = 0
        self._closed = False
        self._lock = threading.Lock()
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[Worker]]] = deque()

    def acquire(self) -> Worker | t.Awaitable[Worker]:
        """A free worker now, or an awaitable of the next one to come free."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
            if self._made < self.size:
                self._made += 1
                number = self._made
            else:
                loop = asyncio.get_running_loop()
                waiter: asyncio.Future[Worker] = loop.create_future()
                self._waiters.append((loop, waiter))
                return self._wait(waiter)
        return Worker(self, number)

    async def _wait(self, waiter: asyncio.Future[Worker]) -> Worker:
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), self.timeout)
        except (asyncio.TimeoutError, asyncio.CancelledError) as error:
            with self._lock:
                given = waiter.done() and not waiter.cancelled()
                if not given:
                    waiter.cancel()
            if given:
                # Handed a worker just as the wait ended: pass it on.
                self.release(waiter.result())
            if isinstance(error, asyncio.CancelledError):
                raise
            raise NoWorkerAvailable() from None

    def release(self, worker: Worker) -> None:
        """Give ``worker`` to the longest-waiting request, or keep it idle."""
        with self._lock:
            if self._closed:
                worker.stop()
                return
            while self._waiters:
                loop, waiter = self._waiters.popleft()
                if waiter.done():
                    continue  # given up (timed out, or the client left)
                if loop.is_closed():
                    continue
                loop.call_soon_threadsafe(_hand_over, waiter, worker, self)
                return
            self._idle.append(worker)

    def close(self) -> None:
        """Stop the idle workers (those in use stop when given back)."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._closed = True
        for worker in idle:
            worker.stop()


def _hand_over(waiter: asyncio.Future[Worker], worker: Worker, pool: WorkerPool) -> None:
    if waiter.done():  # timed out between release() and now
        pool.release(worker)
    else:
        waiter.set_result(worker)


class Lane:
    """The worker of one request: taken from the pool on first use, given back at the end.

    Every step runs in one copy of the request's context variables, taken
    at the first step, so a variable a hook sets is still set in teardown,
    as it would be on a WSGI server's thread.
    """

    __slots__ = ("_pool", "_worker", "_context")

    def __init__(self, pool: WorkerPool) -> None:
        self._pool = pool
        self._worker: Worker | None = None
        self._context: contextvars.Context | None = None

    async def run(self, function: t.Callable[..., T], *args: t.Any) -> T:
        """Run ``function(*args)`` on the request's worker; raise NoWorkerAvailable if none comes."""
        worker = self._worker
        if worker is None:
            found = self._pool.acquire()
            worker = found if found.__class__ is Worker else await found  # type: ignore[misc]
            self._worker = worker
            self._context = contextvars.copy_context()
        return await worker.run(self._context.run, function, *args)  # type: ignore[union-attr, arg-type]

    def release(self) -> None:
        """Give the worker back (a no-op if the request never needed one)."""
        worker = self._worker
        if worker is not None:
            self._worker = None
            self._pool.release(worker)
