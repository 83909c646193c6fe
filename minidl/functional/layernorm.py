"""Layer normalisation (kernels in kernels/cpu/layernorm.py).

``layer_norm`` normalises every sample over its last dims ``normalized_shape``::

    y = γ ⊙ (x − μ) / √(σ² + eps) + β,     μ, σ² the mean and biased variance of those dims

The statistics are each sample's own, so a Transformer's tokens are normalised one by
one, whatever the batch size or sequence length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from minidl.autograd.function import Function, Node
from minidl.errors import DTypeError, ShapeError, fmt_shape
from minidl.functional._checks import float_tensor
from minidl.kernels.dispatch import kernels
from minidl.tensor import Tensor

K = kernels("layernorm")


class LayerNorm(Function):
    """``LayerNorm.apply(x, weight_or_None, bias_or_None, size=D, eps=)``: x (..., *shape)
    is normalised over its trailing values, D of them."""

    @staticmethod
    def forward(ctx: Node, x, weight, bias, *, size, eps):  # noqa: ANN001
        rows = x.reshape(-1, size)
        w = None if weight is None else weight.reshape(size)
        b = None if bias is None else bias.reshape(size)
        out, mean, rstd = K.layer_norm_forward(rows, w, b, eps)
        ctx.save_for_backward(rows, w, mean, rstd)
        ctx.shapes = (x.shape, None if weight is None else weight.shape,
                      None if bias is None else bias.shape)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        rows, w, mean, rstd = ctx.saved_tensors
        x_shape, w_shape, b_shape = ctx.shapes
        grad_x, grad_w, grad_b = K.layer_norm_backward(
            grad.reshape(rows.shape), rows, w, mean, rstd
        )
        return (grad_x.reshape(x_shape),
                None if w_shape is None else grad_w.reshape(w_shape),
                None if b_shape is None else grad_b.reshape(b_shape))


def normalized_shape_tuple(fn: str, normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    """``normalized_shape`` as a tuple of positive ints (an int D means (D,))."""
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(normalized_shape)
    if not shape or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1
                        for s in shape):
        raise ValueError(f"{fn}: normalized_shape must be an int or a non-empty sequence of "
                         f"ints >= 1, got {normalized_shape!r}")
    return tuple(int(s) for s in shape)


def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Layer norm over the trailing dims ``normalized_shape`` (see the module docstring).

    input: (*, *normalized_shape)   weight γ, bias β: normalized_shape or None → like input.
    """
    fn = "layer_norm"
    x = float_tensor(fn, input)
    shape = normalized_shape_tuple(fn, normalized_shape)
    if x.shape[x.ndim - len(shape):] != shape or x.ndim < len(shape):
        raise ShapeError(f"{fn}: expected input (*, {', '.join(map(str, shape))}) "
                         f"(normalized_shape {fmt_shape(shape)}), got {fmt_shape(x.shape)}")
    for what, t in (("weight", weight), ("bias", bias)):
        if t is None:
            continue
        float_tensor(fn, t, what)
        if t.shape != shape:
            raise ShapeError(f"{fn}: expected {what} {fmt_shape(shape)}, got {fmt_shape(t.shape)}")
        if t.dtype != x.dtype:
            raise DTypeError(f"{fn}: input and {what} must share a dtype, got {x.dtype} and "
                             f"{t.dtype} (cast with .to(), e.g. model.double())")
    return LayerNorm.apply(x, weight, bias, size=int(np.prod(shape)), eps=float(eps))
