"""2-D transposed convolution: the convolution's input-gradient, run forwards.

A convolution with weight W (O, C, kh, kw) maps x (N, C, H', W') to y (N, O, H, W). Its
input-gradient maps a (N, O, H, W) array back to (N, C, H', W'): that map is the
*transposed convolution* (also called fractionally strided convolution or, wrongly,
"deconvolution"). So a transposed convolution with weight W (in, out, kh, kw) (PyTorch's
layout: the same array a ``Conv2d(out → in)`` would hold) is computed exactly like
:func:`~minidl.kernels.cpu.conv.conv2d_backward` computes dL/dx::

    cols = W2ᵀ @ X          W2 = W.reshape(in, out·kh·kw), X = x as (in, H·W·N)
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

import functools

import numpy as np

from minidl.kernels.cpu._threads import run_parts
from minidl.kernels.cpu.conv import image_parts
from minidl.kernels.cpu.im2col import Pair, fold_batch_last, unfold_batch_last
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

    This is conv2d_backward's dL/dx path (a GEMM with W2ᵀ, then col2im) in the batch-last
    column layout (``im2col.fold_batch_last``: the image index innermost), on parts of the
    batch (``conv.image_parts``: one per core, each column matrix within 8 MiB), each
    part on its own core (``_threads.run_parts``).
    """
    n, c_in, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    dtype = np.result_type(x, weight)
    oh, ow = (conv_transpose_output_size((h, w)[a], (kh, kw)[a], stride[a], padding[a],
                                         output_padding[a], dilation[a]) for a in (0, 1))
    w2t = weight.reshape(c_in, -1).T.astype(dtype, copy=False)  # (out·kh·kw, in)
    k, pixels = w2t.shape[0], h * w
    out = np.empty((n, c_out, oh, ow), dtype)
    bias = None if bias is None else bias.astype(dtype, copy=False)[:, None, None]

    def part(images: tuple[int, int]) -> None:
        start, m = images
        cols = np.matmul(w2t, _batch_last(x[start:start + m], dtype)).reshape(k, pixels, m)
        fold_batch_last(cols, out[start:start + m], (kh, kw), stride, padding, dilation, (h, w))
        if bias is not None:
            out[start:start + m] += bias

    run_parts(part, image_parts(n, k, c_in, pixels, out.itemsize))
    return out


def _batch_last(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """x (m, C, H, W) as the (C, H·W·m) matrix of the batch-last layout (image index
    innermost), a new array."""
    m, c, h, w = x.shape
    xm = np.empty((c, h * w, m), dtype)
    xm[...] = x.reshape(m, c, h * w).transpose(1, 2, 0)
    return xm.reshape(c, -1)


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

    Both are the convolution's kernels (module docstring) on one column matrix of grad,
    ``cols = im2col(grad)`` (out·kh·kw, H·W·m), unfolded once per part of the batch (as in
    the forward pass) in the batch-last layout: dL/dx = W2 @ cols is the plain convolution
    ``conv2d(grad, W)`` (only its first H × W outputs: an output_padding ≥ stride adds
    windows that only ever saw zeros), and dL/dW2 = (cols @ Xᵀ)ᵀ is its weight gradient with
    x and grad swapped, summed over the parts in order. ``needs_input_grad=False`` (a hint
    only the reference receives) skips dL/dx.
    """
    n, c_in, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    dtype = np.result_type(grad, x, weight)
    w2 = weight.reshape(c_in, -1).astype(dtype, copy=False)  # (in, out·kh·kw)
    k, pixels = w2.shape[1], h * w
    grad_x = np.empty((n, c_in, h, w), dtype) if needs_input_grad else None
    grad = grad.astype(dtype, copy=False)

    def part(images: tuple[int, int]) -> tuple[np.ndarray, np.ndarray | None]:
        """This part's dL/dW2ᵀ and dL/db; writes its images' dL/dx."""
        start, m = images
        cols = unfold_batch_last(grad[start:start + m], np.empty((k, pixels, m), dtype),
                                 (kh, kw), stride, padding, dilation, (h, w)).reshape(k, -1)
        # dL/dW2ᵀ = cols @ Xᵀ: 1.1× faster than X @ colsᵀ with OpenBLAS (as in conv2d_backward)
        grad_w2t = cols @ _batch_last(x[start:start + m], dtype).T
        if grad_x is not None:
            gx = (w2 @ cols).reshape(c_in, pixels, m)
            grad_x[start:start + m] = gx.transpose(2, 0, 1).reshape(m, c_in, h, w)
        # summing the images first is 2.7× faster than one sum over axes (0, 2, 3)
        grad_b = grad[start:start + m].sum(axis=0).reshape(c_out, -1).sum(axis=1) \
            if has_bias else None
        return grad_w2t, grad_b

    sums = run_parts(part, image_parts(n, k, c_in, pixels, dtype.itemsize))
    grad_w2t = functools.reduce(np.add, [w2t for w2t, _ in sums], np.zeros((k, c_in), dtype))
    grad_b = functools.reduce(np.add, [b for _, b in sums], np.zeros(c_out, dtype)) \
        if has_bias else None
    return grad_x, np.ascontiguousarray(grad_w2t.T).reshape(weight.shape), grad_b
