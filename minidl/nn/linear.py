"""Fully connected layers: ``Linear``, ``LazyLinear`` and ``Identity``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minidl.errors import ShapeError
from minidl.functional._checks import float_tensor
from minidl.functional.linear import check_input, linear
from minidl.nn import init
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor, float32


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to remove a layer); ignores its
    constructor arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input


class Linear(Module):
    """y = x Wᵀ + b, a fully connected layer.

    input (..., in_features) → output (..., out_features).
    weight: (out_features, in_features), bias: (out_features,), both initialised like
    PyTorch: U(−1/√in_features, 1/√in_features) (kaiming_uniform_ with a = √5).
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None
    ) -> None:
        super().__init__()
        for what, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
                raise ValueError(f"Linear: {what} must be an int >= 0, got {n!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dtype = np.dtype(dtype or float32)
        self.weight = Parameter(np.zeros((self.out_features, self.in_features), dtype))
        if bias:
            self.bias = Parameter(np.zeros((self.out_features,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights: W, b ~ U(−1/√in, 1/√in) (b = 0 when in_features is 0)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        name = f"Linear({self.in_features}→{self.out_features})"
        check_input(name, float_tensor(name, input), self.in_features)
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class LazyLinear(Linear):
    """A Linear layer whose ``in_features`` is read from the first input's last dim.

    Until then the weight is an empty (out_features, 0) Parameter; the first call
    fills it in place (the same Parameter objects, so an optimizer built earlier
    still holds them) and the module becomes a plain :class:`Linear`.
    """

    def __init__(self, out_features: int, bias: bool = True, dtype: Any = None) -> None:
        super().__init__(0, out_features, bias, dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        name = f"LazyLinear(?→{self.out_features})"
        x = float_tensor(name, input)
        if x.ndim == 0:
            raise ShapeError(f"{name}: expected input (..., in_features), got a scalar")
        self.in_features = x.shape[-1]
        self.weight._data = np.zeros((self.out_features, self.in_features), self.weight.dtype)
        self.reset_parameters()
        self.__class__ = Linear
        return self.forward(input)
