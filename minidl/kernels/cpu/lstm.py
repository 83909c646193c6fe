"""LSTM kernels: one cell step (slots) and the whole sequence (fused, for speed).

One LSTM step, PyTorch's gate layout (i, f, g, o stacked along the 4·H rows of
the weights)::

    [i | f | g | o] = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh          (N, 4H) pre-activations
    i = σ(·), f = σ(·), g = tanh(·), o = σ(·)
    c' = f ⊙ c + i ⊙ g
    h' = o ⊙ tanh(c')

Shapes: x (N, I), h, c, h', c' (N, H), w_ih (4H, I), w_hh (4H, H), b_ih, b_hh (4H,)
or None. The *gates cache* is the (N, 4H) array of activated gates [i | f | g | o];
backward needs it with x, h, c and c'.

The elementwise maths of a step (four activations, c' and h') is fused into a few
passes over (N, 4H) (see ``_step_forward``), shared by the cell slots and the
sequence kernels. See
:mod:`minidl.kernels.cpu.rnn` for how the sequence kernels are arranged and when
they route through the cell slots.
"""

from __future__ import annotations

import numba
import numpy as np

from minidl.kernels.cpu.rnn import (
    accumulate,
    cells_overridden,
    linear_rows,
    previous_states,
    summed_bias,
    weight_grads,
    zero_param_grads,
)
from minidl.kernels.slots import slot


@numba.njit(cache=True)
def _scaled_preactivations(gi, gh, gates):  # pragma: no cover - compiled
    """gates = (gi + gh) ⊙ [½ | ½ | 1 | ½] (N, 4H): the arguments of one tanh per gate."""
    rows, four_hidden = gates.shape
    hidden = four_hidden // 4
    for n in range(rows):
        for k in range(four_hidden):
            pre = gi[n, k] + gh[n, k]
            gates[n, k] = pre if hidden * 2 <= k < hidden * 3 else 0.5 * pre


@numba.njit(cache=True)
def _cell_update(gates, c, c_new):  # pragma: no cover - compiled
    """Given tanh of the scaled pre-activations in ``gates``: σ(x) = ½ + ½·tanh(x/2) for
    i, f, o (g is already tanh), then c' = f ⊙ c + i ⊙ g. Writes gates and c' in place."""
    rows, hidden = c.shape
    for n in range(rows):
        for j in range(hidden):
            i = 0.5 + 0.5 * gates[n, j]
            f = 0.5 + 0.5 * gates[n, hidden + j]
            gates[n, j] = i
            gates[n, hidden + j] = f
            gates[n, 3 * hidden + j] = 0.5 + 0.5 * gates[n, 3 * hidden + j]
            c_new[n, j] = f * c[n, j] + i * gates[n, 2 * hidden + j]


def _step_forward(gi, gh, c, gates, c_new, h_new):  # noqa: ANN001, ANN202
    """One step's elementwise maths, written into gates (N, 4H), c' and h' (N, H).

    The activations are NumPy's vectorised (SIMD) tanh over the whole block, with
    σ(x) = ½ + ½·tanh(x/2); a scalar ``math.tanh`` inside a Numba loop measured about
    50× slower. The arithmetic around them is fused into two Numba passes.
    """
    _scaled_preactivations(gi, gh, gates)
    np.tanh(gates, out=gates)
    _cell_update(gates, c, c_new)
    np.tanh(c_new, out=h_new)
    h_new *= gates[:, 3 * c.shape[1]:]


@numba.njit(cache=True)
def _gates_backward(grad_h, grad_c_new, gates, c, tanh_c, grad_pre, grad_c):  # pragma: no cover
    """dL/dh', dL/dc' (N, H) → dL/d(pre-activations) (N, 4H) and dL/dc (N, H), in place."""
    rows, hidden = c.shape
    for n in range(rows):
        for j in range(hidden):
            i = gates[n, j]
            f = gates[n, hidden + j]
            g = gates[n, 2 * hidden + j]
            o = gates[n, 3 * hidden + j]
            t = tanh_c[n, j]
            dc = grad_c_new[n, j] + grad_h[n, j] * o * (1.0 - t * t)
            grad_pre[n, j] = dc * g * i * (1.0 - i)
            grad_pre[n, hidden + j] = dc * c[n, j] * f * (1.0 - f)
            grad_pre[n, 2 * hidden + j] = dc * i * (1.0 - g * g)
            grad_pre[n, 3 * hidden + j] = grad_h[n, j] * t * o * (1.0 - o)
            grad_c[n, j] = dc * f


