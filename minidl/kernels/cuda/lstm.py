"""LSTM kernels on the GPU: one cell step and the whole sequence.

The CUDA twins of :mod:`minidl.kernels.cpu.lstm` (gate layout [i | f | g | o], the
maths and the shapes are documented there). The matrix products are
:func:`~minidl.kernels.cuda.gemm.gemm` calls; a step's elementwise maths is one kernel
with **one thread per (sample n, hidden unit j)**, which reads the four pre-activations
of unit j, writes the activated gates, c' and h' (forward, :func:`_step`) or the four
pre-activation gradients and dL/dc (backward, :func:`_step_grad`).
"""

from __future__ import annotations

import math

from numba import cuda

from minidl.kernels.cuda.elementwise import copy, empty, sigmoid
from minidl.kernels.cuda.gemm import gemm
from minidl.kernels.cuda.launch import grid_for
from minidl.kernels.cuda.recurrent import (
    as_rows,
    linear_rows,
    previous_states,
    summed_bias,
    weight_grads,
)


@cuda.jit
def _step(pre_x, pre_h, c, gates, c_new, h_new):  # pragma: no cover - compiled
    """pre = pre_x + pre_h (N, 4H) → gates [σ(i) | σ(f) | tanh(g) | σ(o)], c' = f·c + i·g,
    h' = o·tanh(c')."""
    rows, hidden = c.shape
    for t in range(cuda.grid(1), rows * hidden, cuda.gridsize(1)):
        n = t // hidden
        j = t % hidden
        i = sigmoid(pre_x[n, j] + pre_h[n, j])
        f = sigmoid(pre_x[n, hidden + j] + pre_h[n, hidden + j])
        g = math.tanh(pre_x[n, 2 * hidden + j] + pre_h[n, 2 * hidden + j])
        o = sigmoid(pre_x[n, 3 * hidden + j] + pre_h[n, 3 * hidden + j])
        gates[n, j] = i
        gates[n, hidden + j] = f
        gates[n, 2 * hidden + j] = g
        gates[n, 3 * hidden + j] = o
        cell = f * c[n, j] + i * g
        c_new[n, j] = cell
        h_new[n, j] = o * math.tanh(cell)


@cuda.jit
def _step_grad(dh_a, dh_b, use_b, dc_new, gates, c, c_new, grad_pre, grad_c):  # pragma: no cover
    """dL/dh' = dh_a (+ dh_b when ``use_b``: the output's gradient plus the next step's)
    and dL/dc' (N, H) → dL/dpre (N, 4H) and dL/dc = dc'·f (N, H)."""
    rows, hidden = c.shape
    for t in range(cuda.grid(1), rows * hidden, cuda.gridsize(1)):
        n = t // hidden
        j = t % hidden
        i = gates[n, j]
        f = gates[n, hidden + j]
        g = gates[n, 2 * hidden + j]
        o = gates[n, 3 * hidden + j]
        tc = math.tanh(c_new[n, j])
        dh = dh_a[n, j] + dh_b[n, j] if use_b else dh_a[n, j]
        dc = dc_new[n, j] + dh * o * (1.0 - tc * tc)
        grad_pre[n, j] = dc * g * i * (1.0 - i)
        grad_pre[n, hidden + j] = dc * c[n, j] * f * (1.0 - f)
        grad_pre[n, 2 * hidden + j] = dc * i * (1.0 - g * g)
        grad_pre[n, 3 * hidden + j] = dh * tc * o * (1.0 - o)
        grad_c[n, j] = dc * f


def lstm_cell_forward(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step → (h' (N, H), c' (N, H), gates (N, 4H) = the activated [i | f | g | o])."""
    gates = empty((h.shape[0], w_hh.shape[0]), h.dtype)
    c_new, h_new = empty(c.shape, c.dtype), empty(h.shape, h.dtype)
    pre_x = linear_rows(x, w_ih, summed_bias(b_ih, b_hh))
    if h.size:
        _step[grid_for(h.size)](pre_x, gemm(h, w_hh, trans_b=True), c, gates, c_new, h_new)
    return h_new, c_new, gates


def lstm_cell_backward(grad_h_new, grad_c_new, x, h, c, c_new, gates, w_ih, w_hh):
    """→ (grad_x, grad_h, grad_c, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh) of one step."""
    a, grad_c = empty(gates.shape, gates.dtype), empty(c.shape, c.dtype)
    if h.size:
        _step_grad[grid_for(h.size)](grad_h_new, grad_h_new, False, grad_c_new, gates, c,
                                     c_new, a, grad_c)
    return (gemm(a, w_ih), gemm(a, w_hh), grad_c, *weight_grads(a, a, x, h))


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    """An LSTM over a sequence x (L, N, I) from h0, c0 (N, H).

    Returns (output (L, N, H), h_n, c_n, cache = (cells (L, N, H), gates (L, N, 4H))).
    """
    steps, (rows, hidden) = x.shape[0], h0.shape
    out = empty((steps, rows, hidden), h0.dtype)
    cells = empty((steps, rows, hidden), h0.dtype)
    gates = empty((steps, rows, 4 * hidden), h0.dtype)
    pre_x = linear_rows(x, w_ih, summed_bias(b_ih, b_hh))  # all steps' input projections
    h, c = h0, c0
    for t in range(steps):
        if h.size:
            _step[grid_for(h.size)](pre_x[t], gemm(h, w_hh, trans_b=True), c, gates[t],
                                    cells[t], out[t])
        h, c = out[t], cells[t]
    return out, copy(h), copy(c), (cells, gates)


def lstm_backward(grad_output, grad_h_n, grad_c_n, x, h0, c0, output, cache, w_ih, w_hh,
                  needs_input_grad: bool = True):
    """Backpropagation through time for :func:`lstm_forward`.

    Returns (grad_x (L, N, I) or None when ``needs_input_grad`` is false, grad_h0, grad_c0
    (N, H), grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh).
    """
    cells, gates = cache
    h_prev, c_prev = previous_states(h0, output), previous_states(c0, cells)
    grad_pre = empty(gates.shape, gates.dtype)
    dh, dc = grad_h_n, grad_c_n
    for t in reversed(range(x.shape[0])):
        dc_prev = empty(dc.shape, dc.dtype)
        if dc.size:
            _step_grad[grid_for(dc.size)](grad_output[t], dh, True, dc, gates[t], c_prev[t],
                                          cells[t], grad_pre[t], dc_prev)
        dh, dc = gemm(grad_pre[t], w_hh), dc_prev
    grad_x = None
    if needs_input_grad:
        grad_x = gemm(as_rows(grad_pre), w_ih).reshape(*x.shape)
    return (grad_x, dh, dc, *weight_grads(grad_pre, grad_pre, x, h_prev))
