"""RNN, LSTM and GRU: float64 central differences through every cell and layer, the
cell-slot routing, dropout between layers, the no-JIT path and the error messages."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minidl
from minidl import ShapeError, nn
from minidl.errors import DTypeError
from minidl.kernels import set_override, slots
from minidl.kernels.cpu import gru as KG
from minidl.kernels.cpu import lstm as KL
from minidl.kernels.cpu import rnn as KR

STACKS = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
CELLS = {"RNNCell": nn.RNNCell, "LSTMCell": nn.LSTMCell, "GRUCell": nn.GRUCell}


def leaf(*shape, seed=0):
    data = np.random.default_rng(seed).uniform(-1, 1, shape)
    return minidl.tensor(data, dtype=minidl.float64, requires_grad=True)


def flat(result):
    """(output, h_n) or (output, (h_n, c_n)) → a flat tuple of tensors."""
    if isinstance(result, minidl.Tensor):
        return (result,)
    return tuple(t for r in result for t in flat(r))


def states_for(kind, shape, seed=1):
    h0 = leaf(*shape, seed=seed)
    return (h0, leaf(*shape, seed=seed + 1)) if kind.startswith("LSTM") else h0


def state_leaves(states):
    return list(states) if isinstance(states, tuple) else [states]


# -- gradcheck: cells --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CELLS))
@pytest.mark.parametrize("bias", [True, False])
def test_cell_gradcheck(kind, bias):
    minidl.manual_seed(0)
    cell = CELLS[kind](3, 4, bias=bias).double()
    x, hx = leaf(2, 3), states_for(kind, (2, 4))
    assert minidl.gradcheck(lambda *_: flat(cell(x, hx)), x, *state_leaves(hx),
                            *cell.parameters())


def test_relu_rnn_cell_gradcheck():
    minidl.manual_seed(1)
    cell = nn.RNNCell(3, 5, nonlinearity="relu").double()
    x, h = leaf(4, 3, seed=2), leaf(4, 5, seed=3)
    assert minidl.gradcheck(lambda *_: cell(x, h), x, h, *cell.parameters())


@pytest.mark.parametrize("kind", sorted(CELLS))
def test_unbatched_cell_without_state_gradcheck(kind):
    minidl.manual_seed(2)
    cell = CELLS[kind](3, 2).double()
    x = leaf(3)
    result = flat(cell(x))
    assert all(r.shape == (2,) for r in result)
    assert minidl.gradcheck(lambda *_: flat(cell(x)), x, *cell.parameters())


# -- gradcheck: layers -------------------------------------------------------------------------


LAYER_CASES = [  # num_layers, bidirectional, batch_first, given initial states
    (1, False, False, False),
    (1, False, False, True),
    (2, False, True, True),
    (1, True, False, True),
    (2, True, True, False),
]


@pytest.mark.parametrize("kind", sorted(STACKS))
@pytest.mark.parametrize(("layers", "bidir", "batch_first", "with_states"), LAYER_CASES)
def test_layer_gradcheck(kind, layers, bidir, batch_first, with_states):
    minidl.manual_seed(3)
    model = STACKS[kind](3, 2, num_layers=layers, bidirectional=bidir,
                         batch_first=batch_first).double()
    x = leaf(*((2, 3, 3) if batch_first else (3, 2, 3)))
    states = states_for(kind, ((1 + bidir) * layers, 2, 2)) if with_states else None
    inputs = [x, *(state_leaves(states) if with_states else []), *model.parameters()]
    assert minidl.gradcheck(lambda *_: flat(model(x, states)), *inputs)


def test_relu_rnn_without_bias_gradcheck():
    minidl.manual_seed(4)
    model = nn.RNN(2, 3, num_layers=2, nonlinearity="relu", bias=False).double()
    assert [n for n, _ in model.named_parameters()] == [
        "weight_ih_l0", "weight_hh_l0", "weight_ih_l1", "weight_hh_l1"]
    x, h0 = leaf(4, 2, 2), leaf(2, 2, 3, seed=5)
    assert minidl.gradcheck(lambda *_: flat(model(x, h0)), x, h0, *model.parameters())


@pytest.mark.parametrize("kind", sorted(STACKS))
def test_unbatched_layer_gradcheck(kind):
    minidl.manual_seed(5)
    model = STACKS[kind](2, 3, bidirectional=True).double()
    x = leaf(4, 2)
    output, *finals = flat(model(x))
    assert output.shape == (4, 6) and all(f.shape == (2, 3) for f in finals)
    assert minidl.gradcheck(lambda *_: flat(model(x)), x, *model.parameters())


def test_length_one_batch_one_sequence_gradcheck():
    minidl.manual_seed(6)
    model = nn.LSTM(1, 1).double()
    x = leaf(1, 1, 1)
    assert minidl.gradcheck(lambda *_: flat(model(x)), x, *model.parameters())


def test_non_contiguous_input_gradcheck():
    minidl.manual_seed(7)
    model = nn.GRU(3, 2).double()
    x = leaf(3, 3, 2)
    assert not x.permute(0, 2, 1).detach().numpy().flags.c_contiguous
    assert minidl.gradcheck(lambda t, *_: flat(model(t.permute(0, 2, 1))), x, *model.parameters())


@pytest.mark.parametrize("kind", sorted(STACKS))
def test_data_input_gets_no_gradient_and_the_weights_the_same_one(kind):
    """Input that needs no gradient (data): BPTT skips dL/dx, the weight gradients are equal."""
    grads = []
    for needs_x in (True, False):
        minidl.manual_seed(8)
        model = STACKS[kind](3, 4, num_layers=2, bidirectional=True).double()
        x = minidl.tensor(np.random.default_rng(9).uniform(-1, 1, (5, 2, 3)),
                          requires_grad=needs_x)
        (model(x)[0] ** 2).sum().backward()
        assert (x.grad is None) != needs_x
        grads.append([p.grad.numpy() for p in model.parameters()])
    for with_x, without_x in zip(*grads, strict=True):
        np.testing.assert_allclose(without_x, with_x, rtol=1e-12, atol=1e-15)


# -- hand-computed values ----------------------------------------------------------------------


def test_rnn_cell_matches_hand_computation():
    cell = nn.RNNCell(1, 1).double()
    with minidl.no_grad():
        for p, v in zip(cell.parameters(), (0.5, -1.0, 0.25, 0.25), strict=True):
            p.fill_(v)
    h = cell(minidl.tensor([[2.0]], dtype=minidl.float64), minidl.tensor([[0.5]],
                                                                           dtype=minidl.float64))
    assert h.item() == pytest.approx(np.tanh(0.5 * 2.0 - 1.0 * 0.5 + 0.5))


def test_lstm_with_zero_weights_keeps_half_the_cell():
    """All pre-activations 0: i = f = o = ½, g = 0, so c' = c/2 and h' = tanh(c/2)/2."""
    cell = nn.LSTMCell(2, 3)
    with minidl.no_grad():
        for p in cell.parameters():
            p.zero_()
    c = minidl.tensor([[1.0, -2.0, 4.0]])
    h1, c1 = cell(minidl.ones(1, 2), (minidl.zeros(1, 3), c))
    np.testing.assert_allclose(c1.detach().numpy(), c.detach().numpy() / 2, rtol=1e-6)
    np.testing.assert_allclose(h1.detach().numpy(), np.tanh(c.detach().numpy() / 2) / 2, rtol=1e-6)


def test_default_init_is_uniform_within_one_over_sqrt_hidden():
    minidl.manual_seed(8)
    model = nn.GRU(10, 16, num_layers=2, bidirectional=True)
    values = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    assert np.abs(values).max() <= 0.25 and np.abs(values).max() > 0.24
    assert abs(values.mean()) < 0.01
    assert model.weight_ih_l1_reverse.shape == (48, 32)
    assert all(p.dtype == np.float32 for p in model.parameters())


# -- float32 and dropout -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(STACKS))
def test_float32_stays_float32_and_matches_float64(kind):
    minidl.manual_seed(9)
    model = STACKS[kind](4, 5, num_layers=2)
    x = minidl.randn(6, 3, 4)
    out32 = flat(model(x))
    model.double()
    out64 = flat(model(x.double()))
    for a, b in zip(out32, out64, strict=True):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-5)


def test_dropout_acts_between_layers_only_in_training():
    minidl.manual_seed(10)
    model = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = minidl.randn(5, 2, 3)
    model.eval()
    first, second = flat(model(x)), flat(model(x))
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    model.train()
    out_a, h_a, _ = flat(model(x))
    out_b, h_b, _ = flat(model(x))
    assert not np.allclose(out_a.detach().numpy(), out_b.detach().numpy())
    # the first layer sees no dropout, so its final state is the same in both runs
    np.testing.assert_array_equal(h_a.detach().numpy()[0], h_b.detach().numpy()[0])
    np.testing.assert_allclose(h_a.detach().numpy()[0], first[1].detach().numpy()[0], rtol=1e-6)


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.GRU(2, 2, dropout=0.3)


# -- routing through the cell slots ------------------------------------------------------------


@pytest.mark.parametrize(("kind", "names"), [
    ("RNN", ("rnn_cell_forward", "rnn_cell_backward")),
    ("LSTM", ("lstm_cell_forward", "lstm_cell_backward")),
    ("GRU", ("gru_cell_forward", "gru_cell_backward")),
])
def test_layers_route_through_installed_cell_slots(kind, names):
    """With a learner's cell installed, the layer runs it at every step, forward and back."""
    calls = dict.fromkeys(names, 0)

    def counting(name):
        reference = slots()[name].reference

        def learner(*args):
            calls[name] += 1
            return reference(*args)
        return learner

    minidl.manual_seed(11)
    model = STACKS[kind](2, 3, bidirectional=True).double()
    x, h0 = leaf(4, 2, 2), leaf(2, 2, 3)
    try:
        for name in names:
            set_override(name, counting(name))
        output = flat(model(x))[0]
        assert calls[names[0]] == 2 * 4 and calls[names[1]] == 0
        output.sum().backward()
        assert calls[names[1]] == 2 * 4
        states = (h0, h0) if kind == "LSTM" else h0
        assert minidl.gradcheck(lambda *_: flat(model(x, states)), x, h0, *model.parameters())
    finally:
        for name in names:
            set_override(name, None)


