"""Loss functions: gradients, hand-computed values, ignore_index/label smoothing, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
import minidl.functional as F


def t64(shape, seed=0):
    rng = np.random.default_rng(seed)
    return minidl.tensor(rng.normal(size=shape), dtype=minidl.float64, requires_grad=True)


def labels(n, c, seed=0):
    return minidl.tensor(np.random.default_rng(seed).integers(0, c, size=n))


# -- gradients ---------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("eps", [0.0, 0.2])
def test_cross_entropy_gradients(reduction, eps):
    t = labels(5, 4, seed=1)
    assert minidl.gradcheck(
        lambda x: F.cross_entropy(x, t, reduction=reduction, label_smoothing=eps), t64((5, 4))
    )


def test_cross_entropy_gradient_with_ignore_index_and_smoothing():
    t = minidl.tensor([0, -100, 3, 2, -100])
    assert minidl.gradcheck(lambda x: F.cross_entropy(x, t, label_smoothing=0.1), t64((5, 4)))


def test_cross_entropy_gradient_spatial_layout():
    t = minidl.tensor(np.random.default_rng(2).integers(0, 3, size=(2, 2, 2)))
    t.data[0, 1, 0] = 7  # an ignore_index other than the default
    assert minidl.gradcheck(lambda x: F.cross_entropy(x, t, ignore_index=7), t64((2, 3, 2, 2)))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_nll_loss_gradient(reduction):
    t = minidl.tensor([1, 0, -100, 2])
    assert minidl.gradcheck(lambda x: F.nll_loss(x, t, reduction=reduction), t64((4, 3)))


def test_mse_gradient_to_input_and_target():
    assert minidl.gradcheck(F.mse_loss, t64((3, 2), 1), t64((3, 2), 2))


def test_bce_gradient():
    rng = np.random.default_rng(3)
    p = minidl.tensor(rng.uniform(0.1, 0.9, (4, 3)), dtype=minidl.float64, requires_grad=True)
    y = rng.uniform(0, 1, (4, 3))
    w = rng.uniform(0.5, 2, (3,))
    assert minidl.gradcheck(lambda a: F.binary_cross_entropy(a, y, minidl.tensor(w)), p)


def test_bce_with_logits_gradient_with_weights():
    rng = np.random.default_rng(4)
    y = (rng.uniform(size=(4, 3)) > 0.5).astype(np.float64)
    pw = minidl.tensor([0.5, 2.0, 3.0], dtype=minidl.float64)

    def fn(x):
        return F.binary_cross_entropy_with_logits(x, y, reduction="sum", pos_weight=pw)

    assert minidl.gradcheck(fn, t64((4, 3)))


# -- values ------------------------------------------------------------------------------

def test_cross_entropy_of_uniform_logits_is_log_c():
    loss = F.cross_entropy(minidl.zeros(3, 10), minidl.tensor([0, 5, 9]))
    assert loss.item() == pytest.approx(math.log(10), rel=1e-6)


def test_cross_entropy_values_by_hand():
    x = minidl.tensor([[0.0, math.log(3.0)]], dtype=minidl.float64)  # p = (1/4, 3/4)
    y = minidl.tensor([0])
    assert F.cross_entropy(x, y).item() == pytest.approx(math.log(4))
    # ε = 0.5: 0.5·(−log 1/4) + 0.5·mean(−log 1/4, −log 3/4)
    expected = 0.5 * math.log(4) + 0.25 * (math.log(4) + math.log(4 / 3))
    assert F.cross_entropy(x, y, label_smoothing=0.5).item() == pytest.approx(expected)


def test_ignore_index_mean_counts_only_kept_samples():
    x = minidl.tensor([[0.0, 0.0], [5.0, -5.0], [0.0, math.log(3.0)]], dtype=minidl.float64)
    t = minidl.tensor([0, -100, 1])
    expected = (math.log(2) + math.log(4 / 3)) / 2
    assert F.cross_entropy(x, t).item() == pytest.approx(expected)
    none = F.cross_entropy(x, t, reduction="none").numpy()
    np.testing.assert_allclose(none, [math.log(2), 0.0, math.log(4 / 3)])


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_a_batch_with_every_target_ignored_gives_nan_and_no_gradient(loss):
    """As PyTorch: the mean over no kept sample is nan, and no gradient flows (not nan)."""
    x = minidl.tensor([[0.5, -1.0], [2.0, 0.0]], requires_grad=True)
    out = loss(x, minidl.tensor([-100, -100]))
    assert math.isnan(out.item())
    out.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 2), np.float32))


def test_nll_loss_picks_the_target_entry():
    logp = minidl.tensor([[-1.0, -2.0, -3.0], [-0.5, -0.25, -4.0]])
    assert F.nll_loss(logp, minidl.tensor([2, 1])).item() == pytest.approx((3 + 0.25) / 2)
    assert F.nll_loss(logp[0], minidl.tensor(1), reduction="none").item() == pytest.approx(2.0)


def test_cross_entropy_single_sample_shape():
    out = F.cross_entropy(minidl.zeros(4), minidl.tensor(2), reduction="none")
    assert out.shape == () and out.item() == pytest.approx(math.log(4))


def test_mse_values():
    x, y = minidl.tensor([1.0, 2.0, 4.0]), minidl.tensor([1.0, 0.0, 1.0])
    assert F.mse_loss(x, y).item() == pytest.approx(13 / 3)
    assert F.mse_loss(x, y, reduction="sum").item() == pytest.approx(13)
    np.testing.assert_allclose(F.mse_loss(x, y, reduction="none").numpy(), [0, 4, 9])


def test_bce_clamps_log_at_minus_100():
    p = minidl.tensor([0.0, 1.0, 0.5], requires_grad=True)
    y = minidl.tensor([1.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [100.0, 100.0, math.log(2)], rtol=1e-6)
    loss.sum().backward()
    assert np.isfinite(p.grad.numpy()).all()


def test_bce_with_logits_is_stable_for_huge_logits():
    x = minidl.tensor([1000.0, -1000.0, 0.0])
    y = minidl.tensor([0.0, 1.0, 1.0])
    out = F.binary_cross_entropy_with_logits(x, y, reduction="none").numpy()
    np.testing.assert_allclose(out, [1000.0, 1000.0, math.log(2)], rtol=1e-6)


def test_pos_weight_scales_only_the_positive_term():
    x = minidl.tensor([[0.0, 0.0]])
    y = minidl.tensor([[1.0, 0.0]])
    out = F.binary_cross_entropy_with_logits(
        x, y, reduction="none", pos_weight=minidl.tensor([3.0, 3.0])).numpy()
    np.testing.assert_allclose(out, [[3 * math.log(2), math.log(2)]], rtol=1e-6)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.floats(0.0, 1.0))
def test_cross_entropy_equals_nll_of_log_softmax(n, c, eps):
    rng = np.random.default_rng(n * 10 + c)
    base = rng.normal(size=(c, n))
    x = minidl.from_numpy(base.T)  # non-contiguous (n, c)
    t = minidl.tensor(rng.integers(0, c, size=n))
    logp = F.log_softmax(x, 1)
    expected = (1 - eps) * F.nll_loss(logp, t).item() - eps * logp.mean().item()
    assert F.cross_entropy(x, t, label_smoothing=eps).item() == pytest.approx(expected)


# -- errors ----------------------------------------------------------------------------------

def test_loss_errors():
    x = minidl.randn(4, 3)
    with pytest.raises(ValueError, match=r"cross_entropy: reduction must be one of .* got 'avg'"):
        F.cross_entropy(x, labels(4, 3), reduction="avg")
    with pytest.raises(minidl.DTypeError, match="cross_entropy: expected integer class indices"):
        F.cross_entropy(x, minidl.randn(4))
    with pytest.raises(minidl.DTypeError, match="class-probability targets are not supported"):
        F.cross_entropy(x, minidl.randn(4, 3))
    with pytest.raises(minidl.ShapeError,
                       match=r"expected target \(N,\) = \(4,\) for input \(4, 3\), got \(4, 1\)"):
        F.cross_entropy(x, minidl.tensor([[0], [1], [2], [0]]))
    with pytest.raises(ValueError, match=r"must be in \[0, 3\) .* got 3 at flat position 1"):
        F.cross_entropy(x, minidl.tensor([0, 3, 1, 1]))
    with pytest.raises(ValueError, match=r"nll_loss: target class indices .* got -1"):
        F.nll_loss(x, minidl.tensor([0, -1, 1, 1]))
    with pytest.raises(ValueError, match="label_smoothing must be a number in"):
        F.cross_entropy(x, labels(4, 3), label_smoothing=1.5)
    with pytest.raises(minidl.ShapeError,
                       match=r"mse_loss: expected target of the input's shape \(4, 3\), got"):
        F.mse_loss(x, minidl.randn(4, 1))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input must hold probabilities"):
        F.binary_cross_entropy(x, minidl.ones(4, 3))
    with pytest.raises(minidl.ShapeError, match=r"expected pos_weight of shape \(C,\) with C = 3"):
        F.binary_cross_entropy_with_logits(x, minidl.ones(4, 3), pos_weight=minidl.ones(4))
    with pytest.raises(minidl.ShapeError, match=r"weight \(2,\) does not broadcast"):
        F.binary_cross_entropy_with_logits(x, minidl.ones(4, 3), minidl.ones(2))
