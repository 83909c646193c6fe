"""The float32 GELU kernel (minidl/kernels/cpu/gelu.py, polynomial erf and exp) against the
exact float64 formula with libm's erf: forward and backward to float32 precision, NaN kept,
the far tails exact (0 and x), any shape and non-contiguous input."""

from __future__ import annotations

import numpy as np

from minidl.kernels.cpu.activation import (
    _gelu_exact,
    _gelu_exact_grad,
    gelu_backward,
    gelu_forward,
)


def test_gelu_float32_matches_exact_formula():
    x = np.linspace(-12, 12, 100_001).astype(np.float32)
    exact = _gelu_exact(x.astype(np.float64))
    exact_grad = _gelu_exact_grad(x.astype(np.float64))
    y = gelu_forward(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, exact, rtol=2e-7, atol=2e-7)
    g = np.random.default_rng(0).standard_normal(x.shape).astype(np.float32)
    grad = gelu_backward(g, x)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, g * exact_grad, rtol=2e-7, atol=2e-7)


def test_gelu_float32_tails_nan_and_layout():
    x = np.array([-30.0, -6.0, 6.0, 30.0, np.nan], np.float32)
    y = gelu_forward(x)
    assert np.array_equal(y[:4], [0.0, 0.0, 6.0, 30.0]) and np.isnan(y[4])
    assert np.isnan(gelu_backward(np.ones_like(x), x)[4])
    x3 = np.random.default_rng(1).standard_normal((4, 6, 5)).astype(np.float32)
    strided = x3.transpose(2, 0, 1)
    np.testing.assert_allclose(gelu_forward(strided), _gelu_exact(strided.astype(np.float64)),
                               atol=2e-7)
    assert gelu_forward(strided).shape == (5, 4, 6)
