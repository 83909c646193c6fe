"""CUDA batch norm and layer norm against their CPU twins."""

import numpy as np
import pytest
from cuda_twins import compare

from minidl.kernels.cpu import batchnorm as cpu_bn
from minidl.kernels.cpu import layernorm as cpu_ln
from minidl.kernels.cuda import batchnorm as gpu_bn
from minidl.kernels.cuda import layernorm as gpu_ln

RNG = np.random.default_rng(6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 3, 5)])
@pytest.mark.parametrize("affine, track", [(True, True), (False, False)])
def test_batch_norm(shape, affine, track, dtype):
    x = (RNG.standard_normal(shape) * 2 + 1).astype(dtype)
    chans = shape[1]
    weight = RNG.standard_normal(chans).astype(dtype) if affine else None
    bias = RNG.standard_normal(chans).astype(dtype) if affine else None
    rm = RNG.standard_normal(chans).astype(dtype) if track else None
    rv = RNG.random(chans).astype(dtype) + 0.5 if track else None
    grad = RNG.standard_normal(shape).astype(dtype)
    _, mean, invstd, _, _ = compare(gpu_bn.batch_norm_forward, cpu_bn.batch_norm_forward,
                                    x, weight, bias, rm, rv, True, 0.1, 1e-5)
    compare(gpu_bn.batch_norm_backward, cpu_bn.batch_norm_backward, grad, x, weight, mean,
            invstd)
    if track:
        _, mean, invstd, _, _ = compare(gpu_bn.batch_norm_forward, cpu_bn.batch_norm_forward,
                                        x, weight, bias, rm, rv, False, 0.1, 1e-5)
        compare(gpu_bn.batch_norm_eval_backward, cpu_bn.batch_norm_eval_backward, grad, x,
                weight, mean, invstd)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine, shape", [(True, (2, 3, 7)), (False, (2, 3, 7)),
                                           (True, (5, 4, 3))])  # rows < and > a block
def test_layer_norm(affine, shape, dtype):
    x = (RNG.standard_normal(shape) * 3 + 1).astype(dtype)
    weight = RNG.standard_normal(shape[-1]).astype(dtype) if affine else None
    bias = RNG.standard_normal(shape[-1]).astype(dtype) if affine else None
    grad = RNG.standard_normal(x.shape).astype(dtype)
    _, mean, rstd = compare(gpu_ln.layer_norm_forward, cpu_ln.layer_norm_forward, x, weight,
                            bias, 1e-5)
    compare(gpu_ln.layer_norm_backward, cpu_ln.layer_norm_backward, grad, x, weight, mean, rstd)
