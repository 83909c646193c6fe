"""Elman RNN kernels, and what the LSTM and GRU kernels share.

One step of an Elman RNN (PyTorch's ``nn.RNNCell``)::

    h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh),   act = tanh or relu

Shapes: x (N, input_size), h and h' (N, hidden), w_ih (G·hidden, input_size),
w_hh (G·hidden, hidden), b_ih and b_hh (G·hidden,) or None, where G is the number
of gates (1 here, 4 for the LSTM, 3 for the GRU).

Two levels of kernels:

* **cell slots** (``rnn_cell_forward``/``rnn_cell_backward``): one time step,
  plain NumPy, the functions a learner's exercise replaces;
* **sequence kernels** (``rnn_forward``/``rnn_backward``): the whole sequence
  (L, N, input_size) and backpropagation through time, arranged for speed: the
  input projection x_t W_ihᵀ of *all* time steps is one big GEMM before the time
  loop, each step does one GEMM h W_hhᵀ, and the weight gradients are one GEMM
  each after the loop, summing over time and batch together. ``rnn_backward`` is a
  slot as well (exercise 4.9 writes BPTT itself, on top of the learner's cell).

When a learner's version of any cell slot of a family is installed (see
:func:`cells_overridden`), the sequence kernels of that family run step by step
through the cell slots instead, so the layers ``nn.RNN``/``nn.LSTM``/``nn.GRU``
train with the learner's cells.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minidl.kernels.slots import slot

NONLINEARITIES = ("tanh", "relu")


def cells_overridden(*dispatchers: Callable[..., Any]) -> bool:
    """True when a learner's function is installed in any of these slot dispatchers."""
    return any(d.slot.override is not None for d in dispatchers)  # type: ignore[attr-defined]


