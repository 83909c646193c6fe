"""conv2d: gradients by central differences, im2col/col2im algebra, layer, errors, no-JIT run."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import minidl
from minidl.errors import DTypeError, ShapeError
from minidl.functional.conv import conv2d
from minidl.kernels.cpu.im2col import col2im, im2col
from minidl.nn.conv import Conv2d


def leaf(rng, *shape):
    return minidl.tensor(rng.standard_normal(shape), dtype=minidl.float64, requires_grad=True)


@pytest.mark.parametrize(
    "x_shape,w_shape,kw",
    [
        ((2, 3, 7, 6), (4, 3, 3, 3), dict(stride=2, padding=1)),
        ((1, 2, 5, 5), (3, 2, 2, 3), dict(stride=(1, 2), padding=(1, 0), dilation=(2, 1))),
        ((2, 1, 6, 7), (2, 1, 3, 2), dict(padding="same", dilation=2)),
        ((1, 2, 4, 4), (3, 2, 4, 4), dict()),  # 1×1 output
        ((2, 2, 5, 4), (2, 2, 2, 2), dict(padding="valid")),
    ],
)
def test_conv2d_gradcheck(x_shape, w_shape, kw):
    rng = np.random.default_rng(0)
    x, w, b = leaf(rng, *x_shape), leaf(rng, *w_shape), leaf(rng, w_shape[0])
    assert minidl.gradcheck(lambda x, w, b: conv2d(x, w, b, **kw), x, w, b)


def test_conv2d_gradcheck_non_contiguous_input_no_bias():
    rng = np.random.default_rng(1)
    x, w = leaf(rng, 2, 3, 6, 5), leaf(rng, 2, 3, 3, 3)
    assert minidl.gradcheck(lambda x, w: conv2d(x.transpose(2, 3), w, stride=2, padding=1), x, w)


def test_conv2d_hand_computed():
    # 1×1×3×3 input, 2×2 kernel of ones: each output sums a 2×2 block
    x = minidl.tensor(np.arange(9.0).reshape(1, 1, 3, 3), dtype=minidl.float32)
    w = minidl.ones(1, 1, 2, 2)
    out = conv2d(x, w, minidl.tensor([10.0]))
    np.testing.assert_allclose(out.detach().numpy()[0, 0], [[18.0, 22.0], [30.0, 34.0]])
    # padding 1, stride 2: corners see one pixel each plus the borders
    out = conv2d(x, w, padding=1, stride=2)
    np.testing.assert_allclose(out.detach().numpy()[0, 0], [[0.0, 3.0], [9.0, 24.0]])


def test_conv2d_same_padding_keeps_size():
    x = minidl.randn(2, 3, 9, 8)
    for k in (2, 3, 4):
        assert conv2d(x, minidl.randn(5, 3, k, k), padding="same").shape == (2, 5, 9, 8)


def test_first_layer_skips_the_input_gradient_and_reuses_the_forward_columns(monkeypatch):
    from minidl.kernels.cpu import conv as K

    rng = np.random.default_rng(4)
    x = minidl.tensor(rng.standard_normal((3, 2, 7, 6)))  # data: no gradient wanted
    w = minidl.tensor(rng.standard_normal((4, 2, 3, 3)), requires_grad=True)
    b = minidl.tensor(rng.standard_normal(4), requires_grad=True)
    unfolds = []
    for name in ("unfold", "unfold_batch_last"):  # batch-major or batch-last columns
        real = getattr(K, name)
        monkeypatch.setattr(K, name, lambda *a, real=real: unfolds.append(1) or real(*a))
    (conv2d(x, w, b, padding=1) ** 2).sum().backward()
    assert len(unfolds) == 1  # the backward pass reused the forward's column matrix
    # the same gradients as the plain kernels, with dL/dx computed and discarded
    xa, wa = x.detach().numpy(), w.detach().numpy()
    y = K.conv2d_forward(xa, wa, b.detach().numpy(), (1, 1), (1, 1), (1, 1))
    _, grad_w, grad_b = K.conv2d_backward(2 * y, xa, wa, (1, 1), (1, 1), (1, 1), True)
    np.testing.assert_allclose(w.grad.numpy(), grad_w, rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), grad_b, rtol=1e-12)
    assert K.conv2d_backward(2 * y, xa, wa, (1, 1), (1, 1), (1, 1), True,
                             needs_input_grad=False)[0] is None


def test_a_learners_conv_functions_never_see_the_reference_only_hints():
    from minidl.kernels.cpu import conv as K
    from minidl.kernels.slots import set_override

    calls = []

    def learner_forward(x, weight, bias, stride, padding, dilation):  # the exercise signature
        calls.append("forward")
        return K.conv2d_forward.slot.reference(x, weight, bias, stride, padding, dilation)

    def learner_backward(grad, x, weight, stride, padding, dilation, has_bias):
        calls.append("backward")
        return K.conv2d_backward.slot.reference(grad, x, weight, stride, padding, dilation,
                                                has_bias)

    rng = np.random.default_rng(6)
    x = minidl.tensor(rng.standard_normal((2, 1, 5, 5)))
    w = minidl.tensor(rng.standard_normal((3, 1, 3, 3)), requires_grad=True)
    set_override("conv2d_forward", learner_forward)
    set_override("conv2d_backward", learner_backward)
    try:
        conv2d(x, w).sum().backward()  # a TypeError here would mean a hint leaked through
    finally:
        set_override("conv2d_forward", None)
        set_override("conv2d_backward", None)
    assert calls == ["forward", "backward"]
    xa, wa = x.detach().numpy(), w.detach().numpy()
    expected = K.conv2d_backward(np.ones((2, 3, 3, 3)), xa, wa, (1, 1), (0, 0),
                                 (1, 1), False)[1]
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-12)


def test_retained_graph_backward_twice_gives_the_same_weight_gradient():
    rng = np.random.default_rng(5)
    x = minidl.tensor(rng.standard_normal((2, 3, 5, 5)), requires_grad=True)
    w = minidl.tensor(rng.standard_normal((2, 3, 3, 3)), requires_grad=True)
    loss = (conv2d(x, w) ** 2).sum()
    loss.backward(retain_graph=True)  # the first backward consumes the kept columns
    first_w, first_x = w.grad.numpy().copy(), x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * first_w, rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), 2 * first_x, rtol=1e-12)


@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (1, 2, 1), (2, 1, 2)])
def test_parallel_and_serial_kernels_agree(monkeypatch, stride, padding, dilation):
    """unfold/fold pick a parallel or a serial compilation by size: both give the same."""
    from minidl.kernels.cpu import im2col as M

    x = np.random.default_rng(10).standard_normal((3, 2, 9, 8))
    args = ((3, 3), (stride, stride), (padding, padding), (dilation, dilation))
    results = []
    for threshold in (0, 10**12):  # everything parallel, everything serial
        monkeypatch.setattr(M, "PARALLEL_MIN_ELEMENTS", threshold)
        cols = M.im2col(x, *args)
        results.append((cols, M.col2im(cols * 2.0, x.shape, *args)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_im2col_col2im_are_adjoint():
    # <im2col(x), c> = <x, col2im(c)> for every x, c: col2im is im2col's transpose
    rng = np.random.default_rng(2)
    args = ((3, 2), (2, 1), (1, 2), (1, 2))
    x = rng.standard_normal((2, 3, 7, 6))
    cols = im2col(x, *args)
    c = rng.standard_normal(cols.shape)
    np.testing.assert_allclose(np.sum(cols * c), np.sum(x * col2im(c, x.shape, *args)))


def test_im2col_layout():
    x = np.arange(2 * 4 * 4, dtype=np.float32).reshape(1, 2, 4, 4)
    cols = im2col(x, (2, 2), (2, 2), (0, 0), (1, 1))
    assert cols.shape == (1, 8, 4) and cols.dtype == np.float32
    # row (c=1, i=0, j=1), column (oh=1, ow=0) = x[0, 1, 2, 1]
    assert cols[0, (1 * 2 + 0) * 2 + 1, 1 * 2 + 0] == x[0, 1, 2, 1]


def test_float32_stays_float32():
    layer = Conv2d(3, 4, 3, padding=1)
    out = layer(minidl.randn(2, 3, 5, 5, requires_grad=True))
    out.sum().backward()
    assert out.dtype == np.float32 and layer.weight.grad.dtype == np.float32


def test_layer_gradcheck_and_init():
    minidl.manual_seed(0)
    layer = Conv2d(2, 3, (3, 2), stride=2, padding=1, bias=True).double()
    bound = 1 / np.sqrt(2 * 3 * 2)
    assert np.abs(layer.weight.detach().numpy()).max() <= bound
    assert np.abs(layer.bias.detach().numpy()).max() <= bound
    assert layer.weight.detach().numpy().std() > bound / 3  # actually drawn, not zeros
    x = leaf(np.random.default_rng(3), 1, 2, 5, 4)
    assert minidl.gradcheck(lambda x, w, b: layer(x), x, layer.weight, layer.bias)


def test_layer_repr_and_parameters():
    layer = Conv2d(1, 6, 5, padding=2, bias=False)
    assert repr(layer) == (
        "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2), bias=False)"
    )
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_errors_name_the_layer():
    with pytest.raises(ShapeError, match=r"Conv2d\(3→16, k=3\): expected input \(N, 3, H, W\), "
                                         r"got \(32, 28, 28\)"):
        Conv2d(3, 16, 3)(minidl.zeros(32, 28, 28))
    with pytest.raises(ShapeError, match="output would be empty"):
        conv2d(minidl.zeros(1, 1, 3, 3), minidl.zeros(1, 1, 5, 5))
    with pytest.raises(ShapeError, match="expected bias"):
        conv2d(minidl.zeros(1, 1, 3, 3), minidl.zeros(2, 1, 1, 1), minidl.zeros(3))
    with pytest.raises(DTypeError, match="share a dtype"):
        conv2d(minidl.zeros(1, 1, 3, 3), minidl.zeros(2, 1, 1, 1, dtype=minidl.float64))
    with pytest.raises(ValueError, match="stride"):
        conv2d(minidl.zeros(1, 1, 3, 3), minidl.zeros(2, 1, 1, 1), stride=0)
    with pytest.raises(ValueError, match="same"):
        conv2d(minidl.zeros(1, 1, 3, 3), minidl.zeros(2, 1, 1, 1), padding="same", stride=2)


NO_JIT_SCRIPT = """
import numpy as np, minidl
from minidl.functional.conv import conv2d
from minidl.functional.pooling import max_pool2d, avg_pool2d
from minidl.functional.normalization import batch_norm
rng = np.random.default_rng(0)
t = lambda *s: minidl.tensor(rng.standard_normal(s), dtype=minidl.float64, requires_grad=True)
x, w, b = t(2, 2, 5, 5), t(3, 2, 3, 3), t(3)
minidl.gradcheck(lambda x, w, b: conv2d(x, w, b, stride=2, padding=1, dilation=1), x, w, b)
minidl.gradcheck(lambda x: max_pool2d(x, 2, 1, 1), x)
minidl.gradcheck(lambda x: avg_pool2d(x, 3, 2, 1), x)
minidl.gradcheck(lambda x, w, b: batch_norm(x, None, None, w, b, True), x, t(2), t(2))
print("ok")
"""


def test_runs_without_jit():
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    done = subprocess.run([sys.executable, "-c", NO_JIT_SCRIPT], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.parametrize("stride, padding, dilation", [(1, 2, 1), (2, 1, 1), (3, 2, 1), (1, 1, 2)])
def test_row_bands_and_both_column_layouts_give_the_one_chunk_result(monkeypatch, stride,
                                                                      padding, dilation):
    from minidl.kernels.cpu import conv as K

    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((3, 4, 11, 9)), rng.standard_normal((5, 4, 5, 3))
    b = rng.standard_normal(5)
    geometry = ((stride,) * 2, (padding,) * 2, (dilation,) * 2)

    def run(chunk_bytes, min_pixels, batch_last_below):
        monkeypatch.setattr(K, "_CONV_CHUNK_BYTES", chunk_bytes)
        monkeypatch.setattr(K, "_MIN_CHUNK_PIXELS", min_pixels)
        monkeypatch.setattr(K, "_BATCH_LAST_BELOW", batch_last_below)
        y = K.conv2d_forward(x, w, b, *geometry)
        return (y, *K.conv2d_backward(y, x, w, *geometry, True))

    whole = run(2**30, 1, 0)  # the whole batch in one batch-major chunk
    banded = run(1, 1, 0)  # one output row per chunk: dL/dx adds up across bands
    assert len(K._chunks(3, 4 * 15, whole[0].shape[2:], 8, False)) > 3
    batch_last = run(2**30, 1, 100)  # image index innermost
    for got in (banded, batch_last):
        for a, e in zip(got, whole, strict=True):
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)
