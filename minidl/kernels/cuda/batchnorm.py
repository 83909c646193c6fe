"""Batch normalisation on the GPU over (N, C) or (N, C, H, W).

The CUDA twin of :mod:`minidl.kernels.cpu.batchnorm` (see there for the maths). x is
viewed as (N, C, L) with L = H·W (1 for (N, C)); M = N·L values per channel.

- Statistics (:func:`_channel_stats`, :func:`_channel_grad_sums`): **one block per
  channel**: its threads share the M values (float64 sums, two passes for the variance,
  as on the CPU) and add their partial sums in shared memory
  (:func:`~minidl.kernels.cuda.reduce.block_sum`); thread 0 writes the channel's results.
- Normalising and dL/dx (:func:`_normalize`, :func:`_grad_input`): **one thread per
  element**, reading its channel's constants.
"""

from __future__ import annotations

import math

from numba import cuda, float64

from minidl.kernels.cuda.elementwise import empty, full, maximum
from minidl.kernels.cuda.launch import THREADS, grid_for, grid_for_groups
from minidl.kernels.cuda.reduce import block_sum


def _as_ncl(x):
    return x.reshape(x.shape[0], x.shape[1], x.size // max(x.shape[0] * x.shape[1], 1))


@cuda.jit
def _channel_stats(x, training, rm, rv, momentum, eps, mean, invstd, new_rm, new_rv, track):
    """Block per channel c: mean[c] and invstd[c] = 1/√(σ²+eps) of channel c (batch or
    running statistics), and in training (when ``track``) the new running statistics.
    Thread t of the block sums the channel's values t, t + T, … (two passes: Σx, then
    Σ(x − μ)²), :func:`block_sum` adds the T partial sums, thread 0 writes the results."""
    part = cuda.shared.array(THREADS, float64)
    n, chans, length = x.shape
    m = n * length
    tid = cuda.threadIdx.x
    for c in range(cuda.blockIdx.x, chans, cuda.gridDim.x):  # pragma: no cover - compiled
        if training:
            s = 0.0
            for e in range(tid, m, cuda.blockDim.x):
                s += x[e // length, c, e % length]
            mu = block_sum(part, s) / m
            s = 0.0
            for e in range(tid, m, cuda.blockDim.x):
                d = x[e // length, c, e % length] - mu
                s += d * d
            var = block_sum(part, s) / m
            if track and tid == 0:
                new_rm[c] = (1.0 - momentum) * rm[c] + momentum * mu
                new_rv[c] = (1.0 - momentum) * rv[c] + momentum * var * m / maximum(m - 1, 1)
        else:
            mu = rm[c]
            var = rv[c]
        if tid == 0:
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
    """Block per channel c: Σ g and Σ g · x̂ over the channel (as in :func:`_channel_stats`)."""
    part = cuda.shared.array(THREADS, float64)
    n, chans, length = x.shape
    tid = cuda.threadIdx.x
    for c in range(cuda.blockIdx.x, chans, cuda.gridDim.x):
        s = 0.0
        sx = 0.0
        for e in range(tid, n * length, cuda.blockDim.x):
            g = grad[e // length, c, e % length]
            s += g
            sx += g * (x[e // length, c, e % length] - mean[c])
        s = block_sum(part, s)
        sx = block_sum(part, sx)
        if tid == 0:
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
    _channel_stats[grid_for_groups(chans)](x3, training, *stats_in, momentum, eps, mean,
                                           invstd, *((new_rm, new_rv) if track else (mean, mean)),
                                           track)
    out = empty(x3.shape, x.dtype)
    if out.size:
        _normalize[grid_for(out.size)](x3, mean, invstd, _or_constant(weight, chans, 1, x.dtype),
                                       _or_constant(bias, chans, 0, x.dtype), out)
    return out.reshape(*x.shape), mean, invstd, new_rm, new_rv


def _backward(grad, x, weight, mean, invstd, training: bool):
    x3, g3 = _as_ncl(x), _as_ncl(grad)
    chans = x3.shape[1]
    sum_g, sum_g_xhat = empty((chans,), x.dtype), empty((chans,), x.dtype)
    _channel_grad_sums[grid_for_groups(chans)](g3, x3, mean, invstd, sum_g, sum_g_xhat)
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
