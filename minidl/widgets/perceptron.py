"""Chapter 1 demos: a perceptron's decision boundary under your hands, and while it trains."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from minidl.errors import ShapeError, fmt_shape
from minidl.frontend import widget_mode
from minidl.viz import plot_linear_boundary
from minidl.viz._figure import as_array, check_points
from minidl.widgets.controls import Choice, Player, Slider, interactive_figure

#: The perceptron learning rule: ``update(w, b, x, y, lr) -> (new w, new b)``.
UpdateRule = Callable[[np.ndarray, float, np.ndarray, int, float], tuple[Any, Any]]


def boundary_explorer(
    X: Any, y: Any, w: Sequence[float] = (1.0, 1.0), b: float = 0.0, limit: float = 3.0
) -> Any:
    """Sliders for w₁, w₂ and b (each in [−limit, limit]) move the line w·x + b = 0.

    ``X`` (N, 2), ``y`` (N,) in {0, 1}. The figure shades the side the perceptron calls
    class 1 and its title gives the accuracy. Live: an ipywidgets box; static: the figure
    at the initial ``w``, ``b`` (see :mod:`minidl.widgets`).
    """
    X, y = check_points("boundary_explorer", X, y)
    fig = Figure(figsize=(5.0, 4.3), layout="constrained")
    ax = fig.add_subplot()

    def draw(w1: float, w2: float, b: float) -> None:
        ax.clear()
        plot_linear_boundary([w1, w2], b, X, y, ax=ax)

    return interactive_figure(fig, draw, {
        "w1": Slider("w₁", -limit, limit, 0.05, float(w[0])),
        "w2": Slider("w₂", -limit, limit, 0.05, float(w[1])),
        "b": Slider("b", -limit, limit, 0.05, float(b)),
    })


@dataclass(frozen=True)
class PerceptronTrace:
    """Every step of a perceptron's training, one row per frame (T = epochs · N steps).

    Frame 0 is the start; frame t ≥ 1 is the state after the update on ``sample[t]``
    (``sample[0] = −1``). ``mistake[t]`` says whether that update changed w or b (the
    perceptron rule changes them exactly when the sample was misclassified).
    """

    w: np.ndarray                  # (T + 1, D)
    b: np.ndarray                  # (T + 1,)
    sample: np.ndarray             # (T + 1,) int64
    epoch: np.ndarray              # (T + 1,) int64, 0-based; frame 0 counts as epoch 0
    mistake: np.ndarray            # (T + 1,) bool
    errors_per_epoch: np.ndarray   # (epochs,) int64

    def errors_until(self, frame: int) -> np.ndarray:
        """Mistakes per epoch counted over frames 0 … ``frame``, shape (epochs,)."""
        return np.bincount(self.epoch[: frame + 1], weights=self.mistake[: frame + 1],
                           minlength=len(self.errors_per_epoch)).astype(np.int64)


def trace_perceptron(
    X: Any,
    y: Any,
    update: UpdateRule,
    lr: float = 1.0,
    epochs: int = 5,
    w0: Sequence[float] | None = None,
    b0: float = 0.0,
) -> PerceptronTrace:
    """Apply ``update(w, b, xₙ, yₙ, lr)`` to the samples in order, ``epochs`` times, recording
    every step. ``X`` (N, D), ``y`` (N,) in {0, 1}; ``w0`` (D,) defaults to zeros."""
    X, y = as_array(X).astype(np.float64), as_array(y).astype(np.int64)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ShapeError(f"trace_perceptron: expected X (N, D) and y (N,), got X "
                         f"{fmt_shape(X.shape)} and y {fmt_shape(y.shape)}")
    n, d = X.shape
    w = np.zeros(d) if w0 is None else np.asarray(w0, dtype=np.float64).copy()
    b = float(b0)
    ws, bs, samples, epoch_of, mistakes = [w], [b], [-1], [0], [False]
    for epoch in range(epochs):
        for i in range(n):
            new_w, new_b = update(w.copy(), b, X[i], int(y[i]), lr)
            new_w = np.asarray(new_w, dtype=np.float64)
            if new_w.shape != (d,):
                raise ShapeError(f"trace_perceptron: update(w, b, x, y, lr) must return w of "
                                 f"shape ({d},), got {fmt_shape(new_w.shape)}")
            mistakes.append(bool(np.any(new_w != w) or float(new_b) != b))
            w, b = new_w, float(new_b)
            ws.append(w)
            bs.append(b)
            samples.append(i)
            epoch_of.append(epoch)
    mistake = np.array(mistakes)
    epoch_arr = np.array(epoch_of, dtype=np.int64)
    per_epoch = np.bincount(epoch_arr, weights=mistake, minlength=epochs).astype(np.int64)
    return PerceptronTrace(np.array(ws), np.array(bs), np.array(samples, dtype=np.int64),
                           epoch_arr, mistake, per_epoch)


def perceptron_player(
    X: Any,
    y: Any,
    update: UpdateRule,
    learning_rates: Sequence[float] = (0.01, 0.1, 1.0),
    epochs: int = 5,
    w0: Sequence[float] = (0.0, 0.0),
    b0: float = 0.0,
    interval_ms: int = 150,
) -> Any:
    """Animate perceptron training: pick a learning rate, press play, watch the line move.

    Each learning rate's trajectory is computed once with :func:`trace_perceptron` (from
    ``w0``, ``b0``); the player's frame picks a step. Left: the data, the current line and
    the sample just seen (red ring: a mistake, so the line moved; green: correct). Right:
    mistakes per epoch so far. Static mode (see :mod:`minidl.widgets`) shows where every
    learning rate ends: :func:`perceptron_outcomes`, small multiples of the last frame.
    """
    X, y = check_points("perceptron_player", X, y)
    if widget_mode() == "static":
        return perceptron_outcomes(X, y, update, learning_rates, epochs, w0, b0)
    traces: dict[float, PerceptronTrace] = {}
    fig = Figure(figsize=(8.6, 3.8), layout="constrained")
    ax_data, ax_err = fig.subplots(1, 2, width_ratios=[1.25, 1.0])

    def draw(lr: float, frame: int) -> None:
        if lr not in traces:
            traces[lr] = trace_perceptron(X, y, update, lr, epochs, w0, b0)
        tr = traces[lr]
        ax_data.clear()
        title = (f"lr = {lr:g}   epoch {tr.epoch[frame] + 1}/{epochs}   "
                 f"step {frame}/{len(tr.b) - 1}")
        plot_linear_boundary(tr.w[frame], tr.b[frame], X, y, ax=ax_data, title=title,
                             show_normal=False)
        if frame > 0:
            x = X[tr.sample[frame]]
            ax_data.scatter(*x, s=260, facecolors="none", lw=2.5, zorder=5,
                            edgecolors="red" if tr.mistake[frame] else "green")
        ax_err.clear()
        ax_err.bar(np.arange(1, epochs + 1), tr.errors_until(frame), color="tab:red")
        ax_err.set(xlabel="epoch", ylabel="mistakes", xticks=np.arange(1, epochs + 1),
                   ylim=(0, max(1, tr.errors_per_epoch.max()) * 1.1),
                   title=f"mistakes per epoch (total {tr.errors_until(frame).sum()})")
        ax_err.title.set_fontsize(10)

    return interactive_figure(fig, draw, {
        "lr": Choice("learning rate η", tuple(learning_rates), learning_rates[0]),
        "frame": Player("step", epochs * len(y) + 1, interval_ms),
    })


def perceptron_outcomes(
    X: Any,
    y: Any,
    update: UpdateRule,
    learning_rates: Sequence[float],
    epochs: int,
    w0: Sequence[float] = (0.0, 0.0),
    b0: float = 0.0,
) -> Figure:
    """The end state of :func:`perceptron_player` for every learning rate, side by side.

    One column per learning rate: on top the starting line (dashed) and the line after the
    last step, below the mistakes of every epoch. ``X`` (N, 2), ``y`` (N,) in {0, 1}.
    """
    X, y = check_points("perceptron_outcomes", X, y)
    traces = [trace_perceptron(X, y, update, lr, epochs, w0, b0) for lr in learning_rates]
    fig = Figure(figsize=(3.1 * len(traces), 5.4), layout="constrained")
    axes = fig.subplots(2, len(traces), squeeze=False, height_ratios=[1.6, 1.0])
    top = max(1, max(int(tr.errors_per_epoch.max()) for tr in traces)) * 1.15
    for col, (lr, tr) in enumerate(zip(learning_rates, traces)):
        ax_data, ax_err = axes[0, col], axes[1, col]
        plot_linear_boundary(tr.w[-1], tr.b[-1], X, y, ax=ax_data, show_normal=False,
                             title=f"lr = {lr:g}: after {epochs} epochs")
        start = _line_points(tr.w[0], tr.b[0], ax_data)
        if start is not None:
            ax_data.plot(*start, color="0.3", ls="--", lw=1.2, label="start")
            ax_data.legend(fontsize=7, loc="lower right")
        ax_data.title.set_fontsize(9)
        ax_err.bar(np.arange(1, epochs + 1), tr.errors_per_epoch, color="tab:red")
        ax_err.set(xlabel="epoch", ylabel="mistakes", xticks=np.arange(1, epochs + 1),
                   ylim=(0, top))
        ax_err.set_title(f"mistakes per epoch (total {int(tr.errors_per_epoch.sum())})",
                         fontsize=9)
    fig.suptitle("where each learning rate ends (press play in JupyterLab to watch the steps)",
                 fontsize=10)
    return fig


def _line_points(w: np.ndarray, b: float, ax: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Two points of the line w·x + b = 0 across the axes' x (or y) range; None when w = 0."""
    (x_lo, x_hi), (y_lo, y_hi) = ax.get_xlim(), ax.get_ylim()
    if abs(w[1]) >= abs(w[0]) and w[1] != 0:
        xs = np.array([x_lo, x_hi])
        return xs, -(w[0] * xs + b) / w[1]
    if w[0] != 0:
        ys = np.array([y_lo, y_hi])
        return -(w[1] * ys + b) / w[0], ys
    return None
