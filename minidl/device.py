"""Devices: where a tensor's data lives.

``cpu`` holds NumPy arrays and runs NumPy/Numba kernels. ``cuda`` is reserved
for the numba.cuda backend; asking for it when no GPU backend is available
raises a :class:`~minidl.errors.DeviceError` that says why.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def check_available(dev: Device) -> None:
    """Raise DeviceError when ``dev`` cannot hold tensors in this process."""
    if dev.type == "cpu":
        return
    raise DeviceError(
        f"device {dev}: minidl tensors live on the CPU in this version; the numba.cuda "
        f"backend runs kernels (see chapter 7), cuda available here: {cuda_is_available()}"
    )
