"""Chapter 3's plots (minidl.viz.cnn) and demos (minidl.widgets.convolution)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from minidl.errors import ShapeError
from minidl.viz.cnn import (
    conv_size_text,
    plot_conv_geometry,
    plot_feature_maps,
    plot_filters,
    plot_image_grid,
    plot_saliency,
)
from minidl.widgets.convolution import PRESET_KERNELS, conv_arithmetic, kernel_explorer

PNG_MAGIC = b"\x89PNG"
IMAGE = np.arange(30, dtype=np.float32).reshape(5, 6) % 7  # a small image with structure


def correlate_by_hand(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Valid cross-correlation written out with Python loops (independent of minidl)."""
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for r in range(out.shape[0]):
        for s in range(out.shape[1]):
            out[r, s] = sum(kernel[a, b] * image[r + a, s + b]
                            for a in range(kh) for b in range(kw))
    return out


@pytest.fixture
def live(monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.setenv("MINIDL_WIDGETS", "live")


@pytest.fixture
def static(monkeypatch):
    monkeypatch.setenv("MINIDL_WIDGETS", "static")


# ---- viz ----------------------------------------------------------------------------------

def test_image_grid_layout_and_titles():
    fig = plot_image_grid(np.zeros((5, 4, 4)), titles=list("abcde"), ncols=3, title="t")
    axes = fig.get_axes()
    assert len(axes) == 6  # 2 rows × 3 columns, the sixth tile left empty
    assert [ax.get_title() for ax in axes[:5]] == list("abcde")
    assert len(axes[5].images) == 0


def test_image_grid_symmetric_colours_centre_zero():
    fig = plot_image_grid(np.array([[[-1.0, 3.0]]]), symmetric=True)
    image = fig.get_axes()[0].images[0]
    assert image.get_clim() == (-3.0, 3.0)


def test_image_grid_scales_each_tile_unless_shared():
    images = np.array([[[0.0, 1.0]], [[0.0, 4.0]]])
    separate = plot_image_grid(images)
    assert [ax.images[0].get_clim() for ax in separate.get_axes()] == [(0.0, 1.0), (0.0, 4.0)]
    shared = plot_image_grid(images, shared_scale=True)
    tiles = [ax for ax in shared.get_axes() if ax.images]
    assert [ax.images[0].get_clim() for ax in tiles] == [(0.0, 4.0), (0.0, 4.0)]
    assert len(shared.get_axes()) == 3  # the two tiles and one colour bar for both
    signed = plot_image_grid(-images, symmetric=True, shared_scale=True)
    assert signed.get_axes()[0].images[0].get_clim() == (-4.0, 4.0)


def test_filters_one_tile_per_input_output_pair():
    fig = plot_filters(np.ones((4, 2, 3, 3)))
    titles = [ax.get_title() for ax in fig.get_axes() if ax.images]
    assert titles == ["0,0", "0,1", "1,0", "1,1", "2,0", "2,1", "3,0", "3,1"]


def test_feature_maps_and_saliency_show_their_data():
    maps = np.random.default_rng(0).random((3, 4, 4))
    fig = plot_feature_maps(maps)
    np.testing.assert_array_equal(fig.get_axes()[2].images[0].get_array(), maps[2])
    shared = plot_feature_maps(maps, shared_scale=True)
    assert shared.get_axes()[0].images[0].get_clim() == (maps.min(), maps.max())
    sal = plot_saliency(IMAGE, -IMAGE)
    np.testing.assert_array_equal(sal.get_axes()[1].images[0].get_array(), IMAGE)  # |−x|


@pytest.mark.parametrize("call, message", [
    (lambda: plot_image_grid(np.zeros((4, 4))), r"expected images \(K, H, W\), got \(4, 4\)"),
    (lambda: plot_filters(np.zeros((2, 3, 3))), r"expected weight \(O, C, kh, kw\)"),
    (lambda: plot_saliency(np.zeros((4, 4)), np.zeros((3, 4))), r"saliency \(4, 4\)"),
])
def test_viz_errors_name_the_expected_shape(call, message):
    with pytest.raises(ShapeError, match=message):
        call()


@pytest.mark.parametrize("args, want", [
    ((28, 5, 1, 2, 1), 28), ((7, 3, 2, 1, 1), 4), ((10, 3, 1, 0, 2), 6), ((5, 3, 1, 0, 1), 3),
])
def test_conv_size_text_works_the_formula(args, want):
    out, text = conv_size_text(*args)
    assert out == want and text.endswith(f"= {want}")


def test_conv_geometry_draws_input_windows_and_output():
    fig = plot_conv_geometry(5, 3, stride=2, padding=1)
    ax = fig.get_axes()[0]
    # 7×7 padded cells + 2 windows of 9 taps + a 3×3 output ((5 + 2 − 3) // 2 + 1 = 3)
    assert len(ax.patches) == 49 + 18 + 9
    assert "= 3" in ax.get_title()


def test_conv_geometry_reports_a_kernel_that_does_not_fit():
    fig = plot_conv_geometry(2, 5)
    assert "does not fit" in fig.get_axes()[0].get_title()
    with pytest.raises(ValueError, match="stride must be an int ≥ 1"):
        plot_conv_geometry(5, 3, stride=0)


# ---- widgets ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(PRESET_KERNELS))
def test_kernel_explorer_static_shows_the_feature_map(static, name):
    fig = kernel_explorer(IMAGE, kernel=name)
    assert isinstance(fig, Figure)
    image_ax, kernel_ax, feature_ax = fig.get_axes()
    np.testing.assert_allclose(feature_ax.images[0].get_array(),
                               correlate_by_hand(IMAGE, PRESET_KERNELS[name]), atol=1e-5)
    assert name in kernel_ax.get_title()


def test_kernel_explorer_uses_the_given_correlate(static):
    calls = []

    def mine(image, kernel):
        calls.append(kernel.shape)
        return np.zeros((image.shape[0] - 2, image.shape[1] - 2), image.dtype)

    kernel_explorer(IMAGE, correlate=mine)
    assert calls == [(3, 3)]


def test_kernel_explorer_rejects_bad_input(static):
    with pytest.raises(ShapeError, match=r"expected an image \(H, W\)"):
        kernel_explorer(np.zeros((1, 5, 5)))
    with pytest.raises(ValueError, match="no preset 'nope'"):
        kernel_explorer(IMAGE, kernel="nope")


def test_kernel_explorer_live_preset_fills_boxes_and_edits_redraw(live):
    import ipywidgets as W

    box = kernel_explorer(IMAGE, kernel="identity")
    assert isinstance(box, W.VBox)
    (menu, grid), picture = box.children[0].children, box.children[1]
    assert picture.value[:4] == PNG_MAGIC
    menu.value = "sharpen"
    np.testing.assert_array_equal([b.value for b in grid.children],
                                  PRESET_KERNELS["sharpen"].reshape(-1))
    before = picture.value
    grid.children[4].value = 0.0  # edit the centre weight
    assert picture.value != before


def test_conv_arithmetic_static_and_live(static, monkeypatch):
    fig = conv_arithmetic(in_size=6, kernel_size=3, stride=1, padding=1)
    assert isinstance(fig, Figure)
    assert "= 6" in fig.get_axes()[0].get_title()  # "same" padding keeps the size
    W = pytest.importorskip("ipywidgets")
    monkeypatch.setenv("MINIDL_WIDGETS", "live")
    box = conv_arithmetic()
    assert isinstance(box, W.VBox)
    sliders = [c for c in box.children if isinstance(c, W.FloatSlider)]
    assert [s.description for s in sliders] == ["input size", "kernel size", "stride",
                                                "padding", "dilation"]
