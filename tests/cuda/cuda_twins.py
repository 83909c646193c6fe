"""Helpers for the CUDA kernel tests: run a CUDA kernel and its CPU twin on the same inputs.

A CUDA twin takes and returns device arrays where the CPU twin takes and returns NumPy
arrays; :func:`compare` copies the inputs to the device, calls both, copies the CUDA
results back and compares them element by element (tuples and ``None`` results too).
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda

TOLERANCE = {np.dtype(np.float32): dict(rtol=1e-5, atol=1e-6),
             np.dtype(np.float64): dict(rtol=1e-10, atol=1e-12)}


def to_device(value):
    """NumPy arrays (also inside tuples/lists) to device arrays; anything else as is."""
    if isinstance(value, np.ndarray):
        return cuda.to_device(np.ascontiguousarray(value))
    if isinstance(value, (tuple, list)):
        return type(value)(to_device(v) for v in value)
    return value


def to_host(value):
    """Device arrays (also inside tuples/lists) back to NumPy; anything else as is."""
    if hasattr(value, "copy_to_host"):  # a DeviceNDArray, or FakeCUDAArray under the simulator
        return value.copy_to_host()
    if isinstance(value, (tuple, list)):
        return type(value)(to_host(v) for v in value)
    return value


def assert_same(got, want, path="result"):
    """``got`` (from the CUDA twin, on the host) equals ``want`` (from the CPU twin)."""
    if isinstance(want, float):  # a host scalar computed from device sums
        assert math.isclose(got, want, rel_tol=1e-9), f"{path}: {got!r} != {want!r}"
    elif want is None or isinstance(want, (bool, int, str)):
        assert got == want, f"{path}: {got!r} != {want!r}"
    elif isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), f"{path}: {got!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{path}[{i}]")
    else:
        want = np.asarray(want)
        assert isinstance(got, np.ndarray), f"{path}: expected an array, got {type(got)}"
        assert got.shape == want.shape, f"{path}: shape {got.shape} != {want.shape}"
        assert got.dtype == want.dtype, f"{path}: dtype {got.dtype} != {want.dtype}"
        if want.dtype.kind == "f":
            np.testing.assert_allclose(got, want, err_msg=path, **TOLERANCE[want.dtype])
        else:
            np.testing.assert_array_equal(got, want, err_msg=path)


def compare(cuda_fn, cpu_fn, *args, **kwargs):
    """Call both twins on copies of ``args`` and assert their results agree; returns the
    CUDA results (on the host) for further checks."""
    want = cpu_fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args], **kwargs)
    got = to_host(cuda_fn(*to_device(args), **kwargs))
    assert_same(got, want, cuda_fn.__name__)
    return got
