"""Errors minidl raises, each a subclass of the built-in a learner would expect.

Every message names the op or layer, what it expected and what it got, e.g.
``Linear(784→128): expected input (..., 784), got (32, 28, 28)``.
"""

from __future__ import annotations


class ShapeError(ValueError):
    """An input has the wrong shape for an op or layer."""


class DTypeError(TypeError):
    """An input has the wrong dtype (e.g. integer data where floats are needed)."""


class DeviceError(ValueError):
    """Tensors on different devices were mixed, or a device is not available."""


class GraphError(RuntimeError):
    """The autograd graph was used in a way it cannot support (e.g. backward twice)."""


def fmt_shape(shape: tuple[int, ...]) -> str:
    """``(32, 28, 28)`` for a shape; ``()`` for a scalar."""
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"
