"""Chapter 5 demos: the 2-D game step by step, and a walk through a generator's latent space.

==========================  ====================================================================
``game_player``             play through a toy GAN's frames: points, D(x), losses so far
``latent_walk``             a slider t from z₀ to z₁: linear vs spherical interpolation
==========================  ====================================================================

Like every demo, each returns a live ipywidgets box in a Jupyter frontend and a static
figure otherwise; the static figure shows the END of training / the whole walk.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

import minidl
from minidl.course.gan.toy import GRID, ToyRun, mode_stats, ring_of_gaussians
from minidl.kernels.cpu.interpolation import slerp
from minidl.viz.gan import plot_ring_game
from minidl.widgets.controls import Player, Slider, interactive_figure


def game_player(run: ToyRun, seed: int = 0) -> Any:
    """A Player over ``run.frames``: real vs generated points over D(x) (left) and both
    losses up to the frame's step (right). Static: the last frame."""
    real = ring_of_gaussians(500, np.random.default_rng(seed))
    fig = Figure(figsize=(9.0, 3.9), layout="constrained")
    game, curves = fig.subplots(1, 2, width_ratios=(1, 1.25))
    history = run.history

    def draw(frame: int) -> None:
        step, fake, d_grid = run.frames[int(frame)]
        game.clear()
        curves.clear()
        covered, quality = mode_stats(fake)
        plot_ring_game(real, fake, d_grid, GRID, ax=game, title=(
            f"step {step}: {covered}/8 modes covered, {100 * quality:.0f} % of G's points "
            "near a mode"))
        steps = np.arange(1, step + 1)
        curves.plot(steps, history.d_loss[:step], lw=0.8, label="D loss")
        curves.plot(steps, history.g_loss[:step], lw=0.8, label="G loss")
        curves.axhline(2 * np.log(2), color="0.5", ls=":", lw=1)
        curves.set(xlim=(0, len(history.d_loss)), xlabel="step", ylabel="loss",
                    ylim=(0, max(3.0, max(history.g_loss + history.d_loss, default=3))))
        curves.legend(fontsize=8)
        curves.grid(alpha=0.3)

    last = len(run.frames) - 1
    return interactive_figure(fig, draw, {"frame": Player("frame", len(run.frames), 400,
                                                          value=last)})


def _images(G: minidl.nn.Module, z: np.ndarray) -> np.ndarray:
    G.eval()
    with minidl.no_grad():
        return G(minidl.tensor(z.astype(np.float32))).numpy()[:, 0]


def latent_walk(G: minidl.nn.Module, z0: np.ndarray, z1: np.ndarray, steps: int = 9,
                t: float = 0.5) -> Any:
    """Two rows of ``steps`` images from z₀ to z₁, linear (top) and spherical (bottom), the
    norm ‖z(t)‖ along both paths, and a slider t that picks one point (framed in red)."""
    ts = np.linspace(0, 1, steps)
    paths = {"lerp": (1 - ts)[:, None] * z0 + ts[:, None] * z1, "slerp": slerp(z0, z1, ts)}
    rows = {name: _images(G, z) for name, z in paths.items()}
    fig = Figure(figsize=(1.0 * steps + 2.6, 2.6), layout="constrained")
    grid = fig.add_gridspec(2, steps + 3)
    tiles = {name: [fig.add_subplot(grid[r, c]) for c in range(steps)]
             for r, name in enumerate(rows)}
    norm_ax = fig.add_subplot(grid[:, steps:])

    def draw(t: float) -> None:
        k = int(round(t * (steps - 1)))
        for name, axes in tiles.items():
            for i, ax in enumerate(axes):
                ax.clear()
                ax.imshow(rows[name][i], cmap="gray", vmin=-1, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
                for spine in ax.spines.values():
                    spine.set(color="tab:red" if i == k else "0.8", lw=2.5 if i == k else 0.5)
            axes[0].set_ylabel(name, fontsize=9)
        norm_ax.clear()
        for name, z in paths.items():
            norm_ax.plot(ts, np.linalg.norm(z, axis=1), marker=".", label=name)
        norm_ax.axvline(ts[k], color="tab:red", lw=1)
        norm_ax.set(xlabel="t", ylabel="‖z(t)‖")
        norm_ax.legend(fontsize=8)
        norm_ax.grid(alpha=0.3)

    return interactive_figure(fig, draw, {"t": Slider("t", 0.0, 1.0, 1 / (steps - 1), t)})
