"""GRU kernels: one cell step (slots) and the whole sequence (fused, for speed).

One GRU step, PyTorch's gate layout (r, z, n stacked along the 3·H rows of the
weights), with gi = x W_ihᵀ + b_ih and gh = h W_hhᵀ + b_hh, both (N, 3H)::

    r = σ(gi_r + gh_r)
    z = σ(gi_z + gh_z)
    n = tanh(gi_n + r ⊙ gh_n)          (the reset gate scales W_hn h + b_hn)
    h' = (1 − z) ⊙ n + z ⊙ h

Shapes: x (N, I), h, h' (N, H), w_ih (3H, I), w_hh (3H, H), b_ih, b_hh (3H,) or
None. The *gates cache* is an (N, 4H) array [r | z | n | gh_n]: the three
activated gates and W_hn h + b_hn, which backward needs for dL/dr.

The elementwise maths of a step is fused into a few passes over the rows (see
``_step_forward``), shared by the cell slots and the sequence kernels. See
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
    weight_grads,
    zero_param_grads,
)
from minidl.kernels.slots import slot


# Each Numba pass loops over one batch row at a time through 1-D views of the gate
# blocks (``row[:H]``, ``row[H:2H]``, …), which LLVM vectorises; indexed as
# ``gates[n, 2·H + j]`` the same loops stayed scalar (see kernels/cpu/lstm.py).
@numba.njit(cache=True)
def _gate_args(gi, gh, gates):  # pragma: no cover - compiled
    """gates[:, :2H] = ½(gi + gh)[:, :2H]: the tanh arguments of r, z (σ(x) = ½ + ½·tanh(x/2))."""
    half = gates.shape[1] // 2
    for n in range(gates.shape[0]):
        a, b, out = gi[n], gh[n], gates[n]
        for k in range(half):
            out[k] = 0.5 * (a[k] + b[k])


@numba.njit(cache=True)
def _candidate_args(gi, gh, gates):  # pragma: no cover - compiled
    """From tanh(½·…) in gates[:, :2H]: r and z, gh_n, and the argument gi_n + r ⊙ gh_n of n."""
    hidden = gates.shape[1] // 4
    for n in range(gates.shape[0]):
        row, gi_n, gh_n = gates[n], gi[n, 2 * hidden:], gh[n, 2 * hidden:]
        r, z, cand, hn = (row[:hidden], row[hidden:2 * hidden], row[2 * hidden:3 * hidden],
                          row[3 * hidden:])
        for j in range(hidden):
            r[j] = 0.5 + 0.5 * r[j]
            z[j] = 0.5 + 0.5 * z[j]
            hn[j] = gh_n[j]
            cand[j] = gi_n[j] + r[j] * gh_n[j]


@numba.njit(cache=True)
def _blend(gates, h, h_new):  # pragma: no cover - compiled
    """h' = (1 − z) ⊙ n + z ⊙ h = n + z ⊙ (h − n)."""
    hidden = h.shape[1]
    for n in range(h.shape[0]):
        z, cand = gates[n, hidden:2 * hidden], gates[n, 2 * hidden:3 * hidden]
        h_row, out = h[n], h_new[n]
        for j in range(hidden):
            out[j] = cand[j] + z[j] * (h_row[j] - cand[j])


def _step_forward(gi, gh, h, gates, h_new):  # noqa: ANN001, ANN202
    """One step's elementwise maths, written into the gates cache (N, 4H) and h' (N, H).

    The activations are NumPy's vectorised (SIMD) tanh over whole blocks, with
    σ(x) = ½ + ½·tanh(x/2); a scalar ``math.tanh`` inside a Numba loop measured about
    50× slower. The arithmetic around them is fused into three Numba passes.
    """
    hidden = h.shape[1]
    _gate_args(gi, gh, gates)
    np.tanh(gates[:, :2 * hidden], out=gates[:, :2 * hidden])
    _candidate_args(gi, gh, gates)
    np.tanh(gates[:, 2 * hidden:3 * hidden], out=gates[:, 2 * hidden:3 * hidden])
    _blend(gates, h, h_new)


@numba.njit(cache=True)
def _gates_backward(grad_h_new, h, gates, grad_gi, grad_gh, grad_h):  # pragma: no cover
    """dL/dh' (N, H) → dL/dgi, dL/dgh (N, 3H) and the direct part z ⊙ dL/dh' of dL/dh."""
    hidden = h.shape[1]
    for n in range(h.shape[0]):
        row, gi, gh = gates[n], grad_gi[n], grad_gh[n]
        r, z, cand, hn = (row[:hidden], row[hidden:2 * hidden], row[2 * hidden:3 * hidden],
                          row[3 * hidden:])
        dh, h_row, out = grad_h_new[n], h[n], grad_h[n]
        for j in range(hidden):
            d_cand = dh[j] * (1.0 - z[j]) * (1.0 - cand[j] * cand[j])
            d_z = dh[j] * (h_row[j] - cand[j]) * z[j] * (1.0 - z[j])
            d_r = d_cand * hn[j] * r[j] * (1.0 - r[j])
            gi[j] = d_r
            gi[hidden + j] = d_z
            gi[2 * hidden + j] = d_cand
            gh[j] = d_r
            gh[hidden + j] = d_z
            gh[2 * hidden + j] = d_cand * r[j]
            out[j] = dh[j] * z[j]


