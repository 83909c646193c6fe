"""Convolutional layers: ``Conv2d`` and ``ConvTranspose2d``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minidl.functional._checks import float_tensor
from minidl.functional.conv import (
    as_pair,
    check_image_batch,
    check_output_padding,
    conv2d,
    conv_transpose2d,
    kernel_label,
)
from minidl.nn import init
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor, float32

Pair = tuple[int, int]


class _Conv(Module):
    """What Conv2d and ConvTranspose2d share: the channel and kernel-size checks, the weight
    (channels in the layer's order, then kh, kw) and bias, PyTorch's initialisation, the
    layer's name and the common parts of its repr."""

    transposed = False  # weight (in, out, kh, kw) instead of (out, in, kh, kw)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Pair,
                 bias: bool, dtype: Any) -> None:
        super().__init__()
        layer = type(self).__name__
        for what, n in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"{layer}: {what} must be an int >= 1, got {n!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = as_pair(layer, "kernel_size", kernel_size, 1)
        dtype = np.dtype(dtype or float32)
        channels = ((self.in_channels, self.out_channels) if self.transposed
                    else (self.out_channels, self.in_channels))
        self.weight = Parameter(np.zeros(channels + self.kernel_size, dtype))
        if bias:
            self.bias = Parameter(np.zeros((self.out_channels,), dtype))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """W, b ~ U(−1/√fan_in, 1/√fan_in) (kaiming_uniform_ with a = √5, as PyTorch), where
        fan_in = weight[0].numel(): in_channels·kh·kw, or out_channels·kh·kw if transposed."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.weight[0].numel())
            init.uniform_(self.bias, -bound, bound)

    @property
    def name(self) -> str:
        """``Conv2d(3→16, k=3)``, the head of this layer's error messages."""
        k = kernel_label(self.kernel_size)
        return f"{type(self).__name__}({self.in_channels}→{self.out_channels}, k={k})"

    def _repr(self, middle: str) -> str:
        """channels, kernel size and stride, then ``middle``, then dilation and bias if not
        the defaults."""
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}{middle}")
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_Conv):
    """2-D convolution: y = conv2d(x, W) + b (see :func:`minidl.functional.conv2d`).

    input (N, in_channels, H, W) → output (N, out_channels, OH, OW),
    OH = ⌊(H + 2·ph − dh·(kh − 1) − 1) / sh⌋ + 1.
    weight: (out_channels, in_channels, kh, kw), bias: (out_channels,), both initialised
    like PyTorch: U(−1/√fan_in, 1/√fan_in) with fan_in = in_channels·kh·kw.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Pair,
        stride: int | Pair = 1,
        padding: int | Pair | str = 0,
        dilation: int | Pair = 1,
        bias: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, bias, dtype)
        self.stride = as_pair("Conv2d", "stride", stride, 1)
        self.padding = padding if isinstance(padding, str) else as_pair(
            "Conv2d", "padding", padding, 0)
        self.dilation = as_pair("Conv2d", "dilation", dilation, 1)
        self.reset_parameters()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        check_image_batch(self.name, float_tensor(self.name, input), self.in_channels)
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        if self.padding in ((0, 0), "valid"):
            return self._repr("")
        return self._repr(f", padding={self.padding!r}" if isinstance(self.padding, str)
                          else f", padding={self.padding}")


class ConvTranspose2d(_Conv):
    """2-D transposed convolution: y = conv_transpose2d(x, W) + b (see
    :func:`minidl.functional.conv_transpose2d`), the layer generators use to upsample.

    input (N, in_channels, H, W) → output (N, out_channels, OH, OW),
    OH = (H − 1)·sh − 2·ph + dh·(kh − 1) + output_padding_h + 1.
    weight: (in_channels, out_channels, kh, kw) (PyTorch's layout, the transpose of a
    Conv2d's), bias: (out_channels,), both U(−1/√fan_in, 1/√fan_in) with
    fan_in = out_channels·kh·kw, as PyTorch computes it from this weight's dimension 1.
    Only ``groups=1``.
    """

    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Pair,
        stride: int | Pair = 1,
        padding: int | Pair = 0,
        output_padding: int | Pair = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | Pair = 1,
        dtype: Any = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, bias, dtype)
        if groups != 1:
            raise ValueError(f"{self.name}: only groups=1 is supported, got groups={groups!r}")
        self.stride = as_pair(self.name, "stride", stride, 1)
        self.padding = as_pair(self.name, "padding", padding, 0)
        self.output_padding = as_pair(self.name, "output_padding", output_padding, 0)
        self.dilation = as_pair(self.name, "dilation", dilation, 1)
        check_output_padding(self.name, self.output_padding, self.stride, self.dilation)
        self.reset_parameters()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        check_image_batch(self.name, float_tensor(self.name, input), self.in_channels)
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                self.output_padding, 1, self.dilation)

    def extra_repr(self) -> str:
        return self._repr("".join(f", {what}={value}" for what, value in
                                  (("padding", self.padding),
                                   ("output_padding", self.output_padding))
                                  if value != (0, 0)))
