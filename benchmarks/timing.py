"""Wall-clock timing shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn`` in seconds over ``repeats`` calls, after ``warmup`` calls.

    Time one library's calls back to back, not in turns with another's: a BLAS or OpenMP
    pool keeps its idle workers spinning for a while after each call (OpenBLAS ≈ 0.1 s),
    and with 2 threads on 2 cores they slowed the other library's next call up to 2×.
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
