"""PyTorch as the oracle: RNN/LSTM/GRU (and their cells) and Embedding with copied weights
give the same outputs, final states and gradients (input, initial states, every weight)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import nn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

TOL = 1e-5
STACKS = {"RNN": (nn.RNN, torch.nn.RNN), "LSTM": (nn.LSTM, torch.nn.LSTM),
          "GRU": (nn.GRU, torch.nn.GRU)}
CELLS = {"RNNCell": (nn.RNNCell, torch.nn.RNNCell), "LSTMCell": (nn.LSTMCell, torch.nn.LSTMCell),
         "GRUCell": (nn.GRUCell, torch.nn.GRUCell)}


def twins(ours_cls, theirs_cls, *args, **kwargs):
    """A minidl layer and a torch layer (float64) with the same weights."""
    minidl.manual_seed(0)
    ours = ours_cls(*args, **kwargs).double()
    theirs = theirs_cls(*args, **kwargs).double()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    with torch.no_grad():
        for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
            assert p.shape == tuple(q.shape)
            q.copy_(torch.from_numpy(p.detach().numpy()))
    return ours, theirs


def pair(shape, seed):
    data = np.random.default_rng(seed).normal(size=shape)
    return (minidl.tensor(data, requires_grad=True),
            torch.tensor(data, requires_grad=True))


def flat(result):
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in flat(r)]
    return [result]


def backprop(outputs, seed):
    """Backward of Σ_k Σ v_k ⊙ out_k with fixed random v_k, for both frameworks."""
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=tuple(o.shape)) for o in outputs[1]]
    ours = sum(((o * minidl.tensor(v)).sum() for o, v in zip(outputs[0], weights, strict=True)),
               start=minidl.tensor(0.0, dtype=minidl.float64))
    theirs = sum((o * torch.from_numpy(v)).sum() for o, v in zip(outputs[1], weights, strict=True))
    ours.backward()
    theirs.backward()


def assert_same(ours, theirs, what):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=TOL, atol=TOL,
                               err_msg=what)


def compare(ours_model, theirs_model, x, states):
    """Run both, compare outputs, then every gradient."""
    (xo, xt), state_pairs = x, states
    if state_pairs is None:
        hx_o = hx_t = None
    elif isinstance(state_pairs, list):
        hx_o, hx_t = tuple(s[0] for s in state_pairs), tuple(s[1] for s in state_pairs)
    else:
        hx_o, hx_t = state_pairs
    out_o, out_t = flat(ours_model(xo, hx_o)), flat(theirs_model(xt, hx_t))
    assert len(out_o) == len(out_t)
    for k, (a, b) in enumerate(zip(out_o, out_t, strict=True)):
        assert a.shape == tuple(b.shape)
        assert_same(a, b, f"output {k}")
    backprop((out_o, out_t), seed=7)
    assert_same(xo.grad, xt.grad, "grad input")
    if isinstance(state_pairs, list):
        for k, (so, st_) in enumerate(state_pairs):
            assert_same(so.grad, st_.grad, f"grad state {k}")
    elif state_pairs is not None:
        assert_same(state_pairs[0].grad, state_pairs[1].grad, "grad state")
    for (name, p), (_, q) in zip(ours_model.named_parameters(), theirs_model.named_parameters(),
                                 strict=True):
        assert_same(p.grad, q.grad, f"grad {name}")


CONFIGS = [
    dict(num_layers=1),
    dict(num_layers=2, batch_first=True),
    dict(num_layers=1, bidirectional=True),
    dict(num_layers=3, bidirectional=True, batch_first=True),
    dict(num_layers=2, bias=False),
]


@pytest.mark.parametrize("kind", sorted(STACKS))
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in
                                                                 c.items()))
@pytest.mark.parametrize("with_states", [False, True])
def test_layers_match_torch(kind, config, with_states):
    ours, theirs = twins(*STACKS[kind], 4, 5, **config)
    length, batch = 6, 3
    x = pair((batch, length, 4) if config.get("batch_first") else (length, batch, 4), seed=1)
    states = None
    if with_states:
        shape = ((2 if config.get("bidirectional") else 1) * config["num_layers"], batch, 5)
        states = ([pair(shape, 2), pair(shape, 3)] if kind == "LSTM" else pair(shape, 2))
    compare(ours, theirs, x, states)


def test_relu_rnn_matches_torch():
    ours, theirs = twins(nn.RNN, torch.nn.RNN, 3, 4, num_layers=2, nonlinearity="relu",
                         bidirectional=True)
    compare(ours, theirs, pair((5, 2, 3), seed=4), pair((4, 2, 4), seed=5))


@pytest.mark.parametrize("kind", sorted(STACKS))
def test_unbatched_layers_match_torch(kind):
    ours, theirs = twins(*STACKS[kind], 3, 2, num_layers=2, bidirectional=True)
    shape = (4, 2)
    states = [pair(shape, 2), pair(shape, 3)] if kind == "LSTM" else pair(shape, 2)
    compare(ours, theirs, pair((5, 3), seed=1), states)


@settings(max_examples=12, deadline=None)
@given(kind=st.sampled_from(sorted(STACKS)), length=st.integers(1, 5), batch=st.integers(1, 4),
       input_size=st.integers(1, 4), hidden=st.integers(1, 4), bidirectional=st.booleans())
def test_layer_shapes_match_torch(kind, length, batch, input_size, hidden, bidirectional):
    ours, theirs = twins(*STACKS[kind], input_size, hidden, bidirectional=bidirectional)
    compare(ours, theirs, pair((length, batch, input_size), seed=length), None)


@pytest.mark.parametrize("kind", sorted(CELLS))
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_torch(kind, batched, bias):
    ours, theirs = twins(*CELLS[kind], 4, 3, bias=bias)
    lead = (2,) if batched else ()
    states = ([pair((*lead, 3), 2), pair((*lead, 3), 3)] if kind == "LSTMCell"
              else pair((*lead, 3), 2))
    compare(ours, theirs, pair((*lead, 4), seed=1), states)


def test_relu_cell_matches_torch():
    ours, theirs = twins(nn.RNNCell, torch.nn.RNNCell, 4, 3, nonlinearity="relu")
    compare(ours, theirs, pair((5, 4), seed=1), pair((5, 3), seed=2))


@pytest.mark.parametrize("padding_idx", [None, 1, -2])
def test_embedding_matches_torch(padding_idx):
    minidl.manual_seed(0)
    ours = nn.Embedding(6, 3, padding_idx=padding_idx).double()
    theirs = torch.nn.Embedding(6, 3, padding_idx=padding_idx).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.detach().numpy()))
    ids = np.array([[1, 4, 4, 0], [4, 1, 5, 4]])
    out_o, out_t = ours(minidl.tensor(ids)), theirs(torch.from_numpy(ids))
    assert_same(out_o, out_t, "output")
    backprop(([out_o], [out_t]), seed=3)
    assert_same(ours.weight.grad, theirs.weight.grad, "grad weight")


def test_one_hot_matches_torch():
    ids = np.array([[0, 3], [2, 2]])
    np.testing.assert_array_equal(
        minidl.functional.one_hot(minidl.tensor(ids), 5).detach().numpy(),
        torch.nn.functional.one_hot(torch.from_numpy(ids), 5).numpy())
