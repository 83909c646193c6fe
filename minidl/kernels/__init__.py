"""Layer 1: kernels. Arrays in, arrays out, no autograd.

``kernels.cpu`` implements them with NumPy and Numba. Kernels that an exercise
can replace are registered as *slots* (:mod:`minidl.kernels.slots`).
"""

from minidl.kernels.slots import Slot, set_override, slot, slots

__all__ = ["Slot", "set_override", "slot", "slots"]
