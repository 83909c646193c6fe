"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``."""

from __future__ import annotations

from minidl.functional.conv import as_pair
from minidl.functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from minidl.nn.module import Module
from minidl.tensor import Tensor

Pair = tuple[int, int]


class _WindowPool2d(Module):
    """Shared constructor and repr of the pools with a sliding kh×kw window."""

    def __init__(
        self, kernel_size: int | Pair, stride: int | Pair | None = None, padding: int | Pair = 0
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        as_pair(name, "kernel_size", kernel_size, 1)  # fail at construction, not first call
        as_pair(name, "stride", self.stride, 1)
        as_pair(name, "padding", padding, 0)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_WindowPool2d):
    """Max over each window: (N, C, H, W) → (N, C, OH, OW), OH = ⌊(H + 2·ph − kh) / sh⌋ + 1.

    ``stride`` defaults to ``kernel_size`` (non-overlapping windows).
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return max_pool2d(input, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_WindowPool2d):
    """Mean over each window, padding counted as zeros: (N, C, H, W) → (N, C, OH, OW)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size: (N, C, H, W) → (N, C, *output_size).

    ``AdaptiveAvgPool2d(1)`` is global average pooling.
    """

    def __init__(self, output_size: int | tuple[int | None, int | None]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
