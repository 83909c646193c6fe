"""nn layers: Linear/LazyLinear, activations, Flatten/Unflatten, Dropout, loss modules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import nn


def t64(shape, seed=0):
    rng = np.random.default_rng(seed)
    return minidl.tensor(rng.normal(size=shape), dtype=minidl.float64, requires_grad=True)


def test_linear_shapes_init_and_values():
    minidl.manual_seed(0)
    layer = nn.Linear(50, 20)
    assert layer.weight.shape == (20, 50) and layer.bias.shape == (20,)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad
    bound = 1 / math.sqrt(50)
    assert np.abs(layer.weight.detach().numpy()).max() <= bound
    assert np.abs(layer.weight.detach().numpy()).max() > 0.9 * bound  # fills the whole range
    assert np.abs(layer.bias.detach().numpy()).max() <= bound
    x = np.random.default_rng(1).normal(size=(3, 50)).astype(np.float32)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    expected = np.einsum("nk,jk->nj", x, w) + b
    np.testing.assert_allclose(layer(minidl.tensor(x)).detach().numpy(), expected, rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_layer_gradcheck(bias):
    layer = nn.Linear(4, 3, bias=bias, dtype=minidl.float64)
    params = list(layer.parameters())

    def fn(x, *ps):
        return layer(x)

    assert minidl.gradcheck(fn, t64((2, 5, 4)), *params)


def test_mlp_gradcheck_through_layers():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3), nn.LogSoftmax(dim=1))
    model.double()
    params = list(model.parameters())
    assert all(p.dtype == np.float64 for p in params)
    target = minidl.tensor([0, 2])
    loss = nn.NLLLoss()
    assert minidl.gradcheck(lambda x, *ps: loss(model(x), target), t64((2, 3)), *params)


def test_linear_input_errors():
    layer = nn.Linear(784, 128)
    with pytest.raises(minidl.ShapeError) as info:
        layer(minidl.randn(32, 28, 28))
    assert str(info.value) == "Linear(784→128): expected input (..., 784), got (32, 28, 28)"
    with pytest.raises(minidl.DTypeError, match=r"Linear\(784→128\): expected a floating-point"):
        layer(minidl.zeros(2, 784, dtype=minidl.int64))
    with pytest.raises(ValueError, match="Linear: in_features must be an int >= 0, got -1"):
        nn.Linear(-1, 3)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4))
def test_linear_on_non_contiguous_batches(n, k, m):
    layer = nn.Linear(k, m)
    base = np.random.default_rng(n).normal(size=(k, n)).astype(np.float32)
    x = minidl.from_numpy(base.T)  # (n, k), a transposed view
    out = layer(x).detach().numpy()
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    np.testing.assert_allclose(out, base.T @ w.T + b, rtol=1e-5, atol=1e-6)


def test_lazy_linear_materialises_on_first_call():
    layer = nn.LazyLinear(4)
    weight = layer.weight
    assert "in_features=0" in repr(layer)
    out = layer(minidl.randn(2, 7))
    assert out.shape == (2, 4) and type(layer) is nn.Linear
    assert layer.weight is weight and weight.shape == (4, 7)
    assert np.abs(weight.detach().numpy()).max() <= 1 / math.sqrt(7)
    assert repr(layer) == "Linear(in_features=7, out_features=4, bias=True)"
    with pytest.raises(minidl.ShapeError, match=r"Linear\(7→4\): expected input \(\.\.\., 7\)"):
        layer(minidl.randn(2, 5))


def test_identity_and_activation_modules():
    x = minidl.tensor([-2.0, 0.5])
    assert nn.Identity(3, foo=1)(x) is x
    np.testing.assert_allclose(nn.ReLU()(x).numpy(), [0.0, 0.5])
    np.testing.assert_allclose(nn.LeakyReLU(0.5)(x).numpy(), [-1.0, 0.5])
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp([2.0, -0.5])),
                               rtol=1e-6)
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh([-2.0, 0.5]), rtol=1e-6)
    np.testing.assert_allclose(nn.Softmax(dim=0)(minidl.zeros(4)).numpy(), [0.25] * 4)
    np.testing.assert_allclose(nn.LogSoftmax(dim=0)(minidl.zeros(2)).numpy(), [-math.log(2)] * 2,
                               rtol=1e-6)
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    with pytest.raises(ValueError, match="GELU: approximate must be"):
        nn.GELU("fast")


def test_flatten_and_unflatten():
    x = minidl.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    assert nn.Unflatten(1, (1, 28, 28))(minidl.randn(4, 784)).shape == (4, 1, 28, 28)
    assert nn.Unflatten(-1, (-1, 4))(minidl.randn(2, 8)).shape == (2, 2, 4)
    with pytest.raises(minidl.ShapeError, match=r"Flatten\(start_dim=1, end_dim=-1\): dim 1"):
        nn.Flatten()(minidl.randn(5))
    with pytest.raises(minidl.ShapeError, match=r"has size 10, which does not split into \(3, 3\)"):
        nn.Unflatten(1, (3, 3))(minidl.randn(2, 10))
    with pytest.raises(ValueError, match="at most one -1"):
        nn.Unflatten(1, (-1, -1))


def test_dropout_module_validation_and_repr():
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2)"
    with pytest.raises(ValueError, match=r"Dropout: p must be a number in \[0, 1\], got -0.1"):
        nn.Dropout(-0.1)


def test_loss_modules_match_functional_values():
    x = minidl.tensor([[0.0, 0.0], [0.0, math.log(3.0)]])
    t = minidl.tensor([0, 1])
    assert nn.CrossEntropyLoss()(x, t).item() == pytest.approx((math.log(2) + math.log(4 / 3)) / 2,
                                                              rel=1e-6)
    assert nn.CrossEntropyLoss(ignore_index=0)(x, t).item() == pytest.approx(math.log(4 / 3),
                                                                           rel=1e-6)
    assert nn.CrossEntropyLoss(reduction="sum")(x, t).item() == pytest.approx(
        math.log(2) + math.log(4 / 3), rel=1e-6)
    assert nn.NLLLoss()(x, t).item() == pytest.approx(-math.log(3) / 2, rel=1e-6)
    assert nn.MSELoss()(minidl.ones(3), minidl.zeros(3)).item() == 1.0
    assert nn.BCELoss()(minidl.full((2,), 0.5), minidl.ones(2)).item() == pytest.approx(
        math.log(2), rel=1e-6)
    crit = nn.BCEWithLogitsLoss(pos_weight=minidl.tensor([2.0]))
    assert crit(minidl.zeros(2, 1), minidl.ones(2, 1)).item() == pytest.approx(2 * math.log(2),
                                                                              rel=1e-6)
    weighted = nn.BCELoss(weight=minidl.tensor([1.0, 0.0]))
    assert weighted(minidl.full((2,), 0.5), minidl.ones(2)).item() == pytest.approx(
        math.log(2) / 2, rel=1e-6)
    assert "weight" in dict(weighted.named_buffers())
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction must be one of"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="CrossEntropyLoss: label_smoothing must be"):
        nn.CrossEntropyLoss(label_smoothing=2.0)