def test_unimplemented_cell_falls_back_to_the_reference():
    def stub(*args):
        raise NotImplementedError("lstm_cell_forward")

    minidl.manual_seed(12)
    model = nn.LSTM(2, 2).double()
    x = leaf(3, 1, 2)
    try:
        set_override("lstm_cell_forward", stub)
        assert minidl.gradcheck(lambda *_: flat(model(x)), x, *model.parameters())
        assert slots()["lstm_cell_forward"].fallbacks >= 3
    finally:
        set_override("lstm_cell_forward", None)


def test_cell_slots_are_registered_with_documented_signatures():
    registered = slots()
    for fn in (KR.rnn_cell_forward, KR.rnn_cell_backward, KL.lstm_cell_forward,
               KL.lstm_cell_backward, KG.gru_cell_forward, KG.gru_cell_backward):
        assert fn.__name__ in registered
        assert "(N, " in fn.__doc__


# -- without the JIT ---------------------------------------------------------------------------


def test_lstm_and_gru_run_without_numba_jit():
    script = textwrap.dedent("""
        import numpy as np, minidl
        from minidl import nn
        minidl.manual_seed(0)
        for layer in (nn.LSTM(2, 2), nn.GRU(2, 2)):
            layer.double()
            x = minidl.tensor(np.linspace(-1, 1, 8).reshape(2, 2, 2), requires_grad=True)
            def run(*_):
                out, state = layer(x)
                return (out, *(state if isinstance(state, tuple) else (state,)))
            assert minidl.gradcheck(run, x, *layer.parameters())
        print("ok")
    """)
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# -- errors ------------------------------------------------------------------------------------


