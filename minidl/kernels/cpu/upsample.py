"""Nearest-neighbour resizing of image batches (``F.interpolate(mode="nearest")``).

Output pixel (oh, ow) copies input pixel (src_h[oh], src_w[ow]) with PyTorch's rule

    src_h[oh] = min(⌊oh · scale_h⌋, H − 1),   scale_h = H / OH  (or 1 / scale_factor)

so an integer factor s repeats every pixel s × s times. The backward pass adds each
output gradient back onto its source pixel; for an integer factor that is a sum over
s × s blocks, otherwise a sum along each axis through the 0/1 matrix of the index map.
"""

from __future__ import annotations

import numpy as np

from minidl.kernels.slots import slot


def nearest_indices(in_size: int, out_size: int, scale: float) -> np.ndarray:
    """src[o] = min(⌊o · scale⌋, in_size − 1) for o < out_size (int64; float32 product, as
    PyTorch's CPU kernel computes it)."""
    src = np.floor(np.arange(out_size, dtype=np.float32) * np.float32(scale)).astype(np.int64)
    return np.minimum(src, in_size - 1)


def _integer_factor(in_size: int, src: np.ndarray) -> int | None:
    """s when the map repeats every input index exactly s times in order, else None."""
    s, rem = divmod(len(src), in_size)
    if rem == 0 and np.array_equal(src, np.repeat(np.arange(in_size), s)):
        return s
    return None


@slot
def upsample_nearest2d_forward(x: np.ndarray, src_h: np.ndarray, src_w: np.ndarray
                               ) -> np.ndarray:
    """y[n, c, oh, ow] = x[n, c, src_h[oh], src_w[ow]].

    x: (N, C, H, W); src_h: (OH,) and src_w: (OW,) int64 from :func:`nearest_indices`.
    Returns y: (N, C, OH, OW), dtype of x.
    """
    sh, sw = _integer_factor(x.shape[2], src_h), _integer_factor(x.shape[3], src_w)
    if sh is not None and sw is not None:
        n, c, h, w = x.shape
        y = np.empty((n, c, h, sh, w, sw), x.dtype)
        y[...] = x[:, :, :, None, :, None]
        return y.reshape(n, c, h * sh, w * sw)
    return x[:, :, src_h[:, None], src_w[None, :]]


@slot
def upsample_nearest2d_backward(grad: np.ndarray, input_shape: tuple[int, int, int, int],
                                src_h: np.ndarray, src_w: np.ndarray) -> np.ndarray:
    """dL/dx[n, c, i, j] = Σ_{oh: src_h[oh] = i} Σ_{ow: src_w[ow] = j} grad[n, c, oh, ow].

    grad: (N, C, OH, OW); input_shape: (N, C, H, W). Returns (N, C, H, W), dtype of grad.
    """
    n, c, h, w = input_shape
    sh, sw = _integer_factor(h, src_h), _integer_factor(w, src_w)
    if sh is not None and sw is not None:
        return grad.reshape(n, c, h, sh, w, sw).sum(axis=(3, 5))
    rows = (src_h[None, :] == np.arange(h)[:, None]).astype(grad.dtype)  # (H, OH)
    cols = (src_w[:, None] == np.arange(w)[None, :]).astype(grad.dtype)  # (OW, W)
    return rows @ grad @ cols
