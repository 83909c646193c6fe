"""Differentiable tensor ops (the autograd layer's vocabulary).

These are the functions behind ``Tensor``'s operators and methods, and what
``minidl.add``, ``minidl.cat``, ``minidl.where``… export.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from minidl.errors import DTypeError, ShapeError, fmt_shape
from minidl.kernels.dispatch import asarray, is_array
from minidl.ops import activation as _act
from minidl.ops import elementwise as _ew
from minidl.ops import index as _ix
from minidl.ops import linalg as _la
from minidl.ops import reduce as _red
from minidl.ops import shape as _sh
from minidl.ops._util import as_array, broadcast_error, normalize_dims, result_dtype


def _cast(x: Any, dtype: np.dtype) -> Any:
    """``x`` as ``dtype``: Tensors through the differentiable Cast, arrays by astype."""
    from minidl.tensor import Tensor

    if isinstance(x, Tensor):
        return x if x.dtype == dtype else _ew.Cast.apply(x, dtype=dtype)
    if is_array(x) and x.dtype != dtype:
        return x.astype(dtype)
    return x


def _promoted(op: str, *operands: Any, floating: bool = False) -> tuple[Any, ...]:
    """Operands cast to the dtype PyTorch's promotion gives (float32 if ``floating`` and the
    result would be integer or bool, as for true division)."""
    if len(operands) == 2:  # the common case, float tensors (and numbers): nothing to cast
        first = getattr(operands[0], "dtype", None)
        if first is not None and first.kind == "f":
            other = operands[1]
            second = getattr(other, "dtype", None)
            if second == first or (second is None and type(other) in (float, int)):
                return operands
    dtype = result_dtype(op, *operands)
    if floating and dtype.kind != "f":
        dtype = np.dtype(np.float32)
    return tuple(_cast(x, dtype) for x in operands)


def _floating(a: Any) -> Any:
    """Integer and bool tensors become float32 for ops that produce fractions (exp, sin, …)."""
    arr = as_array(a)
    if is_array(arr) and arr.dtype.kind != "f":
        return _cast(a, np.dtype(np.float32))
    return a


def add(a: Any, b: Any, alpha: float = 1) -> Any:
    if alpha != 1:
        b = mul(b, alpha)
    return _ew.Add.apply(*_promoted("add", a, b))


def sub(a: Any, b: Any, alpha: float = 1) -> Any:
    if alpha != 1:
        b = mul(b, alpha)
    return _ew.Sub.apply(*_promoted("sub", a, b))


def mul(a: Any, b: Any) -> Any:
    return _ew.Mul.apply(*_promoted("mul", a, b))


def div(a: Any, b: Any) -> Any:
    return _ew.Div.apply(*_promoted("div", a, b, floating=True))


def neg(a: Any) -> Any:
    return _ew.Neg.apply(a)


def pow(a: Any, b: Any) -> Any:  # noqa: A001
    return _ew.Pow.apply(*_promoted("pow", a, b))


def exp(a: Any) -> Any:
    return _ew.Exp.apply(_floating(a))


def log(a: Any) -> Any:
    return _ew.Log.apply(_floating(a))


def sqrt(a: Any) -> Any:
    return _ew.Sqrt.apply(_floating(a))


def abs(a: Any) -> Any:  # noqa: A001
    return _ew.Abs.apply(a)


def sin(a: Any) -> Any:
    return _ew.Sin.apply(_floating(a))


def cos(a: Any) -> Any:
    return _ew.Cos.apply(_floating(a))


def sinh(a: Any) -> Any:
    return _ew.Sinh.apply(_floating(a))


def cosh(a: Any) -> Any:
    return _ew.Cosh.apply(_floating(a))


def clone(a: Any) -> Any:
    return _ew.Clone.apply(a)


def relu(a: Any) -> Any:
    return _act.ReLU.apply(a)


def sigmoid(a: Any) -> Any:
    return _act.Sigmoid.apply(_floating(a))


def tanh(a: Any) -> Any:
    return _act.Tanh.apply(_floating(a))


def clip(a: Any, min: float | None = None, max: float | None = None) -> Any:  # noqa: A002
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    return _ew.Clip.apply(a, min, max)


clamp = clip


def maximum(a: Any, b: Any) -> Any:
    return _ew.Maximum.apply(*_promoted("maximum", a, b))


def minimum(a: Any, b: Any) -> Any:
    return neg(_ew.Maximum.apply(neg(a), neg(b)))


def where(condition: Any, x: Any, y: Any) -> Any:
    return _ew.Where.apply(as_array(condition), *_promoted("where", x, y))


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
    return Tensor._from_op(asarray(out), None, 0, dev)


def _no_grad_arithmetic(op: str, fn: Any, a: Any, b: Any) -> Any:
    """``a // b`` and ``a % b``: promoted like the other arithmetic, but (as in PyTorch's
    ``floor_divide``) not differentiated: the result is a constant."""
    from minidl.tensor import Tensor

    dtype = result_dtype(op, a, b)
    x, y = (v.astype(dtype, copy=False) if is_array(v) else v
            for v in (as_array(a), as_array(b)))
    try:
        out = fn(x, y)
    except ValueError:
        raise broadcast_error(op, x, y) from None
    dev = a.device if isinstance(a, Tensor) else b.device
    return Tensor._from_op(asarray(out), None, 0, dev)


def floor_divide(a: Any, b: Any) -> Any:
    return _no_grad_arithmetic("floor_divide", np.floor_divide, a, b)


def remainder(a: Any, b: Any) -> Any:
    return _no_grad_arithmetic("remainder", np.remainder, a, b)


def _dims(op: str, a: Any, dim: int | Sequence[int] | None) -> tuple[int, ...] | None:
    return normalize_dims(op, dim, np.ndim(as_array(a)))


def _float_only(op: str, a: Any) -> None:
    if asarray(as_array(a)).dtype.kind != "f":
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


def setitem(a: Any, index: Any, value: Any) -> Any:
    """A copy of ``a`` with ``value`` written at ``index`` (``t[index] = value`` in a graph)."""
    a, value = _promoted("__setitem__", a, value)
    return _ix.SetItem.apply(a, value, _sh.normalize_index(index))


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


# -- ops added for PyTorch programs (each as torch.<name> / Tensor.<name>) -----------------------


def _dim(op: str, a: Any, dim: int) -> int:
    return normalize_dims(op, dim, np.ndim(as_array(a)))[0]


def softmax(a: Any, dim: int) -> Any:
    return _act.Softmax.apply(_floating(a), dim=_dim("softmax", a, dim))


def log_softmax(a: Any, dim: int) -> Any:
    return _act.LogSoftmax.apply(_floating(a), dim=_dim("log_softmax", a, dim))


def bmm(a: Any, b: Any) -> Any:
    """Batched matrix product (B, n, k) @ (B, k, m) → (B, n, m); no broadcasting."""
    sa, sb = np.shape(as_array(a)), np.shape(as_array(b))
    if len(sa) != 3 or len(sb) != 3 or sa[0] != sb[0]:
        raise ShapeError(
            f"bmm: expected (B, n, k) and (B, k, m) with the same B, got {fmt_shape(sa)} and "
            f"{fmt_shape(sb)}"
        )
    return matmul(a, b)


def einsum(equation: str, *operands: Any) -> Any:
    """``einsum("bij,bjk->bik", a, b)``; operands may also come as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return _la.Einsum.apply(*_promoted("einsum", *operands), equation=equation)


def tril(a: Any, diagonal: int = 0) -> Any:
    return _sh.Triangle.apply(a, int(diagonal), False)


def triu(a: Any, diagonal: int = 0) -> Any:
    return _sh.Triangle.apply(a, int(diagonal), True)


def cumsum(a: Any, dim: int) -> Any:
    return _red.CumSum.apply(a, _dim("cumsum", a, dim))


def norm(a: Any, p: float | str = "fro", dim: int | Sequence[int] | None = None,
         keepdim: bool = False) -> Any:
    """The p-norm (``'fro'`` = 2) of all elements, or along ``dim``."""
    _float_only("norm", a)
    if p == "fro":
        p = 2
    if isinstance(p, str) or not p > 0:
        raise ValueError(f"norm: p must be a number > 0, inf or 'fro', got {p!r}")
    return _red.Norm.apply(a, float(p), _dims("norm", a, dim), keepdim)


def gather(a: Any, dim: int, index: Any) -> Any:
    return _ix.Gather.apply(a, _dim("gather", a, dim), as_array(index))


def scatter(a: Any, dim: int, index: Any, src: Any = None, value: Any = None,
            reduce: str | None = None) -> Any:
    """A copy of ``a`` with ``src`` (a tensor, or a number) or ``value`` written at ``index``
    (added, with ``reduce='add'``)."""
    source = value if src is None else src
    if source is None:
        raise ValueError("scatter: give src (a tensor or a number) or value (a number)")
    if reduce not in (None, "add"):
        raise ValueError(f"scatter: reduce must be None or 'add', got {reduce!r}")
    a, source = _promoted("scatter", a, source)
    return _ix.Scatter.apply(a, _dim("scatter", a, dim), as_array(index), source, reduce)


