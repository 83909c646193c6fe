"""Chapter 7's GPU demo: which thread of a CUDA grid computes which element of an array."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from minidl.widgets.controls import Slider, interactive_figure


def grid_stride_owners(size: int, blocks: int, threads: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``size`` elements: the (block, thread) that handles it in a grid-stride
    loop over a 1-D grid of ``blocks × threads`` threads.

    Thread t of block b starts at ``i = b · threads + t`` (``cuda.grid(1)``) and steps by
    ``blocks · threads`` (``cuda.gridsize(1)``), so element i belongs to global thread
    ``i mod (blocks · threads)``. Returns (block, thread) arrays of shape (size,).
    """
    global_thread = np.arange(size) % (blocks * threads)
    return global_thread // threads, global_thread % threads


def thread_map(size: int = 48, blocks: int = 3, threads: int = 8, columns: int = 16) -> Any:
    """The elements of a ``size``-element array as cells: colour = block, label = thread
    index within the block, a darker shade for each later pass of the grid-stride loop.

    Sliders change the number of blocks and threads per block (without a frontend: the
    figure for the given values, a grid smaller than the array, so that the loop wraps).
    """
    rows = -(-size // columns)
    fig = Figure(figsize=(7.0, 0.42 * rows + 0.8), layout="constrained")
    ax = fig.add_subplot()
    cmap = colormaps["tab10"]

    def draw(blocks: int, threads: int) -> None:
        blocks, threads = int(blocks), int(threads)
        block, thread = grid_stride_owners(size, blocks, threads)
        passes = np.arange(size) // (blocks * threads)
        ax.clear()
        for i in range(size):
            r, c = divmod(i, columns)
            shade = 1.0 - 0.45 * min(passes[i], 2) / 2
            color = np.array(cmap(block[i] % 10)[:3]) * shade
            ax.add_patch(Rectangle((c, -r), 0.95, 0.95, color=color))
            ax.text(c + 0.47, -r + 0.47, str(thread[i]), ha="center", va="center",
                    fontsize=7, color="white")
        ax.set(xlim=(0, columns), ylim=(-rows + 1, 1), aspect="equal", xticks=[], yticks=[])
        total = blocks * threads
        ax.set_title(f"{size} elements, {blocks} blocks × {threads} threads = {total} threads: "
                     f"{-(-size // total)} pass(es) of the grid-stride loop\n"
                     "colour: block; label: thread in its block; darker: a later pass",
                     fontsize=9)

    return interactive_figure(fig, draw, {
        "blocks": Slider("blocks", 1, 8, 1, blocks),
        "threads": Slider("threads/block", 1, 32, 1, threads),
    })
