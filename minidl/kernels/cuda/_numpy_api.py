"""The NumPy functions (NEP 18) a CudaArray supports: ``FUNCTIONS[np.sum](a, axis=1)``.

These are the functions minidl's ops, functional, nn and optim layers call on arrays;
each returns CudaArrays (or Python values for ``np.shape`` and friends). Reductions run
:func:`minidl.kernels.cuda._strided.reduce_kernel`, except float sums, which use the
block-parallel, float64-accumulating :func:`minidl.kernels.cuda.reduce.sum_axes`; matmul
runs the tiled GEMM of :mod:`minidl.kernels.cuda.gemm`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minidl.kernels.cuda import _strided
from minidl.kernels.cuda._ufuncs import CLIP, REDUCERS, WHERE
from minidl.kernels.cuda.array import CudaArray, apply_ufunc, scalar

FUNCTIONS: dict[Callable, Callable] = {}


def implements(*funcs: Callable) -> Callable:
    def register(impl: Callable) -> Callable:
        for f in funcs:
            FUNCTIONS[f] = impl
        return impl
    return register


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    out = []
    for a in axes:
        if not -max(ndim, 1) <= int(a) < max(ndim, 1):
            raise np.exceptions.AxisError(int(a), ndim)
        out.append(int(a) % max(ndim, 1))
    return tuple(sorted(set(out)))


def _reduce_plan(a: CudaArray, axis: Any) -> tuple:
    """(kept shape, kept operand, reduced operand, n_out, n_red, reduced axes)."""
    axes = _axes(axis, a.ndim)
    kept = [d for d in range(a.ndim) if d not in axes]
    kshape = tuple(a.shape[d] for d in kept)
    kpad = _strided.pad(kshape, tuple(a.strides_[d] for d in kept))
    rpad = _strided.pad(tuple(a.shape[d] for d in axes), tuple(a.strides_[d] for d in axes))
    n_red = int(np.prod([a.shape[d] for d in axes]))
    return kshape, kpad, rpad, int(np.prod(kshape)), n_red, axes


def _keep(out: CudaArray, a: CudaArray, axes: tuple[int, ...], keepdims: bool) -> CudaArray:
    if not keepdims:
        return out
    return out.reshape(tuple(1 if d in axes else n for d, n in enumerate(a.shape)))


def reduce(ufunc: np.ufunc, a: Any, axis: Any = None, keepdims: bool = False,
           dtype: Any = None) -> CudaArray:
    """``ufunc.reduce(a, axis)`` (np.sum, np.max, np.any, …) on the device."""
    a = _as_cuda(a)
    if dtype is not None:
        a = a.astype(dtype, copy=False)
    elif ufunc in (np.add, np.multiply) and a.dtype.kind in "biu" and a.dtype.itemsize < 8:
        a = a.astype(np.int64)
    elif ufunc in (np.logical_or, np.logical_and) and a.dtype != np.bool_:
        a = a.astype(np.bool_)
    kshape, kept, red, n_out, n_red, axes = _reduce_plan(a, axis)
    if n_red == 0:
        if ufunc not in (np.add, np.multiply, np.logical_or, np.logical_and):
            raise ValueError(f"zero-size array to reduction operation {ufunc.__name__} which "
                             "has no identity")
        identity = ufunc.identity
        out = CudaArray.empty(kshape, a.dtype)
        out.assign(identity)
        return _keep(out, a, axes, keepdims)
    if ufunc is np.add and a.dtype.kind == "f" and axes:
        # float sums: the block-parallel, float64-accumulating kernels of reduce.py
        from minidl.kernels.cuda.reduce import sum_axes

        out = CudaArray.from_device(sum_axes(a.device_array(), axes, keepdims=False))
        return _keep(out, a, axes, keepdims)
    out = CudaArray.empty(kshape, a.dtype)
    REDUCERS[ufunc](out.buf, n_out, kept, (a.buf, a.offset), n_red, red)
    return _keep(out, a, axes, keepdims)


def _as_cuda(a: Any) -> CudaArray:
    if isinstance(a, CudaArray):
        return a
    if isinstance(a, np.ndarray) and a.ndim:
        raise TypeError(f"expected a cuda array, got a host NumPy array of shape {a.shape}")
    return scalar(np.asarray(a).item(), np.asarray(a).dtype)


@implements(np.sum)
def _sum(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, **_: Any) -> Any:
    return reduce(np.add, a, axis, keepdims, dtype)


@implements(np.prod)
def _prod(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    return reduce(np.multiply, a, axis, keepdims, dtype)


@implements(np.max, np.amax)
def _max(a: Any, axis: Any = None, keepdims: bool = False, **_: Any) -> Any:
    return reduce(np.maximum, a, axis, keepdims)


@implements(np.min, np.amin)
def _min(a: Any, axis: Any = None, keepdims: bool = False, **_: Any) -> Any:
    return reduce(np.minimum, a, axis, keepdims)


@implements(np.any)
def _any(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return reduce(np.logical_or, a, axis, keepdims)


@implements(np.all)
def _all(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return reduce(np.logical_and, a, axis, keepdims)


@implements(np.count_nonzero)
def _count_nonzero(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return reduce(np.add, _as_cuda(a).astype(np.bool_), axis, keepdims)


@implements(np.mean)
def _mean(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    a = _as_cuda(a)
    total = reduce(np.add, a if a.dtype.kind == "f" else a.astype(np.float64), axis, keepdims,
                   dtype)
    n = a.size // max(total.size, 1) if a.size else 0
    return np.true_divide(total, n, out=total) if n else total


@implements(np.var)
def _var(a: Any, axis: Any = None, dtype: Any = None, ddof: int = 0, keepdims: bool = False
         ) -> Any:
    a = _as_cuda(a)
    centred = a - _mean(a, axis, dtype, keepdims=True)
    total = reduce(np.add, centred * centred, axis, keepdims)
    n = a.size // max(total.size, 1)
    return np.true_divide(total, max(n - ddof, 0), out=total)


@implements(np.std)
def _std(a: Any, axis: Any = None, dtype: Any = None, ddof: int = 0, keepdims: bool = False
         ) -> Any:
    return np.sqrt(_var(a, axis, dtype, ddof, keepdims))


def _arg(a: Any, axis: Any, keepdims: bool, sign: int) -> CudaArray:
    a = _as_cuda(a)
    if a.size == 0:
        raise ValueError("attempt to get argmax/argmin of an empty sequence")
    kshape, kept, red, n_out, n_red, axes = _reduce_plan(a, axis)
    out = CudaArray.empty(kshape, np.int64)
    _strided.arg_reduce(out.buf, n_out, kept, (a.buf, a.offset), n_red, red, sign)
    if keepdims:
        return _keep(out, a, axes, True) if axis is not None else out.reshape((1,) * a.ndim)
    return out


@implements(np.cumsum)
def _cumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> CudaArray:
    if out is not None:
        raise TypeError("np.cumsum: out= is not supported on cuda arrays; assign the result")
    a = _as_cuda(a)
    if axis is None:
        a, axis = a.reshape(-1), 0
    if dtype is not None or a.dtype.kind in "biu" and a.dtype.itemsize < 8:
        a = a.astype(dtype or np.int64, copy=False)
    axis = _axes(axis, a.ndim)[0]
    moved = _moveaxis(a, axis, -1)  # the scanned axis last: rows of the output are contiguous
    kshape, kept, _, n_out, n, _ = _reduce_plan(moved, moved.ndim - 1)
    result = CudaArray.empty(moved.shape, a.dtype)
    if result.size:
        _strided.scan(result.buf, n_out, kept, (moved.buf, moved.offset), n, moved.strides_[-1])
    return _moveaxis(result, -1, axis)


@implements(np.argsort)
def _argsort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *,
             stable: Any = None) -> CudaArray:
    """Indices that sort ``a`` along ``axis``, always stable (a valid answer for every
    ``kind``), NaN last, as NumPy."""
    a = _as_cuda(a)
    if order is not None:
        raise TypeError("np.argsort: order= (structured arrays) is not supported on cuda arrays")
    if axis is None:
        a, axis = a.reshape(-1), 0
    axis = _axes(axis, a.ndim)[0]
    moved = _moveaxis(a, axis, -1)  # the sorted axis last: rows of the output are contiguous
    _, kept, _, n_out, n, _ = _reduce_plan(moved, moved.ndim - 1)
    result = CudaArray.empty(moved.shape, np.int64)
    if result.size:
        _strided.argsort(result.buf, n_out, kept, (moved.buf, moved.offset), n,
                         moved.strides_[-1])
    return _moveaxis(result, -1, axis)


@implements(np.tile)
def _tile(a: Any, reps: Any) -> CudaArray:
    a = _as_cuda(a)
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(int(r) for r in reps)
    ndim = max(a.ndim, len(reps))
    shape = (1,) * (ndim - a.ndim) + a.shape
    reps = (1,) * (ndim - len(reps)) + reps
    # (r0, s0, r1, s1, …) as a broadcast view of a reshaped to (1, s0, 1, s1, …), then copied
    spread = a.reshape(tuple(n for s in shape for n in (1, s)))
    spread = spread.broadcast_to(tuple(n for r, s in zip(reps, shape) for n in (r, s)))
    return spread.copy().reshape(tuple(r * s for r, s in zip(reps, shape)))


@implements(np.argmax)
def _argmax(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    return _arg(a, axis, keepdims, 1)


@implements(np.argmin)
def _argmin(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    return _arg(a, axis, keepdims, -1)


# -- shapes and views --------------------------------------------------------------------------
implements(np.shape)(lambda a: a.shape)
implements(np.ndim)(lambda a: a.ndim)
implements(np.size)(lambda a, axis=None: a.size if axis is None else a.shape[axis])
implements(np.may_share_memory, np.shares_memory)(
    lambda a, b, max_work=None: isinstance(a, CudaArray) and isinstance(b, CudaArray)
    and a.buf is b.buf)
implements(np.reshape)(lambda a, shape=None, order="C", **kw: a.reshape(
    kw.get("newshape", shape)))
implements(np.transpose)(lambda a, axes=None: a.transpose(axes))
implements(np.swapaxes)(lambda a, axis1, axis2: a.swapaxes(axis1, axis2))
implements(np.squeeze)(lambda a, axis=None: a.squeeze(axis))
implements(np.ravel)(lambda a, order="C": a.ravel())
implements(np.broadcast_to)(lambda a, shape, subok=False: _as_cuda(a).broadcast_to(
    (shape,) if np.ndim(shape) == 0 else shape))
implements(np.ascontiguousarray)(
    lambda a, dtype=None, **_: (a if a.is_contiguous() else a.copy()).astype(
        dtype or a.dtype, copy=False))
implements(np.copy)(lambda a, order="K", subok=False: a.copy())


@implements(np.moveaxis)
def _moveaxis(a: CudaArray, source: Any, destination: Any) -> CudaArray:
    src = [int(s) % a.ndim for s in np.atleast_1d(source)]
    dst = [int(d) % a.ndim for d in np.atleast_1d(destination)]
    order = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return a.transpose(order)


@implements(np.expand_dims)
def _expand_dims(a: CudaArray, axis: Any) -> CudaArray:
    axes = [int(x) for x in np.atleast_1d(axis)]
    ndim = a.ndim + len(axes)
    axes = sorted(x % ndim for x in axes)
    shape, strides = list(a.shape), list(a.strides_)
    for x in axes:
        shape.insert(x, 1)
        strides.insert(x, 0)
    return a._view(tuple(shape), tuple(strides), a.offset)


@implements(np.flip)
def _flip(a: CudaArray, axis: Any = None) -> CudaArray:
    index = [slice(None)] * a.ndim
    for d in _axes(axis, a.ndim):
        index[d] = slice(None, None, -1)
    return a[tuple(index)]


# -- making arrays ------------------------------------------------------------------------------
def _full_like(a: CudaArray, value: Any, dtype: Any = None, shape: Any = None) -> CudaArray:
    out = CudaArray.empty(a.shape if shape is None else shape, dtype or a.dtype)
    out.assign(value)
    return out


implements(np.zeros_like)(lambda a, dtype=None, order="K", subok=True, shape=None:
                          _full_like(a, 0, dtype, shape))
implements(np.ones_like)(lambda a, dtype=None, order="K", subok=True, shape=None:
                         _full_like(a, 1, dtype, shape))
implements(np.empty_like)(lambda a, dtype=None, order="K", subok=True, shape=None:
                          CudaArray.empty(a.shape if shape is None else shape, dtype or a.dtype))
implements(np.full_like)(lambda a, fill_value, dtype=None, order="K", subok=True, shape=None:
                         _full_like(a, fill_value, dtype, shape))


@implements(np.concatenate)
def _concatenate(arrays: Any, axis: int = 0, out: Any = None, dtype: Any = None) -> CudaArray:
    arrays = [_as_cuda(x) for x in arrays]
    if axis is None:
        arrays, axis = [x.reshape(-1) for x in arrays], 0
    axis = int(axis) % arrays[0].ndim
    dtype = dtype or np.result_type(*(x.dtype for x in arrays))
    shape = list(arrays[0].shape)
    shape[axis] = sum(x.shape[axis] for x in arrays)
    result = CudaArray.empty(tuple(shape), dtype)
    start = 0
    for x in arrays:
        index = [slice(None)] * len(shape)
        index[axis] = slice(start, start + x.shape[axis])
        result[tuple(index)] = x
        start += x.shape[axis]
    return result


@implements(np.stack)
def _stack(arrays: Any, axis: int = 0, out: Any = None, dtype: Any = None) -> CudaArray:
    arrays = [_as_cuda(x) for x in arrays]
    axis = int(axis) % (arrays[0].ndim + 1)
    return _concatenate([_expand_dims(x, axis) for x in arrays], axis, dtype=dtype)


@implements(np.split)
def _split(a: CudaArray, indices_or_sections: Any, axis: int = 0) -> list[CudaArray]:
    n = a.shape[axis]
    if np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if n % sections:
            raise ValueError("array split does not result in an equal division")
        cuts = list(range(0, n + 1, n // sections))
    else:
        cuts = [0, *indices_or_sections, n]
    parts = []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        index = [slice(None)] * a.ndim
        index[axis] = slice(lo, hi)
        parts.append(a[tuple(index)])
    return parts


@implements(np.where)
def _where(cond: Any, x: Any = None, y: Any = None) -> CudaArray:
    if x is None or y is None:
        raise TypeError("np.where(cond) (nonzero) is not supported on cuda arrays")
    cond = _as_cuda(cond).astype(np.bool_, copy=False)
    sig = [v.dtype if isinstance(v, (CudaArray, np.ndarray, np.generic)) else type(v)
           for v in (x, y)]
    dtype = np.result_type(*(np.empty(0, s) if isinstance(s, np.dtype) else s(0) for s in sig))
    ops = [v.astype(dtype, copy=False) if isinstance(v, CudaArray) else
           scalar(np.asarray(v).item(), dtype) for v in (x, y)]
    shape = np.broadcast_shapes(cond.shape, *(v.shape for v in ops))
    out = CudaArray.empty(shape, dtype)
    WHERE(_strided.pad(shape, shape)[0],
          out.operand(shape), cond.operand(shape), *(v.operand(shape) for v in ops))
    return out


@implements(np.clip)
def _clip(a: CudaArray, a_min: Any = None, a_max: Any = None, **_: Any) -> CudaArray:
    if a_min is None:
        return np.minimum(a, a_max)
    if a_max is None:
        return np.maximum(a, a_min)
    lo, hi = (v if isinstance(v, CudaArray) else scalar(v, a.dtype) for v in (a_min, a_max))
    out = CudaArray.empty(a.shape, a.dtype)
    CLIP(_strided.pad(a.shape, a.shape)[0], out.operand(a.shape), a.operand(a.shape),
         lo.operand(a.shape), hi.operand(a.shape))
    return out


def _triangle(a: CudaArray, k: int, upper: bool) -> CudaArray:
    """The lower (upper) triangle of the last two axes, zeros elsewhere (mask made on the
    host from the shape alone, uploaded once per shape)."""
    key = (a.shape[-2:], int(k), upper)
    mask = _TRIANGLES.get(key)
    if mask is None:
        lower = np.tri(*a.shape[-2:], k=k - 1 if upper else k, dtype=bool)
        mask = _TRIANGLES[key] = CudaArray.from_host(~lower if upper else lower)
    return _where(mask, a, 0)


_TRIANGLES: dict[tuple, CudaArray] = {}
implements(np.tril)(lambda m, k=0: _triangle(m, k, upper=False))
implements(np.triu)(lambda m, k=0: _triangle(m, k, upper=True))


@implements(np.matmul)
def _matmul(a: Any, b: Any, **_: Any) -> CudaArray:
    return matmul(a, b)


def _gemm_operand(m: CudaArray) -> tuple[Any, bool]:
    """A 2-D operand for the GEMM: (device array, read transposed?). The transpose of a
    contiguous matrix (``w.T``) is passed as that matrix with the flag, not copied."""
    if not m.is_contiguous() and m.T.is_contiguous():
        return m.T.device_array(), True
    return m.device_array(), False


def matmul(a: CudaArray, b: CudaArray) -> CudaArray:
    """``a @ b`` with NumPy's rules (1-D promotion, broadcast batch dims) on the tiled GEMM."""
    from minidl.kernels.cuda import gemm

    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: input operand does not have enough dimensions")
    dtype = np.result_type(a.dtype, b.dtype)
    a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
    va = a.reshape(1, -1) if a.ndim == 1 else a
    vb = b.reshape(-1, 1) if b.ndim == 1 else b
    if va.shape[-1] != vb.shape[-2]:
        raise ValueError(f"matmul: mismatch in core dimension: {a.shape} @ {b.shape}")
    if va.ndim == 2 and vb.ndim == 2:
        (xa, ta), (xb, tb) = _gemm_operand(va), _gemm_operand(vb)
        out = CudaArray.from_device(gemm.gemm(xa, xb, trans_a=ta, trans_b=tb))
    else:
        batch = np.broadcast_shapes(va.shape[:-2], vb.shape[:-2])
        xa = va.broadcast_to(batch + va.shape[-2:]).reshape(-1, *va.shape[-2:])
        xb = vb.broadcast_to(batch + vb.shape[-2:]).reshape(-1, *vb.shape[-2:])
        out = CudaArray.from_device(gemm.bmm(xa.device_array(), xb.device_array()))
        out = out.reshape(batch + out.shape[-2:])
    if a.ndim == 1:
        out = out.reshape(out.shape[:-2] + out.shape[-1:])
    if b.ndim == 1:
        out = out.reshape(out.shape[:-1])
    return out


def ufunc_at(ufunc: np.ufunc, a: CudaArray, index: Any, values: Any) -> None:
    """``np.add.at(a, index, values)``: scatter-add, repeated indices accumulating."""
    from minidl.kernels.cuda._indexing import setitem

    if ufunc is not np.add:
        raise TypeError(f"np.{ufunc.__name__}.at is not supported on cuda arrays")
    setitem(a, index, values, accumulate=True)


__all__ = ["FUNCTIONS", "apply_ufunc", "matmul", "reduce", "ufunc_at"]
