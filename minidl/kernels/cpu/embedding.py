"""Embedding lookup and its scatter-add gradient.

An embedding is a table W (num_embeddings, D) indexed by integer ids: row k is the
vector of token k. Looking up is gathering rows; the gradient scatters back.
"""

from __future__ import annotations

import numpy as np

from minidl.kernels.slots import slot


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
    gradients (hence ``np.add.at``, which adds repeated indices; ``W[idx] += g``
    would keep only one). The row ``padding_idx`` gets no gradient.
    """
    grad_weight = np.zeros((num_embeddings, grad.shape[-1]), dtype=grad.dtype)
    np.add.at(grad_weight, indices.reshape(-1), grad.reshape(-1, grad.shape[-1]))
    if padding_idx is not None:
        grad_weight[padding_idx] = 0
    return grad_weight
