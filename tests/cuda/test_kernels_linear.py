"""CUDA linear layer against its CPU twin."""

import numpy as np
import pytest
from cuda_twins import compare

from minidl.kernels.cpu import linear as cpu
from minidl.kernels.cuda import linear as gpu

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("has_bias", [True, False])
def test_linear_matches_cpu(has_bias, dtype):
    x = RNG.standard_normal((2, 3, 5)).astype(dtype)  # leading dims are carried through
    weight = RNG.standard_normal((7, 5)).astype(dtype)
    bias = RNG.standard_normal(7).astype(dtype) if has_bias else None
    grad = RNG.standard_normal((2, 3, 7)).astype(dtype)
    compare(gpu.linear_forward, cpu.linear_forward, x, weight, bias)
    compare(gpu.linear_backward, cpu.linear_backward, grad, x, weight, has_bias)
