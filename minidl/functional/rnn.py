"""Recurrent networks as differentiable functions: cells (one step) and stacks (a sequence).

Cells, with PyTorch's argument order (``torch.lstm_cell`` and friends)::

    rnn_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh") -> h'
    lstm_cell(input, (h, c), w_ih, w_hh, b_ih=None, b_hh=None)               -> (h', c')
    gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None)                    -> h'

Sequences (what ``nn.RNN``/``nn.LSTM``/``nn.GRU`` call)::

    rnn(input, hx, weights, ...)  -> (output, h_n)
    lstm(input, hx, weights, ...) -> (output, (h_n, c_n))
    gru(input, hx, weights, ...)  -> (output, h_n)

``weights`` holds one ``(w_ih, w_hh, b_ih, b_hh)`` tuple (biases may be None) per
layer and direction, in PyTorch's order: layer 0, layer 0 reverse, layer 1, …
Each (layer, direction) is one autograd node whose forward and backward
(backpropagation through time) are single calls to the fused sequence kernels in
``minidl.kernels.cpu.{rnn,lstm,gru}``. A reverse direction reads the sequence
backwards and writes its output back in forward time order; a bidirectional
layer concatenates both outputs along the feature axis.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minidl.autograd.function import Function, Node
from minidl.errors import DTypeError, ShapeError, fmt_shape
from minidl.functional._checks import float_tensor, probability
from minidl.functional.dropout import dropout as _dropout
from minidl.kernels.dispatch import kernels
from minidl.ops import cat, stack
from minidl.tensor import Tensor

KG = kernels("gru")
KL = kernels("lstm")
KR = kernels("rnn")

Params = tuple[Tensor, Tensor, Tensor | None, Tensor | None]


def _in_time_order(a: np.ndarray, reverse: bool) -> np.ndarray:
    """``a`` (L, …) read backwards along time when ``reverse``, as a contiguous array."""
    return np.ascontiguousarray(a[::-1]) if reverse else a


def _input_grad(ctx: Node, grad_x: np.ndarray | None) -> np.ndarray | None:
    """dL/d(layer input) back in the caller's time order, or None when it needs none."""
    return _in_time_order(grad_x, ctx.reverse) if ctx.needs_input_grad[0] else None


def _bias_grads(has_bias: bool, grad_b_ih: np.ndarray, grad_b_hh: np.ndarray) -> tuple[Any, Any]:
    return (grad_b_ih, grad_b_hh) if has_bias else (None, None)


# -- autograd nodes: one cell step ------------------------------------------------------------


class RNNCell(Function):
    @staticmethod
    def forward(ctx: Node, x, h, w_ih, w_hh, b_ih, b_hh, *, nonlinearity):  # noqa: ANN001
        h_new = KR.rnn_cell_forward(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity)
        ctx.save_for_backward(x, h, h_new, w_ih, w_hh)
        ctx.nonlinearity, ctx.has_bias = nonlinearity, b_ih is not None
        return h_new

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        gx, gh, gw_ih, gw_hh, gb_ih, gb_hh = KR.rnn_cell_backward(
            grad, *ctx.saved_tensors, ctx.nonlinearity)
        return gx, gh, gw_ih, gw_hh, *_bias_grads(ctx.has_bias, gb_ih, gb_hh)


class LSTMCell(Function):
    @staticmethod
    def forward(ctx: Node, x, h, c, w_ih, w_hh, b_ih, b_hh):  # noqa: ANN001
        h_new, c_new, gates = KL.lstm_cell_forward(x, h, c, w_ih, w_hh, b_ih, b_hh)
        ctx.save_for_backward(x, h, c, c_new, gates, w_ih, w_hh)
        ctx.has_bias = b_ih is not None
        return h_new, c_new

    @staticmethod
    def backward(ctx: Node, grad_h: np.ndarray, grad_c: np.ndarray):
        gx, gh, gc, gw_ih, gw_hh, gb_ih, gb_hh = KL.lstm_cell_backward(
            grad_h, grad_c, *ctx.saved_tensors)
        return gx, gh, gc, gw_ih, gw_hh, *_bias_grads(ctx.has_bias, gb_ih, gb_hh)


class GRUCell(Function):
    @staticmethod
    def forward(ctx: Node, x, h, w_ih, w_hh, b_ih, b_hh):  # noqa: ANN001
        h_new, gates = KG.gru_cell_forward(x, h, w_ih, w_hh, b_ih, b_hh)
        ctx.save_for_backward(x, h, gates, w_ih, w_hh)
        ctx.has_bias = b_ih is not None
        return h_new

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        gx, gh, gw_ih, gw_hh, gb_ih, gb_hh = KG.gru_cell_backward(grad, *ctx.saved_tensors)
        return gx, gh, gw_ih, gw_hh, *_bias_grads(ctx.has_bias, gb_ih, gb_hh)


# -- autograd nodes: one layer in one direction over the whole sequence ------------------------


class RNNLayer(Function):
    @staticmethod
    def forward(ctx: Node, x, h0, w_ih, w_hh, b_ih, b_hh, *, nonlinearity, reverse):  # noqa: ANN001
        x = _in_time_order(x, reverse)
        out = KR.rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity)
        ctx.save_for_backward(x, h0, out, w_ih, w_hh)
        ctx.nonlinearity, ctx.reverse, ctx.has_bias = nonlinearity, reverse, b_ih is not None
        return _in_time_order(out, reverse), out[-1].copy()

    @staticmethod
    def backward(ctx: Node, grad_out: np.ndarray, grad_h_n: np.ndarray):
        x, h0, out, w_ih, w_hh = ctx.saved_tensors
        gx, gh0, gw_ih, gw_hh, gb_ih, gb_hh = KR.rnn_backward(
            _in_time_order(grad_out, ctx.reverse), grad_h_n, x, h0, out, w_ih, w_hh,
            ctx.nonlinearity, needs_input_grad=ctx.needs_input_grad[0])
        return (_input_grad(ctx, gx), gh0, gw_ih, gw_hh,
                *_bias_grads(ctx.has_bias, gb_ih, gb_hh))


class LSTMLayer(Function):
    @staticmethod
    def forward(ctx: Node, x, h0, c0, w_ih, w_hh, b_ih, b_hh, *, reverse):  # noqa: ANN001
        x = _in_time_order(x, reverse)
        out, h_n, c_n, cache = KL.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
        ctx.save_for_backward(x, h0, c0, out, cache, w_ih, w_hh)
        ctx.reverse, ctx.has_bias = reverse, b_ih is not None
        return _in_time_order(out, reverse), h_n, c_n

    @staticmethod
    def backward(ctx: Node, grad_out: np.ndarray, grad_h_n: np.ndarray, grad_c_n: np.ndarray):
        gx, gh0, gc0, gw_ih, gw_hh, gb_ih, gb_hh = KL.lstm_backward(
            _in_time_order(grad_out, ctx.reverse), grad_h_n, grad_c_n, *ctx.saved_tensors,
            ctx.needs_input_grad[0])
        return (_input_grad(ctx, gx), gh0, gc0, gw_ih, gw_hh,
                *_bias_grads(ctx.has_bias, gb_ih, gb_hh))


class GRULayer(Function):
    @staticmethod
    def forward(ctx: Node, x, h0, w_ih, w_hh, b_ih, b_hh, *, reverse):  # noqa: ANN001
        x = _in_time_order(x, reverse)
        out, h_n, gates = KG.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
        ctx.save_for_backward(x, h0, out, gates, w_ih, w_hh)
        ctx.reverse, ctx.has_bias = reverse, b_ih is not None
        return _in_time_order(out, reverse), h_n

    @staticmethod
    def backward(ctx: Node, grad_out: np.ndarray, grad_h_n: np.ndarray):
        gx, gh0, gw_ih, gw_hh, gb_ih, gb_hh = KG.gru_backward(
            _in_time_order(grad_out, ctx.reverse), grad_h_n, *ctx.saved_tensors,
            ctx.needs_input_grad[0])
        return (_input_grad(ctx, gx), gh0, gw_ih, gw_hh,
                *_bias_grads(ctx.has_bias, gb_ih, gb_hh))


# -- input checks (shared with nn, which passes its own name) ---------------------------------


def check_sequence_input(name: str, input: Tensor, input_size: int | str,  # noqa: A002
                         batch_first: bool) -> None:
    """Raise ShapeError unless ``input`` is (L, N, input_size) ((N, L, …) with batch_first)
    or unbatched (L, input_size), with L ≥ 1."""
    layout = "(N, L, {})" if batch_first else "(L, N, {})"
    if input.ndim == 2:
        layout = "(L, {})"
    expected = f"expected input {layout.format(input_size)} with batch_first={batch_first}"
    if input.ndim not in (2, 3) or input.shape[-1] != input_size:
        raise ShapeError(f"{name}: {expected}, got {fmt_shape(input.shape)}")
    steps = input.shape[1] if batch_first and input.ndim == 3 else input.shape[0]
    if steps == 0:
        raise ShapeError(f"{name}: {expected} and a sequence of at least one step (L ≥ 1), "
                         f"got L = 0 in {fmt_shape(input.shape)}: an empty sequence has no "
                         "output (PyTorch raises too)")
    if 0 in input.shape:
        raise ShapeError(f"{name}: {expected} and at least one sequence (N ≥ 1), got N = 0 in "
                         f"{fmt_shape(input.shape)}: check the DataLoader or the slice that "
                         "made this batch")


def check_cell_input(name: str, input: Tensor, input_size: int | str) -> None:  # noqa: A002
    """Raise ShapeError unless ``input`` is (N, input_size) or unbatched (input_size,)."""
    if input.ndim not in (1, 2) or input.shape[-1] != input_size:
        raise ShapeError(f"{name}: expected input (N, {input_size}) or ({input_size},), "
                         f"got {fmt_shape(input.shape)}")


def _check_state(name: str, what: str, state: Tensor, expected: tuple[int, ...],
                 dtype: np.dtype) -> Tensor:
    state = float_tensor(name, state, what)
    if state.shape != expected:
        raise ShapeError(f"{name}: expected {what} {fmt_shape(expected)}, "
                         f"got {fmt_shape(state.shape)}")
    if state.dtype != dtype:
        raise DTypeError(f"{name}: expected {what} of dtype {dtype} like the input, "
                         f"got {state.dtype}")
    return state


def _check_params(name: str, params: Sequence[Any], gates: int, input_size: int,
                  dtype: np.dtype) -> tuple[Any, ...]:
    """(w_ih, w_hh, b_ih, b_hh) with w_ih (G·H, input_size), w_hh (G·H, H), b (G·H,) or None."""
    if len(params) != 4:
        raise ValueError(f"{name}: expected (w_ih, w_hh, b_ih, b_hh), got {len(params)} values")
    w_ih, w_hh, b_ih, b_hh = params
    w_hh = float_tensor(name, w_hh, "w_hh")
    rows, hidden = (w_hh.shape + (0, 0))[:2]
    if w_hh.ndim != 2 or rows != gates * hidden:
        raise ShapeError(f"{name}: expected w_hh ({gates}·H, H), got {fmt_shape(w_hh.shape)}")
    expected = {"w_ih": (rows, input_size), "b_ih": (rows,), "b_hh": (rows,)}
    if (b_ih is None) != (b_hh is None):
        raise ValueError(f"{name}: give both biases b_ih and b_hh, or neither")
    for what, t in (("w_ih", w_ih), ("b_ih", b_ih), ("b_hh", b_hh)):
        if t is not None and float_tensor(name, t, what).shape != expected[what]:
            raise ShapeError(f"{name}: expected {what} {fmt_shape(expected[what])} for inputs "
                             f"of size {input_size} and H = {hidden}, got {fmt_shape(t.shape)}")
    for t in (w_ih, w_hh, b_ih, b_hh):
        if t is not None and t.dtype != dtype:
            raise DTypeError(f"{name}: weights must have the input's dtype {dtype}, got "
                             f"{t.dtype} (cast the module with .double() or .float())")
    return w_ih, w_hh, b_ih, b_hh


def check_nonlinearity(name: str, nonlinearity: str) -> str:
    """``nonlinearity`` itself when it is "tanh" or "relu"; a clear error otherwise."""
    if nonlinearity not in KR.NONLINEARITIES:
        raise ValueError(f"{name}: nonlinearity must be one of {KR.NONLINEARITIES}, "
                         f"got {nonlinearity!r}")
    return nonlinearity


