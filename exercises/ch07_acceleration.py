# Your workbook, generated from solutions/ch07_acceleration.py
# by `python -m minidl.course sync`. Replace each `raise NotImplementedError(...)` with
# your code; sync keeps your edits when the course changes. Check your work with
# check("N.M") in the notebook or `python -m minidl.grade N.M` in a terminal.
"""Chapter 7: making it fast (notebooks/07_acceleration.ipynb).

Three CPU kernels, each a rung of the chapter's ladder: 7.1 a matrix product whose rows run
in parallel on every core (``numba.prange``), 7.2 the same product computed block by block so
that a panel of B stays in the cache, and 7.3 a fused bias + ReLU that reads and writes its
data once instead of twice. Each is a Numba kernel: keep the decorators, write loops over
NumPy arrays and numbers only (no Python lists or dicts inside), and let the tests compare
your results with NumPy's.

The chapter's three GPU exercises (a CUDA elementwise kernel, a tiled shared-memory matrix
product, a reduction) come with minidl's CUDA target, which is planned but not built yet.
"""

from __future__ import annotations

import numba
import numpy as np

from minidl.course import exercise


@exercise("7.1", section="Threads: prange")
@numba.njit(cache=True, parallel=True)
def matmul_parallel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """C = A B with the rows of C shared among the CPU cores.

    Start from the serial kernel of the section (``matmul_ikj``: for each row i of C, for
    each k, add ``A[i, k] · B[k, :]`` to ``C[i, :]``, so the innermost loop walks along rows
    of B and C in memory order) and make it parallel.

    Args:
        a: (M, K), float32 or float64, C-contiguous or not.
        b: (K, N), the same dtype.

    Returns:
        c: (M, N), the dtype of a. Do not modify a or b.

    Hint: which loop can run in any order without two iterations writing the same element
    of C? Give that one to ``numba.prange``; everything written inside one of its iterations
    must belong to that iteration alone.
    """
    raise NotImplementedError(
        "Exercise 7.1 (matmul_parallel): see "
        "notebooks/07_acceleration.ipynb, section 'Threads: prange'"
    )


@exercise("7.2", section="Cache tiling")
@numba.njit(cache=True, parallel=True)
def matmul_tiled(a: np.ndarray, b: np.ndarray, tile: int) -> np.ndarray:
    """C = A B computed so that a panel of B is reused from the cache by a block of rows.

    Split the rows of C and the shared dimension K into blocks of ``tile`` (the last block
    of each may be shorter). For a block of rows I and a block K of the shared dimension,
    the (tile × N) panel of B's rows K is read for every row i of I: after the first row it
    comes from the cache. Inside, use the i-k-j loop order of exercise 7.1 (whole rows of B
    and C). Run the blocks of rows of C in parallel.

    Args:
        a: (M, K), float32 or float64.
        b: (K, N), the same dtype.
        tile: the block size, ≥ 1 (it need not divide M or K).

    Returns:
        c: (M, N), the dtype of a. Do not modify a or b.

    Hint: the section counts how often each row of B is read from memory; ``min(i0 + tile,
    m)`` is where a block starting at ``i0`` ends. Loops over whole rows (``c[i]``, ``b[k]``)
    are the ones the compiler vectorises.
    """
    raise NotImplementedError(
        "Exercise 7.2 (matmul_tiled): see "
        "notebooks/07_acceleration.ipynb, section 'Cache tiling'"
    )


@exercise("7.3", section="Fused kernels")
@numba.njit(cache=True, parallel=True)
def bias_relu(x: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """y = max(x + b, 0) per channel, in one pass over x: a bias add fused with its ReLU.

        y[n, c, p] = max(x[n, c, p] + bias[c], 0)

    Args:
        x: (N, C, L) (a convolution's output with its H·W pixels flattened to L), float32 or
            float64.
        bias: (C,), the same dtype.

    Returns:
        y: (N, C, L), the dtype of x. Do not modify x.

    Hint: one loop nest that reads each x element once and writes each y element once;
    the (n, c) planes are independent.
    """
    raise NotImplementedError(
        "Exercise 7.3 (bias_relu): see "
        "notebooks/07_acceleration.ipynb, section 'Fused kernels'"
    )
