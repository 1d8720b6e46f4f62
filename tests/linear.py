"""Check that a parser's work grows linearly with its input (issue 15).

No absolute time limit: :func:`assert_linear` times the same work on an
input of ``n`` and of ``SCALE * n`` characters, best of several runs each,
and requires the large one to take less than ``SLACK`` times what linear
growth predicts. Linear work passes with room to spare (its ratio is about
``SCALE``, less with fixed costs); quadratic work, whose ratio is about
``SCALE ** 2``, fails by a wide margin, whatever the machine's speed.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

#: The large input is this many times the small one.
SCALE = 16
#: How far above linear growth a ratio may go (noise, caches, allocation).
SLACK = 3
#: Runs of each size; the fastest counts (the others met other load).
RUNS = 5


def _best(work: Callable[[], object], clock: Callable[[], float]) -> float:
    best = float("inf")
    collecting = gc.isenabled()
    gc.collect()
    gc.disable()  # a collection inside one run would count against it
    try:
        for _ in range(RUNS):
            start = clock()
            work()
            best = min(best, clock() - start)
    finally:
        if collecting:
            gc.enable()
    return best


def assert_linear(
    make: Callable[[int], Callable[[], object]],
    n: int = 1024,
    clock: Callable[[], float] = time.process_time,
) -> None:
    """Fail if ``make(SCALE * n)()`` takes more than linear growth from ``make(n)()``.

    ``make(size)`` builds the input (outside the timing) and returns the
    work to time, a call with no arguments. The clock is this process's
    CPU time, which other processes on a busy machine do not disturb;
    work done in another process (a server) needs ``time.perf_counter``.
    """
    small, large = make(n), make(SCALE * n)
    small_time, large_time = _best(small, clock), _best(large, clock)
    ratio = large_time / max(small_time, 1e-7)
    assert ratio < SCALE * SLACK, (
        f"{SCALE}x the input took {ratio:.0f}x the time ({small_time * 1e3:.2f} ms for "
        f"{n} characters, {large_time * 1e3:.2f} ms for {SCALE * n}): the work grows "
        "faster than the input (a backtracking regular expression?)"
    )
