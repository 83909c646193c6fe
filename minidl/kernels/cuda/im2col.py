"""im2col / col2im on the GPU: turning a convolution into matrix products.

The CUDA twins of :mod:`minidl.kernels.cpu.im2col` (see there for the layouts and the
output-size formula, which is re-exported). Both directions are written as gathers, so no
two threads ever write the same element:

- :func:`unfold`: **one thread per column entry** cols[r, n, l] (grid-stride), with
  r = (c·kh + i)·kw + j and l = oh·OW + ow; it reads
  x[n, c, oh·sh − ph + i·dh, ow·sw − pw + j·dw], or writes 0 where that is padding.
- :func:`fold`: **one thread per input pixel** out[n, c, h, w]: it sums every column entry
  that was copied from (h, w), i.e. the (i, j) for which h + ph − i·dh is a multiple of sh
  giving an oh in [0, OH) (and the same for w). Where the CPU kernel scatters with +=, the
  gather needs no atomics and gives the same sums.
"""

from __future__ import annotations

from numba import cuda

from minidl.kernels.cpu.im2col import Pair, conv_output_size
from minidl.kernels.cuda.elementwise import empty, swap_middle, unravel4
from minidl.kernels.cuda.launch import grid_for

__all__ = ["Pair", "conv_output_size", "unfold", "fold", "im2col", "col2im"]


@cuda.jit
def _unfold(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, ow_size):  # pragma: no cover
    _, n_img, pixels = cols.shape
    height, width = x.shape[2], x.shape[3]
    for t in range(cuda.grid(1), cols.size, cuda.gridsize(1)):
        l = t % pixels
        n = (t // pixels) % n_img
        r = t // (pixels * n_img)
        j = r % kw
        i = (r // kw) % kh
        c = r // (kw * kh)
        h = (l // ow_size) * sh - ph + i * dh
        w = (l % ow_size) * sw - pw + j * dw
        inside = 0 <= h < height and 0 <= w < width
        cols[r, n, l] = x[n, c, h, w] if inside else 0.0


@cuda.jit
def _fold(cols, out, kh, kw, sh, sw, ph, pw, dh, dw, oh_size, ow_size):  # pragma: no cover
    n_img, chans, height, width = out.shape
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        n, c, h, w = unravel4(t, chans, height, width)
        total = 0.0
        for i in range(kh):
            hh = h + ph - i * dh
            if hh < 0 or hh % sh != 0 or hh // sh >= oh_size:
                continue
            for j in range(kw):
                ww = w + pw - j * dw
                if ww < 0 or ww % sw != 0 or ww // sw >= ow_size:
                    continue
                total += cols[(c * kh + i) * kw + j, n, (hh // sh) * ow_size + ww // sw]
        out[n, c, h, w] = total


def unfold(x, cols, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair,
           out_size: Pair):
    """Write im2col of x (N, C, H, W) into ``cols`` indexed [C·kh·kw, N, OH·OW]; returns cols."""
    if cols.size:
        _unfold[grid_for(cols.size)](x, cols, *kernel_size, *stride, *padding, *dilation,
                                     out_size[1])
    return cols


def fold(cols, out, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair,
         out_size: Pair):
    """Write col2im of ``cols`` indexed [C·kh·kw, N, OH·OW] into out (N, C, H, W); returns out."""
    if out.size:
        _fold[grid_for(out.size)](cols, out, *kernel_size, *stride, *padding, *dilation,
                                  *out_size)
    return out


def _out_size(shape, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Pair:
    return tuple(conv_output_size(shape[2 + a], kernel_size[a], stride[a], padding[a],
                                  dilation[a]) for a in (0, 1))


def im2col(x, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair):
    """Unfold every (C, kh, kw) window of x (N, C, H, W) into a column: (N, C·kh·kw, OH·OW)."""
    n, c = x.shape[0], x.shape[1]
    oh, ow = _out_size(x.shape, kernel_size, stride, padding, dilation)
    rows, pixels = c * kernel_size[0] * kernel_size[1], max(oh, 0) * max(ow, 0)
    cols = unfold(x, empty((rows, n, pixels), x.dtype), kernel_size, stride, padding,
                  dilation, (oh, ow))
    return swap_middle(cols, 1, rows, n, pixels).reshape(n, rows, pixels)


def col2im(cols, input_shape, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair):
    """The adjoint of :func:`im2col`: cols (N, C·kh·kw, OH·OW) → (N, C, H, W) = input_shape."""
    n, rows, pixels = cols.shape
    batch_major = swap_middle(cols, 1, n, rows, pixels).reshape(rows, n, pixels)
    return fold(batch_major, empty(tuple(input_shape), cols.dtype), kernel_size, stride,
                padding, dilation, _out_size(input_shape, kernel_size, stride, padding, dilation))
