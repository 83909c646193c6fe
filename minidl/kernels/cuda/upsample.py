"""Nearest-neighbour resizing of image batches on the GPU.

The CUDA twin of :mod:`minidl.kernels.cpu.upsample` (the index maps src_h, src_w come from
:func:`minidl.kernels.cpu.upsample.nearest_indices`, copied to the device). Forward is a
gather, **one thread per output pixel**: y[n, c, oh, ow] = x[n, c, src_h[oh], src_w[ow]].
Backward scatters: one thread per output pixel adds its gradient onto its source pixel
with ``cuda.atomic.add`` (several outputs share a source whenever the image grows).
"""

from __future__ import annotations

from numba import cuda

from minidl.kernels.cpu.upsample import nearest_indices
from minidl.kernels.cuda.elementwise import empty, unravel4, zeros
from minidl.kernels.cuda.launch import grid_for

__all__ = ["nearest_indices", "upsample_nearest2d_forward", "upsample_nearest2d_backward"]


@cuda.jit
def _gather(x, src_h, src_w, out):  # pragma: no cover - compiled
    _, chans, oh_size, ow_size = out.shape
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        n, c, oh, ow = unravel4(t, chans, oh_size, ow_size)
        out[n, c, oh, ow] = x[n, c, src_h[oh], src_w[ow]]


@cuda.jit
def _scatter(grad, src_h, src_w, out):  # pragma: no cover - compiled
    _, chans, oh_size, ow_size = grad.shape
    for t in range(cuda.grid(1), grad.size, cuda.gridsize(1)):
        n, c, oh, ow = unravel4(t, chans, oh_size, ow_size)
        cuda.atomic.add(out, (n, c, src_h[oh], src_w[ow]), grad[n, c, oh, ow])


def upsample_nearest2d_forward(x, src_h, src_w):
    """y[n, c, oh, ow] = x[n, c, src_h[oh], src_w[ow]]; x (N, C, H, W) → (N, C, OH, OW)."""
    out = empty((x.shape[0], x.shape[1], src_h.size, src_w.size), x.dtype)
    if out.size:
        _gather[grid_for(out.size)](x, src_h, src_w, out)
    return out


def upsample_nearest2d_backward(grad, input_shape, src_h, src_w):
    """dL/dx[n, c, i, j] = Σ over outputs with source (i, j) of grad; → input_shape."""
    out = zeros(tuple(input_shape), grad.dtype)
    if grad.size:
        _scatter[grid_for(grad.size)](grad, src_h, src_w, out)
    return out
