"""Dropout: during training, zero each activation with probability p (inverted scaling)."""

from __future__ import annotations

import numpy as np

from minidl import random as _random
from minidl.autograd.function import Function, Node
from minidl.functional._checks import float_tensor, probability
from minidl.kernels.dispatch import kernels
from minidl.tensor import Tensor

K = kernels("dropout")


class Dropout(Function):
    @staticmethod
    def forward(ctx: Node, x, *, p, rng):  # noqa: ANN001
        out, mask = K.dropout_forward(x, p, rng)
        ctx.save_for_backward(mask)
        return out

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (mask,) = ctx.saved_tensors
        return grad * mask


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:  # noqa: A002
    """x ⊙ mask / (1 − p) with mask_i ~ Bernoulli(1 − p) when ``training``; else x unchanged.

    The mask is drawn from minidl's seeded generator (``minidl.manual_seed``). Any shape.
    """
    x = float_tensor("dropout", input)
    p = probability("dropout", p)
    if not training or p == 0:
        return x
    return Dropout.apply(x, p=p, rng=_random.default_generator())
