"""im2col / col2im: turning a convolution into one matrix product per image.

A 2-D convolution slides a (C, kh, kw) window over the padded input. ``im2col``
copies every window into a column, so the convolution becomes a matrix product
``W (O, C·kh·kw) @ cols (C·kh·kw, OH·OW)``; ``col2im`` is its adjoint: it adds
each column back onto the pixels it was copied from (used for dL/dx).

Output size along one axis (PyTorch's formula)::

    OH = ⌊(H + 2·ph − dh·(kh − 1) − 1) / sh⌋ + 1

Layout (row r of image n's column matrix, column l)::

    cols[n, (c·kh + i)·kw + j, oh·OW + ow] = x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw]

where ``x_pad`` is ``x`` with ``ph`` / ``pw`` zeros on each side. The loops run
over the valid output range of each kernel offset (no branch per element), so
for stride 1 the inner loop is a contiguous copy.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from minidl.kernels.cpu import _threads  # noqa: F401  (sets Numba's thread pool)
from minidl.kernels.slots import slot

Pair = tuple[int, int]


def conv_output_size(size: int, k: int, stride: int, pad: int, dilation: int) -> int:
    """⌊(size + 2·pad − dilation·(k − 1) − 1) / stride⌋ + 1 (may be ≤ 0 for a too-big kernel)."""
    return (size + 2 * pad - dilation * (k - 1) - 1) // stride + 1


@njit(cache=True, inline="always")
def _valid_range(offset: int, stride: int, size: int, out_size: int) -> tuple[int, int]:
    """Output positions o in [lo, hi) whose input index o·stride + offset lies in [0, size)."""
    lo = 0 if offset >= 0 else (-offset + stride - 1) // stride
    hi = 0 if size - offset <= 0 else (size - offset + stride - 1) // stride
    return lo, min(max(hi, lo), out_size)


@njit(cache=True, parallel=True)
def _im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, oh_size, ow_size):  # pragma: no cover - compiled
    n_img, chans, height, width = x.shape
    cols = np.empty((n_img, chans * kh * kw, oh_size * ow_size), x.dtype)
    for task in prange(n_img * chans):
        n, c = task // chans, task % chans
        for i in range(kh):
            off_h = i * dh - ph
            oh_lo, oh_hi = _valid_range(off_h, sh, height, oh_size)
            for j in range(kw):
                off_w = j * dw - pw
                ow_lo, ow_hi = _valid_range(off_w, sw, width, ow_size)
                row = cols[n, (c * kh + i) * kw + j]
                for oh in range(oh_size):
                    base = oh * ow_size
                    if oh < oh_lo or oh >= oh_hi:
                        row[base:base + ow_size] = 0
                        continue
                    src = x[n, c, oh * sh + off_h]
                    row[base:base + ow_lo] = 0
                    for ow in range(ow_lo, ow_hi):
                        row[base + ow] = src[ow * sw + off_w]
                    row[base + ow_hi:base + ow_size] = 0
    return cols


@njit(cache=True, parallel=True)
def _col2im(cols, n_img, chans, height, width, kh, kw, sh, sw, ph, pw, dh, dw,
            oh_size, ow_size):  # pragma: no cover - compiled
    out = np.zeros((n_img, chans, height, width), cols.dtype)
    for task in prange(n_img * chans):
        n, c = task // chans, task % chans
        for i in range(kh):
            off_h = i * dh - ph
            oh_lo, oh_hi = _valid_range(off_h, sh, height, oh_size)
            for j in range(kw):
                off_w = j * dw - pw
                ow_lo, ow_hi = _valid_range(off_w, sw, width, ow_size)
                row = cols[n, (c * kh + i) * kw + j]
                for oh in range(oh_lo, oh_hi):
                    dst = out[n, c, oh * sh + off_h]
                    base = oh * ow_size
                    for ow in range(ow_lo, ow_hi):
                        dst[ow * sw + off_w] += row[base + ow]
    return out


@slot
def im2col(
    x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair
) -> np.ndarray:
    """Unfold every (C, kh, kw) window of ``x`` into a column.

    x: (N, C, H, W). Returns cols: (N, C·kh·kw, OH·OW) with
    ``cols[n, (c·kh + i)·kw + j, oh·OW + ow] = x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw]``
    (zero where the window hangs over the padding). Reference version::

        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, :, i*dh : i*dh + sh*OH : sh, j*dw : j*dw + sw*OW : sw]
                cols[:, i*kw + j :: kh*kw, :] = patch.reshape(N, C, OH*OW)
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh = conv_output_size(x.shape[2], kh, sh, ph, dh)
    ow = conv_output_size(x.shape[3], kw, sw, pw, dw)
    return _im2col(np.ascontiguousarray(x), kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)


@slot
def col2im(
    cols: np.ndarray,
    input_shape: tuple[int, int, int, int],
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
) -> np.ndarray:
    """The adjoint of :func:`im2col`: add every column entry back onto its input pixel.

    cols: (N, C·kh·kw, OH·OW); input_shape: (N, C, H, W). Returns (N, C, H, W) with
    ``out[n, c, oh·sh + i·dh − ph, ow·sw + j·dw − pw] += cols[n, (c·kh + i)·kw + j, oh·OW + ow]``
    summed over all (i, j, oh, ow) that land inside the image (overlapping
    windows add up; entries that fell on the padding are dropped).
    """
    n, c, h, w = input_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh = conv_output_size(h, kh, sh, ph, dh)
    ow = conv_output_size(w, kw, sw, pw, dw)
    return _col2im(np.ascontiguousarray(cols), n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
