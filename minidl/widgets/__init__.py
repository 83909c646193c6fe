"""Interactive demos for the notebooks (ipywidgets), with a static fallback.

The live-vs-static rule
-----------------------
Every demo is a matplotlib figure plus controls (sliders, choices, a play button). It
renders **live** (ipywidgets controls that redraw the figure) when a Jupyter frontend is
attached to the kernel, and otherwise returns a **static** ``Figure`` of its initial state,
so a notebook executed headless (nbclient, nbval, CI, ``jupyter nbconvert --execute``) stores
a picture instead of a widget nobody can move. :func:`widget_mode` decides:

1. ``MINIDL_WIDGETS=live`` or ``MINIDL_WIDGETS=static`` in the environment wins (any other
   value is an error). Use ``live`` in a frontend the rule below misses (e.g. VS Code).
2. Otherwise, ``live`` when ``JPY_SESSION_NAME`` is set (jupyter_server sets it for the
   kernels it starts, so JupyterLab and Notebook get live widgets; nbclient/nbval do not set
   it) and ipywidgets can be imported; ``static`` otherwise.

ipywidgets is imported only when a demo goes live, so static mode never needs it.

==========================  ===============================================================
``boundary_explorer``       sliders for w₁, w₂, b move a perceptron's line over 2-D data
``perceptron_player``       a learning-rate choice and a play button animate training
``interactive_figure``      the machinery: a figure, a ``draw`` function, control specs
``Slider``/``Choice``/``Player``   control specs (plain data; no ipywidgets needed)
==========================  ===============================================================
"""

from minidl.frontend import MODE_ENV, widget_mode
from minidl.widgets.controls import Choice, Player, Slider, interactive_figure
from minidl.widgets.perceptron import boundary_explorer, perceptron_player, trace_perceptron

__all__ = [
    "MODE_ENV", "Choice", "Player", "Slider", "boundary_explorer", "interactive_figure",
    "perceptron_player", "trace_perceptron", "widget_mode",
]
