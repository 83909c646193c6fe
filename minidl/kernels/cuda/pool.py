"""2-D pooling on the GPU: max (with indices), average and adaptive average.

The CUDA twins of :mod:`minidl.kernels.cpu.pool` (same windows, padding rules and tie/NaN
rules; see there). x is (N, C, H, W); a window at output (oh, ow) covers input rows
oh·sh − ph … oh·sh − ph + kh − 1 (and the same for columns).

- Forward passes: **one thread per output element** (grid-stride), looping over its window.
- Average-pool backward passes are gathers: **one thread per input pixel**, summing the
  gradients of the outputs whose windows contain it (rows oh with
  oh·sh − ph ≤ h < oh·sh − ph + kh, i.e. ⌈(h + ph − kh + 1)/sh⌉ ≤ oh ≤ ⌊(h + ph)/sh⌋).
- Max-pool backward knows only the indices of the maxima, not the windows, so it
  scatters: one thread per output element adds its gradient onto the winning pixel with
  ``cuda.atomic.add`` (overlapping windows may share a winner; the atomic makes the
  additions safe, in an unspecified order).
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from minidl.kernels.cpu.im2col import conv_output_size
from minidl.kernels.cuda.elementwise import empty, maximum, minimum, unravel4, zeros
from minidl.kernels.cuda.launch import grid_for


@cuda.jit
def _max_pool(x, out, idx, kh, kw, sh, sw, ph, pw):  # pragma: no cover - compiled
    n_img, chans, oh_size, ow_size = out.shape
    height, width = x.shape[2], x.shape[3]
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        n, c, oh, ow = unravel4(t, chans, oh_size, ow_size)
        i0 = maximum(oh * sh - ph, 0)
        j0 = maximum(ow * sw - pw, 0)
        best = x[n, c, i0, j0]
        arg = i0 * width + j0
        for i in range(i0, minimum(oh * sh - ph + kh, height)):
            for j in range(j0, minimum(ow * sw - pw + kw, width)):
                v = x[n, c, i, j]
                if (v > best or v != v) and best == best:  # the first NaN wins and stays
                    best = v
                    arg = i * width + j
        out[n, c, oh, ow] = best
        idx[n, c, oh, ow] = arg


@cuda.jit
def _max_pool_grad(grad, idx, out):  # pragma: no cover - compiled
    n_img, chans, oh_size, ow_size = grad.shape
    for t in range(cuda.grid(1), grad.size, cuda.gridsize(1)):
        n, c, oh, ow = unravel4(t, chans, oh_size, ow_size)
        cuda.atomic.add(out, (n, c, idx[n, c, oh, ow]), grad[n, c, oh, ow])


def max_pool2d_forward(x, kernel_size, stride, padding):
    """(y, indices), both (N, C, OH, OW): the window maxima and their flat positions h·W + w
    (int64) inside each (H, W) plane. Ties go to the first position; a NaN wins."""
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    n, c, h, w = x.shape
    shape = (n, c, conv_output_size(h, kh, sh, ph, 1), conv_output_size(w, kw, sw, pw, 1))
    out, idx = empty(shape, x.dtype), empty(shape, np.int64)
    if out.size:
        _max_pool[grid_for(out.size)](x, out, idx, kh, kw, sh, sw, ph, pw)
    return out, idx


def max_pool2d_backward(grad, indices, input_shape):
    """dL/dx (N, C, H, W): dx[n, c].flat[indices[n, c, oh, ow]] += grad[n, c, oh, ow]."""
    n, c, h, w = input_shape
    out = zeros((n, c, h * w), grad.dtype)
    if grad.size:
        _max_pool_grad[grid_for(grad.size)](grad, indices, out)
    return out.reshape(n, c, h, w)


@cuda.jit
def _avg_pool(x, out, kh, kw, sh, sw, ph, pw):  # pragma: no cover - compiled
    n_img, chans, oh_size, ow_size = out.shape
    height, width = x.shape[2], x.shape[3]
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        n, c, oh, ow = unravel4(t, chans, oh_size, ow_size)
        h0 = oh * sh - ph
        w0 = ow * sw - pw
        total = 0.0
        for i in range(maximum(h0, 0), minimum(h0 + kh, height)):
            for j in range(maximum(w0, 0), minimum(w0 + kw, width)):
                total += x[n, c, i, j]
        out[n, c, oh, ow] = total / (kh * kw)


@cuda.jit
def _avg_pool_grad(grad, out, kh, kw, sh, sw, ph, pw):  # pragma: no cover - compiled
    n_img, chans, height, width = out.shape
    oh_size, ow_size = grad.shape[2], grad.shape[3]
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        n, c, h, w = unravel4(t, chans, height, width)
        total = 0.0
        oh0, oh1 = maximum(0, (h + ph - kh + sh) // sh), minimum(oh_size, (h + ph) // sh + 1)
        ow0, ow1 = maximum(0, (w + pw - kw + sw) // sw), minimum(ow_size, (w + pw) // sw + 1)
        for oh in range(oh0, oh1):
            for ow in range(ow0, ow1):
                total += grad[n, c, oh, ow]
        out[n, c, h, w] = total / (kh * kw)


def avg_pool2d_forward(x, kernel_size, stride, padding):
    """y[n, c, oh, ow] = (1/(kh·kw)) Σ over the window of x_pad (padding counts as zeros)."""
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    n, c, h, w = x.shape
    out = empty((n, c, conv_output_size(h, kh, sh, ph, 1), conv_output_size(w, kw, sw, pw, 1)),
                x.dtype)
    if out.size:
        _avg_pool[grid_for(out.size)](x, out, kh, kw, sh, sw, ph, pw)
    return out


def avg_pool2d_backward(grad, input_shape, kernel_size, stride, padding):
    """dL/dx[n, c, h, w] = Σ over the windows containing (h, w) of grad / (kh·kw)."""
    out = empty(tuple(input_shape), grad.dtype)
    if out.size:
        _avg_pool_grad[grid_for(out.size)](grad, out, *kernel_size, *stride, *padding)
    return out


@cuda.jit(device=True)
def _bin(i, size, bins):  # pragma: no cover - compiled
    """[⌊i·size/bins⌋, ⌈(i+1)·size/bins⌉): bin i of an axis, PyTorch's adaptive windows."""
    return (i * size) // bins, ((i + 1) * size + bins - 1) // bins


