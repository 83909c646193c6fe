"""How the parallel Numba kernels share 2 cores: the thread pool, and when not to use it.

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

Why a second core helps the copies around a GEMM so little: after each multithreaded GEMM,
OpenBLAS's idle worker keeps spinning (``sched_yield``) for about 0.1–0.2 s, so for that
long any other thread shares the second core with it. Measured: a job split over 2
threads took 5.6 ms alone and 10 ms right after a 2-thread GEMM. Running each half of a
layer's batch on its own core with single-threaded BLAS (tried on DCGAN's ConvTranspose2d
64 → 32) took its forward + backward from 7.2 to 4.7 ms when nothing else ran, but made
the whole DCGAN step slower (41 → 45 ms), because its other layers' GEMMs keep the worker
spinning; so the copies stay on one core.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from typing import Any

import numba

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

