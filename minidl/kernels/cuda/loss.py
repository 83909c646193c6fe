"""Softmax, log-softmax and the losses built on them, with their gradients, on the GPU.

The CUDA twins of :mod:`minidl.kernels.cpu.loss` (same names, arguments and maths; see
there for the derivations). ``dim`` may be any axis: x is viewed as (A, K, B) with K the
size of ``dim`` (A the product of the axes before it, B of those after), and
**one thread computes one slice** x[p, :, q] (grid-stride over the A·B slices), with loops
over its K values: the max, the sum of exponentials, then the outputs. Neighbouring
threads own neighbouring q, so for dim ≠ −1 their loads are coalesced. The
cross-entropy kernels work on (N, C) logits, one thread per sample. The binary losses
are elementwise (:func:`~minidl.kernels.cuda.elementwise.map3`).
"""

from __future__ import annotations

import math

from numba import cuda

from minidl.kernels.cpu.loss import _EPS, _LOG_FLOOR
from minidl.kernels.cuda.elementwise import empty, map3, maximum, sigmoid
from minidl.kernels.cuda.launch import grid_for


def _slices(x, dim: int) -> tuple[int, int, int]:
    """(A, K, B): x as A·B slices of K values along ``dim``."""
    dim = dim % x.ndim
    return math.prod(x.shape[:dim]), x.shape[dim], math.prod(x.shape[dim + 1:])


@cuda.jit
def _softmax(x, out, log):  # pragma: no cover - compiled
    """out[p, :, q] = softmax (or log-softmax when ``log``) of x[p, :, q]."""
    a, k, b = x.shape
    for t in range(cuda.grid(1), a * b, cuda.gridsize(1)):
        p = t // b
        q = t % b
        top = -math.inf
        for j in range(k):
            top = maximum(top, x[p, j, q])
        total = 0.0
        for j in range(k):
            total += math.exp(x[p, j, q] - top)
        if log:
            shift = top + math.log(total)
            for j in range(k):
                out[p, j, q] = x[p, j, q] - shift
        else:
            for j in range(k):
                out[p, j, q] = math.exp(x[p, j, q] - top) / total


@cuda.jit
def _softmax_grad(g, s, out, log):  # pragma: no cover - compiled
    """The backward of :func:`_softmax` for one slice per thread; s is the forward output."""
    a, k, b = g.shape
    for t in range(cuda.grid(1), a * b, cuda.gridsize(1)):
        p = t // b
        q = t % b
        total = 0.0
        for j in range(k):
            total += g[p, j, q] if log else g[p, j, q] * s[p, j, q]
        for j in range(k):
            if log:
                out[p, j, q] = g[p, j, q] - math.exp(s[p, j, q]) * total
            else:
                out[p, j, q] = s[p, j, q] * (g[p, j, q] - total)


def _along(kernel, dim: int, *arrays, log: bool):
    """Run a one-slice-per-thread kernel over arrays of one shape along ``dim``."""
    shape = _slices(arrays[0], dim)
    out = empty(arrays[0].shape, arrays[0].dtype)
    if out.size:
        views = [a.reshape(*shape) for a in (*arrays, out)]
        kernel[grid_for(shape[0] * shape[2])](*views, log)
    return out


def softmax_forward(x, dim: int):
    """softmax(x)_i = e^{x_i − m} / Σ_j e^{x_j − m} along ``dim`` (m = max_j x_j); same shape."""
    return _along(_softmax, dim, x, log=False)


def softmax_backward(grad, out, dim: int):
    """dL/dx = s ⊙ (g − Σ_j g_j s_j) along ``dim``, s = ``out`` = softmax(x)."""
    return _along(_softmax_grad, dim, grad, out, log=False)


def log_softmax_forward(x, dim: int):
    """log softmax(x)_i = x_i − m − log Σ_j e^{x_j − m} along ``dim``."""
    return _along(_softmax, dim, x, log=True)


def log_softmax_backward(grad, out, dim: int):
    """dL/dx = g − e^{out} · Σ_j g_j along ``dim`` (``out`` = log softmax(x))."""
    return _along(_softmax_grad, dim, grad, out, log=True)


