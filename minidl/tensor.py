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
from typing import Any, NamedTuple

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
        arr = np.asarray(data)
        if arr.dtype == np.float64:
            arr = arr.astype(_DEFAULT_FLOAT)
        if arr.dtype == object:
            raise DTypeError(f"tensor: cannot make a tensor from {type(data).__name__} {data!r}")
    if dtype is not None:
        arr = arr.astype(np.dtype(dtype), copy=False)
    if arr.dtype.kind not in "fiub":
        raise DTypeError(f"tensor: unsupported dtype {arr.dtype} (use float, int or bool data)")
    return arr


class MaxMin(NamedTuple):
    """What ``t.max(dim)`` / ``t.min(dim)`` return, like PyTorch: values and indices."""

    values: Tensor
    indices: Tensor


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

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ShapeError(
                f"bool: the truth value of a tensor of shape {fmt_shape(self.shape)} is "
                "ambiguous; use .any() or .all()"
            )
        return bool(self.data.reshape(()).item())

    def to(self, target: Any = None, dtype: Any = None) -> Tensor:
        """``t.to('cpu')``, ``t.to(minidl.float64)`` or ``t.to('cpu', dtype=...)``."""
        if isinstance(target, (str, Device)):
            check_available(_parse_device(target))
        elif target is not None:
            dtype = target
        if dtype is None or np.dtype(dtype) == self.dtype:
            return self
        from minidl.ops.elementwise import Cast

        return Cast.apply(self, dtype=np.dtype(dtype))

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

    def var(
        self, dim: int | Sequence[int] | None = None, correction: int = 1, keepdim: bool = False
    ) -> Tensor:
        return ops.var(self, dim, correction, keepdim)

    def std(
        self, dim: int | Sequence[int] | None = None, correction: int = 1, keepdim: bool = False
    ) -> Tensor:
        return ops.sqrt(ops.var(self, dim, correction, keepdim))

    def max(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """Largest value; with ``dim``, a ``(values, indices)`` pair like PyTorch."""
        if dim is None:
            return ops.amax(self, None, keepdim)
        return MaxMin(ops.amax(self, dim, keepdim), self.argmax(dim, keepdim))

    def min(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """Smallest value; with ``dim``, a ``(values, indices)`` pair like PyTorch."""
        if dim is None:
            return ops.amin(self, None, keepdim)
        return MaxMin(ops.amin(self, dim, keepdim), self.argmin(dim, keepdim))

    def amax(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
        return ops.amax(self, dim, keepdim)

    def amin(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
        return ops.amin(self, dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return _no_grad_result(np.argmax(self.data, axis=dim, keepdims=keepdim), self.device)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return _no_grad_result(np.argmin(self.data, axis=dim, keepdims=keepdim), self.device)

    def any(self) -> Tensor:
        return _no_grad_result(np.any(self.data), self.device)

    def all(self) -> Tensor:
        return _no_grad_result(np.all(self.data), self.device)

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


def _filled(shape: tuple[Any, ...], value: float, dtype: Any, requires_grad: bool) -> Tensor:
    shape = _shape_args(shape)
    if any((not isinstance(s, (int, np.integer))) or s < 0 for s in shape):
        raise ShapeError(f"expected a shape of non-negative ints, got {shape!r}")
    arr = np.full(shape, value, dtype=np.dtype(dtype or _DEFAULT_FLOAT))
    return Tensor._from_op(arr, None, 0, CPU).requires_grad_(requires_grad)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _filled(shape, 0, dtype, requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _filled(shape, 1, dtype, requires_grad)


def full(shape: Sequence[int], fill_value: float, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    return _filled((tuple(shape),), fill_value, dtype, requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _filled(t.shape, 0, dtype or t.dtype, requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _filled(t.shape, 1, dtype or t.dtype, requires_grad)


def _random_tensor(array: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    arr = array.astype(np.dtype(dtype or _DEFAULT_FLOAT))
    return Tensor._from_op(arr, None, 0, CPU).requires_grad_(requires_grad)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1) from minidl's seeded generator."""
    return _random_tensor(
        _random.default_generator().random(_shape_args(shape)), dtype, requires_grad
    )


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from minidl's seeded generator."""
    return _random_tensor(
        _random.default_generator().standard_normal(_shape_args(shape)), dtype, requires_grad
    )


def randint(low: int, high: int, size: Sequence[int], dtype: Any = None) -> Tensor:
    arr = _random.default_generator().integers(low, high, tuple(size))
    return Tensor._from_op(arr.astype(np.dtype(dtype or int64)), None, 0, CPU)


def rand_like(t: Tensor) -> Tensor:
    return rand(*t.shape, dtype=t.dtype)


def randn_like(t: Tensor) -> Tensor:
    return randn(*t.shape, dtype=t.dtype)


def randperm(n: int) -> Tensor:
    return Tensor._from_op(_random.default_generator().permutation(n), None, 0, CPU)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None) -> Tensor:
    if end is None:
        start, end = 0, start
    arr = np.arange(start, end, step)
    if dtype is None and arr.dtype == np.float64:
        dtype = _DEFAULT_FLOAT
    return Tensor._from_op(arr.astype(dtype) if dtype else arr, None, 0, CPU)


def linspace(start: float, end: float, steps: int, dtype: Any = None) -> Tensor:
    arr = np.linspace(start, end, steps).astype(np.dtype(dtype or _DEFAULT_FLOAT))
    return Tensor._from_op(arr, None, 0, CPU)


def eye(n: int, m: int | None = None, dtype: Any = None) -> Tensor:
    return Tensor._from_op(np.eye(n, m, dtype=np.dtype(dtype or _DEFAULT_FLOAT)), None, 0, CPU)


from minidl import ops  # noqa: E402  (ops build on Tensor; imported once it exists)