@slot
def gru_cell_forward(
    x: np.ndarray,
    h: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """One GRU step (see the module docstring for the maths).

    x (N, I), h (N, H), w_ih (3H, I), w_hh (3H, H), b_ih and b_hh (3H,) or both None.
    Returns (h' (N, H), gates cache (N, 4H) = [r | z | n | W_hn h + b_hn]).
    """
    rows, hidden = h.shape
    gates = np.empty((rows, 4 * hidden), dtype=h.dtype)
    h_new = np.empty_like(h)
    _step_forward(linear_rows(x, w_ih, b_ih), linear_rows(h, w_hh, b_hh),
                  np.ascontiguousarray(h), gates, h_new)
    return h_new, gates


def _step_backward(grad_h_new, h, gates, grad_gi=None, grad_gh=None):  # noqa: ANN001, ANN202
    """Run :func:`_gates_backward` on contiguous inputs; returns (grad_gi, grad_gh, z ⊙ dL/dh')."""
    shape = (h.shape[0], 3 * h.shape[1])
    grad_gi = np.empty(shape, h.dtype) if grad_gi is None else grad_gi
    grad_gh = np.empty(shape, h.dtype) if grad_gh is None else grad_gh
    grad_h = np.empty_like(h)
    _gates_backward(*(np.ascontiguousarray(a) for a in (grad_h_new, h, gates)),
                    grad_gi, grad_gh, grad_h)
    return grad_gi, grad_gh, grad_h


@slot
def gru_cell_backward(
    grad_h_new: np.ndarray,
    x: np.ndarray,
    h: np.ndarray,
    gates: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Gradients of one GRU step, given dL/dh' (N, H), x, h and the gates cache (N, 4H).

    dn = dL/dh' ⊙ (1 − z) ⊙ (1 − n²),  dz = dL/dh' ⊙ (h − n) ⊙ z(1 − z),
    dr = dn ⊙ gh_n ⊙ r(1 − r);  dgi = [dr | dz | dn],  dgh = [dr | dz | dn ⊙ r]  (N, 3H):
    dL/dx = dgi W_ih, dL/dh = dL/dh' ⊙ z + dgh W_hh, dL/dW_ih = dgiᵀ x, dL/dW_hh = dghᵀ h,
    dL/db_ih = Σ_N dgi, dL/db_hh = Σ_N dgh.
    Returns (grad_x, grad_h, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh).
    """
    dgi, dgh, grad_h = _step_backward(grad_h_new, h, gates)
    grad_h += dgh @ w_hh
    return dgi @ w_ih, grad_h, dgi.T @ x, dgh.T @ h, dgi.sum(axis=0), dgh.sum(axis=0)


def gru_forward(
    x: np.ndarray,
    h0: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A GRU over a sequence: x (L, N, I), h0 (N, H).

    Returns (output (L, N, H) = h_1 … h_L, h_n, gates (L, N, 4H), the per-step caches).
    """
    steps, (rows, hidden) = x.shape[0], h0.shape
    out = np.empty((steps, rows, hidden), dtype=h0.dtype)
    gates = np.empty((steps, rows, 4 * hidden), dtype=h0.dtype)
    h = h0
    if cells_overridden(gru_cell_forward, gru_cell_backward):
        for t in range(steps):
            h, gates[t] = gru_cell_forward(x[t], h, w_ih, w_hh, b_ih, b_hh)
            out[t] = h
    else:
        gi = linear_rows(x, w_ih, b_ih)
        h = np.ascontiguousarray(h)
        for t in range(steps):
            _step_forward(gi[t], linear_rows(h, w_hh, b_hh), h, gates[t], out[t])
            h = out[t]
    return out, out[-1].copy(), gates


def gru_backward(
    grad_output: np.ndarray,
    grad_h_n: np.ndarray,
    x: np.ndarray,
    h0: np.ndarray,
    output: np.ndarray,
    gates: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    needs_input_grad: bool = True,
) -> tuple[np.ndarray | None, ...]:
    """Backpropagation through time for :func:`gru_forward`.

    grad_output (L, N, H), grad_h_n (N, H). Returns (grad_x (L, N, I), grad_h0 (N, H),
    grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh); grad_x may be None when
    ``needs_input_grad`` is false (the input is data).
    """
    h_prev = previous_states(h0, output)
    dh = grad_h_n
    if cells_overridden(gru_cell_forward, gru_cell_backward):
        grads = zero_param_grads(w_ih, w_hh)
        grad_x = np.empty_like(x)
        for t in reversed(range(x.shape[0])):
            grad_x[t], dh, *step = gru_cell_backward(
                grad_output[t] + dh, x[t], h_prev[t], gates[t], w_ih, w_hh)
            accumulate(grads, step)
        return (grad_x, dh, *grads)
    grad_gi = np.empty(gates.shape[:2] + (3 * h0.shape[1],), dtype=gates.dtype)
    grad_gh = np.empty_like(grad_gi)
    for t in reversed(range(x.shape[0])):
        _, _, dh = _step_backward(grad_output[t] + dh, h_prev[t], gates[t], grad_gi[t], grad_gh[t])
        dh += grad_gh[t] @ w_hh
    grad_x = linear_rows(grad_gi, w_ih.T, None) if needs_input_grad else None
    return (grad_x, dh, *weight_grads(grad_gi, grad_gh, x, h_prev))
