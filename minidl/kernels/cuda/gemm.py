"""Matrix products on the GPU: a tiled shared-memory matmul with register blocking.

    gemm(a, b)  C = op(A) · op(B)              op(A): (n, k)     op(B): (k, m)     C: (n, m)
    bmm(a, b)   C[z] = op(A[z]) · op(B[z])     op(A): (B, n, k)  op(B): (B, k, m)  C: (B, n, m)

``op`` is the identity, or the transpose when ``trans_a`` / ``trans_b`` is set: with
``trans_a=True`` ``a`` is stored as (k, n) (or (B, k, n)) and read as its transpose, so
``gemm(x, w, trans_b=True)`` is x · wᵀ without copying w. Inputs are C-contiguous device
arrays of one float dtype (float32 or float64); the result is a new C-contiguous device
array of that dtype, or ``out`` when given (it must have C's shape and dtype).

How the work is split (T = :data:`~minidl.kernels.cuda.launch.TILE`,
R = :data:`~minidl.kernels.cuda.launch.REG`, BM = T·R):

- C is cut into BM × BM tiles; a block of T × T threads computes one tile at a time,
  looping grid-stride over the tiles of all batch entries (so any grid is correct).
- Along k the block walks in slabs of S = :data:`~minidl.kernels.cuda.launch.SLAB`: all
  T·T threads together copy the BM × S slab of op(A) and the S × BM slab of op(B) into
  shared memory (BM·S / T² elements each; out-of-range elements are stored as 0, so
  ragged edges need no special case), wait at a barrier,
  then each thread multiplies: thread (tx, ty) owns the R × R outputs at rows
  ty, ty + T, …, ty + (R−1)·T and columns tx, tx + T, … of the tile, kept in registers
  (a local array), and for every k of the slab adds the outer product of R values of A
  and R values of B: 2·R loads from shared memory for R² multiply-adds.
- A second barrier before the next slab overwrites shared memory.
- The slabs have one unused column (rows of BM + 1): staging op(A) from a row-major A
  writes a column of the slab per warp, and with rows of exactly BM = 64 floats all those
  writes would hit one shared-memory bank.

Every thread runs the same loop bounds (tile, slab, k), so each ``syncthreads`` is reached
by the whole block, as the CUDA rules (and the simulator) require; the edges are
handled by guarding loads and stores, never by leaving a loop early.

On a GPU T = 16, R = 4, S = 16: 256 threads compute 64 × 64 outputs, 8 KiB of shared
memory (float32). Under the simulator T = 2, R = 4, S = 8: each barrier there makes all
simulated threads take turns on the interpreter (about 8 ms for 16 threads), so few
threads and deep slabs (few barriers) keep it fast; the code paths are the same.
"""

from __future__ import annotations

from functools import cache

import numba
import numpy as np
from numba import cuda

from minidl.kernels.cuda.launch import REG, SLAB, TILE, grid_for_tiles

BM = TILE * REG
"""Rows (and columns) of C one block computes per tile."""

ROW = BM + 1
"""Row length of the shared slabs (one unused column: see the module docstring). A named
constant, because a shared array's shape must be a compile-time constant, not an expression."""

LOADS = BM * SLAB // (TILE * TILE)
"""Elements of each slab one thread copies into shared memory."""

_NUMBA_TYPES = {np.dtype(np.float32): numba.float32, np.dtype(np.float64): numba.float64}


@cuda.jit(device=True)
def _stage(src, z, row0, k0, rows, k, k_first, dst, tid):  # pragma: no cover - compiled
    """Copy rows row0 … row0 + BM − 1 and columns k0 … k0 + SLAB − 1 of a (rows, k) matrix
    M into dst[kk, i] = M[row0 + i, k0 + kk] (0 outside M), LOADS elements per thread.

    M is src[z] (rows, k), or its transpose when ``k_first`` (src[z] stored as (k, rows)):
    op(A) is A or Aᵀ; op(B)ᵀ is Bᵀ (``k_first``) or B (trans_b). Element e = tid + r·T² of
    the slab goes to (i, kk) so that neighbouring threads read neighbouring addresses.
    """
    for r in range(LOADS):
        e = tid + r * TILE * TILE
        if k_first:
            kk = e // BM
            i = e % BM
        else:
            i = e // SLAB
            kk = e % SLAB
        if row0 + i < rows and k0 + kk < k:  # (no float temporary: it would be a float64)
            dst[kk, i] = src[z, k0 + kk, row0 + i] if k_first else src[z, row0 + i, k0 + kk]
        else:
            dst[kk, i] = 0


