"""Generic strided kernels: elementwise maps and reductions over any view of a device buffer.

Every operand is described by a flat 1-D device buffer, an element ``offset`` and
``strides`` (in elements, any sign, 0 for a broadcast axis), padded with leading
size-1 axes to :data:`MAXDIM` dims. One compiled kernel per (function, dtypes) then
covers every rank, broadcast, transpose and slice::

    element (i_0, …, i_5) of an operand lives at buf[offset + Σ_d i_d · strides[d]]

All kernels are grid-stride loops (see :mod:`minidl.kernels.cuda.launch`), correct for
any grid. Elementwise kernels are generated from a scalar device function by
:func:`map_kernel`; reductions (one output element per loop iteration, looping over the
reduced axes) by :func:`reduce_kernel`.

Under numba's CUDA simulator the kernels are plain Python, so the math device functions
use NumPy's scalar functions there (:data:`xmath`): float32 stays float32 and an
overflow gives ``inf`` as on a GPU (Python's ``math.exp`` would raise).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numba import cuda

from minidl.kernels.cuda.launch import SIMULATED, grid_for

MAXDIM = 6
"""Rank every operand is padded to; higher-rank arrays are refused by :func:`pad`."""

xmath = np if SIMULATED else math
"""The scalar math module the device functions call: NumPy's under the simulator."""


