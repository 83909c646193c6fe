"""Scaled dot-product attention on the GPU: two batched matmuls around a row softmax.

The CUDA twin of :mod:`minidl.kernels.cpu.attention` (see there for the maths). The
leading dims of q (..., L, E), k (..., S, E), v (..., S, Ev) are flattened into B
matrices, so the products are :func:`~minidl.kernels.cuda.gemm.bmm` calls (kᵀ, Pᵀ and vᵀ
read through its transpose flags). Between them, :func:`_masked_softmax_rows` turns the
scores into probabilities in place, **one thread per score row** (b, l): scale, add the
mask (or, with the ``causal`` hint, stop at column l), then max, exponentials, sum and
division, as in the CPU kernel. Splitting and merging heads are axis swaps
(:func:`~minidl.kernels.cuda.elementwise.swap_middle`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda

from minidl.kernels.cuda.broadcast import broadcast_to
from minidl.kernels.cuda.elementwise import add, empty, maximum, minimum, swap_middle
from minidl.kernels.cuda.elementwise import scale as scale_by
from minidl.kernels.cuda.gemm import bmm
from minidl.kernels.cuda.launch import grid_for
from minidl.kernels.cuda.loss import softmax_backward


@cuda.jit
def _causal_mask(out):  # pragma: no cover - compiled
    s = out.shape[1]
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[t // s, t % s] = 0.0 if t % s <= t // s else -math.inf


def causal_mask(target_len: int, source_len: int, dtype):
    """The additive causal mask (L, S): 0 where key j ≤ query i, −∞ above the diagonal."""
    out = empty((target_len, source_len), np.dtype(dtype))
    if out.size:
        _causal_mask[grid_for(out.size)](out)
    return out


@cuda.jit
def _masked_softmax_rows(s, mask, use_mask, scale, length, causal):  # pragma: no cover
    rows, n = s.shape
    for r in range(cuda.grid(1), rows, cuda.gridsize(1)):
        stop = minimum(r % length + 1, n) if causal else n
        top = -math.inf
        for j in range(stop):
            v = s[r, j] * scale
            if use_mask:
                v += mask[r, j]
            s[r, j] = v
            top = maximum(top, v)
        total = 0.0
        for j in range(stop):
            e = math.exp(s[r, j] - top)
            s[r, j] = e
            total += e
        for j in range(stop):
            s[r, j] /= total
        for j in range(stop, n):
            s[r, j] = 0.0


def _batched(a):
    """(..., m, n) → (B, m, n)."""
    m, n = a.shape[a.ndim - 2], a.shape[a.ndim - 1]
    return a.reshape(a.size // max(m * n, 1), m, n)


def attention_forward(q, k, v, mask, scale: float, causal: bool = False):
    """(out (..., L, Ev), probs (..., L, S)) with probs = softmax(q kᵀ · scale + mask).

    mask: None or additive, broadcastable to (..., L, S); ``causal`` says it is
    :func:`causal_mask` (then it is not read).
    """
    lead = tuple(q.shape)[:-2]
    length, src_len = q.shape[q.ndim - 2], k.shape[k.ndim - 2]
    scores = bmm(_batched(q), _batched(k), trans_b=True)  # (B, L, S)
    rows = scores.reshape(scores.shape[0] * length, src_len)
    use_mask = mask is not None and not causal
    full_mask = broadcast_to(mask, (*lead, length, src_len)) if use_mask else rows
    if rows.size:
        _masked_softmax_rows[grid_for(rows.shape[0])](rows, full_mask.reshape(*rows.shape),
                                                      use_mask, scale, length, causal)
    out = bmm(scores, _batched(v))
    return (out.reshape(*lead, length, v.shape[v.ndim - 1]),
            scores.reshape(*lead, length, src_len))


def attention_backward(grad_out, grad_probs, q, k, v, probs, scale: float):
    """(dL/dq, dL/dk, dL/dv) of :func:`attention_forward` given dL/d(out) and (optionally)
    dL/dP: dv = Pᵀ g, dP = g vᵀ (+ dL/dP), ds = softmax_backward(dP) · scale, dq = ds k,
    dk = dsᵀ q."""
    g, p3 = _batched(grad_out), _batched(probs)
    grad_v = bmm(p3, g, trans_a=True)
    grad_p = bmm(g, _batched(v), trans_b=True)
    if grad_probs is not None:
        add(grad_p, _batched(grad_probs), out=grad_p)
    grad_s = scale_by(softmax_backward(grad_p, p3, 2), scale)
    grad_q = bmm(grad_s, _batched(k))
    grad_k = bmm(grad_s, _batched(q), trans_a=True)
    return grad_q.reshape(*q.shape), grad_k.reshape(*k.shape), grad_v.reshape(*v.shape)


def split_heads(x, num_heads: int):
    """(N, L, H·d) → (N, H, L, d): head h gets features h·d … (h+1)·d − 1 of every token."""
    n, length, embed = x.shape
    return swap_middle(x, n, length, num_heads, embed // num_heads)


def merge_heads(x):
    """(N, H, L, d) → (N, L, H·d), the inverse of :func:`split_heads`."""
    n, heads, length, d = x.shape
    return swap_middle(x, n, heads, length, d).reshape(n, length, heads * d)
