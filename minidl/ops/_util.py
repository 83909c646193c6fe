"""Helpers shared by the op modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minidl.errors import ShapeError, fmt_shape


def as_array(value: Any) -> Any:
    """A Tensor's array, or the value itself (scalars stay Python scalars)."""
    from minidl.tensor import Tensor

    return value.data if isinstance(value, Tensor) else value


def normalize_dims(op: str, dim: int | Sequence[int] | None, ndim: int) -> tuple[int, ...] | None:
    """Turn ``dim`` (int, sequence or None) into sorted non-negative axes, checking range."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise ShapeError(f"{op}: dim {d} is out of range for a tensor with {ndim} dims")
        out.append(int(d) % max(ndim, 1))
    return tuple(sorted(set(out)))


def broadcast_error(op: str, a: Any, b: Any) -> ShapeError:
    return ShapeError(
        f"{op}: shapes {fmt_shape(np.shape(a))} and {fmt_shape(np.shape(b))} cannot be "
        "broadcast together (sizes must match or be 1, aligned from the right)"
    )
