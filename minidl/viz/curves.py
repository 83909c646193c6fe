"""Training curves: one value per epoch (loss, misclassified samples, accuracy)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from minidl.viz._figure import new_axes


def plot_training_curve(
    curves: Sequence[float] | Mapping[str, Sequence[float]],
    ylabel: str = "loss",
    xlabel: str = "epoch",
    title: str | None = None,
    logy: bool = False,
    ax: Axes | None = None,
) -> Figure:
    """Plot per-epoch values against the epoch number 1, 2, …, E.

    ``curves`` is one sequence of E values, or ``{name: values}`` for several (e.g.
    ``{"train": [...], "validation": [...]}``), each drawn as a line with markers and
    labelled with its name. ``logy`` puts the y axis on a log scale (for losses).
    """
    named = dict(curves) if isinstance(curves, Mapping) else {ylabel: curves}
    fig, ax = new_axes(ax, figsize=(5.0, 3.2))
    for name, values in named.items():
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=4, lw=1.5, label=name)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if logy:
        ax.set_yscale("log")
    if title is not None:
        ax.set_title(title, fontsize=10)
    if len(named) > 1:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig
