"""2-D convolution and transposed convolution as differentiable ops (kernels in
kernels/cpu/conv.py and conv_transpose.py).

``conv2d(x, W, b)`` computes, for x (N, C, H, W) and W (O, C, kh, kw)::

    y[n, o, oh, ow] = b[o] + Σ_{c,i,j} W[o, c, i, j] · x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw]

(a cross-correlation, as in PyTorch), giving y (N, O, OH, OW) with
OH = ⌊(H + 2·ph − dh·(kh − 1) − 1) / sh⌋ + 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.autograd.function import Function, Node
from minidl.autograd.grad_mode import is_grad_enabled
from minidl.errors import DTypeError, ShapeError, fmt_shape
from minidl.functional._checks import float_tensor
from minidl.kernels.cpu.conv_transpose import conv_transpose_output_size
from minidl.kernels.cpu.im2col import conv_output_size
from minidl.kernels.dispatch import kernels
from minidl.tensor import Tensor

K = kernels("conv")
KT = kernels("conv_transpose")

Pair = tuple[int, int]


def as_pair(fn: str, name: str, value: Any, minimum: int) -> Pair:
    """``3`` → ``(3, 3)``; ``(3, 5)`` stays; each entry an int ≥ ``minimum``."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum
        for v in pair
    ):
        raise ValueError(
            f"{fn}: {name} must be an int ≥ {minimum} or a pair of them, got {value!r}"
        )
    return int(pair[0]), int(pair[1])


def kernel_label(kernel: Pair) -> str:
    """``3`` for a square kernel, ``(3, 5)`` otherwise (used in layer names)."""
    return str(kernel[0]) if kernel[0] == kernel[1] else f"({kernel[0]}, {kernel[1]})"


def check_image_batch(name: str, x: Tensor, channels: int | None = None) -> None:
    """Raise ShapeError unless ``x`` is (N, channels, H, W); ``name`` heads the message."""
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        c = "C" if channels is None else str(channels)
        raise ShapeError(f"{name}: expected input (N, {c}, H, W), got {fmt_shape(x.shape)}")


def check_output_size(name: str, x_shape: tuple[int, ...], kernel: Pair, stride: Pair,
                      padding: Pair, dilation: Pair) -> Pair:
    """(OH, OW), or a ShapeError when the (dilated) kernel is bigger than the padded input."""
    out = tuple(
        conv_output_size(x_shape[2 + a], kernel[a], stride[a], padding[a], dilation[a])
        for a in (0, 1)
    )
    if min(out) < 1:
        span = tuple(dilation[a] * (kernel[a] - 1) + 1 for a in (0, 1))
        padded = tuple(x_shape[2 + a] + 2 * padding[a] for a in (0, 1))
        raise ShapeError(
            f"{name}: the kernel spans {fmt_shape(span)} but the padded input is only "
            f"{fmt_shape(padded)} (input {fmt_shape(x_shape)}, padding {padding}); the output "
            "would be empty"
        )
    return out  # type: ignore[return-value]


def _checked_operands(fn: str, input: Any, weight: Any, bias: Any,  # noqa: A002
                      transposed: bool) -> tuple[Tensor, Tensor, str]:
    """The checks conv2d and conv_transpose2d share: float tensors, a 4-D weight
    ((O, C, kh, kw), or (in, out, kh, kw) if ``transposed``), input (N, in, H, W),
    bias (out,), one dtype. Returns (input, weight, name) with the name that heads the
    op's error messages, e.g. ``conv2d(3→16, k=5)``."""
    x = float_tensor(fn, input)
    w = float_tensor(fn, weight, "weight")
    if w.ndim != 4:
        layout = "(in, out, kh, kw)" if transposed else "(O, C, kh, kw)"
        raise ShapeError(f"{fn}: expected weight {layout}, got {fmt_shape(w.shape)}")
    c, o = w.shape[:2] if transposed else w.shape[1::-1]
    name = f"{fn}({c}→{o}, k={kernel_label(w.shape[2:])})"
    check_image_batch(name, x, c)
    if bias is not None:
        float_tensor(fn, bias, "bias")
        if bias.shape != (o,):
            raise ShapeError(f"{name}: expected bias ({o},), got {fmt_shape(bias.shape)}")
    dtypes = {t.dtype for t in (x, w, bias) if t is not None}
    if len(dtypes) > 1:
        raise DTypeError(f"{name}: input, weight and bias must share a dtype, got "
                         f"{', '.join(sorted(str(d) for d in dtypes))}")
    return x, w, name


