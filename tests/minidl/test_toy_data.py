"""minidl.data.toy: generated 2-D sets (shapes, dtypes, determinism, geometry)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.data import (
    make_blobs,
    make_circles,
    make_linearly_separable,
    make_moons,
    make_spirals,
    make_xor,
)

MAKERS = {  # function -> number of classes with default arguments
    make_blobs: 3,
    make_moons: 2,
    make_circles: 2,
    make_spirals: 3,
    make_xor: 2,
    make_linearly_separable: 2,
}


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__)
def test_defaults_shapes_dtypes_and_balance(make):
    X, y = make()
    n = len(y)
    assert X.shape == (n, 2) and X.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    k = MAKERS[make]
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k and counts.max() - counts.min() <= 1
    assert np.isfinite(X).all()


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__)
def test_same_seed_same_data_other_seed_other_data(make):
    X1, y1 = make(seed=7)
    X2, y2 = make(seed=7)
    X3, _ = make(seed=8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__)
def test_rows_are_shuffled(make):
    _, y = make()
    assert np.any(np.diff(y) < 0), "labels come out sorted; X[:n] would not be a fair sample"


@settings(max_examples=20, deadline=None)
@given(n=st.integers(4, 60), seed=st.integers(0, 2**31))
def test_n_samples_is_exact_and_classes_balanced(n, seed):
    for make, k in MAKERS.items():
        _, y = make(n_samples=n, seed=seed)
        counts = np.bincount(y, minlength=k)
        assert counts.sum() == n and counts.max() - counts.min() <= 1, make.__name__


def test_noise_free_geometry():
    X, y = make_circles(n_samples=40, noise=0.0, factor=0.3)
    np.testing.assert_allclose(np.hypot(*X.T), np.where(y == 0, 1.0, 0.3), rtol=1e-6)
    X, y = make_moons(n_samples=40, noise=0.0)
    outer = X[y == 0]
    np.testing.assert_allclose(np.hypot(*outer.T), 1.0, rtol=1e-6)
    inner = X[y == 1] - np.array([1.0, 0.5])  # the second moon is centred at (1, 0.5)
    np.testing.assert_allclose(np.hypot(*inner.T), 1.0, rtol=1e-6)
    assert (inner[:, 1] <= 1e-6).all()  # and opens upwards
    X, y = make_spirals(n_samples=30, n_classes=3, noise=0.0)
    assert np.hypot(*X.T).max() == pytest.approx(1.0)


def test_blobs_cluster_around_given_centres_with_given_spread():
    centres = np.array([[0.0, 0.0], [20.0, -5.0]])
    X, y = make_blobs(n_samples=4000, centers=centres, cluster_std=0.5, seed=1)
    for k, c in enumerate(centres):
        pts = X[y == k]
        np.testing.assert_allclose(pts.mean(axis=0), c, atol=0.05)
        np.testing.assert_allclose(pts.std(axis=0), 0.5, rtol=0.07)


def test_xor_labels_follow_the_quadrant_signs():
    X, y = make_xor(n_samples=400, noise=0.1, seed=3)
    assert np.array_equal(y, ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64))
    # no line separates XOR: the class means coincide near the origin
    assert np.abs(X[y == 0].mean(axis=0) - X[y == 1].mean(axis=0)).max() < 0.2


def best_margin(X: np.ndarray, y: np.ndarray, n_angles: int = 20000) -> float:
    """The largest gap between the classes over directions w(θ), θ on a fine grid: for each w,
    the gap is (min of class 1's projections - max of class 0's) / 2. Independent of the
    generator: the true direction lies within half a grid step of a tested one."""
    theta = np.linspace(0.0, 2.0 * np.pi, n_angles, endpoint=False)
    W = np.stack([np.cos(theta), np.sin(theta)])  # (2, n_angles)
    P = X.astype(np.float64) @ W
    return float(((P[y == 1].min(axis=0) - P[y == 0].max(axis=0)) / 2).max())


def perceptron_mistakes(X: np.ndarray, y: np.ndarray, max_epochs: int = 1000) -> int | None:
    """Rosenblatt's perceptron with a bias; the total number of updates until an error-free
    epoch, or None if it never gets there."""
    Xb = np.hstack([X.astype(np.float64), np.ones((len(X), 1))])
    t = 2 * y - 1
    w = np.zeros(3)
    mistakes = 0
    for _ in range(max_epochs):
        errors = 0
        for xi, ti in zip(Xb, t, strict=True):
            if ti * (xi @ w) <= 0:
                w += ti * xi
                errors += 1
        mistakes += errors
        if errors == 0:
            return mistakes
    return None


@pytest.mark.parametrize("margin", [0.1, 0.5, 2.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linearly_separable_has_the_promised_margin(margin, seed):
    X, y = make_linearly_separable(n_samples=200, margin=margin, seed=seed)
    gap = best_margin(X, y)
    assert gap >= margin - 2e-3
    assert gap <= margin + 0.2  # tight: points come within reach of the margin
    assert perceptron_mistakes(X, y) is not None


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: make_blobs(n_samples=2, centers=3), "n_samples"),
        (lambda: make_blobs(centers=0), "centers"),
        (lambda: make_blobs(centers=[[0, 0, 0]]), "centers"),
        (lambda: make_blobs(cluster_std=-1.0), "cluster_std"),
        (lambda: make_moons(n_samples=1), "n_samples"),
        (lambda: make_moons(n_samples=10.0), "n_samples"),
        (lambda: make_moons(noise=-0.1), "noise"),
        (lambda: make_moons(seed=-1), "seed"),
        (lambda: make_moons(seed=1.5), "seed"),
        (lambda: make_circles(factor=1.0), "factor"),
        (lambda: make_circles(factor=0.0), "factor"),
        (lambda: make_spirals(n_classes=1), "n_classes"),
        (lambda: make_spirals(n_samples=2, n_classes=3), "n_samples"),
        (lambda: make_xor(n_samples=3), "n_samples"),
        (lambda: make_linearly_separable(margin=0.0), "margin"),
        (lambda: make_linearly_separable(n_samples=True), "n_samples"),
        (lambda: make_xor(noise="0.1"), "noise"),
    ],
)
def test_argument_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()
