"""``Dropout``: randomly zero activations while training (identity in eval mode)."""

from __future__ import annotations

from minidl import functional as F
from minidl.functional._checks import probability
from minidl.nn.module import Module
from minidl.tensor import Tensor


class Dropout(Module):
    """In training mode, zero each element with probability ``p`` and scale the rest by
    1/(1 − p); in eval mode, return the input unchanged. Any shape."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = probability("Dropout", p)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
