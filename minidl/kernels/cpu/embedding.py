"""Embedding lookup and its scatter-add gradient.

An embedding is a table W (num_embeddings, D) indexed by integer ids: row k is the
vector of token k. Looking up is gathering rows; the gradient scatters back.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from minidl.kernels.slots import slot


@njit(cache=True)
def _scatter_add_rows(grad_weight, indices, grad):  # pragma: no cover - compiled
    # grad_weight[indices[p]] += grad[p], rows in order (a stride-1 inner loop per row)
    for p in range(indices.shape[0]):
        row = indices[p]
        for j in range(grad.shape[1]):
            grad_weight[row, j] += grad[p, j]


@slot
def embedding_forward(indices: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """out[..., :] = W[indices[...], :]  for integer indices (*) and W (V, D); returns (*, D)."""
    return weight[indices]


@slot
def embedding_backward(
    grad: np.ndarray, indices: np.ndarray, num_embeddings: int, padding_idx: int | None
) -> np.ndarray:
    """dL/dW (V, D): row k is the sum of grad[p] over every position p where indices[p] = k.

    grad (*, D), indices (*). An id that occurs several times collects several
    gradients (a scatter-add, as ``np.add.at(W, idx, g)``; ``W[idx] += g`` would keep
    only one). The row ``padding_idx`` gets no gradient. A Numba loop does the adding:
    ``np.add.at`` took 0.9 ms for a GPT batch (768 ids × 128), the loop 0.02 ms.
    """
    grad_weight = np.zeros((num_embeddings, grad.shape[-1]), dtype=grad.dtype)
    flat_ids = np.ascontiguousarray(indices.reshape(-1), dtype=np.int64)
    if flat_ids.size and (flat_ids.min() < 0 or flat_ids.max() >= num_embeddings):
        raise IndexError(f"embedding_backward: ids must lie in [0, {num_embeddings}), got "
                         f"{flat_ids.min()}..{flat_ids.max()}")
    _scatter_add_rows(grad_weight, flat_ids,
                      np.ascontiguousarray(grad.reshape(-1, grad.shape[-1])))
    if padding_idx is not None:
        grad_weight[padding_idx] = 0
    return grad_weight
