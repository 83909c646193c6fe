"""Paths between two points of a generator's latent space.

Linear interpolation (lerp) z(t) = (1 − t)·z₀ + t·z₁ cuts through the inside of the ball:
for z ~ N(0, I) in D dimensions almost all the probability mass lies near the sphere of
radius √D, and the midpoint of two such codes has norm ≈ √(D/2), a code the generator
practically never saw. Spherical interpolation (slerp, Shoemake 1985; White 2016 for GANs)
walks along the great circle instead, at constant angular speed:

    slerp(z₀, z₁; t) = sin((1 − t)·Ω)/sin Ω · z₀ + sin(t·Ω)/sin Ω · z₁,
    cos Ω = z₀·z₁ / (‖z₀‖ ‖z₁‖)

(for ‖z₀‖ = ‖z₁‖ every point keeps that norm). When z₀ and z₁ are (anti)parallel,
sin Ω → 0 and slerp falls back to lerp.
"""

from __future__ import annotations

import numpy as np

from minidl.kernels.slots import slot


@slot
def slerp(z0: np.ndarray, z1: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation (module docstring) at the fractions ``t``.

    z0, z1: (..., D), the same shape (e.g. (D,) or a batch (N, D)); t: (T,) in [0, 1].
    Returns (T, ..., D), dtype of z0: row k is the point at fraction t[k] (t = 0 gives z0,
    t = 1 gives z1). Pairs closer than 1e-6 rad to parallel are interpolated linearly.
    """
    a, b = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    t = np.asarray(t, np.float64).reshape((-1,) + (1,) * a.ndim)
    cos = (a * b).sum(-1, keepdims=True) / (np.linalg.norm(a, axis=-1, keepdims=True)
                                             * np.linalg.norm(b, axis=-1, keepdims=True))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    sin = np.sin(omega)
    flat = sin < 1e-6
    safe = np.where(flat, 1.0, sin)
    wa = np.where(flat, 1 - t, np.sin((1 - t) * omega) / safe)
    wb = np.where(flat, t, np.sin(t * omega) / safe)
    return (wa * a + wb * b).astype(np.asarray(z0).dtype)
