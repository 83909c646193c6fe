"""Chapter 8 demo: attribution maps of several methods on several digits.

``attribution_explorer(images, maps, titles)``: pick a method and a digit and see the digit,
the method's map and the map over the digit. Static (no frontend): one grid with every method
(rows) for every digit (columns), the state a learner reaches after trying every choice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from minidl.errors import ShapeError, fmt_shape
from minidl.frontend import widget_mode
from minidl.widgets.controls import Choice, interactive_figure


def _signed_limits(m: np.ndarray) -> tuple[str, float, float]:
    """A diverging map (red +, blue −) for signed attributions, a sequential one otherwise."""
    top = float(np.abs(m).max()) or 1.0
    return ("RdBu_r", -top, top) if m.min() < 0 else ("magma", 0.0, top)


def _check(images: np.ndarray, maps: Mapping[str, np.ndarray]) -> None:
    if images.ndim != 3:
        raise ShapeError(f"attribution_explorer: expected images (N, H, W), got "
                         f"{fmt_shape(images.shape)}")
    for name, m in maps.items():
        if np.shape(m) != images.shape:
            raise ShapeError(f"attribution_explorer: map {name!r} has shape "
                             f"{fmt_shape(np.shape(m))}, expected {fmt_shape(images.shape)}")


def plot_attribution_grid(images: np.ndarray, maps: Mapping[str, np.ndarray],
                          titles: Sequence[str] | None = None) -> Figure:
    """Rows: the digits, then one row per method; columns: the digits. Each map is scaled to
    its own largest |value|."""
    images = np.asarray(images)
    _check(images, maps)
    n, rows = len(images), len(maps) + 1
    fig = Figure(figsize=(1.3 * n + 1.2, 1.35 * rows), layout="constrained")
    axes = fig.subplots(rows, n, squeeze=False)
    for j in range(n):
        axes[0, j].imshow(images[j], cmap="gray")
        axes[0, j].set_title(titles[j] if titles else f"#{j}", fontsize=8)
        for i, (name, m) in enumerate(maps.items(), start=1):
            cmap, low, high = _signed_limits(m[j])
            axes[i, j].imshow(m[j], cmap=cmap, vmin=low, vmax=high)
            if j == 0:
                axes[i, 0].set_ylabel(name, fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def attribution_explorer(images: Any, maps: Mapping[str, np.ndarray],
                         titles: Sequence[str] | None = None) -> Any:
    """Choose a method and a digit: the digit, its map, and the map laid over the digit.

    ``images`` (N, H, W); ``maps`` {method name: (N, H, W)}; ``titles`` one per digit.
    Without a frontend: :func:`plot_attribution_grid` of everything.
    """
    images = np.asarray(images)
    _check(images, maps)
    if widget_mode() == "static":
        return plot_attribution_grid(images, maps, titles)
    fig = Figure(figsize=(7.5, 2.8), layout="constrained")

    def draw(method: str, digit: int) -> None:
        fig.clear()
        axes = fig.subplots(1, 3)
        m = maps[method][digit]
        cmap, low, high = _signed_limits(m)
        axes[0].imshow(images[digit], cmap="gray")
        axes[0].set_title(titles[digit] if titles else f"digit #{digit}")
        axes[1].imshow(m, cmap=cmap, vmin=low, vmax=high)
        axes[1].set_title(method)
        axes[2].imshow(images[digit], cmap="gray")
        axes[2].imshow(np.abs(m), cmap="magma", alpha=0.6)
        axes[2].set_title("|map| over the digit")
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])

    controls = {"method": Choice("method", list(maps), next(iter(maps))),
                "digit": Choice("digit", list(range(len(images))), 0)}
    return interactive_figure(fig, draw, controls)
