"""``CudaArray``: an n-dimensional view of a CUDA device buffer that NumPy code can use.

A CudaArray is ``(buf, shape, strides, offset, dtype)``: ``buf`` a flat 1-D numba device
array, ``strides`` in elements (any sign; 0 on a broadcast axis). Views (reshape of a
contiguous array, transpose, basic slicing, broadcast_to) share ``buf``; ops launch the
strided kernels of :mod:`minidl.kernels.cuda._strided` and return new contiguous arrays.

It speaks NumPy's protocols, so code written as ``np.add(a, b)``, ``np.exp(a)``,
``np.sum(a, axis=1, keepdims=True)``, ``np.where(m, a, b)`` or ``a.reshape(2, -1).T`` runs
unchanged on the device (``__array_ufunc__``, NEP 13, and ``__array_function__``, NEP 18;
the functions are in :mod:`minidl.kernels.cuda._numpy_api`). An unsupported function
raises a ``TypeError`` naming it. ``np.asarray(a)`` raises too: data reaches the host only
through an explicit :meth:`CudaArray.get`, so no op hides a device→host copy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import cuda

from minidl.kernels import dispatch
from minidl.kernels.cuda import _strided
from minidl.kernels.cuda._ufuncs import COPY, REDUCERS, UFUNCS
from minidl.kernels.cuda.launch import SIMULATED

if SIMULATED:
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray as _RAW
else:
    from numba.cuda.cudadrv.devicearray import DeviceNDArray as _RAW


def _c_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


class _Flags:
    """The two ``ndarray.flags`` entries minidl reads."""

    def __init__(self, c_contiguous: bool) -> None:
        self.c_contiguous = c_contiguous
        self.writeable = True

    def __getitem__(self, name: str) -> bool:
        return {"C_CONTIGUOUS": self.c_contiguous, "WRITEABLE": True}[name]


class CudaArray:
    """A view of a CUDA device buffer (see the module docstring)."""

    __slots__ = ("buf", "shape", "strides_", "offset", "dtype")
    __array_priority__ = 2000  # Tensor has 1000; an ndarray defers to us

    def __init__(self, buf: Any, shape: tuple[int, ...], strides: tuple[int, ...] | None = None,
                 offset: int = 0) -> None:
        self.buf = buf
        self.shape = tuple(int(n) for n in shape)
        self.strides_ = _c_strides(self.shape) if strides is None else tuple(strides)
        self.offset = int(offset)
        self.dtype = np.dtype(buf.dtype)

    # -- making and reading ---------------------------------------------------------------
    @classmethod
    def empty(cls, shape: Any, dtype: Any) -> CudaArray:
        """An uninitialised contiguous array."""
        shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(n) for n in shape)
        return cls(cuda.device_array(max(int(np.prod(shape)), 1), dtype=np.dtype(dtype)), shape)

    @classmethod
    def from_host(cls, array: Any, dtype: Any = None) -> CudaArray:
        """Upload a NumPy array (or anything ``np.asarray`` takes)."""
        host = np.asarray(array, dtype=dtype, order="C")  # (ascontiguousarray makes 0-d 1-d)
        flat = host.reshape(-1) if host.size else np.zeros(1, host.dtype)
        return cls(cuda.to_device(flat), host.shape)

    @classmethod
    def from_device(cls, array: Any) -> CudaArray:
        """Wrap a C-contiguous numba device array (what a CUDA kernel returns)."""
        if isinstance(array, CudaArray):
            return array
        shape = tuple(array.shape)
        if not shape:
            return cls(array.reshape(1), ())
        return cls(array.reshape(int(np.prod(shape))), shape) if array.size else cls.empty(
            shape, array.dtype)

    def get(self) -> np.ndarray:
        """Copy to the host: a new C-contiguous NumPy array."""
        src = self if self.is_contiguous() else self.copy()
        host = src.buf.copy_to_host()
        return host[src.offset:src.offset + self.size].reshape(self.shape)

    def device_array(self) -> Any:
        """A C-contiguous numba device array of this shape (a view when already contiguous)."""
        src = self if self.is_contiguous() else self.copy()
        flat = src.buf if src.offset == 0 and src.buf.size == max(src.size, 1) else \
            src.buf[src.offset:src.offset + src.size]
        return flat.reshape(self.shape)  # () gives a 0-d device array

    def is_contiguous(self) -> bool:
        return all(s == c for s, c, n in zip(self.strides_, _c_strides(self.shape), self.shape)
                   if n > 1)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(
            "can't convert cuda device array to numpy: it lives on the GPU. Use .get() "
            "(or Tensor.cpu()) to copy it to host memory first."
        )

    # -- attributes ------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def strides(self) -> tuple[int, ...]:
        """Byte strides, as ndarray.strides."""
        return tuple(s * self.dtype.itemsize for s in self.strides_)

    @property
    def flags(self) -> _Flags:
        return _Flags(self.is_contiguous())

    @property
    def T(self) -> CudaArray:  # noqa: N802
        return self.transpose()

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d cuda array")
        return self.shape[0]

    def __repr__(self) -> str:
        return f"CudaArray({self.get()!r})"

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError("the truth value of a cuda array with more than one element is "
                             "ambiguous")
        return bool(self.item())

    def item(self) -> Any:
        if self.size != 1:
            raise ValueError(f"item: can only convert an array of size 1, got size {self.size}")
        return self.get().reshape(()).item()

    def tolist(self) -> Any:
        return self.get().tolist()

    # -- views -----------------------------------------------------------------------------
    def _view(self, shape: tuple[int, ...], strides: tuple[int, ...], offset: int) -> CudaArray:
        out = CudaArray.__new__(CudaArray)
        out.buf, out.shape, out.strides_, out.offset, out.dtype = (
            self.buf, tuple(shape), tuple(strides), offset, self.dtype)
        return out

    def reshape(self, *shape: Any, order: str = "C") -> CudaArray:
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = tuple(shape[0])
        shape = tuple(int(n) for n in shape)
        if -1 in shape:
            known = int(np.prod([n for n in shape if n != -1]))
            shape = tuple(self.size // max(known, 1) if n == -1 else n for n in shape)
        if int(np.prod(shape)) != self.size:
            raise ValueError(f"cannot reshape cuda array of size {self.size} into shape {shape}")
        src = self if self.is_contiguous() else self.copy()
        return src._view(shape, _c_strides(shape), src.offset)

    def transpose(self, *axes: Any) -> CudaArray:
        if not axes or (len(axes) == 1 and axes[0] is None):
            axes = tuple(reversed(range(self.ndim)))
        elif len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = tuple(axes[0])
        axes = tuple(int(a) % max(self.ndim, 1) for a in axes)
        return self._view(tuple(self.shape[a] for a in axes),
                          tuple(self.strides_[a] for a in axes), self.offset)

    def swapaxes(self, a: int, b: int) -> CudaArray:
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return self.transpose(axes)

    def broadcast_to(self, shape: tuple[int, ...]) -> CudaArray:
        shape = tuple(int(n) for n in shape)
        extra = len(shape) - self.ndim
        if extra < 0:
            raise ValueError(f"cannot broadcast a cuda array of shape {self.shape} to {shape}")
        strides = [0] * extra
        for have, want, stride in zip(self.shape, shape[extra:], self.strides_):
            if have == want:
                strides.append(stride)
            elif have == 1:
                strides.append(0)
            else:
                raise ValueError(f"operands could not be broadcast together: cuda array of "
                                 f"shape {self.shape} to {shape}")
        return self._view(shape, tuple(strides), self.offset)

    def ravel(self) -> CudaArray:
        return self.reshape(-1)

    def flatten(self) -> CudaArray:
        return self.copy().reshape(-1)

    def squeeze(self, axis: Any = None) -> CudaArray:
        if axis is None:
            drop = {i for i, n in enumerate(self.shape) if n == 1}
        else:
            drop = {int(a) % self.ndim for a in np.atleast_1d(axis)}
        keep = [i for i in range(self.ndim) if i not in drop]
        return self._view(tuple(self.shape[i] for i in keep),
                          tuple(self.strides_[i] for i in keep), self.offset)

    # -- copies ----------------------------------------------------------------------------
    def astype(self, dtype: Any, copy: bool = True) -> CudaArray:
        dtype = np.dtype(dtype)
        if dtype == self.dtype and not copy:
            return self
        out = CudaArray.empty(self.shape, dtype)
        out.assign(self)
        return out

    def copy(self, order: str = "C") -> CudaArray:
        return self.astype(self.dtype)

    def operand(self, shape: tuple[int, ...]) -> tuple[Any, int, tuple[int, ...]]:
        """``(buf, offset, padded strides)`` of this array broadcast to ``shape``."""
        view = self if self.shape == shape else self.broadcast_to(shape)
        return self.buf, self.offset, _strided.pad(view.shape, view.strides_)[1]

    def assign(self, value: Any) -> None:
        """Write ``value`` (a CudaArray or a scalar, broadcast to this shape) into this view."""
        value = value if isinstance(value, CudaArray) else scalar(value, self.dtype)
        shape = _strided.pad(self.shape, self.strides_)[0]
        COPY(shape, self.operand(self.shape), value.operand(self.shape))

    # -- indexing --------------------------------------------------------------------------
    def __getitem__(self, index: Any) -> CudaArray:
        from minidl.kernels.cuda._indexing import getitem

        return getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        from minidl.kernels.cuda._indexing import setitem

        setitem(self, index, value)

    # -- NumPy protocols ---------------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method == "__call__" and ufunc in UFUNCS:
            return apply_ufunc(ufunc, inputs, kwargs.pop("out", None), kwargs)
        from minidl.kernels.cuda import _numpy_api

        if method == "__call__" and ufunc is np.matmul:
            return _numpy_api.matmul(*inputs)
        if method == "reduce" and ufunc in REDUCERS:
            return _numpy_api.reduce(ufunc, inputs[0], kwargs.get("axis", 0),
                                     kwargs.get("keepdims", False), kwargs.get("dtype"))
        if method == "at":
            return _numpy_api.ufunc_at(ufunc, *inputs)
        raise TypeError(f"np.{ufunc.__name__}{'' if method == '__call__' else '.' + method} is "
                        "not supported on cuda arrays (minidl.kernels.cuda)")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        from minidl.kernels.cuda._numpy_api import FUNCTIONS

        impl = FUNCTIONS.get(func)
        if impl is None:
            where = getattr(func, "__module__", "numpy").replace("numpy", "np")
            raise TypeError(f"{where}.{func.__name__} is not supported on cuda arrays "
                            "(minidl.kernels.cuda._numpy_api lists what is); move the tensor "
                            "to the CPU for it: tensor.cpu()")
        return impl(*args, **kwargs)

    # -- arithmetic --------------------------------------------------------------------------
    def __add__(self, o: Any) -> CudaArray: return np.add(self, o)  # noqa: E704
    def __radd__(self, o: Any) -> CudaArray: return np.add(o, self)  # noqa: E704
    def __sub__(self, o: Any) -> CudaArray: return np.subtract(self, o)  # noqa: E704
    def __rsub__(self, o: Any) -> CudaArray: return np.subtract(o, self)  # noqa: E704
    def __mul__(self, o: Any) -> CudaArray: return np.multiply(self, o)  # noqa: E704
    def __rmul__(self, o: Any) -> CudaArray: return np.multiply(o, self)  # noqa: E704
    def __truediv__(self, o: Any) -> CudaArray: return np.true_divide(self, o)  # noqa: E704
    def __rtruediv__(self, o: Any) -> CudaArray: return np.true_divide(o, self)  # noqa: E704
    def __floordiv__(self, o: Any) -> CudaArray: return np.floor_divide(self, o)  # noqa: E704
    def __rfloordiv__(self, o: Any) -> CudaArray: return np.floor_divide(o, self)  # noqa: E704
    def __mod__(self, o: Any) -> CudaArray: return np.remainder(self, o)  # noqa: E704
    def __rmod__(self, o: Any) -> CudaArray: return np.remainder(o, self)  # noqa: E704
    def __pow__(self, o: Any) -> CudaArray: return np.power(self, o)  # noqa: E704
    def __rpow__(self, o: Any) -> CudaArray: return np.power(o, self)  # noqa: E704
    def __matmul__(self, o: Any) -> CudaArray: return np.matmul(self, o)  # noqa: E704
    def __rmatmul__(self, o: Any) -> CudaArray: return np.matmul(o, self)  # noqa: E704
    def __neg__(self) -> CudaArray: return np.negative(self)  # noqa: E704
    def __pos__(self) -> CudaArray: return self.copy()  # noqa: E704
    def __abs__(self) -> CudaArray: return np.absolute(self)  # noqa: E704
    def __invert__(self) -> CudaArray: return np.invert(self)  # noqa: E704
    def __and__(self, o: Any) -> CudaArray: return np.bitwise_and(self, o)  # noqa: E704
    def __or__(self, o: Any) -> CudaArray: return np.bitwise_or(self, o)  # noqa: E704
    def __eq__(self, o: Any) -> CudaArray: return np.equal(self, o)  # type: ignore[override]  # noqa: E704
    def __ne__(self, o: Any) -> CudaArray: return np.not_equal(self, o)  # type: ignore[override]  # noqa: E704
    def __lt__(self, o: Any) -> CudaArray: return np.less(self, o)  # noqa: E704
    def __le__(self, o: Any) -> CudaArray: return np.less_equal(self, o)  # noqa: E704
    def __gt__(self, o: Any) -> CudaArray: return np.greater(self, o)  # noqa: E704
    def __ge__(self, o: Any) -> CudaArray: return np.greater_equal(self, o)  # noqa: E704

    def __iadd__(self, o: Any) -> CudaArray: return np.add(self, o, out=self)  # noqa: E704
    def __isub__(self, o: Any) -> CudaArray: return np.subtract(self, o, out=self)  # noqa: E704
    def __imul__(self, o: Any) -> CudaArray: return np.multiply(self, o, out=self)  # noqa: E704
    def __itruediv__(self, o: Any) -> CudaArray: return np.true_divide(self, o, out=self)  # noqa: E704

    __hash__ = None  # type: ignore[assignment]

    # -- reductions and friends as methods (ndarray's names) -------------------------------
    def sum(self, axis: Any = None, dtype: Any = None, keepdims: bool = False, **_: Any) -> Any:
        return np.sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis: Any = None, dtype: Any = None, keepdims: bool = False, **_: Any) -> Any:
        return np.mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False, **_: Any) -> Any:
        return np.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False, **_: Any) -> Any:
        return np.min(self, axis=axis, keepdims=keepdims)

    def prod(self, axis: Any = None, keepdims: bool = False, **_: Any) -> Any:
        return np.prod(self, axis=axis, keepdims=keepdims)

    def var(self, axis: Any = None, ddof: int = 0, keepdims: bool = False, **_: Any) -> Any:
        return np.var(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis: Any = None, ddof: int = 0, keepdims: bool = False, **_: Any) -> Any:
        return np.std(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def argmax(self, axis: Any = None, keepdims: bool = False) -> Any:
        return np.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis: Any = None, keepdims: bool = False) -> Any:
        return np.argmin(self, axis=axis, keepdims=keepdims)

    def any(self, axis: Any = None, keepdims: bool = False) -> Any:
        return np.any(self, axis=axis, keepdims=keepdims)

    def all(self, axis: Any = None, keepdims: bool = False) -> Any:
        return np.all(self, axis=axis, keepdims=keepdims)

    def clip(self, a_min: Any = None, a_max: Any = None) -> CudaArray:
        return np.clip(self, a_min, a_max)

    def fill(self, value: Any) -> None:
        self.assign(value)


def scalar(value: Any, dtype: Any) -> CudaArray:
    """A 0-d device array holding ``value`` (cached: ops with constants reuse the upload)."""
    key = (np.dtype(dtype).str, value if not isinstance(value, float) or value == value else "nan")
    hit = _SCALARS.get(key)
    if hit is None:
        if len(_SCALARS) > 4096:
            _SCALARS.clear()
        hit = _SCALARS[key] = CudaArray.from_host(np.asarray(value, dtype=dtype))
    return hit


_SCALARS: dict[Any, CudaArray] = {}


def result_shape(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    return np.broadcast_shapes(*shapes)


def apply_ufunc(ufunc: np.ufunc, inputs: tuple, out: Any, kwargs: dict) -> Any:
    """Run ``ufunc(*inputs)`` with NumPy's dtype rules; ``out`` a CudaArray (or 1-tuple)."""
    if kwargs:
        raise TypeError(f"np.{ufunc.__name__}: keyword arguments {sorted(kwargs)} are not "
                        "supported on cuda arrays")
    for x in inputs:
        if not isinstance(x, (CudaArray, np.ndarray, np.generic, int, float, bool)):
            return NotImplemented
        if isinstance(x, np.ndarray) and x.ndim:
            raise TypeError(f"np.{ufunc.__name__}: cannot mix a cuda array with a host "
                            f"NumPy array of shape {x.shape}; move it with CudaArray.from_host")
    sig = tuple(x.dtype if isinstance(x, (CudaArray, np.ndarray, np.generic)) else type(x)
                for x in inputs)
    try:
        dtypes = ufunc.resolve_dtypes((*sig, None))
    except TypeError as err:
        raise TypeError(f"np.{ufunc.__name__}: {err}") from None
    operands = [x.astype(dt) if isinstance(x, CudaArray) and x.dtype != dt else
                x if isinstance(x, CudaArray) else scalar(np.asarray(x).item(), dt)
                for x, dt in zip(inputs, dtypes)]
    shape = np.broadcast_shapes(*(x.shape for x in operands))
    if isinstance(out, tuple):
        (out,) = out
    if out is None:
        out = CudaArray.empty(shape, dtypes[-1])
    elif out.shape != shape:
        raise ValueError(f"np.{ufunc.__name__}: out has shape {out.shape}, result has {shape}")
    padded = _strided.pad(shape, (0,) * len(shape))[0]
    # an operand that is out itself (a += b) is read at the same position it is written
    UFUNCS[ufunc](padded, out.operand(shape), *(x.operand(shape) for x in operands))
    return out


def _is_raw(x: Any) -> bool:
    return isinstance(x, _RAW)


dispatch.register_device(CudaArray, "minidl.kernels.cuda", _is_raw, CudaArray.from_device)
