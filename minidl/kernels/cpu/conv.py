"""2-D convolution (cross-correlation, like PyTorch) lowered to matrix products.

For input x (N, C, H, W), weight W (O, C, kh, kw) and bias b (O,)::

    y[n, o, oh, ow] = b[o] + Σ_{c,i,j} W[o, c, i, j] · x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw]

With ``cols = im2col(x)`` (N, C·kh·kw, OH·OW) and ``W2 = W.reshape(O, C·kh·kw)``
that is one matrix product per image, ``y[n] = W2 @ cols[n] + b``, and the
gradients are matrix products too::

    dL/dW2 = Σ_n dL/dy[n] @ cols[n]ᵀ          (O, C·kh·kw)
    dL/db  = Σ_{n,oh,ow} dL/dy[n, :, oh, ow]  (O,)
    dL/dx  = col2im(W2ᵀ @ dL/dy[n])           (N, C, H, W)

The batch is processed in chunks so the column matrix stays a few MB (it is
C·kh·kw times larger than the input); NumPy's matmul hands each product to BLAS.
"""

from __future__ import annotations

import numpy as np

from minidl.kernels.cpu.im2col import Pair, col2im, conv_output_size, im2col
from minidl.kernels.slots import slot

_CHUNK_BYTES = 4 * 2**20  # column-matrix size per chunk of images (measured: benchmarks/)


def _chunks(x: np.ndarray, weight: np.ndarray, out_pixels: int) -> range:
    """Start indices of image chunks whose column matrix fits in ``_CHUNK_BYTES``."""
    per_image = weight[0].size * out_pixels * x.itemsize
    step = max(1, _CHUNK_BYTES // max(per_image, 1))
    return range(0, x.shape[0], step)


@slot
def conv2d_forward(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
) -> np.ndarray:
    """y = conv2d(x, W) + b.

    x: (N, C, H, W); weight: (O, C, kh, kw); bias: (O,) or None.
    Returns y: (N, O, OH, OW), OH = ⌊(H + 2·ph − dh·(kh − 1) − 1) / sh⌋ + 1 (same for OW).
    Reference version: ``y[n] = W.reshape(O, -1) @ im2col(x)[n] + b[:, None]``.
    """
    n, _, h, w = x.shape
    o, _, kh, kw = weight.shape
    oh = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = conv_output_size(w, kw, stride[1], padding[1], dilation[1])
    w2 = weight.reshape(o, -1)
    out = np.empty((n, o, oh * ow), np.result_type(x, weight))
    step = _chunks(x, weight, oh * ow)
    for start in step:
        cols = im2col(x[start:start + step.step], (kh, kw), stride, padding, dilation)
        np.matmul(w2, cols, out=out[start:start + step.step])
    if bias is not None:
        out += bias[:, None]
    return out.reshape(n, o, oh, ow)


@slot
def conv2d_backward(
    grad: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    has_bias: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of y = conv2d(x, W) + b given grad = dL/dy.

    grad: (N, O, OH, OW); x: (N, C, H, W); weight: (O, C, kh, kw).
    Returns (dL/dx (N, C, H, W), dL/dW (O, C, kh, kw), dL/db (O,) or None when
    ``has_bias`` is false). See the module docstring for the formulas.
    """
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    g = np.ascontiguousarray(grad).reshape(n, o, -1)
    w2 = weight.reshape(o, -1)
    grad_x = np.empty_like(x, dtype=np.result_type(grad, x))
    grad_w2 = np.zeros_like(w2, dtype=grad_x.dtype)
    step = _chunks(x, weight, g.shape[2])
    for start in step:
        stop = start + step.step
        cols = im2col(x[start:stop], (kh, kw), stride, padding, dilation)
        grad_w2 += np.matmul(g[start:stop], cols.transpose(0, 2, 1)).sum(axis=0)
        grad_cols = np.matmul(w2.T, g[start:stop], out=cols)
        grad_x[start:stop] = col2im(grad_cols, x[start:stop].shape, (kh, kw), stride, padding,
                                    dilation)
    grad_b = g.sum(axis=(0, 2)) if has_bias else None
    return grad_x, grad_w2.reshape(weight.shape), grad_b
