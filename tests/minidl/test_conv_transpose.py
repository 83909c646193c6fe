"""ConvTranspose2d and nearest Upsample: PyTorch oracle (float64, forward and every
gradient), central differences, the layers, and errors that name the layer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import nn
from minidl.errors import DTypeError, ShapeError
from minidl.functional import conv_transpose2d, interpolate

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def both(array):
    return (minidl.tensor(array, dtype=minidl.float64, requires_grad=True),
            torch.tensor(array, dtype=torch.float64, requires_grad=True))


def close(ours, theirs):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(),
                               rtol=1e-9, atol=1e-10)


@st.composite
def transpose_case(draw):
    """x (N, in, H, W), weight (in, out, kh, kw) and a legal geometry (output ≥ 1 pixel)."""
    n, c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    output_padding = tuple(draw(st.integers(0, max(stride[a], dilation[a]) - 1)) for a in (0, 1))
    size = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    padding = []
    for a in (0, 1):  # keep OH = (H − 1)s − 2p + d(k − 1) + op + 1 ≥ 1
        full = (size[a] - 1) * stride[a] + dilation[a] * (kernel[a] - 1) + output_padding[a]
        padding.append(draw(st.integers(0, min(2, full // 2))))
    return ((n, c_in, *size), (c_in, c_out, *kernel),
            dict(stride=stride, padding=tuple(padding), output_padding=output_padding,
                 dilation=dilation), draw(st.booleans()), draw(st.integers(0, 2**16)))


@settings(max_examples=40, deadline=None)
@given(transpose_case())
def test_conv_transpose2d_matches_torch(case):
    x_shape, w_shape, kw, use_bias, seed = case
    rng = np.random.default_rng(seed)
    (x, tx), (w, tw), (b, tb) = (both(rng.standard_normal(s))
                                 for s in (x_shape, w_shape, (w_shape[1],)))
    out = conv_transpose2d(x, w, b if use_bias else None, **kw)
    tout = TF.conv_transpose2d(tx, tw, tb if use_bias else None, **kw)
    assert out.shape == tuple(tout.shape)
    close(out, tout)
    g = rng.standard_normal(out.shape)
    out.backward(minidl.tensor(g))
    tout.backward(torch.tensor(g))
    close(x.grad, tx.grad)
    close(w.grad, tw.grad)
    if use_bias:
        close(b.grad, tb.grad)


@pytest.mark.parametrize("stride, padding, output_padding, dilation", [
    ((2, 2), (1, 1), (1, 1), (1, 1)),   # DCGAN's 7 → 14
    ((1, 2), (0, 1), (0, 1), (2, 1)),
    ((3, 2), (2, 0), (2, 1), (1, 2)),
    ((1, 1), (0, 0), (1, 1), (2, 2)),   # output_padding ≥ stride, allowed by the dilation
])
def test_conv_transpose2d_gradcheck(stride, padding, output_padding, dilation):
    rng = np.random.default_rng(sum(stride) + sum(dilation))
    x, _ = both(rng.standard_normal((1, 2, 3, 4)))
    w, _ = both(rng.standard_normal((2, 3, 3, 2)))
    b, _ = both(rng.standard_normal(3))
    assert minidl.gradcheck(lambda x, w, b: conv_transpose2d(
        x, w, b, stride, padding, output_padding, 1, dilation), x, w, b)


def test_conv_transpose2d_hand_computed():
    # each input pixel stamps x·W at (h·2, w·2); stride 2 with a 2×2 kernel tiles the output
    x = minidl.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    w = minidl.tensor([[[[1.0, 10.0], [100.0, 1000.0]]]])
    want = np.array([[1, 10, 2, 20], [100, 1000, 200, 2000],
                     [3, 30, 4, 40], [300, 3000, 400, 4000]], np.float32)
    np.testing.assert_array_equal(conv_transpose2d(x, w, stride=2).numpy()[0, 0], want)


def test_transposed_convolution_is_the_convolutions_input_gradient():
    rng = np.random.default_rng(4)
    w = rng.standard_normal((3, 2, 3, 3))         # Conv2d(2 → 3) weight = ConvTranspose2d(3 → 2)
    x = minidl.tensor(rng.standard_normal((2, 2, 7, 7)), requires_grad=True)
    y = minidl.functional.conv2d(x, minidl.tensor(w), stride=2, padding=1)
    g = rng.standard_normal(y.shape)
    y.backward(minidl.tensor(g))
    up = conv_transpose2d(minidl.tensor(g), minidl.tensor(w), stride=2, padding=1)
    np.testing.assert_allclose(up.numpy(), x.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_layer_matches_torch_float32_and_init_bounds():
    minidl.manual_seed(0)
    layer = nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1)
    assert layer.weight.shape == (4, 3, 4, 4) and layer.bias.shape == (3,)
    bound = 1 / np.sqrt(3 * 4 * 4)   # fan_in from dimension 1, as PyTorch
    weight = layer.weight.detach().numpy()
    assert np.abs(weight).max() <= bound and weight.std() > bound / 3
    assert np.abs(layer.bias.detach().numpy()).max() <= bound
    ref = torch.nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(layer.weight.detach().numpy()))
        ref.bias.copy_(torch.tensor(layer.bias.detach().numpy()))
    x = np.random.default_rng(5).standard_normal((1, 4, 7, 7)).astype(np.float32)
    out = layer(minidl.tensor(x))
    assert out.dtype == np.float32 and out.shape == (1, 3, 14, 14)
    np.testing.assert_allclose(out.detach().numpy(), ref(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_layer_repr():
    assert repr(nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1,
                                   bias=False)) == (
        "ConvTranspose2d(8, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
        "output_padding=(1, 1), bias=False)")
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"


def test_errors_name_the_layer_what_was_expected_and_what_came():
    with pytest.raises(ShapeError, match=r"ConvTranspose2d\(16→8, k=4\): expected input "
                                         r"\(N, 16, H, W\), got \(2, 8, 7, 7\)"):
        nn.ConvTranspose2d(16, 8, 4)(minidl.zeros(2, 8, 7, 7))
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(4→2, k=3\): output_padding must be "
                                         r"smaller than stride or dilation, got output_padding 2 "
                                         r"along H with stride 2 and dilation 1"):
        nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="output_padding 1 along W with stride 1"):
        conv_transpose2d(minidl.zeros(1, 1, 3, 3), minidl.zeros(1, 1, 3, 3),
                         output_padding=(0, 1))
    with pytest.raises(ShapeError, match="empty output"):
        conv_transpose2d(minidl.zeros(1, 1, 1, 1), minidl.zeros(1, 1, 1, 1), padding=1)
    with pytest.raises(ShapeError, match=r"expected bias \(2,\), got \(3,\)"):
        conv_transpose2d(minidl.zeros(1, 1, 3, 3), minidl.zeros(1, 2, 3, 3), minidl.zeros(3))
    with pytest.raises(DTypeError, match="share a dtype"):
        conv_transpose2d(minidl.zeros(1, 1, 3, 3), minidl.zeros(1, 2, 3, 3, dtype=minidl.float64))
    with pytest.raises(ValueError, match="groups=1"):
        nn.ConvTranspose2d(4, 4, 3, groups=2)
    with pytest.raises(ShapeError, match=r"interpolate\(mode='nearest'\): expected input "
                                         r"\(N, C, H, W\), got \(3, 4\)"):
        interpolate(minidl.zeros(3, 4), scale_factor=2)
    with pytest.raises(ValueError, match="only mode='nearest'"):
        nn.Upsample(scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        interpolate(minidl.zeros(1, 1, 2, 2))


@pytest.mark.parametrize("kwargs", [dict(scale_factor=2), dict(scale_factor=(2, 3)),
                                    dict(size=(7, 9)), dict(scale_factor=1.5),
                                    dict(size=(3, 2)), dict(size=5)])
def test_interpolate_nearest_matches_torch(kwargs):
    rng = np.random.default_rng(6)
    x, tx = both(rng.standard_normal((2, 3, 5, 4)))
    out = interpolate(x, **kwargs)
    tout = TF.interpolate(tx, **kwargs)
    close(out, tout)
    g = rng.standard_normal(out.shape)
    out.backward(minidl.tensor(g))
    tout.backward(torch.tensor(g))
    close(x.grad, tx.grad)
    assert minidl.gradcheck(lambda v: interpolate(v, **kwargs),
                            minidl.tensor(rng.standard_normal((1, 2, 3, 3)), requires_grad=True))


def test_upsample_layer_repeats_pixels_in_blocks():
    x = minidl.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    np.testing.assert_array_equal(nn.Upsample(scale_factor=2)(x).numpy()[0, 0],
                                  [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
