"""Softmax, log-softmax and the losses built on them, with their gradients.

All kernels keep the dtype of their floating-point inputs (float32 or float64).
``dim`` is the axis that holds the classes.
"""

from __future__ import annotations

import numpy as np

from minidl.kernels.cpu.activation import sigmoid_forward
from minidl.kernels.slots import slot


@slot
def softmax_forward(x: np.ndarray, dim: int) -> np.ndarray:
    """softmax(x)_i = e^{x_i − m} / Σ_j e^{x_j − m} along ``dim``, with m = max_j x_j.

    Subtracting the max changes nothing mathematically and keeps e^{…} ≤ 1 (no overflow).
    x: any shape   →   same shape, each slice along ``dim`` sums to 1.
    """
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


@slot
def softmax_backward(grad: np.ndarray, out: np.ndarray, dim: int) -> np.ndarray:
    """dL/dx = s ⊙ (g − Σ_j g_j s_j) along ``dim``, where s = softmax(x) (``out``), g = dL/ds.

    It is the Jacobian ∂s_i/∂x_k = s_i(δ_ik − s_k) applied to g. Shapes: all equal.
    """
    return out * (grad - (grad * out).sum(axis=dim, keepdims=True))


@slot
def log_softmax_forward(x: np.ndarray, dim: int) -> np.ndarray:
    """log softmax(x)_i = x_i − m − log Σ_j e^{x_j − m} along ``dim`` (m = max_j x_j).

    The log-sum-exp form never takes the log of an underflowed 0.
    x: any shape   →   same shape.
    """
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


@slot
def log_softmax_backward(grad: np.ndarray, out: np.ndarray, dim: int) -> np.ndarray:
    """dL/dx = g − softmax(x) · Σ_j g_j along ``dim``; ``out`` = log softmax(x), g = dL/d(out).

    softmax(x) is recovered as e^{out}. Shapes: all equal.
    """
    return grad - np.exp(out) * grad.sum(axis=dim, keepdims=True)


@slot
def cross_entropy_forward(
    logits: np.ndarray, target: np.ndarray, label_smoothing: float
) -> np.ndarray:
    """Per-sample cross-entropy of class scores against class indices.

    With log p = log_softmax(logits) over the classes and ε = ``label_smoothing``:

        loss_n = (1 − ε) · (−log p_{n, y_n}) + ε · (1/C) Σ_c (−log p_{n, c})

    (ε = 0 is the plain negative log-likelihood of the true class, PyTorch's formula.)
    logits: (N, C) float   target: (N,) int64 in [0, C)   →   (N,)
    """
    logp = log_softmax_forward(logits, 1)
    nll = -logp[np.arange(logits.shape[0]), target]
    if label_smoothing == 0:
        return nll
    return (1 - label_smoothing) * nll - label_smoothing * logp.mean(axis=1)


@slot
def cross_entropy_backward(
    grad: np.ndarray, logits: np.ndarray, target: np.ndarray, label_smoothing: float
) -> np.ndarray:
    """dL/dlogits_{n,c} = grad_n · (softmax(logits)_{n,c} − q_{n,c}).

    q is the smoothed one-hot target: q_{n,c} = (1 − ε)·[c = y_n] + ε/C.
    grad: (N,)   logits: (N, C)   target: (N,)   →   (N, C)
    """
    n, c = logits.shape
    d = softmax_forward(logits, 1)
    d[np.arange(n), target] -= 1 - label_smoothing
    if label_smoothing:
        d -= label_smoothing / c
    return d * grad[:, None]


@slot
def bce_with_logits_forward(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Binary cross-entropy of σ(x) against y, computed from the logit x directly.

    −[y log σ(x) + (1 − y) log(1 − σ(x))] = max(x, 0) − x·y + log(1 + e^{−|x|}),
    which never overflows e^{…} nor takes log(0). Elementwise; x, y: same shape.
    """
    return np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))


@slot
def bce_with_logits_backward(
    grad: np.ndarray, logits: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """dL/dx = grad · (σ(x) − y). Elementwise; all shapes equal."""
    return grad * (sigmoid_forward(logits) - target)


_LOG_FLOOR = -100.0  # PyTorch clamps log p at −100 so that p = 0 gives a finite loss
_EPS = 1e-12


def binary_cross_entropy_forward(p: np.ndarray, target: np.ndarray) -> np.ndarray:
    """−[y · max(log p, −100) + (1 − y) · max(log(1 − p), −100)], elementwise (p in [0, 1])."""
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), _LOG_FLOOR)
        log_q = np.maximum(np.log1p(-p), _LOG_FLOOR)
    return -(target * log_p + (1 - target) * log_q)


def binary_cross_entropy_backward(
    grad: np.ndarray, p: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """dL/dp = grad · (p − y) / max(p(1 − p), 1e-12) (PyTorch's guard at p ∈ {0, 1})."""
    return grad * (p - target) / np.maximum(p * (1 - p), _EPS)
