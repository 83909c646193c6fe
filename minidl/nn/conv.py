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


class Conv2d(Module):
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
        super().__init__()
        for what, n in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"Conv2d: {what} must be an int >= 1, got {n!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = as_pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride = as_pair("Conv2d", "stride", stride, 1)
        self.padding = padding if isinstance(padding, str) else as_pair(
            "Conv2d", "padding", padding, 0)
        self.dilation = as_pair("Conv2d", "dilation", dilation, 1)
        dtype = np.dtype(dtype or float32)
        self.weight = Parameter(np.zeros((self.out_channels, self.in_channels)
                                         + self.kernel_size, dtype))
        if bias:
            self.bias = Parameter(np.zeros((self.out_channels,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """W, b ~ U(−1/√fan_in, 1/√fan_in) (kaiming_uniform_ with a = √5, as PyTorch)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.weight[0].numel())
            init.uniform_(self.bias, -bound, bound)

    @property
    def name(self) -> str:
        """``Conv2d(3→16, k=3)``, the head of this layer's error messages."""
        k = kernel_label(self.kernel_size)
        return f"Conv2d({self.in_channels}→{self.out_channels}, k={k})"

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        check_image_batch(self.name, float_tensor(self.name, input), self.in_channels)
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding not in ((0, 0), "valid"):
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else (
                f", padding={self.padding}")
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        return s


class ConvTranspose2d(Module):
    """2-D transposed convolution: y = conv_transpose2d(x, W) + b (see
    :func:`minidl.functional.conv_transpose2d`), the layer generators use to upsample.

    input (N, in_channels, H, W) → output (N, out_channels, OH, OW),
    OH = (H − 1)·sh − 2·ph + dh·(kh − 1) + output_padding_h + 1.
    weight: (in_channels, out_channels, kh, kw) (PyTorch's layout, the transpose of a
    Conv2d's), bias: (out_channels,), both U(−1/√fan_in, 1/√fan_in) with
    fan_in = out_channels·kh·kw, as PyTorch computes it from this weight's dimension 1.
    Only ``groups=1``.
    """

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
        super().__init__()
        for what, n in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"ConvTranspose2d: {what} must be an int >= 1, got {n!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = as_pair("ConvTranspose2d", "kernel_size", kernel_size, 1)
        if groups != 1:
            raise ValueError(f"{self.name}: only groups=1 is supported, got groups={groups!r}")
        self.stride = as_pair(self.name, "stride", stride, 1)
        self.padding = as_pair(self.name, "padding", padding, 0)
        self.output_padding = as_pair(self.name, "output_padding", output_padding, 0)
        self.dilation = as_pair(self.name, "dilation", dilation, 1)
        check_output_padding(self.name, self.output_padding, self.stride, self.dilation)
        dtype = np.dtype(dtype or float32)
        self.weight = Parameter(np.zeros((self.in_channels, self.out_channels)
                                         + self.kernel_size, dtype))
        if bias:
            self.bias = Parameter(np.zeros((self.out_channels,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """W, b ~ U(−1/√fan_in, 1/√fan_in), fan_in = weight.shape[1]·kh·kw (as PyTorch)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.weight[0].numel())
            init.uniform_(self.bias, -bound, bound)

    @property
    def name(self) -> str:
        """``ConvTranspose2d(128→64, k=4)``, the head of this layer's error messages."""
        k = kernel_label(self.kernel_size)
        return f"ConvTranspose2d({self.in_channels}→{self.out_channels}, k={k})"

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        check_image_batch(self.name, float_tensor(self.name, input), self.in_channels)
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                self.output_padding, 1, self.dilation)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        for what, value in (("padding", self.padding), ("output_padding", self.output_padding)):
            if value != (0, 0):
                s += f", {what}={value}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        return s
