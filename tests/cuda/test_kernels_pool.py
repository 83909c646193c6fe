"""CUDA pooling against its CPU twins."""

import numpy as np
import pytest
from cuda_twins import compare

from minidl.kernels.cpu import pool as cpu
from minidl.kernels.cuda import pool as gpu

RNG = np.random.default_rng(5)
WINDOWS = [((2, 2), (2, 2), (0, 0)), ((3, 2), (2, 1), (1, 1)), ((3, 3), (1, 1), (1, 0))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel, stride, padding", WINDOWS)
def test_max_and_avg_pool(kernel, stride, padding, dtype):
    x = RNG.standard_normal((2, 2, 5, 7)).astype(dtype)
    x[0, 0, 0, :2] = 1.5  # a tie: the first position wins
    x[1, 1, 2, 3] = np.nan  # a NaN wins its windows
    y, idx = compare(gpu.max_pool2d_forward, cpu.max_pool2d_forward, x, kernel, stride, padding)
    grad = RNG.standard_normal(y.shape).astype(dtype)
    compare(gpu.max_pool2d_backward, cpu.max_pool2d_backward, grad, idx, x.shape)
    x = np.nan_to_num(x)
    y = compare(gpu.avg_pool2d_forward, cpu.avg_pool2d_forward, x, kernel, stride, padding)
    compare(gpu.avg_pool2d_backward, cpu.avg_pool2d_backward, grad, x.shape, kernel, stride,
            padding)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("output_size", [(1, 1), (2, 3), (3, 5)])
def test_adaptive_avg_pool(output_size, dtype):
    x = RNG.standard_normal((2, 3, 5, 7)).astype(dtype)
    grad = RNG.standard_normal((2, 3, *output_size)).astype(dtype)
    compare(gpu.adaptive_avg_pool2d_forward, cpu.adaptive_avg_pool2d_forward, x, output_size)
    compare(gpu.adaptive_avg_pool2d_backward, cpu.adaptive_avg_pool2d_backward, grad, x.shape)
