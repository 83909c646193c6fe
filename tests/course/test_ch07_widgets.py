"""Chapter 7's plots and widgets: the roofline, the tile explorer, the thread map (static)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from minidl.viz.roofline import plot_roofline
from minidl.widgets.acceleration import tile_explorer
from minidl.widgets.gpu import grid_stride_owners, thread_map


def test_roofline_draws_min_of_both_roofs_and_one_point_per_kernel():
    fig = plot_roofline(100.0, 10.0, {"relu": (0.125, 1.0), "gemm": (50.0, 80.0)})
    ax = fig.axes[0]
    roof = ax.lines[0]
    x, y = roof.get_data()
    np.testing.assert_allclose(y, np.minimum(100.0, 10.0 * x))
    assert x.min() < 0.125 and x.max() > 50.0  # both kernels inside the drawn range
    points = [c.get_offsets()[0].tolist() for c in ax.collections]
    assert points == [[0.125, 1.0], [50.0, 80.0]]
    assert any("ridge 10.0" in t.get_text() for t in ax.texts)


def test_tile_explorer_static_shows_the_last_tile_highlighted(monkeypatch):
    monkeypatch.setenv("MINIDL_WIDGETS", "static")
    fig = tile_explorer({8: 2.0, 64: 5.0, 512: 4.0}, blas_gflops=50.0, n=512)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    bars = ax.patches
    assert [b.get_height() for b in bars] == [2.0, 5.0, 4.0]
    highlighted = [b.get_facecolor() != bars[0].get_facecolor() for b in bars]
    assert highlighted == [False, False, True]  # the end of the sweep: tile 512
    assert "tile 512" in ax.get_title()


def test_grid_stride_owners_follow_cuda_grid_and_gridsize():
    # 2 blocks × 3 threads = 6 threads; element 7 is global thread 1 = block 0, thread 1
    block, thread = grid_stride_owners(10, blocks=2, threads=3)
    assert block.tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 0, 1]
    assert thread.tolist() == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]


def test_thread_map_static_labels_every_element_with_its_thread(monkeypatch):
    monkeypatch.setenv("MINIDL_WIDGETS", "static")
    fig = thread_map(size=20, blocks=2, threads=4, columns=10)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == [str(i % 4) for i in range(20)]
    assert len(ax.patches) == 20
    assert "3 pass(es)" in ax.get_title()  # 20 elements over 8 threads
