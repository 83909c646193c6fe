"""2-D pooling as differentiable ops (kernels in kernels/cpu/pool.py).

All take x (N, C, H, W) and pool each (H, W) plane on its own:

* ``max_pool2d``: y = max over each kh×kw window (padding never wins);
* ``avg_pool2d``: y = Σ window / (kh·kw), padding counted as zeros;
* ``adaptive_avg_pool2d``: the windows are chosen to give a fixed output size.

Output size of the windowed pools: OH = ⌊(H + 2·ph − kh) / sh⌋ + 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.autograd.function import Function, Node
from minidl.functional._checks import float_tensor
from minidl.functional.conv import Pair, as_pair, check_image_batch, check_output_size
from minidl.kernels.dispatch import kernels
from minidl.tensor import Tensor

K = kernels("pool")


class MaxPool2d(Function):
    @staticmethod
    def forward(ctx: Node, x, *, kernel_size, stride, padding):  # noqa: ANN001
        out, indices = K.max_pool2d_forward(x, kernel_size, stride, padding)
        ctx.save_for_backward(indices)
        ctx.input_shape = x.shape
        return out

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (indices,) = ctx.saved_tensors
        return K.max_pool2d_backward(grad, indices, ctx.input_shape)


class AvgPool2d(Function):
    @staticmethod
    def forward(ctx: Node, x, *, kernel_size, stride, padding):  # noqa: ANN001
        ctx.conf = (x.shape, kernel_size, stride, padding)
        return K.avg_pool2d_forward(x, kernel_size, stride, padding)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        return K.avg_pool2d_backward(grad, *ctx.conf)


class AdaptiveAvgPool2d(Function):
    @staticmethod
    def forward(ctx: Node, x, *, output_size):  # noqa: ANN001
        ctx.input_shape = x.shape
        return K.adaptive_avg_pool2d_forward(x, output_size)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        return K.adaptive_avg_pool2d_backward(grad, ctx.input_shape)


def _window_args(fn: str, x: Tensor, kernel_size: Any, stride: Any,
                 padding: Any) -> tuple[Pair, Pair, Pair]:
    """Validated (kernel, stride, padding) pairs; stride defaults to the kernel size."""
    k = as_pair(fn, "kernel_size", kernel_size, 1)
    s = k if stride is None or stride == [] else as_pair(fn, "stride", stride, 1)
    p = as_pair(fn, "padding", padding, 0)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{fn}: padding {p} must be at most half the kernel size {k}")
    check_image_batch(fn, x)
    check_output_size(fn, x.shape, k, s, p, (1, 1))
    return k, s, p


def max_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
) -> Tensor:
    """Max over each window. input (N, C, H, W) → (N, C, OH, OW); stride defaults to kernel_size."""
    x = float_tensor("max_pool2d", input)
    k, s, p = _window_args("max_pool2d", x, kernel_size, stride, padding)
    return MaxPool2d.apply(x, kernel_size=k, stride=s, padding=p)


def avg_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
) -> Tensor:
    """Mean over each window (padding counts as zeros). (N, C, H, W) → (N, C, OH, OW)."""
    x = float_tensor("avg_pool2d", input)
    k, s, p = _window_args("avg_pool2d", x, kernel_size, stride, padding)
    return AvgPool2d.apply(x, kernel_size=k, stride=s, padding=p)


def adaptive_avg_pool2d(input: Tensor, output_size: int | tuple[int | None, int | None]) -> Tensor:  # noqa: A002
    """Average pooling to a fixed (OH, OW) whatever H, W are (None keeps that size).

    Bin i of an axis of length S into O bins spans [⌊i·S/O⌋, ⌈(i+1)·S/O⌉).
    input (N, C, H, W) → (N, C, OH, OW); ``output_size=1`` is global average pooling.
    """
    fn = "adaptive_avg_pool2d"
    x = float_tensor(fn, input)
    check_image_batch(fn, x)
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(sizes) == 2:
        sizes = tuple(x.shape[2 + a] if sizes[a] is None else sizes[a] for a in (0, 1))
    out = as_pair(fn, "output_size", sizes, 1)
    return AdaptiveAvgPool2d.apply(x, output_size=out)
