"""CUDA im2col, convolution and transposed convolution against their CPU twins."""

import numpy as np
import pytest
from cuda_twins import compare

from minidl.kernels.cpu import conv as cpu_conv
from minidl.kernels.cpu import conv_transpose as cpu_ct
from minidl.kernels.cpu import im2col as cpu_cols
from minidl.kernels.cuda import conv as gpu_conv
from minidl.kernels.cuda import conv_transpose as gpu_ct
from minidl.kernels.cuda import im2col as gpu_cols

RNG = np.random.default_rng(4)
GEOMETRY = [  # (kernel, stride, padding, dilation)
    ((3, 3), (1, 1), (1, 1), (1, 1)),
    ((3, 2), (2, 1), (0, 1), (1, 2)),  # odd: non-square, strided, dilated
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel, stride, padding, dilation", GEOMETRY)
def test_im2col_and_col2im(kernel, stride, padding, dilation, dtype):
    x = RNG.standard_normal((2, 2, 5, 6)).astype(dtype)
    cols = compare(gpu_cols.im2col, cpu_cols.im2col, x, kernel, stride, padding, dilation)
    compare(gpu_cols.col2im, cpu_cols.col2im, RNG.standard_normal(cols.shape).astype(dtype),
            x.shape, kernel, stride, padding, dilation)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel, stride, padding, dilation", GEOMETRY)
def test_conv2d(kernel, stride, padding, dilation, dtype):
    x = RNG.standard_normal((2, 2, 5, 6)).astype(dtype)
    weight = RNG.standard_normal((3, 2, *kernel)).astype(dtype)
    bias = RNG.standard_normal(3).astype(dtype)
    y = compare(gpu_conv.conv2d_forward, cpu_conv.conv2d_forward, x, weight, bias, stride,
                padding, dilation)
    grad = RNG.standard_normal(y.shape).astype(dtype)
    compare(gpu_conv.conv2d_backward, cpu_conv.conv2d_backward, grad, x, weight, stride,
            padding, dilation, True)
    compare(gpu_conv.conv2d_backward, cpu_conv.conv2d_backward, grad, x, weight, stride,
            padding, dilation, False, needs_input_grad=False)


def test_conv2d_backward_reuses_the_forward_columns():
    x = RNG.standard_normal((2, 2, 5, 6)).astype(np.float32)
    weight = RNG.standard_normal((3, 2, 3, 3)).astype(np.float32)
    args = ((1, 1), (1, 1), (1, 1))
    cpu_ws, gpu_ws = {}, {}
    y = compare(lambda *a: gpu_conv.conv2d_forward(*a, workspace=gpu_ws),
                lambda *a: cpu_conv.conv2d_forward(*a, workspace=cpu_ws), x, weight, None, *args)
    assert "columns" in gpu_ws
    grad = RNG.standard_normal(y.shape).astype(np.float32)
    compare(lambda *a: gpu_conv.conv2d_backward(*a, workspace=gpu_ws),
            lambda *a: cpu_conv.conv2d_backward(*a, workspace=cpu_ws), grad, x, weight, *args,
            False)
    assert "columns" not in gpu_ws


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stride, padding, output_padding, dilation", [
    ((2, 2), (1, 1), (1, 1), (1, 1)),
    ((1, 2), (0, 1), (0, 1), (2, 1)),
    ((1, 1), (0, 0), (1, 0), (2, 2)),  # output_padding ≥ stride: dL/dx is cropped
])
def test_conv_transpose2d(stride, padding, output_padding, dilation, dtype):
    x = RNG.standard_normal((2, 3, 3, 4)).astype(dtype)
    weight = RNG.standard_normal((3, 2, 3, 2)).astype(dtype)
    bias = RNG.standard_normal(2).astype(dtype)
    y = compare(gpu_ct.conv_transpose2d_forward, cpu_ct.conv_transpose2d_forward, x, weight,
                bias, stride, padding, output_padding, dilation)
    grad = RNG.standard_normal(y.shape).astype(dtype)
    compare(gpu_ct.conv_transpose2d_backward, cpu_ct.conv_transpose2d_backward, grad, x,
            weight, stride, padding, dilation, True)
