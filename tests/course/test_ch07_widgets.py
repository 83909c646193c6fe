"""Chapter 7's plots and widget: the roofline and the tile explorer (static mode)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from minidl.viz.roofline import plot_roofline
from minidl.widgets.acceleration import tile_explorer


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
