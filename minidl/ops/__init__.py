"""Differentiable tensor ops (the autograd layer's vocabulary).

These are the functions behind ``Tensor``'s operators and methods, and what
``minidl.add``, ``minidl.cat``, ``minidl.where``… export.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minidl.errors import DTypeError, ShapeError, fmt_shape
from minidl.ops import activation as _act
from minidl.ops import elementwise as _ew
from minidl.ops import linalg as _la
from minidl.ops import reduce as _red
from minidl.ops import shape as _sh
from minidl.ops._util import as_array, broadcast_error, normalize_dims


def add(a: Any, b: Any) -> Any:
    return _ew.Add.apply(a, b)


def sub(a: Any, b: Any) -> Any:
    return _ew.Sub.apply(a, b)


def mul(a: Any, b: Any) -> Any:
    return _ew.Mul.apply(a, b)


def div(a: Any, b: Any) -> Any:
    return _ew.Div.apply(a, b)


def neg(a: Any) -> Any:
    return _ew.Neg.apply(a)


def pow(a: Any, b: Any) -> Any:  # noqa: A001
    return _ew.Pow.apply(a, b)


def exp(a: Any) -> Any:
    return _ew.Exp.apply(a)


def log(a: Any) -> Any:
    return _ew.Log.apply(a)


def sqrt(a: Any) -> Any:
    return _ew.Sqrt.apply(a)


def abs(a: Any) -> Any:  # noqa: A001
    return _ew.Abs.apply(a)


def sin(a: Any) -> Any:
    return _ew.Sin.apply(a)


def cos(a: Any) -> Any:
    return _ew.Cos.apply(a)


def relu(a: Any) -> Any:
    return _act.ReLU.apply(a)


def sigmoid(a: Any) -> Any:
    return _act.Sigmoid.apply(a)


def tanh(a: Any) -> Any:
    return _act.Tanh.apply(a)


def clip(a: Any, min: float | None = None, max: float | None = None) -> Any:  # noqa: A002
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    return _ew.Clip.apply(a, min, max)


clamp = clip


def maximum(a: Any, b: Any) -> Any:
    return _ew.Maximum.apply(a, b)


def minimum(a: Any, b: Any) -> Any:
    return neg(_ew.Maximum.apply(neg(a), neg(b)))


def where(condition: Any, x: Any, y: Any) -> Any:
    return _ew.Where.apply(as_array(condition), x, y)


_COMPARE = {
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal, "and": np.logical_and, "or": np.logical_or,
}


def compare(op: str, a: Any, b: Any) -> Any:
    """Elementwise comparison → bool tensor (no gradient flows through it)."""
    from minidl.tensor import Tensor

    x, y = as_array(a), as_array(b)
    try:
        out = _COMPARE[op](x, y)
    except ValueError:
        raise broadcast_error(op, x, y) from None
    dev = a.device if isinstance(a, Tensor) else b.device
    return Tensor._from_op(np.asarray(out), None, 0, dev)


def _dims(op: str, a: Any, dim: int | Sequence[int] | None) -> tuple[int, ...] | None:
    return normalize_dims(op, dim, np.ndim(as_array(a)))


def _float_only(op: str, a: Any) -> None:
    if np.asarray(as_array(a)).dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating-point tensor, got dtype {as_array(a).dtype}")


def sum(a: Any, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Any:  # noqa: A001
    return _red.Sum.apply(a, _dims("sum", a, dim), keepdim)


def mean(a: Any, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Any:
    _float_only("mean", a)
    return _red.Mean.apply(a, _dims("mean", a, dim), keepdim)


def var(a: Any, dim: int | Sequence[int] | None = None, correction: int = 1,
        keepdim: bool = False) -> Any:
    _float_only("var", a)
    return _red.Var.apply(a, _dims("var", a, dim), correction, keepdim)


def amax(a: Any, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Any:
    return _red.AMax.apply(a, _dims("max", a, dim), keepdim)


def amin(a: Any, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Any:
    return _red.AMin.apply(a, _dims("min", a, dim), keepdim)


def matmul(a: Any, b: Any) -> Any:
    return _la.MatMul.apply(a, b)


def reshape(a: Any, shape: Sequence[int]) -> Any:
    return _sh.Reshape.apply(a, tuple(int(s) for s in shape))


def flatten(a: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    shape = np.shape(as_array(a))
    if not shape:
        return reshape(a, (1,))
    start, end = start_dim % len(shape), end_dim % len(shape)
    if start > end:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = int(np.prod(shape[start:end + 1]))
    return reshape(a, shape[:start] + (merged,) + shape[end + 1:])


def permute(a: Any, dims: Sequence[int]) -> Any:
    return _sh.Permute.apply(a, tuple(int(d) for d in dims))


def transpose(a: Any, dim0: int, dim1: int) -> Any:
    n = np.ndim(as_array(a))
    d0, d1 = (normalize_dims("transpose", d, n)[0] for d in (dim0, dim1))
    order = list(range(n))
    order[d0], order[d1] = order[d1], order[d0]
    return permute(a, order)


def unsqueeze(a: Any, dim: int) -> Any:
    shape = np.shape(as_array(a))
    if not -len(shape) - 1 <= dim <= len(shape):
        raise ShapeError(f"unsqueeze: dim {dim} out of range for shape {fmt_shape(shape)}")
    dim = dim % (len(shape) + 1)
    return reshape(a, shape[:dim] + (1,) + shape[dim:])


def squeeze(a: Any, dim: int | None = None) -> Any:
    shape = np.shape(as_array(a))
    if dim is None:
        return reshape(a, tuple(s for s in shape if s != 1))
    (d,) = normalize_dims("squeeze", dim, len(shape))
    if shape and shape[d] != 1:
        return a
    return reshape(a, shape[:d] + shape[d + 1:])


def expand(a: Any, shape: Sequence[int]) -> Any:
    return _sh.Expand.apply(a, tuple(shape))


def broadcast_to(a: Any, shape: Sequence[int]) -> Any:
    return expand(a, shape)


def getitem(a: Any, index: Any) -> Any:
    return _sh.GetItem.apply(a, _sh.normalize_index(index))


def _check_join(op: str, tensors: Sequence[Any]) -> None:
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise ValueError(f"{op}: expected a non-empty list of tensors, got {tensors!r}")


def cat(tensors: Sequence[Any], dim: int = 0) -> Any:
    _check_join("cat", tensors)
    (d,) = normalize_dims("cat", dim, np.ndim(as_array(tensors[0])))
    return _sh.Concatenate.apply(*tensors, dim=d)


concatenate = cat


def stack(tensors: Sequence[Any], dim: int = 0) -> Any:
    _check_join("stack", tensors)
    (d,) = normalize_dims("stack", dim, np.ndim(as_array(tensors[0])) + 1)
    return _sh.Stack.apply(*tensors, dim=d)
