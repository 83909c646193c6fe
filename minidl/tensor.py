"""``Tensor``: an n-dimensional array that remembers how it was made.

A Tensor wraps a NumPy array (``.data``) on a device. When it is the output of
an op on tensors that require grad, ``grad_fn`` points at the op's node in the
graph, and ``.backward()`` fills ``.grad`` of every leaf it depends on::

    x = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()        # y = Σ x_i²
    y.backward()
    x.grad                   # tensor([2., 4., 6.])  = 2x

Floating tensors default to float32; float64 is kept when asked for (gradient
checks). Integer and bool tensors hold labels, indices and masks.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from minidl import random as _random
from minidl.autograd import engine
from minidl.autograd.function import AccumulateGrad, Node
from minidl.autograd.grad_mode import is_grad_enabled
from minidl.device import CPU, Device, check_available
from minidl.device import device as _parse_device
from minidl.errors import DTypeError, GraphError, ShapeError, fmt_shape

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
long = int64

_DEFAULT_FLOAT = float32
_TYPE_NAMES = {float16: "HalfTensor", float32: "FloatTensor", float64: "DoubleTensor",
               int32: "IntTensor", int64: "LongTensor", uint8: "ByteTensor", bool_: "BoolTensor"}


def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Convert ``data`` the way ``torch.tensor`` does: Python floats → float32."""
    if isinstance(data, Tensor):
        arr = data.data.copy()
    elif isinstance(data, np.ndarray):
        arr = data.copy()
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
            data = [d.data if isinstance(d, Tensor) else d for d in data]
        try:
            arr = np.asarray(data)
        except ValueError:
            raise ShapeError(f"tensor: nested lists must be rectangular; {_ragged(data)}") from None
        if arr.dtype == np.float64:
            arr = arr.astype(_DEFAULT_FLOAT)
        if arr.dtype == object:
            raise DTypeError(f"tensor: cannot make a tensor from {type(data).__name__} {data!r}")
    if dtype is not None:
        arr = arr.astype(np.dtype(dtype), copy=False)
    if arr.dtype.kind not in "fiub":
        raise DTypeError(f"tensor: unsupported dtype {arr.dtype} (use float, int or bool data)")
    return arr


def _ragged(data: Any, path: tuple[int, ...] = ()) -> str:
    """Where a nested list stops being rectangular (for the error message)."""
    if not isinstance(data, (list, tuple)):
        return ""
    lengths = [len(x) if isinstance(x, (list, tuple)) else None for x in data]
    for i, n in enumerate(lengths):
        if n != lengths[0]:
            def describe(k: int | None) -> str:
                return "is a number" if k is None else f"has {k} element{'' if k == 1 else 's'}"

            return (f"element {list(path + (i,))} {describe(n)} but element "
                    f"{list(path + (0,))} {describe(lengths[0])}")
    return next((m for i, x in enumerate(data) if (m := _ragged(x, path + (i,)))), "")


class Tensor:
    """An array with autograd. See the module docstring."""

    __array_priority__ = 1000  # so ndarray + Tensor calls Tensor.__radd__

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        device: str | Device | None = None,
    ) -> None:
        dev = _parse_device(device)
        check_available(dev)
        self.data: np.ndarray = _to_array(data, dtype)
        self.device: Device = dev
        self.grad: Tensor | None = None
        self.grad_fn: Node | None = None
        self._output_index = 0
        self._accumulator: AccumulateGrad | None = None
        self.requires_grad = requires_grad

    @classmethod
    def _from_op(cls, array: Any, node: Node | None, index: int, dev: Device | None) -> Tensor:
        out = cls.__new__(cls)
        out.data = np.asarray(array)
        out.device = dev or CPU
        out.grad = None
        out.grad_fn = node
        out._output_index = index
        out._accumulator = None
        out._requires_grad = node is not None
        return out

    # -- properties ------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind != "f":
            raise DTypeError(
                f"requires_grad: only floating-point tensors can require gradients, "
                f"got dtype {self.data.dtype}"
            )
        if not value and self.grad_fn is not None:
            raise GraphError(
                "requires_grad: cannot switch off gradients of a non-leaf tensor; use .detach()"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        return self.data.ndim

    def size(self, dim: int | None = None) -> Any:
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    # -- autograd ----------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool = False) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad; add into ``.grad``."""
        grad = None if gradient is None else _to_array(gradient, self.dtype)
        engine.backward(self, grad, retain_graph=retain_graph)

    def _graph_edge(self) -> tuple[Node, int]:
        """The (node, output index) that gradients for this tensor flow into."""
        if self.grad_fn is not None:
            return self.grad_fn, self._output_index
        if self._accumulator is None:
            self._accumulator = AccumulateGrad(self)
        return self._accumulator, 0

    def _accumulate_grad(self, grad: np.ndarray) -> None:
        grad = grad.astype(self.dtype, copy=False)
        if self.grad is None:
            self.grad = Tensor._from_op(np.array(grad, copy=True), None, 0, self.device)
        else:
            self.grad.data = self.grad.data + grad

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (for inspection)."""
        if self.grad_fn is not None:
            self.grad_fn.retained[self._output_index] = weakref.ref(self)

    def detach(self) -> Tensor:
        """The same data, cut from the graph (no grad_fn, requires_grad=False)."""
        return Tensor._from_op(self.data, None, 0, self.device)

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    # -- conversion --------------------------------------------------------------
    def item(self) -> float | int | bool:
        """The single value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(
                f"item: only a one-element tensor converts to a Python number, "
                f"got shape {fmt_shape(self.shape)}"
            )
        return self.data.reshape(()).item()

    def numpy(self) -> np.ndarray:
        """The underlying NumPy array (shared, not copied)."""
        if self.requires_grad:
            raise GraphError(
                "numpy: this tensor requires grad; call tensor.detach().numpy() to leave the graph"
            )
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """An integer one-element tensor used as an index: ``classes[t]``, ``range(t)``."""
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(
                f"only integer tensors of a single element can be converted to an index, got "
                f"dtype {self.dtype} shape {fmt_shape(self.shape)}"
            )
        return int(self.data.reshape(()).item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ShapeError(
                f"bool: the truth value of a tensor of shape {fmt_shape(self.shape)} is "
                "ambiguous; use .any() or .all()"
            )
        return bool(self.data.reshape(()).item())

    def to(self, *args: Any, dtype: Any = None, device: Any = None, **_: Any) -> Tensor:
        """``t.to('cpu')``, ``t.to(minidl.float64)``, ``t.to(other)``, ``t.to(device=…,
        dtype=…)``; returns ``self`` when nothing changes (``non_blocking``/``copy`` ignored)."""
        for arg in args:
            if isinstance(arg, Tensor):
                device, dtype = arg.device, arg.dtype
            elif isinstance(arg, (str, Device)):
                device = arg
            elif arg is not None:
                dtype = arg
        if device is not None:
            check_available(_parse_device(device))
        if dtype is None or np.dtype(dtype) == self.dtype:
            return self
        from minidl.ops.elementwise import Cast

        return Cast.apply(self, dtype=np.dtype(dtype))

    def type(self, dtype: Any = None) -> Any:
        """``t.type(minidl.float64)`` casts; ``t.type()`` names the type, as in PyTorch."""
        if dtype is None:
            return f"minidl.{_TYPE_NAMES.get(self.dtype, str(self.dtype))}"
        return self.to(dtype)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def cuda(self, device: Any = None) -> Tensor:
        return self.to("cuda" if device is None else f"cuda:{int(device)}")

    def cpu(self) -> Tensor:
        return self

    def float(self) -> Tensor:
        return self.to(float32)

    def double(self) -> Tensor:
        return self.to(float64)

    def long(self) -> Tensor:
        return self.to(int64)

    def int(self) -> Tensor:
        return self.to(int32)

    def bool(self) -> Tensor:
        return Tensor._from_op(self.data.astype(bool), None, 0, self.device)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    # -- in-place (no graph: for initialisation and optimizer updates) ---------
    def _check_inplace(self, op: str) -> None:
        if self.requires_grad and is_grad_enabled():
            raise GraphError(
                f"{op}: in-place change of a tensor that requires grad; wrap it in "
                "`with minidl.no_grad():` (as optimizers and init functions do)"
            )

    def zero_(self) -> Tensor:
        self._check_inplace("zero_")
        self.data[...] = 0
        return self

    def fill_(self, value: float) -> Tensor:
        self._check_inplace("fill_")
        self.data[...] = value
        return self

    def copy_(self, src: Any) -> Tensor:
        self._check_inplace("copy_")
        values = src.data if isinstance(src, Tensor) else np.asarray(src)
        try:
            self.data[...] = values
        except ValueError:
            raise ShapeError(
                f"copy_: cannot copy shape {fmt_shape(np.shape(values))} into "
                f"{fmt_shape(self.shape)}"
            ) from None
        return self

    def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
        self._check_inplace("add_")
        self.data += alpha * (other.data if isinstance(other, Tensor) else other)
        return self

    def mul_(self, other: Any) -> Tensor:
        self._check_inplace("mul_")
        self.data *= other.data if isinstance(other, Tensor) else other
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        self._check_inplace("uniform_")
        self.data[...] = _random.default_generator().uniform(a, b, self.shape)
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        self._check_inplace("normal_")
        self.data[...] = _random.default_generator().normal(mean, std, self.shape)
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace("__setitem__")
        if self.grad_fn is not None:
            raise GraphError("__setitem__: cannot assign into a tensor that is part of a graph")
        self.data[_index_arrays(index)] = value.data if isinstance(value, Tensor) else value

    # -- display -----------------------------------------------------------------
    def __repr__(self) -> str:
        body = np.array2string(
            self.data, precision=4, separator=", ", prefix="tensor(", threshold=200
        )
        extras = []
        if self.dtype not in (float32, int64, bool_):
            extras.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __hash__ = object.__hash__

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    # -- arithmetic (each a differentiable op in minidl.ops) -------------------
    def __add__(self, other: Any) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.div(other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return ops.floor_divide(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return ops.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return ops.remainder(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        return ops.pow(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return ops.pow(base, self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    def __abs__(self) -> Tensor:
        return ops.abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

    # comparisons return bool tensors and carry no gradient
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.compare("eq", self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.compare("ne", self, other)

    def __lt__(self, other: Any) -> Tensor:
        return ops.compare("lt", self, other)

    def __le__(self, other: Any) -> Tensor:
        return ops.compare("le", self, other)

    def __gt__(self, other: Any) -> Tensor:
        return ops.compare("gt", self, other)

    def __ge__(self, other: Any) -> Tensor:
        return ops.compare("ge", self, other)

    def __invert__(self) -> Tensor:
        if self.dtype != bool_:
            raise DTypeError(f"~: expected a bool tensor, got dtype {self.dtype}")
        return Tensor._from_op(~self.data, None, 0, self.device)

    def __and__(self, other: Any) -> Tensor:
        return ops.compare("and", self, other)

    def __or__(self, other: Any) -> Tensor:
        return ops.compare("or", self, other)

    def eq(self, other: Any) -> Tensor:
        return self == other

    def add(self, other: Any) -> Tensor:
        return ops.add(self, other)

    def sub(self, other: Any) -> Tensor:
        return ops.sub(self, other)

    def mul(self, other: Any) -> Tensor:
        return ops.mul(self, other)

    def div(self, other: Any) -> Tensor:
        return ops.div(self, other)

    def pow(self, exponent: Any) -> Tensor:
        return ops.pow(self, exponent)

    def matmul(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def neg(self) -> Tensor:
        return ops.neg(self)

    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def sqrt(self) -> Tensor:
        return ops.sqrt(self)

    def abs(self) -> Tensor:
        return ops.abs(self)

    def sin(self) -> Tensor:
        return ops.sin(self)

    def sinh(self) -> Tensor:
        return ops.sinh(self)

    def cosh(self) -> Tensor:
        return ops.cosh(self)

    def cos(self) -> Tensor:
        return ops.cos(self)

    def tanh(self) -> Tensor:
        return ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def relu(self) -> Tensor:
        return ops.relu(self)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        return ops.clip(self, min, max)

    clamp = clip

    def maximum(self, other: Any) -> Tensor:
        return ops.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return ops.minimum(self, other)

    # -- reductions ----------------------------------------------------------------
    def sum(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
        return ops.sum(self, dim, keepdim)

    def mean(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
        return ops.mean(self, dim, keepdim)

    def var(self, dim: int | Sequence[int] | None = None, unbiased: bool | int = True,
            keepdim: bool = False, *, correction: int | None = None) -> Tensor:
        """Variance Σ(x − mean)² / (n − correction); ``unbiased=False`` is correction 0."""
        return ops.var(self, dim, _correction(unbiased, correction), keepdim)

    def std(self, dim: int | Sequence[int] | None = None, unbiased: bool | int = True,
            keepdim: bool = False, *, correction: int | None = None) -> Tensor:
        """Standard deviation: the square root of :meth:`var`."""
        return ops.sqrt(ops.var(self, dim, _correction(unbiased, correction), keepdim))

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Largest value; with ``dim``, a ``(values, indices)`` pair like PyTorch."""
        return ops.max(self, dim, keepdim)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Smallest value; with ``dim``, a ``(values, indices)`` pair like PyTorch."""
        return ops.min(self, dim, keepdim)

    def amax(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
        return ops.amax(self, dim, keepdim)

    def amin(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
        return ops.amin(self, dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return ops.argmax(self, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return ops.argmin(self, dim, keepdim)

    def any(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return _no_grad_result(np.any(self.data, axis=dim, keepdims=keepdim), self.device)

    def all(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return _no_grad_result(np.all(self.data, axis=dim, keepdims=keepdim), self.device)

    def cumsum(self, dim: int) -> Tensor:
        return ops.cumsum(self, dim)

    def norm(self, p: float | str = "fro", dim: int | Sequence[int] | None = None,
             keepdim: bool = False) -> Tensor:
        return ops.norm(self, p, dim, keepdim)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        return ops.sort(self, dim, descending, stable)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
        return ops.topk(self, k, dim, largest, sorted)

    def softmax(self, dim: int) -> Tensor:
        return ops.softmax(self, dim)

    def log_softmax(self, dim: int) -> Tensor:
        return ops.log_softmax(self, dim)

    # -- indexing ---------------------------------------------------------------------
    def gather(self, dim: int, index: Tensor) -> Tensor:
        return ops.gather(self, dim, index)

    def scatter(self, dim: int, index: Tensor, src: Any = None, value: Any = None,
                reduce: str | None = None) -> Tensor:
        return ops.scatter(self, dim, index, src, value, reduce)

    def scatter_add(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        return ops.scatter_add(self, dim, index, src)

    def index_select(self, dim: int, index: Tensor) -> Tensor:
        return ops.index_select(self, dim, index)

    def masked_fill(self, mask: Tensor, value: Any) -> Tensor:
        return ops.masked_fill(self, mask, value)

    def nonzero(self, as_tuple: bool = False) -> Any:
        return ops.nonzero(self, as_tuple)

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        return ops.narrow(self, dim, start, length)

    def split(self, split_size: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
        return ops.split(self, split_size, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return ops.chunk(self, chunks, dim)

    def tril(self, diagonal: int = 0) -> Tensor:
        return ops.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        return ops.triu(self, diagonal)

    def multinomial(self, num_samples: int, replacement: bool = False) -> Tensor:
        return creation.multinomial(self, num_samples, replacement)

    # -- shape ----------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        return ops.reshape(self, _shape_args(shape))

    view = reshape

    def view_as(self, other: Tensor) -> Tensor:
        return ops.reshape(self, other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return ops.flatten(self, start_dim, end_dim)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return ops.transpose(self, dim0, dim1)

    def permute(self, *dims: Any) -> Tensor:
        return ops.permute(self, _shape_args(dims))

    @property
    def T(self) -> Tensor:  # noqa: N802
        return ops.permute(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        return ops.transpose(self, -2, -1)

    def unsqueeze(self, dim: int) -> Tensor:
        return ops.unsqueeze(self, dim)

    def squeeze(self, dim: int | None = None) -> Tensor:
        return ops.squeeze(self, dim)

    def expand(self, *shape: Any) -> Tensor:
        return ops.expand(self, _shape_args(shape))

    def expand_as(self, other: Tensor) -> Tensor:
        return ops.expand(self, other.shape)

    def contiguous(self) -> Tensor:
        return self

    def t(self) -> Tensor:
        """The transpose of a matrix (0-d and 1-d tensors come back unchanged)."""
        if self.ndim > 2:
            raise ShapeError(f"t: expects a tensor with ≤ 2 dims, got {fmt_shape(self.shape)}")
        return ops.transpose(self, 0, 1) if self.ndim == 2 else self

    def repeat(self, *sizes: Any) -> Tensor:
        return ops.repeat(self, _shape_args(sizes))

    def repeat_interleave(self, repeats: Any, dim: int | None = None) -> Tensor:
        return ops.repeat_interleave(self, repeats, dim)

    def clone(self) -> Tensor:
        return ops.clone(self)

    def bmm(self, other: Tensor) -> Tensor:
        return ops.bmm(self, other)

    # -- new tensors like this one (dtype and device from self) ---------------------
    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        return creation.zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                              requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        return creation.ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                             requires_grad=requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size: Sequence[int], fill_value: Any, dtype: Any = None,
                 device: Any = None, requires_grad: bool = False) -> Tensor:
        return creation.full(size, fill_value, dtype=dtype or self.dtype,
                             device=device or self.device, requires_grad=requires_grad)

    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None,
                   requires_grad: bool = False) -> Tensor:
        return Tensor(data, requires_grad, dtype or self.dtype, device or self.device)


def _correction(unbiased: bool | int, correction: int | None) -> int:
    """PyTorch's two spellings: ``unbiased=True/False`` or ``correction=k``."""
    if correction is not None:
        return int(correction)
    return int(unbiased)  # True → 1 (divide by n − 1), False → 0 (divide by n)


def _shape_args(args: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept both ``t.reshape(2, 3)`` and ``t.reshape((2, 3))``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _index_arrays(index: Any) -> Any:
    """Replace Tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _no_grad_result(array: Any, dev: Device) -> Tensor:
    return Tensor._from_op(np.asarray(array), None, 0, dev)


# -- factories -------------------------------------------------------------------------


def tensor(
    data: Any, dtype: Any = None, device: str | Device | None = None, requires_grad: bool = False
) -> Tensor:
    """A new tensor holding a copy of ``data`` (Python floats become float32)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``array`` (its dtype is kept)."""
    if not isinstance(array, np.ndarray):
        raise DTypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._from_op(array, None, 0, CPU)


from minidl import ops  # noqa: E402  (ops build on Tensor; imported once it exists)
from minidl.ops import creation  # noqa: E402
