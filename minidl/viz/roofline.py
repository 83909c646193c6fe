"""The roofline model: how fast a kernel can run on this machine, and how fast it did.

A kernel that performs F floating-point operations while moving B bytes between memory and
the processor has arithmetic intensity I = F / B (FLOP/byte). With a peak compute rate π
(FLOP/s) and a memory bandwidth β (byte/s) it can reach at most

    P(I) = min(π, β · I)

a sloped "memory roof" left of the ridge point I* = π / β and a flat "compute roof" right of
it. A kernel far below its roof leaves speed on the table; one on the sloped roof can only be
made faster by moving fewer bytes (fusing, tiling), not by computing faster.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from minidl.viz._figure import CLASS_COLORS, new_axes


def plot_roofline(
    peak_gflops: float,
    bandwidth_gbs: float,
    kernels: Mapping[str, tuple[float, float]],
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Both roofs on log–log axes and one point per kernel.

    ``kernels`` maps a name to (arithmetic intensity in FLOP/byte, measured GFLOP/s).
    """
    fig, ax = new_axes(ax, figsize=(6.0, 4.0))
    intensities = [i for i, _ in kernels.values()] or [1.0]
    ridge = peak_gflops / bandwidth_gbs
    lo = min(min(intensities), ridge) / 4
    hi = max(max(intensities), ridge) * 4
    grid = np.geomspace(lo, hi, 200)
    ax.plot(grid, np.minimum(peak_gflops, bandwidth_gbs * grid), color="k", lw=2,
            label=f"roof: min({peak_gflops:.0f} GFLOP/s, {bandwidth_gbs:.1f} GB/s × I)")
    ax.axvline(ridge, color="k", ls=":", lw=1)
    ax.text(ridge, peak_gflops * 1.15, f" ridge {ridge:.1f} FLOP/byte", fontsize=8)
    for k, (name, (intensity, rate)) in enumerate(kernels.items()):
        ax.scatter([intensity], [rate], s=40, zorder=3, color=CLASS_COLORS[k % len(CLASS_COLORS)],
                   edgecolors="k", linewidths=0.5, label=f"{name}: {rate:.1f} GFLOP/s")
    ax.set(xscale="log", yscale="log", xlabel="arithmetic intensity I (FLOP/byte)",
           ylabel="GFLOP/s")
    ax.set_ylim(top=peak_gflops * 2)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="lower right")
    if title is not None:
        ax.set_title(title, fontsize=10)
    return fig
