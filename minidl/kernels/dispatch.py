"""The one place where a kernel is chosen by the device of its arrays.

The layers above ask for a kernel module by name::

    K = kernels("conv")                 # instead of: from minidl.kernels.cpu import conv as K
    K.conv2d_forward(x, w, b, stride, padding, dilation)

and each call runs ``kernels/cpu/conv.py``'s function when its arrays are NumPy arrays,
or ``kernels/<device>/conv.py``'s twin when one of them is a device array (today:
:class:`~minidl.kernels.cuda.array.CudaArray`, ``kernels/cuda``). A device package
registers itself with :func:`register_device`; nothing here names one, so adding a device
is adding a folder.

On the device path the wrapper unwraps each device array to the raw C-contiguous array
its kernels take (``arg.device_array()``) and wraps raw arrays in the result back
(``DeviceArray.from_device``). Python values (shapes, flags, a ``workspace`` dict) pass
through unchanged.

The CPU path costs one ``isinstance`` per array argument and stays the slot dispatcher of
:mod:`minidl.kernels.slots`, so learner overrides (``minidl.use_exercises()``) run there.
A learner's function is NumPy code for host arrays, so on a device the twin runs instead,
and ``use_exercises()`` says so.

A kernel without a twin (``kernels/cpu/optim.py``'s updates, ``broadcast.sum_to_shape``:
array expressions only) runs its CPU *reference* on the device arrays themselves: their
NumPy protocols keep every step on the device, and an operation they do not support
raises an error naming it (never a silent copy to the host). A Numba-compiled reference
cannot take device arrays; that case raises ``NotImplementedError`` naming the kernel.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

DEVICE_ARRAYS: tuple[type, ...] = ()
"""The device array types registered so far (empty until a device package is imported)."""

_PACKAGES: dict[type, tuple[str, Callable[[Any], bool], Callable[[Any], Any]]] = {}

def register_device(array_type: type, package: str, is_raw: Callable[[Any], bool],
                    wrap: Callable[[Any], Any]) -> None:
    """Make ``array_type`` route kernel calls to ``package`` (``minidl.kernels.cuda``).

    ``is_raw(x)`` tells a raw device array returned by a kernel; ``wrap`` turns it back into
    ``array_type``.
    """
    global DEVICE_ARRAYS
    _PACKAGES[array_type] = (package, is_raw, wrap)
    DEVICE_ARRAYS = (*DEVICE_ARRAYS, array_type)


def is_device_array(x: Any) -> bool:
    """True for an array that lives on an accelerator (a registered device array type)."""
    return isinstance(x, DEVICE_ARRAYS)


def is_array(x: Any) -> bool:
    """True for a NumPy array or a device array (what a Tensor's ``_data`` can be)."""
    return isinstance(x, np.ndarray) or isinstance(x, DEVICE_ARRAYS)


def asarray(x: Any, dtype: Any = None) -> Any:
    """``np.asarray(x, dtype)`` that keeps a device array on its device."""
    if isinstance(x, DEVICE_ARRAYS):
        return x if dtype is None else x.astype(dtype, copy=False)
    return np.asarray(x, dtype=dtype)


def _device_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> type | None:
    for a in (*args, *kwargs.values()):
        if isinstance(a, DEVICE_ARRAYS):
            return type(a)
        if isinstance(a, (list, tuple)) and a and isinstance(a[0], DEVICE_ARRAYS):
            return type(a[0])
    return None


def _unwrap(x: Any) -> Any:
    if isinstance(x, DEVICE_ARRAYS):
        return x.device_array()
    if isinstance(x, (list, tuple)) and x and isinstance(x[0], DEVICE_ARRAYS):
        return type(x)(_unwrap(v) for v in x)
    return x


def _wrap(x: Any, is_raw: Callable[[Any], bool], wrap: Callable[[Any], Any]) -> Any:
    if is_raw(x):
        return wrap(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_wrap(v, is_raw, wrap) for v in x)
    return x


class KernelModule:
    """``kernels(name)``: attribute ``fn`` is a function dispatching on its arrays' device."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._cpu = importlib.import_module(f"minidl.kernels.cpu.{name}")

    def __repr__(self) -> str:
        return f"<kernels {self._name!r}: cpu + {len(_PACKAGES)} device(s)>"

    def __getattr__(self, fn_name: str) -> Any:
        cpu_fn = getattr(self._cpu, fn_name)
        if not callable(cpu_fn) or isinstance(cpu_fn, type):
            return cpu_fn
        module, name = self._name, fn_name

        def call(*args: Any, **kwargs: Any) -> Any:
            device = _device_of(args, kwargs) if DEVICE_ARRAYS else None
            if device is None:
                return cpu_fn(*args, **kwargs)
            package, is_raw, wrap = _PACKAGES[device]
            twin = _twin(package, module, name)
            if twin is None:
                return _reference_on_device(cpu_fn, module, name, package, args, kwargs)
            return _wrap(twin(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()}),
                         is_raw, wrap)

        call.__name__ = call.__qualname__ = fn_name
        call.__doc__ = cpu_fn.__doc__
        call.__wrapped__ = cpu_fn  # type: ignore[attr-defined]
        setattr(self, fn_name, call)  # later lookups are plain attribute reads
        return call


_MODULES: dict[str, KernelModule] = {}


def kernels(name: str) -> KernelModule:
    """The device-dispatching view of kernel module ``name`` (``kernels/cpu/<name>.py``)."""
    module = _MODULES.get(name)
    if module is None:
        module = _MODULES[name] = KernelModule(name)
    return module


@functools.cache
def _twin(package: str, module: str, name: str) -> Callable[..., Any]:
    try:
        mod = importlib.import_module(f"{package}.{module}")
    except ModuleNotFoundError as err:
        if err.name != f"{package}.{module}":
            raise
        mod = None
    return getattr(mod, name, None)


def _reference_on_device(cpu_fn: Callable[..., Any], module: str, name: str, package: str,
                         args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run the CPU reference (not a learner override) on device arrays; see the docstring."""
    from numba.core.errors import TypingError

    reference = cpu_fn.slot.reference if hasattr(cpu_fn, "slot") else cpu_fn
    try:
        return reference(*args, **kwargs)
    except TypingError:
        raise NotImplementedError(
            f"kernel {module}.{name} has no twin in {package.replace('.', '/')}/{module}.py "
            "and its CPU reference is Numba-compiled, so it cannot run on this device (move "
            "the tensors to the CPU with .cpu())") from None
