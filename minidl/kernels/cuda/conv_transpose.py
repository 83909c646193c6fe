"""2-D transposed convolution on the GPU: the convolution's input-gradient, run forwards.

The CUDA twin of :mod:`minidl.kernels.cpu.conv_transpose` (maths there; the output-size
helper is re-exported). Forward is a matmul W2ᵀ @ X followed by
:func:`~minidl.kernels.cuda.im2col.fold`; backward reuses the convolution's kernels with
the roles of input and output swapped (:mod:`minidl.kernels.cuda.conv`).
"""

from __future__ import annotations

from numba import cuda

from minidl.kernels.cpu.conv_transpose import conv_transpose_output_size
from minidl.kernels.cuda.conv import conv2d_backward, conv2d_forward
from minidl.kernels.cuda.elementwise import add_channel, empty, swap_middle, unravel4
from minidl.kernels.cuda.gemm import gemm
from minidl.kernels.cuda.im2col import Pair, fold
from minidl.kernels.cuda.launch import grid_for
from minidl.kernels.cuda.reduce import sum_axes

__all__ = ["conv_transpose_output_size", "conv_transpose2d_forward",
           "conv_transpose2d_backward"]


def conv_transpose2d_forward(x, weight, bias, stride: Pair, padding: Pair,
                             output_padding: Pair, dilation: Pair):
    """y = conv_transpose2d(x, W) + b.  x: (N, in, H, W); weight: (in, out, kh, kw);
    bias: (out,) or None → (N, out, OH, OW), OH = (H − 1)·sh − 2·ph + dh·(kh − 1) + oph + 1."""
    n, c_in, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    oh, ow = (conv_transpose_output_size((h, w)[a], (kh, kw)[a], stride[a], padding[a],
                                         output_padding[a], dilation[a]) for a in (0, 1))
    k, pixels = c_out * kh * kw, h * w
    xm = swap_middle(x, 1, n, c_in, pixels).reshape(c_in, n * pixels)  # x as (in, N·H·W)
    cols = gemm(weight.reshape(c_in, k), xm, trans_a=True)  # W2ᵀ X: (out·kh·kw, N·H·W)
    out = fold(cols.reshape(k, n, pixels), empty((n, c_out, oh, ow), x.dtype), (kh, kw),
               stride, padding, dilation, (h, w))
    if bias is not None:
        add_channel(out, bias, n, c_out, oh * ow)
    return out


@cuda.jit
def _crop(x, out):  # pragma: no cover - compiled
    """Thread per output element: out[n, c, i, j] = x[n, c, i, j] (the top-left corner)."""
    _, chans, height, width = out.shape
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        n, c, i, j = unravel4(t, chans, height, width)
        out[n, c, i, j] = x[n, c, i, j]


def conv_transpose2d_backward(grad, x, weight, stride: Pair, padding: Pair, dilation: Pair,
                              has_bias: bool, *, needs_input_grad: bool = True):
    """Gradients given grad = dL/dy (N, out, OH, OW) → (dL/dx (N, in, H, W) or None,
    dL/dW (in, out, kh, kw), dL/db (out,) or None).

    dL/dx = conv2d(grad, W) cropped to H × W; dL/dW is the convolution's weight gradient
    with x and grad swapped, reusing the columns of grad that the forward call unfolded.
    """
    n, c_in, h, w = x.shape
    workspace: dict = {}
    grad_x = None
    if needs_input_grad:
        grad_x = conv2d_forward(grad, weight, None, stride, padding, dilation,
                                workspace=workspace)
        if tuple(grad_x.shape[2:]) != (h, w):
            full, grad_x = grad_x, empty((n, c_in, h, w), grad_x.dtype)
            if grad_x.size:
                _crop[grid_for(grad_x.size)](full, grad_x)
    _, grad_w, _ = conv2d_backward(x, grad, weight, stride, padding, dilation, False,
                                   needs_input_grad=False, workspace=workspace)
    grad_b = sum_axes(grad, (0, 2, 3)) if has_bias else None
    return grad_x, grad_w, grad_b
