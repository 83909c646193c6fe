"""Matrix multiplication, batched and broadcast like ``numpy.matmul``."""

from __future__ import annotations

import numpy as np

from minidl.autograd.function import Function, Node
from minidl.errors import ShapeError, fmt_shape
from minidl.kernels.cpu.broadcast import sum_to_shape
from minidl.kernels.slots import slot


@slot
def matmul_backward(
    grad: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of ``C = A @ B`` for 2-D or batched (..., n, k) @ (..., k, m).

    dL/dA = dL/dC · Bᵀ  (…, n, k)    dL/dB = Aᵀ · dL/dC  (…, k, m)
    Batch dims that broadcasting stretched are summed back to each input's shape.
    """
    ga = sum_to_shape(grad @ np.swapaxes(b, -1, -2), a.shape)
    gb = sum_to_shape(np.swapaxes(a, -1, -2) @ grad, b.shape)
    return ga, gb


class MatMul(Function):
    """``a @ b``; 1-D operands are promoted to matrices and the result squeezed."""

    @staticmethod
    def forward(ctx: Node, a, b):  # noqa: ANN001
        a, b = np.asarray(a), np.asarray(b)
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError("matmul: both operands need at least 1 dim; use * for scalars")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ShapeError(
                f"matmul: inner sizes differ: {fmt_shape(a.shape)} @ {fmt_shape(b.shape)} "
                f"({a.shape[-1]} ≠ {b.shape[-2 if b.ndim > 1 else 0]})"
            )
        ctx.save_for_backward(a, b)
        try:
            return np.matmul(a, b)
        except ValueError:
            raise ShapeError(
                f"matmul: batch dims of {fmt_shape(a.shape)} and {fmt_shape(b.shape)} "
                "do not broadcast"
            ) from None

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        a, b = ctx.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad[..., None] if b.ndim == 1 else grad
        if a.ndim == 1:
            g2 = g2[..., None, :]
        ga, gb = matmul_backward(g2, a2, b2)
        return ga.reshape(a.shape), gb.reshape(b.shape)
