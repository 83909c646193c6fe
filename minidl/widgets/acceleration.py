"""Chapter 7's demo: how the tile size of a cache-tiled matrix product changes its speed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matplotlib.figure import Figure

from minidl.widgets.controls import Choice, interactive_figure


def tile_explorer(gflops_by_tile: Mapping[int, float], blas_gflops: float, n: int) -> Any:
    """Measured GFLOP/s of a tiled n×n matrix product for each tile size, with BLAS's rate.

    Choosing a tile highlights its bar and prints the bytes one (tile × tile) float32 block
    takes, against the caches it has to fit in. Static (no frontend): the largest tile
    measured, which is the end of the sweep, with every bar drawn.
    """
    tiles = sorted(gflops_by_tile)
    fig = Figure(figsize=(6.0, 3.2), layout="constrained")
    ax = fig.add_subplot()

    def draw(tile: int) -> None:
        ax.clear()
        colors = ["#ff7f0e" if t == tile else "#1f77b4" for t in tiles]
        ax.bar([str(t) for t in tiles], [gflops_by_tile[t] for t in tiles], color=colors)
        ax.axhline(blas_gflops, color="k", ls="--", lw=1, label=f"BLAS {blas_gflops:.0f} GFLOP/s")
        kib = 3 * tile * tile * 4 / 1024
        ax.set(xlabel="tile", ylabel="GFLOP/s", yscale="log",
               title=f"n = {n}: tile {tile} → {gflops_by_tile[tile]:.1f} GFLOP/s; three "
                     f"{tile}×{tile} float32 blocks = {kib:,.0f} KiB")
        ax.title.set_fontsize(9)
        ax.legend(fontsize=8, loc="upper left")
        ax.grid(axis="y", alpha=0.3, which="both")

    return interactive_figure(fig, draw, {"tile": Choice("tile", tiles, tiles[-1])})
