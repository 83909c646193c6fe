"""A figure, a ``draw`` function and control specs become a live widget or a static figure.

Demos describe their controls as plain data (:class:`Slider`, :class:`Choice`,
:class:`Player`) and give a ``draw(**values)`` that redraws the figure for one setting of
the controls. :func:`interactive_figure` then follows the live-vs-static rule of
:mod:`minidl.widgets`: static returns the figure drawn at the controls' initial values;
live builds ipywidgets controls and an image that is redrawn whenever a control moves.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

from minidl.frontend import widget_mode


@dataclass(frozen=True)
class Slider:
    """A float slider from ``min`` to ``max`` in steps of ``step``, starting at ``value``."""

    description: str
    min: float
    max: float
    step: float
    value: float


@dataclass(frozen=True)
class Choice:
    """One value out of ``options`` (shown as a selection slider), starting at ``value``."""

    description: str
    options: Sequence[Any]
    value: Any


@dataclass(frozen=True)
class Player:
    """A frame number 0 … ``n_frames`` − 1 with a play button that steps every ``interval_ms``."""

    description: str
    n_frames: int
    interval_ms: int = 250
    value: int = 0


Control = Slider | Choice | Player


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure rendered as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _live_control(spec: Control) -> tuple[Any, Any]:
    """(the widget to show, the widget whose ``value`` to observe) for one control spec."""
    import ipywidgets as W

    style = {"description_width": "70px"}  # one width, so the slider tracks line up
    if isinstance(spec, Slider):
        w = W.FloatSlider(value=spec.value, min=spec.min, max=spec.max, step=spec.step,
                          description=spec.description, continuous_update=True, style=style)
        return w, w
    if isinstance(spec, Choice):
        w = W.SelectionSlider(options=list(spec.options), value=spec.value,
                              description=spec.description, continuous_update=False, style=style)
        return w, w
    play = W.Play(value=spec.value, min=0, max=spec.n_frames - 1, step=1,
                  interval=spec.interval_ms, description=spec.description)
    frame = W.IntSlider(value=spec.value, min=0, max=spec.n_frames - 1,
                        description=spec.description, style=style,
                        layout=W.Layout(width="420px"))
    W.jslink((play, "value"), (frame, "value"))
    return W.HBox([play, frame]), frame


def interactive_figure(
    fig: Figure,
    draw: Callable[..., None],
    controls: Mapping[str, Control],
    dpi: int = 100,
) -> Any:
    """``fig`` with ``controls``: an ipywidgets ``VBox`` when live, else ``fig`` itself.

    ``draw(**values)`` redraws ``fig`` for the values of the controls, keyed by the names in
    ``controls``. It is called once with every control's initial ``value``; when live, again
    after each change, and the figure is shown as a PNG image (at ``dpi``) under the controls.
    """
    values = {name: spec.value for name, spec in controls.items()}
    draw(**values)
    if widget_mode() == "static":
        return fig

    import ipywidgets as W

    # pinned to the figure's own pixel width: a stretched PNG is blurry and too tall to see
    width = round(fig.get_figwidth() * dpi)
    image = W.Image(value=figure_png(fig, dpi), format="png",
                    layout=W.Layout(width=f"{width}px"))
    rows = []
    for name, spec in controls.items():
        shown, source = _live_control(spec)

        def redraw(change: dict[str, Any], name: str = name) -> None:
            values[name] = change["new"]
            draw(**values)
            image.value = figure_png(fig, dpi)

        source.observe(redraw, names="value")
        rows.append(shown)
    return W.VBox([*rows, image], layout=W.Layout(align_items="flex-start"))