def linear_rows(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """x Wᵀ + b for x (..., in), w (out, in), b (out,) or None: one GEMM over all rows."""
    out = (x.reshape(-1, x.shape[-1]) @ w.T).reshape(*x.shape[:-1], w.shape[0])
    if b is not None:
        out += b
    return out


def summed_bias(b_ih: np.ndarray | None, b_hh: np.ndarray | None) -> np.ndarray | None:
    """b_ih + b_hh (both None for a layer without biases)."""
    return None if b_ih is None else b_ih + b_hh


def previous_states(h0: np.ndarray, states: np.ndarray) -> np.ndarray:
    """The state entering each step: (h0, h_1, …, h_{L-1}) from h0 (N, H) and states (L, N, H)."""
    return np.concatenate([h0[None], states[:-1]], axis=0)


def zero_param_grads(w_ih: np.ndarray, w_hh: np.ndarray) -> list[np.ndarray]:
    """Zeros to accumulate [dL/dW_ih, dL/dW_hh, dL/db_ih, dL/db_hh] in, step by step."""
    bias = np.zeros(w_hh.shape[0], dtype=w_hh.dtype)
    return [np.zeros_like(w_ih), np.zeros_like(w_hh), bias, bias.copy()]


def accumulate(totals: list[np.ndarray], step: list[np.ndarray]) -> None:
    """totals[k] += step[k] for each parameter gradient (summing BPTT steps in place)."""
    for total, part in zip(totals, step, strict=True):
        total += part


def weight_grads(
    grad_gi: np.ndarray, grad_gh: np.ndarray, x: np.ndarray, h_prev: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Σ over time and batch of the per-step gradients of gi = x W_ihᵀ + b_ih, gh = h W_hhᵀ + b_hh.

    grad_gi, grad_gh (L, N, G·H) = dL/dgi, dL/dgh (the same array for the RNN and LSTM,
    where only gi + gh is used); x (L, N, I); h_prev (L, N, H), the state entering each step.
    Returns dL/dW_ih = Σ grad_giᵀ x (G·H, I), dL/dW_hh = Σ grad_ghᵀ h_prev (G·H, H),
    dL/db_ih = Σ grad_gi and dL/db_hh = Σ grad_gh (G·H,), one GEMM or sum each over L·N rows.
    """
    gi = grad_gi.reshape(-1, grad_gi.shape[-1])
    gh = grad_gh.reshape(-1, grad_gh.shape[-1])
    return (gi.T @ x.reshape(-1, x.shape[-1]), gh.T @ h_prev.reshape(-1, h_prev.shape[-1]),
            gi.sum(axis=0), gh.sum(axis=0))


def _activate(pre: np.ndarray, nonlinearity: str, out: np.ndarray | None = None) -> np.ndarray:
    """tanh(pre) or max(pre, 0), into ``out`` when given."""
    return np.tanh(pre, out=out) if nonlinearity == "tanh" else np.maximum(pre, 0, out=out)


def _activation_grad(grad: np.ndarray, out: np.ndarray, nonlinearity: str) -> np.ndarray:
    """grad · act'(pre), written with the output: tanh' = 1 − out², relu' = [out > 0]."""
    return grad * (1 - out * out) if nonlinearity == "tanh" else grad * (out > 0)


@slot
def rnn_cell_forward(
    x: np.ndarray,
    h: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
    nonlinearity: str,
) -> np.ndarray:
    """One Elman RNN step: h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).

    x (N, I), h (N, H), w_ih (H, I), w_hh (H, H), b_ih and b_hh (H,) or both None;
    nonlinearity "tanh" or "relu". Returns h' (N, H).
    """
    pre = x @ w_ih.T + h @ w_hh.T
    if b_ih is not None:
        pre = pre + b_ih + b_hh
    return _activate(pre, nonlinearity)


@slot
def rnn_cell_backward(
    grad_h_new: np.ndarray,
    x: np.ndarray,
    h: np.ndarray,
    h_new: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    nonlinearity: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of one Elman RNN step, given dL/dh' (N, H) and what forward saw and made.

    With a = dL/dh' ⊙ act'(pre) (tanh' = 1 − h'², relu' = [h' > 0]):
    dL/dx = a W_ih (N, I), dL/dh = a W_hh (N, H), dL/dW_ih = aᵀ x (H, I),
    dL/dW_hh = aᵀ h (H, H), dL/db_ih = dL/db_hh = Σ_N a (H,).
    Returns (grad_x, grad_h, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh).
    """
    a = _activation_grad(grad_h_new, h_new, nonlinearity)
    grad_b = a.sum(axis=0)
    return a @ w_ih, a @ w_hh, a.T @ x, a.T @ h, grad_b, grad_b.copy()


def rnn_forward(
    x: np.ndarray,
    h0: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
    nonlinearity: str,
) -> np.ndarray:
    """An Elman RNN over a sequence: x (L, N, I), h0 (N, H) → output (L, N, H).

    output[t] = h_{t+1} = act(x_t W_ihᵀ + h_t W_hhᵀ + b_ih + b_hh); h_n is output[-1].
    """
    steps = x.shape[0]
    out = np.empty((steps, *h0.shape), dtype=h0.dtype)
    h = h0
    if cells_overridden(rnn_cell_forward, rnn_cell_backward):
        for t in range(steps):
            h = out[t] = rnn_cell_forward(x[t], h, w_ih, w_hh, b_ih, b_hh, nonlinearity)
        return out
    xw = linear_rows(x, w_ih, summed_bias(b_ih, b_hh))
    w_hh_t = w_hh.T
    for t in range(steps):
        h = np.matmul(h, w_hh_t, out=out[t])
        h += xw[t]
        _activate(h, nonlinearity, out=h)
    return out


@slot(hints=("needs_input_grad",))
def rnn_backward(
    grad_output: np.ndarray,
    grad_h_n: np.ndarray,
    x: np.ndarray,
    h0: np.ndarray,
    output: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    nonlinearity: str,
    needs_input_grad: bool = True,
) -> tuple[np.ndarray | None, ...]:
    """Backpropagation through time for :func:`rnn_forward`.

    grad_output (L, N, H) = dL/d output, grad_h_n (N, H) = dL/dh_n (which is output[-1]).
    Returns (grad_x (L, N, I), grad_h0 (N, H), grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh);
    grad_x may be None when ``needs_input_grad`` is false (the input is data).
    """
    h_prev = previous_states(h0, output)
    dh = grad_h_n
    if cells_overridden(rnn_cell_forward, rnn_cell_backward):
        grads = zero_param_grads(w_ih, w_hh)
        grad_x = np.empty_like(x)
        for t in reversed(range(x.shape[0])):
            grad_x[t], dh, *step = rnn_cell_backward(
                grad_output[t] + dh, x[t], h_prev[t], output[t], w_ih, w_hh, nonlinearity)
            accumulate(grads, step)
        return (grad_x, dh, *grads)
    grad_pre = np.empty_like(output)
    for t in reversed(range(x.shape[0])):
        grad_pre[t] = _activation_grad(grad_output[t] + dh, output[t], nonlinearity)
        dh = grad_pre[t] @ w_hh
    grad_x = linear_rows(grad_pre, w_ih.T, None) if needs_input_grad else None
    return (grad_x, dh, *weight_grads(grad_pre, grad_pre, x, h_prev))
