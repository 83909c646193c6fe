"""Inverted dropout: zero activations at random, scale the survivors."""

from __future__ import annotations

import numpy as np

from minidl.kernels.slots import slot


@slot
def dropout_forward(
    x: np.ndarray, p: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Keep each element with probability 1 − p and scale it by 1/(1 − p).

    mask_i = 1/(1 − p) with probability 1 − p, else 0;   out = x ⊙ mask.
    Scaling at training time keeps E[out] = x, so evaluation needs no change.
    p = 0 keeps everything (a mask of ones); p = 1 drops everything (a mask of zeros).
    x: any shape   →   (out, mask), both the shape and dtype of x.
    """
    if p == 0:
        return x.copy(), np.ones_like(x)
    if p == 1:
        return np.zeros_like(x), np.zeros_like(x)
    keep = rng.random(x.shape) >= p
    mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return x * mask, mask