@cuda.jit
def _adaptive_avg_pool(x, out):  # pragma: no cover - compiled
    n_img, chans, oh_size, ow_size = out.shape
    height, width = x.shape[2], x.shape[3]
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        n, c, oh, ow = unravel4(t, chans, oh_size, ow_size)
        h0, h1 = _bin(oh, height, oh_size)
        w0, w1 = _bin(ow, width, ow_size)
        total = 0.0
        for i in range(h0, h1):
            for j in range(w0, w1):
                total += x[n, c, i, j]
        out[n, c, oh, ow] = total / ((h1 - h0) * (w1 - w0))


@cuda.jit
def _adaptive_avg_pool_grad(grad, out):  # pragma: no cover - compiled
    n_img, chans, height, width = out.shape
    oh_size, ow_size = grad.shape[2], grad.shape[3]
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        n, c, h, w = unravel4(t, chans, height, width)
        total = 0.0
        for oh in range(oh_size):
            h0, h1 = _bin(oh, height, oh_size)
            if h0 <= h < h1:
                for ow in range(ow_size):
                    w0, w1 = _bin(ow, width, ow_size)
                    if w0 <= w < w1:
                        total += grad[n, c, oh, ow] / ((h1 - h0) * (w1 - w0))
        out[n, c, h, w] = total


def adaptive_avg_pool2d_forward(x, output_size):
    """y[n, c, i, j] = mean of x[n, c] over bin (i, j) (see :func:`_bin`); (N, C, *output_size)."""
    out = empty((x.shape[0], x.shape[1], *output_size), x.dtype)
    if out.size:
        _adaptive_avg_pool[grid_for(out.size)](x, out)
    return out


def adaptive_avg_pool2d_backward(grad, input_shape):
    """dL/dx[n, c, h, w] = Σ over the bins containing (h, w) of grad / area (thread per pixel,
    looping over the OH·OW bins: adaptive outputs are small)."""
    out = empty(tuple(input_shape), grad.dtype)
    if out.size:
        _adaptive_avg_pool_grad[grid_for(out.size)](grad, out)
    return out

