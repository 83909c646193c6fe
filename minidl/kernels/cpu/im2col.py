"""im2col / col2im: turning a convolution into matrix products.

A 2-D convolution slides a (C, kh, kw) window over the padded input. ``im2col``
copies every window into a column, so the convolution becomes a matrix product
``W (O, C·kh·kw) @ cols (C·kh·kw, OH·OW)``; ``col2im`` is its adjoint: it adds
each column back onto the pixels it was copied from (used for dL/dx).

Output size along one axis (PyTorch's formula)::

    OH = ⌊(H + 2·ph − dh·(kh − 1) − 1) / sh⌋ + 1

Layout (row r of image n's column matrix, column l)::

    cols[n, (c·kh + i)·kw + j, oh·OW + ow] = x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw]

where ``x_pad`` is ``x`` with ``ph`` / ``pw`` zeros on each side. The compiled
kernels (:func:`unfold`, :func:`fold`) use a batch-major layout instead, a C-contiguous
(C·kh·kw, N, OH·OW) buffer indexed ``cols[r, n, l]``: that is one (C·kh·kw, N·OH·OW)
matrix for a whole batch, so the convolution needs one large GEMM instead of N small
ones (the slots transpose to and from the per-image layout above).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from minidl.kernels.cpu._threads import cpu_threads, serial_twin
from minidl.kernels.slots import slot

Pair = tuple[int, int]


def conv_output_size(size: int, k: int, stride: int, pad: int, dilation: int) -> int:
    """⌊(size + 2·pad − dilation·(k − 1) − 1) / stride⌋ + 1 (may be ≤ 0 for a too-big kernel)."""
    return (size + 2 * pad - dilation * (k - 1) - 1) // stride + 1


# Both kernels run one (image, channel) plane per parallel task. A padded plane is first
# copied into a zero-padded scratch plane, so the copy loops need no bounds tests (2–3×
# faster than clipping each row). The copies go through 1-D row views with no stride
# arithmetic in the indices, so LLVM vectorises the short row copies: with dilation 1
# (almost every layer) the scratch plane is split into sh·sw *phase planes*,
# phases[a, b, r, q] = x_pad[r·sh + a, q·sw + b], and window (i, j) of output row oh reads
# the contiguous row phases[i mod sh, j mod sw, oh + i div sh, j div sw :] (for stride 1 the
# one phase is the padded plane). Measured on LeNet's layers, one thread: 2.7–3.1× faster
# than the same loops written with [r, n, l] indexing and ``oh·sh + i·dh`` rows for every
# layer; 1.4–1.6× on 32→64 channels. Stride 2 (64×16×64² → 8, k7, one thread, CPU time):
# im2col 27 → 11 ms and col2im 32 → 14 ms, from strided loops to phase planes.
@njit(cache=True, inline="always")
def _phase_shape(height, width, sh, sw, ph, pw):  # pragma: no cover
    """(sh, sw, ⌈(H + 2·ph) / sh⌉, ⌈(W + 2·pw) / sw⌉): the phase planes of one padded plane."""
    return sh, sw, -(-(height + 2 * ph) // sh), -(-(width + 2 * pw) // sw)


@njit(cache=True, parallel=True, nogil=True, boundscheck=False)
def _unfold(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh_size, ow_size,  # pragma: no cover
            row0):
    """cols[(c·kh + i)·kw + j, n, oh·OW + ow] = x_pad[n, c, (row0 + oh)·sh + i·dh, ow·sw + j·dw]
    for the ``oh_size`` output rows from ``row0`` on."""
    n_img, chans, height, width = x.shape
    phased = dh == 1 and dw == 1 and kh >= sh and kw >= sw  # else the strided loop reads less
    for task in prange(n_img * chans):
        n, c = task // chans, task % chans
        if phased:
            direct = sh == 1 and sw == 1 and ph == 0 and pw == 0  # x[n, c] is the one phase
            phases = np.zeros(_phase_shape(height * (not direct), width * (not direct), sh, sw,
                                           ph, pw), x.dtype)  # empty when direct
            if sh == 1 and sw == 1 and not direct:
                phases[0, 0, ph:ph + height, pw:pw + width] = x[n, c]
            elif not direct:
                for y in range(height):
                    row, src = phases[(y + ph) % sh, :, (y + ph) // sh], x[n, c, y]
                    for col in range(width):
                        row[(col + pw) % sw, (col + pw) // sw] = src[col]
            for i in range(kh):
                for j in range(kw):
                    dst = cols[(c * kh + i) * kw + j, n]
                    phase = x[n, c] if direct else phases[i % sh, j % sw]
                    for oh in range(oh_size):
                        base, src = oh * ow_size, phase[row0 + oh + i // sh, j // sw:]
                        for ow in range(ow_size):
                            dst[base + ow] = src[ow]
        else:
            plane = np.zeros((height + 2 * ph, width + 2 * pw), x.dtype)  # x_pad[n, c]
            plane[ph:ph + height, pw:pw + width] = x[n, c]
            for i in range(kh):
                for j in range(kw):
                    dst = cols[(c * kh + i) * kw + j, n]
                    for oh in range(oh_size):
                        base, src = oh * ow_size, plane[(row0 + oh) * sh + i * dh, j * dw:]
                        for ow in range(ow_size):
                            dst[base + ow] = src[ow * sw]


@njit(cache=True, parallel=True, nogil=True, boundscheck=False)
def _fold(cols, out, kh, kw, sh, sw, ph, pw, dh, dw, oh_size, ow_size,  # pragma: no cover
          row0, accumulate):
    """out[n, c, (row0 + oh)·sh + i·dh − ph, ow·sw + j·dw − pw] += cols[(c·kh + i)·kw + j, n,
    oh·OW + ow] for the ``oh_size`` output rows from ``row0`` on; ``out`` is zeroed first
    unless ``accumulate``."""
    n_img, chans, height, width = out.shape
    phased = dh == 1 and dw == 1 and kh >= sh and kw >= sw  # else the strided loop reads less
    for task in prange(n_img * chans):
        n, c = task // chans, task % chans
        if phased:  # dL/dx_pad[n, c] as phase planes (see _unfold)
            phases = np.zeros(_phase_shape(height, width, sh, sw, ph, pw), cols.dtype)
            for i in range(kh):
                for j in range(kw):
                    src, phase = cols[(c * kh + i) * kw + j, n], phases[i % sh, j % sw]
                    for oh in range(oh_size):
                        base, dst = oh * ow_size, phase[row0 + oh + i // sh, j // sw:]
                        for ow in range(ow_size):
                            dst[ow] += src[base + ow]
            if sh == 1 and sw == 1 and accumulate:
                out[n, c] += phases[0, 0, ph:ph + height, pw:pw + width]
            elif sh == 1 and sw == 1:
                out[n, c] = phases[0, 0, ph:ph + height, pw:pw + width]
            else:
                for y in range(height):
                    row, dst = phases[(y + ph) % sh, :, (y + ph) // sh], out[n, c, y]
                    for col in range(width):
                        value = row[(col + pw) % sw, (col + pw) // sw]
                        dst[col] = dst[col] + value if accumulate else value
        else:
            plane = np.zeros((height + 2 * ph, width + 2 * pw), cols.dtype)  # dL/dx_pad[n, c]
            for i in range(kh):
                for j in range(kw):
                    src = cols[(c * kh + i) * kw + j, n]
                    for oh in range(oh_size):
                        base, dst = oh * ow_size, plane[(row0 + oh) * sh + i * dh, j * dw:]
                        for ow in range(ow_size):
                            dst[ow * sw] += src[base + ow]
            if accumulate:
                out[n, c] += plane[ph:ph + height, pw:pw + width]
            else:
                out[n, c] = plane[ph:ph + height, pw:pw + width]


PARALLEL_MIN_ELEMENTS = 3 * 2**20  # column entries from which 2 threads won (measured)


def _parallel(cols: np.ndarray) -> bool:
    """Whether to run the ``parallel`` compilation on ``cols``: large enough, and not inside
    one of ``_threads.run_parts``' shares (which already has a core to itself)."""
    return cols.size >= PARALLEL_MIN_ELEMENTS and cpu_threads() > 1


