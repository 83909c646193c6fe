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

Then three GPU kernels written with ``numba.cuda`` (section 4): 7.4 the fused bias + ReLU
again, one element per thread step of a grid-stride loop; 7.5 a matrix product whose blocks
share tiles of A and B in shared memory; 7.6 a reduction, a tree in shared memory. Keep the
``@cuda.jit`` decorators and write only the kernel bodies; the launchers below them (not
exercises) copy the data to the device, start the kernel on a grid and copy the result back.
Without a GPU the kernels run on Numba's CUDA simulator (see ``minidl.course.gpu``): every
simulated thread is a Python thread, so test them on small arrays.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import cuda

from minidl.course import exercise
from minidl.course.gpu import launch

TILE = 8  # 7.5: the side of the square tiles; a block has TILE × TILE threads
BLOCK = 64  # 7.6: threads per block of the reduction, a power of two


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


@exercise("7.4", section="Threads, blocks and the grid")
@cuda.jit
def bias_relu_kernel(x, bias, y):
    """The GPU twin of 7.3: ``y[n, c, p] = max(x[n, c, p] + bias[c], 0)``, on any grid.

    The launcher starts ``blocks × threads`` threads with a 1-D grid; their number has
    nothing to do with the number of elements (it may be smaller, larger, or not divide
    it). Every element of y must be written exactly once, by some thread.

    Args:
        x: (N, C, L) device array, float32 or float64, C-contiguous.
        bias: (C,) device array, the same dtype.
        y: (N, C, L) device array to write (the kernel returns nothing).

    Hint: give each thread a first flat element index from its block and thread numbers,
    and a step so that the threads of the whole grid together visit every flat index; then
    recover (n, c, p) from a flat index of a C-contiguous (N, C, L) array. Write the ReLU
    as a comparison: Python's builtin ``max`` runs on the simulator but does not compile for
    a real GPU.
    """
    raise NotImplementedError(
        "Exercise 7.4 (bias_relu_kernel): see "
        "notebooks/07_acceleration.ipynb, section 'Threads, blocks and the grid'"
    )


def bias_relu_gpu(x: np.ndarray, bias: np.ndarray, blocks: int = 4,
                  threads: int = 32) -> np.ndarray:
    """Run exercise 7.4 on a grid of ``blocks × threads`` threads: (N, C, L) in and out."""
    d_x, d_bias = cuda.to_device(np.ascontiguousarray(x)), cuda.to_device(bias)
    d_y = cuda.device_array(x.shape, x.dtype)
    launch(bias_relu_kernel, blocks, threads, d_x, d_bias, d_y)
    return d_y.copy_to_host()


@exercise("7.5", section="A tiled matrix product in shared memory")
@cuda.jit
def matmul_tiled_kernel(a, b, c):
    """C = A B, each block computing one TILE × TILE tile of C from tiles in shared memory.

    The launcher starts blocks of ``(TILE, TILE)`` threads on a 2-D grid of
    ``(ceil(N / TILE), ceil(M / TILE))`` blocks: block (bx, by) owns the tile of C whose
    rows start at ``by · TILE`` and columns at ``bx · TILE``; thread (tx, ty) of it owns
    the element in row ty, column tx of that tile. M, K and N need not be multiples of
    TILE.

    Args:
        a: (M, K) device array, float32.
        b: (K, N) device array, float32.
        c: (M, N) device array, float32, to write.

    Hint: walk along K one tile at a time. Each step, the block's threads together copy one
    tile of A and one of B into ``cuda.shared.array((TILE, TILE), numba.float32)`` arrays
    (one element each; zeros where a tile hangs over the matrix's edge), wait for each
    other, multiply the tiles, and wait again before the next copy overwrites them. Every
    thread of the block must reach every ``cuda.syncthreads()``, including the threads whose
    element of C lies outside the matrix.
    """
    raise NotImplementedError(
        "Exercise 7.5 (matmul_tiled_kernel): see "
        "notebooks/07_acceleration.ipynb, section 'A tiled matrix product in shared memory'"
    )


def matmul_gpu(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Run exercise 7.5: (M, K) @ (K, N) float32 matrices, one block per tile of C."""
    if a.dtype != np.float32 or b.dtype != np.float32 or a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul_gpu: expected float32 (M, K) @ (K, N), got {a.dtype} "
                         f"{a.shape} @ {b.dtype} {b.shape}")
    m, n = a.shape[0], b.shape[1]
    d_c = cuda.device_array((m, n), np.float32)
    grid = ((n + TILE - 1) // TILE, (m + TILE - 1) // TILE)
    launch(matmul_tiled_kernel, grid, (TILE, TILE), cuda.to_device(np.ascontiguousarray(a)),
           cuda.to_device(np.ascontiguousarray(b)), d_c)
    return d_c.copy_to_host()


@exercise("7.6", section="A reduction")
@cuda.jit
def block_sum_kernel(x, partial):
    """Each block adds up the elements its threads visit: ``partial[block] = that sum``.

    The launcher starts ``len(partial)`` blocks of ``BLOCK`` threads (1-D). Thread t of
    block b visits the flat indices ``b · BLOCK + t``, then every ``len(partial) · BLOCK``
    after it (a grid-stride loop), so the blocks' sums together are the sum of x.

    Args:
        x: (L,) device array, float32 or float64.
        partial: (number of blocks,) device array, float64, to write.

    Hint: first each thread adds up its own elements, alone, in a float64 accumulator
    (``numba.float64(0.0)``: a bare ``0.0`` plus a float32 element stays float32 on the
    simulator, which follows NumPy's rules, but becomes float64 on a GPU). Then the block
    combines its BLOCK numbers through a ``cuda.shared.array(BLOCK, numba.float64)`` in
    log2(BLOCK) rounds, halving how many threads are still adding; between two rounds every
    thread of the block waits for the others (all of them, also those with nothing left to
    add). One thread writes the block's result.
    """
    raise NotImplementedError(
        "Exercise 7.6 (block_sum_kernel): see "
        "notebooks/07_acceleration.ipynb, section 'A reduction'"
    )


def _block_sums(d_x, blocks: int):  # noqa: ANN001, ANN202 - device arrays
    d_partial = cuda.device_array(blocks, np.float64)
    launch(block_sum_kernel, blocks, BLOCK, d_x, d_partial)
    return d_partial


def block_sums_gpu(x: np.ndarray, blocks: int = 4) -> np.ndarray:
    """Run exercise 7.6 on ``blocks`` blocks: the (blocks,) float64 partial sums of x."""
    return _block_sums(cuda.to_device(np.ravel(x)), blocks).copy_to_host()


def sum_gpu(x: np.ndarray, blocks: int = 4) -> float:
    """The sum of x in two launches of 7.6: ``blocks`` partial sums, then one block adds them
    (the partial sums stay on the device between the launches)."""
    total = _block_sums(_block_sums(cuda.to_device(np.ravel(x)), blocks), 1)
    return float(total.copy_to_host()[0])
