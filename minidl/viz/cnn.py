"""Chapter 3 plots: images and filters in grids, saliency, and the geometry of a convolution.

==========================  ====================================================================
``plot_image_grid``         K images (K, H, W) in a grid: digits, filters, feature maps
``plot_filters``            a conv layer's weights (O, C, kh, kw), one tile per (o, c), 0 white
``plot_feature_maps``       the channels (C, H, W) of one image's activations
``plot_saliency``           an image, its saliency map and the two overlaid
``plot_conv_geometry``      a padded input grid, the first windows of a kernel and the output grid
==========================  ====================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from minidl.errors import ShapeError, fmt_shape
from minidl.viz._figure import as_array, new_axes


def _check_ndim(where: str, name: str, a: np.ndarray, ndim: int, shape: str) -> None:
    if a.ndim != ndim:
        raise ShapeError(f"{where}: expected {name} {shape}, got {fmt_shape(a.shape)}")


def plot_image_grid(
    images: Any,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    symmetric: bool = False,
    title: str | None = None,
    tile: float = 1.2,
    shared_scale: bool = False,
) -> Figure:
    """K grayscale images, shape (K, H, W), in a grid of ``ncols`` columns.

    ``symmetric`` colours each tile with a diverging map centred at 0 (red > 0, blue < 0,
    white = 0: for filters, gradients, signed feature maps); otherwise grey levels from the
    tile's minimum (black) to its maximum (white). ``titles`` labels the tiles (K strings).

    By default every tile is scaled to its own range, which shows each tile's pattern but
    not how strong it is. ``shared_scale`` gives all tiles one colour scale (the minimum and
    maximum over all of them; ±the largest magnitude with ``symmetric``) and adds a colour
    bar, so brightness can be compared across tiles.
    """
    imgs = as_array(images)
    _check_ndim("plot_image_grid", "images", imgs, 3, "(K, H, W)")
    k = imgs.shape[0]
    if titles is not None and len(titles) != k:
        raise ValueError(f"plot_image_grid: expected {k} titles, got {len(titles)}")
    ncols = max(1, min(ncols, k))
    nrows = -(-k // ncols)
    label_room = 0.25 if titles is not None else 0.0
    fig = Figure(figsize=(tile * ncols, (tile + label_room) * nrows + (0.35 if title else 0)),
                 layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    shown = None
    for idx, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if idx >= k:
            continue
        img = imgs[idx]
        scale = imgs if shared_scale else img
        if symmetric:
            limit = float(np.abs(scale).max()) or 1.0
            shown = ax.imshow(img, cmap="RdBu_r", vmin=-limit, vmax=limit)
        else:
            low, high = float(scale.min()), float(scale.max())
            shown = ax.imshow(img, cmap="gray", vmin=low, vmax=high if high > low else low + 1)
        if titles is not None:
            ax.set_title(titles[idx], fontsize=8)
    if shared_scale and shown is not None:
        fig.colorbar(shown, ax=axes, shrink=0.8, pad=0.02, aspect=15)
    if title:
        fig.suptitle(title)
    return fig


def plot_filters(weight: Any, title: str = "filters", ncols: int = 8) -> Figure:
    """A conv layer's weight (O, C, kh, kw): one diverging tile per (output o, input c)."""
    w = as_array(weight)
    _check_ndim("plot_filters", "weight", w, 4, "(O, C, kh, kw)")
    o, c = w.shape[:2]
    titles = [f"{i}" if c == 1 else f"{i},{j}" for i in range(o) for j in range(c)]
    return plot_image_grid(w.reshape(o * c, *w.shape[2:]), titles, ncols=ncols,
                           symmetric=True, title=title)


def plot_feature_maps(maps: Any, title: str = "feature maps", ncols: int = 8,
                      shared_scale: bool = False) -> Figure:
    """The C channels (C, H, W) of one image's activations, one grey tile per channel.

    Each tile is scaled to its own range unless ``shared_scale`` (see ``plot_image_grid``).
    """
    m = as_array(maps)
    _check_ndim("plot_feature_maps", "maps", m, 3, "(C, H, W)")
    return plot_image_grid(m, [f"ch {i}" for i in range(m.shape[0])], ncols=ncols,
                           title=title, shared_scale=shared_scale)