def _state_pair(name: str, hx: Any, what: str) -> tuple[Any, Any]:
    """An LSTM's (h, c) pair, or (None, None) for zeros."""
    if hx is None:
        return None, None
    if isinstance(hx, Tensor) or not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise ValueError(f"{name}: expected hx = {what}, a pair of tensors, "
                         f"got {type(hx).__name__}")
    return hx[0], hx[1]


# -- cells --------------------------------------------------------------------------------------


def _cell(name: str, apply: Callable[..., Any], input: Tensor, states: Sequence[Tensor | None],  # noqa: A002
          params: Sequence[Any], gates: int) -> Any:
    """Check shapes, make missing states zeros, handle unbatched input, and run ``apply``."""
    x = float_tensor(name, input)
    check_cell_input(name, x, x.shape[-1] if x.ndim else "I")
    w_ih, w_hh, b_ih, b_hh = _check_params(name, params, gates, x.shape[-1], x.dtype)
    hidden = w_hh.shape[1]
    batched = x.ndim == 2
    shape = (x.shape[0], hidden) if batched else (hidden,)
    states = [Tensor(np.zeros(shape, x.dtype), device=x.device) if s is None
              else _check_state(name, "hx", s, shape, x.dtype) for s in states]
    if not batched:
        x, states = x.unsqueeze(0), [s.unsqueeze(0) for s in states]
    out = apply(x, *states, w_ih, w_hh, b_ih, b_hh)
    if batched:
        return out
    return tuple(o.squeeze(0) for o in out) if isinstance(out, tuple) else out.squeeze(0)


def rnn_cell(input: Tensor, hx: Tensor | None, w_ih: Tensor, w_hh: Tensor,  # noqa: A002
             b_ih: Tensor | None = None, b_hh: Tensor | None = None,
             nonlinearity: str = "tanh") -> Tensor:
    """One Elman RNN step h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), act = tanh or relu.

    input (N, I) or (I,), hx (N, H) / (H,) or None (zeros), w_ih (H, I), w_hh (H, H),
    b_ih, b_hh (H,) or None. Returns h' shaped like hx.
    """
    check_nonlinearity("rnn_cell", nonlinearity)
    return _cell("rnn_cell", lambda *a: RNNCell.apply(*a, nonlinearity=nonlinearity),
                 input, [hx], (w_ih, w_hh, b_ih, b_hh), 1)


