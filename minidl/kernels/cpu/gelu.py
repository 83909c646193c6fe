"""GELU's forward and backward for float32, fused into one vectorised Numba pass each.

    GELU(x) = x Φ(x) = ½ x (1 + erf(x/√2))        GELU'(x) = Φ(x) + x φ(x),  φ(x) = e^(−x²/2)/√(2π)

NumPy's ``erf`` ufunc (``activation.erf``) calls the C library once per element (≈ 10 ns,
not vectorisable): on a GPT's MLP (12 × 64 × 512 values) forward and backward took 4 and
6 ms, 22 % of a training step. Here each element is computed in float64 registers from
polynomials only (no calls), so LLVM vectorises the loop:

* erf(z) = z·P(z²)/Q(z²) for |z| < 4 and ±1 beyond (erf(±4) = ±1 in float32), the
  rational approximation Eigen and XLA use for float32: largest error 6.5e-8, below
  float32's resolution of erf;
* e^y for y ≤ 0 (φ's exponential): y clamped to −40, e^(y/64) by its degree-7 Taylor
  polynomial, squared six times: largest error 4e-14.

``error_model="numpy"`` matters: Python's error model tests every division for zero, and
that branch alone kept LLVM from vectorising the loop (1.3 ms instead of 0.3 ms for the
forward). NaN propagates (the range tests are comparisons, and ``fastmath`` allows only
contraction and reciprocals, not "no NaNs"). float64 inputs keep the exact, per-element
``math.erf``: the oracle tests compare them with PyTorch to 1e-10.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_FAST = {"contract", "arcp"}
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@njit(fastmath=_FAST, error_model="numpy", inline="always", cache=True)
def _erf(x):  # pragma: no cover - compiled
    outside = abs(x) >= 4.0
    z = 0.0 if outside else x  # (NaN stays NaN: the comparison is false)
    z2 = z * z
    p = z2 * -2.72614225801306e-10 + 2.77068142495902e-08
    p = z2 * p - 2.10102402082508e-06
    p = z2 * p - 5.69250639462346e-05
    p = z2 * p - 7.34990630326855e-04
    p = z2 * p - 2.95459980854025e-03
    p = z2 * p - 1.60960333262415e-02
    q = z2 * -1.45660718464996e-05 - 2.13374055278905e-04
    q = z2 * q - 1.68282697438203e-03
    q = z2 * q - 7.37332916720468e-03
    q = z2 * q - 1.42647390514189e-02
    return (1.0 if x > 0.0 else -1.0) if outside else z * p / q


@njit(fastmath=_FAST, error_model="numpy", inline="always", cache=True)
def _exp_nonpositive(y):  # pragma: no cover - compiled
    y = (-40.0 if y < -40.0 else y) * (1.0 / 64.0)
    e = 1.0 + y * (1.0 + y * (1.0 / 2 + y * (1.0 / 6 + y * (1.0 / 24 + y * (
        1.0 / 120 + y * (1.0 / 720 + y * (1.0 / 5040)))))))
    e = e * e
    e = e * e
    e = e * e
    e = e * e
    e = e * e
    return e * e


@njit(fastmath=_FAST, error_model="numpy", cache=True)
def _forward(x, out):  # pragma: no cover - compiled
    for i in range(x.size):
        v = np.float64(x[i])
        out[i] = 0.5 * v * (1.0 + _erf(v * _INV_SQRT2))


@njit(fastmath=_FAST, error_model="numpy", cache=True)
def _backward(grad, x, out):  # pragma: no cover - compiled
    for i in range(x.size):
        v = np.float64(x[i])
        cdf = 0.5 * (1.0 + _erf(v * _INV_SQRT2))
        out[i] = grad[i] * (cdf + v * _INV_SQRT_2PI * _exp_nonpositive(-0.5 * v * v))


def gelu_float32(x: np.ndarray) -> np.ndarray:
    """GELU(x) for a float32 array of any shape (exact erf form, to float32 precision)."""
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty_like(flat)
    _forward(flat, out)
    return out.reshape(x.shape)


def gelu_backward_float32(grad: np.ndarray, x: np.ndarray) -> np.ndarray:
    """grad · GELU'(x) for float32 arrays of one shape."""
    flat_x = np.ascontiguousarray(x).reshape(-1)
    flat_g = np.ascontiguousarray(grad, dtype=np.float32).reshape(-1)
    out = np.empty_like(flat_x)
    _backward(flat_g, flat_x, out)
    return out.reshape(x.shape)
