"""CUDA gradient clipping, nearest upsampling and whole-array reductions against the CPU."""

import math

import numpy as np
import pytest
from cuda_twins import compare, to_device, to_host

from minidl.kernels.cpu import clip as cpu_clip
from minidl.kernels.cpu import upsample as cpu_up
from minidl.kernels.cuda import clip as gpu_clip
from minidl.kernels.cuda import reduce as gpu_reduce
from minidl.kernels.cuda import upsample as gpu_up

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("max_norm, norm_type", [(0.5, 2.0), (100.0, 2.0), (0.5, math.inf),
                                                 (1.0, 1.0)])
def test_clip_grad_norm_and_value(max_norm, norm_type, dtype):
    grads = [RNG.standard_normal(s).astype(dtype) for s in [(3, 4), (5,), (0,)]]
    compare(gpu_clip.clip_grad_norm, cpu_clip.clip_grad_norm, grads, max_norm, norm_type)
    compare(gpu_clip.clip_grad_value, cpu_clip.clip_grad_value, grads, 0.3)


@pytest.mark.parametrize("a, k, b", [(2, 5, 3), (1, 70, 2), (3, 41, 1), (3, 60, 1)])
def test_sum_middle_per_thread_and_per_block(a, k, b):
    """Short rows one per thread, long ones one per block (several per block at (3, 60, 1));
    sum_middle accumulates in float64, so it is compared with a float64 sum."""
    x = np.random.default_rng(k).standard_normal((a, k, b)).astype(np.float32)
    np.testing.assert_allclose(to_host(gpu_reduce.sum_middle(to_device(x), a, k, b)),
                               x.astype(np.float64).sum(axis=1), rtol=1e-6, atol=1e-6)


def test_reduce_all_covers_chunks_and_tail():
    x = RNG.standard_normal(2 * gpu_reduce.CHUNK + 5)
    assert gpu_reduce.reduce_all(to_device(x)) == pytest.approx(x.sum(), rel=1e-12)
    assert gpu_reduce.reduce_all(to_device(x), use_max=True) == x.max()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("in_hw, out_hw", [((3, 4), (6, 8)), ((5, 3), (7, 4)), ((4, 6), (2, 3))])
def test_upsample_nearest(in_hw, out_hw, dtype):
    x = RNG.standard_normal((2, 2, *in_hw)).astype(dtype)
    src_h = cpu_up.nearest_indices(in_hw[0], out_hw[0], in_hw[0] / out_hw[0])
    src_w = cpu_up.nearest_indices(in_hw[1], out_hw[1], in_hw[1] / out_hw[1])
    compare(gpu_up.upsample_nearest2d_forward, cpu_up.upsample_nearest2d_forward, x, src_h,
            src_w)
    grad = RNG.standard_normal((2, 2, *out_hw)).astype(dtype)
    compare(gpu_up.upsample_nearest2d_backward, cpu_up.upsample_nearest2d_backward, grad,
            x.shape, src_h, src_w)
