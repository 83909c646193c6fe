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
spends more time starting than multiplying. The column matrix is C·kh·kw times larger
than the input, so chunks keep it in the L2 cache (``_CONV_CHUNK_BYTES``, at least
``_MIN_CHUNK_PIXELS`` columns): several images per chunk, or, when one image's columns
are too large, *bands* of its output rows (dL/dx then adds up over the bands). The
backward pass unfolds each chunk again; the forward's columns are reused only when each
part of the batch (below) is one chunk. The only extra copies are the (O, n, OH·OW) ↔ (n, O, OH·OW)
transposes of y and dL/dy, which are C·kh·kw times smaller than the columns.
The batch is split into parts, one per core (``_threads.run_parts``), and each part runs
its chunks (unfold, GEMMs, fold) on its own core with BLAS single-threaded; dL/dW and
dL/db add up the parts' sums in order, so results do not depend on the thread count.
Cost rules, each measured (comments below): chunk sizes; batch-last columns for outputs
narrower than ``_BATCH_LAST_BELOW`` pixels; 1×1 kernels keep large chunks; a broadcast
multiply instead of SGEMM for dL/dcols when O = 1.
"""

from __future__ import annotations

import functools

import numpy as np

from minidl.kernels.cpu._threads import batch_parts, run_parts
from minidl.kernels.cpu.im2col import (
    Pair,
    conv_output_size,
    fold,
    fold_batch_last,
    unfold,
    unfold_batch_last,
)
from minidl.kernels.slots import slot

_CHUNK_BYTES = 8 * 2**20  # column bytes per chunk for 1×1 kernels and conv_transpose.py
# conv2d's chunks stay in the L2 cache (1 MiB per core here): its columns are written by
# im2col and read at once by the GEMM, and unfolding a cache-resident chunk again in the
# backward pass beat keeping the whole batch's columns from the forward pass (measured, one
# thread, CPU time: 64×32×14² → 8, k7, no dx 28.5 → 23.9 ms; 64×32×28² → 64, k3
# 81 → 72 ms; 64×1×28² → 6, k5, no dx 1.7 → 0.9 ms; 8 MiB chunks before).
_CONV_CHUNK_BYTES = 2**19
_MIN_CHUNK_PIXELS = 1024  # columns per chunk at least (fewer: SGEMM slows down, measured)


def _chunk_size(n: int, rows: int, out_pixels: int, itemsize: int,
                budget: int = _CHUNK_BYTES) -> int:
    """Images per chunk so that the (rows, chunk·out_pixels) column matrix fits in ``budget``
    bytes (at least one image)."""
    return max(1, min(n, budget // max(rows * out_pixels * itemsize, 1)))


# A part of the batch gets at least this many multiply-adds in its forward GEMMs (all its
# chunks together; ≈ 50 µs on one core):
# waking a thread costs 50–100 µs here, and smaller layers ran slower in parts at 2 threads
# (8×1×56² → 3, k7 s2: 0.53 → 0.71 ms; 16×128×14² → 8, k1: 0.47 → 0.61 ms).
_MIN_PART_MACS = 2**21


def _min_part_images(out_pixels: int, macs_per_image: int) -> int:
    """Images a part needs for ``_MIN_CHUNK_PIXELS`` output pixels and ``_MIN_PART_MACS``."""
    return max(-(-_MIN_CHUNK_PIXELS // max(out_pixels, 1)),
               -(-_MIN_PART_MACS // max(macs_per_image, 1)))


def image_parts(n: int, rows: int, inner: int, out_pixels: int, itemsize: int,
                budget: int = _CHUNK_BYTES) -> list[tuple[int, int]]:
    """The batch as (first image, images) parts for ``_threads.run_parts`` of a layer whose
    GEMMs multiply (rows, inner) by (inner, images·out_pixels): one part per core when each
    is large enough (:func:`_min_part_images`), more when a part's (rows,
    images·out_pixels) columns would not fit ``budget`` bytes."""
    return batch_parts(n, _chunk_size(n, rows, out_pixels, itemsize, budget),
                       _min_part_images(out_pixels, rows * inner * out_pixels))


def _chunks(n: int, rows: int, out_size: tuple[int, int], itemsize: int,
            pointwise: bool) -> list[tuple[int, int, int, int]]:
    """conv2d's chunks as (first image, images, first output row, output rows).

    Whole images while one image's (rows, OH·OW) columns fit ``_CONV_CHUNK_BYTES``; past that,
    bands of output rows of one image (at least ``_MIN_CHUNK_PIXELS`` output pixels each, so
    the GEMMs keep enough columns). A ``pointwise`` (1×1) kernel's columns are its input
    re-laid, no larger, and keep ``_CHUNK_BYTES`` chunks: one chunk for each part of the
    batch lets the backward pass reuse the forward's columns (measured with the whole batch
    as one chunk, before the parts; forward + backward, one thread: 16×128×14² → 8, no dx
    0.65 → 0.48 ms; 8×128×64² → 64, s2 12.9 → 11.3 ms; 128×64×14² → 32 8.4 → 7.9 ms;
    32×32×56² → 256, s2, no dx 23.7 → 24.7 ms)."""
    oh, ow = out_size
    budget = _CHUNK_BYTES if pointwise else _CONV_CHUNK_BYTES
    if rows * oh * ow * itemsize <= budget:
        step = max(1, min(n, max(_chunk_size(n, rows, oh * ow, itemsize, budget),
                                 -(-_MIN_CHUNK_PIXELS // max(oh * ow, 1)))))
        return [(s, min(step, n - s), 0, oh) for s in range(0, n, step)]
    band = min(oh, max(budget // (rows * ow * itemsize), -(-_MIN_CHUNK_PIXELS // ow)))
    return [(s, 1, r, min(band, oh - r)) for s in range(n) for r in range(0, oh, band)]


# Output rows shorter than this many pixels use the batch-last columns of
# im2col.unfold_batch_last (image index innermost, so the copy loops run over the chunk's
# images instead of rows of a few pixels). Measured, one thread, 16×128×7² → 32, k3:
# im2col 0.64 → 0.25 ms, col2im 0.72 → 0.28 ms; on 14² outputs batch-major won (0.63 vs 0.94).
_BATCH_LAST_BELOW = 8


def _parts(n: int, rows: int, out_channels: int, out_size: tuple[int, int], itemsize: int,
           pointwise: bool) -> list[list[tuple[int, int, int, int]]]:
    """conv2d's work for ``_threads.run_parts``: the batch in parts (one per core when each
    is large enough, :func:`_min_part_images`), each part as its :func:`_chunks`."""
    pixels = out_size[0] * out_size[1]
    parts = batch_parts(n, n, _min_part_images(pixels, out_channels * rows * pixels))
    return [[(start + s, m, row0, r) for s, m, row0, r in _chunks(images, rows, out_size,
                                                                   itemsize, pointwise)]
            for start, images in parts]


def _batch_last(chunks: list[tuple[int, int, int, int]], out_size: tuple[int, int]) -> bool:
    """Whether conv2d's columns use the batch-last layout: narrow outputs, whole images."""
    return out_size[1] < _BATCH_LAST_BELOW and all(rows == out_size[0] for *_, rows in chunks)