def scatter_add(a: Any, dim: int, index: Any, src: Any) -> Any:
    return scatter(a, dim, index, src, reduce="add")


def index_select(a: Any, dim: int, index: Any) -> Any:
    """The slices ``index`` (1-D integers) of ``a`` along ``dim``, in that order."""
    d = _dim("index_select", a, dim)
    idx = asarray(as_array(index))
    if idx.ndim > 1 or idx.dtype.kind not in "iu":
        raise ShapeError(f"index_select: index must be a 1-D integer tensor, got "
                         f"{fmt_shape(idx.shape)} {idx.dtype}")
    return getitem(a, (slice(None),) * d + (idx.reshape(-1),))


def masked_fill(a: Any, mask: Any, value: Any) -> Any:
    fill = as_array(value)
    if np.ndim(fill) != 0:
        raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got "
                         f"{fmt_shape(np.shape(fill))}")
    fill = fill.item() if is_array(fill) else fill
    return _ix.MaskedFill.apply(a, as_array(mask), fill)


def narrow(a: Any, dim: int, start: int, length: int) -> Any:
    d = _dim("narrow", a, dim)
    size = np.shape(as_array(a))[d]
    start = int(start) + (size if start < 0 else 0)
    if not 0 <= start <= start + length <= size:
        raise ShapeError(f"narrow: [{start}, {start + length}) is outside dim {d} of size {size}")
    return getitem(a, (slice(None),) * d + (slice(start, start + length),))


