"""Scaled dot-product attention through batched GEMMs, with a fused Numba masked softmax.

For queries q (..., L, E), keys k (..., S, E) and values v (..., S, Ev)::

    scores = q kᵀ · scale + mask          (..., L, S)   mask: 0 where allowed, −∞ where not
    P = softmax(scores) along S           each query's weights over the keys sum to 1
    out = P v                             (..., L, Ev)

The two products are NumPy matmuls over the stacked (batch, head) matrices, each one a
BLAS GEMM (through ``gemm.matmul``, which keeps BLAS on one core right after minidl's
parallel convolutions); the softmax is one Numba pass per row (max, exp and sum, scale)
written in place into the scores array, so no temporaries of size (..., L, S) are made. With the
``causal`` hint the kernel skips the masked upper triangle instead of adding −∞ to it.

Heads are split from and merged into the model dimension here too: (N, L, H·d) ⇄
(N, H, L, d), copied so that every head's matrix is contiguous for the GEMMs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from minidl.kernels.cpu.gemm import matmul
from minidl.kernels.cpu.loss import softmax_backward
from minidl.kernels.slots import slot


@slot
def causal_mask(target_len: int, source_len: int, dtype: np.dtype) -> np.ndarray:
    """The additive causal mask (L, S): 0 where key j ≤ query i, −∞ above the diagonal.

    Query i may look at keys 0..i only (PyTorch's ``is_causal``: the top-left-aligned
    lower triangle, also when L ≠ S).
    """
    allowed = np.arange(source_len)[None, :] <= np.arange(target_len)[:, None]
    return np.where(allowed, 0, -np.inf).astype(dtype)


@njit(cache=True)
def _softmax_rows_(s, length, causal):  # pragma: no cover - compiled
    """Softmax of each row of s (R, S) in place; when ``causal``, row r (query r % length)
    keeps columns 0..r % length and the rest become 0."""
    rows, n = s.shape
    for r in range(rows):
        stop = min(r % length + 1, n) if causal else n
        top = -np.inf
        for j in range(stop):
            top = max(top, s[r, j])
        total = 0.0
        for j in range(stop):
            e = np.exp(s[r, j] - top)
            s[r, j] = e
            total += e
        inv = 1.0 / total
        for j in range(stop):
            s[r, j] *= inv
        for j in range(stop, n):
            s[r, j] = 0.0


@slot(hints=("causal",))
def attention_forward(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None, scale: float,
    causal: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """out = softmax(q kᵀ · scale + mask) v; see the module docstring.

    q: (..., L, E)   k: (..., S, E)   v: (..., S, Ev)   leading dims equal
    mask: None or additive (0 / −∞ or any float), broadcastable to (..., L, S)
    Returns ``(out, probs)``: out (..., L, Ev) and the attention weights P (..., L, S).
    ``causal`` (a hint) says that ``mask`` is :func:`causal_mask`, so it need not be added.
    """
    scores = matmul(q, np.swapaxes(k, -1, -2))
    scores *= scores.dtype.type(scale)
    if mask is not None and not causal:
        scores += mask
    rows = scores.reshape(-1, scores.shape[-1])
    _softmax_rows_(rows, scores.shape[-2], causal)
    return matmul(scores, v), scores


def attention_backward(
    grad_out: np.ndarray, grad_probs: np.ndarray | None, q: np.ndarray, k: np.ndarray,
    v: np.ndarray, probs: np.ndarray, scale: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`attention_forward` given dL/d(out) and (optionally) dL/dP:

        dL/dv = Pᵀ · dL/d(out)                dL/dP = dL/d(out) · vᵀ (+ the given dL/dP)
        dL/dscores = softmax_backward(dL/dP)   (the −∞ entries have P = 0: no gradient)
        dL/dq = dL/dscores · k · scale        dL/dk = dL/dscoresᵀ · q · scale
    """
    grad_v = matmul(np.swapaxes(probs, -1, -2), grad_out)
    grad_p = matmul(grad_out, np.swapaxes(v, -1, -2))
    if grad_probs is not None:
        grad_p += grad_probs
    grad_s = softmax_backward(grad_p, probs, -1)
    grad_s *= grad_s.dtype.type(scale)
    grad_q = matmul(grad_s, k)
    grad_k = matmul(np.swapaxes(grad_s, -1, -2), q)
    return grad_q, grad_k, grad_v


@slot
def split_heads(x: np.ndarray, num_heads: int) -> np.ndarray:
    """(N, L, H·d) → (N, H, L, d): head h gets features h·d … (h+1)·d − 1 of every token."""
    n, length, embed = x.shape
    heads = x.reshape(n, length, num_heads, embed // num_heads).transpose(0, 2, 1, 3)
    return np.ascontiguousarray(heads)


@slot
def merge_heads(x: np.ndarray) -> np.ndarray:
    """(N, H, L, d) → (N, L, H·d), the inverse of :func:`split_heads`."""
    n, heads, length, d = x.shape
    return np.ascontiguousarray(x.transpose(0, 2, 1, 3)).reshape(n, length, heads * d)
