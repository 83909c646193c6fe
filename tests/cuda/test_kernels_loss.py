"""CUDA softmax and losses against their CPU twins."""

import numpy as np
import pytest
from cuda_twins import compare

from minidl.kernels.cpu import loss as cpu
from minidl.kernels.cuda import loss as gpu

RNG = np.random.default_rng(2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_along_any_dim(name, dim, dtype):
    x = (RNG.standard_normal((3, 5, 2)) * 4).astype(dtype)
    grad = RNG.standard_normal(x.shape).astype(dtype)
    out = compare(getattr(gpu, f"{name}_forward"), getattr(cpu, f"{name}_forward"), x, dim)
    compare(getattr(gpu, f"{name}_backward"), getattr(cpu, f"{name}_backward"), grad, out, dim)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy(smoothing, dtype):
    logits = (RNG.standard_normal((11, 5)) * 3).astype(dtype)
    target = RNG.integers(0, 5, 11)
    grad = RNG.standard_normal(11).astype(dtype)
    compare(gpu.cross_entropy_forward, cpu.cross_entropy_forward, logits, target, smoothing)
    compare(gpu.cross_entropy_backward, cpu.cross_entropy_backward, grad, logits, target,
            smoothing)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_losses(dtype):
    logits = (RNG.standard_normal((3, 7)) * 5).astype(dtype)
    target = RNG.random((3, 7)).astype(dtype)
    grad = RNG.standard_normal((3, 7)).astype(dtype)
    p = RNG.random((3, 7)).astype(dtype)
    p[0, :2] = [0.0, 1.0]  # the clamped logs and the guarded division
    compare(gpu.bce_with_logits_forward, cpu.bce_with_logits_forward, logits, target)
    compare(gpu.bce_with_logits_backward, cpu.bce_with_logits_backward, grad, logits, target)
    compare(gpu.binary_cross_entropy_forward, cpu.binary_cross_entropy_forward, p, target)
    compare(gpu.binary_cross_entropy_backward, cpu.binary_cross_entropy_backward, grad, p,
            target)
