"""2-D pooling: max, average and adaptive average, forward and backward.

All work on x (N, C, H, W), one (n, c) plane at a time, on one thread: compiled with
Numba's ``parallel=True`` the max-pool kernels measured 2–7× slower on LeNet's activations
(starting the thread pool costs more than a pass over a megabyte) and no faster on
64×64×28² (backward 2× slower). A window at output (oh, ow) covers input rows
oh·sh − ph … oh·sh − ph + kh − 1 (and the same for columns); positions on the padding are
skipped by max pooling and count as zeros for average pooling (``count_include_pad=True``).
Output size: OH = ⌊(H + 2·ph − kh) / sh⌋ + 1.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from minidl.kernels.cpu.im2col import Pair, conv_output_size
from minidl.kernels.slots import slot


@njit(cache=True)
def _first_nan(plane, i0, i1, j0, j1):  # pragma: no cover - compiled
    """Flat index h·W + w of the first NaN in plane[i0:i1, j0:j1] (row-major), or -1."""
    for i in range(i0, i1):
        for j in range(j0, j1):
            if plane[i, j] != plane[i, j]:
                return i * plane.shape[1] + j
    return -1


@njit(cache=True, inline="always")
def _keep_larger(v, at, best, arg):  # pragma: no cover - compiled
    """(v, at) if v > best else (best, arg), written as selects: no branch to mispredict."""
    larger = v > best
    return (v if larger else best), (at if larger else arg)


# Max pooling compares data that is as good as random, so an ``if v > best:`` branch is
# mispredicted about half the time: the first version of this kernel spent ~18 ns per
# output on that. The kernels below pick with selects, collect "saw a NaN" with a
# bitwise OR and only then (rarely) look for the winning NaN; the 2×2, stride-2 case
# (LeNet, VGG) is unrolled. Measured on a (64, 6, 28, 28) batch, one thread:
# 1.43 ms → 0.63 ms (general) and 0.11 ms (2×2).
@njit(cache=True)
def _max_pool(x, kh, kw, sh, sw, ph, pw, oh_size, ow_size):  # pragma: no cover - compiled
    n_img, chans, height, width = x.shape
    out = np.empty((n_img, chans, oh_size, ow_size), x.dtype)
    idx = np.empty((n_img, chans, oh_size, ow_size), np.int64)
    for n in range(n_img):
        for c in range(chans):
            plane = x[n, c]
            for oh in range(oh_size):
                i0, i1 = max(oh * sh - ph, 0), min(oh * sh - ph + kh, height)
                for ow in range(ow_size):
                    j0, j1 = max(ow * sw - pw, 0), min(ow * sw - pw + kw, width)
                    best, arg, nan = plane[i0, j0], i0 * width + j0, False
                    for i in range(i0, i1):
                        for j in range(j0, j1):
                            v = plane[i, j]
                            best, arg = _keep_larger(v, i * width + j, best, arg)
                            nan |= v != v
                    if nan:
                        arg = _first_nan(plane, i0, i1, j0, j1)
                        best = plane[arg // width, arg % width]
                    out[n, c, oh, ow] = best
                    idx[n, c, oh, ow] = arg
    return out, idx


@njit(cache=True)
def _max_pool_2x2(x):  # pragma: no cover - compiled
    """_max_pool for kernel 2, stride 2, no padding, with the window unrolled."""
    n_img, chans, height, width = x.shape
    oh_size, ow_size = height // 2, width // 2
    out = np.empty((n_img, chans, oh_size, ow_size), x.dtype)
    idx = np.empty((n_img, chans, oh_size, ow_size), np.int64)
    for n in range(n_img):
        for c in range(chans):
            plane = x[n, c]
            for oh in range(oh_size):
                h = 2 * oh
                for ow in range(ow_size):
                    w = 2 * ow
                    a, b, d, e = plane[h, w], plane[h, w + 1], plane[h + 1, w], plane[h + 1, w + 1]
                    top = h * width + w
                    best, arg = _keep_larger(b, top + 1, a, top)
                    best, arg = _keep_larger(d, top + width, best, arg)
                    best, arg = _keep_larger(e, top + width + 1, best, arg)
                    if (a != a) | (b != b) | (d != d) | (e != e):
                        arg = _first_nan(plane, h, h + 2, w, w + 2)
                        best = plane[arg // width, arg % width]
                    out[n, c, oh, ow] = best
                    idx[n, c, oh, ow] = arg
    return out, idx


@njit(cache=True)
def _max_pool_backward(grad, idx, height, width):  # pragma: no cover - compiled
    n_img, chans, oh_size, ow_size = grad.shape
    out = np.zeros((n_img, chans, height * width), grad.dtype)
    for n in range(n_img):
        for c in range(chans):
            for oh in range(oh_size):
                for ow in range(ow_size):
                    out[n, c, idx[n, c, oh, ow]] += grad[n, c, oh, ow]
    return out.reshape(n_img, chans, height, width)


@slot
def max_pool2d_forward(
    x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair
) -> tuple[np.ndarray, np.ndarray]:
    """y[n, c, oh, ow] = max over the window of x[n, c, ·, ·] (padding never wins).

    x: (N, C, H, W). Returns (y, indices), both (N, C, OH, OW); ``indices`` (int64)
    holds the flat position ``h·W + w`` of each maximum inside its (H, W) plane,
    like PyTorch's ``return_indices=True``. Ties go to the first position in
    row-major order; a NaN in the window wins.
    """
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    if (kh, kw, sh, sw, ph, pw) == (2, 2, 2, 2, 0, 0):
        return _max_pool_2x2(np.ascontiguousarray(x))
    oh = conv_output_size(x.shape[2], kh, sh, ph, 1)
    ow = conv_output_size(x.shape[3], kw, sw, pw, 1)
    return _max_pool(x, kh, kw, sh, sw, ph, pw, oh, ow)


@slot
def max_pool2d_backward(
    grad: np.ndarray, indices: np.ndarray, input_shape: tuple[int, int, int, int]
) -> np.ndarray:
    """dL/dx: each output's gradient flows to the input position that was its maximum.

    grad, indices: (N, C, OH, OW); input_shape: (N, C, H, W). Returns (N, C, H, W)
    with ``dx[n, c].flat[indices[n, c, oh, ow]] += grad[n, c, oh, ow]`` (overlapping
    windows that share a maximum add up).
    """
    return _max_pool_backward(np.ascontiguousarray(grad), indices, input_shape[2], input_shape[3])


@njit(cache=True)
def _avg_pool(x, kh, kw, sh, sw, ph, pw, oh_size, ow_size):  # pragma: no cover - compiled
    n_img, chans, height, width = x.shape
    out = np.empty((n_img, chans, oh_size, ow_size), x.dtype)
    scale = 1.0 / (kh * kw)
    for n in range(n_img):
        for c in range(chans):
            for oh in range(oh_size):
                h0 = oh * sh - ph
                for ow in range(ow_size):
                    w0 = ow * sw - pw
                    total = 0.0
                    for i in range(max(h0, 0), min(h0 + kh, height)):
                        for j in range(max(w0, 0), min(w0 + kw, width)):
                            total += x[n, c, i, j]
                    out[n, c, oh, ow] = total * scale
    return out


@njit(cache=True)
def _avg_pool_backward(grad, height, width, kh, kw, sh, sw, ph, pw):  # pragma: no cover
    n_img, chans, oh_size, ow_size = grad.shape
    out = np.zeros((n_img, chans, height, width), grad.dtype)
    scale = 1.0 / (kh * kw)
    for n in range(n_img):
        for c in range(chans):
            for oh in range(oh_size):
                h0 = oh * sh - ph
                for ow in range(ow_size):
                    w0 = ow * sw - pw
                    g = grad[n, c, oh, ow] * scale
                    for i in range(max(h0, 0), min(h0 + kh, height)):
                        for j in range(max(w0, 0), min(w0 + kw, width)):
                            out[n, c, i, j] += g
    return out


@slot
def avg_pool2d_forward(
    x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair
) -> np.ndarray:
    """y[n, c, oh, ow] = (1 / (kh·kw)) · Σ over the window of x_pad[n, c, ·, ·].

    Padding counts as zeros in the average (``count_include_pad=True``).
    x: (N, C, H, W). Returns (N, C, OH, OW).
    """
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    oh = conv_output_size(x.shape[2], kh, sh, ph, 1)
    ow = conv_output_size(x.shape[3], kw, sw, pw, 1)
    return _avg_pool(x, kh, kw, sh, sw, ph, pw, oh, ow)


@slot
def avg_pool2d_backward(
    grad: np.ndarray,
    input_shape: tuple[int, int, int, int],
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
) -> np.ndarray:
    """dL/dx[n, c, h, w] = Σ over the windows containing (h, w) of grad[n, c, oh, ow] / (kh·kw).

    grad: (N, C, OH, OW); input_shape: (N, C, H, W). Returns (N, C, H, W).
    """
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    return _avg_pool_backward(np.ascontiguousarray(grad), input_shape[2], input_shape[3],
                              kh, kw, sh, sw, ph, pw)


def _adaptive_bins(size: int, out_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Bin i covers [⌊i·size/out⌋, ⌈(i+1)·size/out⌉), PyTorch's adaptive pooling windows."""
    i = np.arange(out_size)
    return (i * size) // out_size, -((-(i + 1) * size) // out_size)