def _unfold_chunk(x: np.ndarray, buf: np.ndarray, chunk: tuple[int, int, int, int],
                  batch_last: bool, geometry: tuple[Pair, Pair, Pair, Pair],
                  out_width: int) -> np.ndarray:
    """The columns of one chunk (first image, images, first output row, output rows) in ``buf``:
    (K, m, rows·OW) batch-major, or (K, OH·OW, m) batch-last."""
    start, m, row0, rows = chunk
    k = buf.size // (m * rows * out_width)
    if batch_last:
        return unfold_batch_last(x[start:start + m], buf.reshape(k, -1, m), *geometry,
                                 (rows, out_width))
    return unfold(x[start:start + m], buf.reshape(k, m, -1), *geometry, (rows, out_width), row0)


@slot(hints=("workspace",))
def conv2d_forward(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    *,
    workspace: dict | None = None,
) -> np.ndarray:
    """y = conv2d(x, W) + b.

    x: (N, C, H, W); weight: (O, C, kh, kw); bias: (O,) or None.
    Returns y: (N, O, OH, OW), OH = ⌊(H + 2·ph − dh·(kh − 1) − 1) / sh⌋ + 1 (same for OW).
    Reference version: ``y[n] = W.reshape(O, -1) @ im2col(x)[n] + b[:, None]``.

    ``workspace`` (a dict; a hint only the reference receives): when each part of the
    batch is one chunk, their column matrices are left in ``workspace["columns"]`` (a
    list, one per part) for :func:`conv2d_backward` to reuse instead of unfolding x again.
    """
    n, _, h, w = x.shape
    o, _, kh, kw = weight.shape
    dtype = np.result_type(x, weight)
    oh = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = conv_output_size(w, kw, stride[1], padding[1], dilation[1])
    w2 = weight.reshape(o, -1).astype(dtype, copy=False)
    x = x.astype(dtype, copy=False)
    out = np.empty((n, o, oh * ow), dtype)
    k = w2.shape[1]
    parts = _parts(n, k, o, (oh, ow), out.itemsize, kh * kw == 1)
    batch_last = _batch_last([c for chunks in parts for c in chunks], (oh, ow))

    def part(chunks: list[tuple[int, int, int, int]]) -> np.ndarray:
        """Writes this part's outputs; returns its last chunk's columns."""
        most = max(m * rows for _, m, _, rows in chunks) * ow  # largest chunk's columns
        buf, y_buf = np.empty(k * most, dtype), np.empty(o * most, dtype)
        for start, m, row0, rows in chunks:
            pixels = rows * ow
            cols = _unfold_chunk(x, buf[:k * m * pixels], (start, m, row0, rows), batch_last,
                                 ((kh, kw), stride, padding, dilation), ow)
            y = np.matmul(w2, cols.reshape(k, -1), out=y_buf[:o * m * pixels].reshape(o, -1))
            y = (y.reshape(o, pixels, m).transpose(2, 0, 1) if batch_last  # (m, O, rows·OW)
                 else y.reshape(o, m, pixels).transpose(1, 0, 2))
            target = out[start:start + m, :, row0 * ow:row0 * ow + pixels]
            if bias is None:
                target[...] = y
            else:
                np.add(y, bias[:, None], out=target)
        return cols

    columns = run_parts(part, parts)
    if workspace is not None and all(len(chunks) == 1 for chunks in parts):
        workspace["columns"] = columns
    return out.reshape(n, o, oh, ow)


