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
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from minidl import random as _random
from minidl.autograd import engine
from minidl.autograd.function import AccumulateGrad, Node
from minidl.autograd.grad_mode import is_grad_enabled
from minidl.device import CPU, CUDA, Device, check_available, to_device
from minidl.device import device as _parse_device
from minidl.errors import DTypeError, GraphError, ShapeError, fmt_shape
from minidl.kernels import dispatch
from minidl.ops._util import category

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
        arr = data._data.copy()
    elif isinstance(data, np.ndarray) or dispatch.is_device_array(data):
        arr = data.copy()
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
            data = [d._data if isinstance(d, Tensor) else d for d in data]
        try:
            arr = np.asarray(data)
        except ValueError:
            raise ShapeError(f"tensor: nested lists must be rectangular; {_ragged(data)}") from None
        if arr.dtype == np.float64 and dtype is None:
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
        if device is None and isinstance(data, Tensor):
            device = data.device
        dev = check_available(_parse_device(device))
        array = _to_array(data, dtype)
        self._data: np.ndarray = array if dev is CPU and type(array) is np.ndarray else \
            to_device(array, dev)
        self.device: Device = dev
        self._grad: Tensor | None = None
        self.grad_fn: Node | None = None
        self._output_index = 0
        self._accumulator: AccumulateGrad | None = None
        self._version_counter = [0]  # shared with views; bumped by every in-place change
        self._view_of: tuple[Tensor, Any] | None = None  # (base, index) for a view
        self.requires_grad = requires_grad

    @classmethod
    def _from_op(cls, array: Any, node: Node | None, index: int, dev: Device | None) -> Tensor:
        out = cls.__new__(cls)
        if type(array) is np.ndarray:
            out._data, out.device = array, dev or CPU
        elif dispatch.is_device_array(array):
            out._data, out.device = array, dev or CUDA
        else:
            out._data, out.device = np.asarray(array), dev or CPU
        out._grad = None
        out.grad_fn = node
        out._output_index = index
        out._accumulator = None
        out._version_counter = [0]
        out._view_of = None
        out._requires_grad = node is not None
        return out

    def _share_version(self, base: Tensor, index: Any = None) -> None:
        """Make this op output a view of ``base`` when it shares ``base``'s memory."""
        if type(self._data) is type(base._data) and np.may_share_memory(self._data, base._data):
            self._version_counter = base._version_counter
            self._view_of = (base, index)

    # -- the values ---------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """The values as a tensor outside the graph, sharing memory (PyTorch's ``.data``).

        ``p.data.normal_(0, 0.02)``, ``p.data -= lr * p.grad`` and ``p.data.copy_(src)``
        change ``p`` itself; autograd does not see those changes (prefer ``no_grad()``).
        The NumPy array is ``t.numpy()`` (``t.detach().numpy()`` when t requires grad).
        """
        return Tensor._from_op(self._data, None, 0, self.device)

    @data.setter
    def data(self, value: Any) -> None:
        """``p.data = t`` gives ``p`` the values of ``t`` (any shape, as in PyTorch). A NumPy
        array is accepted too (minidl's earlier spelling), and so is the tensor ``p.data``
        itself, which is what ``p.data -= x`` assigns back after changing it in place."""
        self._data = value._data if isinstance(value, Tensor) else \
            to_device(_to_array(value), self.device)
        self.device = value.device if isinstance(value, Tensor) else self.device
        if self._data.dtype.kind not in "fiub":
            raise DTypeError(f"data: unsupported dtype {self._data.dtype}")

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """``np.asarray(t)``: the values as a NumPy array (shared unless a copy is needed)."""
        self._host_check("np.asarray")
        if dtype is not None and np.dtype(dtype) != self.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def __getattr__(self, name: str) -> Any:
        """Only reached for a missing attribute: say so, with a hint for NumPy's names."""
        if not name.startswith("_") and hasattr(np.ndarray, name):
            raise AttributeError(
                f"'Tensor' object has no attribute {name!r} ({name} is a NumPy array "
                "attribute; as in PyTorch, t.data is a Tensor: use t.numpy() or "
                "t.detach().numpy() for the array)"
            )
        raise AttributeError(f"'Tensor' object has no attribute {name!r}")

    @property
    def grad(self) -> Tensor | None:
        """d(loss)/d(self) after ``loss.backward()`` (None before), same shape as self."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise DTypeError(
                    f"grad: expected a Tensor or None, got {type(value).__name__}"
                )
            if value.shape != self.shape:
                raise ShapeError(
                    f"grad: assigned a gradient of shape {fmt_shape(value.shape)} to a tensor "
                    f"of shape {fmt_shape(self.shape)}"
                )
        self._grad = value

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen (PyTorch's ``_version``)."""
        return self._version_counter[0]

    # -- properties ------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self._data.dtype.kind != "f":
            raise DTypeError(
                f"requires_grad: only floating-point tensors can require gradients, "
                f"got dtype {self._data.dtype}"
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
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def size(self, dim: int | None = None) -> Any:
        return self._data.shape if dim is None else self._data.shape[dim]

    def numel(self) -> int:
        return int(self._data.size)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

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
        if self._grad is None:
            self._grad = Tensor._from_op(grad.copy(), None, 0, self.device)
        else:
            self._grad._data = self._grad._data + grad

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when the gradient w.r.t. this tensor is computed; a Tensor it
        returns replaces the gradient. Returns a handle whose ``remove()`` undoes this."""
        if not self.requires_grad:
            raise GraphError("register_hook: cannot register a hook on a tensor that does "
                             "not require grad")
        node, index = self._graph_edge()
        if "hooks" not in vars(node):
            node.hooks = {}
        hooks = node.hooks.setdefault(index, [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (for inspection)."""
        if self.grad_fn is not None:
            self.grad_fn.retained[self._output_index] = weakref.ref(self)

    def detach(self) -> Tensor:
        """The same data, cut from the graph (no grad_fn, requires_grad=False).

        It shares memory and the version counter with ``self``, so changing it in place is
        still caught by backward when ``self`` was saved for it.
        """
        out = Tensor._from_op(self._data, None, 0, self.device)
        out._version_counter = self._version_counter
        return out

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    # -- conversion --------------------------------------------------------------
    def item(self) -> float | int | bool:
        """The single value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ShapeError(
                f"item: only a one-element tensor converts to a Python number, "
                f"got shape {fmt_shape(self.shape)}"
            )
        return self._data.reshape(()).item()

    def numpy(self) -> np.ndarray:
        """The underlying NumPy array (shared, not copied); a CUDA tensor raises."""
        self._host_check("numpy")
        if self.requires_grad:
            raise GraphError(
                "numpy: this tensor requires grad; call tensor.detach().numpy() to leave the graph"
            )
        return self._data

    def tolist(self) -> Any:
        return self._data.tolist()

    def _host_check(self, op: str) -> None:
        """PyTorch's refusal to hand out a device tensor's memory as a NumPy array."""
        if self.device.type != "cpu":
            raise TypeError(f"{op}: can't convert {self.device} device type tensor to numpy. "
                            "Use Tensor.cpu() to copy the tensor to host memory first.")

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """An integer one-element tensor used as an index: ``classes[t]``, ``range(t)``."""
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError(
                f"only integer tensors of a single element can be converted to an index, got "
                f"dtype {self.dtype} shape {fmt_shape(self.shape)}"
            )
        return int(self._data.reshape(()).item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ShapeError(
                f"bool: the truth value of a tensor of shape {fmt_shape(self.shape)} is "
                "ambiguous; use .any() or .all()"
            )
        return bool(self._data.reshape(()).item())

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
        out = self
        if device is not None:
            dev = check_available(_parse_device(device))
            if dev != self.device:
                from minidl.ops.elementwise import ToDevice

                out = ToDevice.apply(self, device=dev)
        if dtype is None or np.dtype(dtype) == out.dtype:
            return out
        from minidl.ops.elementwise import Cast

        return Cast.apply(out, dtype=np.dtype(dtype))

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
        return self.to(CPU)

    def float(self) -> Tensor:
        return self.to(float32)

    def double(self) -> Tensor:
        return self.to(float64)

    def long(self) -> Tensor:
        return self.to(int64)

    def int(self) -> Tensor:
        return self.to(int32)

    def bool(self) -> Tensor:
        return Tensor._from_op(self._data.astype(bool), None, 0, self.device)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    # -- in-place ---------------------------------------------------------------
    def _recording(self, *others: Any) -> bool:
        """Whether an in-place change now must be recorded in the graph."""
        return is_grad_enabled() and (
            self._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others)
        )

    def _inplace(self, op: str, compute: Callable[[Tensor], Any], *others: Any) -> Tensor:
        """Overwrite this tensor's memory with ``compute(self)``, with PyTorch's rules.

        A leaf that requires grad is refused while gradients are recorded. Outside the graph
        the new values are simply written. Inside it, ``compute`` runs on a copy of the old
        values (so what it saves for backward stays valid) and this tensor takes over the
        result's ``grad_fn``: its history now ends with the in-place op. Either way the
        version counter goes up, so an op that saved these values refuses to backward.
        """
        recording = self._recording(*others)
        if recording:
            if self.is_leaf and self._requires_grad:
                raise GraphError(
                    f"{op}: a leaf tensor that requires grad is being used in an in-place "
                    "operation. Wrap the update in `with minidl.no_grad():` (as optimizers "
                    "and init functions do), or assign out of place (w = w - lr * g)"
                )
            if self._view_of is not None:
                return self._inplace_through_base(op, compute)
            old = Tensor._from_op(self._data.copy(), self.grad_fn, self._output_index,
                                  self.device)
            old._requires_grad = self._requires_grad
            result = compute(old)
            if result.dtype != self.dtype:
                result = result.to(self.dtype)
        else:
            result = compute(self)
        self._write(op, result._data if isinstance(result, Tensor) else np.asarray(result))
        if recording:
            self.grad_fn, self._output_index = result.grad_fn, result._output_index
            self._requires_grad = True
        return self

    def _inplace_through_base(self, op: str, compute: Callable[[Tensor], Any]) -> Tensor:
        """In-place on a slice ``v = base[index]`` while recording: ``base[index] = new v``,
        then v becomes ``base[index]`` again (so both histories include the change)."""
        base, index = self._view_of
        if index is None:
            raise GraphError(
                f"{op}: in-place change of a reshaped, permuted or expanded view of a tensor "
                "in the graph is not supported; change the tensor itself, or assign out of "
                "place"
            )
        base[index] = compute(Tensor._from_op(self._data.copy(), self.grad_fn,
                                              self._output_index, self.device))
        fresh = ops.getitem(base, index)
        self.grad_fn, self._output_index = fresh.grad_fn, fresh._output_index
        self._requires_grad = fresh._requires_grad
        return self

    def _write(self, op: str, values: Any, index: Any = Ellipsis) -> None:
        """Store ``values`` in this tensor's memory (all of it, or ``self[index]``) and count
        the change. The shape stays; a float result is not stored in an integer tensor."""
        if not dispatch.is_device_array(values):
            values = np.asarray(values)
            if self.device is not CPU and self.device.type != "cpu" and values.ndim:
                values = to_device(values, self.device)
        if index is Ellipsis:
            if not _broadcasts_to(values.shape, self.shape):
                raise ShapeError(
                    f"{op}: the result has shape {fmt_shape(values.shape)} but the tensor "
                    f"changed in place has shape {fmt_shape(self.shape)}"
                )
            if category(values.dtype) > category(self.dtype):
                raise DTypeError(
                    f"{op}: the result has dtype {values.dtype}, which cannot be stored in "
                    f"place in a tensor of dtype {self.dtype}"
                )
        if not self._data.flags.writeable:
            raise GraphError(
                f"{op}: this tensor's memory is read-only (an expand()ed view stores one "
                "element for many places); call .clone() first"
            )
        self._data[index] = values
        self._version_counter[0] += 1

    def _set_values(self, op: str, values: Any) -> Tensor:
        """Overwrite every element with ``values`` (an array or a Tensor that broadcasts)."""
        if self._recording(values):
            return self._inplace(op, lambda t: ops.where(np.True_, values, t), values)
        self._write(op, values._data if isinstance(values, Tensor) else values)
        return self

    def zero_(self) -> Tensor:
        return self._set_values("zero_", 0)

    def fill_(self, value: Any) -> Tensor:
        return self._set_values("fill_", value)

    def copy_(self, src: Any, non_blocking: bool = False) -> Tensor:
        """Copy ``src``'s values (broadcast to this shape) into this tensor."""
        if not isinstance(src, Tensor):
            src = src if dispatch.is_device_array(src) else np.asarray(src)
        elif src.device is not self.device and src.device != self.device:  # across devices
            src = src.to(self.device)
        if not _broadcasts_to(np.shape(src), self.shape):
            raise ShapeError(
                f"copy_: cannot copy shape {fmt_shape(np.shape(src))} into "
                f"{fmt_shape(self.shape)}"
            )
        return self._set_values("copy_", src)

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        return self._set_values("uniform_", to_device(
            _random.default_generator().uniform(a, b, self.shape), self.device))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        return self._set_values("normal_", to_device(
            _random.default_generator().normal(mean, std, self.shape), self.device))

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        return self._inplace("add_", lambda t: ops.add(t, other, alpha), other)

    def sub_(self, other: Any, alpha: float = 1) -> Tensor:
        return self._inplace("sub_", lambda t: ops.sub(t, other, alpha), other)

    def mul_(self, other: Any) -> Tensor:
        return self._inplace("mul_", lambda t: ops.mul(t, other), other)

    def div_(self, other: Any) -> Tensor:
        return self._inplace("div_", lambda t: ops.div(t, other), other)

    def pow_(self, exponent: Any) -> Tensor:
        return self._inplace("pow_", lambda t: ops.pow(t, exponent), exponent)

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        return self._inplace("clamp_", lambda t: ops.clip(t, min, max))

    clip_ = clamp_

    def neg_(self) -> Tensor:
        return self._inplace("neg_", ops.neg)

    def abs_(self) -> Tensor:
        return self._inplace("abs_", ops.abs)

    def exp_(self) -> Tensor:
        return self._inplace("exp_", ops.exp)

    def log_(self) -> Tensor:
        return self._inplace("log_", ops.log)

    def sqrt_(self) -> Tensor:
        return self._inplace("sqrt_", ops.sqrt)

    def relu_(self) -> Tensor:
        return self._inplace("relu_", ops.relu)

    def sigmoid_(self) -> Tensor:
        return self._inplace("sigmoid_", ops.sigmoid)

    def tanh_(self) -> Tensor:
        return self._inplace("tanh_", ops.tanh)

    def masked_fill_(self, mask: Tensor, value: Any) -> Tensor:
        return self._inplace("masked_fill_", lambda t: ops.masked_fill(t, mask, value), value)

    def scatter_(self, dim: int, index: Tensor, src: Any = None, value: Any = None,
                 reduce: str | None = None) -> Tensor:
        return self._inplace("scatter_",
                             lambda t: ops.scatter(t, dim, index, src, value, reduce), src)

    def scatter_add_(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        return self._inplace("scatter_add_", lambda t: ops.scatter_add(t, dim, index, src), src)

    def __setitem__(self, index: Any, value: Any) -> None:
        if self._recording(value):
            self._inplace("__setitem__", lambda t: ops.setitem(t, index, value), value)
        else:
            self._write("__setitem__", value._data if isinstance(value, Tensor) else value,
                        _index_arrays(index))

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace("+=", lambda t: ops.add(t, other), other)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace("-=", lambda t: ops.sub(t, other), other)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace("*=", lambda t: ops.mul(t, other), other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace("/=", lambda t: ops.div(t, other), other)

    # -- display -----------------------------------------------------------------
    def __repr__(self) -> str:
        body = np.array2string(
            to_device(self._data, CPU), precision=4, separator=", ", prefix="tensor(", threshold=200
        )
        extras = [] if self.device == CPU else [f"device='{self.device}'"]
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
        out = ops.getitem(self, index)
        if out._view_of is not None:
            out._view_of = (self, index)  # remembered for in-place changes through the slice
        return out

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
        return Tensor._from_op(~self._data, None, 0, self.device)

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
        return _no_grad_result(np.any(self._data, axis=dim, keepdims=keepdim), self.device)

    def all(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return _no_grad_result(np.all(self._data, axis=dim, keepdims=keepdim), self.device)

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


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    if tuple(shape) == tuple(target):
        return True
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


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
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    return index


def _no_grad_result(array: Any, dev: Device) -> Tensor:
    return Tensor._from_op(array if dispatch.is_device_array(array) else np.asarray(array), None,
                           0, dev)


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
