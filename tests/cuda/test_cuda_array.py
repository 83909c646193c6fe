"""CudaArray against NumPy: broadcasting, dtypes, views, reductions, indexing."""

from __future__ import annotations

import numpy as np
import pytest

from minidl.kernels.cuda.array import CudaArray

RNG = np.random.default_rng(0)


def up(a: np.ndarray) -> CudaArray:
    return CudaArray.from_host(a)


def same(got: CudaArray, want: np.ndarray) -> None:
    assert isinstance(got, CudaArray)
    assert got.shape == want.shape
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got.get(), want, rtol=1e-6, atol=1e-6)


A = RNG.standard_normal((2, 3, 4)).astype(np.float32)
B = RNG.standard_normal((3, 1)).astype(np.float32)


@pytest.mark.parametrize("fn", [np.add, np.subtract, np.multiply, np.true_divide, np.maximum,
                                np.minimum, np.greater, np.equal])
def test_binary_ufuncs_broadcast(fn: np.ufunc) -> None:
    same(fn(up(A), up(B)), fn(A, B))


@pytest.mark.parametrize("fn", [np.exp, np.tanh, np.negative, np.absolute, np.sqrt, np.log,
                                np.sign, np.isfinite, np.square])
def test_unary_ufuncs(fn: np.ufunc) -> None:
    x = np.abs(A) + 0.1 if fn in (np.sqrt, np.log) else A
    same(fn(up(x)), fn(x))


def test_dtype_rules_follow_numpy() -> None:
    ints = np.arange(6, dtype=np.int64).reshape(2, 3)
    same(up(A[0]) * 2, A[0] * 2)                     # Python scalar keeps float32
    same(up(ints) * 0.5, ints * 0.5)                 # int * float -> float64
    same(up(ints) + up(A[0, :2, :3]), ints + A[0, :2, :3])  # int64 + float32 -> float64
    same(up(ints) // 4, ints // 4)
    same(up(ints) % 4, ints % 4)
    same(up(A[0]).astype(np.int32), A[0].astype(np.int32))
    same(up(ints > 2) & up(ints < 5), (ints > 2) & (ints < 5))


def test_views_transpose_slice_broadcast() -> None:
    x = up(A)
    same(x.T, A.T)
    same(x[:, ::-1, 1:3], A[:, ::-1, 1:3])
    same(x[1, None, ..., 2], A[1, None, ..., 2])
    same(np.broadcast_to(up(B), (2, 3, 4)) + x, np.broadcast_to(B, (2, 3, 4)) + A)
    same(x.transpose(2, 0, 1).reshape(4, -1), A.transpose(2, 0, 1).reshape(4, -1))
    same(np.moveaxis(x, 0, -1), np.moveaxis(A, 0, -1))
    same(np.expand_dims(x, 1), np.expand_dims(A, 1))
    same(np.flip(x, 1), np.flip(A, 1))
    assert x[0].buf is x.buf  # a view shares the buffer


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2), -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(axis: object, keepdims: bool) -> None:
    x = up(A.transpose(1, 0, 2))  # a non-contiguous view
    a = A.transpose(1, 0, 2)
    for fn in (np.sum, np.max, np.min, np.mean, np.var):
        got = fn(x, axis=axis, keepdims=keepdims)
        want = np.asarray(fn(a, axis=axis, keepdims=keepdims))
        np.testing.assert_allclose(got.get(), want, rtol=1e-5, atol=1e-6)
        assert got.shape == want.shape


def test_arg_reductions_and_bool_reductions() -> None:
    same(np.argmax(up(A), axis=1), np.argmax(A, axis=1))
    same(np.argmin(up(A), axis=-1), np.argmin(A, axis=-1))
    assert np.argmax(up(A)).item() == np.argmax(A)
    same(np.any(up(A) > 1.5, axis=0), np.any(A > 1.5, axis=0))
    same(np.all(up(A) > -3, axis=2), np.all(A > -3, axis=2))
    same(np.sum(up(A > 0)), np.sum(A > 0))