def split(a: Any, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple[Any, ...]:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes."""
    d = _dim("split", a, dim)
    size = np.shape(as_array(a))[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0:
            raise ValueError(f"split: split_size must be > 0, got {step}")
        sizes = [step] * (size // step) + ([size % step] if size % step else [])
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if int(np.sum(sizes)) != size:
            raise ShapeError(f"split: sizes {sizes} do not add up to {size} (dim {d})")
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    lead = (slice(None),) * d
    return tuple(getitem(a, lead + (slice(int(s), int(e)),))
                 for s, e in zip(bounds[:-1], bounds[1:]))


def chunk(a: Any, chunks: int, dim: int = 0) -> tuple[Any, ...]:
    """``chunks`` pieces of equal size ⌈n / chunks⌉ along ``dim`` (fewer when n is small)."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be > 0, got {chunks}")
    size = np.shape(as_array(a))[_dim("chunk", a, dim)]
    return split(a, -(-size // chunks) or 1, dim)


def repeat_interleave(a: Any, repeats: Any, dim: int | None = None) -> Any:
    """Each element (``dim=None``: of the flattened tensor) repeated ``repeats`` times."""
    if dim is None:
        a, dim = flatten(a), 0
    d = _dim("repeat_interleave", a, dim)
    reps = as_array(repeats)
    return index_select(a, d, np.repeat(np.arange(np.shape(as_array(a))[d]), reps))


def repeat(a: Any, sizes: Sequence[int]) -> Any:
    return _sh.Repeat.apply(a, tuple(int(s) for s in sizes))


def _indices_tensor(array: np.ndarray, like: Any) -> Any:
    from minidl.tensor import Tensor

    dev = like.device if isinstance(like, Tensor) else None
    return Tensor._from_op(asarray(array, dtype=np.int64), None, 0, dev)


def argmax(a: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    d = None if dim is None else _dim("argmax", a, dim)
    out = np.argmax(as_array(a), axis=d, keepdims=keepdim and d is not None)
    return _indices_tensor(out, a)


def argmin(a: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    d = None if dim is None else _dim("argmin", a, dim)
    out = np.argmin(as_array(a), axis=d, keepdims=keepdim and d is not None)
    return _indices_tensor(out, a)


class ValuesIndices(NamedTuple):
    """What ``max(dim)``, ``min(dim)``, ``sort`` and ``topk`` return, as in PyTorch."""

    values: Any
    indices: Any


MaxMin = ValuesIndices


def max_along(a: Any, dim: int, keepdim: bool, largest: bool) -> ValuesIndices:
    """(values, indices) of the max (``largest``) or min along ``dim``; the gradient goes
    to the returned index only (PyTorch's rule for ``max(dim)``)."""
    d = _dim("max" if largest else "min", a, dim)
    if np.shape(as_array(a))[d] == 0:
        raise ShapeError(f"max/min: dim {d} of {fmt_shape(np.shape(as_array(a)))} is empty")
    pick = np.argmax if largest else np.argmin
    idx = pick(as_array(a), axis=d, keepdims=True)
    values = gather(a, d, idx)
    if not keepdim:
        values, idx = squeeze(values, d), np.squeeze(idx, axis=d)
    return ValuesIndices(values, _indices_tensor(idx, a))


def sort(a: Any, dim: int = -1, descending: bool = False, stable: bool = False
         ) -> ValuesIndices:
    """(values, indices) sorted along ``dim``; equal values keep their order (stable)."""
    d = _dim("sort", a, dim)
    arr = as_array(a)
    key = -(arr if arr.dtype.kind == "f" else arr.astype(np.int64)) if descending else arr
    idx = np.argsort(key, axis=d, kind="stable")
    return ValuesIndices(gather(a, d, idx), _indices_tensor(idx, a))


def topk(a: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True  # noqa: A002
         ) -> ValuesIndices:
    """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
    d = _dim("topk", a, dim)
    size = np.shape(as_array(a))[d]
    if not 0 <= k <= size:
        raise ShapeError(f"topk: k={k} is out of range for dim {d} of size {size}")
    _, idx = sort(a, d, descending=largest)
    idx = as_array(idx)[(slice(None),) * d + (slice(0, k),)]  # the first k along dim d
    return ValuesIndices(gather(a, d, idx), _indices_tensor(idx, a))


def nonzero(a: Any, as_tuple: bool = False) -> Any:
    """Indices of the non-zero elements: (n, ndim), or one 1-D tensor per dim."""
    found = np.nonzero(as_array(a))
    if as_tuple:
        return tuple(_indices_tensor(i, a) for i in found)
    return _indices_tensor(np.stack(found, axis=1) if found else np.zeros((0, 0)), a)


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Any, ...]:
    """Coordinate grids: output i varies along dim i (``'xy'`` swaps the first two)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    sizes = [int(np.size(as_array(t))) for t in tensors]
    if indexing == "xy" and len(sizes) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(tensors):
        axis = (1 - i if i < 2 else i) if indexing == "xy" and len(sizes) >= 2 else i
        shape = [1] * len(sizes)
        shape[axis] = -1
        out.append(expand(reshape(t, shape), sizes))
    return tuple(out)


def max(a: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """``max(x)`` the largest element, ``max(x, dim)`` (values, indices), ``max(x, y)``
    elementwise (= ``maximum``)."""
    from minidl.tensor import Tensor

    if isinstance(dim, Tensor):
        return maximum(a, dim)
    if dim is None:
        return amax(a)
    return max_along(a, dim, keepdim, largest=True)


def min(a: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """``min(x)``, ``min(x, dim)`` (values, indices) or ``min(x, y)`` (= ``minimum``)."""
    from minidl.tensor import Tensor

    if isinstance(dim, Tensor):
        return minimum(a, dim)
    if dim is None:
        return amin(a)
    return max_along(a, dim, keepdim, largest=False)
