"""Wall-clock timing shared by the benchmarks: medians of repeated calls."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_times(fns: list[Callable[[], object]], repeats: int, warmup: int = 1) -> list[float]:
    """Median seconds per call of each of ``fns``, after ``warmup`` calls of each.

    The calls are timed in turns (fn 1, fn 2, …, fn 1, fn 2, …), so a burst of background
    load on a shared machine slows all of them rather than one.
    """
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, kept in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            kept.append(time.perf_counter() - start)
    return [statistics.median(kept) for kept in times]


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn`` in seconds, after one warm-up call."""
    return median_times([fn], repeats)[0]
