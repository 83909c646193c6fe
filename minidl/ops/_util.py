"""Helpers shared by the op modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minidl.errors import DTypeError, ShapeError, fmt_shape
from minidl.kernels.dispatch import is_array


def as_array(value: Any) -> Any:
    """A Tensor's array, or the value itself (scalars stay Python scalars)."""
    from minidl.tensor import Tensor

    return value._data if isinstance(value, Tensor) else value


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


# -- PyTorch's type promotion -----------------------------------------------------------------
# Categories: bool < integer < floating. Dimensioned tensors decide the dtype; a 0-d tensor or
# a Python number only matters when it belongs to a higher category than they do, and then a
# Python float gives the default float32 (so int_tensor * 0.5 is float32, float32_tensor + a
# float64 0-d tensor stays float32). NumPy would give float64 in both cases.

_DEFAULT_OF_CATEGORY = {0: np.dtype(np.bool_), 1: np.dtype(np.int64), 2: np.dtype(np.float32)}


def category(dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point."""
    return 0 if dtype.kind == "b" else 1 if dtype.kind in "iu" else 2


def _promote_pair(a: np.dtype, b: np.dtype) -> np.dtype:
    ca, cb = category(a), category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def result_dtype(op: str, *operands: Any) -> np.dtype:
    """The dtype PyTorch gives ``op(*operands)`` (Tensors, arrays, Python numbers)."""
    groups: list[np.dtype | None] = [None, None, None]  # dimensioned, 0-d, Python number
    for x in operands:
        x = as_array(x)
        if is_array(x):
            rank, dt = (0 if x.ndim else 1), x.dtype
        elif isinstance(x, (bool, np.bool_)):
            rank, dt = 2, _DEFAULT_OF_CATEGORY[0]
        elif isinstance(x, (int, np.integer)):
            rank, dt = 2, _DEFAULT_OF_CATEGORY[1]
        elif isinstance(x, (float, np.floating)):
            rank, dt = 2, _DEFAULT_OF_CATEGORY[2]
        else:
            raise DTypeError(
                f"{op}: expected Tensors or numbers, got {type(x).__name__} {x!r}"
            )
        if dt.kind not in "biuf":
            raise DTypeError(f"{op}: unsupported dtype {dt}")
        groups[rank] = dt if groups[rank] is None else _promote_pair(groups[rank], dt)
    result = None
    for rank, dt in enumerate(groups):
        if dt is None:
            continue
        if result is None or category(dt) > category(result):
            result = _DEFAULT_OF_CATEGORY[category(dt)] if rank == 2 else dt
    return result
