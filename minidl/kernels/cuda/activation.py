"""Elementwise activation functions and their derivatives on the GPU.

The CUDA twins of :mod:`minidl.kernels.cpu.activation`: same names, arguments and maths,
device arrays in and out. Each function is a scalar device function applied by
:func:`~minidl.kernels.cuda.elementwise.map3`: one thread per element (grid-stride),
thread i computing out[i] from x[i] (and grad[i]). Shapes: any, all equal.
"""

from __future__ import annotations

import math

from numba import cuda

from minidl.kernels.cpu.activation import _SQRT_2_OVER_PI
from minidl.kernels.cuda.elementwise import map3, sigmoid

_GELU_C = 0.044715


@cuda.jit(device=True)
def _relu(x, y, z, a, b):  # pragma: no cover - compiled
    return x if x > 0 else 0.0


@cuda.jit(device=True)
def _relu_grad(g, x, z, a, b):  # pragma: no cover - compiled
    return g if x > 0 else 0.0


@cuda.jit(device=True)
def _sigmoid(x, y, z, a, b):  # pragma: no cover - compiled
    return sigmoid(x)


@cuda.jit(device=True)
def _sigmoid_grad(g, s, z, a, b):  # pragma: no cover - compiled
    return g * s * (1.0 - s)


@cuda.jit(device=True)
def _tanh(x, y, z, a, b):  # pragma: no cover - compiled
    return math.tanh(x)


@cuda.jit(device=True)
def _tanh_grad(g, t, z, a, b):  # pragma: no cover - compiled
    return g * (1.0 - t * t)


@cuda.jit(device=True)
def _leaky_relu(x, y, z, slope, b):  # pragma: no cover - compiled
    return x if x > 0 else x * slope


@cuda.jit(device=True)
def _leaky_relu_grad(g, x, z, slope, b):  # pragma: no cover - compiled
    return g if x > 0 else g * slope


@cuda.jit(device=True)
def _gelu(x, y, z, tanh_form, b):  # pragma: no cover - compiled
    if tanh_form:
        return 0.5 * x * (1.0 + math.tanh(_SQRT_2_OVER_PI * (x + _GELU_C * x * x * x)))
    return 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0)))


@cuda.jit(device=True)
def _gelu_grad(g, x, z, tanh_form, b):  # pragma: no cover - compiled
    if tanh_form:
        t = math.tanh(_SQRT_2_OVER_PI * (x + _GELU_C * x * x * x))
        d_inner = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_C * x * x)
        return g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * d_inner)
    cdf = 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))
    pdf = math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return g * (cdf + x * pdf)


@cuda.jit(device=True)
def _erf(x, y, z, a, b):  # pragma: no cover - compiled
    return math.erf(x)


def erf(x):
    """The error function erf(x) = (2/√π) ∫₀ˣ e^(−t²) dt, elementwise."""
    return map3(_erf, x)


def relu_forward(x):
    """ReLU(x) = max(x, 0)."""
    return map3(_relu, x)


def relu_backward(grad, x):
    """ReLU'(x) = 1 where x > 0, else 0 (PyTorch's choice at x = 0)."""
    return map3(_relu_grad, grad, x)


def sigmoid_forward(x):
    """σ(x) = 1 / (1 + e^{−x}), computed without overflow for large |x|."""
    return map3(_sigmoid, x)


def sigmoid_backward(grad, out):
    """σ'(x) = σ(x)(1 − σ(x)); takes the forward output ``out = σ(x)``."""
    return map3(_sigmoid_grad, grad, out)


def tanh_forward(x):
    """tanh(x)."""
    return map3(_tanh, x)


def tanh_backward(grad, out):
    """tanh'(x) = 1 − tanh²(x); takes the forward output ``out = tanh(x)``."""
    return map3(_tanh_grad, grad, out)


def leaky_relu_forward(x, negative_slope: float):
    """x where x > 0, else negative_slope · x."""
    return map3(_leaky_relu, x, a=negative_slope)


def leaky_relu_backward(grad, x, negative_slope: float):
    return map3(_leaky_relu_grad, grad, x, a=negative_slope)


def gelu_forward(x, approximate: str = "none"):
    """GELU(x) = x·Φ(x) = ½x(1 + erf(x/√2)) (exact), or ½x(1 + tanh(√(2/π)(x + 0.044715x³)))."""
    return map3(_gelu, x, a=float(approximate == "tanh"))


def gelu_backward(grad, x, approximate: str = "none"):
    """d/dx GELU(x): Φ(x) + x·φ(x) (exact) or the derivative of the tanh form."""
    return map3(_gelu_grad, grad, x, a=float(approximate == "tanh"))
