"""Input checks shared by the functional ops; every message names the function."""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.errors import DTypeError
from minidl.kernels.dispatch import is_array
from minidl.tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


def float_tensor(fn: str, x: Any, what: str = "input") -> Tensor:
    """``x`` itself when it is a floating-point Tensor; a clear error otherwise."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: expected {what} to be a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise DTypeError(
            f"{fn}: expected a floating-point {what}, got dtype {x.dtype} (use .float())"
        )
    return x


def reduction(fn: str, value: str) -> str:
    if value not in REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be one of {REDUCTIONS}, got {value!r}")
    return value


def probability(fn: str, p: float, what: str = "p") -> float:
    """A number in [0, 1] (a dropout rate, a label-smoothing ε)."""
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p <= 1:
        raise ValueError(f"{fn}: {what} must be a number in [0, 1], got {p!r}")
    return float(p)


def as_target_array(fn: str, target: Any, dtype: np.dtype) -> np.ndarray:
    """A Tensor/array target as an array of the input's floating dtype (labels may be ints)."""
    arr = target._data if isinstance(target, Tensor) else target
    if not is_array(arr):
        raise TypeError(f"{fn}: expected target to be a Tensor, got {type(target).__name__}")
    if arr.dtype.kind not in "fiub":
        raise DTypeError(f"{fn}: expected a numeric target, got dtype {arr.dtype}")
    return arr.astype(dtype, copy=False)
