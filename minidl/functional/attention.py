"""Scaled dot-product attention, and splitting a model dimension into heads.

``scaled_dot_product_attention`` is PyTorch's function (kernels in kernels/cpu/attention.py)::

    out = softmax(q kᵀ / √E + mask) v

Without dropout it is one op whose backward reuses the saved attention weights; with
dropout (training only) it is composed of differentiable ops, so the dropped weights get
their gradient through ``dropout``'s own backward.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minidl import ops
from minidl.autograd.function import Function, Node
from minidl.errors import DTypeError, ShapeError, fmt_shape
from minidl.functional._checks import float_tensor, probability
from minidl.functional.activation import softmax
from minidl.functional.dropout import dropout
from minidl.kernels.dispatch import kernels
from minidl.tensor import Tensor

K = kernels("attention")


class Attention(Function):
    """``Attention.apply(q, k, v, mask=, scale=, causal=)`` → (out, attention weights)."""

    @staticmethod
    def forward(ctx: Node, q, k, v, *, mask, scale, causal):  # noqa: ANN001
        out, probs = K.attention_forward(q, k, v, mask, scale, causal=causal)
        ctx.save_for_backward(q, k, v, probs)
        ctx.scale = scale
        return out, probs

    @staticmethod
    def backward(ctx: Node, grad_out: np.ndarray, grad_probs: np.ndarray):
        q, k, v, probs = ctx.saved_tensors
        return K.attention_backward(grad_out, grad_probs, q, k, v, probs, ctx.scale)


class SplitHeads(Function):
    @staticmethod
    def forward(ctx: Node, x, *, num_heads):  # noqa: ANN001
        return K.split_heads(x, num_heads)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        return K.merge_heads(grad)


class MergeHeads(Function):
    @staticmethod
    def forward(ctx: Node, x):  # noqa: ANN001
        ctx.num_heads = x.shape[1]
        return K.merge_heads(x)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        return K.split_heads(grad, ctx.num_heads)


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """(N, L, H·d) → (N, H, L, d): each head sees its own d of the features."""
    x = float_tensor("split_heads", x)
    if x.ndim != 3 or x.shape[-1] % num_heads:
        raise ShapeError(f"split_heads: expected input (N, L, E) with E divisible by "
                         f"num_heads={num_heads}, got {fmt_shape(x.shape)}")
    return SplitHeads.apply(x, num_heads=int(num_heads))


def merge_heads(x: Tensor) -> Tensor:
    """(N, H, L, d) → (N, L, H·d), the inverse of :func:`split_heads`."""
    x = float_tensor("merge_heads", x)
    if x.ndim != 4:
        raise ShapeError(f"merge_heads: expected input (N, H, L, d), got {fmt_shape(x.shape)}")
    return MergeHeads.apply(x)


def additive_mask(fn: str, mask: Any, dtype: np.dtype, masked_value: bool = False) -> np.ndarray:
    """A bool or float mask as an additive float array: bool entries equal to
    ``masked_value`` become −∞ (the rest 0); float masks are used as they are."""
    arr = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if arr.dtype == np.bool_:
        return np.where(arr == masked_value, -np.inf, 0).astype(dtype)
    if arr.dtype.kind != "f":
        raise DTypeError(f"{fn}: expected a bool or float mask, got dtype {arr.dtype}")
    return arr.astype(dtype, copy=False)


def attention_weights_and_output(
    q: Tensor, k: Tensor, v: Tensor, mask: np.ndarray | None, scale: float, causal: bool,
    dropout_p: float, training: bool = True,
) -> tuple[Tensor, Tensor]:
    """(out, weights) of attention with an additive ``mask`` (or the causal one)."""
    if causal:
        mask = K.causal_mask(q.shape[-2], k.shape[-2], q.dtype)
    if dropout_p == 0 or not training:
        return Attention.apply(q, k, v, mask=mask, scale=scale, causal=causal)
    scores = ops.matmul(q, k.transpose(-2, -1)) * scale
    if mask is not None:
        scores = scores + Tensor(mask)
    weights = dropout(softmax(scores, -1), dropout_p)
    return ops.matmul(weights, v), weights


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """softmax(q kᵀ · scale + mask) v, PyTorch's ``F.scaled_dot_product_attention``.

    query (..., L, E), key (..., S, E), value (..., S, Ev) → (..., L, Ev).
    attn_mask: bool (True = may attend, PyTorch's convention here) or float (added to the
    scores), broadcastable to (..., L, S). ``is_causal``: query i sees keys 0..i (do not
    also give attn_mask). scale: default 1/√E. ``dropout_p`` drops attention weights
    (always, as in PyTorch: pass 0 in evaluation).
    """
    fn = "scaled_dot_product_attention"
    q, k, v = (float_tensor(fn, t, what) for t, what in
               ((query, "query"), (key, "key"), (value, "value")))
    if q.ndim < 2 or k.ndim != q.ndim or v.ndim != q.ndim:
        raise ShapeError(f"{fn}: expected query (..., L, E), key (..., S, E), value (..., S, Ev) "
                         f"with the same number of dims, got {fmt_shape(q.shape)}, "
                         f"{fmt_shape(k.shape)}, {fmt_shape(v.shape)}")
    if (q.shape[:-2] != k.shape[:-2] or k.shape[:-2] != v.shape[:-2] or
            q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]):
        raise ShapeError(f"{fn}: query {fmt_shape(q.shape)}, key {fmt_shape(k.shape)} and value "
                         f"{fmt_shape(v.shape)} do not fit (..., L, E), (..., S, E), (..., S, Ev)")
    if len({q.dtype, k.dtype, v.dtype}) > 1:
        raise DTypeError(f"{fn}: query, key and value must share a dtype, got {q.dtype}, "
                         f"{k.dtype}, {v.dtype}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{fn}: give attn_mask or is_causal=True, not both")
    mask = None
    if attn_mask is not None:
        mask = additive_mask(fn, attn_mask, q.dtype, masked_value=False)
        try:
            np.broadcast_shapes(mask.shape, q.shape[:-1] + (k.shape[-2],))
        except ValueError:
            raise ShapeError(f"{fn}: attn_mask {fmt_shape(mask.shape)} does not broadcast to the "
                             f"scores {fmt_shape(q.shape[:-1] + (k.shape[-2],))}") from None
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    out, _ = attention_weights_and_output(q, k, v, mask, scale, bool(is_causal),
                                          probability(fn, dropout_p, "dropout_p"))
    return out
