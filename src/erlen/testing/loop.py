"""Event loops for the test client: coroutines run from synchronous tests.

A test is plain synchronous code, yet the app's ASGI side is coroutines.
These helpers run a coroutine on a loop of the client's to its end, bounded
in time, from inside an async test too, and close a loop cleanly.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import typing as t
from collections.abc import Awaitable, Callable, Coroutine

T = t.TypeVar("T")


def _in_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _run_on(
    loop: asyncio.AbstractEventLoop, coroutine: Coroutine[t.Any, t.Any, T], timeout: float
) -> T:
    """Run ``coroutine`` on ``loop`` to its end, from synchronous code."""
    if not _in_running_loop():
        return loop.run_until_complete(coroutine)
    # An async test is running a loop in this thread, and loops do not nest:
    # run ours in a helper thread, with the caller's context variables.
    context = contextvars.copy_context()
    outcome: dict[str, t.Any] = {}

    def run() -> None:
        try:
            outcome["value"] = context.run(loop.run_until_complete, coroutine)
        except BaseException as error:  # noqa: BLE001 - handed back to the caller
            outcome["error"] = error

    thread = threading.Thread(target=run, name="erlen-test-client", daemon=True)
    thread.start()
    thread.join(timeout + 5.0)  # the coroutine bounds itself; this catches a blocked loop
    if thread.is_alive():
        raise TimeoutError(
            f"The app blocked the test client's event loop for over {timeout:g} s (a blocking "
            "call inside an async def view?); the helper thread running it was abandoned."
        )
    if "error" in outcome:
        raise outcome["error"]
    return t.cast(T, outcome["value"])


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is left on a loop that is not running, then close it."""
    if loop.is_closed() or loop.is_running():
        return
    try:
        if not _in_running_loop():
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=1.0))
            shutdown = loop.create_task(loop.shutdown_asyncgens())
            loop.run_until_complete(asyncio.wait({shutdown}, timeout=1.0))
    finally:
        loop.close()


async def _bounded(awaitable: Awaitable[T], timeout: float, describe: Callable[[], str]) -> T:
    """Await ``awaitable`` for at most ``timeout`` seconds, then cancel it and raise."""
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
        raise TimeoutError(describe())
    return task.result()
