"""Wall-clock timing shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 1,
                blocks: int = 3, clock: Callable[[], float] = time.perf_counter) -> float:
    """Seconds per call of ``fn``: the median of ``repeats`` timed calls after ``warmup``
    calls, taken in ``blocks`` blocks; the smallest block median is returned.

    Time one library's calls back to back, not in turns with another's: a BLAS or OpenMP
    pool keeps its idle workers spinning for a while after each call (OpenBLAS ≈ 0.1 s),
    and with 2 threads on 2 cores they slowed the other library's next call up to 2×.
    Blocks: on the shared 2-core machine a whole block now and then runs 40–50 % slow (one
    minidl conv: 1.06–1.11 ms in most blocks, 1.48–1.65 ms in some), so the fastest block
    is what the code itself does; every library is measured the same way.
    ``clock=time.process_time`` measures the process's CPU time instead of the wall clock:
    steadier on a busy machine, and meaningful with one thread only.
    """
    medians = []
    for _ in range(blocks):
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(repeats):
            start = clock()
            fn()
            times.append(clock() - start)
        medians.append(statistics.median(times))
    return min(medians)
