"""Empty batches, empty sequences and NaN probabilities (issue 10, item 6): a clear error
naming the op, what it expected and what came, or PyTorch's result, never a raw NumPy error
or one that blames another op."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl import ShapeError, nn
from minidl import functional as F


def no_labels() -> minidl.Tensor:
    return minidl.tensor(np.zeros(0, dtype=np.int64))


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_loss_on_an_empty_batch_names_the_loss(loss):
    name = loss.__name__
    with pytest.raises(ShapeError, match=rf"^{name}: expected a non-empty batch .* N ≥ 1, got "
                                         r"input \(0, 10\).*DataLoader"):
        loss(minidl.zeros(0, 10, requires_grad=True), no_labels())
    total = loss(minidl.zeros(0, 10), no_labels(), reduction="sum")  # as PyTorch: 0
    assert float(total) == 0.0
    assert loss(minidl.zeros(0, 10), no_labels(), reduction="none").shape == (0,)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_softmax_over_a_zero_size_dim_gives_an_empty_result_as_pytorch(fn):
    x = minidl.zeros(3, 0, requires_grad=True)
    out = fn(x, dim=1)
    assert out.shape == (3, 0)
    out.sum().backward()
    assert x.grad.shape == (3, 0)
    torch = pytest.importorskip("torch")
    assert tuple(getattr(torch.nn.functional, fn.__name__)(torch.zeros(3, 0), dim=1).shape) \
        == (3, 0)


def test_binary_cross_entropy_refuses_nan_probabilities():
    p = minidl.tensor([0.2, float("nan"), 0.9])
    with pytest.raises(ValueError, match=r"^binary_cross_entropy: input must hold probabilities "
                                         r"in \[0, 1\], got NaN at flat position 1 of input "
                                         r"\(3,\)"):
        F.binary_cross_entropy(p, minidl.tensor([1.0, 0.0, 1.0]))
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="between 0 and 1"):  # PyTorch refuses it too
        torch.nn.functional.binary_cross_entropy(torch.tensor([0.2, float("nan")]),
                                                 torch.tensor([1.0, 0.0]))


@pytest.mark.parametrize("layer", [nn.LSTM(4, 5), nn.GRU(4, 5), nn.RNN(4, 5)])
def test_recurrent_layers_on_a_zero_length_sequence(layer):
    name = type(layer).__name__
    with pytest.raises(ShapeError, match=rf"^{name}\(input_size=4, hidden_size=5\): expected "
                                         r"input \(L, N, 4\) .*\(L ≥ 1\), got L = 0 in "
                                         r"\(0, 2, 4\)"):
        layer(minidl.zeros(0, 2, 4))


def test_lstm_on_a_zero_batch_and_batch_first():
    with pytest.raises(ShapeError, match=r"at least one sequence \(N ≥ 1\), got N = 0 in "
                                         r"\(3, 0, 4\)"):
        nn.LSTM(4, 5)(minidl.zeros(3, 0, 4))
    with pytest.raises(ShapeError, match=r"expected input \(N, L, 4\) with batch_first=True .*"
                                         r"got L = 0 in \(2, 0, 4\)"):
        nn.LSTM(4, 5, batch_first=True)(minidl.zeros(2, 0, 4))
    with pytest.raises(ShapeError, match=r"got N = 0 in \(0, 3, 4\)"):
        nn.LSTM(4, 5, batch_first=True)(minidl.zeros(0, 3, 4))
    with pytest.raises(ShapeError, match=r"expected input \(L, N, 4\) .*got \(3, 2, 7\)$"):
        nn.LSTM(4, 5)(minidl.zeros(3, 2, 7))
