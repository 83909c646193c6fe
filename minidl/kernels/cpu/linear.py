"""The affine map of a fully connected layer, y = x Wᵀ + b, and its gradients."""

from __future__ import annotations

import numpy as np

from minidl.kernels.cpu.gemm import matmul
from minidl.kernels.slots import slot


@slot
def linear_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """y = x Wᵀ + b: every output feature j is Σ_k x_k W_jk + b_j.

    x: (..., in)   weight: (out, in)   bias: (out,) or None   →   y: (..., out)
    Leading dims of x (the batch, a sequence…) are carried through unchanged.
    """
    if x.ndim > 2 and x.flags.c_contiguous:  # one GEMM, not one per leading index
        out = matmul(x.reshape(-1, x.shape[-1]), weight.T).reshape(*x.shape[:-1], weight.shape[0])
    else:
        out = matmul(x, weight.T)
    if bias is not None:
        out += bias
    return out


@slot
def linear_backward(
    grad: np.ndarray, x: np.ndarray, weight: np.ndarray, has_bias: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of y = x Wᵀ + b given grad = dL/dy of shape (..., out).

    dL/dx = grad · W                        (..., in)
    dL/dW = Σ_batch gradᵀ · x               (out, in)   (all leading dims are the batch)
    dL/db = Σ_batch grad                    (out,)      or None when there is no bias
    """
    grad2 = grad.reshape(-1, grad.shape[-1])
    x2 = x.reshape(-1, x.shape[-1])
    grad_x = matmul(grad2, weight).reshape(*grad.shape[:-1], weight.shape[1])
    grad_weight = matmul(grad2.T, x2)
    grad_bias = grad2.sum(axis=0) if has_bias else None
    return grad_x, grad_weight, grad_bias