@cuda.jit(device=True)
def _max_and_exp_sum(logits, r):  # pragma: no cover - compiled
    """(m, Σ_j e^{logits[r, j] − m}) with m = max_j logits[r, j]: row r's softmax constants."""
    top = -math.inf
    for j in range(logits.shape[1]):
        top = maximum(top, logits[r, j])
    total = 0.0
    for j in range(logits.shape[1]):
        total += math.exp(logits[r, j] - top)
    return top, total


@cuda.jit
def _cross_entropy(logits, target, smoothing, loss):  # pragma: no cover - compiled
    """Thread n: loss[n] = (1 − ε)(−log p[n, y_n]) − ε · mean_c log p[n, c]."""
    n, c = logits.shape
    for r in range(cuda.grid(1), n, cuda.gridsize(1)):
        top, total = _max_and_exp_sum(logits, r)
        shift = top + math.log(total)  # log p[r, j] = logits[r, j] − shift
        mean = 0.0
        for j in range(c):
            mean += logits[r, j]
        nll = shift - logits[r, target[r]]
        loss[r] = (1.0 - smoothing) * nll - smoothing * (mean / c - shift)


@cuda.jit
def _cross_entropy_grad(grad, logits, target, smoothing, out):  # pragma: no cover - compiled
    """Thread n: out[n, c] = grad[n] · (softmax(logits[n])_c − q_{n,c})."""
    n, c = logits.shape
    for r in range(cuda.grid(1), n, cuda.gridsize(1)):
        top, total = _max_and_exp_sum(logits, r)
        for j in range(c):
            q = smoothing / c + (1.0 - smoothing if j == target[r] else 0.0)
            out[r, j] = grad[r] * (math.exp(logits[r, j] - top) / total - q)


def cross_entropy_forward(logits, target, label_smoothing: float):
    """Per-sample cross-entropy; logits (N, C) float, target (N,) int64 → (N,)."""
    loss = empty((logits.shape[0],), logits.dtype)
    if loss.size:
        _cross_entropy[grid_for(loss.size)](logits, target, float(label_smoothing), loss)
    return loss


def cross_entropy_backward(grad, logits, target, label_smoothing: float):
    """dL/dlogits = grad[:, None] · (softmax(logits) − q), q the smoothed one-hot; (N, C)."""
    out = empty(logits.shape, logits.dtype)
    if out.size:
        _cross_entropy_grad[grid_for(logits.shape[0])](grad, logits, target,
                                                       float(label_smoothing), out)
    return out


@cuda.jit(device=True)
def _bce_logits(x, y, z, a, b):  # pragma: no cover - compiled
    return maximum(x, 0.0) - x * y + math.log1p(math.exp(-abs(x)))


@cuda.jit(device=True)
def _bce_logits_grad(g, x, y, a, b):  # pragma: no cover - compiled
    return g * (sigmoid(x) - y)


@cuda.jit(device=True)
def _bce(p, y, z, a, b):  # pragma: no cover - compiled
    log_p = maximum(math.log(p), _LOG_FLOOR) if p > 0 else _LOG_FLOOR
    log_q = maximum(math.log1p(-p), _LOG_FLOOR) if p < 1 else _LOG_FLOOR
    return -(y * log_p + (1.0 - y) * log_q)


@cuda.jit(device=True)
def _bce_grad(g, p, y, a, b):  # pragma: no cover - compiled
    return g * (p - y) / maximum(p * (1.0 - p), _EPS)


def bce_with_logits_forward(logits, target):
    """max(x, 0) − x·y + log(1 + e^{−|x|}) elementwise."""
    return map3(_bce_logits, logits, target)


def bce_with_logits_backward(grad, logits, target):
    """dL/dx = grad · (σ(x) − y)."""
    return map3(_bce_logits_grad, grad, logits, target)


def binary_cross_entropy_forward(p, target):
    """−[y · max(log p, −100) + (1 − y) · max(log(1 − p), −100)] elementwise."""
    return map3(_bce, p, target)


def binary_cross_entropy_backward(grad, p, target):
    """dL/dp = grad · (p − y) / max(p(1 − p), 1e-12)."""
    return map3(_bce_grad, grad, p, target)
