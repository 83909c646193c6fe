"""nn.init: PyTorch's gain table, fan rules, the bounds/std of each scheme, in-place fills."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minidl
from minidl import nn
from minidl.kernels.cpu.init import fan_in_and_fan_out


@pytest.mark.parametrize("name,param,expected", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0),
    ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)), ("selu", None, 0.75),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))), ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
    ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),
])
def test_calculate_gain_table(name, param, expected):
    assert nn.init.calculate_gain(name, param) == pytest.approx(expected)


def test_fans_follow_pytorch_rule():
    assert fan_in_and_fan_out((20, 50)) == (50, 20)
    assert fan_in_and_fan_out((16, 3, 5, 5)) == (75, 400)
    with pytest.raises(minidl.ShapeError, match=r"at least 2 dims, got \(5,\)"):
        fan_in_and_fan_out((5,))


def big(*shape):
    return nn.Parameter(minidl.zeros(*shape))


def test_uniform_schemes_bounds():
    minidl.manual_seed(0)
    w = nn.init.xavier_uniform_(big(300, 200), gain=2.0)
    bound = 2.0 * math.sqrt(6 / 500)
    values = w.detach().numpy()
    assert values.max() <= bound and values.min() >= -bound and values.max() > 0.99 * bound
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    w = nn.init.kaiming_uniform_(big(100, 40, 3, 3), nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 360)
    values = w.detach().numpy()
    assert values.max() <= bound and values.max() > 0.99 * bound
    w = nn.init.kaiming_uniform_(big(400, 50), a=0.0, mode="fan_out", nonlinearity="relu")
    assert w.detach().numpy().std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)


def test_normal_schemes_std():
    minidl.manual_seed(1)
    w = nn.init.xavier_normal_(big(300, 200))
    assert w.detach().numpy().std() == pytest.approx(math.sqrt(2 / 500), rel=0.02)
    assert abs(w.detach().numpy().mean()) < 0.002
    w = nn.init.kaiming_normal_(big(300, 200), mode="fan_in", nonlinearity="tanh")
    assert w.detach().numpy().std() == pytest.approx((5 / 3) / math.sqrt(200), rel=0.02)
    w = nn.init.normal_(big(300, 200), mean=3.0, std=0.5)
    assert w.detach().numpy().mean() == pytest.approx(3.0, abs=0.01)
    assert w.detach().numpy().std() == pytest.approx(0.5, rel=0.02)
    w = nn.init.uniform_(big(1000), -2.0, -1.0)
    assert w.detach().numpy().min() >= -2.0 and w.detach().numpy().max() <= -1.0


def test_fills_in_place_keep_object_and_dtype():
    p = nn.Parameter(minidl.zeros(3, 4, dtype=minidl.float64))
    assert nn.init.constant_(p, 0.25) is p
    np.testing.assert_array_equal(p.detach().numpy(), np.full((3, 4), 0.25))
    nn.init.ones_(p)
    assert p.dtype == np.float64 and np.all(p.detach().numpy() == 1)
    nn.init.zeros_(p)
    assert np.all(p.detach().numpy() == 0) and p.requires_grad
    nn.init.kaiming_normal_(p)
    assert p.dtype == np.float64 and p.is_leaf


def test_seeded_and_errors():
    minidl.manual_seed(5)
    a = nn.init.xavier_uniform_(big(4, 4)).detach().numpy().copy()
    minidl.manual_seed(5)
    np.testing.assert_array_equal(nn.init.xavier_uniform_(big(4, 4)).detach().numpy(), a)
    with pytest.raises(ValueError, match="calculate_gain: unknown nonlinearity 'swish'"):
        nn.init.calculate_gain("swish")
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan'"):
        nn.init.kaiming_uniform_(big(3, 3), mode="fan")
    with pytest.raises(minidl.ShapeError, match="at least 2 dims"):
        nn.init.xavier_normal_(big(3))
    with pytest.raises(TypeError, match=r"init.zeros_: expected a Tensor, got ndarray"):
        nn.init.zeros_(np.zeros(3))
    empty = big(0, 3)
    assert nn.init.kaiming_uniform_(empty) is empty  # nothing to fill, like PyTorch
