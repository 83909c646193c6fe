"""``MultiheadAttention``: PyTorch's layer, parameter for parameter.

For query (N, L, E) and key/value (N, S, E) (``batch_first``; else (L, N, E), (S, N, E))::

    q, k, v = query W_qᵀ + b_q,  key W_kᵀ + b_k,  value W_vᵀ + b_v   ([W_q; W_k; W_v] is
                                                                       in_proj_weight (3E, E))
    each split into H heads of d = E/H features:            (N, H, L, d), (N, H, S, d)
    head_h = softmax(q_h k_hᵀ / √d + mask) v_h              (N, H, L, d)
    out = merge(head_1 … head_H) W_oᵀ + b_o                 (N, L, E)      (out_proj)

Masks follow ``nn.MultiheadAttention`` (note: the opposite of the bool convention of
``F.scaled_dot_product_attention``): a bool ``attn_mask`` (L, S) or (N·H, L, S) and a bool
``key_padding_mask`` (N, S) are True where attention is NOT allowed; float masks are added
to the scores.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.device import check_available
from minidl.device import device as parse_device
from minidl.errors import ShapeError, fmt_shape
from minidl.functional._checks import float_tensor, probability
from minidl.functional.attention import (
    additive_mask,
    attention_weights_and_output,
    merge_heads,
    split_heads,
)
from minidl.functional.linear import linear
from minidl.nn import init
from minidl.nn.linear import Linear
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor, float32


class MultiheadAttention(Module):
    """Multi-head attention (see the module docstring), PyTorch's names and layouts.

    Parameters: ``in_proj_weight`` (3E, E), ``in_proj_bias`` (3E,), ``out_proj`` a
    Linear(E, E). ``forward`` returns ``(out, weights)``: weights (N, L, S) averaged over
    heads, (N, H, L, S) with ``average_attn_weights=False``, or None when
    ``need_weights=False``. Different key/value sizes (kdim, vdim) and add_bias_kv /
    add_zero_attn are not supported.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = "MultiheadAttention"
        check_available(parse_device(device))
        if embed_dim < 1 or num_heads < 1 or embed_dim % num_heads:
            raise ValueError(f"{name}: embed_dim ({embed_dim}) must be a positive multiple of "
                             f"num_heads ({num_heads})")
        if add_bias_kv or add_zero_attn or kdim not in (None, embed_dim) \
                or vdim not in (None, embed_dim):
            raise NotImplementedError(f"{name}: kdim/vdim other than embed_dim, add_bias_kv and "
                                      "add_zero_attn are not supported in minidl")
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout = probability(name, dropout, "dropout")
        self.batch_first = bool(batch_first)
        dtype = np.dtype(dtype or float32)
        self.in_proj_weight = Parameter(np.zeros((3 * self.embed_dim, self.embed_dim), dtype))
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * self.embed_dim, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(self.embed_dim, self.embed_dim, bias=bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's initialisation: Xavier-uniform in_proj_weight, zero biases."""
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _project(self, x: Tensor, part: int) -> Tensor:
        """x W_partᵀ + b_part for part 0 (query), 1 (key) or 2 (value)."""
        rows = slice(part * self.embed_dim, (part + 1) * self.embed_dim)
        bias = None if self.in_proj_bias is None else self.in_proj_bias[rows]
        return linear(x, self.in_proj_weight[rows], bias)

    def _heads(self, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q, k, v split into heads (N, H, L or S, d); one projection for self-attention."""
        h = self.num_heads
        if query is key and key is value:
            packed = split_heads(linear(query, self.in_proj_weight, self.in_proj_bias), 3 * h)
            return packed[:, :h], packed[:, h:2 * h], packed[:, 2 * h:]
        return tuple(split_heads(self._project(x, i), h)  # type: ignore[return-value]
                     for i, x in enumerate((query, key, value)))

    def _mask(self, attn_mask: Any, key_padding_mask: Any, n: int, length: int, source: int,
              dtype: np.dtype) -> np.ndarray | None:
        """attn_mask and key_padding_mask as one additive array broadcastable to (N, H, L, S)."""
        name = "MultiheadAttention"
        mask = None
        if attn_mask is not None:
            mask = additive_mask(name, attn_mask, dtype, masked_value=True)
            if mask.shape == (length, source):
                pass
            elif mask.shape == (n * self.num_heads, length, source):
                mask = mask.reshape(n, self.num_heads, length, source)
            else:
                raise ShapeError(f"{name}: expected attn_mask ({length}, {source}) or "
                                 f"({n * self.num_heads}, {length}, {source}), got "
                                 f"{fmt_shape(mask.shape)}")
        if key_padding_mask is not None:
            pad = additive_mask(name, key_padding_mask, dtype, masked_value=True)
            if pad.shape != (n, source):
                raise ShapeError(f"{name}: expected key_padding_mask ({n}, {source}), got "
                                 f"{fmt_shape(pad.shape)}")
            pad = pad.reshape(n, 1, 1, source)
            mask = pad if mask is None else mask + pad
        return mask

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        name = f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"
        for what, t in (("query", query), ("key", key), ("value", value)):
            float_tensor(name, t, what)
            if t.ndim not in (2, 3) or t.shape[-1] != self.embed_dim or t.ndim != query.ndim:
                layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
                raise ShapeError(f"{name}: expected {what} {layout} or unbatched (L, E) with "
                                 f"E = {self.embed_dim}, got {fmt_shape(t.shape)}")
        if is_causal and attn_mask is None:
            raise ValueError(f"{name}: is_causal=True is a hint about attn_mask; give the "
                             "causal attn_mask too (as PyTorch requires)")
        unbatched = query.ndim == 2
        self_attention = query is key and key is value
        query, key, value = (self._batch_major(t, unbatched) for t in (query, key, value))
        if self_attention:
            key = value = query
        n, length, source = query.shape[0], query.shape[1], key.shape[1]
        if key.shape[0] != n or value.shape[:2] != key.shape[:2]:
            raise ShapeError(f"{name}: key and value must have the same batch and length, and "
                             f"the batch of query; got {fmt_shape(query.shape)}, "
                             f"{fmt_shape(key.shape)}, {fmt_shape(value.shape)} (batch-major)")
        if unbatched and key_padding_mask is not None:
            key_padding_mask = _array(key_padding_mask)[None]
        q, k, v = self._heads(query, key, value)
        mask = self._mask(attn_mask, key_padding_mask, n, length, source, q.dtype)
        causal = bool(is_causal) and key_padding_mask is None
        heads, weights = attention_weights_and_output(
            q, k, v, None if causal else mask, 1.0 / np.sqrt(self.head_dim), causal,
            self.dropout, self.training)
        out = self.out_proj(merge_heads(heads))
        out = out[0] if unbatched else out if self.batch_first else out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(1)
        return out, weights[0] if unbatched else weights

    def _batch_major(self, t: Tensor, unbatched: bool) -> Tensor:
        if unbatched:
            return t.unsqueeze(0)
        return t if self.batch_first else t.transpose(0, 1)

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout}, batch_first={self.batch_first}")


def _array(t: Any) -> np.ndarray:
    return t._data if isinstance(t, Tensor) else np.asarray(t)
