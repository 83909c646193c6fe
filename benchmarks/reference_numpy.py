"""Readable NumPy versions of the chapter-3 kernels: the baseline minidl is timed against.

Same names and signatures as minidl's slots, so any module that defines them (the
course's ``solutions/ch03_cnn.py`` later) can stand in: ``--reference solutions.ch03_cnn``.
Loops run over the kernel offsets only; each step is a whole-array slice.
"""

from __future__ import annotations

import numpy as np

Pair = tuple[int, int]


def _out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def conv2d_forward(x, weight, bias, stride, padding, dilation):
    """y[n, o] = Σ_{c,i,j} W[o, c, i, j] · x_pad[n, c, i·dh + sh·oh, j·dw + sw·ow] + b[o]."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    oh, ow = _out_size(h, kh, sh, ph, dh), _out_size(w, kw, sw, pw, dw)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((n, o, oh, ow), x.dtype)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i * dh:i * dh + sh * oh:sh, j * dw:j * dw + sw * ow:sw]
            out += np.einsum("nchw,oc->nohw", patch, weight[:, :, i, j])
    if bias is not None:
        out += bias[:, None, None]
    return out


def conv2d_backward(grad, x, weight, stride, padding, dilation, has_bias):
    """dL/dx, dL/dW, dL/db of conv2d_forward, offset by offset."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    _, _, h, w = x.shape
    _, _, kh, kw = weight.shape
    oh, ow = grad.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    gxp = np.zeros_like(xp)
    gw = np.zeros_like(weight)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * oh, sh)
            cols = slice(j * dw, j * dw + sw * ow, sw)
            gw[:, :, i, j] = np.einsum("nohw,nchw->oc", grad, xp[:, :, rows, cols])
            gxp[:, :, rows, cols] += np.einsum("nohw,oc->nchw", grad, weight[:, :, i, j])
    gb = grad.sum(axis=(0, 2, 3)) if has_bias else None
    return gxp[:, :, ph:ph + h, pw:pw + w], gw, gb


def max_pool2d_forward(x, kernel_size, stride, padding):
    """Max over each window; indices = flat position h·W + w of the maximum."""
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    n, c, h, w = x.shape
    oh, ow = _out_size(h, kh, sh, ph, 1), _out_size(w, kw, sw, pw, 1)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    flat = np.pad(np.arange(h * w).reshape(h, w), ((ph, ph), (pw, pw)), constant_values=-1)
    best = np.full((n, c, oh, ow), -np.inf, x.dtype)
    idx = np.zeros((n, c, oh, ow), np.int64)
    for i in range(kh):
        for j in range(kw):
            v = xp[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
            better = v > best
            best = np.where(better, v, best)
            idx = np.where(better, flat[i:i + sh * oh:sh, j:j + sw * ow:sw], idx)
    return best, idx


def max_pool2d_backward(grad, indices, input_shape):
    """Send each output's gradient to the input position of its maximum."""
    n, c, h, w = input_shape
    out = np.zeros((n * c, h * w), grad.dtype)
    planes = np.repeat(np.arange(n * c), grad.shape[2] * grad.shape[3])
    np.add.at(out, (planes, indices.reshape(-1)), grad.reshape(-1))
    return out.reshape(input_shape)
