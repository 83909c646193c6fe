"""kernels/dispatch.py: the device of the arrays picks the kernel; slots stay on the CPU."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl.kernels import dispatch
from minidl.kernels.cpu import activation as cpu_activation
from minidl.kernels.cuda.array import CudaArray
from minidl.kernels.slots import set_override, slots


def test_numpy_arrays_run_the_cpu_kernel_and_device_arrays_the_twin() -> None:
    k = dispatch.kernels("activation")
    assert k is dispatch.kernels("activation")
    x = np.array([-1.0, 2.0], np.float32)
    got = k.relu_forward(x)
    assert isinstance(got, np.ndarray)
    on_device = k.relu_forward(CudaArray.from_host(x))
    assert isinstance(on_device, CudaArray)  # raw device result wrapped back
    np.testing.assert_array_equal(on_device.get(), got)


def test_a_learner_override_runs_on_the_cpu_only() -> None:
    calls = []

    def my_relu(x: np.ndarray) -> np.ndarray:
        calls.append(type(x))
        return np.maximum(x, 0)

    set_override("relu_forward", my_relu)
    try:
        minidl.tensor([-1.0, 1.0]).relu()
        minidl.tensor([-1.0, 1.0], device="cuda").relu()
    finally:
        set_override("relu_forward", None)
    assert calls == [np.ndarray]
    assert slots()["relu_forward"].reference is cpu_activation.relu_forward.slot.reference


def test_use_exercises_says_what_runs_on_cuda() -> None:
    routing = minidl.use_exercises("ch01", verbose=False, impl="solutions")
    try:
        assert "on CUDA tensors minidl's CUDA kernels run instead" in routing.summary()
    finally:
        routing.restore()


def test_numpy_reference_code_runs_on_device_arrays() -> None:
    grad = CudaArray.from_host(np.ones((3, 4), np.float32))
    sum_to_shape = dispatch.kernels("broadcast").sum_to_shape.__wrapped__.slot.reference
    out = sum_to_shape(grad, (1, 4))  # plain NumPy code, kept on the device by CudaArray
    assert isinstance(out, CudaArray)
    np.testing.assert_array_equal(out.get(), np.full((1, 4), 3.0))


def test_a_kernel_without_a_twin_never_copies_to_the_host_silently() -> None:
    z = CudaArray.from_host(np.ones((2, 3), np.float32))
    t = CudaArray.from_host(np.linspace(0, 1, 3))
    with pytest.raises(TypeError, match="can't convert cuda device array to numpy"):
        dispatch.kernels("interpolation").slerp(z, z, t)  # its reference calls np.asarray


def test_unsupported_numpy_calls_name_the_function() -> None:
    with pytest.raises(TypeError, match="np.linalg.svd is not supported on cuda arrays"):
        np.linalg.svd(CudaArray.from_host(np.eye(2)))