class Conv2d(Function):
    """``Conv2d.apply(x, weight, bias_or_None, stride=, padding=, dilation=, extra=)``.

    ``extra`` = (bottom, right) zeros added beyond the symmetric ``padding`` (for an
    odd total "same" padding, which PyTorch also puts on the bottom/right).
    """

    @staticmethod
    def forward(ctx: Node, x, weight, bias, *, stride, padding, dilation, extra=(0, 0)):  # noqa: ANN001
        ctx.input_hw = x.shape[2:]
        if extra != (0, 0):
            x = np.pad(x, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
        ctx.save_for_backward(x, weight)
        ctx.conf = (stride, padding, dilation)
        ctx.has_bias = bias is not None
        ctx.workspace = {} if is_grad_enabled() and ctx.needs_input_grad[1] else None
        return K.conv2d_forward(x, weight, bias, stride, padding, dilation,
                                workspace=ctx.workspace)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        x, weight = ctx.saved_tensors
        grad_x, grad_w, grad_b = K.conv2d_backward(
            grad, x, weight, *ctx.conf, ctx.has_bias,
            needs_input_grad=ctx.needs_input_grad[0], workspace=ctx.workspace)
        if not ctx.needs_input_grad[0]:
            return None, grad_w, grad_b
        h, w = ctx.input_hw
        return grad_x[:, :, :h, :w], grad_w, grad_b


def _resolve_padding(fn: str, padding: Any, stride: Pair, kernel: Pair,
                     dilation: Pair) -> tuple[Pair, Pair]:
    """Symmetric padding and the extra (bottom, right) zeros for "same"/"valid"/ints."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ValueError(f"{fn}: padding must be 'same', 'valid', an int or a pair, "
                             f"got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"{fn}: padding='same' needs stride 1, got stride {stride}")
        total = tuple(dilation[a] * (kernel[a] - 1) for a in (0, 1))
        return (total[0] // 2, total[1] // 2), (total[0] % 2, total[1] % 2)
    return as_pair(fn, "padding", padding, 0), (0, 0)


def conv2d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Pair = 1,
    padding: int | Pair | str = 0,
    dilation: int | Pair = 1,
) -> Tensor:
    """2-D convolution (see the module docstring).

    input: (N, C, H, W)   weight: (O, C, kh, kw)   bias: (O,) or None   →   (N, O, OH, OW).
    ``padding`` may also be "valid" (0) or "same" (output size = input size; stride 1).
    """
    x, w, name = _checked_operands("conv2d", input, weight, bias, transposed=False)
    kh, kw = w.shape[2:]
    stride_ = as_pair(name, "stride", stride, 1)
    dilation_ = as_pair(name, "dilation", dilation, 1)
    pad, extra = _resolve_padding(name, padding, stride_, (kh, kw), dilation_)
    padded_shape = x.shape[:2] + (x.shape[2] + extra[0], x.shape[3] + extra[1])
    check_output_size(name, padded_shape, (kh, kw), stride_, pad, dilation_)
    return Conv2d.apply(x, w, bias, stride=stride_, padding=pad, dilation=dilation_, extra=extra)


class ConvTranspose2d(Function):
    """``ConvTranspose2d.apply(x, weight, bias_or_None, stride=, padding=, output_padding=,
    dilation=)``; kernels in kernels/cpu/conv_transpose.py (the convolution's dL/dx path)."""

    @staticmethod
    def forward(ctx: Node, x, weight, bias, *, stride, padding, output_padding, dilation):  # noqa: ANN001
        ctx.save_for_backward(x, weight)
        ctx.conf = (stride, padding, dilation)
        ctx.has_bias = bias is not None
        return KT.conv_transpose2d_forward(x, weight, bias, stride, padding, output_padding,
                                           dilation)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        x, weight = ctx.saved_tensors
        return KT.conv_transpose2d_backward(grad, x, weight, *ctx.conf, ctx.has_bias,
                                            needs_input_grad=ctx.needs_input_grad[0])


def check_output_padding(name: str, output_padding: Pair, stride: Pair, dilation: Pair) -> None:
    """PyTorch's rule: output_padding must be smaller than the stride or the dilation."""
    for a, axis in ((0, "H"), (1, "W")):
        if output_padding[a] >= max(stride[a], dilation[a]):
            raise ValueError(
                f"{name}: output_padding must be smaller than stride or dilation, got "
                f"output_padding {output_padding[a]} along {axis} with stride {stride[a]} and "
                f"dilation {dilation[a]}")


def conv_transpose2d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Pair = 1,
    padding: int | Pair = 0,
    output_padding: int | Pair = 0,
    groups: int = 1,
    dilation: int | Pair = 1,
) -> Tensor:
    """2-D transposed convolution, the input-gradient of :func:`conv2d` run forwards.

    input: (N, in, H, W)   weight: (in, out, kh, kw)   bias: (out,) or None
    →   (N, out, OH, OW),  OH = (H − 1)·sh − 2·ph + dh·(kh − 1) + output_padding_h + 1.

    Every input pixel x[n, c, h, w] adds x·W[c, :, :, :] onto the output window whose top-left
    corner is (h·sh − ph, w·sw − pw) (taps dh/dw apart). ``groups`` must be 1.
    """
    x, w, name = _checked_operands("conv_transpose2d", input, weight, bias, transposed=True)
    if groups != 1:
        raise ValueError(f"{name}: only groups=1 is supported, got groups={groups!r}")
    kh, kw = w.shape[2:]
    stride_ = as_pair(name, "stride", stride, 1)
    padding_ = as_pair(name, "padding", padding, 0)
    output_padding_ = as_pair(name, "output_padding", output_padding, 0)
    dilation_ = as_pair(name, "dilation", dilation, 1)
    check_output_padding(name, output_padding_, stride_, dilation_)
    out = tuple(conv_transpose_output_size(x.shape[2 + a], (kh, kw)[a], stride_[a], padding_[a],
                                           output_padding_[a], dilation_[a]) for a in (0, 1))
    if min(out) < 1:
        raise ShapeError(f"{name}: input {fmt_shape(x.shape)} with padding {padding_} gives an "
                         f"empty output {fmt_shape(out)}; use less padding")
    return ConvTranspose2d.apply(x, w, bias, stride=stride_, padding=padding_,
                                 output_padding=output_padding_, dilation=dilation_)
