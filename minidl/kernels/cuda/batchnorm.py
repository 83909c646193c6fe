"""Batch normalisation on the GPU over (N, C) or (N, C, H, W).

The CUDA twin of :mod:`minidl.kernels.cpu.batchnorm` (see there for the maths). x is
viewed as (N, C, L) with L = H·W (1 for (N, C)); M = N·L values per channel.

- Statistics (:func:`_channel_stats`, :func:`_channel_grad_sums`): **one thread per
  channel**, looping over its M values in float64 (two passes for the variance, as on
  the CPU). The same thread updates that channel's running statistics.
- Normalising and dL/dx (:func:`_normalize`, :func:`_grad_input`): **one thread per
  element**, reading its channel's constants.
"""

from __future__ import annotations

import math

from numba import cuda

from minidl.kernels.cuda.elementwise import empty, full, maximum
from minidl.kernels.cuda.launch import grid_for


def _as_ncl(x):
    return x.reshape(x.shape[0], x.shape[1], x.size // max(x.shape[0] * x.shape[1], 1))


@cuda.jit
def _channel_stats(x, training, rm, rv, momentum, eps, mean, invstd, new_rm, new_rv, track):
    """Thread c: mean[c] and invstd[c] = 1/√(σ²+eps) of channel c (batch or running
    statistics), and in training (when ``track``) the new running mean and variance."""
    n, chans, length = x.shape
    m = n * length
    for c in range(cuda.grid(1), chans, cuda.gridsize(1)):  # pragma: no cover - compiled
        if training:
            total = 0.0
            for i in range(n):
                for j in range(length):
                    total += x[i, c, j]
            mu = total / m
            sq = 0.0
            for i in range(n):
                for j in range(length):
                    d = x[i, c, j] - mu
                    sq += d * d
            var = sq / m
            if track:
                new_rm[c] = (1.0 - momentum) * rm[c] + momentum * mu
                new_rv[c] = (1.0 - momentum) * rv[c] + momentum * var * m / maximum(m - 1, 1)
        else:
            mu = rm[c]
            var = rv[c]
        mean[c] = mu
        invstd[c] = 1.0 / math.sqrt(var + eps)


@cuda.jit
def _normalize(x, mean, invstd, weight, bias, out):  # pragma: no cover - compiled
    """Thread per element: out = (x − mean[c]) · invstd[c] · weight[c] + bias[c]."""
    _, chans, length = x.shape
    for t in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        i = t // (chans * length)
        c = (t // length) % chans
        j = t % length
        out[i, c, j] = (x[i, c, j] - mean[c]) * invstd[c] * weight[c] + bias[c]


@cuda.jit
def _channel_grad_sums(grad, x, mean, invstd, sum_g, sum_g_xhat):  # pragma: no cover
    """Thread c: Σ g and Σ g · x̂ over channel c."""
    n, chans, length = x.shape
    for c in range(cuda.grid(1), chans, cuda.gridsize(1)):
        s = 0.0
        sx = 0.0
        for i in range(n):
            for j in range(length):
                g = grad[i, c, j]
                s += g
                sx += g * (x[i, c, j] - mean[c])
        sum_g[c] = s
        sum_g_xhat[c] = sx * invstd[c]


@cuda.jit
def _grad_input(grad, x, mean, invstd, weight, sum_g, sum_g_xhat, training, out):
    """Thread per element: dL/dx = γ·invstd/M · (M·g − Σg − x̂·Σg·x̂) in training, else
    g·γ·invstd (the statistics are constants)."""
    n, chans, length = x.shape
    m = n * length
    for t in range(cuda.grid(1), x.size, cuda.gridsize(1)):  # pragma: no cover - compiled
        i = t // (chans * length)
        c = (t // length) % chans
        j = t % length
        k = weight[c] * invstd[c]
        if training:
            xhat = (x[i, c, j] - mean[c]) * invstd[c]
            out[i, c, j] = k / m * (m * grad[i, c, j] - sum_g[c] - xhat * sum_g_xhat[c])
        else:
            out[i, c, j] = grad[i, c, j] * k


def _or_constant(value, chans: int, fill: float, dtype):
    return full((chans,), fill, dtype) if value is None else value


def batch_norm_forward(x, weight, bias, running_mean, running_var, training: bool,
                       momentum: float, eps: float):
    """y = γ · (x − μ) / √(σ² + eps) + β per channel.

    Returns (y like x, save_mean (C,), save_invstd (C,), new_running_mean,
    new_running_var): new arrays in training (None when not tracked), the given running
    arrays in evaluation.
    """
    x3 = _as_ncl(x)
    chans = x3.shape[1]
    mean, invstd = empty((chans,), x.dtype), empty((chans,), x.dtype)
    track = running_mean is not None
    if training and track:
        new_rm = empty((chans,), running_mean.dtype)
        new_rv = empty((chans,), running_var.dtype)
    else:
        new_rm, new_rv = running_mean, running_var
    stats_in = (running_mean, running_var) if track else (mean, mean)  # unused when untracked
    _channel_stats[grid_for(chans)](x3, training, *stats_in, momentum, eps, mean, invstd,
                                    *((new_rm, new_rv) if track else (mean, mean)), track)
    out = empty(x3.shape, x.dtype)
    if out.size:
        _normalize[grid_for(out.size)](x3, mean, invstd, _or_constant(weight, chans, 1, x.dtype),
                                       _or_constant(bias, chans, 0, x.dtype), out)
    return out.reshape(*x.shape), mean, invstd, new_rm, new_rv


def _backward(grad, x, weight, mean, invstd, training: bool):
    x3, g3 = _as_ncl(x), _as_ncl(grad)
    chans = x3.shape[1]
    sum_g, sum_g_xhat = empty((chans,), x.dtype), empty((chans,), x.dtype)
    _channel_grad_sums[grid_for(chans)](g3, x3, mean, invstd, sum_g, sum_g_xhat)
    grad_x = empty(x3.shape, x.dtype)
    if grad_x.size:
        _grad_input[grid_for(grad_x.size)](g3, x3, mean, invstd,
                                           _or_constant(weight, chans, 1, x.dtype), sum_g,
                                           sum_g_xhat, training, grad_x)
    return grad_x.reshape(*x.shape), sum_g_xhat, sum_g


def batch_norm_backward(grad, x, weight, save_mean, save_invstd):
    """Training-mode gradients: (dL/dx like x, dL/dγ = Σ g·x̂ (C,), dL/dβ = Σ g (C,))."""
    return _backward(grad, x, weight, save_mean, save_invstd, True)


def batch_norm_eval_backward(grad, x, weight, mean, invstd):
    """Eval-mode gradients (μ, invstd constants): (g·γ·invstd, Σ g·x̂, Σ g)."""
    return _backward(grad, x, weight, mean, invstd, False)