_unfold_serial, _fold_serial = serial_twin(_unfold), serial_twin(_fold)


def unfold(x: np.ndarray, cols: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair,
           dilation: Pair, out_size: Pair, row0: int = 0) -> np.ndarray:
    """Write im2col of x (N, C, H, W) into ``cols`` indexed [C·kh·kw, N, OH·OW]; returns cols.

    ``out_size`` (OH, OW) and ``row0``: the columns of output rows row0 … row0 + OH − 1 only
    (a band of a large image; the whole output when row0 = 0 and OH is its height)."""
    kernel = _unfold if _parallel(cols) else _unfold_serial
    kernel(np.ascontiguousarray(x), cols, *kernel_size, *stride, *padding, *dilation, *out_size,
           row0)
    return cols


def fold(cols: np.ndarray, out: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair,
         dilation: Pair, out_size: Pair, row0: int = 0, accumulate: bool = False) -> np.ndarray:
    """Write col2im of ``cols`` indexed [C·kh·kw, N, OH·OW] into out (N, C, H, W); returns out.

    ``row0``: as in :func:`unfold` (cols holds output rows row0 … row0 + OH − 1);
    ``accumulate``: add onto ``out`` instead of overwriting it (the second and later bands)."""
    kernel = _fold if _parallel(cols) else _fold_serial
    kernel(cols, out, *kernel_size, *stride, *padding, *dilation, *out_size, row0, accumulate)
    return out


