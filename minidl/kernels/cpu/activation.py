"""Elementwise activation functions and their derivatives.

Each ``*_backward`` takes the upstream gradient ``grad = dL/dy`` and what forward
computed, and returns ``dL/dx = grad · f'(x)``. Shapes: any, all equal.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from minidl.kernels.cpu.gelu import gelu_backward_float32, gelu_float32
from minidl.kernels.slots import slot


@slot
def relu_forward(x: np.ndarray) -> np.ndarray:
    """ReLU(x) = max(x, 0)."""
    return np.maximum(x, 0).astype(x.dtype, copy=False)


@slot
def relu_backward(grad: np.ndarray, x: np.ndarray) -> np.ndarray:
    """ReLU'(x) = 1 where x > 0, else 0 (PyTorch's choice at x = 0)."""
    return grad * (x > 0)


@slot
def sigmoid_forward(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^{−x}), computed without overflow for large |x|."""
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


@slot
def sigmoid_backward(grad: np.ndarray, out: np.ndarray) -> np.ndarray:
    """σ'(x) = σ(x)(1 − σ(x)); takes the forward output ``out = σ(x)``."""
    return grad * out * (1 - out)


@slot
def tanh_forward(x: np.ndarray) -> np.ndarray:
    """tanh(x) = (e^x − e^{−x}) / (e^x + e^{−x})."""
    return np.tanh(x)


@slot
def tanh_backward(grad: np.ndarray, out: np.ndarray) -> np.ndarray:
    """tanh'(x) = 1 − tanh²(x); takes the forward output ``out = tanh(x)``."""
    return grad * (1 - out * out)


@numba.njit(cache=True)
def _leaky_relu(x, slope, out):  # pragma: no cover - compiled
    for i in range(x.size):
        out[i] = x[i] if x[i] > 0 else x[i] * slope


@numba.njit(cache=True)
def _leaky_relu_grad(grad, x, slope, out):  # pragma: no cover - compiled
    for i in range(x.size):
        out[i] = grad[i] if x[i] > 0 else grad[i] * slope


# One compiled pass over the data instead of NumPy's three (x > 0, x · slope, where), each
# with a temporary: (64, 32, 14, 14) float32, one thread, 1.6 → 0.04 ms forward and 1.6 →
# 0.06 ms backward (DCGAN's discriminator runs six of each per training step). Flat loops,
# not a ufunc: a NaN compared in a ufunc's loop would raise NumPy's "invalid value" warning.
_COMPILED = (np.float32, np.float64)


def leaky_relu_forward(x: np.ndarray, negative_slope: float) -> np.ndarray:
    """x where x > 0, else negative_slope · x."""
    if x.dtype not in _COMPILED:
        return np.where(x > 0, x, x * x.dtype.type(negative_slope))
    x = np.ascontiguousarray(x)
    out = np.empty_like(x)
    _leaky_relu(x.reshape(-1), x.dtype.type(negative_slope), out.reshape(-1))
    return out


def leaky_relu_backward(grad: np.ndarray, x: np.ndarray, negative_slope: float) -> np.ndarray:
    """grad where x > 0, else negative_slope · grad."""
    if grad.dtype not in _COMPILED or x.dtype != grad.dtype or x.shape != grad.shape:
        return grad * np.where(x > 0, 1, negative_slope).astype(grad.dtype)
    grad, x = np.ascontiguousarray(grad), np.ascontiguousarray(x)
    out = np.empty_like(grad)
    _leaky_relu_grad(grad.reshape(-1), x.reshape(-1), grad.dtype.type(negative_slope),
                     out.reshape(-1))
    return out


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


@numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)
def erf(x):  # pragma: no cover - compiled
    """The error function erf(x) = (2/√π) ∫₀ˣ e^(−t²) dt, elementwise (a NumPy ufunc);
    the standard normal CDF is Φ(x) = ½ (1 + erf(x / √2))."""
    return math.erf(x)


@numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)
def _gelu_exact(x):  # pragma: no cover - compiled
    return 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0)))


@numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)
def _gelu_exact_grad(x):  # pragma: no cover - compiled
    cdf = 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))
    pdf = math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return cdf + x * pdf


@slot
def gelu_forward(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """GELU(x) = x·Φ(x) (exact, with erf) or its tanh approximation."""
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        return (0.5 * x * (1 + np.tanh(inner))).astype(x.dtype, copy=False)
    if x.dtype == np.float32:
        return gelu_float32(x)  # one vectorised pass, no per-element libm call
    return _gelu_exact(x)


def gelu_backward(grad: np.ndarray, x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """d/dx GELU(x): Φ(x) + x·φ(x) (exact) or the derivative of the tanh form."""
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        t = np.tanh(inner)
        d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x**2)
        return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)
    if x.dtype == np.float32 and grad.shape == x.shape:
        return gelu_backward_float32(grad, x)
    return grad * _gelu_exact_grad(x)