@slot
def adaptive_avg_pool2d_forward(x: np.ndarray, output_size: Pair) -> np.ndarray:
    """y[n, c, i, j] = mean of x[n, c, h0(i):h1(i), w0(j):w1(j)].

    Bin i of an axis of length S into O bins spans [⌊i·S/O⌋, ⌈(i+1)·S/O⌉), so
    bins cover the whole axis and may overlap when O does not divide S.
    x: (N, C, H, W). Returns (N, C, OH, OW) with (OH, OW) = output_size.
    """
    (h0, h1), (w0, w1) = _adaptive_bins(x.shape[2], output_size[0]), _adaptive_bins(
        x.shape[3], output_size[1])
    # a 2-D prefix sum makes every bin's total four lookups
    s = np.zeros(x.shape[:2] + (x.shape[2] + 1, x.shape[3] + 1), np.result_type(x, np.float64))
    np.cumsum(np.cumsum(x, axis=2, dtype=s.dtype), axis=3, out=s[:, :, 1:, 1:])
    total = (s[:, :, h1][:, :, :, w1] - s[:, :, h0][:, :, :, w1]
             - s[:, :, h1][:, :, :, w0] + s[:, :, h0][:, :, :, w0])
    area = np.outer(h1 - h0, w1 - w0)
    return (total / area).astype(x.dtype)


@slot
def adaptive_avg_pool2d_backward(
    grad: np.ndarray, input_shape: tuple[int, int, int, int]
) -> np.ndarray:
    """dL/dx[n, c, h, w] = Σ over bins (i, j) containing (h, w) of grad[n, c, i, j] / area(i, j).

    grad: (N, C, OH, OW); input_shape: (N, C, H, W). Returns (N, C, H, W).
    """
    (h0, h1), (w0, w1) = (_adaptive_bins(input_shape[2], grad.shape[2]),
                          _adaptive_bins(input_shape[3], grad.shape[3]))
    # membership matrices: rows[i, h] = 1 when row h lies in bin i (same for columns)
    rows = (np.arange(input_shape[2]) >= h0[:, None]) & (np.arange(input_shape[2]) < h1[:, None])
    cols = (np.arange(input_shape[3]) >= w0[:, None]) & (np.arange(input_shape[3]) < w1[:, None])
    scaled = grad / np.outer(h1 - h0, w1 - w0).astype(grad.dtype)
    return rows.T.astype(grad.dtype) @ scaled @ cols.astype(grad.dtype)
