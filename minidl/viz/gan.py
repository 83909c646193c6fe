"""Chapter 5 plots: the 2-D game, a GAN's training curves, the saturation of G's loss.

==========================  ====================================================================
``plot_ring_game``          real and generated points over D(x) drawn as a heat map
``plot_gan_curves``         both losses and the mean D(x), D(G(z)) per step (smoothed)
``plot_generator_losses``   minimax vs non-saturating G loss and slope as functions of D(G(z))
==========================  ====================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from minidl.viz._figure import new_axes


def plot_ring_game(real: np.ndarray, fake: np.ndarray, d_grid: np.ndarray, grid: np.ndarray,
                   ax: Axes | None = None, title: str = "") -> Figure:
    """Real points (grey) and G's points (red) over D(x) on the square ``grid`` × ``grid``
    (``d_grid`` (len(grid), len(grid)), probabilities: blue where D says fake, yellow real)."""
    fig, ax = new_axes(ax, (4.2, 4.0))
    ax.imshow(d_grid, extent=(grid[0], grid[-1], grid[0], grid[-1]), origin="lower",
              cmap="cividis", vmin=0, vmax=1, alpha=0.85)
    ax.scatter(*real.T, s=4, c="0.85", label="real")
    ax.scatter(*fake.T, s=4, c="tab:red", label="G(z)")
    ax.set(xlim=(grid[0], grid[-1]), ylim=(grid[0], grid[-1]), aspect="equal", title=title)
    ax.title.set_fontsize(9)
    ax.legend(loc="upper right", fontsize=7, markerscale=2)
    return fig


LABELS = {"d_loss": "D loss", "g_loss": "G loss", "d_real": "D(x), real digits",
          "d_fake": "D(G(z)), generated"}


def _smooth(values: Sequence[float], window: int) -> np.ndarray:
    v = np.asarray(values, np.float64)
    window = max(1, min(window, len(v)))
    return np.convolve(v, np.ones(window) / window, mode="valid")


def plot_gan_curves(history: Any, window: int = 25, title: str = "") -> Figure:
    """Two panels from a GANHistory: D's and G's loss; the mean D(x) and D(G(z)).

    Curves are running means over ``window`` steps (GAN losses are noisy step to step).
    """
    fig = Figure(figsize=(9.0, 3.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    for ax, keys, ylabel in ((left, ("d_loss", "g_loss"), "loss"),
                             (right, ("d_real", "d_fake"), "mean probability D says real")):
        for key in keys:
            smooth = _smooth(getattr(history, key), window)
            ax.plot(np.arange(len(smooth)) + window // 2, smooth, label=LABELS[key])
        ax.set(xlabel="training step", ylabel=ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    left.axhline(2 * np.log(2), color="0.5", ls=":", lw=1)
    left.text(0, 2 * np.log(2), " 2 ln 2 (D at chance)", fontsize=7, va="bottom", color="0.4")
    right.axhline(0.5, color="0.5", ls=":", lw=1)
    right.set_ylim(0, 1)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_generator_losses() -> Figure:
    """G's two losses and their slopes with respect to D's logit, against D(G(z))."""
    p = np.linspace(1e-3, 1 - 1e-3, 400)
    fig = Figure(figsize=(9.0, 3.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.plot(p, np.log(1 - p), label="minimax: log(1 − D(G(z)))")
    left.plot(p, -np.log(p), label="non-saturating: −log D(G(z))")
    right.plot(p, -p, label="minimax: −D(G(z))")
    right.plot(p, -(1 - p), label="non-saturating: −(1 − D(G(z)))")
    left.set(xlabel="D(G(z))", ylabel="G's loss (minimised)")
    right.set(xlabel="D(G(z))", ylabel="∂ loss / ∂ logit")
    for ax in (left, right):
        ax.axvspan(0, 0.1, color="tab:red", alpha=0.08)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    right.text(0.01, -0.5, "early training:\nD rejects the fakes", fontsize=8, color="tab:red")
    return fig
