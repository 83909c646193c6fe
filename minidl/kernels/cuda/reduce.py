"""Sums over axes of device arrays: the reductions behind bias gradients, batch
statistics and undoing broadcasting.

Every reduction views x as (A, K, B) and sums (or takes the max of) the middle axis,
out[p, q] = Σ_j x[p, j, q] (:func:`sum_middle`), in one of two ways:

- many sums: **one thread per output** (p, q) = (t // B, t % B), looping over j and
  reading x[p, j, q]; neighbouring threads read neighbouring q, so a warp's loads are
  coalesced;
- few long sums (a bias gradient over a whole batch): **one block per output**; its threads
  take every T-th j and :func:`block_sum` adds their partial sums in shared memory.

Sums are accumulated in float64 (as the CPU kernels do) and stored in x's dtype. Several
axes are summed one at a time (:func:`sum_axes`); a whole array in two passes
(:func:`reduce_all`). The batch-norm statistics use :func:`block_sum` directly.
"""

from __future__ import annotations

import math

from numba import cuda, float64

from minidl.kernels.cuda.elementwise import empty, maximum
from minidl.kernels.cuda.launch import THREADS, grid_for, grid_for_groups


@cuda.jit(device=True)
def block_sum(part, value):  # pragma: no cover - compiled
    """Σ of ``value`` over the threads of the block, returned to every thread.

    ``part`` is a shared float64 array of one slot per thread (blockDim.x, a power of two).
    Each thread stores its value; then, while the active half has more than one slot,
    thread t < step adds slot t + step into slot t (a tree: log₂(blockDim.x) rounds).
    Every thread of the block must call it (it contains barriers), the same number of times.
    """
    tid = cuda.threadIdx.x
    part[tid] = value
    cuda.syncthreads()
    step = cuda.blockDim.x // 2
    while step > 0:
        if tid < step:
            part[tid] += part[tid + step]
        cuda.syncthreads()
        step //= 2
    total = part[0]
    cuda.syncthreads()  # all have read the total before the next call overwrites part
    return total


@cuda.jit
def _reduce_middle(x, out, use_max):  # pragma: no cover - compiled
    a, k, b = x.shape
    for t in range(cuda.grid(1), a * b, cuda.gridsize(1)):
        p = t // b
        q = t % b
        total = 0.0 if k == 0 or not use_max else x[p, 0, q]
        for j in range(k):
            total = maximum(total, x[p, j, q]) if use_max else total + x[p, j, q]
        out[p, q] = total


@cuda.jit
def _sum_middle_blocks(x, out):  # pragma: no cover - compiled
    """Block per output (p, q): its threads take j = t, t + T, … and :func:`block_sum` adds
    their partial sums."""
    part = cuda.shared.array(THREADS, float64)
    a, k, b = x.shape
    for t in range(cuda.blockIdx.x, a * b, cuda.gridDim.x):
        s = 0.0
        for j in range(cuda.threadIdx.x, k, cuda.blockDim.x):
            s += x[t // b, j, t % b]
        s = block_sum(part, s)
        if cuda.threadIdx.x == 0:
            out[t // b, t % b] = s


LONG_SUM = 16
"""Sums of more than LONG_SUM · (number of sums) terms get a block each (see sum_middle)."""


def sum_middle(x, a: int, k: int, b: int):
    """x viewed as (A, K, B) → (A, B) with out[p, q] = Σ_j x[p, j, q] (a new array).

    Few long sums (K > LONG_SUM · A·B: a bias gradient over a whole batch) get one block
    each, so that all of a block's threads work on one sum; otherwise one thread per sum.
    """
    if k > LONG_SUM * a * b:
        out = empty((a, b), x.dtype)
        if out.size:
            _sum_middle_blocks[grid_for_groups(out.size)](x.reshape(a, k, b), out)
        return out
    return _middle(x, a, k, b, False)


def _middle(x, a: int, k: int, b: int, use_max: bool):
    out = empty((a, b), x.dtype)
    if out.size:
        _reduce_middle[grid_for(out.size)](x.reshape(a, k, b), out, use_max)
    return out


CHUNK = 1024
"""Partial results of the first pass of :func:`reduce_all` (threads working in parallel)."""


def reduce_all(x, use_max: bool = False) -> float:
    """Σ of all elements of x (max when ``use_max``; 0 for an empty x), as a Python float.

    Two passes of the same kernel: x (padded view-free: the first ⌊size/CHUNK⌋·CHUNK
    elements as (1, K, CHUNK)) gives CHUNK partial results, one thread each; the tail and
    those partials are then reduced by a single thread. The result is copied to the host.
    """
    flat = x.reshape(x.size)
    body = x.size // CHUNK * CHUNK
    parts = []
    if body:
        parts.append(_middle(flat[:body], 1, body // CHUNK, CHUNK, use_max).reshape(CHUNK))
    if x.size > body:
        parts.append(flat[body:])
    results = [float(_middle(p, 1, p.size, 1, use_max).copy_to_host()[0, 0]) for p in parts]
    if not results:
        return 0.0
    return max(results) if use_max else sum(results)


def sum_axes(x, axes, keepdims: bool = False):
    """Σ of x over ``axes`` (a tuple of non-negative ints), as ``np.sum(x, axes)`` would."""
    shape = list(x.shape)
    for ax in sorted(set(axes), reverse=True):
        x = sum_middle(x, math.prod(shape[:ax]), shape[ax], math.prod(shape[ax + 1:]))
        shape[ax] = 1
    out_shape = shape if keepdims else [s for i, s in enumerate(shape) if i not in set(axes)]
    return x.reshape(*out_shape) if out_shape else x.reshape(())
