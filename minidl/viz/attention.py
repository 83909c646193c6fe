"""Chapter 6's figures: attention maps, positional encodings and step times."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from minidl.errors import ShapeError, fmt_shape
from minidl.viz._figure import as_array, new_axes


def plot_attention_map(weights: Any, queries: Sequence[str], keys: Sequence[str] | None = None,
                       ax: Axes | None = None, title: str = "") -> Figure:
    """One attention map: row i shows how query i spreads its attention over the keys.

    weights: (L, S), each row summing to 1; ``queries``/``keys``: L and S labels (tokens).
    """
    w = as_array(weights)
    keys = queries if keys is None else keys
    if w.ndim != 2 or w.shape != (len(queries), len(keys)):
        raise ShapeError(f"plot_attention_map: expected weights ({len(queries)}, {len(keys)}) "
                         f"for the labels, got {fmt_shape(w.shape)}")
    fig, ax = new_axes(ax, (5.0, 4.5))
    image = ax.imshow(w, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(keys)), [repr(k)[1:-1] for k in keys], fontsize=7, rotation=90)
    ax.set_yticks(range(len(queries)), [repr(q)[1:-1] for q in queries], fontsize=7)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query (attending)")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, shrink=0.8, label="attention weight")
    return fig


def plot_positional_encoding(pe: Any) -> Figure:
    """The encoding table (positions × dims) and the similarity of positions to each other."""
    pe = as_array(pe)
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    image = left.imshow(pe.T, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
    left.set_xlabel("position p")
    left.set_ylabel("dimension")
    left.set_title("PE[p, dim]")
    fig.colorbar(image, ax=left)
    sim = pe @ pe.T / (np.linalg.norm(pe, axis=1)[:, None] * np.linalg.norm(pe, axis=1)[None])
    image = right.imshow(sim, cmap="viridis")
    right.set_xlabel("position")
    right.set_ylabel("position")
    right.set_title("cosine similarity of two positions")
    fig.colorbar(image, ax=right)
    return fig


def plot_step_times(lengths: Sequence[int], times: Mapping[str, Sequence[float]]) -> Figure:
    """Training-step time (ms) against sequence length, one line per model, log-log."""
    fig, ax = new_axes(None, (5.5, 3.8))
    for name, values in times.items():
        ax.loglog(lengths, 1e3 * np.asarray(values), marker="o", label=name)
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("forward + backward (ms)")
    ax.set_xticks(list(lengths), [str(n) for n in lengths])
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    return fig
