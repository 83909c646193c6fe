"""``LayerNorm``: normalise each sample over its last dims (every token on its own)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minidl.device import check_available
from minidl.device import device as parse_device
from minidl.functional.layernorm import layer_norm, normalized_shape_tuple
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor, float32


class LayerNorm(Module):
    """y = γ ⊙ (x − μ) / √(σ² + eps) + β over the last dims ``normalized_shape``
    (see :func:`minidl.functional.layer_norm`).

    input (*, *normalized_shape) → the same shape. weight γ (ones) and bias β (zeros) have
    shape ``normalized_shape`` when ``elementwise_affine`` (β only if ``bias``).
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        check_available(parse_device(device))
        self.normalized_shape = normalized_shape_tuple("LayerNorm", normalized_shape)
        self.eps = float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        dtype = np.dtype(dtype or float32)
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """γ = 1, β = 0: the layer starts as a plain standardisation."""
        if self.weight is not None:
            self.weight.data[...] = 1
        if self.bias is not None:
            self.bias.data[...] = 0

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
