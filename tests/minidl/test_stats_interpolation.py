"""The Fréchet-distance and slerp kernels against hand-computed values and SciPy-free
re-derivations."""

from __future__ import annotations

import numpy as np
import pytest

from minidl.kernels.cpu.interpolation import slerp
from minidl.kernels.cpu.stats import frechet_distance


def test_frechet_distance_by_hand():
    assert frechet_distance(np.zeros(1), np.eye(1) * 4, np.ones(1) * 3, np.eye(1)) == \
        pytest.approx(9 + 1)
    assert frechet_distance(np.zeros(2), np.diag([1.0, 9.0]), np.zeros(2),
                            np.diag([4.0, 1.0])) == pytest.approx(1 + 4)


def test_frechet_distance_equals_the_matrix_square_root_formula():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    s1, s2 = a @ a.T, b @ b.T
    w, v = np.linalg.eig(s1 @ s2)                       # (Σ1Σ2)^{1/2} by eigen-decomposition
    root = (v * np.sqrt(w.astype(complex))) @ np.linalg.inv(v)
    mu1, mu2 = rng.standard_normal(4), rng.standard_normal(4)
    want = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * root).real
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(want, rel=1e-8)


def test_slerp_keeps_the_norm_and_spaces_the_angle_evenly():
    rng = np.random.default_rng(1)
    z0, z1 = rng.standard_normal(16), rng.standard_normal(16)
    z1 *= np.linalg.norm(z0) / np.linalg.norm(z1)
    t = np.linspace(0, 1, 6)
    path = slerp(z0, z1, t)
    np.testing.assert_allclose(path[[0, -1]], [z0, z1], atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), np.linalg.norm(z0), rtol=1e-12)
    angles = np.arccos(np.clip(path @ z0 / np.linalg.norm(z0) ** 2, -1, 1))
    # arccos near 1 magnifies rounding (1e-16 in the cosine is ~1e-8 in the angle): even
    # spacing to 1e-6, where a linear path would be off by percents
    np.testing.assert_allclose(np.diff(angles), angles[-1] / 5, rtol=1e-6)


def test_slerp_batches_and_parallel_codes():
    z0 = np.array([[1.0, 0.0], [1.0, 1.0]], np.float32)
    z1 = np.array([[0.0, 1.0], [2.0, 2.0]], np.float32)     # second pair parallel: lerp
    out = slerp(z0, z1, np.array([0.5]))
    assert out.shape == (1, 2, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, 0], [np.sqrt(0.5)] * 2, rtol=1e-6)
    np.testing.assert_allclose(out[0, 1], [1.5, 1.5], rtol=1e-6)
