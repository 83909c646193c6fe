"""Sums over axes of device arrays: the reductions behind bias gradients, batch
statistics and undoing broadcasting.

Every reduction here is one kernel: view x as (A, K, B) and sum (or take the max of) the
middle axis, out[p, q] = Σ_j x[p, j, q] (:func:`sum_middle`). Thread t (grid-stride over
the A·B outputs) computes output (p, q) = (t // B, t % B) by a loop over j, reading
x[p, j, q]: neighbouring threads read neighbouring q, so the loads of a warp are
coalesced. Sums are accumulated in float64 (as the CPU kernels do) and stored in x's
dtype. Summing several axes repeats it, one axis at a time (:func:`sum_axes`); a whole
array is reduced in two passes (:func:`reduce_all`).
"""

from __future__ import annotations

import math

from numba import cuda

from minidl.kernels.cuda.elementwise import empty, maximum
from minidl.kernels.cuda.launch import grid_for


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


def sum_middle(x, a: int, k: int, b: int):
    """x viewed as (A, K, B) → (A, B) with out[p, q] = Σ_j x[p, j, q] (a new array)."""
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