@slot
def lstm_cell_forward(
    x: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One LSTM step (see the module docstring for the maths).

    x (N, I), h and c (N, H), w_ih (4H, I), w_hh (4H, H), b_ih and b_hh (4H,) or both None.
    Returns (h' (N, H), c' (N, H), gates (N, 4H) = the activated [i | f | g | o]).
    """
    gates = np.empty((h.shape[0], w_hh.shape[0]), dtype=h.dtype)
    c_new, h_new = np.empty_like(c), np.empty_like(h)
    _step_forward(linear_rows(x, w_ih, summed_bias(b_ih, b_hh)), h @ w_hh.T,
                  np.ascontiguousarray(c), gates, c_new, h_new)
    return h_new, c_new, gates


def _step_backward(grad_h_new, grad_c_new, gates, c, c_new, grad_pre=None):  # noqa: ANN001, ANN202
    """Run :func:`_gates_backward` on contiguous inputs; returns (grad_pre, grad_c)."""
    grad_pre = np.empty_like(gates) if grad_pre is None else grad_pre
    grad_c = np.empty_like(c_new)
    _gates_backward(*(np.ascontiguousarray(a) for a in (grad_h_new, grad_c_new, gates, c)),
                    np.tanh(c_new), grad_pre, grad_c)
    return grad_pre, grad_c


@slot
def lstm_cell_backward(
    grad_h_new: np.ndarray,
    grad_c_new: np.ndarray,
    x: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    c_new: np.ndarray,
    gates: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Gradients of one LSTM step, given dL/dh' and dL/dc' (N, H) and the forward's values.

    With t = tanh(c'):  dc' += dL/dh' ⊙ o ⊙ (1 − t²), then through the pre-activations
    di = dc'⊙g⊙i(1−i), df = dc'⊙c⊙f(1−f), dg = dc'⊙i⊙(1−g²), do = dL/dh'⊙t⊙o(1−o),
    a = [di | df | dg | do] (N, 4H):  dL/dx = a W_ih, dL/dh = a W_hh, dL/dc = dc' ⊙ f,
    dL/dW_ih = aᵀ x, dL/dW_hh = aᵀ h, dL/db_ih = dL/db_hh = Σ_N a.
    Returns (grad_x, grad_h, grad_c, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh).
    """
    a, grad_c = _step_backward(grad_h_new, grad_c_new, gates, c, c_new)
    grad_b = a.sum(axis=0)
    return a @ w_ih, a @ w_hh, grad_c, a.T @ x, a.T @ h, grad_b, grad_b.copy()


def lstm_forward(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """An LSTM over a sequence: x (L, N, I), h0 and c0 (N, H).

    Returns (output (L, N, H) = h_1 … h_L, h_n, c_n, cache) where cache =
    (cells (L, N, H) = c_1 … c_L, gates (L, N, 4H)) is what :func:`lstm_backward` needs.
    """
    steps, (rows, hidden) = x.shape[0], h0.shape
    out = np.empty((steps, rows, hidden), dtype=h0.dtype)
    cells = np.empty_like(out)
    gates = np.empty((steps, rows, 4 * hidden), dtype=h0.dtype)
    h, c = h0, c0
    if cells_overridden(lstm_cell_forward, lstm_cell_backward):
        for t in range(steps):
            h, c, gates[t] = lstm_cell_forward(x[t], h, c, w_ih, w_hh, b_ih, b_hh)
            out[t], cells[t] = h, c
    else:
        xw = linear_rows(x, w_ih, summed_bias(b_ih, b_hh))
        w_hh_t = w_hh.T
        h, c = np.ascontiguousarray(h), np.ascontiguousarray(c)
        for t in range(steps):
            _step_forward(xw[t], h @ w_hh_t, c, gates[t], cells[t], out[t])
            h, c = out[t], cells[t]
    return out, out[-1].copy(), cells[-1].copy(), (cells, gates)


def lstm_backward(
    grad_output: np.ndarray,
    grad_h_n: np.ndarray,
    grad_c_n: np.ndarray,
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    output: np.ndarray,
    cache: tuple[np.ndarray, np.ndarray],
    w_ih: np.ndarray,
    w_hh: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Backpropagation through time for :func:`lstm_forward`.

    grad_output (L, N, H), grad_h_n and grad_c_n (N, H). Returns (grad_x (L, N, I),
    grad_h0, grad_c0 (N, H), grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh).
    """
    cells, gates = cache
    h_prev, c_prev = previous_states(h0, output), previous_states(c0, cells)
    dh, dc = grad_h_n, grad_c_n
    if cells_overridden(lstm_cell_forward, lstm_cell_backward):
        grads = zero_param_grads(w_ih, w_hh)
        grad_x = np.empty_like(x)
        for t in reversed(range(x.shape[0])):
            grad_x[t], dh, dc, *step = lstm_cell_backward(
                grad_output[t] + dh, dc, x[t], h_prev[t], c_prev[t], cells[t], gates[t],
                w_ih, w_hh)
            accumulate(grads, step)
        return (grad_x, dh, dc, *grads)
    grad_pre = np.empty_like(gates)
    for t in reversed(range(x.shape[0])):
        _, dc = _step_backward(grad_output[t] + dh, dc, gates[t], c_prev[t], cells[t],
                               grad_pre[t])
        dh = grad_pre[t] @ w_hh
    return (linear_rows(grad_pre, w_ih.T, None), dh, dc,
            *weight_grads(grad_pre, grad_pre, x, h_prev))