@slot(hints=("needs_input_grad", "workspace"))
def conv2d_backward(
    grad: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    has_bias: bool,
    *,
    needs_input_grad: bool = True,
    workspace: dict | None = None,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of y = conv2d(x, W) + b given grad = dL/dy.

    grad: (N, O, OH, OW); x: (N, C, H, W); weight: (O, C, kh, kw).
    Returns (dL/dx (N, C, H, W), dL/dW (O, C, kh, kw), dL/db (O,) or None when
    ``has_bias`` is false). See the module docstring for the formulas.

    Hints only the reference receives: ``needs_input_grad=False`` skips dL/dx (returned
    as None; e.g. a network's first layer), and a ``workspace`` filled by
    :func:`conv2d_forward` saves unfolding x again.
    """
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    out_size = grad.shape[2:]
    dtype = np.result_type(grad, x, weight)
    w2 = weight.reshape(o, -1).astype(dtype, copy=False)
    x = x.astype(dtype, copy=False)
    k, pixels = w2.shape[1], out_size[0] * out_size[1]
    grad_x = np.empty((n, c, h, w), dtype) if needs_input_grad else None
    geometry = ((kh, kw), stride, padding, dilation)
    parts = _parts(n, k, o, out_size, dtype.itemsize, kh * kw == 1)
    batch_last = _batch_last([c for chunks in parts for c in chunks], out_size)
    kept = None if workspace is None else workspace.pop("columns", None)
    if kept is not None and (len(kept) != len(parts) or any(
            len(chunks) != 1 or cols.dtype != dtype or cols.shape != (
                (k, pixels, chunks[0][1]) if batch_last else (k, chunks[0][1], pixels))
            for cols, chunks in zip(kept, parts))):
        kept = None

    def part(index: int) -> tuple[np.ndarray, np.ndarray | None]:
        """This part's dL/dW2ᵀ and dL/db; writes its images' dL/dx."""
        chunks = parts[index]
        first = chunks[0][0]
        images = chunks[-1][0] + chunks[-1][1] - first
        g = np.empty((o, images, pixels), dtype)  # dL/dy as (O, images, OH·OW)
        g[...] = grad[first:first + images].reshape(images, o, pixels).transpose(1, 0, 2)
        # dL/dW2ᵀ = Σ cols @ Gᵀ: OpenBLAS ran this orientation 1.2–1.5× faster than G @ colsᵀ
        # (one thread; O = 8, 32, 64 output channels)
        grad_w2t = np.zeros((k, o), dtype)
        if kept is None:
            buf = np.empty(k * max(m * rows for _, m, _, rows in chunks) * out_size[1], dtype)
        for start, m, row0, rows in chunks:
            band = (rows, out_size[1])
            cols = kept[index] if kept is not None else _unfold_chunk(
                x, buf[:k * m * rows * band[1]], (start, m, row0, rows), batch_last, geometry,
                band[1])
            g_chunk = g[:, start - first:start - first + m,
                        row0 * band[1]:(row0 + rows) * band[1]]
            g_chunk = (g_chunk.transpose(0, 2, 1) if batch_last else g_chunk).reshape(o, -1)
            grad_w2t += cols.reshape(k, -1) @ g_chunk.T
            if grad_x is not None:
                if o == 1:  # an outer product: NumPy's broadcast multiply ran it 4× faster
                    np.multiply(w2.T, g_chunk, out=cols.reshape(k, -1))
                else:
                    np.matmul(w2.T, g_chunk, out=cols.reshape(k, -1))
                if batch_last:
                    fold_batch_last(cols, grad_x[start:start + m], *geometry, band)
                else:
                    fold(cols, grad_x[start:start + m], *geometry, band, row0, row0 > 0)
        return grad_w2t, g.sum(axis=(1, 2)) if has_bias else None

    sums = run_parts(part, range(len(parts)))  # an empty batch has no parts: zero gradients
    grad_w2t = functools.reduce(np.add, [w2t for w2t, _ in sums], np.zeros((k, o), dtype))
    grad_b = functools.reduce(np.add, [b for _, b in sums], np.zeros(o, dtype)) \
        if has_bias else None
    return grad_x, np.ascontiguousarray(grad_w2t.T).reshape(weight.shape), grad_b
