"""Resizing image batches: ``interpolate(x, size=None, scale_factor=None, mode="nearest")``.

Nearest-neighbour only (what DCGAN-style generators use as an alternative to transposed
convolutions): output pixel (oh, ow) copies input pixel (⌊oh·H/OH⌋, ⌊ow·W/OW⌋), so
``scale_factor=2`` repeats every pixel in a 2 × 2 block. Kernels in
kernels/cpu/upsample.py.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minidl.autograd.function import Function, Node
from minidl.errors import ShapeError, fmt_shape
from minidl.functional._checks import float_tensor
from minidl.functional.conv import check_image_batch
from minidl.kernels.dispatch import kernels
from minidl.tensor import Tensor

K = kernels("upsample")


class UpsampleNearest2d(Function):
    """``UpsampleNearest2d.apply(x, src_h=, src_w=)``: gather rows src_h, columns src_w."""

    @staticmethod
    def forward(ctx: Node, x, *, src_h, src_w):  # noqa: ANN001
        ctx.input_shape, ctx.src = x.shape, (src_h, src_w)
        return K.upsample_nearest2d_forward(x, src_h, src_w)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        return K.upsample_nearest2d_backward(grad, ctx.input_shape, *ctx.src)


def _two(name: str, what: str, value: Any, kind: type) -> tuple[Any, Any]:
    pair = (value, value) if not isinstance(value, (tuple, list)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (kind, np.integer)) and not isinstance(v, bool)
                                 and v > 0 for v in pair):
        raise ValueError(f"{name}: {what} must be a positive number or a pair of them, "
                         f"got {value!r}")
    return pair  # type: ignore[return-value]


def interpolate(
    input: Tensor,  # noqa: A002
    size: int | tuple[int, int] | None = None,
    scale_factor: float | tuple[float, float] | None = None,
    mode: str = "nearest",
) -> Tensor:
    """Resize (N, C, H, W) to (N, C, OH, OW), given ``size`` (OH, OW) or ``scale_factor``
    (OH = ⌊H·scale⌋); ``mode`` must be "nearest"."""
    name = "interpolate"
    x = float_tensor(name, input)
    check_image_batch(f"{name}(mode={mode!r})", x)
    if mode != "nearest":
        raise ValueError(f"{name}: only mode='nearest' is supported, got mode={mode!r}")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{name}: give exactly one of size and scale_factor, got size={size!r}, "
                         f"scale_factor={scale_factor!r}")
    hw = x.shape[2:]
    if size is not None:
        out = _two(name, "size", size, int)
        scales = [hw[a] / out[a] for a in (0, 1)]
    else:
        factors = _two(name, "scale_factor", scale_factor, (int, float))
        out = tuple(math.floor(hw[a] * factors[a]) for a in (0, 1))
        scales = [1 / f for f in factors]
        if min(out) < 1:
            raise ShapeError(f"{name}: scale_factor {scale_factor!r} turns input "
                             f"{fmt_shape(x.shape)} into an empty image {fmt_shape(out)}")
    src_h, src_w = (K.nearest_indices(hw[a], out[a], scales[a]) for a in (0, 1))
    return UpsampleNearest2d.apply(x, src_h=src_h, src_w=src_w)
