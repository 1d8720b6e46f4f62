"""running_loop(): the loop running in this thread, as asyncio.get_running_loop()."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from erlen.serving.concurrency import running_loop


async def _both() -> tuple[asyncio.AbstractEventLoop, asyncio.AbstractEventLoop]:
    return running_loop(), asyncio.get_running_loop()


def test_it_is_the_running_loop_in_each_of_several_loops_in_turn():
    seen = []
    for _ in range(3):
        ours, asyncios = asyncio.run(_both())
        assert ours is asyncios
        seen.append(ours)
    assert len({id(loop) for loop in seen}) == 3  # a new loop each time, never the last one


def test_outside_a_loop_it_raises_as_asyncio_does():
    asyncio.run(_both())  # the last loop found is now closed
    with pytest.raises(RuntimeError):
        running_loop()


def test_threads_running_loops_at_once_each_get_their_own():
    started = threading.Barrier(2)
    results: dict[str, bool] = {}

    def run(name: str) -> None:
        async def main() -> None:
            started.wait(timeout=10)
            for _ in range(200):  # interleave with the other thread's calls
                if running_loop() is not asyncio.get_running_loop():
                    results[name] = False
                    return
                await asyncio.sleep(0)
            results[name] = True

        asyncio.run(main())

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == {"a": True, "b": True}


def test_a_loop_that_moved_to_another_thread_is_not_taken_for_this_ones():
    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(_both())[0] is loop  # found here first
        other: list[object] = []
        thread = threading.Thread(target=lambda: other.append(asyncio.run(_both())))
        thread.start()
        thread.join(timeout=30)
        ours, asyncios = other[0]  # type: ignore[misc]
        assert ours is asyncios and ours is not loop
    finally:
        loop.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # fork with threads running
def test_a_child_forked_inside_a_running_loop_is_not_running_it():
    async def fork_here() -> str:
        running_loop()  # remembered in the parent, and so in the child's copy
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            try:
                running_loop()
                answer = b"running"
            except RuntimeError:
                answer = b"none"
            os.write(write, answer)
            os._exit(0)
        os.close(write)
        os.waitpid(pid, 0)
        with os.fdopen(read, "rb") as pipe:
            return pipe.read().decode()

    assert asyncio.run(fork_here()) == "none"
