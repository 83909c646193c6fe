"""minidl.data: datasets, random_split, the DataLoader and transforms."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import DTypeError, ShapeError
from minidl.data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    fill_missing,
    random_split,
    standardize,
)
from minidl.data.transforms import Compose, Lambda, Normalize, ToTensor


class Squares(Dataset):
    """A per-sample dataset with no get_batch: sample i is (i as a float array, i*i)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        return np.array([i, -i], dtype=np.float32), i * i


def rows(n: int = 10, d: int = 3) -> tuple[np.ndarray, np.ndarray]:
    X = np.arange(n * d, dtype=np.float32).reshape(n, d)
    return X, np.arange(n, dtype=np.int64)


# -- datasets -----------------------------------------------------------------------------


def test_dataset_is_abstract():
    with pytest.raises(TypeError):
        Dataset()


def test_tensor_dataset_indexes_rows_of_every_tensor():
    X, y = rows()
    ds = TensorDataset(minidl.tensor(X), y)
    assert len(ds) == 10
    x3, y3 = ds[3]
    np.testing.assert_array_equal(x3.detach().numpy(), [9, 10, 11])
    assert y3.item() == 3


def test_tensor_dataset_rejects_mismatched_first_dims():
    with pytest.raises(ShapeError, match=r"same size in dim 0.*\(10, 3\).*\(9,\)"):
        TensorDataset(np.zeros((10, 3)), np.zeros(9))


@pytest.mark.parametrize("bad", [(), (np.float32(1.0),), ([1, 2],)])
def test_tensor_dataset_rejects_bad_inputs(bad):
    with pytest.raises((ValueError, TypeError)):
        TensorDataset(*bad)


def test_subset_maps_indices_and_accepts_negative_ones():
    ds = Squares(10)
    sub = Subset(ds, [7, 2, -1])
    assert len(sub) == 3
    assert [sub[i][1] for i in range(3)] == [49, 4, 81]
    assert Subset(ds, minidl.tensor([4, 1]))[0][1] == 16
    with pytest.raises(IndexError, match="Subset"):
        Subset(ds, [10])


def test_random_split_with_ints_partitions_the_dataset():
    parts = random_split(Squares(10), [3, 7], generator=0)
    assert [len(p) for p in parts] == [3, 7]
    seen = np.concatenate([p.indices for p in parts])
    assert sorted(seen.tolist()) == list(range(10))


def test_random_split_fractions_follow_pytorch_rounding():
    # PyTorch: floor(n * f) each, then the remainder one by one from the first split
    assert [len(p) for p in random_split(Squares(10), [0.33, 0.33, 0.34], generator=0)] == [4, 3, 3]
    assert [len(p) for p in random_split(Squares(101), [0.8, 0.2], generator=0)] == [81, 20]


def test_random_split_is_seeded():
    a = random_split(Squares(20), [0.5, 0.5], generator=3)
    b = random_split(Squares(20), [0.5, 0.5], generator=3)
    c = random_split(Squares(20), [0.5, 0.5], generator=4)
    np.testing.assert_array_equal(a[0].indices, b[0].indices)
    assert not np.array_equal(a[0].indices, c[0].indices)
    minidl.manual_seed(5)
    d = random_split(Squares(20), [10, 10])
    minidl.manual_seed(5)
    e = random_split(Squares(20), [10, 10])
    np.testing.assert_array_equal(d[1].indices, e[1].indices)


@pytest.mark.parametrize("lengths", [[3, 3], [0.5, 0.4], [5, 0.5], [-1, 11], [], [1.5, -0.5]])
def test_random_split_rejects_bad_lengths(lengths):
    with pytest.raises(ValueError, match="random_split"):
        random_split(Squares(10), lengths)


def test_random_split_warns_about_an_empty_split():
    with pytest.warns(UserWarning, match="empty"):
        random_split(Squares(3), [0.9, 0.1], generator=0)


# -- default_collate ----------------------------------------------------------------------


def test_collate_stacks_arrays_and_numbers_into_tensors_and_keeps_tuples():
    batch = default_collate([(np.ones(2, np.float64), 1, 0.5, True, "a") for _ in range(3)])
    assert isinstance(batch, tuple) and len(batch) == 5
    x, i, f, b, s = batch
    assert x.shape == (3, 2) and x.dtype == np.float64
    assert i.dtype == np.int64 and f.dtype == np.float32 and b.dtype == np.bool_
    assert s == ["a", "a", "a"]


def test_collate_dicts_lists_and_namedtuples():
    Pair = namedtuple("Pair", "x y")
    out = default_collate([Pair(np.zeros(2), 1), Pair(np.ones(2), 2)])
    assert isinstance(out, Pair) and out.y.tolist() == [1, 2]
    out = default_collate([{"a": [1, 2]}, {"a": [3, 4]}])
    assert isinstance(out["a"], list) and out["a"][0].tolist() == [1, 3]


def test_collate_reports_ragged_samples():
    with pytest.raises(ShapeError, match=r"different shapes \(2,\), \(3,\)"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object()])