# The transposed convolution (kernels/cpu/conv_transpose.py) uses a *batch-last* layout,
# cols[(c·kh + i)·kw + j, r·W + q, n]: image n innermost. Its layers are small images with
# stride 2 (7² → 14² in DCGAN), where the batch-major kernels above loop over rows of 7
# pixels that no SIMD lane fits; here the innermost loop runs over the chunk's images
# (64 in DCGAN) and vectorises, one parallel task per channel. Measured on DCGAN's
# 64 → 32 layer (batch 64, one thread): col2im 1.7 → 0.5 ms, im2col 1.6 → 0.5 ms.
@njit(cache=True, parallel=True, nogil=True, boundscheck=False)
def _unfold_batch_last(x, cols, kh, kw, sh, sw, ph, pw, dh, dw,  # pragma: no cover
                       oh_size, ow_size):
    """cols[(c·kh + i)·kw + j, oh·OW + ow, n] = x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw]."""
    n_img, chans, height, width = x.shape
    for c in prange(chans):
        plane = np.zeros((height + 2 * ph, width + 2 * pw, n_img), x.dtype)  # x_pad[:, c], n last
        for n in range(n_img):
            for y in range(height):
                src, dst = x[n, c, y], plane[y + ph]
                for col in range(width):
                    dst[col + pw, n] = src[col]
        for i in range(kh):
            for j in range(kw):
                dst = cols[(c * kh + i) * kw + j]
                for oh in range(oh_size):
                    row = plane[oh * sh + i * dh]
                    for ow in range(ow_size):
                        d, s = dst[oh * ow_size + ow], row[ow * sw + j * dw]
                        for n in range(n_img):
                            d[n] = s[n]


