"""The affine map of a fully connected layer, y = x Wᵀ + b, and its gradients, on the GPU.

The CUDA twin of :mod:`minidl.kernels.cpu.linear`. The leading dims of x are flattened
into R rows, so every product is one call of the tiled matmul
(:mod:`minidl.kernels.cuda.gemm`), reading Wᵀ and gradᵀ through its transpose flags
instead of copying them; the bias is added by one thread per output element and its
gradient is a column sum (one thread per output feature).
"""

from __future__ import annotations

from minidl.kernels.cuda.elementwise import add_channel
from minidl.kernels.cuda.gemm import gemm
from minidl.kernels.cuda.reduce import sum_middle


def linear_forward(x, weight, bias):
    """y = x Wᵀ + b.  x: (..., in)   weight: (out, in)   bias: (out,) or None   →  (..., out)."""
    *lead, in_f = x.shape  # (the simulator's shapes take no negative index)
    rows = x.size // in_f
    out = gemm(x.reshape(rows, in_f), weight, trans_b=True)
    if bias is not None:
        add_channel(out, bias, rows, weight.shape[0], 1)
    return out.reshape(*lead, weight.shape[0])


def linear_backward(grad, x, weight, has_bias: bool):
    """(dL/dx = grad · W (..., in),  dL/dW = gradᵀ · x (out, in),  dL/db = Σ_rows grad (out,)
    or None)."""
    out_f, in_f = weight.shape
    rows = x.size // in_f
    grad2 = grad.reshape(rows, out_f)
    x2 = x.reshape(rows, in_f)
    grad_x = gemm(grad2, weight).reshape(*x.shape)
    grad_w = gemm(grad2, x2, trans_a=True)
    grad_b = sum_middle(grad2, 1, rows, out_f).reshape(out_f) if has_bias else None
    return grad_x, grad_w, grad_b
