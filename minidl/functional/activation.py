"""Activation functions and (log-)softmax.

They check their input and reuse the ops in :mod:`minidl.ops.activation` (softmax and
log-softmax run the kernels in ``kernels/cpu/loss.py``).
"""

from __future__ import annotations

from minidl.errors import ShapeError
from minidl.functional._checks import float_tensor
from minidl.ops import activation as _act
from minidl.ops._util import normalize_dims
from minidl.ops.activation import LogSoftmax, Softmax
from minidl.tensor import Tensor


def relu(input: Tensor) -> Tensor:  # noqa: A002
    """max(x, 0), elementwise. Any shape."""
    return _act.ReLU.apply(float_tensor("relu", input))


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """x where x > 0, else negative_slope · x. Any shape."""
    return _act.LeakyReLU.apply(float_tensor("leaky_relu", input), float(negative_slope))


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """σ(x) = 1 / (1 + e^{−x}), elementwise. Any shape."""
    return _act.Sigmoid.apply(float_tensor("sigmoid", input))


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """tanh(x), elementwise. Any shape."""
    return _act.Tanh.apply(float_tensor("tanh", input))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """GELU(x) = x · Φ(x) (Φ the standard normal CDF), or its tanh approximation:
    0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))) when ``approximate='tanh'``. Any shape.
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _act.GELU.apply(float_tensor("gelu", input), approximate)


def _class_dim(fn: str, x: Tensor, dim: int) -> int:
    if x.ndim == 0:
        raise ShapeError(f"{fn}: expected a tensor with at least 1 dim, got a scalar")
    return normalize_dims(fn, dim, x.ndim)[0]


def softmax(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """e^{x_i} / Σ_j e^{x_j} along ``dim`` (computed stably). Same shape as ``input``."""
    x = float_tensor("softmax", input)
    return Softmax.apply(x, dim=_class_dim("softmax", x, dim))


def log_softmax(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """x_i − log Σ_j e^{x_j} along ``dim`` (log-sum-exp, stable). Same shape as ``input``."""
    x = float_tensor("log_softmax", input)
    return LogSoftmax.apply(x, dim=_class_dim("log_softmax", x, dim))
