"""Devices: where a tensor's data lives.

``cpu`` holds NumPy arrays and runs NumPy/Numba kernels. ``cuda`` holds
:class:`~minidl.kernels.cuda.array.CudaArray` device arrays and runs numba.cuda kernels
(on a GPU, or under numba's CUDA simulator when ``NUMBA_ENABLE_CUDASIM=1`` was set
before numba was imported). Asking for cuda when numba.cuda sees no device raises a
:class:`~minidl.errors.DeviceError` that says why. One GPU is used: ``cuda`` means
``cuda:0``, as a tensor's ``.device`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from minidl.errors import DeviceError

_KNOWN_TYPES = ("cpu", "cuda")


@dataclass(frozen=True)
class Device:
    """A device such as ``Device('cpu')`` or ``Device('cuda', 0)``."""

    type: str
    index: int | None = None

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type={self.type!r}" + (
            ")" if self.index is None else f", index={self.index})"
        )


CPU = Device("cpu")
CUDA = Device("cuda", 0)


def device(spec: str | Device | None = None) -> Device:
    """Parse ``'cpu'``, ``'cuda'``, ``'cuda:1'`` or a :class:`Device` (``None`` → cpu)."""
    if spec is None:
        return CPU
    if isinstance(spec, Device):
        return spec
    if not isinstance(spec, str):
        raise DeviceError(f"device: expected a string such as 'cpu' or 'cuda', got {spec!r}")
    kind, _, index = spec.partition(":")
    if kind not in _KNOWN_TYPES:
        raise DeviceError(f"device: expected one of {_KNOWN_TYPES}, got {spec!r}")
    return Device(kind, int(index) if index else None)


@cache
def cuda_is_available() -> bool:
    """True when numba.cuda can see a GPU (never raises)."""
    try:
        from numba import cuda
    except ImportError:
        return False
    try:
        return bool(cuda.is_available())
    except Exception:  # a broken driver install reports as "not available"
        return False


def check_available(dev: Device) -> Device:
    """The device tensors on ``dev`` get (``cuda`` → ``cuda:0``); DeviceError when ``dev``
    cannot hold tensors in this process."""
    if dev.type == "cpu":
        return CPU
    if not cuda_is_available():
        raise DeviceError(
            f"device {dev}: numba.cuda sees no CUDA GPU here (numba.cuda.is_available() is "
            "False). Install the driver and `pip install -e .[cuda]`, or run under numba's "
            "simulator by setting NUMBA_ENABLE_CUDASIM=1 before numba is imported"
        )
    if dev.index not in (None, 0):
        raise DeviceError(f"device {dev}: minidl uses one GPU, cuda:0")
    return CUDA


def to_device(array: Any, dev: Device) -> Any:
    """``array`` (a NumPy or device array) on ``dev``: uploaded, downloaded, or as is."""
    from minidl.kernels.dispatch import is_device_array

    if dev.type == "cpu":
        return array.get() if is_device_array(array) else array
    from minidl.kernels.cuda.array import CudaArray

    return array if isinstance(array, CudaArray) else CudaArray.from_host(array)


def mismatch_error(op: str, a: Device, b: Device) -> DeviceError:
    """PyTorch's error for one op on tensors of two devices."""
    return DeviceError(f"{op}: Expected all tensors to be on the same device, but found at "
                       f"least two devices, {a} and {b}!")
