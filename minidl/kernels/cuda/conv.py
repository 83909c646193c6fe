"""2-D convolution on the GPU: im2col, then one tiled matmul for the whole batch.

The CUDA twin of :mod:`minidl.kernels.cpu.conv` (see there for the formulas). With
cols = unfold(x) as one (C·kh·kw, N·OH·OW) matrix and W2 = W.reshape(O, C·kh·kw)::

    Y      = W2 @ cols            (O, N·OH·OW) → reordered to (N, O, OH·OW), + b
    dL/dW2 = G @ colsᵀ            G = dL/dy reordered to (O, N·OH·OW)
    dL/dx  = fold(W2ᵀ @ G)
    dL/db  = Σ over the N·OH·OW columns of G

Every product is :func:`~minidl.kernels.cuda.gemm.gemm` (transposes by flag, no copies);
the reorderings are :func:`~minidl.kernels.cuda.elementwise.swap_middle`. Unlike the CPU
kernel there are no chunks of images: the whole batch's column matrix is made at once
(GPU memory is large and one big GEMM keeps it busy).
"""

from __future__ import annotations

from minidl.kernels.cuda.elementwise import add_channel, empty, swap_middle
from minidl.kernels.cuda.gemm import gemm
from minidl.kernels.cuda.im2col import Pair, conv_output_size, fold, unfold
from minidl.kernels.cuda.reduce import sum_middle


def conv2d_forward(x, weight, bias, stride: Pair, padding: Pair, dilation: Pair, *,
                   workspace: dict | None = None):
    """y = conv2d(x, W) + b.  x: (N, C, H, W); weight: (O, C, kh, kw); bias: (O,) or None.

    Returns y (N, O, OH, OW). With a ``workspace`` dict the column matrix is left in
    ``workspace["columns"]`` for :func:`conv2d_backward` (as on the CPU).
    """
    n, _, h, w = x.shape
    o, c, kh, kw = weight.shape
    oh = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = conv_output_size(w, kw, stride[1], padding[1], dilation[1])
    k, pixels = c * kh * kw, oh * ow
    cols = unfold(x, empty((k, n, pixels), x.dtype), (kh, kw), stride, padding, dilation,
                  (oh, ow))
    y = gemm(weight.reshape(o, k), cols.reshape(k, n * pixels))  # (O, N·P)
    out = swap_middle(y, 1, o, n, pixels)  # (N, O, P)
    if bias is not None:
        add_channel(out, bias, n, o, pixels)
    if workspace is not None:
        workspace["columns"] = cols
    return out.reshape(n, o, oh, ow)


def conv2d_backward(grad, x, weight, stride: Pair, padding: Pair, dilation: Pair,
                    has_bias: bool, *, needs_input_grad: bool = True,
                    workspace: dict | None = None):
    """Gradients of y = conv2d(x, W) + b given grad = dL/dy (N, O, OH, OW).

    Returns (dL/dx (N, C, H, W) or None when ``needs_input_grad`` is false,
    dL/dW (O, C, kh, kw), dL/db (O,) or None when ``has_bias`` is false).
    """
    n = x.shape[0]
    o, c, kh, kw = weight.shape
    out_size = (grad.shape[2], grad.shape[3])
    k, pixels = c * kh * kw, out_size[0] * out_size[1]
    g = swap_middle(grad, 1, n, o, pixels).reshape(o, n * pixels)  # (O, N·P)
    cols = None if workspace is None else workspace.pop("columns", None)
    if cols is None or tuple(cols.shape) != (k, n, pixels) or cols.dtype != x.dtype:
        cols = unfold(x, empty((k, n, pixels), x.dtype), (kh, kw), stride, padding, dilation,
                      out_size)
    cols = cols.reshape(k, n * pixels)
    grad_w = gemm(g, cols, trans_b=True).reshape(o, c, kh, kw)
    grad_x = None
    if needs_input_grad:
        dcols = gemm(weight.reshape(o, k), g, trans_a=True)  # (K, N·P)
        grad_x = fold(dcols.reshape(k, n, pixels), empty(tuple(x.shape), x.dtype), (kh, kw),
                      stride, padding, dilation, out_size)
    grad_b = sum_middle(g, o, n * pixels, 1).reshape(o) if has_bias else None
    return grad_x, grad_w, grad_b
