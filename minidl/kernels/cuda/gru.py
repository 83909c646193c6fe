"""GRU kernels on the GPU: one cell step and the whole sequence.

The CUDA twins of :mod:`minidl.kernels.cpu.gru` (gate layout [r | z | n], the gates cache
[r | z | n | W_hn h + b_hn] (N, 4H) and the maths are documented there). The products
gi = x W_ihᵀ + b_ih and gh = h W_hhᵀ + b_hh are matmuls; a step's elementwise maths is one
kernel with **one thread per (sample n, hidden unit j)** (:func:`_step` forward,
:func:`_step_grad` backward). Shared helpers: :mod:`minidl.kernels.cuda.recurrent`.
"""

from __future__ import annotations

import math

from numba import cuda

from minidl.kernels.cuda.elementwise import add, copy, empty, sigmoid
from minidl.kernels.cuda.gemm import gemm
from minidl.kernels.cuda.launch import grid_for
from minidl.kernels.cuda.recurrent import as_rows, linear_rows, previous_states, weight_grads


@cuda.jit
def _step(gi, gh, h, gates, h_new):  # pragma: no cover - compiled
    """r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r·gh_n), h' = n + z·(h − n)."""
    rows, hidden = h.shape
    for t in range(cuda.grid(1), rows * hidden, cuda.gridsize(1)):
        n = t // hidden
        j = t % hidden
        r = sigmoid(gi[n, j] + gh[n, j])
        z = sigmoid(gi[n, hidden + j] + gh[n, hidden + j])
        hn = gh[n, 2 * hidden + j]
        cand = math.tanh(gi[n, 2 * hidden + j] + r * hn)
        gates[n, j] = r
        gates[n, hidden + j] = z
        gates[n, 2 * hidden + j] = cand
        gates[n, 3 * hidden + j] = hn
        h_new[n, j] = cand + z * (h[n, j] - cand)


@cuda.jit
def _step_grad(dh_a, dh_b, use_b, h, gates, grad_gi, grad_gh, grad_h):  # pragma: no cover
    """dL/dh' = dh_a (+ dh_b) → dL/dgi, dL/dgh (N, 3H) and the direct part z·dL/dh' of dL/dh."""
    rows, hidden = h.shape
    for t in range(cuda.grid(1), rows * hidden, cuda.gridsize(1)):
        n = t // hidden
        j = t % hidden
        r = gates[n, j]
        z = gates[n, hidden + j]
        cand = gates[n, 2 * hidden + j]
        dh = dh_a[n, j] + dh_b[n, j] if use_b else dh_a[n, j]
        d_cand = dh * (1.0 - z) * (1.0 - cand * cand)
        d_z = dh * (h[n, j] - cand) * z * (1.0 - z)
        d_r = d_cand * gates[n, 3 * hidden + j] * r * (1.0 - r)
        grad_gi[n, j] = d_r
        grad_gi[n, hidden + j] = d_z
        grad_gi[n, 2 * hidden + j] = d_cand
        grad_gh[n, j] = d_r
        grad_gh[n, hidden + j] = d_z
        grad_gh[n, 2 * hidden + j] = d_cand * r
        grad_h[n, j] = dh * z


def _forward_step(gi, h, w_hh, b_hh, gates, h_new):
    if h.size:
        _step[grid_for(h.size)](gi, linear_rows(h, w_hh, b_hh), h, gates, h_new)


def _backward_step(dh_a, dh_b, h, gates, w_hh, grad_gi, grad_gh):
    """Runs :func:`_step_grad` and returns the full dL/dh = z·dL/dh' + dgh W_hh."""
    direct = empty(h.shape, h.dtype)
    if h.size:
        _step_grad[grid_for(h.size)](dh_a, dh_a if dh_b is None else dh_b, dh_b is not None,
                                     h, gates, grad_gi, grad_gh, direct)
    return add(direct, gemm(grad_gh, w_hh), out=direct)


def gru_cell_forward(x, h, w_ih, w_hh, b_ih, b_hh):
    """One step → (h' (N, H), gates cache (N, 4H) = [r | z | n | W_hn h + b_hn])."""
    gates = empty((h.shape[0], 4 * h.shape[1]), h.dtype)
    h_new = empty(h.shape, h.dtype)
    _forward_step(linear_rows(x, w_ih, b_ih), h, w_hh, b_hh, gates, h_new)
    return h_new, gates


def gru_cell_backward(grad_h_new, x, h, gates, w_ih, w_hh):
    """→ (grad_x, grad_h, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh) of one step."""
    dgi = empty((h.shape[0], 3 * h.shape[1]), h.dtype)
    dgh = empty(dgi.shape, h.dtype)
    grad_h = _backward_step(grad_h_new, None, h, gates, w_hh, dgi, dgh)
    return (gemm(dgi, w_ih), grad_h, *weight_grads(dgi, dgh, x, h))


def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    """A GRU over x (L, N, I) from h0 (N, H) → (output (L, N, H), h_n, gates (L, N, 4H))."""
    steps, (rows, hidden) = x.shape[0], h0.shape
    out = empty((steps, rows, hidden), h0.dtype)
    gates = empty((steps, rows, 4 * hidden), h0.dtype)
    gi = linear_rows(x, w_ih, b_ih)
    h = h0
    for t in range(steps):
        _forward_step(gi[t], h, w_hh, b_hh, gates[t], out[t])
        h = out[t]
    return out, copy(h), gates


def gru_backward(grad_output, grad_h_n, x, h0, output, gates, w_ih, w_hh,
                 needs_input_grad: bool = True):
    """BPTT for :func:`gru_forward` → (grad_x or None, grad_h0, grad_w_ih, grad_w_hh,
    grad_b_ih, grad_b_hh)."""
    h_prev = previous_states(h0, output)
    grad_gi = empty((x.shape[0], h0.shape[0], 3 * h0.shape[1]), h0.dtype)
    grad_gh = empty(grad_gi.shape, h0.dtype)
    dh = grad_h_n
    for t in reversed(range(x.shape[0])):
        dh = _backward_step(grad_output[t], dh, h_prev[t], gates[t], w_hh, grad_gi[t],
                            grad_gh[t])
    grad_x = gemm(as_rows(grad_gi), w_ih).reshape(*x.shape) if needs_input_grad else None
    return (grad_x, dh, *weight_grads(grad_gi, grad_gh, x, h_prev))
