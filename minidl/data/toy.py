"""Generated 2-D classification sets for the first chapters: small, seeded, instant.

Every function returns ``(X, y)`` with X float32 (n_samples, 2) and y int64
(n_samples,) holding class ids 0..k-1, in a shuffled order (so ``X[:n]`` is a
fair sample). The same arguments always give the same arrays. Classes get
``n_samples // k`` points each and the first ``n_samples % k`` classes one more.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _int_arg(fn: str, name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{fn}: expected {name} to be an int >= {minimum}, got {value!r}")
    return int(value)


def _float_arg(
    fn: str,
    name: str,
    value: Any,
    low: float = 0.0,
    high: float = np.inf,
    open_low: bool = False,
    open_high: bool = False,
) -> float:
    ok = (
        not isinstance(value, bool)
        and isinstance(value, (int, float, np.integer, np.floating))
        and (low < value if open_low else low <= value)
        and (value < high if open_high else value <= high)
    )
    if not ok:
        interval = f"{'(' if open_low else '['}{low}, {high}{')' if open_high else ']'}"
        raise ValueError(f"{fn}: expected {name} to be a number in {interval}, got {value!r}")
    return float(value)


def _class_sizes(n_samples: int, n_classes: int) -> np.ndarray:
    sizes = np.full(n_classes, n_samples // n_classes)
    sizes[: n_samples % n_classes] += 1
    return sizes


def _finish(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle the rows together and fix the dtypes."""
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order].astype(np.int64)


def make_blobs(
    n_samples: int = 300, centers: int | Any = 3, cluster_std: float = 1.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters: class k is ``N(center_k, cluster_std² I)``.

    ``centers`` is the number of clusters (their centres drawn uniformly from the
    box [-10, 10]², as scikit-learn does) or an array of centres (k, 2).
    """
    fn = "make_blobs"
    seed = _int_arg(fn, "seed", seed, 0)
    rng = np.random.default_rng(seed)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        k = _int_arg(fn, "centers", centers, 1)
        centre_xy = rng.uniform(-10.0, 10.0, size=(k, 2))
    else:
        centre_xy = np.asarray(centers, dtype=np.float64)
        if centre_xy.ndim != 2 or centre_xy.shape[1] != 2 or len(centre_xy) == 0:
            raise ValueError(
                f"{fn}: expected centers to be an int or an array (k, 2), got {centers!r}"
            )
        k = len(centre_xy)
    n_samples = _int_arg(fn, "n_samples", n_samples, k)
    std = _float_arg(fn, "cluster_std", cluster_std)
    y = np.repeat(np.arange(k), _class_sizes(n_samples, k))
    X = centre_xy[y] + std * rng.standard_normal((n_samples, 2))
    return _finish(X, y, rng)


def make_moons(
    n_samples: int = 200, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: class 0 is ``(cos t, sin t)``, class 1
    ``(1 - cos t, 0.5 - sin t)`` for t in [0, π], plus Gaussian noise of std ``noise``."""
    fn = "make_moons"
    n_samples = _int_arg(fn, "n_samples", n_samples, 2)
    noise = _float_arg(fn, "noise", noise)
    rng = np.random.default_rng(_int_arg(fn, "seed", seed, 0))
    n0, n1 = _class_sizes(n_samples, 2)
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    X = np.concatenate(
        [
            np.stack([np.cos(t0), np.sin(t0)], axis=1),
            np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1),
        ]
    )
    y = np.repeat([0, 1], [n0, n1])
    return _finish(X + noise * rng.standard_normal(X.shape), y, rng)


