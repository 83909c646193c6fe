"""Pooling: hand-computed values, central-difference gradients, layers, errors."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl.errors import ShapeError
from minidl.functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from minidl.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

X = minidl.tensor(np.arange(16.0).reshape(1, 1, 4, 4), dtype=minidl.float32)


def leaf(shape, seed=0):
    data = np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) * 0.1
    return minidl.tensor(data, dtype=minidl.float64, requires_grad=True)  # distinct: no ties


def test_max_pool_values_and_gradient_routing():
    x = minidl.tensor(X.detach().numpy(), requires_grad=True)
    out = max_pool2d(x, 2)
    np.testing.assert_array_equal(out.detach().numpy()[0, 0], [[5, 7], [13, 15]])
    out.sum().backward()
    expected = np.zeros((4, 4))
    expected[1, 1] = expected[1, 3] = expected[3, 1] = expected[3, 3] = 1
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)


def test_max_pool_padding_never_wins():
    out = max_pool2d(-X - 1, 3, stride=2, padding=1)  # all inputs negative, padding would be 0
    # windows: rows/cols {0, 1} then {1, 2, 3}; the max of −X − 1 is at the smallest X
    np.testing.assert_array_equal(out.detach().numpy()[0, 0], [[-1, -2], [-5, -6]])


def first_nan_or_max(plane, kernel, stride, padding):
    """Brute force: per window, the first NaN in row-major order, else the first maximum."""
    h, w = plane.shape
    size = [(n + 2 * padding - kernel) // stride + 1 for n in (h, w)]
    out, where = np.empty(size), np.empty(size, int)
    for oh in range(size[0]):
        for ow in range(size[1]):
            cells = [(i, j) for i in range(oh * stride - padding, oh * stride - padding + kernel)
                     for j in range(ow * stride - padding, ow * stride - padding + kernel)
                     if 0 <= i < h and 0 <= j < w]
            nans = [c for c in cells if np.isnan(plane[c])]
            best = nans[0] if nans else max(cells, key=lambda c: (plane[c], -cells.index(c)))
            out[oh, ow], where[oh, ow] = plane[best], best[0] * w + best[1]
    return out, where


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 1, 1), (3, 2, 1)])
def test_max_pool_nan_wins_and_the_first_nan_gets_the_gradient(kernel, stride, padding):
    plane = np.random.default_rng(7).standard_normal((6, 6))
    plane[0, 1] = plane[1, 0] = plane[2, 3] = plane[3, 3] = np.nan
    x = minidl.tensor(plane[None, None].copy(), requires_grad=True)
    out = max_pool2d(x, kernel, stride=stride, padding=padding)
    expected, where = first_nan_or_max(plane, kernel, stride, padding)
    # NaN == NaN for this assert
    np.testing.assert_array_equal(out.detach().numpy()[0, 0], expected)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0].ravel(),
                                  np.bincount(where.ravel(), minlength=36))


def test_max_pool_random_data_matches_a_numpy_maximum():
    x = np.random.default_rng(3).standard_normal((3, 4, 9, 8)).astype(np.float32)
    out = max_pool2d(minidl.tensor(x), 2)  # odd height: the last row is dropped
    expected = x[:, :, :8, :8].reshape(3, 4, 4, 2, 4, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(out.detach().numpy(), expected)


def test_avg_pool_counts_padding():
    out = avg_pool2d(X, 2, stride=2, padding=1)
    np.testing.assert_allclose(out.detach().numpy()[0, 0, 0], [0 / 4, (1 + 2) / 4, 3 / 4])
    np.testing.assert_allclose(avg_pool2d(X, 2).detach().numpy()[0, 0], [[2.5, 4.5], [10.5, 12.5]])


def test_adaptive_avg_pool_values():
    np.testing.assert_allclose(adaptive_avg_pool2d(X, 1).detach().numpy().reshape(-1), [7.5])
    out = adaptive_avg_pool2d(X, (2, 1)).detach().numpy()
    np.testing.assert_allclose(out.reshape(-1), [3.5, 11.5])
    # 4 → 3 bins: [0, 2), [1, 3), [2, 4) overlap
    row = adaptive_avg_pool2d(X, (1, 3)).detach().numpy().reshape(-1)
    bins = ((0, 2), (1, 3), (2, 4))
    np.testing.assert_allclose(row, [np.mean(X.detach().numpy()[0, 0, :, a:b]) for a, b in bins])
    assert adaptive_avg_pool2d(X, (None, 2)).shape == (1, 1, 4, 2)


@pytest.mark.parametrize(
    "kernel,stride,padding", [(2, None, 0), (3, 2, 1), ((2, 3), (1, 2), (1, 0)), (3, 1, 1)]
)
def test_window_pools_gradcheck(kernel, stride, padding):
    x = leaf((2, 2, 5, 6))
    assert minidl.gradcheck(lambda x: max_pool2d(x, kernel, stride, padding), x)
    assert minidl.gradcheck(lambda x: avg_pool2d(x, kernel, stride, padding), x)


@pytest.mark.parametrize("size", [1, (2, 3), (3, 4), (5, 6)])
def test_adaptive_gradcheck(size):
    assert minidl.gradcheck(lambda x: adaptive_avg_pool2d(x, size), leaf((1, 2, 5, 6)))


def test_gradcheck_non_contiguous_batch_one():
    x = leaf((1, 2, 6, 5), seed=1)
    assert minidl.gradcheck(lambda x: max_pool2d(x.transpose(2, 3), 2, 1), x)
    assert minidl.gradcheck(lambda x: avg_pool2d(x.transpose(2, 3), 3, 2, 1), x)


def test_layers_and_reprs():
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(AvgPool2d(3, 1, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert repr(AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    assert MaxPool2d(2)(minidl.zeros(2, 3, 28, 28)).shape == (2, 3, 14, 14)
    assert AvgPool2d(3, 1, 1)(minidl.zeros(2, 3, 7, 7)).shape == (2, 3, 7, 7)
    assert AdaptiveAvgPool2d(1)(minidl.zeros(2, 3, 7, 5)).shape == (2, 3, 1, 1)


def test_errors():
    with pytest.raises(ShapeError, match=r"max_pool2d: expected input \(N, C, H, W\), got \(4, 4"):
        max_pool2d(minidl.zeros(4, 4), 2)
    with pytest.raises(ShapeError, match="output would be empty"):
        avg_pool2d(minidl.zeros(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match="at most half"):
        max_pool2d(minidl.zeros(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match="kernel_size"):
        MaxPool2d(0)
    with pytest.raises(ValueError, match="output_size"):
        adaptive_avg_pool2d(minidl.zeros(1, 1, 4, 4), 0)
