"""Plots for the course: matplotlib only, every helper returns a ``Figure``.

Helpers never call ``plt.show()`` and never touch pyplot's global state: they build a
``matplotlib.figure.Figure`` (or draw into the ``ax`` you pass) and return it, so a notebook
shows it as a cell's last expression, a script saves it with ``fig.savefig(...)``, and a widget
redraws it (see :mod:`minidl.widgets`).

=============================  ==============================================================
``plot_linear_boundary``       2-D data and the line w·x + b = 0 of a linear classifier
``plot_decision_boundary``     2-D data and the regions of any classifier ``predict(X)``
``plot_activations``           activation functions (top row) and their derivatives (bottom)
``plot_training_curve``        one or more per-epoch curves (loss, errors, accuracy)
``draw_neuron``                a diagram of an artificial neuron: inputs, weights, Σ, activation
``plot_profile``               a profile's ops and kernels as bars (``minidl.profiler``)
``plot_roofline``              a machine's compute and memory roofs, with kernels placed on them
=============================  ==============================================================
"""

from minidl.viz.activations import plot_activations, standard_activations
from minidl.viz.boundary import boundary_points, plot_decision_boundary, plot_linear_boundary
from minidl.viz.curves import plot_training_curve
from minidl.viz.diagrams import draw_neuron
from minidl.viz.profile import plot_profile
from minidl.viz.roofline import plot_roofline

__all__ = [
    "boundary_points", "draw_neuron", "plot_activations", "plot_decision_boundary",
    "plot_linear_boundary", "plot_training_curve", "standard_activations",
    "plot_profile", "plot_roofline",
]