# -- DataLoader ---------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 40),
    batch_size=st.integers(1, 12),
    drop_last=st.booleans(),
    fast=st.booleans(),
)
def test_loader_batches_cover_the_data_in_order(n, batch_size, drop_last, fast):
    X, y = rows(n, 2)
    ds = TensorDataset(X, y) if fast else Squares(n)
    loader = DataLoader(ds, batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    full, rest = divmod(n, batch_size)
    expected_len = full if drop_last or rest == 0 else full + 1
    assert len(loader) == len(batches) == expected_len
    sizes = [len(b[1]) for b in batches]
    assert all(s == batch_size for s in sizes[:full])
    labels = np.concatenate([b[1].detach().numpy() for b in batches]) if batches else np.zeros(0)
    kept = np.arange(full * batch_size if drop_last else n)
    np.testing.assert_array_equal(labels, kept if fast else kept * kept)


def test_loader_shuffle_is_a_permutation_that_changes_per_epoch():
    X, y = rows(50)
    loader = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True, generator=0)
    epoch1 = np.concatenate([yb.detach().numpy() for _, yb in loader])
    epoch2 = np.concatenate([yb.detach().numpy() for _, yb in loader])
    assert sorted(epoch1.tolist()) == list(range(50)) == sorted(epoch2.tolist())
    assert not np.array_equal(epoch1, np.arange(50))
    assert not np.array_equal(epoch1, epoch2)


def test_loader_batches_stay_aligned_when_shuffled():
    X, y = rows(30)
    for ds in (TensorDataset(X, y), Subset(TensorDataset(X, y), np.arange(29, -1, -1))):
        for xb, yb in DataLoader(ds, batch_size=7, shuffle=True, generator=1):
            np.testing.assert_array_equal(xb.detach().numpy(), X[yb.detach().numpy()])


def test_loader_shuffle_is_reproducible_after_manual_seed():
    def first_epoch():
        loader = DataLoader(Squares(40), batch_size=5, shuffle=True)
        return np.concatenate([b[1].detach().numpy() for b in loader])

    minidl.manual_seed(123)
    a = first_epoch()
    minidl.manual_seed(123)
    b = first_epoch()
    minidl.manual_seed(124)
    c = first_epoch()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_fast_path_and_per_sample_path_give_the_same_batches():
    X, y = rows(23)
    ds = TensorDataset(X, y)
    sub = random_split(ds, [15, 8], generator=2)[0]
    nested = Subset(sub, [14, 0, 3, 3, 7])
    for d in (ds, sub, nested):
        fast = list(DataLoader(d, batch_size=4, shuffle=True, generator=9))
        slow = list(
            DataLoader(d, batch_size=4, shuffle=True, generator=9, collate_fn=default_collate)
        )
        assert len(fast) == len(slow)
        for (xf, yf), (xs, ys) in zip(fast, slow, strict=True):
            np.testing.assert_array_equal(xf.detach().numpy(), xs.detach().numpy())
            np.testing.assert_array_equal(yf.detach().numpy(), ys.detach().numpy())
            assert xf.dtype == np.float32 and yf.dtype == np.int64


def test_nested_subset_fast_path_reads_the_right_rows():
    X, y = rows(10)
    inner = Subset(TensorDataset(X, y), [9, 8, 7, 6, 5])
    outer = Subset(inner, [4, 0])
    ((_, yb),) = DataLoader(outer, batch_size=2)
    assert yb.tolist() == [5, 9]


def test_custom_collate_fn_receives_the_samples():
    loader = DataLoader(
        Squares(5), batch_size=2, collate_fn=lambda samples: [s[1] for s in samples]
    )
    assert list(loader) == [[0, 1], [4, 9], [16]]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2.0}, "batch_size"),
        ({"batch_size": True}, "batch_size"),
        ({"shuffle": 1}, "shuffle"),
        ({"drop_last": "yes"}, "drop_last"),
        ({"collate_fn": 3}, "collate_fn"),
        ({"shuffle": True, "generator": -1}, "generator"),
    ],
)
def test_loader_validates_its_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        DataLoader(Squares(4), **kwargs)


def test_loader_rejects_a_non_dataset():
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        DataLoader(iter(range(3)))


# -- transforms ---------------------------------------------------------------------------


def test_to_tensor_scales_uint8_and_moves_channels_first():
    img = np.array([[[0, 255, 51]], [[102, 0, 255]]], dtype=np.uint8)  # (H=2, W=1, C=3)
    t = ToTensor()(img)
    assert isinstance(t, minidl.Tensor) and t.shape == (3, 2, 1) and t.dtype == np.float32
    np.testing.assert_allclose(t.detach().numpy()[:, :, 0], [[0, 0.4], [1, 0], [0.2, 1]], rtol=1e-6)
    gray = ToTensor()(np.full((4, 5), 255, dtype=np.uint8))
    assert gray.shape == (1, 4, 5) and gray.detach().numpy().max() == 1.0