@njit(cache=True, parallel=True, nogil=True, boundscheck=False)
def _fold_batch_last(cols, out, kh, kw, sh, sw, ph, pw, dh, dw,  # pragma: no cover
                     oh_size, ow_size):
    """out[n, c, oh·sh + i·dh − ph, ow·sw + j·dw − pw] += cols[(c·kh + i)·kw + j, oh·OW + ow, n]."""
    n_img, chans, height, width = out.shape
    for c in prange(chans):
        plane = np.zeros((height + 2 * ph, width + 2 * pw, n_img), cols.dtype)  # out_pad[:, c]
        for i in range(kh):
            for j in range(kw):
                src = cols[(c * kh + i) * kw + j]
                for oh in range(oh_size):
                    row = plane[oh * sh + i * dh]
                    for ow in range(ow_size):
                        d, s = row[ow * sw + j * dw], src[oh * ow_size + ow]
                        for n in range(n_img):
                            d[n] += s[n]
        for n in range(n_img):
            for y in range(height):
                src, dst = plane[y + ph], out[n, c, y]
                for col in range(width):
                    dst[col] = src[col + pw, n]


_unfold_batch_last_serial = serial_twin(_unfold_batch_last)
_fold_batch_last_serial = serial_twin(_fold_batch_last)


def unfold_batch_last(x: np.ndarray, cols: np.ndarray, kernel_size: Pair, stride: Pair,
                      padding: Pair, dilation: Pair, out_size: Pair) -> np.ndarray:
    """Write im2col of x (N, C, H, W) into ``cols`` indexed [C·kh·kw, OH·OW, N]; returns cols."""
    kernel = _unfold_batch_last if _parallel(cols) else _unfold_batch_last_serial
    kernel(np.ascontiguousarray(x), cols, *kernel_size, *stride, *padding, *dilation, *out_size)
    return cols


def fold_batch_last(cols: np.ndarray, out: np.ndarray, kernel_size: Pair, stride: Pair,
                    padding: Pair, dilation: Pair, out_size: Pair) -> np.ndarray:
    """Write col2im of ``cols`` indexed [C·kh·kw, OH·OW, N] into out (N, C, H, W); returns
    out. ``out_size``: (OH, OW), the size of the convolution's output (= of the columns)."""
    kernel = _fold_batch_last if _parallel(cols) else _fold_batch_last_serial
    kernel(cols, out, *kernel_size, *stride, *padding, *dilation, *out_size)
    return out


@slot
def im2col(
    x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair
) -> np.ndarray:
    """Unfold every (C, kh, kw) window of ``x`` into a column.

    x: (N, C, H, W). Returns cols: (N, C·kh·kw, OH·OW) with
    ``cols[n, (c·kh + i)·kw + j, oh·OW + ow] = x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw]``
    (zero where the window hangs over the padding). Reference version::

        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, :, i*dh : i*dh + sh*OH : sh, j*dw : j*dw + sw*OW : sw]
                cols[:, i*kw + j :: kh*kw, :] = patch.reshape(N, C, OH*OW)
    """
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh = conv_output_size(h, kh, sh, ph, dh)
    ow = conv_output_size(w, kw, sw, pw, dw)
    cols = np.empty((c * kh * kw, n, max(oh, 0) * max(ow, 0)), x.dtype)
    unfold(x, cols, kernel_size, stride, padding, dilation, (oh, ow))
    return np.ascontiguousarray(cols.transpose(1, 0, 2))


@slot
def col2im(
    cols: np.ndarray,
    input_shape: tuple[int, int, int, int],
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
) -> np.ndarray:
    """The adjoint of :func:`im2col`: add every column entry back onto its input pixel.

    cols: (N, C·kh·kw, OH·OW); input_shape: (N, C, H, W). Returns (N, C, H, W) with
    ``out[n, c, oh·sh + i·dh − ph, ow·sw + j·dw − pw] += cols[n, (c·kh + i)·kw + j, oh·OW + ow]``
    summed over all (i, j, oh, ow) that land inside the image (overlapping
    windows add up; entries that fell on the padding are dropped).
    """
    out = np.empty(input_shape, cols.dtype)
    oh, ow = (conv_output_size(input_shape[2 + a], kernel_size[a], stride[a], padding[a],
                               dilation[a]) for a in (0, 1))
    cols = np.ascontiguousarray(cols.transpose(1, 0, 2))
    return fold(cols, out, kernel_size, stride, padding, dilation, (oh, ow))
