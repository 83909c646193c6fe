"""Undoing broadcasting in backward."""

from __future__ import annotations

import numpy as np

from minidl.kernels.slots import slot


@slot
def sum_to_shape(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting expanded, so it has ``shape``.

    If ``y = x + b`` broadcast ``b`` of shape ``(3,)`` to ``(N, 3)``, every row of
    ``y`` used ``b``, so ``dL/db = Σ_rows dL/dy``. In general: sum over leading
    axes that ``shape`` lacks, and over axes where ``shape`` has size 1 (keepdims).

    grad: (*grad.shape), broadcast-compatible with ``shape``. Returns: ``shape``.
    """
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, s in enumerate(shape) if s == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
