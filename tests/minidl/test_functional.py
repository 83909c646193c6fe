"""minidl.functional: gradients (float64 central differences), hand-computed values, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
import minidl.functional as F
from minidl.kernels.cpu import dropout as KD
from minidl.kernels.cpu import loss as KL


def t64(shape, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return minidl.tensor(rng.normal(size=shape) * scale, dtype=minidl.float64, requires_grad=True)


# -- gradients ---------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    F.relu, F.sigmoid, F.tanh,
    lambda x: F.leaky_relu(x, 0.2),
    lambda x: F.gelu(x),
    lambda x: F.gelu(x, approximate="tanh"),
    lambda x: F.softmax(x, 0), lambda x: F.softmax(x, -1),
    lambda x: F.log_softmax(x, 1), lambda x: F.log_softmax(x, 0),
], ids=["relu", "sigmoid", "tanh", "leaky_relu", "gelu", "gelu_tanh", "softmax0", "softmax-1",
        "log_softmax1", "log_softmax0"])
def test_activation_gradients(fn):
    x = t64((3, 4), seed=1)
    x.data[np.abs(x.data) < 1e-3] = 0.5  # keep away from the kinks of relu/leaky_relu
    assert minidl.gradcheck(fn, x)


def test_softmax_gradient_on_3d_middle_dim():
    assert minidl.gradcheck(lambda x: F.softmax(x, 1), t64((2, 3, 2), seed=2))


@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradients(bias):
    x, w = t64((2, 3, 4), seed=3), t64((5, 4), seed=4)
    args = (x, w, t64((5,), seed=5)) if bias else (x, w)
    assert minidl.gradcheck(F.linear, *args)


def test_dropout_gradient_with_fixed_mask():
    def fn(x):
        minidl.manual_seed(7)  # the same mask at every evaluation
        return F.dropout(x, 0.4)

    assert minidl.gradcheck(fn, t64((4, 5), seed=6))


# -- values ------------------------------------------------------------------------------

def test_linear_values_by_hand():
    x = minidl.tensor([[1.0, 2.0]])
    w = minidl.tensor([[1.0, 0.0], [0.5, -1.0], [2.0, 3.0]])
    b = minidl.tensor([0.0, 1.0, -1.0])
    np.testing.assert_allclose(F.linear(x, w, b).numpy(), [[1.0, -0.5, 7.0]])
    np.testing.assert_allclose(F.linear(x, w).numpy(), [[1.0, -1.5, 8.0]])


def test_softmax_values_and_stability():
    x = minidl.tensor([[1000.0, 1001.0], [0.0, 0.0]])  # e^1000 would overflow
    e = math.e
    expected = [[1 / (1 + e), e / (1 + e)], [0.5, 0.5]]
    np.testing.assert_allclose(F.softmax(x, 1).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(F.log_softmax(x, 1).numpy(), np.log(expected), rtol=1e-6)
    assert F.softmax(x, 1).dtype == minidl.float32


def test_gelu_values_by_hand():
    x = minidl.tensor([-1.0, 0.0, 2.0], dtype=minidl.float64)
    phi = np.array([0.15865525393145707, 0.5, 0.9772498680518208])  # Φ(x) from tables
    np.testing.assert_allclose(F.gelu(x).numpy(), x.numpy() * phi, rtol=1e-12)


def test_leaky_relu_values():
    x = minidl.tensor([-2.0, 3.0])
    np.testing.assert_allclose(F.leaky_relu(x).numpy(), [-0.02, 3.0], rtol=1e-6)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.data())
def test_softmax_rows_sum_to_one_any_shape(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(len(shape))
    base = rng.normal(size=[2 * s for s in shape]) * 10
    x = minidl.from_numpy(base[tuple(slice(None, None, 2) for _ in shape)])  # non-contiguous
    out = F.softmax(x, dim).numpy()
    np.testing.assert_allclose(out.sum(axis=dim), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(F.log_softmax(x, dim).numpy()), out, rtol=1e-10)


# -- dropout -------------------------------------------------------------------------------

def test_dropout_mask_values_and_rate():
    rng = np.random.default_rng(0)
    x = np.ones((200, 50), dtype=np.float32)
    out, mask = KD.dropout_forward(x, 0.25, rng)
    assert set(np.unique(mask)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((mask == 0).mean() - 0.25) < 0.02
    np.testing.assert_array_equal(out, x * mask)
    assert out.dtype == np.float32 and x.sum() == 200 * 50  # input untouched


def test_dropout_edge_rates_and_eval():
    x = minidl.randn(3, 4)
    assert F.dropout(x, 0.5, training=False) is x
    np.testing.assert_array_equal(F.dropout(x, 0.0).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((3, 4)))
    out, mask = KD.dropout_forward(x.numpy(), 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(mask, np.ones((3, 4)))


def test_dropout_is_seeded_by_manual_seed():
    x = minidl.ones(10, 10)
    minidl.manual_seed(3)
    a = F.dropout(x, 0.5).numpy()
    minidl.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), a)


# -- kernels keep their inputs ----------------------------------------------------------------

def test_loss_kernels_do_not_mutate_inputs():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 3))
    target = np.array([0, 2, 1, 1])
    saved = logits.copy()
    KL.cross_entropy_backward(np.ones(4), logits, target, 0.1)
    KL.softmax_backward(np.ones((4, 3)), KL.softmax_forward(logits, 1), 1)
    np.testing.assert_array_equal(logits, saved)


# -- errors ----------------------------------------------------------------------------------

def test_errors_name_the_function():
    x = minidl.randn(2, 3)
    with pytest.raises(minidl.DTypeError, match="relu: expected a floating-point input"):
        F.relu(minidl.tensor([1, 2]))
    with pytest.raises(TypeError, match="sigmoid: expected input to be a Tensor, got ndarray"):
        F.sigmoid(np.zeros(3))
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'x'"):
        F.gelu(x, approximate="x")
    with pytest.raises(minidl.ShapeError, match="softmax: dim 2 is out of range"):
        F.softmax(x, 2)
    with pytest.raises(ValueError, match=r"dropout: p must be a number in \[0, 1\], got 1.5"):
        F.dropout(x, 1.5)


def test_linear_errors():
    x = minidl.randn(32, 28, 28)
    w = minidl.randn(128, 784)
    msg = r"expected input \(\.\.\., 784\), got \(32, 28, 28\)"
    with pytest.raises(minidl.ShapeError, match=msg):
        F.linear(x, w)
    with pytest.raises(minidl.ShapeError, match=r"expected bias \(128,\) .* got \(10,\)"):
        F.linear(minidl.randn(2, 784), w, minidl.randn(10))
    with pytest.raises(minidl.DTypeError, match="linear: input, weight and bias must share"):
        F.linear(minidl.randn(2, 784, dtype=minidl.float64), w)
    with pytest.raises(minidl.ShapeError, match=r"expected weight \(out, in\), got \(784,\)"):
        F.linear(x, minidl.randn(784))
