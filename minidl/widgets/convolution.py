"""Chapter 3 demos: a 3×3 filter you pick or edit on a real digit, and convolution arithmetic.

==========================  ====================================================================
``kernel_explorer``         pick a preset 3×3 kernel (edges, blur, sharpen) or edit its nine
                            weights, and watch the feature map of an image change
``conv_arithmetic``         sliders for input size, kernel, stride, padding, dilation: the
                            windows on the padded input and the output size
``PRESET_KERNELS``          the named 3×3 kernels
==========================  ====================================================================

Both follow the live-vs-static rule of :mod:`minidl.widgets`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from minidl.errors import ShapeError, fmt_shape
from minidl.frontend import widget_mode
from minidl.kernels.cpu.conv import conv2d_forward
from minidl.viz._figure import as_array
from minidl.viz.cnn import plot_conv_geometry
from minidl.widgets.controls import Slider, figure_png, interactive_figure

#: Named 3×3 kernels. Sobel kernels respond to intensity changes across x (vertical edges)
#: or across y (horizontal edges); a box or Gaussian kernel averages (blurs); "sharpen"
#: adds the Laplacian's edges back onto the image.
PRESET_KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], np.float32),
    "vertical edge (Sobel x)": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32),
    "horizontal edge (Sobel y)": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], np.float32),
    "box blur": np.full((3, 3), 1 / 9, np.float32),
    "Gaussian blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 16,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float32),
    "outline (Laplacian)": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], np.float32),
}

#: ``correlate(image (H, W), kernel (kh, kw)) -> (H − kh + 1, W − kw + 1)``.
Correlate = Callable[[np.ndarray, np.ndarray], np.ndarray]


def minidl_correlate2d(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """A one-channel valid cross-correlation through minidl's conv2d kernel."""
    return conv2d_forward(image[None, None], kernel[None, None], None, (1, 1), (0, 0),
                          (1, 1))[0, 0]


def _draw_kernel(fig: Figure, image: np.ndarray, kernel: np.ndarray, name: str,
                 correlate: Correlate) -> None:
    """Three panels: the image, the kernel with its weights written in, the feature map."""
    fig.clear()
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.0, 0.8, 1.0]})
    feature = np.asarray(correlate(image, kernel.astype(image.dtype)))
    axes[0].imshow(image, cmap="gray")
    axes[0].set_title(f"input {image.shape[0]}×{image.shape[1]}")
    limit = float(np.abs(kernel).max()) or 1.0
    axes[1].imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    for (r, c), v in np.ndenumerate(kernel):
        axes[1].text(c, r, f"{v:.2g}", ha="center", va="center", fontsize=9)
    axes[1].set_title(f"kernel: {name}", fontsize=9)
    axes[2].imshow(feature, cmap="gray")
    axes[2].set_title(f"feature map {feature.shape[0]}×{feature.shape[1]}\n"
                      f"range [{feature.min():.2g}, {feature.max():.2g}]", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])


def kernel_explorer(
    image: Any,
    kernel: str = "vertical edge (Sobel x)",
    presets: Mapping[str, Any] = PRESET_KERNELS,
    correlate: Correlate | None = None,
) -> Any:
    """Pick a 3×3 kernel (or type its nine weights) and see the feature map of ``image``.

    ``image`` (H, W), e.g. one MNIST digit in [0, 1]. ``kernel`` names the starting preset
    (a key of ``presets``). ``correlate(image, kernel)`` computes the feature map
    (H − 2, W − 2); by default minidl's conv2d, or pass your own (exercise 3.8).
    Live: a preset menu, a 3×3 grid of number boxes (filled in by the preset, editable) and
    the figure; static: the figure for the starting preset (see :mod:`minidl.widgets`).
    """
    img = as_array(image).astype(np.float32)
    if img.ndim != 2 or min(img.shape) < 3:
        raise ShapeError(f"kernel_explorer: expected an image (H, W) with H, W ≥ 3, got "
                         f"{fmt_shape(img.shape)}")
    kernels = {name: np.asarray(k, np.float32) for name, k in presets.items()}
    for name, k in kernels.items():
        if k.shape != (3, 3):
            raise ShapeError(f"kernel_explorer: preset {name!r} must be 3×3, got "
                             f"{fmt_shape(k.shape)}")
    if kernel not in kernels:
        raise ValueError(f"kernel_explorer: no preset {kernel!r}; presets: {list(kernels)}")
    correlate = correlate or minidl_correlate2d
    fig = Figure(figsize=(8.0, 3.0), layout="constrained")
    _draw_kernel(fig, img, kernels[kernel], kernel, correlate)
    if widget_mode() == "static":
        return fig

    import ipywidgets as W

    picture = W.Image(value=figure_png(fig), format="png")
    menu = W.Dropdown(options=list(kernels), value=kernel, description="preset")
    boxes = [W.FloatText(value=float(v), step=0.1, layout=W.Layout(width="70px"))
             for v in kernels[kernel].reshape(-1)]
    state = {"filling": False}

    def redraw(name: str) -> None:
        weights = np.array([b.value for b in boxes], np.float32).reshape(3, 3)
        _draw_kernel(fig, img, weights, name, correlate)
        picture.value = figure_png(fig)

    def on_preset(change: dict[str, Any]) -> None:
        state["filling"] = True  # one redraw for the whole preset, not one per box
        for box, v in zip(boxes, kernels[change["new"]].reshape(-1), strict=True):
            box.value = float(v)
        state["filling"] = False
        redraw(change["new"])

    def on_edit(_change: dict[str, Any]) -> None:
        if not state["filling"]:
            redraw("edited")

    menu.observe(on_preset, names="value")
    for box in boxes:
        box.observe(on_edit, names="value")
    grid = W.GridBox(boxes, layout=W.Layout(grid_template_columns="repeat(3, 75px)"))
    return W.VBox([W.HBox([menu, grid]), picture])


def conv_arithmetic(
    in_size: int = 7, kernel_size: int = 3, stride: int = 1, padding: int = 0,
    dilation: int = 1,
) -> Any:
    """Sliders for the input side, kernel size, stride, padding and dilation of a square
    convolution; the figure (:func:`minidl.viz.cnn.plot_conv_geometry`) shows the padded
    input, the first two windows and the output, and its title works out the output size.
    """
    fig = Figure(figsize=(7.0, 4.0), layout="constrained")
    ax = fig.add_subplot()

    def draw(in_size: float, kernel_size: float, stride: float, padding: float,
             dilation: float) -> None:
        ax.clear()
        plot_conv_geometry(int(in_size), int(kernel_size), int(stride), int(padding),
                           int(dilation), ax=ax)

    return interactive_figure(fig, draw, {
        "in_size": Slider("input size", 1, 12, 1, in_size),
        "kernel_size": Slider("kernel size", 1, 7, 1, kernel_size),
        "stride": Slider("stride", 1, 4, 1, stride),
        "padding": Slider("padding", 0, 3, 1, padding),
        "dilation": Slider("dilation", 1, 3, 1, dilation),
    })
