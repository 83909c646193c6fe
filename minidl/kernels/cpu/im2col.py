"""im2col / col2im: turning a convolution into matrix products.

A 2-D convolution slides a (C, kh, kw) window over the padded input. ``im2col``
copies every window into a column, so the convolution becomes a matrix product
``W (O, C·kh·kw) @ cols (C·kh·kw, OH·OW)``; ``col2im`` is its adjoint: it adds
each column back onto the pixels it was copied from (used for dL/dx).

Output size along one axis (PyTorch's formula)::

    OH = ⌊(H + 2·ph − dh·(kh − 1) − 1) / sh⌋ + 1

Layout (row r of image n's column matrix, column l)::

    cols[n, (c·kh + i)·kw + j, oh·OW + ow] = x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw]

where ``x_pad`` is ``x`` with ``ph`` / ``pw`` zeros on each side. The compiled
kernels (:func:`unfold`, :func:`fold`) use a batch-major layout instead, a C-contiguous
(C·kh·kw, N, OH·OW) buffer indexed ``cols[r, n, l]``: that is one (C·kh·kw, N·OH·OW)
matrix for a whole batch, so the convolution needs one large GEMM instead of N small
ones (the slots transpose to and from the per-image layout above). Each (image,
channel) task first copies its plane into a zero-padded scratch plane, so the copy
loops need no bounds tests (measured 2–3× faster than clipping each row to its valid
range), and for stride 1 the inner loop is a contiguous, vectorised copy.
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
def _padded_plane(x, n, c, ph, pw):  # pragma: no cover - compiled
    """x_pad[n, c] flattened, plus one spare zero row for the wide layout's last rows."""
    height, width = x.shape[2], x.shape[3]
    wp = width + 2 * pw
    plane = np.zeros((height + 2 * ph + 1) * wp, x.dtype)
    for h in range(height):
        plane[(h + ph) * wp + pw:(h + ph) * wp + pw + width] = x[n, c, h]
    return plane


@njit(cache=True, parallel=True, boundscheck=False)
def _unfold(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh_size, row):  # pragma: no cover
    """cols[(c·kh + i)·kw + j, n, oh·row + ow] = x_pad[n, c].flat[(oh·sh + i·dh)·Wp + ow·sw + j·dw]
    (the flat index runs into the next padded row where ow·sw + j·dw ≥ Wp).
    Wp = W + 2·pw; with row = OW that is im2col, with row = Wp the wide layout of unfold.
    """
    n_img, chans = x.shape[0], x.shape[1]
    wp = x.shape[3] + 2 * pw
    for task in prange(n_img * chans):
        n, c = task // chans, task % chans
        plane = _padded_plane(x, n, c, ph, pw)
        for i in range(kh):
            for j in range(kw):
                r, start = (c * kh + i) * kw + j, i * dh * wp + j * dw
                if sh == 1 and sw == 1 and row == wp:  # wide layout: one contiguous copy
                    for q in range(oh_size * wp):
                        cols[r, n, q] = plane[start + q]
                    continue
                for oh in range(oh_size):
                    src, base = start + oh * sh * wp, oh * row
                    if sw == 1:  # contiguous: the compiler vectorises this copy
                        for ow in range(row):
                            cols[r, n, base + ow] = plane[src + ow]
                    else:
                        for ow in range(row):
                            cols[r, n, base + ow] = plane[src + ow * sw]


@njit(cache=True, parallel=True, boundscheck=False)
def _fold(cols, out, kh, kw, sh, sw, ph, pw, dh, dw, oh_size, row):  # pragma: no cover
    """The adjoint of _unfold: out[n, c] = the interior of Σ of cols scattered onto x_pad[n, c]."""
    n_img, chans, height, width = out.shape
    wp = width + 2 * pw
    for task in prange(n_img * chans):
        n, c = task // chans, task % chans
        plane = np.zeros((height + 2 * ph + 1) * wp, cols.dtype)  # dL/dx_pad[n, c], flattened
        for i in range(kh):
            for j in range(kw):
                r, start = (c * kh + i) * kw + j, i * dh * wp + j * dw
                if sh == 1 and sw == 1 and row == wp:
                    for q in range(oh_size * wp):
                        plane[start + q] += cols[r, n, q]
                    continue
                for oh in range(oh_size):
                    dst, base = start + oh * sh * wp, oh * row
                    if sw == 1:
                        for ow in range(row):
                            plane[dst + ow] += cols[r, n, base + ow]
                    else:
                        for ow in range(row):
                            plane[dst + ow * sw] += cols[r, n, base + ow]
        for h in range(height):
            out[n, c, h] = plane[(h + ph) * wp + pw:(h + ph) * wp + pw + width]


def unfold(x: np.ndarray, cols: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair,
           dilation: Pair, out_height: int, row: int) -> np.ndarray:
    """Write im2col of x (N, C, H, W) into ``cols`` (C·kh·kw, N, OH·row); returns cols.

    ``row`` is OW (the layout of the module docstring) or, for stride (1, 1) only, the
    padded width W + 2·pw ("wide" layout: each kernel offset is then one contiguous copy;
    columns ow ≥ OW of each output row are junk that the caller drops).
    """
    _unfold(np.ascontiguousarray(x), cols, *kernel_size, *stride, *padding, *dilation,
            out_height, row)
    return cols


def fold(cols: np.ndarray, out: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair,
         dilation: Pair, out_height: int, row: int) -> np.ndarray:
    """Write col2im of ``cols`` (C·kh·kw, N, OH·row) into out (N, C, H, W); returns out.

    The adjoint of :func:`unfold` with the same ``row``; in the wide layout the junk
    columns of ``cols`` must be zero.
    """
    _fold(cols, out, *kernel_size, *stride, *padding, *dilation, out_height, row)
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
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh = conv_output_size(h, kh, sh, ph, dh)
    ow = conv_output_size(w, kw, sw, pw, dw)
    oh, ow = max(oh, 0), max(ow, 0)
    cols = np.empty((c * kh * kw, n, oh * ow), x.dtype)
    unfold(x, cols, kernel_size, stride, padding, dilation, oh, ow)
    return np.ascontiguousarray(cols.transpose(1, 0, 2))


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
    out = np.empty(input_shape, cols.dtype)
    oh, ow = (max(conv_output_size(input_shape[2 + a], kernel_size[a], stride[a], padding[a],
                                   dilation[a]), 0) for a in (0, 1))
    cols = np.ascontiguousarray(cols.transpose(1, 0, 2))
    return fold(cols, out, kernel_size, stride, padding, dilation, oh, ow)
