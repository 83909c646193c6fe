"""Launch configurations for the CUDA kernels: how many blocks and threads to start.

Every 1-D kernel of this package is a **grid-stride loop**::

    start = cuda.grid(1)
    step = cuda.gridsize(1)
    for i in range(start, n, step):
        out[i] = ...

so it is correct for any grid: thread ``t`` of a grid of ``G`` threads handles
elements t, t + G, t + 2G, …  The grid size is then only a question of speed,
answered here once for all kernels:

- on a GPU, enough blocks of :data:`THREADS` threads to give every element its own
  thread (capped at :data:`MAX_BLOCKS`; the loop covers the rest);
- under numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) every simulated thread is a
  Python thread and costs ~140 µs to start, while one more loop iteration costs ~1–2 µs
  (4096 elements: 0.58 s with 4096 threads, 0.009 s with 1 block of 32 threads), so
  one small block runs everything.

2-D tiled kernels (the matmul in :mod:`minidl.kernels.cuda.gemm`) use square blocks of
:data:`TILE` × :data:`TILE` threads; they are written for any ``TILE``.

Usage::

    kernel[grid_for(x.size)](x, out)
"""

from __future__ import annotations

from numba import config

SIMULATED: bool = bool(config.ENABLE_CUDASIM)
"""True under numba's CUDA simulator (decided when numba is imported)."""

THREADS: int = 8 if SIMULATED else 256
"""Threads per block of a 1-D kernel."""

MAX_BLOCKS: int = 1 if SIMULATED else 65535
"""The most blocks a 1-D launch starts; a grid-stride loop covers larger sizes."""

TILE: int = 4 if SIMULATED else 16
"""Side of the square thread block (and shared-memory tile) of the 2-D tiled kernels."""


def grid_for(n: int) -> tuple[int, int]:
    """(blocks, threads per block) for a grid-stride kernel over ``n`` work items.

    On a GPU: ⌈n / THREADS⌉ blocks (at least 1, at most MAX_BLOCKS) of THREADS threads.
    Under the simulator: one block of THREADS threads.
    """
    blocks = max(1, min(MAX_BLOCKS, (n + THREADS - 1) // THREADS))
    return blocks, THREADS


def grid_2d(rows: int, cols: int, tile: int = TILE) -> tuple[tuple[int, int], tuple[int, int]]:
    """(blocks, threads) for a 2-D tiled kernel over a rows × cols output.

    Block (bx, by) covers columns bx·tile … and rows by·tile …  (x runs along columns so
    neighbouring threads touch neighbouring memory of a C-contiguous matrix);
    each block has tile × tile threads.
    """
    return ((cols + tile - 1) // tile, (rows + tile - 1) // tile), (tile, tile)