@cache
def _kernel(trans_a: bool, trans_b: bool, dtype: np.dtype):
    """The tiled kernel compiled for one transpose combination and dtype (constants)."""
    nb_type = _NUMBA_TYPES[dtype]

    @cuda.jit
    def kernel(a, b, c):  # pragma: no cover - compiled
        sa = cuda.shared.array((SLAB, ROW), nb_type)  # the A slab, sa[kk, i]
        sb = cuda.shared.array((SLAB, ROW), nb_type)  # the B slab, sb[kk, j]
        acc = cuda.local.array((REG, REG), nb_type)
        ra = cuda.local.array(REG, nb_type)
        rb = cuda.local.array(REG, nb_type)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        tid = ty * TILE + tx
        batch, n, m = c.shape
        k = a.shape[1] if trans_a else a.shape[2]
        tiles_n = (n + BM - 1) // BM
        tiles_m = (m + BM - 1) // BM
        per_batch = tiles_n * tiles_m
        for t in range(cuda.blockIdx.x, batch * per_batch, cuda.gridDim.x):
            z = t // per_batch
            row0 = (t % per_batch) // tiles_m * BM
            col0 = (t % per_batch) % tiles_m * BM
            for r in range(REG):
                for s in range(REG):
                    acc[r, s] = 0
            for k0 in range(0, k, SLAB):
                _stage(a, z, row0, k0, n, k, trans_a, sa, tid)  # op(A): (n, k)
                _stage(b, z, col0, k0, m, k, not trans_b, sb, tid)  # op(B)ᵀ: (m, k)
                cuda.syncthreads()
                for kk in range(SLAB):
                    for r in range(REG):
                        ra[r] = sa[kk, ty + r * TILE]
                    for s in range(REG):
                        rb[s] = sb[kk, tx + s * TILE]
                    for r in range(REG):
                        for s in range(REG):
                            acc[r, s] += ra[r] * rb[s]
                cuda.syncthreads()
            for r in range(REG):
                for s in range(REG):
                    i = row0 + ty + r * TILE
                    j = col0 + tx + s * TILE
                    if i < n and j < m:
                        c[z, i, j] = acc[r, s]

    return kernel


def _check(op: str, a, b, trans_a: bool, trans_b: bool, ndim: int) -> tuple[int, int]:
    """(n, m) of C = op(A) · op(B) after checking ranks, dtypes and the inner dimension."""
    if a.ndim != ndim or b.ndim != ndim:
        raise ValueError(f"{op}: expected {ndim}-D arrays, got shapes {a.shape} and {b.shape}")
    if a.dtype != b.dtype or np.dtype(a.dtype) not in _NUMBA_TYPES:
        raise TypeError(f"{op}: expected two float32 or two float64 arrays, "
                        f"got {a.dtype} and {b.dtype}")
    k, n = a.shape[-2:] if trans_a else a.shape[-2:][::-1]
    m, kb = b.shape[-2:] if trans_b else b.shape[-2:][::-1]
    if kb != k or a.shape[:-2] != b.shape[:-2]:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} do not match "
                         f"(trans_a={trans_a}, trans_b={trans_b})")
    return n, m


def bmm(a, b, trans_a: bool = False, trans_b: bool = False, out=None):
    """Batched C[z] = op(A[z]) · op(B[z]) of 3-D device arrays (see the module docstring).

    a: (B, n, k), or (B, k, n) with trans_a   b: (B, k, m), or (B, m, k) with trans_b
    →  C: (B, n, m), a new device array unless ``out`` is given.
    """
    n, m = _check("bmm", a, b, trans_a, trans_b, 3)
    return _launch(a, b, trans_a, trans_b, out, (a.shape[0], n, m))


def gemm(a, b, trans_a: bool = False, trans_b: bool = False, out=None):
    """C = op(A) · op(B) of 2-D device arrays: the batch-of-one case of :func:`bmm`.

    a: (n, k), or (k, n) with trans_a   b: (k, m), or (m, k) with trans_b   →  C: (n, m)
    """
    n, m = _check("gemm", a, b, trans_a, trans_b, 2)
    out3 = None if out is None else out.reshape(1, *out.shape)
    c = _launch(a.reshape(1, *a.shape), b.reshape(1, *b.shape), trans_a, trans_b, out3, (1, n, m))
    return c.reshape(n, m)


def _launch(a, b, trans_a: bool, trans_b: bool, out, shape: tuple[int, int, int]):
    """Run the tiled kernel into ``out`` (allocated when None) of ``shape`` (B, n, m)."""
    if out is None:
        out = cuda.device_array(shape, dtype=a.dtype)
    elif out.shape != shape or out.dtype != a.dtype:
        raise ValueError(f"matmul: out must be {shape} {a.dtype}, got {out.shape} {out.dtype}")
    batch, n, m = shape
    if out.size:
        tiles = batch * ((n + BM - 1) // BM) * ((m + BM - 1) // BM)
        blocks, threads = grid_for_tiles(tiles)
        _kernel(bool(trans_a), bool(trans_b), np.dtype(a.dtype))[blocks, threads](a, b, out)
    return out
