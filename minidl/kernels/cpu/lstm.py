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


# The Numba passes below loop over one batch row at a time through 1-D views of each
# gate's block (``row[:H]``, ``row[H:2H]``, …): LLVM vectorises those loops, while the
# same maths indexed ``gates[n, 2·H + j]`` stayed scalar (measured 3.3× slower for the
# backward pass at N = 32, H = 128).
def _tanh_scale(four_hidden: int, dtype: np.dtype) -> np.ndarray:
    """[½ … ½ | ½ … ½ | 1 … 1 | ½ … ½] (4H,): σ(x) = ½ + ½·tanh(x/2), so pre-activations
    scaled like this give every gate from one tanh over the whole (N, 4H) block."""
    return np.repeat(np.array([0.5, 0.5, 1.0, 0.5], dtype), four_hidden // 4)


def _tanh_arguments(w: np.ndarray) -> np.ndarray:
    """Weights (4H, …) or a bias (4H,) with the rows of i, f and o halved (exactly: a power
    of two), so that the products they make are already scaled by :func:`_tanh_scale`."""
    scale = _tanh_scale(w.shape[0], w.dtype)
    return w * (scale if w.ndim == 1 else scale[:, None])


@numba.njit(cache=True)
def _cell_update(gates, c, c_new):  # pragma: no cover - compiled
    """Given tanh of the scaled pre-activations in ``gates``: σ(x) = ½ + ½·tanh(x/2) for
    i, f, o (g is already tanh), then c' = f ⊙ c + i ⊙ g. Writes gates and c' in place."""
    hidden = c.shape[1]
    for n in range(c.shape[0]):
        row, c_row, c_new_row = gates[n], c[n], c_new[n]
        i, f, g, o = (row[:hidden], row[hidden:2 * hidden], row[2 * hidden:3 * hidden],
                      row[3 * hidden:])
        for j in range(hidden):
            i[j] = 0.5 + 0.5 * i[j]
            f[j] = 0.5 + 0.5 * f[j]
            o[j] = 0.5 + 0.5 * o[j]
            c_new_row[j] = f[j] * c_row[j] + i[j] * g[j]


def _step_forward(pre, c, gates, c_new, h_new):  # noqa: ANN001, ANN202
    """One step's elementwise maths from ``pre`` (N, 4H), the pre-activations computed with
    :func:`_tanh_arguments` weights; writes gates (N, 4H), c' and h' (N, H).

    The activations are NumPy's vectorised (SIMD) tanh over the whole block; a scalar
    ``math.tanh`` inside a Numba loop measured about 50× slower. The arithmetic after
    them is one fused Numba pass.
    """
    np.tanh(pre, out=gates)
    _cell_update(gates, c, c_new)
    np.tanh(c_new, out=h_new)
    h_new *= gates[:, 3 * c.shape[1]:]


@numba.njit(cache=True)
def _gates_backward(grad_h, grad_c_new, gates, c, tanh_c, grad_pre, grad_c):  # pragma: no cover
    """dL/dh', dL/dc' (N, H) → dL/d(pre-activations) (N, 4H) and dL/dc (N, H), in place."""
    hidden = c.shape[1]
    for n in range(c.shape[0]):
        row, pre = gates[n], grad_pre[n]
        i, f, g, o = (row[:hidden], row[hidden:2 * hidden], row[2 * hidden:3 * hidden],
                      row[3 * hidden:])
        di, df, dg, do = (pre[:hidden], pre[hidden:2 * hidden], pre[2 * hidden:3 * hidden],
                          pre[3 * hidden:])
        dh, dc_new, c_row, t, dc_out = grad_h[n], grad_c_new[n], c[n], tanh_c[n], grad_c[n]
        for j in range(hidden):
            dc = dc_new[j] + dh[j] * o[j] * (1.0 - t[j] * t[j])
            di[j] = dc * g[j] * i[j] * (1.0 - i[j])
            df[j] = dc * c_row[j] * f[j] * (1.0 - f[j])
            dg[j] = dc * i[j] * (1.0 - g[j] * g[j])
            do[j] = dh[j] * t[j] * o[j] * (1.0 - o[j])
            dc_out[j] = dc * f[j]


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
    pre = linear_rows(x, w_ih, summed_bias(b_ih, b_hh)) + h @ w_hh.T
    pre *= _tanh_scale(w_hh.shape[0], pre.dtype)
    _step_forward(pre, np.ascontiguousarray(c), gates, c_new, h_new)
    return h_new, c_new, gates


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
    a, grad_c = np.empty_like(gates), np.empty_like(c_new)
    _gates_backward(*(np.ascontiguousarray(v) for v in (grad_h_new, grad_c_new, gates, c)),
                    np.tanh(c_new), a, grad_c)
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
        bias = summed_bias(b_ih, b_hh)
        xw = linear_rows(x, _tanh_arguments(w_ih), None if bias is None else _tanh_arguments(bias))
        w_hh_t = _tanh_arguments(w_hh).T
        h, c = np.ascontiguousarray(h), np.ascontiguousarray(c)
        for t in range(steps):
            pre = np.matmul(h, w_hh_t, out=gates[t])
            pre += xw[t]
            _step_forward(pre, c, gates[t], cells[t], out[t])
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
    needs_input_grad: bool = True,
) -> tuple[np.ndarray | None, ...]:
    """Backpropagation through time for :func:`lstm_forward`.

    grad_output (L, N, H), grad_h_n and grad_c_n (N, H). Returns (grad_x (L, N, I),
    grad_h0, grad_c0 (N, H), grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh); grad_x may be
    None when ``needs_input_grad`` is false (the input is data: one GEMM saved).
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
    grad_pre, tanh_cells = np.empty_like(gates), np.tanh(cells)
    dh_total, dc, dc_prev = np.empty_like(h0), np.ascontiguousarray(dc), np.empty_like(c0)
    for t in reversed(range(x.shape[0])):
        np.add(grad_output[t], dh, out=dh_total)
        _gates_backward(dh_total, dc, gates[t], c_prev[t], tanh_cells[t], grad_pre[t], dc_prev)
        dc, dc_prev = dc_prev, dc
        dh = grad_pre[t] @ w_hh
    grad_x = linear_rows(grad_pre, w_ih.T, None) if needs_input_grad else None
    return (grad_x, dh, dc, *weight_grads(grad_pre, grad_pre, x, h_prev))
