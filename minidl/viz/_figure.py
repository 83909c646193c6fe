"""What every plot shares: figure creation, class colours, and 2-D data validation."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from minidl.errors import ShapeError, fmt_shape

#: One colour and marker per class label (0, 1, 2, ...), reused by every plot.
CLASS_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")
CLASS_MARKERS = ("o", "^", "s", "D", "v")
#: Light versions of the class colours for shaded decision regions.
REGION_COLORS = ("#c6dbef", "#fdd0a2", "#c7e9c0", "#fcbba1", "#dadaeb")


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (4.5, 4.0)) -> tuple[Figure, Axes]:
    """``ax`` and its figure, or a fresh single-axes ``Figure`` (not managed by pyplot)."""
    if ax is not None:
        return ax.get_figure(), ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def as_array(x: Any) -> np.ndarray:
    """A NumPy array from an array, a list, or a (detached) minidl Tensor."""
    if hasattr(x, "detach"):
        return x.detach().numpy()
    return np.asarray(x)


def check_points(where: str, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate 2-D points ``X`` (N, 2) with integer labels ``y`` (N,) and return arrays."""
    X, y = as_array(X), as_array(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ShapeError(f"{where}: expected X of shape (N, 2), got {fmt_shape(X.shape)}")
    if y.shape != (X.shape[0],):
        raise ShapeError(
            f"{where}: expected y of shape ({X.shape[0]},) to match X, got {fmt_shape(y.shape)}"
        )
    return X, y.astype(np.int64)


def scatter_classes(ax: Axes, X: np.ndarray, y: np.ndarray) -> None:
    """Scatter each class with its own colour and marker, labelled ``class k``."""
    for k in np.unique(y):
        pts = X[y == k]
        ax.scatter(
            pts[:, 0], pts[:, 1], s=28, c=CLASS_COLORS[k % len(CLASS_COLORS)],
            marker=CLASS_MARKERS[k % len(CLASS_MARKERS)], edgecolors="k", linewidths=0.5,
            label=f"class {k}", zorder=3,
        )


def padded_limits(X: np.ndarray, padding: float) -> tuple[float, float, float, float]:
    """(x_min, x_max, y_min, y_max) around the points, widened by ``padding`` × the range."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - padding * span, hi + padding * span
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])
