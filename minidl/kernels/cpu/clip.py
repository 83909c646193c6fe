"""Gradient clipping: rescale a set of gradients by their joint norm, or clamp their values.

``minidl.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` call these and write the results
back into each parameter's ``.grad``.
"""

from __future__ import annotations

import math

import numpy as np

from minidl.kernels.slots import slot


@slot
def clip_grad_norm(
    grads: list[np.ndarray], max_norm: float, norm_type: float
) -> tuple[list[np.ndarray], float]:
    """Scale all gradients together so that their joint p-norm is at most ``max_norm``.

    The joint norm treats the gradients as one long vector (p = ``norm_type``):

        total = (Σ_i Σ_j |g_ij|^p)^{1/p}          total = max_ij |g_ij|   for p = ∞
        c = max_norm / (total + 10⁻⁶)
        g_i ← c · g_i   for every i, but only when c < 1 (small gradients are left alone)

    The 10⁻⁶ guards against dividing by zero (PyTorch's rule). The norm is accumulated in
    float64.
    grads: list of arrays, any shapes   →   (list of new arrays, same shapes and dtypes; total)
    """
    if norm_type == math.inf:
        total = max((float(np.max(np.abs(g))) for g in grads if g.size), default=0.0)
    else:
        powers = sum(float(np.sum(np.abs(g.astype(np.float64)) ** norm_type)) for g in grads)
        total = powers ** (1.0 / norm_type)
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        return [(g * coef).astype(g.dtype, copy=False) for g in grads], total
    return [g.copy() for g in grads], total


def clip_grad_value(grads: list[np.ndarray], clip_value: float) -> list[np.ndarray]:
    """Clamp every gradient element into [−clip_value, clip_value].

    grads: list of arrays, any shapes   →   list of new arrays, same shapes and dtypes.
    """
    return [np.clip(g, -clip_value, clip_value) for g in grads]
