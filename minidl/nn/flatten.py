"""``Flatten`` and ``Unflatten``: merge a range of dims into one, or split one dim."""

from __future__ import annotations

import math
from collections.abc import Sequence

from minidl.errors import ShapeError, fmt_shape
from minidl.nn.module import Module
from minidl.ops._util import normalize_dims
from minidl.tensor import Tensor


def _tensor(name: str, x: Tensor) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    return x


class Flatten(Module):
    """Merge dims start_dim … end_dim: (N, C, H, W) → (N, C·H·W) with the defaults."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        name = f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim})"
        x = _tensor(name, input)
        (start,) = normalize_dims(name, self.start_dim, x.ndim)
        (end,) = normalize_dims(name, self.end_dim, x.ndim)
        if start > end:
            raise ShapeError(f"{name}: start_dim comes after end_dim for input "
                             f"{fmt_shape(x.shape)}")
        return x.flatten(start, end)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: Unflatten(1, (1, 28, 28)) turns
    (N, 784) into (N, 1, 28, 28). One size may be −1 (inferred)."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        sizes = tuple(int(s) for s in unflattened_size)
        if sum(s == -1 for s in sizes) > 1 or any(s < -1 for s in sizes):
            raise ValueError(f"Unflatten: sizes must be >= 0 with at most one -1, got {sizes}")
        self.dim = dim
        self.unflattened_size = sizes

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        name = f"Unflatten(dim={self.dim}, sizes={self.unflattened_size})"
        (d,) = normalize_dims(name, self.dim, _tensor(name, input).ndim)
        n = input.shape[d]
        known = math.prod(s for s in self.unflattened_size if s != -1)
        sizes = tuple(n // known if s == -1 and known else s for s in self.unflattened_size)
        if math.prod(sizes) != n:
            raise ShapeError(f"{name}: dim {d} of input {fmt_shape(input.shape)} has size {n}, "
                             f"which does not split into {self.unflattened_size}")
        return input.reshape(input.shape[:d] + sizes + input.shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
