"""Attention-map explorer: pick a layer and a head, see who attends to whom."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from minidl.errors import ShapeError, fmt_shape
from minidl.viz.attention import plot_attention_map
from minidl.widgets.controls import Choice, interactive_figure


def attention_explorer(weights: Any, tokens: Sequence[str]) -> Any:
    """Attention maps of a model on one text: ``weights`` (layers, heads, T, T).

    Live: a layer and a head selector above the map. Static (no frontend): the map of the
    last layer's first head, the state the live widget starts in.
    """
    w = np.asarray(weights)
    if w.ndim != 4 or w.shape[2:] != (len(tokens), len(tokens)):
        raise ShapeError(f"attention_explorer: expected weights (layers, heads, {len(tokens)}, "
                         f"{len(tokens)}), got {fmt_shape(w.shape)}")
    layers, heads = w.shape[:2]
    fig = Figure(figsize=(6.0, 5.2), layout="constrained")

    def draw(layer: int, head: int) -> None:
        fig.clear()
        plot_attention_map(w[layer, head], tokens, ax=fig.add_subplot(),
                           title=f"layer {layer}, head {head}")

    controls = {"layer": Choice("layer", list(range(layers)), layers - 1),
                "head": Choice("head", list(range(heads)), 0)}
    return interactive_figure(fig, draw, controls)
