"""How the CPU kernels share the cores: Numba's thread pool, and minidl's parts of a batch.

Numba's default ``omp`` layer (GNU OpenMP) keeps its workers spinning after a
parallel loop; they then fight OpenBLAS's threads for the cores and a conv step
measured 10–40× slower. The ``workqueue`` layer parks its workers instead.
An explicit ``NUMBA_THREADING_LAYER`` environment variable still wins.

Starting and joining a parallel region still costs about 0.1–0.2 ms here, and the
parallel (parfor) compilation of a loop vectorised worse than the plain one: on
LeNet-sized inputs the serial compilation of the im2col kernels was 1.5–2× faster
(e.g. 0.15 vs 0.29 ms), and only from ~3 M elements did 2 threads win (32→64
channels: 3.0 vs 5.7 ms). :func:`serial_twin` gives a kernel that second compilation;
each kernel module picks one of the two per call, from a work size it measured.

Why minidl runs its layers' parallelism itself (:func:`run_parts`) instead of leaving it
to BLAS: a convolution is GEMMs *and* copies (im2col, col2im, transposes), and with a
multithreaded BLAS only the GEMMs used the second core. Worse, after each multithreaded
GEMM OpenBLAS's idle worker keeps spinning (``sched_yield``) for about 0.1–0.2 s, so for
that long any other thread shares the second core with it: a job split over 2 threads
took 5.6 ms alone and 10 ms right after a 2-thread GEMM. So the convolution layers split
their batch into parts (:func:`batch_parts`) and run each part's whole pipeline on its
own core with BLAS single-threaded, and ``gemm.matmul`` keeps the products of linear
layers, attention and ``@`` on one core for a while after that, so that in a model of
such layers no BLAS worker is woken between two convolutions. Measured at 2 threads
(``python -m benchmarks.gan``, several runs each): DCGAN's ConvTranspose2d 64 → 32
forward + backward 5.8–7.3 → 4.5–5.2 ms, the whole DCGAN step 39–41 → 32–35 ms (before,
about one process in four ran it in 64 ms, its 2-thread GEMMs a third slower). Waking a
parked thread costs 50–100 µs here, so parts pay for layers of a millisecond or more, not
for one GEMM.
"""

from __future__ import annotations

import os
import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

import numba
from threadpoolctl import ThreadpoolController

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"

def serial_twin(kernel: Callable[..., Any]) -> Callable[..., Any]:
    """``kernel`` (an ``@njit(parallel=True)`` function) compiled again without ``parallel``:
    its ``prange`` loops run as plain loops on the calling thread.

    The twin is named ``<name>_serial`` so that Numba's on-disk cache, which is keyed by
    name and not by compile options, keeps the two compilations apart.
    """
    fn = getattr(kernel, "py_func", kernel)  # a plain function under NUMBA_DISABLE_JIT=1
    twin = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_serial",
                              fn.__defaults__, fn.__closure__)
    twin.__qualname__ = fn.__qualname__ + "_serial"
    twin.__doc__ = fn.__doc__
    options = {k: v for k, v in getattr(kernel, "targetoptions", {}).items()
               if k not in ("parallel", "nopython")}  # njit implies nopython
    return numba.njit(cache=True, **options)(twin)


# -- one part of a layer's batch per core, BLAS single-threaded inside ----------------------

def _power_of_two_at_most(n: int) -> int:
    return 1 << (max(n, 1).bit_length() - 1)


PARTS = _power_of_two_at_most(min(max(2, numba.config.NUMBA_NUM_THREADS), 16))
"""How many parts :func:`batch_parts` splits a large enough batch into: Numba's pool size
(``NUMBA_NUM_THREADS``, the machine's cores unless set; at least 2, at most 16) rounded down
to a power of two, so that 2, 4, … threads get equal shares.

Fixed when minidl loads, not by the thread count in use (``numba.set_num_threads``), so
sums over parts are added in the same order with 1 thread or 2 and results do not change
when the thread count does."""

_local = threading.local()  # .inside: this thread is running one of run_parts' shares
_pool: tuple[ThreadPoolExecutor, int] | None = None  # (the pool, its number of threads)
_blas_lock = threading.RLock()  # held by the thread inside single_threaded_blas
_blas: list[Any] | None = None  # threadpoolctl's controllers of the loaded BLAS libraries
_blas_depth = 0                 # how deeply that thread's single_threaded_blas blocks nest
_blas_saved: list[int] = []     # each library's thread count before the outermost block


def _start_afresh_in_child() -> None:
    """A forked child (the autograder forks learner processes) has none of its parent's
    threads: it makes a pool of its own, and no lock or BLAS limit held by a parent thread
    (BLAS gets back the threads it had before that limit)."""
    global _pool, _blas_lock, _blas_depth
    if _blas_depth:
        _restore_blas_threads()
    _pool, _blas_lock, _blas_depth = None, threading.RLock(), 0


os.register_at_fork(after_in_child=_start_afresh_in_child)


