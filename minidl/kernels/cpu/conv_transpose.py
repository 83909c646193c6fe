"""2-D transposed convolution: the convolution's input-gradient, run forwards.

A convolution with weight W (O, C, kh, kw) maps x (N, C, H', W') to y (N, O, H, W). Its
input-gradient maps a (N, O, H, W) array back to (N, C, H', W'): that map is the
*transposed convolution* (also called fractionally strided convolution or, wrongly,
"deconvolution"). So a transposed convolution with weight W (in, out, kh, kw) (PyTorch's
layout: the same array a ``Conv2d(out → in)`` would hold) is computed exactly like
:func:`~minidl.kernels.cpu.conv.conv2d_backward` computes dL/dx::

    cols = W2ᵀ @ X          W2 = W.reshape(in, out·kh·kw), X = x as (in, N·H·W)
    y    = col2im(cols)     (N, out, OH, OW), + b[o] on every output pixel

    OH = (H − 1)·sh − 2·ph + dh·(kh − 1) + output_padding_h + 1        (same for OW)

and its gradients are the convolution's forward pass and weight gradient with the roles
of input and output swapped (G = dL/dy)::

    dL/dx = conv2d(G, W)                        (N, in, H, W): the plain convolution
    dL/dW = conv2d's weight gradient with "x" = G and "dL/dy" = x
    dL/db = Σ_{n, oh, ow} G[n, :, oh, ow]

``output_padding`` only adds rows/columns at the bottom/right that no window reaches (so
stride-2 layers can produce even sizes); it must be smaller than the stride or the
dilation, as in PyTorch. Only ``groups=1``.
"""

from __future__ import annotations

import numpy as np

from minidl.kernels.cpu.conv import _chunk_size, conv2d_backward, conv2d_forward
from minidl.kernels.cpu.im2col import Pair, fold
from minidl.kernels.slots import slot


def conv_transpose_output_size(size: int, k: int, stride: int, pad: int, output_pad: int,
                               dilation: int) -> int:
    """(size − 1)·stride − 2·pad + dilation·(k − 1) + output_pad + 1 (may be ≤ 0)."""
    return (size - 1) * stride - 2 * pad + dilation * (k - 1) + output_pad + 1


@slot
def conv_transpose2d_forward(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: Pair,
    padding: Pair,
    output_padding: Pair,
    dilation: Pair,
) -> np.ndarray:
    """y = conv_transpose2d(x, W) + b (see the module docstring).

    x: (N, in, H, W); weight: (in, out, kh, kw); bias: (out,) or None.
    Returns y: (N, out, OH, OW), OH = (H − 1)·sh − 2·ph + dh·(kh − 1) + oph + 1.

    This is conv2d_backward's dL/dx path (a GEMM with W2ᵀ, then col2im), processed in
    chunks of images so the column matrix stays near the convolution's chunk size.
    """
    n, c_in, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    dtype = np.result_type(x, weight)
    oh, ow = (conv_transpose_output_size((h, w)[a], (kh, kw)[a], stride[a], padding[a],
                                         output_padding[a], dilation[a]) for a in (0, 1))
    w2t = weight.reshape(c_in, -1).T.astype(dtype, copy=False)  # (out·kh·kw, in)
    k, pixels = w2t.shape[0], h * w
    xm = np.empty((c_in, n, pixels), dtype)  # x as one (in, N·H·W) matrix
    xm[...] = x.reshape(n, c_in, pixels).transpose(1, 0, 2)
    out = np.empty((n, c_out, oh, ow), dtype)
    step = _chunk_size(n, k, pixels, out.itemsize)
    buf = np.empty(k * step * pixels, dtype)
    for start in range(0, n, step):
        m = min(step, n - start)
        cols = buf[:k * m * pixels].reshape(k, m, pixels)
        np.matmul(w2t, xm[:, start:start + m].reshape(c_in, -1), out=cols.reshape(k, -1))
        fold(cols, out[start:start + m], (kh, kw), stride, padding, dilation, (h, w))
    if bias is not None:
        out += bias.astype(dtype, copy=False)[:, None, None]
    return out


@slot(hints=("needs_input_grad",))
def conv_transpose2d_backward(
    grad: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    has_bias: bool,
    *,
    needs_input_grad: bool = True,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of y = conv_transpose2d(x, W) + b given grad = dL/dy.

    grad: (N, out, OH, OW); x: (N, in, H, W); weight: (in, out, kh, kw).
    Returns (dL/dx (N, in, H, W), dL/dW (in, out, kh, kw), dL/db (out,) or None).

    Both come from the convolution's kernels (module docstring): dL/dx is
    ``conv2d_forward(grad, W)`` (cropped to H × W: an output_padding ≥ stride adds windows
    that only ever saw zeros) and dL/dW is ``conv2d_backward``'s weight gradient with x
    and grad swapped, reusing the columns of grad that the forward call unfolded.
    ``needs_input_grad=False`` (a hint only the reference receives) skips dL/dx.
    """
    h, w = x.shape[2:]
    workspace: dict = {}
    grad_x = None
    if needs_input_grad:
        grad_x = conv2d_forward(grad, weight, None, stride, padding, dilation,
                                workspace=workspace)[:, :, :h, :w]
    _, grad_w, _ = conv2d_backward(x, grad, weight, stride, padding, dilation, False,
                                   needs_input_grad=False, workspace=workspace)
    grad_b = grad.sum(axis=(0, 2, 3)) if has_bias else None
    return grad_x, grad_w, grad_b
