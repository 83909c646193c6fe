"""Chapter 4 plots: the unrolled recurrence, gradients through time, forecasts, gate activity.

Every helper returns a ``matplotlib.figure.Figure`` (or draws into the ``ax`` given), as in
the rest of :mod:`minidl.viz`.

=============================  ==============================================================
``draw_unrolled_rnn``          the recurrent loop, folded and unrolled over T steps
``plot_gradient_norms``        ‖∂L/∂h_t‖ against t, one curve per model (log scale)
``plot_forecast``              a series, one-step predictions and a free-running rollout
``plot_loss_curves``           per-step training losses of several models, smoothed
``plot_gate_activity``         a gate's activations (units × time) under the characters read
=============================  ==============================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from minidl.errors import ShapeError, fmt_shape
from minidl.viz._figure import as_array, new_axes

_BOX = {"x": "#c6dbef", "h": "#fdd0a2", "y": "#c7e9c0"}


def _box(ax: Axes, x: float, y: float, text: str, kind: str) -> None:
    ax.add_patch(FancyBboxPatch((x - 0.32, y - 0.25), 0.64, 0.5, boxstyle="round,pad=0.04",
                                fc=_BOX[kind], ec="k"))
    ax.text(x, y, text, ha="center", va="center", fontsize=12)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], label: str = "",
           color: str = "0.25", **kw: Any) -> None:
    ax.annotate("", xy=end, xytext=start,
                arrowprops=dict(arrowstyle="-|>", color=color, lw=1.4, **kw))
    if label:
        ax.text((start[0] + end[0]) / 2 + 0.08, (start[1] + end[1]) / 2 + 0.06, label,
                fontsize=10, color="tab:red")


def draw_unrolled_rnn(steps: int = 4) -> Figure:
    """Left: an RNN as a loop, h feeding back into itself. Right: the same network unrolled
    over ``steps`` time steps, one copy per step sharing the weights W_ih, W_hh, W_hy (PyTorch's
    names and (out, in) layout, hence the transposes in the caption's formula), with the hidden
    state passed along (and gradients flowing back along the same arrows in BPTT)."""
    if not 1 <= steps <= 8:
        raise ValueError(f"draw_unrolled_rnn: expected 1 ≤ steps ≤ 8, got {steps}")
    fig = Figure(figsize=(9.0, 3.4), layout="constrained")
    ax = fig.add_subplot()
    ax.set(xlim=(-0.5, 3.0 + 1.5 * steps), ylim=(-0.2, 3.3), aspect="equal")
    ax.axis("off")
    _box(ax, 0.3, 0.4, "$x_t$", "x")
    _box(ax, 0.3, 1.6, "$h_t$", "h")
    _box(ax, 0.3, 2.8, "$y_t$", "y")
    _arrow(ax, (0.3, 0.68), (0.3, 1.32), "$W_{ih}$")
    _arrow(ax, (0.3, 1.88), (0.3, 2.52), "$W_{hy}$")
    _arrow(ax, (0.64, 1.72), (0.64, 1.48), color="tab:red",
           connectionstyle="arc3,rad=-2.6")
    ax.text(1.12, 1.6, "$W_{hh}$", color="tab:red", fontsize=10, va="center")
    ax.text(1.5, 1.6, "=", fontsize=22, va="center", ha="center")
    for t in range(steps):
        cx = 3.2 + 1.5 * t
        sub = f"{t + 1}"
        _box(ax, cx, 0.4, f"$x_{sub}$", "x")
        _box(ax, cx, 1.6, f"$h_{sub}$", "h")
        _box(ax, cx, 2.8, f"$y_{sub}$", "y")
        _arrow(ax, (cx, 0.68), (cx, 1.32))
        _arrow(ax, (cx, 1.88), (cx, 2.52))
        _arrow(ax, (cx - (1.18 if t else 0.9), 1.6), (cx - 0.36, 1.6), "$W_{hh}$" if t else "",
               color="tab:red")
    ax.text(3.2 - 1.1, 1.6, "$h_0$", fontsize=11, ha="center", va="center")
    ax.text(3.2 + 1.5 * (steps - 1) / 2, -0.15,
            r"same weights at every step;  "
            r"$h_t = \tanh(x_t W_{ih}^\top + h_{t-1} W_{hh}^\top + b)$,  "
            r"$y_t = h_t W_{hy}^\top + b_y$",
            ha="center", fontsize=10)
    return fig


def plot_gradient_norms(norms: Mapping[str, Any], ax: Axes | None = None, log: bool = True,
                        title: str = "gradient reaching each time step") -> Figure:
    """One curve per model: ‖∂L/∂h_t‖ for t = 1 … T (the loss reads h_T).

    ``norms`` maps a label to an array of shape (T,). On a log scale a vanishing gradient
    is a straight line falling to the left (a factor per step), an exploding one rising.
    """
    fig, ax = new_axes(ax, figsize=(6.0, 3.6))
    for label, values in norms.items():
        values = as_array(values).astype(np.float64)
        if values.ndim != 1:
            raise ShapeError(f"plot_gradient_norms: expected a 1-D array per model, got "
                             f"{fmt_shape(values.shape)} for {label!r}")
        ax.plot(np.arange(1, len(values) + 1), np.maximum(values, 1e-30), lw=2, label=label)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="time step t", ylabel=r"$\|\partial L / \partial h_t\|$", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def plot_forecast(series: Any, predicted: Any, start: int, rollout: Any = None,
                  rollout_start: int | None = None, ax: Axes | None = None,
                  title: str = "forecast", t0: int = 0, clean: Any = None,
                  train_end: int | None = None, window: int | None = None) -> Figure:
    """A forecast against the truth, on an axis of time steps.

    ``series`` (T,) is the measured signal and ``series[i]`` is time step ``t0 + i``.
    ``predicted`` holds one-step-ahead predictions for ``series[start:]`` (each made from
    the true values before it); ``rollout`` a free-running forecast from ``series`` index
    ``rollout_start`` (default ``start``) on, each value predicted from the model's own
    previous predictions. Optional: ``clean`` (T,) the noise-free signal, ``train_end`` a
    time step before which the data were used for training (shaded grey), and ``window``,
    the number of true values the rollout starts from (shaded red). The legend sits below
    the axes and names every curve and shading.
    """
    fig, ax = new_axes(ax, figsize=(9.0, 4.0))
    series, predicted = as_array(series).ravel(), as_array(predicted).ravel()
    t = t0 + np.arange(len(series))
    if train_end is not None:
        ax.axvspan(t[0], train_end, color="0.9", lw=0, label=f"training data (t < {train_end})")
    ax.plot(t, series, color="0.55", lw=1, label="measured signal (noisy)")
    if clean is not None:
        clean = as_array(clean).ravel()
        if clean.shape != series.shape:
            raise ShapeError(f"plot_forecast: expected clean {fmt_shape(series.shape)} like "
                             f"the series, got {fmt_shape(clean.shape)}")
        ax.plot(t, clean, color="k", ls=":", lw=1.2, label="clean signal")
    ax.plot(t0 + np.arange(start, start + len(predicted)), predicted, color="tab:blue",
            lw=1.5, label="one step ahead (from the true past)")
    if rollout is not None:
        rollout = as_array(rollout).ravel()
        begin = t0 + (start if rollout_start is None else rollout_start)
        if window:
            ax.axvspan(begin - window, begin, facecolor="none", edgecolor="tab:red", alpha=0.4,
                       hatch="///", lw=0, label=f"the {window} true values the rollout starts from")
        ax.plot(np.arange(begin, begin + len(rollout)), rollout, color="tab:red", lw=2.2,
                label=f"rollout: {len(rollout)} steps from t = {begin}, fed its own predictions")
        ax.axvline(begin, color="tab:red", ls="--", lw=1)
    ax.set(xlabel="time step t", ylabel="value", title=title, xlim=(t[0], t[-1]))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), fontsize=8.5, ncols=2,
              frameon=False)
    return fig


def plot_loss_curves(curves: Mapping[str, Any], smooth: int = 1, baseline: float | None = None,
                     baseline_label: str = "baseline", logy: bool = False,
                     ax: Axes | None = None, title: str = "training loss",
                     ylabel: str = "loss") -> Figure:
    """Per-step training losses, one line per model (no markers), against the step number.

    ``curves`` maps a label to the losses of steps 1 … S. With ``smooth`` > 1 each line is a
    trailing moving average: the value drawn at step s is the mean of steps s − smooth + 1 … s
    (so lines start at step ``smooth``). ``baseline`` adds a grey horizontal reference line.
    Lines differ in colour and in dash pattern, so overlapping ones stay distinguishable.
    """
    if smooth < 1:
        raise ValueError(f"plot_loss_curves: smooth must be ≥ 1, got {smooth}")
    fig, ax = new_axes(ax, figsize=(6.0, 3.6))
    if baseline is not None:
        ax.axhline(baseline, color="0.45", ls=(0, (1, 1.5)), lw=1.5, label=baseline_label,
                   zorder=1)
    styles = ["-", "--", "-.", (0, (5, 1, 1, 1, 1, 1))]
    for k, (label, values) in enumerate(curves.items()):
        values = as_array(values).astype(np.float64).ravel()
        if len(values) < smooth:
            raise ShapeError(f"plot_loss_curves: {label!r} has {len(values)} steps, fewer than "
                             f"smooth={smooth}")
        averaged = np.convolve(values, np.ones(smooth) / smooth, mode="valid")
        ax.plot(np.arange(smooth, len(values) + 1), averaged, lw=1.8,
                ls=styles[k % len(styles)], label=label, zorder=2 + k)
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel="training step", ylabel=ylabel if smooth == 1 else
           f"{ylabel} (mean of the last {smooth} steps)", title=title)
    ax.title.set_fontsize(10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_gate_activity(activations: Any, labels: Sequence[str], ax: Axes | None = None,
                       title: str = "", vmin: float = 0.0, vmax: float = 1.0,
                       cmap: str = "viridis") -> Figure:
    """A heat map of ``activations`` (T, units): one column per step, labelled with what
    was read at that step (``labels``, T strings, e.g. characters), one row per unit."""
    fig, ax = new_axes(ax, figsize=(9.0, 3.0))
    values = as_array(activations)
    if values.ndim != 2 or values.shape[0] != len(labels):
        raise ShapeError(f"plot_gate_activity: expected activations (T, units) with T = "
                         f"{len(labels)} labels, got {fmt_shape(values.shape)}")
    image = ax.imshow(values.T, aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax,
                      interpolation="nearest")
    ax.set_xticks(np.arange(len(labels)), [repr(c)[1:-1] if c != " " else "␣" for c in labels],
                  fontsize=9, family="monospace")
    ax.set(ylabel="unit", title=title)
    ax.get_figure().colorbar(image, ax=ax, fraction=0.03, pad=0.01)
    return fig
