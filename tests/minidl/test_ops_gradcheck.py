"""Every differentiable tensor op passes float64 central differences (relative error ≤ 1e-6)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from minidl import ShapeError


def leaf(shape, low=-2.0, high=2.0, seed=0, positive=False):
    rng = np.random.default_rng(seed)
    data = rng.uniform(0.5, 2.0, shape) if positive else rng.uniform(low, high, shape)
    return minidl.tensor(data, dtype=minidl.float64, requires_grad=True)


UNARY = {
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(),
    "abs": lambda x: x.abs(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "pow_scalar": lambda x: x**3,
    "pow_fraction": lambda x: x**1.5,
    "rpow": lambda x: 2.0**x,
    "rdiv": lambda x: 1.0 / x,
    "clip": lambda x: x.clip(0.7, 1.6),
    "clip_min_only": lambda x: minidl.clip(x, min=1.0),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops(name):
    assert minidl.gradcheck(UNARY[name], leaf((3, 4), positive=True, seed=1))


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "maximum": minidl.maximum,
    "minimum": minidl.minimum,
}

broadcastable = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=broadcastable)
def test_binary_ops_with_broadcasting(name, shapes):
    sa, sb = shapes.input_shapes
    assert minidl.gradcheck(BINARY[name], leaf(sa, positive=True), leaf(sb, positive=True, seed=2))


def test_binary_op_with_a_non_contiguous_input():
    a = leaf((4, 3))
    b = minidl.tensor(np.asfortranarray(np.random.default_rng(3).normal(size=(4, 3))),
                      dtype=minidl.float64, requires_grad=True)
    b.data = b.data[::1, ::-1]
    assert not b.detach().numpy().flags.c_contiguous
    assert minidl.gradcheck(lambda x, y: x * y + x, a, b)


@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("op", ["sum", "mean", "var", "amax", "amin", "std"])
def test_reductions(op, dim, keepdim):
    x = leaf((2, 3, 4), seed=4)
    assert minidl.gradcheck(lambda t: getattr(t, op)(dim=dim, keepdim=keepdim), x)


def test_max_with_dim_returns_values_and_indices_like_pytorch():
    x = minidl.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert x.min(dim=0).indices.tolist() == [0, 1, 0]
    assert x.max().item() == 7.0


def test_max_splits_the_gradient_between_ties():
    x = minidl.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]


def test_var_uses_bessels_correction_by_default():
    x = minidl.tensor([1.0, 2.0, 3.0, 4.0])
    assert x.var().item() == pytest.approx(np.var([1, 2, 3, 4], ddof=1))
    assert x.var(correction=0).item() == pytest.approx(np.var([1, 2, 3, 4]))


MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((4,), (4, 2)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_batched_and_broadcast(sa, sb):
    assert minidl.gradcheck(lambda a, b: a @ b, leaf(sa), leaf(sb, seed=5))


def test_matmul_shape_errors_name_both_shapes():
    with pytest.raises(ShapeError, match=r"matmul: inner sizes differ: \(2, 3\) @ \(4, 5\)"):
        minidl.zeros(2, 3) @ minidl.zeros(4, 5)


SHAPE_OPS = {
    "reshape": lambda x: x.reshape(4, 6),
    "view_infer": lambda x: x.view(-1, 3),
    "flatten": lambda x: x.flatten(1),
    "transpose": lambda x: x.transpose(0, 2),
    "permute": lambda x: x.permute(2, 0, 1),
    "T": lambda x: x.T,
    "unsqueeze": lambda x: x.unsqueeze(1),
    "squeeze": lambda x: x[:, :1].squeeze(1),
    "expand": lambda x: x[:1].expand(5, 3, 4),
    "getitem_int": lambda x: x[1],
    "getitem_slice": lambda x: x[:, 1:3, ::2],
    "getitem_negative_step": lambda x: x[::-1, :, 1],
    "getitem_index_array_repeats": lambda x: x[[0, 0, 1]],
    "getitem_tensor_index": lambda x: x[minidl.tensor([1, 0]), :, minidl.tensor([3, 3])],
    "getitem_bool_mask": lambda x: x[x.detach() > 0],
    "getitem_none_ellipsis": lambda x: x[None, ..., 2],
    "cat": lambda x: minidl.cat([x, x * 2, x[:, :1]], dim=1),
    "stack": lambda x: minidl.stack([x, x.exp()], dim=-1),
    "where": lambda x: minidl.where(x.detach() > 0, x, x * x),
    "where_scalar": lambda x: minidl.where(x.detach() > 0, x, 0.0),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_and_indexing_ops(name):
    assert minidl.gradcheck(SHAPE_OPS[name], leaf((2, 3, 4), seed=6))


def test_shape_errors_are_clear():
    x = minidl.zeros(2, 3)
    expected = r"reshape: cannot view \(2, 3\) \(6 elements\) as \(4, 2\)"
    with pytest.raises(ShapeError, match=expected):
        x.reshape(4, 2)
    with pytest.raises(ShapeError, match="cat: all shapes must match except in dim 0"):
        minidl.cat([x, minidl.zeros(2, 4)])
    with pytest.raises(ShapeError, match="dim 5 is out of range"):
        x.sum(dim=5)
    with pytest.raises(ShapeError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        x + minidl.zeros(4)
    with pytest.raises(ShapeError, match="getitem"):
        x[5]


@given(st.integers(1, 4), st.integers(1, 4))
def test_sum_over_broadcast_undoes_expansion(n, m):
    b = leaf((m,), seed=7)
    x = minidl.tensor(np.ones((n, m)), dtype=minidl.float64)
    (x + b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), np.full(m, n))
