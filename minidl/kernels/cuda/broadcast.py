"""Broadcasting on the GPU: undoing it in backward (:func:`sum_to_shape`, the twin of
:mod:`minidl.kernels.cpu.broadcast`) and doing it (:func:`broadcast_to`, a copy: device
arrays here are always C-contiguous, never stride-0 views).
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from minidl.kernels.cuda.elementwise import empty
from minidl.kernels.cuda.launch import grid_for
from minidl.kernels.cuda.reduce import sum_axes


def sum_to_shape(grad, shape):
    """Sum ``grad`` over the axes that broadcasting expanded, so that it has ``shape``
    (leading axes that ``shape`` lacks, and axes where ``shape`` has size 1)."""
    shape = tuple(shape)
    if tuple(grad.shape) == shape:
        return grad
    extra = grad.ndim - len(shape)
    stretched = [extra + i for i, s in enumerate(shape) if s == 1 and grad.shape[extra + i] != 1]
    return sum_axes(grad, tuple(range(extra)) + tuple(stretched), keepdims=True).reshape(shape)


@cuda.jit
def _broadcast(x, strides, out_shape, out):  # pragma: no cover - compiled
    """Thread per output element t: x's flat index is Σ_d idx_d(t) · strides[d], where
    idx_d(t) is t's index along axis d and strides[d] is 0 on broadcast axes."""
    ndim = out_shape.size
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        rest = t
        src = 0
        for d in range(ndim - 1, -1, -1):
            src += (rest % out_shape[d]) * strides[d]
            rest //= out_shape[d]
        out[t] = x[src]


def broadcast_to(x, shape):
    """A new C-contiguous array of ``shape`` holding x broadcast NumPy's way."""
    shape = tuple(shape)
    if tuple(x.shape) == shape:
        return x
    padded = (1,) * (len(shape) - x.ndim) + tuple(x.shape)
    np.broadcast_shapes(padded, shape)  # raises NumPy's error for incompatible shapes
    strides, step = [0] * len(shape), 1
    for d in range(len(shape) - 1, -1, -1):
        strides[d] = 0 if padded[d] == 1 else step
        step *= padded[d]
    out = empty(shape, x.dtype)
    if out.size:
        _broadcast[grid_for(out.size)](x.reshape(x.size), cuda.to_device(np.array(strides)),
                                       cuda.to_device(np.array(shape)), out.reshape(out.size))
    return out
