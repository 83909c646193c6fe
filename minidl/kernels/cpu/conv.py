"""2-D convolution (cross-correlation, like PyTorch) lowered to matrix products.

For input x (N, C, H, W), weight W (O, C, kh, kw) and bias b (O,)::

    y[n, o, oh, ow] = b[o] + Σ_{c,i,j} W[o, c, i, j] · x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw]

With ``cols = im2col(x)`` laid out as one matrix for a whole chunk of images,
(C·kh·kw, n·OH·OW), and ``W2 = W.reshape(O, C·kh·kw)``, the chunk's convolution is a
single matrix product ``Y = W2 @ cols`` (O, n·OH·OW), and the gradients are matrix
products too (G = dL/dy in the same (O, n·OH·OW) layout)::

    dL/dW2 = Σ_chunks G @ colsᵀ               (O, C·kh·kw)
    dL/db  = Σ_{n,oh,ow} dL/dy[n, :, oh, ow]  (O,)
    dL/dx  = col2im(W2ᵀ @ G)                  (N, C, H, W)

One large GEMM per chunk instead of one small GEMM per image matters for small
layers (LeNet's are 6×25 and 16×150 weights on 10×10 to 28×28 images), where BLAS
spends more time starting than multiplying. Chunks keep the column matrix near
``_CHUNK_BYTES`` (it is C·kh·kw times larger than the input).

For stride 1 the columns use the "wide" layout (see :func:`~minidl.kernels.cpu.im2col.unfold`):
each output row is computed at all Wp = W + 2·pw positions instead of OW, so every
kernel offset copies one contiguous run of the padded image. The GEMMs grow by Wp / OW
(1.07× to 1.4× for the benchmark layers), im2col and col2im become 2–4× cheaper, and the
junk columns are dropped in the (O, n, ·) → (n, O, ·) transpose that y needs anyway
(dL/dy gets zeros there, so they add nothing to dL/dW or dL/dx).
"""

from __future__ import annotations

import numpy as np

from minidl.kernels.cpu.im2col import Pair, conv_output_size, fold, unfold
from minidl.kernels.slots import slot

_CHUNK_BYTES = 8 * 2**20  # column-matrix size per chunk of images (measured: benchmarks/)


def _row_length(width: int, stride: Pair, padding: Pair, out_width: int) -> int:
    """Columns per output row: the padded width (wide layout) for stride 1, else OW."""
    return width + 2 * padding[1] if stride == (1, 1) else out_width


def _chunk_size(n: int, rows: int, pixels: int, itemsize: int) -> int:
    """Images per chunk so that the (rows, chunk·pixels) column matrix fits in _CHUNK_BYTES."""
    return max(1, min(n, _CHUNK_BYTES // max(rows * pixels * itemsize, 1)))


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
    dtype = np.result_type(x, weight)
    oh = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = conv_output_size(w, kw, stride[1], padding[1], dilation[1])
    row = _row_length(w, stride, padding, ow)
    w2 = weight.reshape(o, -1).astype(dtype, copy=False)
    x = x.astype(dtype, copy=False)
    k = w2.shape[1]
    out = np.empty((n, o, oh, ow), dtype)
    step = _chunk_size(n, k, oh * row, out.itemsize)
    cols_buf, y_buf = np.empty(k * step * oh * row, dtype), np.empty(o * step * oh * row, dtype)
    for start in range(0, n, step):
        m = min(step, n - start)
        cols = unfold(x[start:start + m], cols_buf[:k * m * oh * row].reshape(k, m, -1),
                      (kh, kw), stride, padding, dilation, oh, row)
        y = np.matmul(w2, cols.reshape(k, -1), out=y_buf[:o * m * oh * row].reshape(o, -1))
        y = y.reshape(o, m, oh, row)[..., :ow].transpose(1, 0, 2, 3)  # (m, O, OH, OW) view
        if bias is None:
            out[start:start + m] = y
        else:
            np.add(y, bias[:, None, None], out=out[start:start + m])
    return out


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
    oh, ow = grad.shape[2:]
    row = _row_length(w, stride, padding, ow)
    dtype = np.result_type(grad, x, weight)
    w2 = weight.reshape(o, -1).astype(dtype, copy=False)
    x = x.astype(dtype, copy=False)
    k = w2.shape[1]
    g = np.empty((o, n, oh, row), dtype)  # dL/dy as (O, N, OH, row): one matrix per chunk
    g[..., :ow] = grad.transpose(1, 0, 2, 3)
    g[..., ow:] = 0
    grad_x = np.empty((n, c, h, w), dtype)
    grad_w2 = np.zeros((o, k), dtype)
    step = _chunk_size(n, k, oh * row, grad_x.itemsize)
    cols_buf = np.empty(k * step * oh * row, dtype)
    for start in range(0, n, step):
        m = min(step, n - start)
        cols = unfold(x[start:start + m], cols_buf[:k * m * oh * row].reshape(k, m, -1),
                      (kh, kw), stride, padding, dilation, oh, row)
        g_chunk = g[:, start:start + m].reshape(o, -1)
        grad_w2 += g_chunk @ cols.reshape(k, -1).T
        np.matmul(w2.T, g_chunk, out=cols.reshape(k, -1))
        fold(cols, grad_x[start:start + m], (kh, kw), stride, padding, dilation, oh, row)
    grad_b = g.sum(axis=(1, 2, 3)) if has_bias else None
    return grad_x, grad_w2.reshape(weight.shape), grad_b
