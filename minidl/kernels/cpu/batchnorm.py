"""Batch normalisation over (N, C) or (N, C, H, W), one channel per parallel task.

Per channel c, over the M = N·H·W values of the batch (training)::

    μ = (1/M) Σ x          σ² = (1/M) Σ (x − μ)²   (biased: used to normalise)
    x̂ = (x − μ) · invstd,  invstd = 1 / √(σ² + eps)
    y = γ · x̂ + β
    running_mean ← (1 − momentum) · running_mean + momentum · μ
    running_var  ← (1 − momentum) · running_var  + momentum · σ² · M / (M − 1)   (unbiased)

In evaluation, μ and σ² are the running statistics. Sums are accumulated in
float64 so float32 batches of any size keep full precision.

The kernels are compiled with ``fastmath={"reassoc", "contract"}``: without permission to
reassociate, a sum ``total += x[i, c, j]`` is one chain of dependent additions that LLVM
may not split, so it runs at one addition per floating-point latency instead of several
SIMD lanes at a time. With it (and no other fast-math flag: NaN and infinity keep their
meaning) the per-channel sums become vector sums of partial sums. Measured one thread, CPU
time, forward + backward: (64, 32, 28, 28) 6.4 → 3.0 ms, (64, 6, 28, 28) 0.96 → 0.27 ms,
(128, 128, 32, 32) 126 → 99 ms (memory-bound there).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from minidl.kernels.cpu._threads import serial_twin
from minidl.kernels.slots import slot

_FAST = {"reassoc", "contract"}  # see the module docstring

def _as_ncl(x: np.ndarray) -> np.ndarray:
    """View (N, C) or (N, C, *spatial) as (N, C, L)."""
    return np.ascontiguousarray(x).reshape(x.shape[0], x.shape[1], -1)


@njit(cache=True, parallel=True, fastmath=_FAST)
def _channel_moments(x):  # pragma: no cover - compiled
    """Per-channel mean and biased variance of x (N, C, L), two passes in float64."""
    n, chans, length = x.shape
    mean = np.empty(chans)
    var = np.empty(chans)
    for c in prange(chans):
        total = 0.0
        for i in range(n):
            for j in range(length):
                total += x[i, c, j]
        mu = total / (n * length)
        sq = 0.0
        for i in range(n):
            for j in range(length):
                d = x[i, c, j] - mu
                sq += d * d
        mean[c] = mu
        var[c] = sq / (n * length)
    return mean, var


@njit(cache=True, parallel=True, fastmath=_FAST)
def _affine_normalize(x, mean, invstd, weight, bias):  # pragma: no cover - compiled
    """y = (x − mean[c]) · invstd[c] · weight[c] + bias[c] for x (N, C, L)."""
    n, chans, length = x.shape
    out = np.empty_like(x)
    for c in prange(chans):
        scale = invstd[c] * weight[c]
        shift = bias[c] - mean[c] * scale
        for i in range(n):
            for j in range(length):
                out[i, c, j] = x[i, c, j] * scale + shift
    return out


@njit(cache=True, parallel=True, fastmath=_FAST)
def _batch_norm_grad(grad, x, mean, invstd, weight):  # pragma: no cover - compiled
    """Training-mode gradients for grad, x (N, C, L); see batch_norm_backward."""
    n, chans, length = x.shape
    m = n * length
    grad_x = np.empty_like(grad)
    grad_w = np.empty(chans)
    grad_b = np.empty(chans)
    for c in prange(chans):
        sum_g = 0.0
        sum_gx = 0.0
        for i in range(n):
            for j in range(length):
                g = grad[i, c, j]
                sum_g += g
                sum_gx += g * (x[i, c, j] - mean[c])
        dot = sum_gx * invstd[c]  # Σ g · x̂
        k = weight[c] * invstd[c] / m
        for i in range(n):
            for j in range(length):
                xhat = (x[i, c, j] - mean[c]) * invstd[c]
                grad_x[i, c, j] = k * (m * grad[i, c, j] - sum_g - xhat * dot)
        grad_w[c] = dot
        grad_b[c] = sum_g
    return grad_x, grad_w, grad_b


# Threads pay from about a million elements of x: on (64, 32, 784) the parallel moments
# took 1.0 ms against 2.1 ms serial, on LeNet-sized (64, 6, 784) 0.44 against 0.34 ms.
PARALLEL_MIN_ELEMENTS = 2**20
_SERIAL = {k: serial_twin(k) for k in (_channel_moments, _affine_normalize, _batch_norm_grad)}


def _sized(kernel, x: np.ndarray):  # noqa: ANN001, ANN202
    """``kernel`` when x is big enough for threads to pay, else its serial twin."""
    return kernel if x.size >= PARALLEL_MIN_ELEMENTS else _SERIAL[kernel]


def _ones_if_none(value: np.ndarray | None, chans: int, dtype: np.dtype) -> np.ndarray:
    return np.ones(chans, dtype) if value is None else value


@slot
def batch_norm_forward(
    x: np.ndarray,
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    training: bool,
    momentum: float,
    eps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """y = γ · (x − μ) / √(σ² + eps) + β per channel (see the module docstring).

    x: (N, C) or (N, C, H, W); weight γ, bias β, running_mean, running_var: (C,)
    or None (γ = 1, β = 0; no running statistics). ``training`` uses the batch's
    statistics and updates the running ones; otherwise the running ones are used.
    Returns (y like x, save_mean (C,), save_invstd (C,), new_running_mean,
    new_running_var) — the running statistics are new arrays (None when not tracked).
    """
    chans = x.shape[1]
    x3 = _as_ncl(x)
    if training:
        mean, var = _sized(_channel_moments, x3)(x3)
        new_mean = new_var = None
        if running_mean is not None:
            m = x3.shape[0] * x3.shape[2]
            unbiased = var * (m / max(m - 1, 1))
            new_mean = ((1 - momentum) * running_mean + momentum * mean).astype(running_mean.dtype)
            new_var = ((1 - momentum) * running_var + momentum * unbiased).astype(running_var.dtype)
    else:
        mean, var = running_mean.astype(np.float64), running_var.astype(np.float64)
        new_mean, new_var = running_mean, running_var
    invstd = 1.0 / np.sqrt(var + eps)
    w = _ones_if_none(weight, chans, x.dtype)
    b = np.zeros(chans, x.dtype) if bias is None else bias
    out = _sized(_affine_normalize, x3)(x3, mean.astype(x.dtype), invstd.astype(x.dtype), w, b)
    return out.reshape(x.shape), mean.astype(x.dtype), invstd.astype(x.dtype), new_mean, new_var


@slot
def batch_norm_backward(
    grad: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray | None,
    save_mean: np.ndarray,
    save_invstd: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of training-mode batch norm (μ and σ² depend on x) given grad = dL/dy.

    Per channel, with x̂ = (x − μ)·invstd and M values per channel::

        dL/dβ = Σ g        dL/dγ = Σ g · x̂
        dL/dx = γ · invstd / M · (M · g − Σ g − x̂ · Σ g · x̂)

    grad, x: (N, C) or (N, C, H, W); weight: (C,) or None; save_mean, save_invstd:
    (C,) from forward. Returns (dL/dx like x, dL/dγ (C,), dL/dβ (C,)).
    """
    w = _ones_if_none(weight, x.shape[1], x.dtype)
    grad3 = _as_ncl(grad)
    gx, gw, gb = _sized(_batch_norm_grad, grad3)(grad3, _as_ncl(x), save_mean, save_invstd, w)
    return gx.reshape(x.shape), gw.astype(x.dtype), gb.astype(x.dtype)


def batch_norm_eval_backward(
    grad: np.ndarray, x: np.ndarray, weight: np.ndarray | None, mean: np.ndarray,
    invstd: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of eval-mode batch norm, where μ and invstd are constants.

    dL/dx = g · γ · invstd;  dL/dγ = Σ g · x̂;  dL/dβ = Σ g (sums over all but the channel axis).
    """
    shape = (1, -1) + (1,) * (x.ndim - 2)
    axes = (0,) + tuple(range(2, x.ndim))
    w = _ones_if_none(weight, x.shape[1], x.dtype)
    xhat = (x - mean.reshape(shape)) * invstd.reshape(shape)
    grad_x = grad * (w * invstd).reshape(shape)
    return grad_x, (grad * xhat).sum(axis=axes), grad.sum(axis=axes)
