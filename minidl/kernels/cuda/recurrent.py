"""What the CUDA RNN, LSTM and GRU kernels share (the twin of the shared part of
:mod:`minidl.kernels.cpu.rnn`).

The sequence kernels are arranged as on the CPU: the input projection of all time steps
is one matmul before the time loop, each step does one matmul with W_hh plus one fused
elementwise kernel (one thread per (sample, hidden unit)), and the weight gradients are
one matmul each after the loop. Learner overrides of the cell slots are a CPU matter:
these kernels always take the fused path.
"""

from __future__ import annotations

from numba import cuda

from minidl.kernels.cuda.elementwise import add, empty
from minidl.kernels.cuda.gemm import gemm
from minidl.kernels.cuda.launch import grid_for
from minidl.kernels.cuda.linear import linear_forward as linear_rows
from minidl.kernels.cuda.reduce import sum_middle

__all__ = ["linear_rows", "summed_bias", "previous_states", "weight_grads", "as_rows"]


def as_rows(a):
    """(..., k) → (R, k)."""
    k = a.shape[a.ndim - 1]
    return a.reshape(a.size // k, k)


def summed_bias(b_ih, b_hh):
    """b_ih + b_hh (both None for a layer without biases)."""
    return None if b_ih is None else add(b_ih, b_hh)


@cuda.jit
def _shift_in(h0, states, out):  # pragma: no cover - compiled
    step = h0.size
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[t] = h0[t] if t < step else states[t - step]


def previous_states(h0, states):
    """(h0, h_1, …, h_{L-1}) (L, N, H) from h0 (N, H) and states (L, N, H): thread per element."""
    out = empty(states.shape, states.dtype)
    if out.size:
        _shift_in[grid_for(out.size)](h0.reshape(h0.size), states.reshape(states.size),
                                      out.reshape(out.size))
    return out


def weight_grads(grad_gi, grad_gh, x, h_prev):
    """(Σ grad_giᵀ x, Σ grad_ghᵀ h_prev, Σ grad_gi, Σ grad_gh) over all L·N rows: two
    matmuls and two column sums (see the CPU twin)."""
    gi, gh = as_rows(grad_gi), as_rows(grad_gh)
    return (gemm(gi, as_rows(x), trans_a=True), gemm(gh, as_rows(h_prev), trans_a=True),
            sum_middle(gi, 1, gi.shape[0], gi.shape[1]).reshape(gi.shape[1]),
            sum_middle(gh, 1, gh.shape[0], gh.shape[1]).reshape(gh.shape[1]))