def cpu_threads() -> int:
    """Threads the CPU kernels may use now: Numba's count for this thread
    (``NUMBA_NUM_THREADS``, ``numba.set_num_threads``), or 1 inside a :func:`run_parts` share."""
    return 1 if getattr(_local, "inside", False) else numba.get_num_threads()


def batch_parts(n: int, per_part: int, min_images: int = 1) -> list[tuple[int, int]]:
    """(first image, images) ranges that cover a batch of ``n`` images.

    At most ``per_part`` images each (a memory budget), and as many parts as fit
    ``min_images`` each (so that every part's GEMMs stay wide enough to run fast) up to
    :data:`PARTS`, rounded down to a power of two; when the memory budget needs more, a
    multiple of that many. Either way 2, 4, … threads get equal shares.
    """
    if n <= 0:
        return []
    parts = _power_of_two_at_most(min(PARTS, n // max(min_images, 1)))
    needed = -(-n // max(per_part, 1))
    if needed > parts:
        parts = -(-needed // parts) * parts
    parts = min(parts, n)
    step, extra = divmod(n, parts)
    ranges, start = [], 0
    for i in range(parts):
        m = step + (i < extra)
        ranges.append((start, m))
        start += m
    return ranges


def run_parts(fn: Callable[[Any], Any], parts: Sequence[Any]) -> list[Any]:
    """``[fn(part) for part in parts]``, on up to :func:`cpu_threads` threads at once.

    Why not let BLAS use both cores instead: a layer is GEMMs *and* copies (im2col,
    col2im, transposes) that run on one core, and after each multithreaded GEMM OpenBLAS's
    idle worker spins on the second core for ~0.1–0.2 s, so nothing else gets that core
    (module docstring). Here each thread runs whole parts, copies and GEMMs, with BLAS
    limited to one thread, so both cores do all of the layer's work and no BLAS worker
    is woken by it. Thread t runs parts t, t + T, t + 2T, … (T threads; the calling thread
    is thread 0).

    ``fn`` may only write to its own part of any shared output; it may call NumPy and
    Numba kernels that release the GIL (``nogil``) and are *not* ``parallel``: inside a
    share :func:`cpu_threads` is 1, and the kernels pick their serial twins. With one
    thread or one part (a batch of one image), or from inside a share, this is a plain loop
    and BLAS keeps its threads: they are then the only parallelism there is.
    """
    threads = min(len(parts), cpu_threads())
    if threads <= 1:
        return [fn(part) for part in parts]
    global _pool, _parts_ended
    if _pool is None or _pool[1] < threads - 1:
        _pool = ThreadPoolExecutor(threads - 1, thread_name_prefix="minidl-cpu"), threads - 1

    def share(first: int) -> list[Any]:
        _local.inside = True
        try:
            return [fn(part) for part in parts[first::threads]]
        finally:
            _local.inside = False

    with single_threaded_blas():
        futures = []
        try:
            futures = [_pool[0].submit(share, t) for t in range(1, threads)]
            first = share(0)
        finally:
            wait(futures)  # no share may still run once BLAS gets its threads back
            _parts_ended = time.perf_counter()
    done = [first] + [future.result() for future in futures]
    return [done[i % threads][i // threads] for i in range(len(parts))]


SPIN_SECONDS = 0.5
"""How long after :func:`run_parts` a product still runs with BLAS single-threaded
(``gemm.matmul``): longer than OpenBLAS's idle worker spins (~0.1–0.2 s measured)."""
_parts_ended = -1e9  # time.perf_counter() when the last run_parts call ended


def ran_parts_recently() -> bool:
    """Whether :func:`run_parts` ran on several threads in the last :data:`SPIN_SECONDS`."""
    return time.perf_counter() - _parts_ended < SPIN_SECONDS


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """BLAS limited to one thread inside the block.

    One thread at a time (a lock; blocks nest within it): the thread that lowers BLAS's
    thread count is the one that restores it, because OpenBLAS ignores a count set from
    another thread once the main thread has set one (measured with OpenBLAS 0.3.31). So
    from a learner's own background thread the limit may not take: parts then run with
    BLAS's threads, slower but with the same results. A share of :func:`run_parts` already
    runs under its caller's limit: a no-op there.
    """
    if getattr(_local, "inside", False):
        yield
        return
    global _blas, _blas_depth
    with _blas_lock:
        if _blas_depth == 0:
            if _blas is None:
                _blas = ThreadpoolController().select(user_api="blas").lib_controllers
            _blas_saved[:] = [c.get_num_threads() for c in _blas]
            for c in _blas:
                c.set_num_threads(1)
        _blas_depth += 1
        try:
            yield
        finally:
            _blas_depth -= 1
            if _blas_depth == 0:
                _restore_blas_threads()


def _restore_blas_threads() -> None:
    """Give each BLAS library back the thread count saved by :func:`single_threaded_blas`."""
    for c, threads in zip(_blas or [], _blas_saved):
        c.set_num_threads(threads)
