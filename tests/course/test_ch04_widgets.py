"""Chapter 4 plots (minidl.viz.sequences) and demos (minidl.widgets.recurrent)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import minidl
from minidl import nn
from minidl.errors import ShapeError
from minidl.viz.sequences import (
    draw_unrolled_rnn,
    plot_forecast,
    plot_gate_activity,
    plot_gradient_norms,
    plot_loss_curves,
)
from minidl.widgets.recurrent import (
    GATE_NAMES,
    gate_viewer,
    gradient_flow_explorer,
    hidden_gradient_norms,
    lstm_gate_trace,
    temperature_sampler,
)


@pytest.fixture
def static(monkeypatch):
    monkeypatch.setenv("MINIDL_WIDGETS", "static")


@pytest.fixture
def live(monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.setenv("MINIDL_WIDGETS", "live")


def scalar_rnn(a: float) -> nn.RNNCell:
    """A 1-unit RNN cell h' = tanh(0·x + a·h): from h = 0 it stays at 0, where tanh' = 1."""
    cell = nn.RNNCell(1, 1)
    with minidl.no_grad():
        cell.weight_ih.data[:] = 0.0
        cell.weight_hh.data[:] = a
        cell.bias_ih.data[:] = 0.0
        cell.bias_hh.data[:] = 0.0
    return cell


@pytest.mark.parametrize("a", [0.5, 1.5])
def test_hidden_gradient_norms_are_powers_of_the_recurrent_weight(a):
    # L = v·h_T and h_t = a·h_{t−1} in the linear regime: ∂L/∂h_t = v·a^(T−t)
    v = abs(np.random.default_rng(3).standard_normal((1, 1))[0, 0])
    got = hidden_gradient_norms(scalar_rnn(a), np.ones((6, 1, 1), dtype=np.float32), seed=3)
    want = v * a ** np.arange(5, -1, -1)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_hidden_gradient_norms_without_recurrence_reach_only_the_last_step():
    got = hidden_gradient_norms(scalar_rnn(0.0), np.ones((4, 2, 1), dtype=np.float32))
    assert np.all(got[:-1] == 0) and got[-1] > 0


def test_hidden_gradient_norms_runs_an_lstm_cell_and_checks_shapes():
    cell = nn.LSTMCell(2, 3)
    norms = hidden_gradient_norms(cell, np.ones((5, 2, 2), dtype=np.float32))
    assert norms.shape == (5,) and np.all(norms > 0)
    with pytest.raises(ShapeError, match="hidden_gradient_norms"):
        hidden_gradient_norms(cell, np.ones((5, 2), dtype=np.float32))


def test_lstm_gate_trace_agrees_with_the_lstm_layer():
    minidl.manual_seed(1)
    lstm = nn.LSTM(3, 4)
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    trace = lstm_gate_trace(lstm, x)
    out, (h_n, c_n) = lstm(minidl.tensor(x[:, None, :]))
    out, c_n = out.detach().numpy(), c_n.detach().numpy()
    np.testing.assert_allclose(trace["hidden state h"], out[:, 0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(trace["cell state c"][-1], c_n[0, 0], rtol=1e-5, atol=1e-6)
    assert set(trace) == {*GATE_NAMES, "cell state c", "hidden state h"}
    for name in ("input gate i", "forget gate f", "output gate o"):
        assert trace[name].shape == (6, 4) and np.all((trace[name] > 0) & (trace[name] < 1))


def test_lstm_gate_trace_zero_weights():
    lstm = nn.LSTM(2, 3)
    with minidl.no_grad():
        for p in lstm.parameters():
            p.data[...] = 0.0
    trace = lstm_gate_trace(lstm, np.ones((4, 2)))
    assert np.all(trace["forget gate f"] == 0.5) and np.all(trace["candidate g"] == 0)
    assert np.all(trace["cell state c"] == 0)
    with pytest.raises(ShapeError, match="lstm_gate_trace"):
        lstm_gate_trace(lstm, np.ones((4, 3)))


def demos():
    lstm = nn.LSTM(1, 5)
    return [
        lambda: gradient_flow_explorer(seq_len=10, hidden=4),
        lambda: gate_viewer(["ab", "abc"], lambda s: lstm_gate_trace(lstm, np.ones((len(s), 1)))),
        lambda: temperature_sampler(lambda t: [f"sample at {t:.1f}"] * 3),
    ]


@pytest.mark.parametrize("index", range(3))
def test_demos_are_static_figures_without_a_frontend(static, index):
    assert isinstance(demos()[index](), Figure)


@pytest.mark.parametrize("index", range(3))
def test_demos_are_widgets_with_a_frontend(live, index):
    import ipywidgets as W

    box = demos()[index]()
    assert isinstance(box, W.VBox)
    assert isinstance(box.children[-1], W.Image) and box.children[-1].value[:4] == b"\x89PNG"


def test_temperature_sampler_shows_the_samples(static):
    fig = temperature_sampler(lambda t: ["alpha", "beta", f"T{t:g}"], temperature=0.5)
    texts = "".join(t.get_text() for t in fig.axes[0].texts)
    assert "alpha" in texts and "T0.5" in texts


def test_plots_return_figures_and_validate():
    assert isinstance(draw_unrolled_rnn(3), Figure)
    labels = [text.get_text() for text in draw_unrolled_rnn(3).axes[0].texts]
    # the notebook's notation: PyTorch's W_ih (not W_xh), transposed in the formula
    assert not any("xh" in label for label in labels)
    assert any(r"x_t W_{ih}^\top" in label and r"h_{t-1} W_{hh}^\top" in label for label in labels)
    with pytest.raises(ValueError):
        draw_unrolled_rnn(0)
    fig = plot_gradient_norms({"a": np.array([1.0, 0.1]), "b": [1.0, 2.0]})
    assert [line.get_label() for line in fig.axes[0].lines] == ["a", "b"]
    with pytest.raises(ShapeError):
        plot_gradient_norms({"a": np.ones((2, 2))})
    fig = plot_forecast(np.arange(10.0), np.arange(3.0), start=5, rollout=np.ones(4))
    assert len(fig.axes[0].lines) == 4  # truth, predictions, rollout, the rollout marker
    assert isinstance(plot_gate_activity(np.zeros((3, 2)), ["a", "b", " "]), Figure)
    with pytest.raises(ShapeError):
        plot_gate_activity(np.zeros((3, 2)), ["a"])


def test_forecast_puts_every_curve_at_its_time_steps():
    series = np.arange(10.0)
    fig = plot_forecast(series, 10 + np.arange(4.0), start=6, rollout=20 + np.arange(3.0),
                        rollout_start=6, t0=100, clean=series / 2, train_end=106, window=2)
    ax = fig.axes[0]
    by_label = {line.get_label(): line for line in ax.lines}
    np.testing.assert_array_equal(by_label["measured signal (noisy)"].get_xdata(),
                                  np.arange(100, 110))
    np.testing.assert_array_equal(by_label["clean signal"].get_ydata(), series / 2)
    np.testing.assert_array_equal(
        by_label["one step ahead (from the true past)"].get_xdata(), [106, 107, 108, 109])
    rollout = next(line for label, line in by_label.items() if label.startswith("rollout"))
    assert rollout.get_label().startswith("rollout: 3 steps from t = 106")
    np.testing.assert_array_equal(rollout.get_xdata(), [106, 107, 108])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "training data (t < 106)" in legend
    assert "the 2 true values the rollout starts from" in legend
    assert ax.get_xlabel() == "time step t" and ax.get_xlim() == (100, 109)
    with pytest.raises(ShapeError, match="clean"):
        plot_forecast(series, series, start=0, clean=np.zeros(3))


def test_loss_curves_average_the_last_steps_and_draw_a_baseline():
    fig = plot_loss_curves({"a": [4.0, 2.0, 0.0, 2.0], "b": np.ones(4)}, smooth=2,
                           baseline=1.5, baseline_label="guess")
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.lines}
    np.testing.assert_array_equal(lines["a"].get_xdata(), [2, 3, 4])   # steps 2 … 4
    np.testing.assert_array_equal(lines["a"].get_ydata(), [3.0, 1.0, 1.0])
    assert lines["a"].get_linestyle() != lines["b"].get_linestyle()
    assert lines["a"].get_marker() in ("None", "", None)
    np.testing.assert_array_equal(lines["guess"].get_ydata(), [1.5, 1.5])
    assert ax.get_ylabel() == "loss (mean of the last 2 steps)"
    with pytest.raises(ShapeError, match="fewer than smooth=5"):
        plot_loss_curves({"a": [1.0, 2.0]}, smooth=5)
