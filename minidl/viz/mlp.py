"""Chapter 2 plots: the autograd graph, activation statistics, loss surfaces, sweeps.

=============================  ==============================================================
``graph_layout``               the nodes of a tensor's graph, each with its depth and inputs
``draw_graph``                 that graph as boxes and arrows (what ``backward()`` walks)
``plot_activation_stats``      the spread of activations layer by layer, per init scheme
``plot_loss_surface``          contours of f(x, y) with optimizer trajectories drawn on top
``plot_sweep``                 a result (final loss, accuracy) against a hyperparameter
=============================  ==============================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from minidl.errors import ShapeError, fmt_shape
from minidl.viz._figure import as_array, new_axes


@dataclass(frozen=True)
class GraphNode:
    """One node of a drawn graph: its label, depth (0 = the root) and input node indices."""

    label: str
    depth: int
    inputs: tuple[int, ...]


def _label(node: Any) -> str:
    variable = getattr(node, "variable", None)
    if variable is not None:  # AccumulateGrad: a leaf tensor that requires grad
        return f"leaf {fmt_shape(tuple(variable.shape))}"
    return str(getattr(node, "name", type(node).__name__)).removesuffix("Backward")


def graph_layout(tensor: Any) -> list[GraphNode]:
    """The graph behind ``tensor`` (its ``grad_fn`` and everything reachable from it).

    Node 0 is ``tensor.grad_fn``; a node's depth is its longest distance from the root, so
    every node lies to the left of the nodes that consume it. ``inputs`` index into the list.
    Raises ValueError for a tensor without ``grad_fn`` (a leaf or one made under no_grad).
    """
    root = getattr(tensor, "grad_fn", None)
    if root is None:
        raise ValueError("graph_layout: this tensor has no grad_fn; build it from tensors with "
                         "requires_grad=True, outside no_grad()")
    index: dict[int, int] = {id(root): 0}
    nodes, depth = [root], [0]
    stack = [root]
    while stack:  # longest-path depths: revisit a node whenever a longer path reaches it
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            if id(child) not in index:
                index[id(child)] = len(nodes)
                nodes.append(child)
                depth.append(-1)
            k = index[id(child)]
            if depth[k] < depth[index[id(node)]] + 1:
                depth[k] = depth[index[id(node)]] + 1
                stack.append(child)
    return [GraphNode(_label(n), depth[i],
                      tuple(index[id(c)] for c, _ in n.next_functions if c is not None))
            for i, n in enumerate(nodes)]


def draw_graph(tensor: Any, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Draw the computational graph of ``tensor`` left (inputs) to right (the root).

    Boxes are the nodes ``backward()`` visits (``AddBackward`` is shown as ``Add``; a leaf
    tensor that requires grad as ``leaf (shape)``); arrows run along the forward pass, from
    an op's inputs to the op. ``backward()`` walks them in reverse, from the root.
    """
    layout = graph_layout(tensor)
    max_depth = max(n.depth for n in layout)
    columns: dict[int, list[int]] = {}
    for i, n in enumerate(layout):
        columns.setdefault(n.depth, []).append(i)
    tallest = max(len(c) for c in columns.values())
    fig, ax = new_axes(ax, figsize=(1.9 * (max_depth + 1) + 0.6, 0.9 * tallest + 1.0))
    pos = {}
    for d, members in columns.items():
        for j, i in enumerate(members):
            pos[i] = (float(max_depth - d), (len(members) - 1) / 2 - j)
    for i, n in enumerate(layout):
        for k in n.inputs:  # edges that skip a column bend, so they do not cross a box
            bend = 0.25 if layout[k].depth - n.depth > 1 else 0.0
            ax.annotate("", xy=pos[i], xytext=pos[k],
                        arrowprops=dict(arrowstyle="-|>", color="0.35", lw=1.2,
                                        shrinkA=24, shrinkB=24,
                                        connectionstyle=f"arc3,rad={bend}"))
    for i, n in enumerate(layout):
        leaf = n.label.startswith("leaf")
        ax.text(*pos[i], n.label, ha="center", va="center", fontsize=9, zorder=3, gid=n.label,
                bbox=dict(boxstyle="round,pad=0.4", lw=1.2,
                          fc="#fdd0a2" if leaf else ("#c7e9c0" if i == 0 else "#c6dbef"),
                          ec="k"))
    ax.set(xlim=(-0.7, max_depth + 0.7), ylim=(-tallest / 2 - 0.2, tallest / 2 + 0.2))
    ax.axis("off")
    ax.set_title(title if title is not None else
                 f"{len(layout)} nodes; backward() runs from {layout[0].label} (right) to "
                 "the leaves (left)", fontsize=9)
    return fig


