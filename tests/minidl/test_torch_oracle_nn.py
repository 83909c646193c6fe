"""functional, losses, layers and init agree with PyTorch (forward and gradients)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
import minidl.functional as F
from minidl import nn
from minidl.kernels.cpu.init import fan_in_and_fan_out

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def both(array):
    """The same float64 data as a minidl and a torch leaf tensor."""
    return (minidl.tensor(array, dtype=minidl.float64, requires_grad=True),
            torch.tensor(array, dtype=torch.float64, requires_grad=True))


def check(ours_fn, theirs_fn, *arrays, rtol=1e-10, atol=1e-12):
    """Compare forward values and the gradient of Σ v ⊙ out w.r.t. every input."""
    pairs = [both(a) for a in arrays]
    ours = ours_fn(*(p[0] for p in pairs))
    theirs = theirs_fn(*(p[1] for p in pairs))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol,
                               atol=atol)
    v = np.random.default_rng(99).normal(size=theirs.shape)
    (ours * minidl.tensor(v, dtype=minidl.float64)).sum().backward()
    (theirs * torch.tensor(v)).sum().backward()
    for mine, ref in pairs:
        np.testing.assert_allclose(mine.grad.numpy(), ref.grad.numpy(), rtol=rtol, atol=atol)


RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, 5)) * 3


@pytest.mark.parametrize("name,ours,theirs", [
    ("relu", F.relu, TF.relu),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1), lambda x: TF.leaky_relu(x, 0.1)),
    ("sigmoid", F.sigmoid, torch.sigmoid),
    ("tanh", F.tanh, torch.tanh),
    ("gelu", F.gelu, TF.gelu),
    ("gelu_tanh", lambda x: F.gelu(x, "tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    ("softmax", lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1)),
    ("softmax0", lambda x: F.softmax(x, 0), lambda x: TF.softmax(x, 0)),
    ("log_softmax", lambda x: F.log_softmax(x, -1), lambda x: TF.log_softmax(x, -1)),
])
def test_activations(name, ours, theirs):
    check(ours, theirs, X)


@pytest.mark.parametrize("bias", [True, False])
def test_functional_linear(bias):
    arrays = [RNG.normal(size=(2, 3, 4)), RNG.normal(size=(5, 4))] + (
        [RNG.normal(size=5)] if bias else [])
    check(F.linear, TF.linear, *arrays)


LABELS = np.array([0, 4, 2, 2])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("eps", [0.0, 0.3])
@pytest.mark.parametrize("ignore", [-100, 2])
def test_cross_entropy(reduction, eps, ignore):
    t_ours, t_theirs = minidl.tensor(LABELS), torch.tensor(LABELS)
    check(lambda x: F.cross_entropy(x, t_ours, reduction=reduction, label_smoothing=eps,
                                    ignore_index=ignore),
          lambda x: TF.cross_entropy(x, t_theirs, reduction=reduction, label_smoothing=eps,
                                     ignore_index=ignore), X)


def test_cross_entropy_spatial():
    target = RNG.integers(0, 3, size=(2, 4, 5))
    t_ours, t_theirs = minidl.tensor(target), torch.tensor(target)
    check(lambda x: F.cross_entropy(x, t_ours, label_smoothing=0.1),
          lambda x: TF.cross_entropy(x, t_theirs, label_smoothing=0.1),
          RNG.normal(size=(2, 3, 4, 5)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss(reduction):
    t_ours, t_theirs = minidl.tensor(LABELS), torch.tensor(LABELS)
    check(lambda x: F.nll_loss(F.log_softmax(x, 1), t_ours, reduction=reduction,
                               ignore_index=4),
          lambda x: TF.nll_loss(TF.log_softmax(x, 1), t_theirs, reduction=reduction,
                                ignore_index=4), X)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_and_bce(reduction):
    y = RNG.uniform(size=(4, 5))
    w = RNG.uniform(0.5, 2.0, size=5)
    check(lambda x, t: F.mse_loss(x, t, reduction=reduction),
          lambda x, t: TF.mse_loss(x, t, reduction=reduction), X, y)
    check(lambda x: F.binary_cross_entropy(F.sigmoid(x), y, minidl.tensor(w),
                                           reduction=reduction),
          lambda x: TF.binary_cross_entropy(torch.sigmoid(x), torch.tensor(y), torch.tensor(w),
                                            reduction=reduction), X)
    pw = RNG.uniform(0.5, 3.0, size=5)
    check(lambda x: F.binary_cross_entropy_with_logits(
              x, y, minidl.tensor(w), reduction=reduction, pos_weight=minidl.tensor(pw)),
          lambda x: TF.binary_cross_entropy_with_logits(
              x, torch.tensor(y), torch.tensor(w), reduction=reduction,
              pos_weight=torch.tensor(pw)), X)


def test_bce_saturated_probabilities_match_pytorch():
    p = np.array([0.0, 1.0, 1e-30, 0.3])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    check(lambda a: F.binary_cross_entropy(a, y, reduction="none"),
          lambda a: TF.binary_cross_entropy(a, torch.tensor(y), reduction="none"), p,
          rtol=1e-8)  # gradients ~1e11 at the clamp: rounding differs in the last digits


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 4), st.integers(1, 5), st.floats(0.0, 0.5))
def test_cross_entropy_any_batch(n, c, eps):
    rng = np.random.default_rng(n * 7 + c)
    x = rng.normal(size=(n, c))
    t = rng.integers(0, c, size=n)
    check(lambda a: F.cross_entropy(a, minidl.tensor(t), label_smoothing=eps),
          lambda a: TF.cross_entropy(a, torch.tensor(t), label_smoothing=eps), x)


def copy_to_torch(ours: nn.Module, theirs: torch.nn.Module) -> None:
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})


def test_mlp_with_copied_weights_matches_pytorch():
    ours = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.GELU(), nn.Linear(8, 5),
                         nn.LeakyReLU(0.1), nn.Linear(5, 3)).double()
    theirs = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 8), torch.nn.GELU(),
                                 torch.nn.Linear(8, 5), torch.nn.LeakyReLU(0.1),
                                 torch.nn.Linear(5, 3)).double()
    copy_to_torch(ours, theirs)
    x = RNG.normal(size=(6, 3, 4))
    t = RNG.integers(0, 3, size=6)
    loss_ours = nn.CrossEntropyLoss(label_smoothing=0.1)(ours(minidl.tensor(x)), minidl.tensor(t))
    loss_theirs = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(theirs(torch.tensor(x)),
                                                                 torch.tensor(t))
    assert loss_ours.item() == pytest.approx(loss_theirs.item(), rel=1e-12)
    loss_ours.backward()
    loss_theirs.backward()
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads[name].grad.numpy(), rtol=1e-10,
                                   atol=1e-12)


def test_state_dict_keys_match_pytorch():
    ours = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1, bias=False)))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                                 torch.nn.Sequential(torch.nn.Linear(3, 1, bias=False)))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]


@pytest.mark.parametrize("name,param", [("tanh", None), ("relu", None), ("leaky_relu", None),
                                        ("leaky_relu", 0.3), ("selu", None), ("conv2d", None)])
def test_calculate_gain_matches_pytorch(name, param):
    assert nn.init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param))


@pytest.mark.parametrize("shape", [(7, 3), (16, 3, 5, 5), (4, 2, 3)])
def test_fans_match_pytorch(shape):
    ref = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert fan_in_and_fan_out(shape) == tuple(ref)


@pytest.mark.parametrize("scheme,kwargs", [
    ("xavier_uniform_", {"gain": 1.5}), ("xavier_normal_", {}),
    ("kaiming_uniform_", {"a": math.sqrt(5)}), ("kaiming_normal_", {"mode": "fan_out"}),
    ("kaiming_uniform_", {"nonlinearity": "relu", "mode": "fan_out"}),
])
def test_init_spread_matches_pytorch(scheme, kwargs):
    shape = (250, 120)
    minidl.manual_seed(0)
    torch.manual_seed(0)
    ours = getattr(nn.init, scheme)(nn.Parameter(minidl.zeros(*shape)), **kwargs)
    theirs = getattr(torch.nn.init, scheme)(torch.empty(shape), **kwargs)
    a, b = ours.detach().numpy(), theirs.numpy()
    assert a.std() == pytest.approx(b.std(), rel=0.03)
    if "uniform" in scheme:  # the same bound: both fill up to nearly the same max
        assert np.abs(a).max() == pytest.approx(np.abs(b).max(), rel=0.01)


def test_linear_default_init_range_matches_pytorch():
    minidl.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = nn.Linear(64, 300), torch.nn.Linear(64, 300)
    for name in ("weight", "bias"):
        a = getattr(ours, name).detach().numpy()
        b = getattr(theirs, name).detach().numpy()
        assert np.abs(a).max() <= 1 / 8 and np.abs(b).max() <= 1 / 8
        assert a.std() == pytest.approx(b.std(), rel=0.1)