def lstm_cell(input: Tensor, hx: tuple[Tensor, Tensor] | None, w_ih: Tensor, w_hh: Tensor,  # noqa: A002
              b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step (gates i, f, g, o; see ``minidl.kernels.cpu.lstm``).

    input (N, I) or (I,), hx = (h, c) each (N, H) / (H,) or None (zeros),
    w_ih (4H, I), w_hh (4H, H), b_ih, b_hh (4H,) or None. Returns (h', c').
    """
    states = _state_pair("lstm_cell", hx, "(h, c)")
    return _cell("lstm_cell", LSTMCell.apply, input, states, (w_ih, w_hh, b_ih, b_hh), 4)


def gru_cell(input: Tensor, hx: Tensor | None, w_ih: Tensor, w_hh: Tensor,  # noqa: A002
             b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One GRU step (gates r, z, n; see ``minidl.kernels.cpu.gru``).

    input (N, I) or (I,), hx (N, H) / (H,) or None (zeros), w_ih (3H, I), w_hh (3H, H),
    b_ih, b_hh (3H,) or None. Returns h'.
    """
    return _cell("gru_cell", GRUCell.apply, input, [hx], (w_ih, w_hh, b_ih, b_hh), 3)


# -- stacks over a sequence ---------------------------------------------------------------------


def _stack(name: str, layer: Callable[..., tuple[Tensor, ...]], gates: int, input: Tensor,  # noqa: A002
           states: Sequence[Tensor | None], weights: Sequence[Sequence[Any]], dropout: float,
           training: bool, bidirectional: bool, batch_first: bool) -> tuple[Tensor, list[Tensor]]:
    """Run ``layer(x (L, N, I), *states_k, *params_k, reverse=…)`` for every layer and direction.

    Returns the last layer's output in the input's layout and the final states, each
    stacked to (num_layers · num_directions, N, H) (without N for unbatched input).
    """
    x = float_tensor(name, input)
    check_sequence_input(name, x, x.shape[-1] if x.ndim else "I", batch_first)
    dirs = 2 if bidirectional else 1
    if not weights or len(weights) % dirs:
        raise ValueError(f"{name}: expected {dirs} weight tuples per layer, got {len(weights)}")
    p = probability(name, dropout, "dropout")
    params: list[tuple[Any, ...]] = []
    for k, w in enumerate(weights):
        size = x.shape[-1] if k < dirs else dirs * params[0][1].shape[1]
        params.append(_check_params(name, w, gates, size, x.dtype))
    hidden = params[0][1].shape[1]
    batched = x.ndim == 3
    if not batched:
        x = x.unsqueeze(1)
    elif batch_first:
        x = x.transpose(0, 1)
    shape = (len(weights), x.shape[1], hidden) if batched else (len(weights), hidden)
    states = [Tensor(np.zeros(shape, x.dtype), device=x.device) if s is None
              else _check_state(name, what, s, shape, x.dtype)
              for s, what in zip(states, ("h_0", "c_0"), strict=False)]
    if not batched:
        states = [s.unsqueeze(1) for s in states]
    finals: list[list[Tensor]] = [[] for _ in states]
    for first in range(0, len(weights), dirs):
        if first and training and p:
            x = _dropout(x, p, training=True)
        outs = []
        for k in range(first, first + dirs):
            out, *ends = layer(x, *(s[k] for s in states), *params[k], reverse=k > first)
            outs.append(out)
            for kept, end in zip(finals, ends, strict=True):
                kept.append(end)
        x = outs[0] if dirs == 1 else cat(outs, dim=2)
    finals_t = [stack(kept) for kept in finals]
    if not batched:
        return x.squeeze(1), [f.squeeze(1) for f in finals_t]
    return (x.transpose(0, 1) if batch_first else x), finals_t


def rnn(input: Tensor, hx: Tensor | None, weights: Sequence[Sequence[Any]], *,  # noqa: A002
        nonlinearity: str = "tanh", dropout: float = 0.0, training: bool = False,
        bidirectional: bool = False, batch_first: bool = False) -> tuple[Tensor, Tensor]:
    """A stack of Elman RNN layers over a sequence.

    input (L, N, I) ((N, L, I) with batch_first) or unbatched (L, I); hx (D·layers, N, H)
    or None (zeros), D = 2 if bidirectional else 1; ``weights`` as in the module docstring.
    ``dropout`` is applied to the output of each layer but the last, when ``training``.
    Returns (output (L, N, D·H), h_n (D·layers, N, H)).
    """
    check_nonlinearity("rnn", nonlinearity)
    out, (h_n,) = _stack(
        "rnn", lambda *a, reverse: RNNLayer.apply(*a, nonlinearity=nonlinearity, reverse=reverse),
        1, input, [hx], weights, dropout, training, bidirectional, batch_first)
    return out, h_n


def lstm(input: Tensor, hx: tuple[Tensor, Tensor] | None, weights: Sequence[Sequence[Any]], *,  # noqa: A002
         dropout: float = 0.0, training: bool = False, bidirectional: bool = False,
         batch_first: bool = False) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """A stack of LSTM layers over a sequence; like :func:`rnn` with hx = (h_0, c_0).

    Returns (output (L, N, D·H), (h_n, c_n) each (D·layers, N, H)).
    """
    states = _state_pair("lstm", hx, "(h_0, c_0)")
    out, (h_n, c_n) = _stack("lstm", LSTMLayer.apply, 4, input, states, weights, dropout,
                             training, bidirectional, batch_first)
    return out, (h_n, c_n)


def gru(input: Tensor, hx: Tensor | None, weights: Sequence[Sequence[Any]], *,  # noqa: A002
        dropout: float = 0.0, training: bool = False, bidirectional: bool = False,
        batch_first: bool = False) -> tuple[Tensor, Tensor]:
    """A stack of GRU layers over a sequence; arguments and returns as :func:`rnn`."""
    out, (h_n,) = _stack("gru", GRULayer.apply, 3, input, [hx], weights, dropout, training,
                         bidirectional, batch_first)
    return out, h_n
