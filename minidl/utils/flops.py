"""Counting a model's floating-point operations (FLOPs), from a trace of one forward pass.

Convention (the usual one in papers): a multiply-add is 2 FLOPs, adding a bias 1 FLOP per
output value. Matrix products dominate a network's arithmetic; they are counted exactly:

* Linear (..., in) → (..., out):            2·M·in·out (+ M·out with bias), M = batch size
* Conv2d (N, C, H, W) → (N, O, OH, OW):     N·O·OH·OW·(2·C·kh·kw (+ 1 with bias))
* MatMul (..., m, k) @ (..., k, n):         2·(batch)·m·k·n
* RNN / LSTM / GRU layers over T steps:     T·N·G·H·(2·(I + H) (+ 2 with biases)), G gates

Ops that only move data (reshape, permute, indexing, concatenation) cost 0. Every other op
(activations, pooling, normalisation, elementwise arithmetic) is counted as
1 FLOP per output value: the right order of magnitude, and small next to the products.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from minidl.autograd.grad_mode import no_grad
from minidl.functional.conv import Conv2d
from minidl.functional.linear import Linear
from minidl.functional.rnn import GRULayer, LSTMLayer, RNNLayer
from minidl.jit import trace
from minidl.jit.graph import Graph, Op
from minidl.ops import shape as _shape_ops
from minidl.ops.linalg import MatMul
from minidl.tensor import Tensor


def linear_flops(input_shape: Sequence[int], out_features: int, bias: bool = True) -> int:
    """FLOPs of ``Linear(in, out)`` on an input of shape (..., in)."""
    rows = math.prod(input_shape[:-1])
    return rows * out_features * (2 * input_shape[-1] + (1 if bias else 0))


def _pair(v: int | Sequence[int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def conv2d_flops(input_shape: Sequence[int], weight_shape: Sequence[int],
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                 dilation: int | Sequence[int] = 1, bias: bool = True) -> int:
    """FLOPs of a convolution: input (N, C, H, W), weight (O, C, kh, kw)."""
    n, c, h, w = input_shape
    o, _, kh, kw = weight_shape
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    return n * o * oh * ow * (2 * c * kh * kw + (1 if bias else 0))


def _shape(graph: Graph, arg: Any) -> tuple[int, ...]:
    return graph.meta[arg.id][0]


def op_flops(graph: Graph, op: Op) -> int:
    """FLOPs of one traced op (see the module docstring)."""
    out = op.meta[0][0]
    if op.function is Linear:
        return linear_flops(_shape(graph, op.args[0]), out[-1], len(op.args) == 3)
    if op.function is Conv2d:
        c, kh, kw = _shape(graph, op.args[1])[1:]
        return math.prod(out) * (2 * c * kh * kw + (op.args[2] is not None))
    if op.function is MatMul:
        k = _shape(graph, op.args[0])[-1]
        return 2 * math.prod(out) * k
    if op.function in (RNNLayer, LSTMLayer, GRULayer):
        steps, batch, inputs = _shape(graph, op.args[0])
        hidden = op.meta[-1][0][-1]
        gates_h = _shape(graph, op.args[-4])[0]          # w_ih: (G·H, I)
        has_bias = op.args[-1] is not None
        return steps * batch * gates_h * (2 * (inputs + hidden) + 2 * has_bias)
    if op.function in _MOVES:
        return 0
    return math.prod(out)


_MOVES = (_shape_ops.Reshape, _shape_ops.Permute, _shape_ops.Expand, _shape_ops.GetItem,
          _shape_ops.Concatenate, _shape_ops.Stack)


@dataclass
class FlopCount:
    """Per-op FLOPs of one forward pass: ``rows`` = [(op name, output shape, FLOPs)]."""

    rows: list[tuple[str, tuple[int, ...], int]]

    @property
    def total(self) -> int:
        return sum(f for _, _, f in self.rows)

    def by_op(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for name, _, flops in self.rows:
            out[name] = out.get(name, 0) + flops
        return out

    def __str__(self) -> str:
        lines = [f"{'op':<12} {'output':<20} {'FLOPs':>15}"]
        lines += [f"{name:<12} {str(shape):<20} {flops:>15,}" for name, shape, flops in self.rows]
        lines.append(f"{'total':<33} {self.total:>15,}")
        return "\n".join(lines)


def count_flops(model: Any, example_inputs: Tensor | tuple[Tensor, ...]) -> FlopCount:
    """Trace one forward pass of ``model`` (under ``no_grad``) and count each op's FLOPs."""
    with no_grad():
        graph = trace(model, example_inputs, optimize=False).recorded
    return FlopCount([(op.name, op.meta[0][0], op_flops(graph, op)) for op in graph.ops])
