"""Inverted dropout on the GPU, with a counter-based random number generator.

The CUDA twin of :mod:`minidl.kernels.cpu.dropout`. A GPU kernel cannot call NumPy's
``Generator``; instead every element draws its own number from a *counter-based*
generator: a fixed function of (key, element index), so **thread i computes element i's
random number** with no state shared between threads, the same numbers for any grid, and
the same mask again for the same key.

The function hashes the index twice with ``lowbias32`` (a bijective 32-bit integer mix by
C. Wellons: xor-shifts and multiplications by odd constants), xoring in one 32-bit key
word before each round::

    u_i = mix(mix(i ⊕ k₀) ⊕ k₁) / 2³²          keep element i when u_i ≥ p

The key (k₀, k₁) is drawn from the ``rng`` argument (two 32-bit integers), so the caller's
Generator seeds the GPU exactly where it seeds the CPU mask: the same Generator state
gives the same GPU mask (not the CPU's: the numbers come from another generator).
The arithmetic runs in int64 with every product masked back to 32 bits, which gives the
same bits on a GPU (where products wrap) as in the simulator (Python integers).
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from minidl.kernels.cuda.elementwise import copy, empty, full, zeros
from minidl.kernels.cuda.launch import grid_for

_M32 = 0xFFFFFFFF


@cuda.jit(device=True)
def _mix32(v):  # pragma: no cover - compiled
    """lowbias32: a bijection of 32-bit integers whose output bits all depend on every input bit."""
    v ^= v >> 16
    v = (v * 0x7FEB352D) & _M32
    v ^= v >> 15
    v = (v * 0x846CA68B) & _M32
    v ^= v >> 16
    return v


@cuda.jit(device=True)
def uniform(i, k0, k1):  # pragma: no cover - compiled
    """The counter-based uniform number in [0, 1) of element ``i`` under key (k0, k1)."""
    return _mix32(_mix32((i & _M32) ^ k0) ^ k1) / 4294967296.0


@cuda.jit
def _dropout(x, p, scale, k0, k1, out, mask):  # pragma: no cover - compiled
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        mask[i] = scale if uniform(i, k0, k1) >= p else 0.0
        out[i] = x[i] * mask[i]  # the stored (rounded) mask, so that out = x ⊙ mask exactly


def dropout_forward(x, p: float, rng: np.random.Generator):
    """(out, mask), both like x: mask_i = 1/(1 − p) with probability 1 − p, else 0;
    out = x ⊙ mask. p = 0 keeps everything, p = 1 drops everything (as on the CPU)."""
    if p == 0:
        return copy(x), full(x.shape, 1, x.dtype)
    if p == 1:
        return zeros(x.shape, x.dtype), zeros(x.shape, x.dtype)
    k0, k1 = (int(k) for k in rng.integers(0, 2**32, size=2))
    out, mask = empty(x.shape, x.dtype), empty(x.shape, x.dtype)
    if x.size:
        _dropout[grid_for(x.size)](x.reshape(x.size), float(p), 1.0 / (1.0 - p), k0, k1,
                                   out.reshape(x.size), mask.reshape(x.size))
    return out, mask
