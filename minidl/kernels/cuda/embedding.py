"""Embedding lookup and its scatter-add gradient on the GPU.

The CUDA twin of :mod:`minidl.kernels.cpu.embedding`. The lookup is a gather: **one
thread per output element** (p, d) copies W[indices[p], d]. The gradient is a scatter:
one thread per element of grad adds it onto row indices[p] of dL/dW with
``cuda.atomic.add``, because several positions may hold the same id (the CPU's
``np.add.at``); the row ``padding_idx`` is skipped, so it keeps its zero gradient.
"""

from __future__ import annotations

from numba import cuda

from minidl.kernels.cuda.elementwise import empty, zeros
from minidl.kernels.cuda.launch import grid_for


@cuda.jit
def _gather(indices, weight, out):  # pragma: no cover - compiled
    d = weight.shape[1]
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[t // d, t % d] = weight[indices[t // d], t % d]


@cuda.jit
def _scatter_add(grad, indices, padding_idx, out):  # pragma: no cover - compiled
    d = out.shape[1]
    for t in range(cuda.grid(1), grad.size, cuda.gridsize(1)):
        row = indices[t // d]
        if row != padding_idx:
            cuda.atomic.add(out, (row, t % d), grad[t // d, t % d])


def embedding_forward(indices, weight):
    """out[..., :] = W[indices[...], :]; indices (*) int, W (V, D) → (*, D)."""
    d = weight.shape[1]
    out = empty((indices.size, d), weight.dtype)
    if out.size:
        _gather[grid_for(out.size)](indices.reshape(indices.size), weight, out)
    return out.reshape(*indices.shape, d)


def embedding_backward(grad, indices, num_embeddings: int, padding_idx: int | None):
    """dL/dW (V, D): row k sums grad[p] over the positions p with indices[p] = k; the row
    ``padding_idx`` stays zero."""
    d = grad.shape[grad.ndim - 1]
    out = zeros((num_embeddings, d), grad.dtype)
    skip = -1 if padding_idx is None else padding_idx % num_embeddings
    if grad.size:
        _scatter_add[grid_for(grad.size)](grad.reshape(indices.size, d),
                                          indices.reshape(indices.size), skip, out)
    return out
