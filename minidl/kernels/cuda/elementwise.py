"""Elementwise kernels from scalar device functions, and the small array helpers every
CUDA twin needs (new arrays, fills, copies, flat views).

:func:`map3` turns a scalar function ``f(x, y, z, a, b)`` (a ``@cuda.jit(device=True)``
function of up to three array elements and two scalar parameters) into an elementwise
operation over whole arrays::

    out[i] = f(x[i], y[i], z[i], a, b)      for every flat index i

with one grid-stride kernel (:mod:`minidl.kernels.cuda.launch`): thread t of a grid of G
threads computes i = t, t + G, …  Unary and binary maps pass the same array again for the
unused inputs (it is read but ignored; the loads hit the cache). Every activation,
loss and optimizer formula of this package is such a device function plus one call.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from numba import cuda

from minidl.kernels.cuda.launch import grid_for


def empty(shape, dtype):
    """A new uninitialised C-contiguous device array."""
    return cuda.device_array(tuple(shape), dtype=np.dtype(dtype))


def flat(x):
    """The 1-D view of a C-contiguous device array (no copy)."""
    return x.reshape(x.size)


@cuda.jit(device=True)
def maximum(a, b):  # pragma: no cover - compiled
    """The larger of a and b, NaN if either is NaN (np.maximum's rule).

    Device code uses this instead of the builtin ``max``: numba's CUDA target compiles
    ``max``/``min`` through a star-args overload it cannot type (the simulator, running
    plain Python, would not notice)."""
    return a if a >= b or a != a else b


@cuda.jit(device=True)
def minimum(a, b):  # pragma: no cover - compiled
    """The smaller of a and b, NaN if either is NaN (np.minimum's rule)."""
    return a if a <= b or a != a else b


@cuda.jit(device=True)
def unravel4(t, d1, d2, d3):  # pragma: no cover - compiled
    """(i0, i1, i2, i3): the index of flat position t in a C-ordered (·, d1, d2, d3) array."""
    return t // (d1 * d2 * d3), (t // (d2 * d3)) % d1, (t // d3) % d2, t % d3


@cache
def _map3_kernel(f):
    @cuda.jit
    def kernel(x, y, z, out, a, b):  # pragma: no cover - compiled
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[i] = f(x[i], y[i], z[i], a, b)

    return kernel


def map3(f, x, y=None, z=None, a: float = 0.0, b: float = 0.0, out=None, dtype=None):
    """out = f(x, y, z, a, b) elementwise over arrays of one shape (y, z may be None: unused).

    ``out`` (a device array of x's shape) is written when given, else a new array of
    ``dtype`` (default: x's dtype) is returned.
    """
    y = x if y is None else y
    z = x if z is None else z
    for other in (y, z):
        if other.shape != x.shape:
            name = getattr(f, "py_func", f).__name__
            raise ValueError(f"{name}: shapes {x.shape} and {other.shape} differ")
    if out is None:
        out = empty(x.shape, x.dtype if dtype is None else dtype)
    if out.size:
        _map3_kernel(f)[grid_for(out.size)](flat(x), flat(y), flat(z), flat(out), a, b)
    return out


@cuda.jit(device=True)
def _constant(x, y, z, a, b):  # pragma: no cover - compiled
    return a


@cuda.jit(device=True)
def _identity(x, y, z, a, b):  # pragma: no cover - compiled
    return x


def full(shape, value: float, dtype):
    """A new device array of ``shape`` filled with ``value``."""
    out = empty(shape, dtype)
    return map3(_constant, out, a=value, out=out)


def zeros(shape, dtype):
    return full(shape, 0.0, dtype)


def copy(x, dtype=None):
    """A new device array equal to x (converted to ``dtype`` when given)."""
    return map3(_identity, x, dtype=dtype)


@cuda.jit(device=True)
def _add(x, y, z, a, b):  # pragma: no cover - compiled
    return x + y


def add(x, y, out=None):
    """x + y elementwise (same shapes)."""
    return map3(_add, x, y, out=out)


@cuda.jit(device=True)
def _scale(x, y, z, a, b):  # pragma: no cover - compiled
    return a * x


def scale(x, factor: float, out=None):
    """factor · x elementwise."""
    return map3(_scale, x, a=factor, out=out)


@cuda.jit(device=True)
def sigmoid(x):  # pragma: no cover - compiled
    """σ(x) = 1 / (1 + e^{−x}), through e^{−|x|} so it never overflows."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@cache
def _swap_middle_kernel():
    @cuda.jit
    def kernel(x, out):  # pragma: no cover - compiled
        a, b, c, d = x.shape
        for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
            l = i % d
            rest = i // d
            k = rest % b  # out index (p, q, k, l) = x index (p, k, q, l)
            rest //= b
            q = rest % c
            p = rest // c
            out[p, q, k, l] = x[p, k, q, l]

    return kernel


def swap_middle(x, a: int, b: int, c: int, d: int):
    """View x as (a, b, c, d) and return a new array (a, c, b, d) with axes 1 and 2 swapped.

    One thread per element (grid-stride); it covers every 2-D transpose (a = d = 1), the
    (O, N, P) ⇄ (N, O, P) reorderings of the convolutions (a = 1) and splitting and merging
    attention heads ((N, L, H, d) ⇄ (N, H, L, d)).
    """
    out = empty((a, c, b, d), x.dtype)
    if x.size:
        _swap_middle_kernel()[grid_for(x.size)](x.reshape(a, b, c, d), out)
    return out


@cuda.jit
def _add_channel(y, bias):  # pragma: no cover - compiled
    a, c, b = y.shape
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        p = i // (c * b)
        k = (i // b) % c
        y[p, k, i % b] += bias[k]


def add_channel(y, bias, a: int, c: int, b: int):
    """In place: y viewed as (A, C, B) gets y[p, k, q] += bias[k] (thread per element).

    A bias over the last axis is B = 1 (a linear layer), over the channels of an image
    batch (N, C, H·W) is A = N, B = H·W. Returns y.
    """
    if y.size:
        _add_channel[grid_for(y.size)](y.reshape(a, c, b), bias)
    return y