def plot_activation_stats(
    stats: Mapping[str, Sequence[float]],
    ylabel: str = "std of activations",
    logy: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """One line per scheme: a statistic of the activations (e.g. their std) per layer 1 … L.

    ``stats`` maps a name ("Xavier, tanh") to L values. With ``logy`` a signal that shrinks
    or grows geometrically through the layers shows as a straight line.
    """
    fig, ax = new_axes(ax, figsize=(5.2, 3.4))
    for name, values in stats.items():
        v = np.asarray(values, dtype=np.float64).reshape(-1)
        ax.plot(np.arange(1, len(v) + 1), v, marker="o", ms=3.5, lw=1.5, label=name)
    ax.set(xlabel="layer", ylabel=ylabel)
    if logy:
        ax.set_yscale("log")
    if title is not None:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_loss_surface(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray],
    limits: tuple[float, float, float, float],
    trajectories: Mapping[str, Any] | None = None,
    minimum: Sequence[float] | None = None,
    levels: int = 30,
    log_levels: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Contours of ``f`` over ``limits`` = (x_min, x_max, y_min, y_max) and paths on top.

    ``f(X, Y)`` is evaluated on a 200 × 200 grid of NumPy arrays. Each trajectory is an
    array (T, 2) of points; it is drawn as a line from its start (a dot) to its last point
    (a larger dot); its line has the trajectory's name as gid. ``minimum`` marks the optimum
    with a star. ``log_levels`` spaces the contour levels geometrically (valleys with steep
    walls need it).
    """
    fig, ax = new_axes(ax, figsize=(5.6, 4.2))
    x_lo, x_hi, y_lo, y_hi = limits
    gx, gy = np.meshgrid(np.linspace(x_lo, x_hi, 200), np.linspace(y_lo, y_hi, 200))
    z = np.asarray(f(gx, gy), dtype=np.float64)
    if log_levels:
        lo = max(float(z.min()), 1e-3 * max(float(z.max()), 1e-12))
        lo = max(lo, 1e-12)
        lv = np.geomspace(lo, max(float(z.max()), lo * 10), levels)
    else:
        lv = np.linspace(float(z.min()), float(z.max()), levels)
    ax.contour(gx, gy, z, levels=lv, cmap="Greys_r", linewidths=0.7, alpha=0.8)
    for name, path in (trajectories or {}).items():
        p = as_array(path).astype(np.float64)
        if p.ndim != 2 or p.shape[1] != 2:
            raise ShapeError(f"plot_loss_surface: trajectory {name!r} must be (T, 2), got "
                             f"{fmt_shape(p.shape)}")
        line, = ax.plot(p[:, 0], p[:, 1], lw=1.6, label=name, gid=name)
        ax.plot(*p[0], "o", ms=4, color=line.get_color())
        ax.plot(*p[-1], "o", ms=7, color=line.get_color(), mec="k")
    if minimum is not None:
        ax.plot(*minimum, marker="*", ms=14, color="gold", mec="k", zorder=5)
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel="$\\theta_1$", ylabel="$\\theta_2$")
    if trajectories:
        ax.legend(fontsize=8, loc="upper left", framealpha=0.85)
    if title is not None:
        ax.set_title(title, fontsize=10)
    return fig


def plot_sweep(
    values: Sequence[float],
    results: Mapping[str, Sequence[float]],
    xlabel: str,
    ylabel: str,
    logx: bool = True,
    logy: bool = False,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """A hyperparameter sweep: each curve in ``results`` gives one value per entry of ``values``.

    E.g. ``plot_sweep([1e-3, 1e-2, 1e-1], {"train": [...], "validation": [...]},
    "learning rate", "final loss")``. The best (lowest for a loss, else highest) point of
    every curve is ringed in the curve's colour, with a ``ylabel`` containing "loss" or
    "error" meaning lower is better; the legend says so.
    """
    xs = np.asarray(values, dtype=np.float64)
    fig, ax = new_axes(ax, figsize=(5.0, 3.3))
    lower = any(w in ylabel.lower() for w in ("loss", "error"))
    for k, (name, ys) in enumerate(results.items()):
        y = np.asarray(ys, dtype=np.float64).reshape(-1)
        if y.shape != xs.shape:
            raise ShapeError(f"plot_sweep: {name!r} has {y.size} values for {xs.size} settings")
        ax.plot(xs, y, marker="o", lw=1.5, label=name, color=f"C{k}")
        if np.isfinite(y).any():
            best = int(np.nanargmin(y) if lower else np.nanargmax(y))
            ax.plot(xs[best], y[best], "o", ms=14, mfc="none", mec=f"C{k}", mew=2)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title is not None:
        ax.set_title(title, fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    ring = Line2D([], [], ls="", marker="o", ms=10, mfc="none", mec="0.3", mew=2)
    ax.legend(handles + [ring], labels + ["best of each curve" if len(results) > 1
                                          else "best setting"], fontsize=8)
    ax.grid(alpha=0.3)
    return fig
