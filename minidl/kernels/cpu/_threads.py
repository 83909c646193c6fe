"""Pick Numba's thread pool so parallel kernels share the cores with BLAS politely.

Numba's default ``omp`` layer (GNU OpenMP) keeps its workers spinning after a
parallel loop; they then fight OpenBLAS's threads for the cores and a conv step
measured 10–40× slower. The ``workqueue`` layer parks its workers instead.
An explicit ``NUMBA_THREADING_LAYER`` environment variable still wins.
"""

from __future__ import annotations

import os

import numba

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"
