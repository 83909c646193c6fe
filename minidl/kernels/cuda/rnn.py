"""Elman RNN kernels on the GPU: one cell step and the whole sequence.

The CUDA twins of :mod:`minidl.kernels.cpu.rnn` (maths and shapes there). A step is
h' = act(x W_ihᵀ + b + h W_hhᵀ): the products are matmuls, the activation (and in
backward act'(pre) = 1 − h'² or [h' > 0], applied to dL/dh') is an elementwise map with
one thread per (sample, hidden unit). Shared helpers: :mod:`minidl.kernels.cuda.recurrent`.
"""

from __future__ import annotations

import math

from numba import cuda

from minidl.kernels.cuda.elementwise import empty, map3, maximum
from minidl.kernels.cuda.gemm import gemm
from minidl.kernels.cuda.recurrent import (
    as_rows,
    linear_rows,
    previous_states,
    summed_bias,
    weight_grads,
)


@cuda.jit(device=True)
def _act(pre_x, pre_h, z, relu, b):  # pragma: no cover - compiled
    pre = pre_x + pre_h
    if relu:
        return maximum(pre, 0.0)
    return math.tanh(pre)


@cuda.jit(device=True)
def _act_grad(grad_a, grad_b, out, relu, use_b):  # pragma: no cover - compiled
    g = grad_a + grad_b if use_b else grad_a
    if relu:
        return g if out > 0 else 0.0
    return g * (1.0 - out * out)


def _relu(nonlinearity: str) -> float:
    return float(nonlinearity == "relu")


def rnn_cell_forward(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity: str):
    """h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (N, H); act = "tanh" or "relu"."""
    pre_x = linear_rows(x, w_ih, summed_bias(b_ih, b_hh))
    return map3(_act, pre_x, gemm(h, w_hh, trans_b=True), a=_relu(nonlinearity))


def rnn_cell_backward(grad_h_new, x, h, h_new, w_ih, w_hh, nonlinearity: str):
    """→ (grad_x, grad_h, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh) of one step."""
    a = map3(_act_grad, grad_h_new, grad_h_new, h_new, a=_relu(nonlinearity))
    return (gemm(a, w_ih), gemm(a, w_hh), *weight_grads(a, a, x, h))


def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity: str):
    """An Elman RNN over x (L, N, I) from h0 (N, H) → output (L, N, H) = h_1 … h_L."""
    out = empty((x.shape[0], *h0.shape), h0.dtype)
    pre_x = linear_rows(x, w_ih, summed_bias(b_ih, b_hh))
    h = h0
    for t in range(x.shape[0]):
        h = map3(_act, pre_x[t], gemm(h, w_hh, trans_b=True), a=_relu(nonlinearity), out=out[t])
    return out


def rnn_backward(grad_output, grad_h_n, x, h0, output, w_ih, w_hh, nonlinearity: str,
                 needs_input_grad: bool = True):
    """BPTT for :func:`rnn_forward` → (grad_x or None, grad_h0, grad_w_ih, grad_w_hh,
    grad_b_ih, grad_b_hh)."""
    grad_pre = empty(output.shape, output.dtype)
    dh = grad_h_n
    for t in reversed(range(x.shape[0])):
        map3(_act_grad, grad_output[t], dh, output[t], a=_relu(nonlinearity), b=1.0,
             out=grad_pre[t])
        dh = gemm(grad_pre[t], w_hh)
    grad_x = gemm(as_rows(grad_pre), w_ih).reshape(*x.shape) if needs_input_grad else None
    return (grad_x, dh, *weight_grads(grad_pre, grad_pre, x, previous_states(h0, output)))
