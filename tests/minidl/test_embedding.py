"""Embedding and one_hot: central differences, the scatter-add of repeated ids,
padding_idx, hand-computed one-hot rows and the error messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
import minidl.functional as F
from minidl import ShapeError, nn
from minidl.errors import DTypeError


def table(rows, dim, seed=0):
    data = np.random.default_rng(seed).normal(size=(rows, dim))
    return minidl.tensor(data, dtype=minidl.float64, requires_grad=True)


def test_embedding_gradcheck_with_repeated_ids():
    ids = minidl.tensor([[0, 3, 3], [3, 1, 0]])
    assert minidl.gradcheck(lambda w: F.embedding(ids, w), table(5, 2))


def test_embedding_gradcheck_with_a_padding_row_that_is_not_looked_up():
    ids = minidl.tensor([1, 2, 2, 4])
    assert minidl.gradcheck(lambda w: F.embedding(ids, w, padding_idx=0), table(5, 3))


@settings(max_examples=20, deadline=None)
@given(ids=st.lists(st.integers(0, 5), min_size=1, max_size=12), dim=st.integers(1, 3))
def test_embedding_gradient_counts_each_id(ids, dim):
    """With loss = Σ out, row k of dL/dW is the number of times id k was looked up."""
    w = table(6, dim)
    F.embedding(minidl.tensor(ids), w).sum().backward()
    counts = np.bincount(ids, minlength=6).astype(float)
    np.testing.assert_array_equal(w.grad.numpy(), np.repeat(counts[:, None], dim, axis=1))


def test_padding_row_gets_no_gradient_and_starts_at_zero():
    minidl.manual_seed(0)
    layer = nn.Embedding(4, 3, padding_idx=2)
    np.testing.assert_array_equal(layer.weight.detach().numpy()[2], np.zeros(3))
    out = layer(minidl.tensor([[2, 1], [2, 2]]))
    assert out.shape == (2, 2, 3)
    (out * 3.0).sum().backward()
    expected = np.zeros((4, 3), np.float32)
    expected[1] = 3.0
    np.testing.assert_array_equal(layer.weight.grad.numpy(), expected)


def test_negative_padding_idx_counts_from_the_end():
    layer = nn.Embedding(5, 2, padding_idx=-1)
    assert layer.padding_idx == 4
    assert repr(layer) == "Embedding(5, 2, padding_idx=4)"


def test_lookup_returns_the_rows_and_keeps_the_dtype():
    w = minidl.tensor(np.arange(12.0).reshape(4, 3), dtype=minidl.float32)
    out = F.embedding(minidl.tensor([3, 0]), w)
    np.testing.assert_array_equal(out.detach().numpy(), [[9, 10, 11], [0, 1, 2]])
    assert out.dtype == np.float32


def test_from_pretrained_copies_and_freezes():
    pretrained = minidl.tensor([[1.0, 2.0], [3.0, 4.0]])
    layer = nn.Embedding.from_pretrained(pretrained)
    assert not layer.weight.requires_grad
    np.testing.assert_array_equal(layer(minidl.tensor([1])).detach().numpy(), [[3.0, 4.0]])
    assert nn.Embedding.from_pretrained(pretrained, freeze=False).weight.requires_grad


def test_one_hot_by_hand():
    out = F.one_hot(minidl.tensor([[0, 2], [1, 2]]))
    assert out.dtype == np.int64 and out.shape == (2, 2, 3)
    expected = [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [0, 0, 1]]]
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    np.testing.assert_array_equal(F.one_hot(minidl.tensor([1]), num_classes=4).detach().numpy(),
                                  [[0, 1, 0, 0]])


def test_errors():
    w = table(3, 2)
    with pytest.raises(IndexError, match=r"embedding: id 3 is out of range .* \[0, 3\)"):
        F.embedding(minidl.tensor([0, 3]), w)
    with pytest.raises(DTypeError, match="embedding: expected integer ids, got dtype float32"):
        F.embedding(minidl.tensor([0.0]), w)
    with pytest.raises(ShapeError, match=r"expected weight \(num_embeddings, embedding_dim\)"):
        F.embedding(minidl.tensor([0]), minidl.zeros(3))
    with pytest.raises(ValueError, match="padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(ValueError, match="num_embeddings must be an int >= 1"):
        nn.Embedding(0, 2)
    with pytest.raises(ValueError, match="class id 3 is not smaller than num_classes=3"):
        F.one_hot(minidl.tensor([3]), num_classes=3)
    with pytest.raises(ValueError, match="must be non-negative"):
        F.one_hot(minidl.tensor([-1]))


def test_backward_kernel_refuses_ids_out_of_range():
    # the Numba scatter-add does not check bounds itself: the kernel checks before it runs
    from minidl.kernels.cpu.embedding import embedding_backward

    grad = np.ones((2, 3), np.float32)
    with pytest.raises(IndexError, match=r"embedding_backward: ids must lie in \[0, 4\)"):
        embedding_backward(grad, np.array([1, 4]), 4, None)
