"""Tensor ops agree with PyTorch: forward values and gradients (skipped without torch)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis.extra import numpy as hnp

import minidl

torch = pytest.importorskip("torch")

CASES = {
    "arith": lambda m, a, b: ((a * b - a / (b.abs() + 1)) ** 2).sum(),
    "exp_log_sqrt": lambda m, a, b: ((a.exp() + b.abs().sqrt()).log() * a).sum(),
    "matmul_tanh": lambda m, a, b: (a @ b.transpose(0, 1)).tanh().sum(),
    "reductions": lambda m, a, b: a.sum(1).mean() + a.amax(dim=0).sum() + b.var(dim=1).sum(),
    "indexing": lambda m, a, b: (a[1:, ::2] * b[[0, 2], :2]).sum() + (b[[0, 0, 2]] ** 2).sum(),
    "cat_stack": lambda m, a, b: (m.cat([a, b], dim=0).sigmoid() * 2).sum()
    + m.stack([a, b], dim=1).relu().sum(),
    "where_clip": lambda m, a, b: m.where(a > 0, a, b).clip(-0.5, 0.5).sum(),
    "permute_reshape": lambda m, a, b: (a.permute(1, 0).reshape(2, -1) ** 2).sum()
    + (b.T.unsqueeze(0) * b.flatten().reshape(4, 3)).sum(),
}


def run(fn, lib, a, b):
    ta = lib.tensor(a, requires_grad=True, dtype=lib.float64)
    tb = lib.tensor(b, requires_grad=True, dtype=lib.float64)
    out = fn(lib, ta, tb)
    out.backward()
    value = out.item()
    return value, ta.grad.numpy(), tb.grad.numpy()


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(name):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    ours = run(CASES[name], minidl, a, b)
    theirs = run(CASES[name], torch, a, b)
    for x, y in zip(ours, theirs):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)


@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=4, max_side=3))
def test_broadcast_mul_add_matches_pytorch(shapes):
    rng = np.random.default_rng(1)
    a = rng.normal(size=shapes.input_shapes[0])
    b = rng.normal(size=shapes.input_shapes[1])

    def fn(lib, x, y):
        return ((x * y + y) ** 2).sum()

    for x, y in zip(run(fn, minidl, a, b), run(fn, torch, a, b)):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "sa,sb", [((2, 3, 4), (4, 5)), ((4,), (2, 4, 3)), ((5, 1, 2, 3), (4, 3, 2))]
)
def test_batched_matmul_gradients_match_pytorch(sa, sb):
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=sa), rng.normal(size=sb)

    def fn(lib, x, y):
        return (x @ y).sin().sum()

    for x, y in zip(run(fn, minidl, a, b), run(fn, torch, a, b)):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)
