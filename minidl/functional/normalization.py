"""Batch normalisation and channel dropout (kernels in kernels/cpu/batchnorm.py).

``batch_norm`` normalises each channel c of x (N, C) or (N, C, H, W)::

    y = γ_c · (x − μ_c) / √(σ²_c + eps) + β_c

with the batch's mean and biased variance when ``training`` (and the running
statistics updated in place, the variance unbiased), the running statistics
otherwise. ``dropout2d`` zeros whole channels: a feature map is kept or dropped
as a unit, which suits convolutional features whose neighbours are correlated.
"""

from __future__ import annotations

import numpy as np

from minidl import random as _random
from minidl.autograd.function import Function, Node
from minidl.errors import ShapeError, fmt_shape
from minidl.functional._checks import float_tensor, probability
from minidl.kernels.dispatch import kernels
from minidl.tensor import Tensor

K = kernels("batchnorm")


class BatchNorm(Function):
    """``BatchNorm.apply(x, weight_or_None, bias_or_None, running_mean=, ...)``.

    The running statistics are arrays updated in place when training.
    """

    @staticmethod
    def forward(ctx: Node, x, weight, bias, *, running_mean, running_var, training,  # noqa: ANN001
                momentum, eps):
        out, mean, invstd, new_mean, new_var = K.batch_norm_forward(
            x, weight, bias, running_mean, running_var, training, momentum, eps
        )
        if training and running_mean is not None:
            running_mean[...] = new_mean
            running_var[...] = new_var
        ctx.save_for_backward(x, weight, mean, invstd)
        ctx.training = training
        ctx.has_weight, ctx.has_bias = weight is not None, bias is not None
        return out

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        x, weight, mean, invstd = ctx.saved_tensors
        backward = K.batch_norm_backward if ctx.training else K.batch_norm_eval_backward
        grad_x, grad_w, grad_b = backward(grad, x, weight, mean, invstd)
        return grad_x, grad_w if ctx.has_weight else None, grad_b if ctx.has_bias else None


def check_batch_norm_input(name: str, x: Tensor, num_features: int, ndims: tuple[int, ...]) -> None:
    """Raise ShapeError unless x has one of ``ndims`` dims and ``num_features`` channels."""
    if x.ndim not in ndims or x.shape[1] != num_features:
        expected = " or ".join(
            {2: f"(N, {num_features})", 3: f"(N, {num_features}, L)",
             4: f"(N, {num_features}, H, W)"}[d] for d in ndims
        )
        raise ShapeError(f"{name}: expected input {expected}, got {fmt_shape(x.shape)}")


def batch_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch norm over channel axis 1 (see the module docstring).

    input: (N, C, *)   running_mean, running_var, weight γ, bias β: (C,) or None.
    Returns y like input. When ``training``, running_mean/var are updated in place:
    r ← (1 − momentum)·r + momentum·batch_statistic.
    """
    fn = "batch_norm"
    x = float_tensor(fn, input)
    if x.ndim < 2:
        raise ShapeError(f"{fn}: expected input (N, C, *), got {fmt_shape(x.shape)}")
    c = x.shape[1]
    for what, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (c,):
            raise ShapeError(f"{fn}: expected {what} ({c},) for input {fmt_shape(x.shape)}, "
                             f"got {fmt_shape(t.shape)}")
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{fn}: give both running_mean and running_var, or neither")
    if not training and running_mean is None:
        raise ValueError(f"{fn}: evaluation mode (training=False) needs running_mean/running_var")
    if training and x._data.size // c <= 1:
        raise ValueError(f"{fn}: expected more than 1 value per channel when training, got input "
                         f"{fmt_shape(x.shape)}")
    return BatchNorm.apply(
        x, weight, bias,
        running_mean=None if running_mean is None else running_mean._data,
        running_var=None if running_var is None else running_var._data,
        training=bool(training), momentum=float(momentum), eps=float(eps),
    )


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:  # noqa: A002
    """Zero whole channels: y[n, c] = x[n, c] · m[n, c] / (1 − p), m[n, c] ~ Bernoulli(1 − p).

    input: (N, C, H, W) (or (C, H, W)); the mask comes from minidl's seeded generator.
    """
    x = float_tensor("dropout2d", input)
    p = probability("dropout2d", p)
    if x.ndim not in (3, 4):
        raise ShapeError(f"dropout2d: expected input (N, C, H, W) or (C, H, W), "
                         f"got {fmt_shape(x.shape)}")
    if not training or p == 0:
        return x
    keep = _random.default_generator().random(x.shape[:-2] + (1, 1)) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return x * Tensor(keep * np.asarray(scale, x.dtype), device=x.device)
