"""Indexing a CudaArray: NumPy's basic indexing as views, advanced indexing by gather/scatter.

Basic indices (ints, slices, ``None``, ``...``) give views. Advanced indices (integer arrays
on consecutive axes, or one boolean mask) are turned into one array of element offsets
(Σ_j index_j · stride_j), so a single gather/scatter kernel serves ``a[idx]``,
``a[rows, cols]``, ``a[mask]``, ``a[idx] = v`` and ``np.add.at(a, idx, v)``. A boolean mask
needs its ``True`` count to shape the result, so it is read on the host (like PyTorch's
``nonzero``, a synchronisation).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.kernels.cuda import _strided
from minidl.kernels.cuda.array import CudaArray


def _is_advanced(ix: Any) -> bool:
    return isinstance(ix, (CudaArray, np.ndarray, list)) or (
        isinstance(ix, np.generic) and ix.dtype == np.bool_) or isinstance(ix, bool)


def _expand(a: CudaArray, index: Any) -> list[Any]:
    index = list(index) if isinstance(index, tuple) else [index]
    if any(isinstance(ix, (CudaArray, np.ndarray)) and ix.dtype == np.bool_ for ix in index):
        if len(index) != 1:
            raise IndexError("cuda arrays support a boolean mask only as the whole index")
        mask = index[0]
        host = mask.get() if isinstance(mask, CudaArray) else mask
        if host.shape != a.shape[:host.ndim]:
            raise IndexError(f"boolean index of shape {host.shape} does not match the cuda "
                             f"array's shape {a.shape}")
        index = list(np.nonzero(host))
    used = sum(1 for ix in index if ix is not None and ix is not Ellipsis)
    at = next((i for i, ix in enumerate(index) if ix is Ellipsis), None)
    if at is not None:
        index[at:at + 1] = [slice(None)] * (a.ndim - used)
    else:
        index += [slice(None)] * (a.ndim - used)
    if used > a.ndim:
        raise IndexError(f"too many indices for a cuda array with {a.ndim} dims")
    return index


def _split(a: CudaArray, index: Any) -> tuple[CudaArray, int, list[Any]]:
    """(basic view, axis where the advanced indices sit in it, [(index, axis length, stride)])."""
    shape, strides, offset = [], [], a.offset
    adv: list[Any] = []
    adv_at = -1
    dim = 0
    for ix in _expand(a, index):
        if ix is None:
            shape.append(1)
            strides.append(0)
        elif isinstance(ix, slice):
            start, stop, step = ix.indices(a.shape[dim])
            shape.append(len(range(start, stop, step)))
            strides.append(a.strides_[dim] * step)
            offset += start * a.strides_[dim]
            dim += 1
        elif _is_advanced(ix):
            if adv and adv_at != len(shape):
                raise IndexError("cuda arrays support advanced indices only on consecutive axes")
            adv_at = len(shape)
            adv.append((ix, a.shape[dim], a.strides_[dim]))
            dim += 1
        else:
            i = int(ix)
            if not -a.shape[dim] <= i < a.shape[dim]:
                raise IndexError(f"index {i} is out of bounds for axis {dim} with size "
                                 f"{a.shape[dim]}")
            offset += (i % a.shape[dim]) * a.strides_[dim]
            dim += 1
    return a._view(tuple(shape), tuple(strides), offset), adv_at, adv


def _offsets(adv: list[Any]) -> CudaArray:
    """Σ_j wrap(index_j) · stride_j as an int64 CudaArray (indices broadcast together)."""
    total: Any = None
    for ix, n, stride in adv:
        if not isinstance(ix, CudaArray):
            host = np.asarray(ix)
            if host.dtype.kind not in "iu":
                raise IndexError(f"cuda arrays are indexed by integer or bool arrays, got "
                                 f"dtype {host.dtype}")
            ix = CudaArray.from_host(np.where(host < 0, host + n, host).astype(np.int64))
        elif ix.dtype.kind not in "iu":
            raise IndexError(f"cuda arrays are indexed by integer or bool arrays, got dtype "
                             f"{ix.dtype}")
        else:
            ix = np.where(ix < 0, ix + n, ix).astype(np.int64, copy=False)
        term = ix * stride
        total = term if total is None else total + term
    return total


def _plan(a: CudaArray, index: Any) -> Any:
    """(result shape, a operand, offsets operand) of an advanced index, or a basic view."""
    view, at, adv = _split(a, index)
    if not adv:
        return view
    offsets = _offsets(adv)
    k = offsets.ndim
    shape = view.shape[:at] + offsets.shape + view.shape[at:]
    a_strides = view.strides_[:at] + (0,) * k + view.strides_[at:]
    o_view = offsets.reshape((1,) * at + offsets.shape + (1,) * (view.ndim - at))
    o_view = o_view.broadcast_to(shape)
    pshape, pa = _strided.pad(shape, a_strides)
    a_op = (view.buf, view.offset, pa)
    o_op = (o_view.buf, o_view.offset, _strided.pad(shape, o_view.strides_)[1])
    return shape, pshape, a_op, o_op


def getitem(a: CudaArray, index: Any) -> CudaArray:
    """``a[index]``: a view for basic indices, a gathered copy for advanced ones."""
    plan = _plan(a, index)
    if isinstance(plan, CudaArray):
        return plan
    shape, pshape, a_op, o_op = plan
    out = CudaArray.empty(shape, a.dtype)
    _strided.index_op(_strided.GATHER, pshape, a_op, o_op, out.operand(shape))
    return out


def setitem(a: CudaArray, index: Any, value: Any, accumulate: bool = False) -> None:
    """``a[index] = value`` (``accumulate``: ``np.add.at(a, index, value)``)."""
    plan = _plan(a, index)
    if isinstance(plan, CudaArray):
        if accumulate:
            np.add(plan, value, out=plan)
        else:
            plan.assign(value)
        return
    shape, pshape, a_op, o_op = plan
    if not isinstance(value, CudaArray):
        from minidl.kernels.cuda.array import scalar

        if np.ndim(value):
            raise TypeError("cannot assign a host NumPy array into a cuda array; upload it first")
        value = scalar(np.asarray(value).item(), a.dtype)  # a number or a 0-d array
    elif value.dtype != a.dtype:
        value = value.astype(a.dtype)
    kernel = _strided.SCATTER_ADD if accumulate else _strided.SCATTER
    _strided.index_op(kernel, pshape, a_op, o_op, value.operand(shape))