def make_circles(
    n_samples: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: class 0 on the unit circle, class 1 on the circle of
    radius ``factor`` (0 < factor < 1), plus Gaussian noise of std ``noise``."""
    fn = "make_circles"
    n_samples = _int_arg(fn, "n_samples", n_samples, 2)
    noise = _float_arg(fn, "noise", noise)
    factor = _float_arg(fn, "factor", factor, 0.0, 1.0, open_low=True, open_high=True)
    rng = np.random.default_rng(_int_arg(fn, "seed", seed, 0))
    sizes = _class_sizes(n_samples, 2)
    rings = []
    for radius, n in zip((1.0, factor), sizes, strict=True):
        t = np.linspace(0, 2 * np.pi, n, endpoint=False)
        rings.append(radius * np.stack([np.cos(t), np.sin(t)], axis=1))
    X = np.concatenate(rings)
    y = np.repeat([0, 1], sizes)
    return _finish(X + noise * rng.standard_normal(X.shape), y, rng)


def make_spirals(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms (the CS231n set). Arm k has radius r from 0 to 1 and
    angle ``θ = 4k + 4r + noise·ε`` (ε ~ N(0, 1)); its points are ``r (sin θ, cos θ)``."""
    fn = "make_spirals"
    n_classes = _int_arg(fn, "n_classes", n_classes, 2)
    n_samples = _int_arg(fn, "n_samples", n_samples, n_classes)
    noise = _float_arg(fn, "noise", noise)
    rng = np.random.default_rng(_int_arg(fn, "seed", seed, 0))
    sizes = _class_sizes(n_samples, n_classes)
    arms = []
    for k, n in enumerate(sizes):
        r = np.linspace(0.0, 1.0, n)
        theta = np.linspace(4.0 * k, 4.0 * (k + 1), n) + noise * rng.standard_normal(n)
        arms.append(r[:, None] * np.stack([np.sin(theta), np.cos(theta)], axis=1))
    y = np.repeat(np.arange(n_classes), sizes)
    return _finish(np.concatenate(arms), y, rng)


def make_xor(
    n_samples: int = 200, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian clusters (std ``noise``) at the corners (±1, ±1); a point's label is
    the XOR of its corner's signs: 1 at (1, -1) and (-1, 1), 0 at (1, 1) and (-1, -1).

    No straight line separates the classes: the set that a single perceptron cannot
    learn and a hidden layer can.
    """
    fn = "make_xor"
    n_samples = _int_arg(fn, "n_samples", n_samples, 4)
    noise = _float_arg(fn, "noise", noise)
    rng = np.random.default_rng(_int_arg(fn, "seed", seed, 0))
    corners = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, -1.0], [-1.0, 1.0]])  # classes 0 1 0 1
    which = np.repeat(np.arange(4), _class_sizes(n_samples, 4))
    X = corners[which] + noise * rng.standard_normal((n_samples, 2))
    y = ((corners[which, 0] > 0) != (corners[which, 1] > 0)).astype(np.int64)
    return _finish(X, y, rng)


def make_linearly_separable(
    n_samples: int = 100, margin: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two classes split by a random line with a guaranteed gap, for the perceptron.

    A unit normal ``w`` and offset ``b`` are drawn; every point lies at distance
    ``≥ margin`` from the line ``w·x + b = 0`` (class 1 on the side w points to,
    class 0 on the other), at most ``margin + 2`` from it, and at most 3 along it.
    So the perceptron converges after at most ``(R / margin)²`` mistakes (R the
    largest ``|x|``). For labels in {-1, +1} use ``2 * y - 1``.
    """
    fn = "make_linearly_separable"
    n_samples = _int_arg(fn, "n_samples", n_samples, 2)
    margin = _float_arg(fn, "margin", margin, open_low=True)
    rng = np.random.default_rng(_int_arg(fn, "seed", seed, 0))
    angle = rng.uniform(0.0, 2.0 * np.pi)
    w = np.array([np.cos(angle), np.sin(angle)])
    along = np.array([-w[1], w[0]])
    b = rng.uniform(-1.0, 1.0)
    y = np.repeat([0, 1], _class_sizes(n_samples, 2))
    side = 2.0 * y - 1.0
    distance = margin + rng.uniform(0.0, 2.0, n_samples)
    offset = rng.uniform(-3.0, 3.0, n_samples)
    X = -b * w + offset[:, None] * along + (side * distance)[:, None] * w
    return _finish(X, y, rng)
