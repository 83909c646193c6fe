"""Matrix products next to minidl's own parallel layers: whether BLAS may use its threads.

minidl's convolution layers run their batch in parts, one per core
(``_threads.run_parts``), with BLAS single-threaded. A multithreaded BLAS call leaves
OpenBLAS's idle worker spinning on the second core for ~0.1–0.2 s afterwards, and those
parts would then share that core with it: a DCGAN step (convolutions and linear layers)
took 55 ms instead of 33 ms. Waking a sleeping thread costs 50–100 µs on this machine, so
splitting a product of a fully connected layer into parts ourselves loses to BLAS's own
threads (768 × 128 × 384: 500 µs against 385 µs). Hence the rule in :func:`matmul`: BLAS
keeps its threads unless parts ran in the last :data:`~minidl.kernels.cpu._threads.SPIN_SECONDS`;
right after them (a model with convolutions), a product runs on one core.
"""

from __future__ import annotations

import numpy as np

from minidl.kernels.cpu._threads import ran_parts_recently, single_threaded_blas

# OpenBLAS runs a GEMM of at most 64³ multiply-adds on the calling thread by itself.
BLAS_SERIAL_MACS = 64**3


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``numpy.matmul(a, b)``: (..., M, K) @ (..., K, N) → (..., M, N), batch dims broadcast,
    on one core when minidl's parts ran recently (module docstring). Arrays on another
    device (the dispatcher runs this on them when their device has no twin) go to
    ``numpy.matmul`` as they are."""
    if (type(a) is np.ndarray and type(b) is np.ndarray and a.ndim >= 2 and b.ndim >= 2
            and a.size * b.shape[-1] > BLAS_SERIAL_MACS and ran_parts_recently()):
        with single_threaded_blas():
            return np.matmul(a, b)
    return np.matmul(a, b)
