"""Chapter 8's demo (minidl.widgets.attribution): the static grid and the live explorer."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from minidl.errors import ShapeError
from minidl.widgets.attribution import attribution_explorer, plot_attribution_grid

IMAGES = np.random.default_rng(0).random((3, 6, 6)).astype(np.float32)
MAPS = {"saliency": IMAGES ** 2, "gradient × input": IMAGES - 0.5}


def test_static_explorer_shows_every_method_for_every_digit(monkeypatch):
    monkeypatch.setenv("MINIDL_WIDGETS", "static")
    fig = attribution_explorer(IMAGES, MAPS, titles=["a", "b", "c"])
    assert isinstance(fig, Figure)
    axes = fig.get_axes()
    assert len(axes) == 3 * (1 + len(MAPS))
    assert [ax.get_title() for ax in axes[:3]] == ["a", "b", "c"]
    assert axes[3].get_ylabel() == "saliency"
    # a signed map gets a symmetric diverging scale, a non-negative one starts at 0
    assert axes[3 + 3].images[0].get_clim() == pytest.approx(
        (-np.abs(MAPS["gradient × input"][0]).max(), np.abs(MAPS["gradient × input"][0]).max()))
    assert axes[3].images[0].get_clim()[0] == 0.0


def test_live_explorer_redraws_for_a_new_choice(monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.setenv("MINIDL_WIDGETS", "live")
    box = attribution_explorer(IMAGES, MAPS)
    method, digit, image = box.children
    first = image.value
    method.value = "gradient × input"
    digit.value = 2
    assert image.value != first


def test_a_map_of_the_wrong_shape_is_named():
    with pytest.raises(ShapeError, match="map 'bad' has shape"):
        plot_attribution_grid(IMAGES, {"bad": IMAGES[:, :3]})
