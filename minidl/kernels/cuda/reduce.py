"""Sums over axes of device arrays: the reductions behind bias gradients, batch
statistics and undoing broadcasting.

Every reduction here is one kernel, :func:`sum_middle`: view x as (A, K, B) and sum the
middle axis, out[p, q] = Σ_j x[p, j, q]. Thread t (grid-stride over the A·B outputs)
computes output (p, q) = (t // B, t % B) by a loop over j, reading x[p, j, q]: neighbouring
threads read neighbouring q, so the loads of a warp are coalesced. Sums are accumulated in
float64 (as the CPU kernels do) and stored in x's dtype. Summing several axes repeats
it, one axis at a time (:func:`sum_axes`).
"""

from __future__ import annotations

import math

from numba import cuda

from minidl.kernels.cuda.elementwise import empty
from minidl.kernels.cuda.launch import grid_for


@cuda.jit
def _sum_middle(x, out):  # pragma: no cover - compiled
    a, k, b = x.shape
    for t in range(cuda.grid(1), a * b, cuda.gridsize(1)):
        p = t // b
        q = t % b
        total = 0.0
        for j in range(k):
            total += x[p, j, q]
        out[p, q] = total


def sum_middle(x, a: int, k: int, b: int):
    """x viewed as (A, K, B) → (A, B) with out[p, q] = Σ_j x[p, j, q] (a new array)."""
    out = empty((a, b), x.dtype)
    if out.size:
        _sum_middle[grid_for(out.size)](x.reshape(a, k, b), out)
    return out


def sum_axes(x, axes, keepdims: bool = False):
    """Σ of x over ``axes`` (a tuple of non-negative ints), as ``np.sum(x, axes)`` would."""
    shape = list(x.shape)
    for ax in sorted(set(axes), reverse=True):
        x = sum_middle(x, math.prod(shape[:ax]), shape[ax], math.prod(shape[ax + 1:]))
        shape[ax] = 1
    out_shape = shape if keepdims else [s for i, s in enumerate(shape) if i not in set(axes)]
    return x.reshape(*out_shape) if out_shape else x.reshape(())
