"""CUDA activations against their CPU twins."""

import numpy as np
import pytest
from cuda_twins import compare

from minidl.kernels.cpu import activation as cpu
from minidl.kernels.cuda import activation as gpu

RNG = np.random.default_rng(1)
CASES = [  # (name, extra args, backward takes the forward output instead of x)
    ("relu", (), False), ("sigmoid", (), True), ("tanh", (), True),
    ("leaky_relu", (0.1,), False), ("gelu", ("none",), False), ("gelu", ("tanh",), False),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, extra, uses_out", CASES)
def test_activation_matches_cpu(name, extra, uses_out, dtype):
    x = (RNG.standard_normal((3, 7)) * 3).astype(dtype)  # 21 elements: not a block multiple
    x[0, :3] = [0.0, 40.0, -40.0]  # the kink, and far tails (no overflow in σ)
    grad = RNG.standard_normal(x.shape).astype(dtype)
    out = compare(getattr(gpu, f"{name}_forward"), getattr(cpu, f"{name}_forward"), x, *extra)
    second = out if uses_out else x
    compare(getattr(gpu, f"{name}_backward"), getattr(cpu, f"{name}_backward"),
            grad, second.astype(dtype), *extra)


def test_erf():
    x = np.linspace(-4, 4, 13, dtype=np.float32)
    compare(gpu.erf, cpu.erf, x)