def pad(shape: tuple[int, ...], strides: tuple[int, ...]
        ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(shape, strides) padded on the left to MAXDIM dims (size 1, stride 0)."""
    extra = MAXDIM - len(shape)
    if extra < 0:
        raise ValueError(f"cuda arrays support at most {MAXDIM} dims, got {len(shape)}")
    return (1,) * extra + tuple(shape), (0,) * extra + tuple(strides)


@cuda.jit(device=True)
def _offset(i, shape, strides):  # noqa: ANN001, ANN202
    """Element offset of the C-order linear index ``i`` of ``shape`` under ``strides``."""
    off = 0
    for d in range(MAXDIM - 1, -1, -1):
        n = shape[d]
        off += (i % n) * strides[d]
        i //= n
    return off


def _launch(kernel, n: int, *args) -> None:  # noqa: ANN001
    if n == 0:
        return
    if SIMULATED:
        with np.errstate(all="ignore"):
            kernel[grid_for(n)](*args)
    else:
        kernel[grid_for(n)](*args)


def map_kernel(fn: Callable, nin: int) -> Callable:
    """A launcher ``run(shape, out, *ins)`` applying device function ``fn`` elementwise.

    ``out`` and each input are ``(buf, offset, strides)`` triples already padded to
    MAXDIM and broadcast to ``shape`` (padded too). The result of ``fn`` is cast to
    ``out``'s dtype when stored. When every operand is C-contiguous over ``shape`` or a
    broadcast scalar (the common case), a flat kernel runs that skips the index
    arithmetic (operand k reads ``buf[offset + i·step_k]`` with step 1 or 0).
    """
    dev = cuda.jit(device=True)(fn)
    if nin == 1:
        @cuda.jit
        def k1(shape, n, o, oo, os, a, ao, as_):  # noqa: ANN001
            for i in range(cuda.grid(1), n, cuda.gridsize(1)):
                o[oo + _offset(i, shape, os)] = dev(a[ao + _offset(i, shape, as_)])

        @cuda.jit
        def f1(n, o, oo, os, a, ao, as_):  # noqa: ANN001
            for i in range(cuda.grid(1), n, cuda.gridsize(1)):
                o[oo + i * os] = dev(a[ao + i * as_])
        kernel, flat = k1, f1
    elif nin == 2:
        @cuda.jit
        def k2(shape, n, o, oo, os, a, ao, as_, b, bo, bs):  # noqa: ANN001
            for i in range(cuda.grid(1), n, cuda.gridsize(1)):
                o[oo + _offset(i, shape, os)] = dev(a[ao + _offset(i, shape, as_)],
                                                    b[bo + _offset(i, shape, bs)])

        @cuda.jit
        def f2(n, o, oo, os, a, ao, as_, b, bo, bs):  # noqa: ANN001
            for i in range(cuda.grid(1), n, cuda.gridsize(1)):
                o[oo + i * os] = dev(a[ao + i * as_], b[bo + i * bs])
        kernel, flat = k2, f2
    elif nin == 3:
        @cuda.jit
        def k3(shape, n, o, oo, os, a, ao, as_, b, bo, bs, c, co, cs):  # noqa: ANN001
            for i in range(cuda.grid(1), n, cuda.gridsize(1)):
                o[oo + _offset(i, shape, os)] = dev(a[ao + _offset(i, shape, as_)],
                                                    b[bo + _offset(i, shape, bs)],
                                                    c[co + _offset(i, shape, cs)])

        @cuda.jit
        def f3(n, o, oo, os, a, ao, as_, b, bo, bs, c, co, cs):  # noqa: ANN001
            for i in range(cuda.grid(1), n, cuda.gridsize(1)):
                o[oo + i * os] = dev(a[ao + i * as_], b[bo + i * bs], c[co + i * cs])
        kernel, flat = k3, f3
    else:
        raise ValueError(f"map_kernel: 1 to 3 inputs, got {nin}")

    def run(shape: tuple[int, ...], out: tuple, *ins: tuple) -> None:
        n = int(np.prod(shape))
        dense = _c_strides(shape)
        steps = []
        for op in (out, *ins):
            used = tuple(st if size > 1 else 0 for st, size in zip(op[2], shape))
            steps.append(1 if used == dense else 0 if not any(used) else -1)
        if min(steps) >= 0 and steps[0] == 1:
            args: list = [n]
            for (buf, off, _), step in zip((out, *ins), steps):
                args.extend((buf, off, step))
            _launch(flat, n, *args)
            return
        args = [shape, n, *out]
        for operand in ins:
            args.extend(operand)
        _launch(kernel, n, *args)

    return run


def _c_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """C-order element strides of ``shape``, with 0 for size-1 axes (as padding gives)."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step if size > 1 else 0)
        step *= size
    return tuple(reversed(strides))


def reduce_kernel(combine: Callable) -> Callable:
    """A launcher ``run(out_buf, n_out, kept, a, n_red, red)`` folding with ``combine``.

    ``kept = (shape, strides)`` of the output axes of input ``a = (buf, offset)``, ``red =
    (shape, strides)`` of the reduced axes (both padded). Output element ``i`` (C order of
    ``kept``) is ``combine(…combine(x_0, x_1)…, x_{n_red-1})`` over the reduced elements in C
    order; ``n_red ≥ 1``.
    """
    dev = cuda.jit(device=True)(combine)

    @cuda.jit
    def kernel(out, n_out, kshape, kstrides, a, ao, n_red, rshape, rstrides):  # noqa: ANN001
        for i in range(cuda.grid(1), n_out, cuda.gridsize(1)):
            base = ao + _offset(i, kshape, kstrides)
            acc = a[base]
            for j in range(1, n_red):
                acc = dev(acc, a[base + _offset(j, rshape, rstrides)])
            out[i] = acc

    def run(out, n_out, kept, a, n_red, red) -> None:  # noqa: ANN001
        _launch(kernel, n_out, out, n_out, kept[0], kept[1], a[0], a[1], n_red, red[0], red[1])

    return run


@cuda.jit
def _scan_kernel(out, n_out, kshape, kstrides, a, ao, n, step):  # noqa: ANN001
    """Running sums along one axis: row i (C order of the kept axes) of a, whose elements
    are ``step`` apart, into the contiguous out (rows of length n)."""
    for i in range(cuda.grid(1), n_out, cuda.gridsize(1)):
        base = ao + _offset(i, kshape, kstrides)
        acc = a[base]  # not a[base] * 0: the literal 0 would make float32 sums float64
        out[i * n] = acc
        for j in range(1, n):
            acc += a[base + j * step]
            out[i * n + j] = acc


def scan(out, n_out, kept, a, n: int, step: int) -> None:  # noqa: ANN001
    """Cumulative sums (see :func:`_scan_kernel`); ``out`` is the flat output buffer."""
    _launch(_scan_kernel, n_out, out, n_out, kept[0], kept[1], a[0], a[1], n, step)


@cuda.jit
def _arg_kernel(out, n_out, kshape, kstrides, a, ao, n_red, rshape, rstrides, sign):  # noqa: ANN001
    """Index (C order over the reduced axes) of the first max (sign=1) or min (sign=-1)."""
    for i in range(cuda.grid(1), n_out, cuda.gridsize(1)):
        base = ao + _offset(i, kshape, kstrides)
        best = a[base] * sign
        where = 0
        if best == best:  # a NaN wins (NumPy's rule), so stop looking once one is found
            for j in range(1, n_red):
                v = a[base + _offset(j, rshape, rstrides)] * sign
                if v != v:
                    where = j
                    break
                if v > best:
                    best = v
                    where = j
        out[i] = where


def arg_reduce(out, n_out, kept, a, n_red, red, sign: int) -> None:  # noqa: ANN001
    """argmax (sign=1) / argmin (sign=-1) with :func:`reduce_kernel`'s arguments."""
    _launch(_arg_kernel, n_out, out, n_out, kept[0], kept[1], a[0], a[1], n_red, red[0], red[1],
            sign)


@cuda.jit(device=True)
def _sorts_before(x, j, y, i):  # noqa: ANN001, ANN202
    """Whether element j (value x) comes before element i (value y) in a stable ascending
    sort: by value, NaN after every number (NumPy's order), ties by position."""
    x_nan, y_nan = x != x, y != y
    if x_nan or y_nan:
        return not x_nan or (y_nan and j < i)
    return x < y or (x == y and j < i)


@cuda.jit
def _rank_kernel(out, n_out, kshape, kstrides, a, ao, n, step):  # noqa: ANN001
    """Stable argsort of each row of n elements ``step`` apart (row i in C order of the kept
    axes), one thread per element: its rank is the number of elements that sort before it,
    and the row's output at that rank is its index. O(n) work per element, so meant for the
    rows minidl sorts on the device (a vocabulary's logits for top-k sampling)."""
    for t in range(cuda.grid(1), n_out * n, cuda.gridsize(1)):
        i, e = t // n, t % n
        base = ao + _offset(i, kshape, kstrides)
        value = a[base + e * step]
        rank = 0
        for j in range(n):
            if _sorts_before(a[base + j * step], j, value, e):
                rank += 1
        out[i * n + rank] = e


def argsort(out, n_out, kept, a, n: int, step: int) -> None:  # noqa: ANN001
    """Stable argsort of rows (see :func:`_rank_kernel`); ``out`` is the flat int64 output."""
    _launch(_rank_kernel, n_out * n, out, n_out, kept[0], kept[1], a[0], a[1], n, step)


def _index_kernel(body: Callable) -> Callable:
    """Element i of ``shape`` pairs a[ao + Σ k_d·astrides_d + idx[io + Σ k_d·istrides_d]] with
    v[vo + Σ k_d·vstrides_d] and runs ``body(a, off, v, voff)`` on them."""
    step = cuda.jit(device=True)(body)

    @cuda.jit
    def kernel(shape, n, a, ao, astrides, idx, io, istrides, v, vo, vstrides):  # noqa: ANN001
        for i in range(cuda.grid(1), n, cuda.gridsize(1)):
            off = ao + idx[io + _offset(i, shape, istrides)] + _offset(i, shape, astrides)
            step(a, off, v, vo + _offset(i, shape, vstrides))

    return kernel


def _gather(a, off, v, voff):  # noqa: ANN001, ANN202
    v[voff] = a[off]


def _scatter(a, off, v, voff):  # noqa: ANN001, ANN202
    a[off] = v[voff]


def _scatter_add(a, off, v, voff):  # noqa: ANN001, ANN202
    cuda.atomic.add(a, off, v[voff])  # repeated indices accumulate, as in np.add.at


GATHER, SCATTER, SCATTER_ADD = (_index_kernel(f) for f in (_gather, _scatter, _scatter_add))


def index_op(kernel, shape, a, offsets, values) -> None:  # noqa: ANN001
    """Run GATHER (values ← a), SCATTER (a ← values) or SCATTER_ADD (a += values) through
    precomputed element offsets (see :func:`_index_kernel`).

    ``shape`` (padded) is the shape of the indexed result; ``a``, ``offsets`` and ``values``
    are ``(buf, offset, padded strides)`` over it (``a``'s strides are 0 on the index's axes,
    the offsets' strides are 0 on the others).
    """
    n = int(np.prod(shape))
    _launch(kernel, n, shape, n, *a, *offsets, *values)
