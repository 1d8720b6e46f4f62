"""Running coroutines from synchronous code, for the request cycle.

Two jobs, both about where a coroutine runs when the code around it is
synchronous: :func:`drive` finishes a cycle helper that never suspends
(the sync cycle reuses the async helpers this way), and
:func:`run_coroutine` runs a view's or hook's coroutine to completion from
a WSGI thread or the ASGI thread pool. asyncio is imported only when a
coroutine really has to run on a loop.
"""

from __future__ import annotations

import os
import typing as t
from threading import get_ident

from ..ctx import _cv

if t.TYPE_CHECKING:
    import asyncio

__all__ = ["drive", "run_coroutine", "running_loop"]

T = t.TypeVar("T")

#: The loop running_loop() found last, if it can tell when that loop runs here.
_last_loop: t.Any = None


def running_loop() -> asyncio.AbstractEventLoop:
    """Return the event loop running in this thread, as ``asyncio.get_running_loop()``.

    perf: on Python 3.11, ``get_running_loop()`` asks the system for the process
    id each time (its check for a fork), a system call that costs about 2% of
    an ASGI request. The loop found last is this thread's running loop exactly
    when it is running in this thread: asyncio's loops hold the ident of the
    thread running them in ``_thread_id`` (``None`` when stopped), and a thread
    runs one loop at a time. A fork forgets the loop; a loop without
    ``_thread_id`` (uvloop's) is asked for each time. Outside a running loop it
    raises ``RuntimeError``, as ``get_running_loop()`` does.
    """
    global _last_loop
    loop = _last_loop
    if loop is not None and loop._thread_id == get_ident():
        return loop  # type: ignore[no-any-return]  # perf: no cast() call
    import asyncio

    loop = asyncio.get_running_loop()
    _last_loop = loop if hasattr(loop, "_thread_id") else None
    return loop  # type: ignore[no-any-return]


def _forget_loop() -> None:
    global _last_loop
    _last_loop = None


if hasattr(os, "register_at_fork"):
    # A child forked inside a running loop is not running it (asyncio says so).
    os.register_at_fork(after_in_child=_forget_loop)


def drive(coroutine: t.Coroutine[t.Any, t.Any, T]) -> T:
    """Run a request-cycle coroutine that never suspends, in one step."""
    # perf: one send() instead of an event loop; see :meth:`Erlen.handle_async`.
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return t.cast(T, stop.value)
    coroutine.close()
    raise RuntimeError(
        "erlen's request cycle was suspended outside an event loop. This is a bug in "
        "erlen; please report it with the view that triggered it."
    )


_loops: t.Any = None


def run_coroutine(coroutine: t.Any) -> t.Any:
    """Run an ``async def`` view's (or hook's) coroutine to completion from sync code.

    Under ASGI, from a worker thread, it runs on the server's event loop, so
    it can share that loop's connections and tasks. Under WSGI each thread
    keeps an event loop of its own for this.
    """
    global _loops
    import asyncio

    context = _cv.get(None)
    server_loop = context.loop if context is not None else None
    if server_loop is not None and not _runs(server_loop):
        return asyncio.run_coroutine_threadsafe(coroutine, server_loop).result()
    # On the server loop's own thread (sync code called from an async view, such
    # as a signal's async receiver), waiting for the loop would hang: fall through.
    import threading

    if _loops is None:
        _loops = threading.local()
    loop = getattr(_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = _loops.loop = asyncio.new_event_loop()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        running = False
    else:
        running = True
    if not running:
        # Outside the except block: the view's own errors get no stray context.
        return loop.run_until_complete(coroutine)
    # Called from inside a running loop (an async test, say): use a thread.
    from concurrent.futures import ThreadPoolExecutor
    from contextvars import copy_context

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(copy_context().run, asyncio.run, coroutine).result()


def _runs(loop: t.Any) -> bool:
    """Whether ``loop`` is the event loop running in this thread."""
    import asyncio

    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
