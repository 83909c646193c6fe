"""The affine map y = x Wᵀ + b of a fully connected layer."""

from __future__ import annotations

import numpy as np

from minidl.autograd.function import Function, Node
from minidl.errors import DTypeError, ShapeError, fmt_shape
from minidl.functional._checks import float_tensor
from minidl.kernels.dispatch import kernels
from minidl.tensor import Tensor

K = kernels("linear")


class Linear(Function):
    """``Linear.apply(x, weight)`` or ``Linear.apply(x, weight, bias)``."""

    @staticmethod
    def forward(ctx: Node, x, weight, bias=None):  # noqa: ANN001
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return K.linear_forward(x, weight, bias)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        x, weight = ctx.saved_tensors
        grad_x, grad_weight, grad_bias = K.linear_backward(grad, x, weight, ctx.has_bias)
        return (grad_x, grad_weight, grad_bias) if ctx.has_bias else (grad_x, grad_weight)


def check_input(name: str, x: Tensor, in_features: int) -> None:
    """Raise ShapeError unless ``x`` is (..., in_features); ``name`` heads the message."""
    if x.ndim == 0 or x.shape[-1] != in_features:
        raise ShapeError(f"{name}: expected input (..., {in_features}), got {fmt_shape(x.shape)}")


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """y = x Wᵀ + b.

    input: (..., in)   weight: (out, in)   bias: (out,) or None   →   (..., out)
    """
    x = float_tensor("linear", input)
    w = float_tensor("linear", weight, "weight")
    if w.ndim != 2:
        raise ShapeError(f"linear: expected weight (out, in), got {fmt_shape(w.shape)}")
    check_input(f"linear(weight {fmt_shape(w.shape)})", x, w.shape[1])
    tensors = (x, w) if bias is None else (x, w, float_tensor("linear", bias, "bias"))
    if bias is not None and bias.shape != (w.shape[0],):
        raise ShapeError(
            f"linear: expected bias ({w.shape[0]},) for weight {fmt_shape(w.shape)}, "
            f"got {fmt_shape(bias.shape)}"
        )
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) > 1:
        raise DTypeError(
            f"linear: input, weight and bias must share a dtype, got "
            f"{', '.join(str(t.dtype) for t in tensors)} (cast with .to(), e.g. model.double())"
        )
    return Linear.apply(*tensors)
