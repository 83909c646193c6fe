"""Recurrent layers: ``RNNCell``, ``LSTMCell``, ``GRUCell`` (one step) and ``RNN``, ``LSTM``,
``GRU`` (stacks over a sequence), with PyTorch's signatures, parameter names and init.

Parameters (G gates: 1 for RNN, 4 for LSTM [i, f, g, o], 3 for GRU [r, z, n]):

* cells: ``weight_ih`` (G·H, input_size), ``weight_hh`` (G·H, H), ``bias_ih``, ``bias_hh`` (G·H,);
* stacks: the same per layer k as ``weight_ih_l{k}`` …, plus ``weight_ih_l{k}_reverse`` …
  for the backward direction of a bidirectional stack; layer k > 0 reads D·H features.

All are drawn from U(−1/√H, 1/√H). The maths lives in ``minidl.functional.rnn`` and
the kernels in ``minidl.kernels.cpu.{rnn,lstm,gru}``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from minidl.functional._checks import float_tensor, probability
from minidl.functional.rnn import (
    check_cell_input,
    check_nonlinearity,
    check_sequence_input,
    gru,
    gru_cell,
    lstm,
    lstm_cell,
    rnn,
    rnn_cell,
)
from minidl.nn import init
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor, float32


def _size(owner: str, what: str, n: Any, low: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < low:
        raise ValueError(f"{owner}: {what} must be an int >= {low}, got {n!r}")
    return int(n)


class _Recurrent(Module):
    """What cells and stacks share: sizes, parameter creation, init and the repr."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool) -> None:
        super().__init__()
        self.input_size = _size(type(self).__name__, "input_size", input_size, 0)
        self.hidden_size = _size(type(self).__name__, "hidden_size", hidden_size)
        self.bias = bool(bias)

    @property
    def _layer_name(self) -> str:
        """How error messages name this layer, e.g. ``LSTM(input_size=64, hidden_size=128)``."""
        return (f"{type(self).__name__}(input_size={self.input_size}, "
                f"hidden_size={self.hidden_size})")

    def _add_weights(self, suffix: str, in_features: int, dtype: np.dtype) -> None:
        """Register weight_ih{suffix}, weight_hh{suffix} (and the two biases if ``bias``)."""
        rows = self.gates * self.hidden_size
        self.register_parameter(f"weight_ih{suffix}",
                                Parameter(np.zeros((rows, in_features), dtype)))
        self.register_parameter(f"weight_hh{suffix}",
                                Parameter(np.zeros((rows, self.hidden_size), dtype)))
        for which in ("ih", "hh"):
            self.register_parameter(f"bias_{which}{suffix}",
                                    Parameter(np.zeros((rows,), dtype)) if self.bias else None)

    def _weights(self, suffix: str) -> tuple[Any, ...]:
        return tuple(getattr(self, f"{kind}{suffix}")
                     for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(−1/√hidden_size, 1/√hidden_size), like PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        return text


# -- cells ----------------------------------------------------------------------------------------


class _Cell(_Recurrent):
    def __init__(self, input_size: int, hidden_size: int, bias: bool, dtype: Any) -> None:
        super().__init__(input_size, hidden_size, bias)
        self._add_weights("", self.input_size, np.dtype(dtype or float32))
        self.reset_parameters()

    def _check(self, input: Tensor) -> None:  # noqa: A002
        name = self._layer_name
        check_cell_input(name, float_tensor(name, input), self.input_size)


class RNNCell(_Cell):
    """One Elman RNN step h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), act = tanh or relu.

    forward(input (N, input_size) or (input_size,), hx (N, H) / (H,) or None = zeros) → h'.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype: Any = None) -> None:
        nonlinearity = check_nonlinearity("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        self._check(input)
        return rnn_cell(input, hx, *self._weights(""), nonlinearity=self.nonlinearity)


class LSTMCell(_Cell):
    """One LSTM step (gates i, f, g, o): c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c').

    forward(input (N, input_size) or (input_size,), hx = (h, c) or None = zeros) → (h', c').
    """

    gates = 4

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, dtype)

    def forward(self, input: Tensor,  # noqa: A002
                hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        self._check(input)
        return lstm_cell(input, hx, *self._weights(""))


class GRUCell(_Cell):
    """One GRU step (gates r, z, n): n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
    h' = (1 − z) ⊙ n + z ⊙ h.

    forward(input (N, input_size) or (input_size,), hx (N, H) / (H,) or None = zeros) → h'.
    """

    gates = 3

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        self._check(input)
        return gru_cell(input, hx, *self._weights(""))


# -- stacks over a sequence -----------------------------------------------------------------------


class _Stack(_Recurrent):
    """``num_layers`` recurrent layers, each optionally bidirectional, over a sequence.

    input (L, N, input_size), (N, L, input_size) with batch_first, or unbatched
    (L, input_size). output (L, N, D·H) in the input's layout; final states
    (D·num_layers, N, H) (never batch-first, as in PyTorch). D = 2 if bidirectional.
    Dropout with probability ``dropout`` is applied to each layer's output except the
    last, in training mode only.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int, bias: bool,
                 batch_first: bool, dropout: float, bidirectional: bool, dtype: Any) -> None:
        super().__init__(input_size, hidden_size, bias)
        owner = type(self).__name__
        self.num_layers = _size(owner, "num_layers", num_layers)
        self.batch_first = bool(batch_first)
        self.dropout = probability(owner, dropout, "dropout")
        self.bidirectional = bool(bidirectional)
        if self.dropout > 0 and self.num_layers == 1:
            warnings.warn(f"{owner}: dropout={self.dropout} acts between layers, so it has no "
                          "effect with num_layers=1", stacklevel=2)
        dtype = np.dtype(dtype or float32)
        directions = 2 if self.bidirectional else 1
        for layer in range(self.num_layers):
            in_features = self.input_size if layer == 0 else directions * self.hidden_size
            for suffix in ("", "_reverse")[:directions]:
                self._add_weights(f"_l{layer}{suffix}", in_features, dtype)
        self.reset_parameters()

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """Per layer and direction, [weight_ih, weight_hh, (bias_ih, bias_hh)], as PyTorch."""
        return [[w for w in self._weights(s) if w is not None] for s in self._suffixes()]

    def _suffixes(self) -> list[str]:
        directions = ("", "_reverse") if self.bidirectional else ("",)
        return [f"_l{layer}{d}" for layer in range(self.num_layers) for d in directions]

    def _run(self, fn: Any, input: Tensor, hx: Any, **kwargs: Any) -> Any:  # noqa: A002
        name = self._layer_name
        check_sequence_input(name, float_tensor(name, input), self.input_size, self.batch_first)
        return fn(input, hx, [self._weights(s) for s in self._suffixes()],
                  dropout=self.dropout, training=self.training, bidirectional=self.bidirectional,
                  batch_first=self.batch_first, **kwargs)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        for key, default in (("num_layers", 1), ("batch_first", False), ("dropout", 0.0),
                             ("bidirectional", False)):
            if getattr(self, key) != default:
                text += f", {key}={getattr(self, key)}"
        return text


class RNN(_Stack):
    """Elman RNN layers: h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh), act = tanh or relu.

    forward(input, h_0=None) → (output, h_n); shapes as in :class:`_Stack`.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype: Any = None) -> None:
        nonlinearity = check_nonlinearity("RNN", nonlinearity)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        return self._run(rnn, input, hx, nonlinearity=self.nonlinearity)


class LSTM(_Stack):
    """LSTM layers (gates i, f, g, o): c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t).

    forward(input, (h_0, c_0)=None) → (output, (h_n, c_n)); shapes as in :class:`_Stack`.
    """

    gates = 4

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype)

    def forward(self, input: Tensor,  # noqa: A002
                hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        return self._run(lstm, input, hx)


class GRU(_Stack):
    """GRU layers (gates r, z, n): n_t = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn)),
    h_t = (1 − z) ⊙ n_t + z ⊙ h_{t−1}.

    forward(input, h_0=None) → (output, h_n); shapes as in :class:`_Stack`.
    """

    gates = 3

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        return self._run(gru, input, hx)
