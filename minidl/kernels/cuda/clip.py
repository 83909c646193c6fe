"""Gradient clipping on the GPU: rescale gradients by their joint norm, or clamp values.

The CUDA twin of :mod:`minidl.kernels.cpu.clip` (maths there). |g|^p (float64) or |g| is
an elementwise map, each gradient's total a two-pass reduction
(:func:`~minidl.kernels.cuda.reduce.reduce_all`), and the rescaling and clamping are
elementwise maps, one thread per element. The joint norm is returned as a Python float,
so clip_grad_norm waits for the GPU once.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda

from minidl.kernels.cuda.elementwise import copy, map3, maximum, minimum, scale
from minidl.kernels.cuda.reduce import reduce_all


@cuda.jit(device=True)
def _abs_pow(g, y, z, p, b):  # pragma: no cover - compiled
    v = abs(float(g))  # in float64, as on the CPU
    return v if p == 0 else v**p


@cuda.jit(device=True)
def _clamp(g, y, z, limit, b):  # pragma: no cover - compiled
    return minimum(maximum(g, -limit), limit)


def clip_grad_norm(grads, max_norm: float, norm_type: float):
    """Scale all gradients together so that their joint p-norm is at most ``max_norm``.

    Returns (list of new arrays, the joint norm before clipping as a float).
    """
    if norm_type == math.inf:
        total = max((reduce_all(map3(_abs_pow, g, a=0.0), use_max=True) for g in grads
                     if g.size), default=0.0)
    else:
        total = sum(reduce_all(map3(_abs_pow, g, a=float(norm_type), dtype=np.float64))
                    for g in grads) ** (1.0 / norm_type)
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        return [scale(g, coef) for g in grads], total
    return [copy(g) for g in grads], total


def clip_grad_value(grads, clip_value: float):
    """Clamp every gradient element into [−clip_value, clip_value] (new arrays)."""
    return [map3(_clamp, g, a=float(clip_value)) for g in grads]
