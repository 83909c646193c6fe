"""Chapter 4 demos: gradients through time, LSTM gates along a text, sampling temperature.

==========================  ==================================================================
``hidden_gradient_norms``   ‖∂L/∂h_t‖ for every step of a cell run over a sequence
``gradient_flow_explorer``  sliders: sequence length, recurrent-weight scale, forget-gate bias
``lstm_gate_trace``         an LSTM layer's gates, step by step, on one input sequence
``gate_viewer``             choose a text and a gate; see the gate's activity under each char
``temperature_sampler``     a temperature slider over a language model's samples
==========================  ==================================================================

Like every demo, each returns a live ipywidgets box in a Jupyter frontend and a static
figure otherwise (see :mod:`minidl.widgets`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

import minidl
from minidl import nn
from minidl.errors import ShapeError, fmt_shape
from minidl.kernels.cpu.lstm import lstm_cell_forward
from minidl.viz.sequences import plot_gate_activity, plot_gradient_norms
from minidl.widgets.controls import Choice, Slider, interactive_figure

#: the blocks of the LSTM gates cache [i | f | g | o] and what the viewer calls them
GATE_NAMES = ("input gate i", "forget gate f", "candidate g", "output gate o")


def hidden_gradient_norms(cell: nn.Module, inputs: Any, seed: int = 0) -> np.ndarray:
    """Run ``cell`` (an ``RNNCell``, ``GRUCell`` or ``LSTMCell``) over ``inputs`` (T, N, I)
    from a zero state, take the loss L = Σ v ⊙ h_T for a fixed random v, and return
    ‖∂L/∂h_t‖ for t = 1 … T (shape (T,)): how much of the gradient reaches each step.

    Each h_t is a non-leaf tensor; ``retain_grad()`` keeps its ``.grad`` after backward.
    """
    x = inputs if isinstance(inputs, minidl.Tensor) else minidl.tensor(np.asarray(inputs))
    if x.ndim != 3 or x.shape[2] != cell.input_size:
        raise ShapeError(f"hidden_gradient_norms: expected inputs (T, N, {cell.input_size}), "
                         f"got {fmt_shape(x.shape)}")
    lstm = isinstance(cell, nn.LSTMCell)
    zeros = minidl.zeros(x.shape[1], cell.hidden_size, dtype=x.dtype)
    h, c = zeros, zeros
    states = []
    for t in range(x.shape[0]):
        if lstm:
            h, c = cell(x[t], (h, c))
        else:
            h = cell(x[t], h)
        h.retain_grad()
        states.append(h)
    v = np.random.default_rng(seed).standard_normal(h.shape).astype(h.dtype)
    (h * minidl.tensor(v)).sum().backward()
    return np.array([np.linalg.norm(s.grad.numpy()) for s in states])


def _orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _scaled_cells(hidden: int, scale: float, forget_bias: float, seed: int
                  ) -> tuple[nn.RNNCell, nn.LSTMCell]:
    """An RNN cell and an LSTM cell whose recurrent matrices are ``scale`` × orthogonal
    (so every singular value is ``scale``), with the LSTM's forget-gate biases set so that
    b_ih + b_hh = ``forget_bias`` in the forget block."""
    minidl.manual_seed(seed)
    rng = np.random.default_rng(seed)
    rnn, lstm = nn.RNNCell(1, hidden), nn.LSTMCell(1, hidden)
    with minidl.no_grad():
        rnn.weight_hh.data = (scale * _orthogonal(hidden, rng)).astype(np.float32)
        blocks = [scale * _orthogonal(hidden, rng) for _ in range(4)]
        lstm.weight_hh.data = np.concatenate(blocks).astype(np.float32)
        lstm.bias_ih.data[hidden : 2 * hidden] = forget_bias
        lstm.bias_hh.data[hidden : 2 * hidden] = 0.0
    return rnn, lstm


def gradient_flow_explorer(seq_len: int = 60, scale: float = 1.0, forget_bias: float = 3.0,
                           hidden: int = 32, seed: int = 0) -> Any:
    """Vanishing and exploding gradients, live: ‖∂L/∂h_t‖ for a vanilla RNN and an LSTM.

    Both cells read the same random sequence (T = ``seq_len``, batch 8, 1 feature); the
    loss reads only h_T. Sliders: the sequence length, the scale s of the recurrent weights
    (W_hh = s · an orthogonal matrix: for the RNN each step multiplies the gradient by
    W_hhᵀ diag(1 − h²), so it shrinks like s^t for s < 1 and can grow for s > 1) and the
    LSTM's forget-gate bias b_f (the cell path multiplies the gradient by f = σ(· + b_f)).
    """
    fig = Figure(figsize=(7.0, 3.8), layout="constrained")
    ax = fig.add_subplot()

    def draw(seq_len: float, scale: float, forget_bias: float) -> None:
        rnn, lstm = _scaled_cells(hidden, scale, forget_bias, seed)
        x = np.random.default_rng(seed + 1).standard_normal((int(seq_len), 8, 1))
        norms = {"vanilla RNN (tanh)": hidden_gradient_norms(rnn, x.astype(np.float32)),
                 "LSTM": hidden_gradient_norms(lstm, x.astype(np.float32))}
        ax.clear()
        ratio = {k: v[0] / v[-1] for k, v in norms.items()}
        plot_gradient_norms(norms, ax=ax, title=(
            f"T = {int(seq_len)}, s = {scale:g}, b_f = {forget_bias:g}:  ‖∂L/∂h₁‖ / ‖∂L/∂h_T‖ "
            f"= {ratio['vanilla RNN (tanh)']:.1e} (RNN), {ratio['LSTM']:.1e} (LSTM)"))
        ax.title.set_fontsize(9)

    return interactive_figure(fig, draw, {
        "seq_len": Slider("sequence length T", 5, 200, 5, seq_len),
        "scale": Slider("recurrent weight scale s", 0.25, 3.0, 0.05, scale),
        "forget_bias": Slider("LSTM forget bias b_f", -2.0, 6.0, 0.5, forget_bias),
    })


def lstm_gate_trace(lstm: nn.LSTM, inputs: Any) -> dict[str, np.ndarray]:
    """The first layer of ``lstm`` run step by step on one sequence ``inputs`` (T, I).

    Returns a dict of (T, H) arrays: the four gates under the names of :data:`GATE_NAMES`,
    ``"cell state c"`` and ``"hidden state h"``.
    """
    x = np.asarray(inputs.detach().numpy() if isinstance(inputs, minidl.Tensor) else inputs)
    if x.ndim != 2 or x.shape[1] != lstm.input_size:
        raise ShapeError(f"lstm_gate_trace: expected inputs (T, {lstm.input_size}), got "
                         f"{fmt_shape(x.shape)}")
    w_ih, w_hh = lstm.weight_ih_l0.data.numpy(), lstm.weight_hh_l0.data.numpy()
    b_ih = lstm.bias_ih_l0.data.numpy() if lstm.bias else None
    b_hh = lstm.bias_hh_l0.data.numpy() if lstm.bias else None
    hidden = lstm.hidden_size
    h = c = np.zeros((1, hidden), dtype=w_hh.dtype)
    rows: dict[str, list[np.ndarray]] = {k: [] for k in (*GATE_NAMES, "cell state c",
                                                         "hidden state h")}
    for t in range(len(x)):
        h, c, gates = lstm_cell_forward(x[t : t + 1].astype(w_hh.dtype), h, c, w_ih, w_hh,
                                        b_ih, b_hh)
        for k, name in enumerate(GATE_NAMES):
            rows[name].append(gates[0, k * hidden : (k + 1) * hidden])
        rows["cell state c"].append(c[0])
        rows["hidden state h"].append(h[0])
    return {k: np.array(v) for k, v in rows.items()}


def gate_viewer(texts: Sequence[str], trace: Callable[[str], Mapping[str, np.ndarray]],
                units: int = 16) -> Any:
    """Choose a text and a gate; see that gate's activation for the first ``units`` units
    (rows) at every character (columns). ``trace(text)`` returns the arrays of
    :func:`lstm_gate_trace` for that text (computed once per text)."""
    if not texts:
        raise ValueError("gate_viewer: expected at least one text")
    cache: dict[str, Mapping[str, np.ndarray]] = {}
    fig = Figure(figsize=(9.5, 3.4), layout="constrained")
    names = (*GATE_NAMES, "cell state c")

    def draw(text: str, gate: str) -> None:
        if text not in cache:
            cache[text] = trace(text)
        values = cache[text][gate][:, :units]
        fig.clear()
        signed = gate in ("candidate g", "cell state c")
        limit = float(max(1.0, np.abs(values).max())) if gate == "cell state c" else 1.0
        plot_gate_activity(values, list(text), ax=fig.add_subplot(), title=f"{gate} on "
                           f"{text!r}", vmin=-limit if signed else 0.0, vmax=limit,
                           cmap="RdBu_r" if signed else "viridis")

    return interactive_figure(fig, draw, {
        "text": Choice("text", tuple(texts), texts[0]),
        "gate": Choice("gate", names, "forget gate f"),
    })


def temperature_sampler(sample: Callable[[float], Sequence[str]], temperature: float = 1.0,
                        max_temperature: float = 2.0) -> Any:
    """A temperature slider; the figure lists ``sample(T)``, e.g. generated words.

    ``sample`` should draw from a fixed seed so that a setting always shows the same lines.
    """
    fig = Figure(figsize=(8.0, 3.6), layout="constrained")
    ax = fig.add_subplot()

    def draw(temperature: float) -> None:
        lines = list(sample(temperature))
        # Room for the two columns of lines (about 0.19 in per line) and the title.
        fig.set_figheight(max(1.5, 0.19 * ((len(lines) + 1) // 2) + 0.5))
        ax.clear()
        ax.axis("off")
        ax.set_title(f"temperature T = {temperature:g}"
                     + ("  (greedy: always the most likely character)" if temperature == 0
                        else ""), fontsize=11)
        half = (len(lines) + 1) // 2
        for col, chunk in enumerate((lines[:half], lines[half:])):
            ax.text(0.02 + 0.5 * col, 0.95, "\n".join(chunk), family="monospace", fontsize=11,
                    va="top", transform=ax.transAxes)

    return interactive_figure(fig, draw, {
        "temperature": Slider("temperature T", 0.0, max_temperature, 0.1, temperature),
    })