def test_wrong_input_size_names_the_layer_and_the_layout():
    with pytest.raises(ShapeError, match=r"^LSTM\(input_size=64, hidden_size=128\): expected "
                       r"input \(L, N, 64\) with batch_first=False, got \(32, 64, 10\)$"):
        nn.LSTM(64, 128)(minidl.zeros(32, 64, 10))
    with pytest.raises(ShapeError, match=r"expected input \(N, L, 4\) with batch_first=True"):
        nn.GRU(4, 3, batch_first=True)(minidl.zeros(2, 5, 3))
    with pytest.raises(ShapeError, match=r"RNN\(input_size=4, hidden_size=3\): expected input "
                       r"\(L, N, 4\) with batch_first=False, got \(2, 3, 5, 4\)"):
        nn.RNN(4, 3)(minidl.zeros(2, 3, 5, 4))
    with pytest.raises(ShapeError, match=r"GRUCell\(input_size=4, hidden_size=3\): expected "
                       r"input \(N, 4\) or \(4,\), got \(2, 5\)"):
        nn.GRUCell(4, 3)(minidl.zeros(2, 5))


def test_wrong_initial_state_shapes_and_dtypes():
    model = nn.LSTM(4, 3, num_layers=2)
    x = minidl.zeros(5, 2, 4)
    with pytest.raises(ShapeError, match=r"lstm: expected h_0 \(2, 2, 3\), got \(1, 2, 3\)"):
        model(x, (minidl.zeros(1, 2, 3), minidl.zeros(2, 2, 3)))
    with pytest.raises(ShapeError, match=r"lstm: expected c_0 \(2, 2, 3\), got \(2, 3\)"):
        model(x, (minidl.zeros(2, 2, 3), minidl.zeros(2, 3)))
    with pytest.raises(DTypeError, match="expected h_0 of dtype float32"):
        nn.GRU(4, 3)(x, minidl.zeros(1, 2, 3, dtype=minidl.float64))
    with pytest.raises(DTypeError, match="weights must have the input's dtype float64"):
        nn.RNN(4, 3)(x.double())
    with pytest.raises(ValueError, match=r"expected hx = \(h, c\)"):
        nn.LSTMCell(4, 3)(minidl.zeros(2, 4), minidl.zeros(2, 3))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="RNN: nonlinearity must be one of"):
        nn.RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="LSTM: hidden_size must be an int >= 1, got 0"):
        nn.LSTM(2, 0)
    with pytest.raises(ValueError, match=r"GRU: dropout must be a number in \[0, 1\]"):
        nn.GRU(2, 3, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="num_layers must be an int >= 1"):
        nn.GRU(2, 3, num_layers=0)


def test_functional_checks_weight_shapes():
    from minidl.functional import lstm

    w = (minidl.zeros(8, 3), minidl.zeros(8, 2), None, None)
    with pytest.raises(ShapeError, match=r"lstm: expected w_ih \(8, 4\) for inputs of size 4"):
        lstm(minidl.zeros(2, 1, 4), None, [w])
    with pytest.raises(ValueError, match="give both biases"):
        lstm(minidl.zeros(2, 1, 3), None, [(w[0], w[1], minidl.zeros(8), None)])
    with pytest.raises(ValueError, match="expected 2 weight tuples per layer, got 1"):
        lstm(minidl.zeros(2, 1, 3), None, [w], bidirectional=True)
