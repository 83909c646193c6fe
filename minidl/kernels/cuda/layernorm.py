"""Layer normalisation on the GPU over the last D values of each row.

The CUDA twin of :mod:`minidl.kernels.cpu.layernorm` (see there for the maths). The
leading dims are flattened into R rows of D values.

- Forward and dL/dx: **one thread per row**, looping over its D values (float64 sums):
  μ, rstd, then y (forward) or dL/dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)), ĝ = g ⊙ γ.
- dL/dγ and dL/dβ: **one block per feature j**, its threads sharing the R rows of g·x̂
  and g (R is the batch times the sequence: long sums, few features).
"""

from __future__ import annotations

import math

from numba import cuda, float64

from minidl.kernels.cuda.elementwise import empty, full
from minidl.kernels.cuda.launch import THREADS, grid_for, grid_for_groups
from minidl.kernels.cuda.reduce import block_sum


@cuda.jit
def _rows_forward(x, weight, bias, eps, out, mean, rstd):  # pragma: no cover - compiled
    rows, d = x.shape
    for r in range(cuda.grid(1), rows, cuda.gridsize(1)):
        total = 0.0
        for j in range(d):
            total += x[r, j]
        mu = total / d
        sq = 0.0
        for j in range(d):
            diff = x[r, j] - mu
            sq += diff * diff
        inv = 1.0 / math.sqrt(sq / d + eps)
        for j in range(d):
            out[r, j] = (x[r, j] - mu) * inv * weight[j] + bias[j]
        mean[r] = mu
        rstd[r] = inv


@cuda.jit
def _rows_grad_input(grad, x, weight, mean, rstd, out):  # pragma: no cover - compiled
    rows, d = x.shape
    for r in range(cuda.grid(1), rows, cuda.gridsize(1)):
        sum_gw = 0.0
        sum_gw_xhat = 0.0
        for j in range(d):
            gw = grad[r, j] * weight[j]
            sum_gw += gw
            sum_gw_xhat += gw * (x[r, j] - mean[r]) * rstd[r]
        for j in range(d):
            xhat = (x[r, j] - mean[r]) * rstd[r]
            out[r, j] = rstd[r] * (grad[r, j] * weight[j] - sum_gw / d - xhat * sum_gw_xhat / d)


@cuda.jit
def _feature_grads(grad, x, mean, rstd, grad_w, grad_b):  # pragma: no cover - compiled
    """Block per feature j: its threads take rows t, t + T, … of Σ g·x̂ and Σ g, and
    :func:`~minidl.kernels.cuda.reduce.block_sum` adds their partial sums."""
    part = cuda.shared.array(THREADS, float64)
    rows, d = x.shape
    for j in range(cuda.blockIdx.x, d, cuda.gridDim.x):
        sw = 0.0
        sb = 0.0
        for r in range(cuda.threadIdx.x, rows, cuda.blockDim.x):
            g = grad[r, j]
            sw += g * (x[r, j] - mean[r]) * rstd[r]
            sb += g
        sw = block_sum(part, sw)
        sb = block_sum(part, sb)
        if cuda.threadIdx.x == 0:
            grad_w[j] = sw
            grad_b[j] = sb


def layer_norm_forward(x, weight, bias, eps: float):
    """Returns (y like x, mean (...), rstd (...)) for x (..., D), weight/bias (D,) or None."""
    *lead, d = x.shape
    rows = x.size // d
    x2 = x.reshape(rows, d)
    out, mean, rstd = empty((rows, d), x.dtype), empty((rows,), x.dtype), empty((rows,), x.dtype)
    w = full((d,), 1, x.dtype) if weight is None else weight
    b = full((d,), 0, x.dtype) if bias is None else bias
    if rows:
        _rows_forward[grid_for(rows)](x2, w, b, eps, out, mean, rstd)
    return out.reshape(*x.shape), mean.reshape(*lead), rstd.reshape(*lead)


def layer_norm_backward(grad, x, weight, mean, rstd):
    """Returns (dL/dx like x, dL/dγ (D,), dL/dβ (D,)) (the last two even when weight is None)."""
    d = x.shape[x.ndim - 1]
    rows = x.size // d
    g2, x2 = grad.reshape(rows, d), x.reshape(rows, d)
    m1, r1 = mean.reshape(rows), rstd.reshape(rows)
    w = full((d,), 1, x.dtype) if weight is None else weight
    grad_x, grad_w, grad_b = empty((rows, d), x.dtype), empty((d,), x.dtype), empty((d,), x.dtype)
    if rows:
        _rows_grad_input[grid_for(rows)](g2, x2, w, m1, r1, grad_x)
    _feature_grads[grid_for_groups(d)](g2, x2, m1, r1, grad_w, grad_b)
    return grad_x.reshape(*x.shape), grad_w, grad_b
