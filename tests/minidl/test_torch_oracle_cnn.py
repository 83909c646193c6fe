"""CNN ops and layers agree with PyTorch: forward, every gradient, running stats, eval mode."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl.functional.conv import conv2d
from minidl.functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from minidl.nn.batchnorm import BatchNorm1d, BatchNorm2d
from minidl.nn.conv import Conv2d

torch = pytest.importorskip("torch")
F = torch.nn.functional


def both(array, grad=True):
    """The same float64 data as a minidl and a torch tensor."""
    return (minidl.tensor(array, dtype=minidl.float64, requires_grad=grad),
            torch.tensor(array, dtype=torch.float64, requires_grad=grad))


def close(ours, theirs):
    ours, theirs = ours.detach().numpy(), theirs.detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)


@st.composite
def conv_case(draw):
    n, c, o = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 8))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 8))
    return (n, c, h, w), (o, c, kh, kw), dict(stride=(sh, sw), padding=(ph, pw),
                                               dilation=(dh, dw)), draw(st.booleans())


@settings(max_examples=25, deadline=None)
@given(conv_case())
def test_conv2d_matches_torch(case):
    x_shape, w_shape, kw, use_bias = case
    rng = np.random.default_rng(0)
    (x, tx), (w, tw), (b, tb) = (both(rng.standard_normal(s))
                                 for s in (x_shape, w_shape, (w_shape[0],)))
    out = conv2d(x, w, b if use_bias else None, **kw)
    tout = F.conv2d(tx, tw, tb if use_bias else None, **kw)
    close(out, tout)
    g = rng.standard_normal(out.shape)
    out.backward(minidl.tensor(g, dtype=minidl.float64))
    tout.backward(torch.tensor(g))
    close(x.grad, tx.grad)
    close(w.grad, tw.grad)
    if use_bias:
        close(b.grad, tb.grad)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("k", [2, 3, 4])
def test_same_padding_matches_torch(k):
    rng = np.random.default_rng(1)
    x, tx = both(rng.standard_normal((2, 2, 7, 6)))
    w, tw = both(rng.standard_normal((3, 2, k, k)))
    out = conv2d(x, w, padding="same", dilation=(1, 2))
    tout = F.conv2d(tx, tw, padding="same", dilation=(1, 2))
    close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    close(x.grad, tx.grad)
    close(w.grad, tw.grad)


@st.composite
def pool_case(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    h, w = draw(st.integers(kh, 9)), draw(st.integers(kw, 9))
    return (draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w), (kh, kw), stride, padding


@settings(max_examples=25, deadline=None)
@given(pool_case())
def test_window_pools_match_torch(case):
    shape, kernel, stride, padding = case
    data = np.random.default_rng(2).standard_normal(shape)
    for ours_fn, torch_fn in ((max_pool2d, F.max_pool2d), (avg_pool2d, F.avg_pool2d)):
        x, tx = both(data)
        out, tout = ours_fn(x, kernel, stride, padding), torch_fn(tx, kernel, stride, padding)
        close(out, tout)
        g = np.random.default_rng(3).standard_normal(out.shape)
        out.backward(minidl.tensor(g, dtype=minidl.float64))
        tout.backward(torch.tensor(g))
        close(x.grad, tx.grad)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 5), st.integers(1, 5))
def test_adaptive_avg_pool_matches_torch(h, w, oh, ow):
    x, tx = both(np.random.default_rng(4).standard_normal((2, 3, h, w)))
    out, tout = adaptive_avg_pool2d(x, (oh, ow)), F.adaptive_avg_pool2d(tx, (oh, ow))
    close(out, tout)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    close(x.grad, tx.grad)


def test_max_pool_ties_route_like_torch():
    x, tx = both(np.ones((1, 1, 4, 4)))
    max_pool2d(x, 3, 1, 1).sum().backward()
    F.max_pool2d(tx, 3, 1, 1).sum().backward()
    close(x.grad, tx.grad)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (3, 3, 4, 5), (1, 3, 2, 1)])
def test_batchnorm_layers_match_torch(shape):
    ours = (BatchNorm2d if len(shape) == 4 else BatchNorm1d)(3, momentum=0.3).double()
    theirs = (torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d)(
        3, momentum=0.3).double()
    rng = np.random.default_rng(5)
    with minidl.no_grad(), torch.no_grad():
        for p, tp in ((ours.weight, theirs.weight), (ours.bias, theirs.bias)):
            values = rng.standard_normal(3)
            p.copy_(values)
            tp.copy_(torch.tensor(values))
    for step in range(3):  # train steps update running stats; then eval
        if step == 2:
            ours.eval()
            theirs.eval()
        x, tx = both(rng.standard_normal(shape) * 2 + 1)
        out, tout = ours(x), theirs(tx)
        close(out, tout)
        g = rng.standard_normal(shape)
        out.backward(minidl.tensor(g, dtype=minidl.float64))
        tout.backward(torch.tensor(g))
        close(x.grad, tx.grad)
        close(ours.weight.grad, theirs.weight.grad)
        close(ours.bias.grad, theirs.bias.grad)
        ours.weight.grad = ours.bias.grad = theirs.weight.grad = theirs.bias.grad = None
        close(ours.running_mean, theirs.running_mean)
        close(ours.running_var, theirs.running_var)


def test_conv2d_layer_float32_matches_torch():
    minidl.manual_seed(0)
    layer = Conv2d(3, 8, 3, stride=2, padding=1)
    theirs = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(layer.weight.detach().numpy()))
        theirs.bias.copy_(torch.tensor(layer.bias.detach().numpy()))
    data = np.random.default_rng(6).standard_normal((4, 3, 11, 10)).astype(np.float32)
    x, tx = minidl.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, tout = layer(x), theirs(tx)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-4, atol=1e-5)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-4,
                               atol=1e-4)