def test_indexing_gather_scatter() -> None:
    x = up(A[0].copy())
    idx = np.array([2, 0, 2])
    same(x[idx], A[0][idx])
    same(x[up(idx)], A[0][idx])
    same(x[np.arange(3), np.array([1, 3, 0])], A[0][np.arange(3), np.array([1, 3, 0])])
    same(x[x > 0], A[0][A[0] > 0])
    same(x[:, np.array([3, 1])], A[0][:, [3, 1]])
    want = A[0].copy()
    want[1:, 2] = 5.0
    want[np.array([0])] = -1.0
    np.add.at(want, np.array([2, 2]), 1.0)
    x[1:, 2] = 5.0
    x[np.array([0])] = -1.0
    np.add.at(x, np.array([2, 2]), 1.0)
    same(x, want)


def test_functions() -> None:
    x, b = up(A[0]), up(B)
    same(np.where(x > 0, x, 0.0), np.where(A[0] > 0, A[0], 0.0))
    same(np.clip(x, -0.5, 0.5), np.clip(A[0], -0.5, 0.5))
    same(np.concatenate([x, b], axis=1), np.concatenate([A[0], B], axis=1))
    same(np.stack([x, x], axis=1), np.stack([A[0], A[0]], axis=1))
    same(np.zeros_like(x), np.zeros_like(A[0]))
    same(np.full_like(x, 3, dtype=np.int64), np.full_like(A[0], 3, dtype=np.int64))
    assert np.shape(x) == (3, 4) and np.ndim(x) == 2
    same(np.tril(x, 1), np.tril(A[0], 1))
    same(np.cumsum(x, axis=1), np.cumsum(A[0], axis=1))
    same(np.cumsum(up(A).transpose(2, 0, 1), axis=0), np.cumsum(A.transpose(2, 0, 1), axis=0))
    same(np.cumsum(up(A > 0)), np.cumsum(A > 0))
    same(np.tile(x, (2, 1, 3)), np.tile(A[0], (2, 1, 3)))
    same(np.triu(x), np.triu(A[0]))
    y = x.copy()
    y += 1
    same(y, A[0] + 1)


def test_argsort_is_stable_with_nan_last_on_any_axis() -> None:
    ties = np.array([[3.0, 1.0, np.nan, 1.0, -2.0, np.nan, 3.0],
                     [0.0, 0.0, 0.0, -1.0, 5.0, 5.0, 0.0]], np.float32)
    want = np.argsort(ties, axis=1, kind="stable")
    same(np.argsort(up(ties)), want)
    assert want[0].tolist() == [4, 1, 3, 0, 6, 2, 5]  # ties by position, NaN last
    same(np.argsort(up(A), axis=0), np.argsort(A, axis=0, kind="stable"))
    same(np.argsort(up(A).transpose(2, 0, 1), axis=1),
         np.argsort(A.transpose(2, 0, 1), axis=1, kind="stable"))
    same(np.argsort(up(A), axis=None), np.argsort(A, axis=None, kind="stable"))
    ints = RNG.integers(0, 4, (3, 9))
    same(np.argsort(up(ints), axis=-1), np.argsort(ints, axis=-1, kind="stable"))


def test_matmul_with_transposed_views_and_batches() -> None:
    a = RNG.standard_normal((3, 5)).astype(np.float32)
    b = RNG.standard_normal((4, 5)).astype(np.float32)
    for got, want in ((up(a) @ up(b).T, a @ b.T), (up(b).T.T @ up(a).T, b @ a.T),
                      (np.matmul(up(A), up(A).transpose(0, 2, 1)), A @ A.transpose(0, 2, 1)),
                      (up(A) @ up(A[0, 0]), A @ A[0, 0])):
        np.testing.assert_allclose(got.get(), want, rtol=1e-5, atol=1e-5)
        assert got.shape == want.shape


def test_host_conversion_is_explicit() -> None:
    x = up(A)
    with pytest.raises(TypeError, match="can't convert cuda"):
        np.asarray(x)
    with pytest.raises(TypeError, match=r"np.linalg.inv is not supported on cuda arrays .*"
                                        r"tensor.cpu\(\)"):
        np.linalg.inv(x)
    with pytest.raises(TypeError, match="np.cumsum: out= is not supported"):
        np.cumsum(x, out=x)
    with pytest.raises(TypeError, match="cannot mix a cuda array with a host"):
        np.add(x, A)
    np.testing.assert_array_equal(x.get(), A)
