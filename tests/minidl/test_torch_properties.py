"""Property tests: core ops agree with PyTorch (float64) on Hypothesis-drawn shapes and
options: broadcasting, batched matmul, reductions, max/min with ties, (log-)softmax at large
scales, cross_entropy's options, conv2d and pooling with random stride/padding/dilation.

Sizes stay small and the example count comes from the "minidl" Hypothesis profile
(tests/conftest.py), so the whole file runs in well under a minute on 2 cores.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
import minidl.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
TOL = dict(rtol=1e-9, atol=1e-11)


def both(array, grad=True):
    return (minidl.tensor(array, dtype=minidl.float64, requires_grad=grad),
            torch.tensor(array, dtype=torch.float64, requires_grad=grad))


def check(ours, theirs, inputs):
    """Same values; then the same gradients for a fixed random weighting of the output."""
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOL)
    w = np.random.default_rng(0).normal(size=tuple(theirs.shape))
    (ours * minidl.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    for a, b in inputs:
        if b.requires_grad:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **TOL)


def arrays(shape, draw, low=-3.0, high=3.0):
    return draw(hnp.arrays(np.float64, shape, elements=st.floats(low, high, width=64)))


@given(st.data(), hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                     max_side=3),
       st.sampled_from(["add", "sub", "mul", "div", "maximum", "pow"]))
def test_broadcasting_arithmetic(data, shapes, op):
    a = arrays(shapes.input_shapes[0], data.draw, 0.5, 2.0)
    b = arrays(shapes.input_shapes[1], data.draw, 0.5, 2.0)
    (ma, ta), (mb, tb) = both(a), both(b)
    fns = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
           "div": lambda x, y: x / y, "pow": lambda x, y: x**y,
           "maximum": lambda x, y: x.maximum(y)}
    check(fns[op](ma, mb), fns[op](ta, tb), [(ma, ta), (mb, tb)])


@given(st.data(), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4),
       hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), st.booleans())
def test_batched_matmul(data, n, k, m, batch, broadcast_b):
    a = arrays(batch + (n, k), data.draw)
    b = arrays(((1,) if broadcast_b and batch else batch) + (k, m), data.draw)
    (ma, ta), (mb, tb) = both(a), both(b)
    check(ma @ mb, ta @ tb, [(ma, ta), (mb, tb)])


@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
       st.sampled_from(["sum", "mean", "var", "std", "amax", "amin", "norm"]), st.booleans())
def test_reductions_with_dim_and_keepdim(data, shape, op, keepdim):
    dims = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1,
                              max_size=len(shape), unique_by=lambda d: d % len(shape)))
    dim = tuple(dims) if data.draw(st.booleans()) else None
    per_group = np.prod(shape) if dim is None else np.prod([shape[d] for d in dim])
    assume(op not in ("var", "std") or per_group >= 2)  # one element has no sample variance
    x = arrays(shape, data.draw)
    mx, tx = both(x)
    if op == "norm":
        ours, theirs = mx.norm(2, dim, keepdim), tx.norm(2, dim, keepdim)
    elif dim is None:
        ours, theirs = getattr(mx, op)(), getattr(tx, op)()
    else:
        ours = getattr(mx, op)(dim=dim, keepdim=keepdim)
        theirs = getattr(tx, op)(dim=dim, keepdim=keepdim)
    check(ours, theirs, [(mx, tx)])


@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
       st.sampled_from(["max", "min"]), st.booleans())
def test_max_min_with_ties_route_the_gradient_to_the_returned_index(data, shape, op, keepdim):
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 0.0, 2.0])))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    mx, tx = both(x)
    ours, theirs = getattr(mx, op)(dim, keepdim), getattr(tx, op)(dim, keepdim)
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    check(ours.values, theirs.values, [(mx, tx)])


@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
       st.sampled_from([1.0, 1e3, 1e5]), st.booleans())
def test_softmax_and_log_softmax_at_large_scales(data, shape, scale, log):
    x = arrays(shape, data.draw) * scale
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    mx, tx = both(x)
    fn_m, fn_t = (F.log_softmax, TF.log_softmax) if log else (F.softmax, TF.softmax)
    ours, theirs = fn_m(mx, dim=dim), fn_t(tx, dim=dim)
    assert np.all(np.isfinite(ours.detach().numpy()))
    check(ours, theirs, [(mx, tx)])


@given(st.data(), st.integers(1, 5), st.integers(2, 5), st.sampled_from([(), (3,), (2, 2)]),
       st.sampled_from(["mean", "sum", "none"]), st.sampled_from([0.0, 0.1, 0.5]),
       st.booleans())
def test_cross_entropy_options(data, n, c, extra, reduction, smoothing, ignore):
    logits = arrays((n, c) + extra, data.draw, -5.0, 5.0)
    target = data.draw(hnp.arrays(np.int64, (n,) + extra, elements=st.integers(0, c - 1)))
    if ignore:
        target.flat[0] = -100
        if reduction == "mean" and np.all(target == -100):
            target.flat[-1] = 0 if target.size > 1 else target.flat[-1]
    mx, tx = both(logits)
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    ours = F.cross_entropy(mx, minidl.tensor(target), **kw)
    theirs = TF.cross_entropy(tx, torch.tensor(target), **kw)
    if reduction == "mean" and np.all(target == -100):
        return  # PyTorch gives nan for "all ignored"; minidl's rule is checked elsewhere
    check(ours, theirs, [(mx, tx)])


@given(st.data(), st.integers(1, 2), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2),
       st.booleans())
def test_conv2d_stride_padding_dilation(data, n, c, o, kh, kw, stride, padding, bias):
    dilation = data.draw(st.integers(1, 2))
    h = data.draw(st.integers(dilation * (kh - 1) + 1, 7))
    w = data.draw(st.integers(dilation * (kw - 1) + 1, 7))
    (mx, tx), (mw, tw) = both(arrays((n, c, h, w), data.draw)), both(
        arrays((o, c, kh, kw), data.draw))
    mb, tb = both(arrays((o,), data.draw)) if bias else (None, None)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation)
    ours = F.conv2d(mx, mw, mb, **kwargs)
    theirs = TF.conv2d(tx, tw, tb, **kwargs)
    pairs = [(mx, tx), (mw, tw)] + ([(mb, tb)] if bias else [])
    check(ours, theirs, pairs)


@given(st.data(), st.integers(1, 3), st.integers(1, 3), st.sampled_from(["max", "avg"]))
def test_pooling_stride_padding(data, kh, kw, kind):
    stride = data.draw(st.integers(1, 3))
    padding = data.draw(st.integers(0, min(kh, kw) // 2))
    h, w = data.draw(st.integers(kh, 7)), data.draw(st.integers(kw, 7))
    x = arrays((2, 2, h, w), data.draw)  # continuous values: no ties in max windows
    mx, tx = both(x)
    fm, ft = (F.max_pool2d, TF.max_pool2d) if kind == "max" else (F.avg_pool2d, TF.avg_pool2d)
    check(fm(mx, (kh, kw), stride, padding), ft(tx, (kh, kw), stride, padding), [(mx, tx)])
