"""Weight initialisation schemes: samples whose variance keeps signals steady through layers.

A layer with weight shape (out, in, *kernel) sees fan_in = in · receptive inputs per
output and fan_out = out · receptive outputs per input, where receptive = Π kernel
(1 for a Linear layer). Glorot/Xavier balances both fans; He/Kaiming keeps the variance
of activations (fan_in) or of gradients (fan_out) through a given nonlinearity.
All samplers return float64 arrays; the caller casts them.
"""

from __future__ import annotations

import math

import numpy as np

from minidl.errors import ShapeError, fmt_shape
from minidl.kernels.slots import slot

_LINEAR_GAINS = (
    "linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended scale for a nonlinearity (PyTorch's table).

    linear, conv*, sigmoid: 1   tanh: 5/3   relu: √2   selu: 3/4
    leaky_relu: √(2 / (1 + a²)) with negative slope a = ``param`` (default 0.01).
    """
    if nonlinearity in _LINEAR_GAINS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope must be a number, got {slope!r}")
        return math.sqrt(2.0 / (1 + slope**2))
    known = ", ".join((*_LINEAR_GAINS, "tanh", "relu", "leaky_relu", "selu"))
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; known: {known}")


def fan_in_and_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) = (shape[1] · receptive, shape[0] · receptive), receptive = Π shape[2:]."""
    if len(shape) < 2:
        raise ShapeError(
            f"init: fan in and fan out need a weight with at least 2 dims, got {fmt_shape(shape)}"
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _kaiming_std(shape: tuple[int, ...], a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fan_in_and_fan_out(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ShapeError(f"kaiming init: cannot initialise a weight with zero {mode}: "
                         f"{fmt_shape(shape)}")
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _xavier_std(shape: tuple[int, ...], gain: float) -> float:
    fan_in, fan_out = fan_in_and_fan_out(shape)
    if fan_in + fan_out == 0:
        raise ShapeError(f"xavier init: cannot initialise an empty weight {fmt_shape(shape)}")
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


@slot
def xavier_uniform(shape: tuple[int, ...], gain: float, rng: np.random.Generator) -> np.ndarray:
    """Glorot uniform: U(−b, b) with b = gain · √(6 / (fan_in + fan_out)) (std = b/√3)."""
    bound = math.sqrt(3.0) * _xavier_std(shape, gain)
    return rng.uniform(-bound, bound, shape)


@slot
def xavier_normal(shape: tuple[int, ...], gain: float, rng: np.random.Generator) -> np.ndarray:
    """Glorot normal: N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    return rng.normal(0.0, _xavier_std(shape, gain), shape)


@slot
def kaiming_uniform(
    shape: tuple[int, ...], a: float, mode: str, nonlinearity: str, rng: np.random.Generator
) -> np.ndarray:
    """He uniform: U(−b, b) with b = √3 · gain / √fan, fan = fan_in or fan_out (``mode``).

    gain = calculate_gain(nonlinearity, a); ``a`` is the leaky-ReLU negative slope.
    (PyTorch's Linear uses a = √5, giving b = 1/√fan_in.)
    """
    bound = math.sqrt(3.0) * _kaiming_std(shape, a, mode, nonlinearity)
    return rng.uniform(-bound, bound, shape)


@slot
def kaiming_normal(
    shape: tuple[int, ...], a: float, mode: str, nonlinearity: str, rng: np.random.Generator
) -> np.ndarray:
    """He normal: N(0, std²) with std = gain / √fan (see :func:`kaiming_uniform`)."""
    return rng.normal(0.0, _kaiming_std(shape, a, mode, nonlinearity), shape)
