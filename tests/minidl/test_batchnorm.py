"""Batch norm and dropout2d: hand-computed statistics, gradients, layers, buffers, errors."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl.errors import ShapeError
from minidl.functional.normalization import batch_norm, dropout2d
from minidl.nn.batchnorm import BatchNorm1d, BatchNorm2d, Dropout2d


def leaf(rng, *shape):
    return minidl.tensor(rng.standard_normal(shape), dtype=minidl.float64, requires_grad=True)


def test_training_statistics_by_hand():
    # channel 0 holds 1, 2, 3, 4; channel 1 holds 0, 0, 0, 4
    x = minidl.tensor([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 4.0]])
    rm, rv = minidl.zeros(2), minidl.ones(2)
    out = batch_norm(x, rm, rv, training=True, momentum=0.1, eps=0.0)
    got = out.detach().numpy()
    np.testing.assert_allclose(got[:, 0], (np.arange(1, 5) - 2.5) / np.sqrt(1.25), rtol=1e-6)
    np.testing.assert_allclose(got[:, 1], [-1 / np.sqrt(3)] * 3 + [np.sqrt(3)], rtol=1e-6)
    # running: 0.9·old + 0.1·batch; the variance unbiased (·4/3)
    np.testing.assert_allclose(rm.detach().numpy(), [0.25, 0.1], rtol=1e-6)
    np.testing.assert_allclose(rv.detach().numpy(), [0.9 + 0.1 * 5 / 3, 0.9 + 0.1 * 4.0], rtol=1e-6)


def test_eval_uses_running_statistics():
    x = minidl.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = batch_norm(x, minidl.tensor([1.0, 2.0]), minidl.tensor([4.0, 1.0]),
                     minidl.tensor([2.0, 1.0]), minidl.tensor([0.0, 1.0]), eps=0.0)
    np.testing.assert_allclose(out.detach().numpy(), [[0.0, 1.0], [2.0, 3.0]])


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4), (2, 3, 3, 2), (1, 3, 2, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_gradcheck(shape, training):
    rng = np.random.default_rng(0)
    x, w, b = leaf(rng, *shape), leaf(rng, 3), leaf(rng, 3)
    rm = minidl.tensor(rng.standard_normal(3), dtype=minidl.float64)
    rv = minidl.tensor(rng.uniform(0.5, 2, 3), dtype=minidl.float64)
    # the running stats change each training call; the gradient does not depend on them
    assert minidl.gradcheck(lambda x, w, b: batch_norm(x, rm, rv, w, b, training), x, w, b)


def test_gradcheck_without_affine_non_contiguous():
    rng = np.random.default_rng(1)
    x = leaf(rng, 3, 2, 4, 2)
    assert minidl.gradcheck(lambda x: batch_norm(x.transpose(2, 3), None, None, training=True), x)


def test_layer_buffers_modes_and_state_dict():
    bn = BatchNorm2d(3)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    x = minidl.randn(4, 3, 2, 2) * 3 + 1
    bn(x)
    assert int(bn.num_batches_tracked.item()) == 1
    mean = x.detach().numpy().mean(axis=(0, 2, 3))
    np.testing.assert_allclose(bn.running_mean.detach().numpy(), 0.1 * mean, rtol=1e-5)
    bn.eval()
    before = bn.running_mean.detach().numpy().copy()
    out = bn(x)
    np.testing.assert_array_equal(bn.running_mean.detach().numpy(), before)
    expected = (x.detach().numpy() - before[None, :, None, None]) / np.sqrt(
        bn.running_var.detach().numpy()[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_no_running_stats_and_no_affine():
    bn = BatchNorm1d(2, affine=False, track_running_stats=False).eval()
    assert list(bn.state_dict()) == []
    out = bn(minidl.tensor([[1.0, 5.0], [3.0, 5.0]]))  # eval without stats: batch statistics
    np.testing.assert_allclose(out.detach().numpy()[:, 0], [-1, 1], rtol=1e-4)


def test_momentum_none_is_cumulative_average():
    bn = BatchNorm1d(1, momentum=None)
    for v in (1.0, 3.0):
        bn(minidl.tensor([[v - 1], [v + 1]]))
    np.testing.assert_allclose(bn.running_mean.detach().numpy(), [2.0])


def test_errors():
    with pytest.raises(ShapeError, match=r"BatchNorm2d\(3\): expected input \(N, 3, H, W\), "
                                         r"got \(2, 3, 4\)"):
        BatchNorm2d(3)(minidl.zeros(2, 3, 4))
    with pytest.raises(ShapeError, match=r"BatchNorm1d\(4\)"):
        BatchNorm1d(4)(minidl.zeros(2, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        BatchNorm1d(3)(minidl.zeros(1, 3))
    with pytest.raises(ValueError, match="needs running_mean"):
        batch_norm(minidl.zeros(2, 3), None, None)


def test_dropout2d_drops_whole_channels():
    minidl.manual_seed(0)
    x = minidl.ones(8, 16, 3, 3, requires_grad=True)
    out = dropout2d(x, p=0.25)
    per_channel = out.detach().numpy().reshape(8, 16, 9)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # constant per channel
    assert set(np.unique(per_channel)) == {0.0, np.float32(1 / 0.75)}
    assert 0.1 < np.mean(per_channel[:, :, 0] == 0) < 0.4
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.detach().numpy())  # d(x·m)/dx = m
    layer = Dropout2d(0.5).eval()
    assert layer(x) is x and repr(layer) == "Dropout2d(p=0.5)"


def test_parallel_and_serial_kernels_agree(monkeypatch):
    """Batch norm picks a parallel or a serial compilation by size: both give the same."""
    from minidl.kernels.cpu import batchnorm as K

    rng = np.random.default_rng(11)
    x, grad = rng.standard_normal((2, 4, 3, 5, 5))
    weight, bias = rng.standard_normal(3), rng.standard_normal(3)
    results = []
    for threshold in (0, 10**12):  # everything parallel, everything serial
        monkeypatch.setattr(K, "PARALLEL_MIN_ELEMENTS", threshold)
        y, mean, invstd = K.batch_norm_forward(x, weight, bias, None, None, True, 0.1, 1e-5)[:3]
        results.append((y, *K.batch_norm_backward(grad, x, weight, mean, invstd)))
    for parallel, serial in zip(*results, strict=True):
        np.testing.assert_array_equal(parallel, serial)
