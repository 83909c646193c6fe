"""Diagrams drawn with matplotlib: the artificial neuron."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch


def draw_neuron(n_inputs: int = 3, activation: str = "step") -> Figure:
    """A neuron: inputs x₁…xₙ, weights w₁…wₙ, bias b, the sum z = w·x + b, and ŷ = f(z).

    The last input is drawn as ``xₙ`` with dots above it when ``n_inputs`` > 3.
    """
    if n_inputs < 1:
        raise ValueError(f"draw_neuron: expected n_inputs ≥ 1, got {n_inputs}")
    fig = Figure(figsize=(7.0, 3.4), layout="constrained")
    ax = fig.add_subplot()
    ax.set(xlim=(0, 10), ylim=(0, 5), aspect="equal")
    ax.axis("off")

    shown = min(n_inputs, 3)
    labels = [f"$x_{i + 1}$" for i in range(shown)]
    weights = [f"$w_{i + 1}$" for i in range(shown)]
    if n_inputs > 3:
        labels[-1], weights[-1] = "$x_n$", "$w_n$"
    ys = [4.2 - i * (3.4 / max(shown - 1, 1)) for i in range(shown)] if shown > 1 else [2.5]
    node = (5.0, 2.5)
    arrow = dict(arrowstyle="-|>", color="0.25", lw=1.3, shrinkA=14, shrinkB=24)

    for y, label, weight in zip(ys, labels, weights, strict=True):
        ax.add_patch(Circle((1.2, y), 0.38, fc="#c6dbef", ec="k"))
        ax.text(1.2, y, label, ha="center", va="center", fontsize=13)
        ax.annotate("", xy=node, xytext=(1.2, y), arrowprops=arrow)
        t = 0.45  # label the arrow near its middle, just above it
        ax.text(1.2 + t * (node[0] - 1.2), y + t * (node[1] - y) + 0.2, weight, fontsize=12,
                color="tab:red", ha="center")
    if n_inputs > 3:
        ax.text(1.2, (ys[1] + ys[2]) / 2, "⋮", ha="center", va="center", fontsize=16)

    ax.add_patch(Circle(node, 0.62, fc="#fdd0a2", ec="k"))
    ax.text(*node, "Σ", ha="center", va="center", fontsize=18)
    ax.annotate("", xy=node, xytext=(node[0], 4.7), arrowprops=arrow)
    ax.text(node[0] + 0.15, 4.5, "bias $b$", fontsize=12, color="tab:red", va="center")
    ax.text(node[0], 1.45, r"$z = \mathbf{w}^\top\mathbf{x} + b$", ha="center", fontsize=11)

    ax.add_patch(FancyBboxPatch((6.5, 2.0), 1.4, 1.0, boxstyle="round,pad=0.05",
                                fc="#c7e9c0", ec="k"))
    ax.text(7.2, 2.5, activation, ha="center", va="center", fontsize=12)
    ax.annotate("", xy=(6.45, 2.5), xytext=(node[0] + 0.62, 2.5),
                arrowprops=dict(arrowstyle="-|>", color="0.25", lw=1.3))
    ax.text(5.95, 2.65, "$z$", fontsize=12, ha="center")
    ax.annotate("", xy=(9.3, 2.5), xytext=(7.95, 2.5),
                arrowprops=dict(arrowstyle="-|>", color="0.25", lw=1.3))
    ax.text(9.45, 2.5, r"$\hat y$", fontsize=14, va="center")
    ax.text(7.2, 1.45, rf"$\hat y = \mathrm{{{activation}}}(z)$", ha="center", fontsize=11)
    return fig
