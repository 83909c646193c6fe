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
  two small blocks run everything (two, so that the tests see more than one block).

2-D tiled kernels (the matmul in :mod:`minidl.kernels.cuda.gemm`) use square blocks of
:data:`TILE` × :data:`TILE` threads that loop grid-stride over output tiles
(:func:`grid_for_tiles`); they are written for any ``TILE`` and :data:`REG`, which are
smaller under the simulator (fewer simulated threads, same code paths).

Usage::

    kernel[grid_for(x.size)](x, out)
"""

from __future__ import annotations

from numba import config

SIMULATED: bool = bool(config.ENABLE_CUDASIM)
"""True under numba's CUDA simulator (decided when numba is imported)."""

THREADS: int = 8 if SIMULATED else 256
"""Threads per block of a 1-D kernel (a power of two: block reductions halve it)."""

MAX_BLOCKS: int = 2 if SIMULATED else 65535
"""The most blocks a 1-D launch starts; a grid-stride loop covers larger sizes."""

TILE: int = 2 if SIMULATED else 16
"""Side of the square thread block (TILE × TILE threads) of the 2-D tiled kernels."""

REG: int = 4
"""Side of the register block of the tiled matmul: each thread computes REG × REG outputs,
so one block computes a (TILE·REG) × (TILE·REG) tile of the result."""

SLAB: int = 8 if SIMULATED else 16
"""Depth (along the summed dimension) of the slabs the tiled matmul stages in shared
memory; a multiple of TILE. Under the simulator every barrier is slow, so slabs are deep."""


def grid_for(n: int) -> tuple[int, int]:
    """(blocks, threads per block) for a grid-stride kernel over ``n`` work items.

    On a GPU: ⌈n / THREADS⌉ blocks (at least 1, at most MAX_BLOCKS) of THREADS threads.
    Under the simulator: at most MAX_BLOCKS blocks of THREADS threads.
    """
    blocks = max(1, min(MAX_BLOCKS, (n + THREADS - 1) // THREADS))
    return blocks, THREADS


def grid_for_groups(groups: int) -> tuple[int, int]:
    """(blocks, THREADS) for a kernel in which one *block* reduces each of ``groups`` groups
    (a channel of a batch norm): block b takes groups b, b + blocks, …; its THREADS threads
    share the group's elements and combine their partial sums in shared memory."""
    return max(1, min(MAX_BLOCKS, groups)), THREADS


def grid_for_tiles(tiles: int) -> tuple[int, tuple[int, int]]:
    """(blocks, (TILE, TILE)) for a tiled kernel over ``tiles`` output tiles.

    The tiled kernels loop over their tiles grid-stride, block b taking tiles
    b, b + blocks, …, so any number of blocks is correct: one block per tile on a GPU
    (capped at MAX_BLOCKS), at most MAX_BLOCKS under the simulator.
    """
    return max(1, min(MAX_BLOCKS, tiles)), (TILE, TILE)