def plot_saliency(image: Any, saliency: Any, title: str | None = None) -> Figure:
    """An image (H, W), its saliency |∂score/∂pixel| (H, W), and the saliency over the image."""
    img, sal = as_array(image), np.abs(as_array(saliency))
    _check_ndim("plot_saliency", "image", img, 2, "(H, W)")
    if sal.shape != img.shape:
        raise ShapeError(f"plot_saliency: expected saliency {fmt_shape(img.shape)} like the "
                         f"image, got {fmt_shape(sal.shape)}")
    fig = Figure(figsize=(7.5, 2.8), layout="constrained")
    axes = fig.subplots(1, 3)
    axes[0].imshow(img, cmap="gray")
    axes[0].set_title("input")
    axes[1].imshow(sal, cmap="hot")
    axes[1].set_title("saliency |∂score/∂x|")
    axes[2].imshow(img, cmap="gray")
    axes[2].imshow(sal, cmap="hot", alpha=0.6)
    axes[2].set_title("overlay")
    for ax in axes:
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return fig


def conv_size_text(in_size: int, kernel_size: int, stride: int, padding: int,
                   dilation: int) -> tuple[int, str]:
    """The output length along one axis and the formula with the numbers filled in."""
    out = (in_size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    text = (f"⌊({in_size} + 2·{padding} − {dilation}·({kernel_size} − 1) − 1) / {stride}⌋ + 1"
            f" = {out}")
    return out, text


def plot_conv_geometry(
    in_size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    ax: Axes | None = None,
) -> Figure:
    """A square input of side ``in_size`` with ``padding`` (hatched), the taps of the first
    window (blue) and of the next one along the row (orange, ``stride`` to the right), and,
    to the right, the output grid with the two matching cells coloured.

    The title gives the output size, ⌊(in + 2p − d(k − 1) − 1)/s⌋ + 1; a kernel that does
    not fit into the padded input is reported in the title instead.
    """
    ints = {"in_size": in_size, "kernel_size": kernel_size, "stride": stride,
            "dilation": dilation}
    for name, value in ints.items():
        if int(value) != value or value < 1:
            raise ValueError(f"plot_conv_geometry: {name} must be an int ≥ 1, got {value!r}")
    if int(padding) != padding or padding < 0:
        raise ValueError(f"plot_conv_geometry: padding must be an int ≥ 0, got {padding!r}")
    in_size, kernel_size, stride, padding, dilation = (
        int(v) for v in (in_size, kernel_size, stride, padding, dilation))
    fig, ax = new_axes(ax, figsize=(7.0, 4.0))
    side = in_size + 2 * padding
    for r in range(side):
        for c in range(side):
            pad = not (padding <= r < padding + in_size and padding <= c < padding + in_size)
            ax.add_patch(Rectangle((c, side - 1 - r), 1, 1, facecolor="white" if pad else
                                   "#e0e0e0", edgecolor="#999999", hatch="//" if pad else None,
                                   linewidth=0.6))
    out, formula = conv_size_text(in_size, kernel_size, stride, padding, dilation)
    span = dilation * (kernel_size - 1) + 1
    windows = [(0, "#1f77b4")] + ([(stride, "#ff7f0e")] if out >= 2 else [])
    for start, color in windows if out >= 1 else []:
        for i in range(kernel_size):
            for j in range(kernel_size):
                r, c = i * dilation, start + j * dilation
                ax.add_patch(Rectangle((c + 0.15, side - 1 - r + 0.15), 0.7, 0.7,
                                       facecolor=color, alpha=0.55, edgecolor=color))
    gap = 2.0
    if out >= 1:
        cell = min(1.0, side / out)  # keep the output grid no taller than the input
        for r in range(out):
            for c in range(out):
                color = ("#1f77b4" if (r, c) == (0, 0) else
                         "#ff7f0e" if (r, c) == (0, 1) else "#f5f5f5")
                ax.add_patch(Rectangle((side + gap + c * cell, side - (r + 1) * cell), cell,
                                       cell, facecolor=color, alpha=0.8, edgecolor="#666666"))
        ax.text(side + gap, side + 0.3, f"output {out}×{out}", fontsize=9)
        ax.set_title(f"input {in_size}×{in_size}, kernel {kernel_size}, stride {stride}, "
                     f"padding {padding}, dilation {dilation}\noutput side = {formula}",
                     fontsize=9)
    else:
        ax.set_title(f"a kernel spanning {span} pixels does not fit into the padded input "
                     f"({side}): no output", fontsize=9)
    ax.text(0, side + 0.3, f"padded input {side}×{side}", fontsize=9)
    ax.set_xlim(-0.5, side + gap + side + 0.5)
    ax.set_ylim(-0.5, side + 1.2)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig
