"""Decision boundaries of 2-D classifiers: a linear one (a line) and any one (regions).

A linear classifier in the plane predicts class 1 where z = w₁x₁ + w₂x₂ + b ≥ 0 and class 0
elsewhere (the perceptron's step(z) = [z ≥ 0]), so its decision boundary is the line
w·x + b = 0, and w is the normal of that line, pointing towards class 1.
Any other classifier is drawn by evaluating it on a grid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from minidl.errors import ShapeError, fmt_shape
from minidl.viz._figure import (
    REGION_COLORS,
    as_array,
    check_points,
    new_axes,
    padded_limits,
    scatter_classes,
)

Limits = tuple[float, float, float, float]


def boundary_points(w: Any, b: float, limits: Limits) -> tuple[np.ndarray, np.ndarray] | None:
    """Two points (x₁ values, x₂ values) on the line w₁x₁ + w₂x₂ + b = 0 spanning ``limits``.

    ``limits`` is (x₁_min, x₁_max, x₂_min, x₂_max). The line is parametrised by the coordinate
    whose weight is smaller, so steep and vertical lines work too:
    x₂ = −(w₁x₁ + b) / w₂ when |w₂| ≥ |w₁|, else x₁ = −(w₂x₂ + b) / w₁.
    Returns ``None`` when w = 0 (no line: every point gets the same class).
    """
    w1, w2 = (float(v) for v in as_array(w).reshape(2))
    b = float(b)
    x_lo, x_hi, y_lo, y_hi = limits
    if w1 == 0.0 and w2 == 0.0:
        return None
    if abs(w2) >= abs(w1):
        xs = np.array([x_lo, x_hi])
        return xs, -(w1 * xs + b) / w2
    ys = np.array([y_lo, y_hi])
    return -(w2 * ys + b) / w1, ys


def _check_weights(w: Any) -> np.ndarray:
    w = as_array(w).astype(np.float64)
    if w.shape != (2,):
        raise ShapeError(
            f"plot_linear_boundary: expected w of shape (2,), got {fmt_shape(w.shape)}"
        )
    return w


def plot_linear_boundary(
    w: Any,
    b: float,
    X: Any,
    y: Any,
    ax: Axes | None = None,
    title: str | None = None,
    padding: float = 0.15,
    show_normal: bool = True,
) -> Figure:
    """Points ``X`` (N, 2) coloured by label ``y`` (N,), and the boundary w·x + b = 0.

    The half-plane the classifier calls class 1 (w·x + b ≥ 0) is shaded in class 1's colour,
    the other in class 0's; an arrow along ``w`` shows which side is which. The default title
    gives w, b and the accuracy (1/N) Σₙ [step(w·xₙ + b) = yₙ]. The boundary is the line artist
    with ``gid="decision boundary"``.
    """
    w = _check_weights(w)
    X, y = check_points("plot_linear_boundary", X, y)
    fig, ax = new_axes(ax)
    limits = padded_limits(X, padding)
    x_lo, x_hi, y_lo, y_hi = limits

    g1, g2 = np.meshgrid(np.linspace(x_lo, x_hi, 3), np.linspace(y_lo, y_hi, 3))
    z = w[0] * g1 + w[1] * g2 + b  # linear, so a 3×3 grid draws the half-planes exactly
    if np.ptp(z) > 0:
        ax.contourf(g1, g2, z, levels=[-np.inf, 0.0, np.inf], colors=REGION_COLORS[:2])
    else:  # w = 0: the whole plane is one class
        ax.set_facecolor(REGION_COLORS[int(b >= 0)])
    scatter_classes(ax, X, y)

    line = boundary_points(w, b, limits)
    if line is not None:
        ax.plot(*line, color="k", lw=2, gid="decision boundary", label="w·x + b = 0")
        if show_normal:
            center = np.array([(x_lo + x_hi) / 2, (y_lo + y_hi) / 2])
            foot = center - (w @ center + b) / (w @ w) * w  # projection of the centre on the line
            arrow = 0.15 * min(x_hi - x_lo, y_hi - y_lo) * w / np.linalg.norm(w)
            ax.annotate("", xy=foot + arrow, xytext=foot, zorder=4,
                        arrowprops=dict(arrowstyle="->", color="k", lw=1.5))
            ax.text(*(foot + 1.25 * arrow), "w", ha="center", va="center", fontsize=11)

    accuracy = float(np.mean((X @ w + b >= 0).astype(np.int64) == y))
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel="$x_1$", ylabel="$x_2$")
    ax.set_title(title if title is not None else
                 f"w = ({w[0]:.2f}, {w[1]:.2f}), b = {b:.2f}   accuracy {100 * accuracy:.1f} %",
                 fontsize=10)
    ax.legend(loc="upper left", fontsize=8, framealpha=0.8)
    return fig


def plot_decision_boundary(
    predict: Callable[[np.ndarray], Any],
    X: Any,
    y: Any,
    ax: Axes | None = None,
    title: str | None = None,
    resolution: int = 200,
    padding: float = 0.15,
) -> Figure:
    """Points ``X`` (N, 2) coloured by label ``y`` (N,) over the regions of any classifier.

    ``predict`` maps a grid of points, float32 (M, 2) with M = ``resolution``², to labels (M,)
    (ints or bools) or to class scores (M, C), whose argmax is the label. It may return a minidl
    Tensor. For a binary model with one logit, pass e.g. ``lambda P: model(P).data[:, 0] > 0``.
    """
    X, y = check_points("plot_decision_boundary", X, y)
    fig, ax = new_axes(ax)
    x_lo, x_hi, y_lo, y_hi = padded_limits(X, padding)
    g1, g2 = np.meshgrid(np.linspace(x_lo, x_hi, resolution), np.linspace(y_lo, y_hi, resolution))
    grid = np.stack([g1.ravel(), g2.ravel()], axis=1).astype(np.float32)
    out = as_array(predict(grid))
    if out.ndim == 2:
        out = out.argmax(axis=1)
    if out.shape != (grid.shape[0],):
        raise ShapeError(
            f"plot_decision_boundary: predict(points {fmt_shape(grid.shape)}) must return labels "
            f"({grid.shape[0]},) or scores ({grid.shape[0]}, C), got {fmt_shape(out.shape)}"
        )
    labels = out.astype(np.int64).reshape(g1.shape)
    levels = np.arange(-0.5, max(labels.max(), y.max()) + 1.0)
    colors = [REGION_COLORS[k % len(REGION_COLORS)] for k in range(len(levels) - 1)]
    ax.contourf(g1, g2, labels, levels=levels, colors=colors)
    if len(levels) > 2:
        ax.contour(g1, g2, labels, levels=levels[1:-1], colors="k", linewidths=1.5)
    scatter_classes(ax, X, y)
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel="$x_1$", ylabel="$x_2$")
    if title is not None:
        ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", fontsize=8, framealpha=0.8)
    return fig