def test_to_tensor_rejects_bad_images():
    with pytest.raises(ShapeError, match=r"ToTensor.*\(2, 2, 2, 2\)"):
        ToTensor()(np.zeros((2, 2, 2, 2), np.uint8))
    with pytest.raises(DTypeError, match="ToTensor"):
        ToTensor()(np.zeros((2, 2), np.int32))


def test_normalize_per_channel_against_hand_values():
    x = np.array([[[1.0, 3.0]], [[10.0, 20.0]]], dtype=np.float32)  # (C=2, H=1, W=2)
    out = Normalize(mean=(1.0, 10.0), std=(2.0, 5.0))(x)
    np.testing.assert_allclose(out, [[[0.0, 1.0]], [[0.0, 2.0]]])
    assert out.dtype == np.float32
    # one value for every channel, and a batch (N, C, H, W)
    out = Normalize(0.5, 0.25)(np.ones((3, 2, 1, 1), dtype=np.float64))
    np.testing.assert_allclose(out, 2.0)


def test_normalize_on_tensors_is_differentiable():
    x = minidl.tensor(np.ones((2, 1, 1)), requires_grad=True)
    y = Normalize((0.0, 1.0), (2.0, 4.0))(x)
    assert isinstance(y, minidl.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy().ravel(), [0.5, 0.25])


def test_normalize_validation():
    with pytest.raises(ValueError, match="zeros"):
        Normalize(0.0, (1.0, 0.0))
    with pytest.raises(ShapeError, match="3 values for an image with 2 channels"):
        Normalize((0, 0, 0), (1, 1, 1))(np.zeros((2, 4, 4), np.float32))
    with pytest.raises(ShapeError, match=r"\(\.\.\., C, H, W\)"):
        Normalize(0, 1)(np.zeros(784, np.float32))
    with pytest.raises(DTypeError, match="ToTensor first"):
        Normalize(0, 1)(np.zeros((1, 2, 2), np.uint8))


def test_compose_applies_in_order_and_lambda_wraps():
    t = Compose([ToTensor(), Lambda(lambda x: x * 2), Normalize(1.0, 1.0)])
    out = t(np.full((2, 2), 255, dtype=np.uint8))
    np.testing.assert_allclose(out.detach().numpy(), 1.0)
    assert "ToTensor()" in repr(t)
    with pytest.raises(TypeError, match="callable"):
        Compose([ToTensor(), 3])
    with pytest.raises(TypeError, match="Lambda"):
        Lambda(None)


def test_standardize_uses_given_statistics_for_other_splits():
    train = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 10.0]])
    z, mean, std = standardize(train)
    np.testing.assert_allclose(mean, [3.0, 10.0])
    np.testing.assert_allclose(std, [np.sqrt(8 / 3), 1.0])  # the constant column is kept at 1
    np.testing.assert_allclose(z[:, 0], np.array([-2.0, 0.0, 2.0]) / np.sqrt(8 / 3))
    np.testing.assert_allclose(z[:, 1], 0.0)
    test_z, m2, s2 = standardize(np.array([[7.0, 12.0]]), mean, std)
    np.testing.assert_allclose(test_z, [[4.0 / np.sqrt(8 / 3), 2.0]])
    assert m2 is not mean


def test_standardize_dtypes_and_errors():
    z, _, _ = standardize(np.arange(6, dtype=np.int64).reshape(3, 2))
    assert z.dtype == np.float32
    assert standardize(np.ones((2, 2), np.float64))[0].dtype == np.float64
    with pytest.raises(ValueError, match="fill_missing"):
        standardize(np.array([[1.0], [np.nan]]))
    with pytest.raises(ShapeError, match=r"mean of shape \(2,\)"):
        standardize(np.ones((3, 2)), mean=np.zeros(3), std=np.ones(2))
    with pytest.raises(ValueError, match="positive"):
        standardize(np.ones((3, 2)), mean=0.0, std=np.array([1.0, 0.0]))


def test_fill_missing_strategies_and_train_values():
    X = np.array([[1.0, np.nan], [np.nan, 4.0], [5.0, 8.0], [6.0, 6.0]])
    filled, values = fill_missing(X)
    np.testing.assert_allclose(values, [4.0, 6.0])
    np.testing.assert_allclose(filled, [[1, 6], [4, 4], [5, 8], [6, 6]])
    assert np.isnan(X[0, 1])  # the input is untouched
    _, med = fill_missing(X, strategy="median")
    np.testing.assert_allclose(med, [5.0, 6.0])
    zero, _ = fill_missing(X, strategy="zero")
    assert zero[1, 0] == 0.0
    test, _ = fill_missing(np.array([[np.nan, np.nan]]), values=values)
    np.testing.assert_allclose(test, [[4.0, 6.0]])


def test_fill_missing_errors():
    with pytest.raises(ValueError, match="strategy"):
        fill_missing(np.ones((2, 2)), strategy="mode")
    with pytest.raises(ValueError, match=r"column\(s\) \[1\] hold only NaN"):
        fill_missing(np.array([[1.0, np.nan], [2.0, np.nan]]))
    with pytest.raises(ShapeError, match="values"):
        fill_missing(np.ones((2, 2)), values=[1.0, 2.0, 3.0])
