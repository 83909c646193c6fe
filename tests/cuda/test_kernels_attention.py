"""CUDA attention and broadcasting kernels against their CPU twins."""

import numpy as np
import pytest
from cuda_twins import compare, to_device, to_host

from minidl.kernels.cpu import attention as cpu
from minidl.kernels.cpu import broadcast as cpu_broadcast
from minidl.kernels.cuda import attention as gpu
from minidl.kernels.cuda import broadcast as gpu_broadcast

RNG = np.random.default_rng(9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mask_kind", [None, "causal", "causal_hint", "padding"])
def test_attention(mask_kind, dtype):
    n, h, length, e = 2, 2, 5, 3
    q, k, v = (RNG.standard_normal((n, h, length, e)).astype(dtype) for _ in range(3))
    mask, causal = None, False
    if mask_kind in ("causal", "causal_hint"):
        mask = compare(gpu.causal_mask, cpu.causal_mask, length, length, dtype)
        causal = mask_kind == "causal_hint"
    elif mask_kind == "padding":  # (N, 1, 1, S): the last key of the second sample hidden
        mask = np.zeros((n, 1, 1, length), dtype)
        mask[1, ..., -1] = -np.inf
    out, probs = compare(gpu.attention_forward, cpu.attention_forward, q, k, v, mask, 0.5,
                         causal)
    grad_out = RNG.standard_normal(out.shape).astype(dtype)
    grad_probs = RNG.standard_normal(probs.shape).astype(dtype)
    for extra in (None, grad_probs):
        compare(gpu.attention_backward, cpu.attention_backward, grad_out, extra, q, k, v,
                probs, 0.5)


def test_split_and_merge_heads():
    x = RNG.standard_normal((2, 3, 8)).astype(np.float32)
    heads = compare(gpu.split_heads, cpu.split_heads, x, 4)
    compare(gpu.merge_heads, cpu.merge_heads, heads)


@pytest.mark.parametrize("grad_shape, shape", [((2, 3, 4), (3, 4)), ((2, 3, 4), (3, 1)),
                                               ((2, 3, 4), (2, 1, 4)), ((3, 4), (3, 4))])
def test_sum_to_shape_and_broadcast_to(grad_shape, shape):
    grad = RNG.standard_normal(grad_shape)
    compare(gpu_broadcast.sum_to_shape, cpu_broadcast.sum_to_shape, grad, shape)
    x = RNG.standard_normal(shape)
    np.testing.assert_array_equal(
        to_host(gpu_broadcast.broadcast_to(to_device(x), grad_shape)),
        np.broadcast_to(x, grad_shape))
