"""Activation functions and their derivatives, side by side.

The standard four are computed through minidl's kernel slots, so after
``minidl.use_exercises()`` the plot shows *your* sigmoid, tanh and ReLU.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from matplotlib.figure import Figure

from minidl.kernels.cpu import activation as K

ArrayFn = Callable[[np.ndarray], np.ndarray]


def _step(x: np.ndarray) -> np.ndarray:
    return (x >= 0).astype(x.dtype)


def _step_derivative(x: np.ndarray) -> np.ndarray:
    return np.where(x == 0, np.nan, 0.0).astype(x.dtype)  # 0 everywhere, undefined at 0


def standard_activations() -> dict[str, tuple[ArrayFn, ArrayFn]]:
    """``{name: (f, f')}`` for step, sigmoid, tanh and ReLU, as functions of an array x.

    step(x) = [x ≥ 0] (the perceptron's convention), step'(x) = 0 (undefined at 0);
    σ(x) = 1/(1 + e^{−x}), σ' = σ(1 − σ);  tanh' = 1 − tanh²;
    ReLU(x) = max(x, 0), ReLU' = [x > 0].
    The derivatives call the ``*_backward`` kernels with an upstream gradient of ones.
    """

    def ones(x: np.ndarray) -> np.ndarray:
        return np.ones_like(x)

    return {
        "step": (_step, _step_derivative),
        "sigmoid": (K.sigmoid_forward,
                    lambda x: K.sigmoid_backward(ones(x), K.sigmoid_forward(x))),
        "tanh": (K.tanh_forward, lambda x: K.tanh_backward(ones(x), K.tanh_forward(x))),
        "ReLU": (K.relu_forward, lambda x: K.relu_backward(ones(x), x)),
    }


def _break_jumps(x: np.ndarray, f: np.ndarray, jump: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Insert a NaN wherever f jumps by more than ``jump``, so a step is not drawn as a wall."""
    cut = np.flatnonzero(np.abs(np.diff(f)) > jump) + 1
    return np.insert(x, cut, np.nan), np.insert(f, cut, np.nan)


def plot_activations(
    activations: Mapping[str, tuple[ArrayFn, ArrayFn]] | None = None,
    x: np.ndarray | None = None,
) -> Figure:
    """One column per activation: f(x) on top, its derivative f'(x) below.

    ``activations`` maps a name to ``(f, df)``, two functions of an array x (float64, (M,))
    returning arrays of the same shape; the default is :func:`standard_activations`. ``x`` is
    the grid to plot on (default: 801 points on [−5, 5]). The derivatives share the y range
    [−0.1, 1.1].
    """
    activations = standard_activations() if activations is None else activations
    x = np.linspace(-5.0, 5.0, 801) if x is None else np.asarray(x, dtype=np.float64)
    k = len(activations)
    fig = Figure(figsize=(2.6 * k, 4.6), layout="constrained")
    axes = fig.subplots(2, k, sharex=True, squeeze=False)
    for col, (name, (f, df)) in enumerate(activations.items()):
        for row, (fn, color, label) in enumerate(
            [(f, "tab:blue", name), (df, "tab:red", f"{name}′")]
        ):
            ax = axes[row, col]
            ax.plot(*_break_jumps(x, np.asarray(fn(x), dtype=np.float64)), color=color, lw=2)
            ax.axhline(0, color="0.6", lw=0.8)
            ax.axvline(0, color="0.6", lw=0.8)
            ax.set_title(f"{label}(x)", fontsize=10)
            ax.grid(alpha=0.3)
        axes[1, col].set_xlabel("x")
    for ax in axes[1]:  # one scale for every derivative, so their sizes compare at a glance
        ax.set_ylim(-0.1, 1.1)
    axes[0, 0].set_ylabel("f(x)")
    axes[1, 0].set_ylabel("f′(x)")
    return fig
