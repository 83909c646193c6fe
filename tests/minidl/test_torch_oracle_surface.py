"""The PyTorch surface (tensor methods and module functions) agrees with PyTorch: values,
gradients and dtypes, in float64 (skipped without torch)."""

from __future__ import annotations

import numpy as np
import pytest

import minidl

torch = pytest.importorskip("torch")


def idx(lib, values):
    return lib.tensor(values, dtype=lib.int64)


# fn(lib, x) → a tensor or a tuple of tensors; x is (3, 4) float64 with requires_grad
CASES = {
    "t": lambda m, x: x.t(),
    "narrow": lambda m, x: x.narrow(1, 1, 2),
    "repeat": lambda m, x: x.repeat(2, 1, 3),
    "repeat_interleave_dim": lambda m, x: x.repeat_interleave(3, dim=1),
    "repeat_interleave_counts": lambda m, x: x.repeat_interleave(idx(m, [2, 0, 1]), dim=0),
    "repeat_interleave_flat": lambda m, x: m.repeat_interleave(x, 2),
    "gather": lambda m, x: x.gather(1, idx(m, [[3, 3, 0], [0, 1, 1], [2, 2, 2]])),
    "gather_small_index": lambda m, x: m.gather(x, 0, idx(m, [[2, 0], [1, 1]])),
    "scatter_value": lambda m, x: x.scatter(1, idx(m, [[0], [2], [3]]), value=0.5),
    "scatter_src": lambda m, x: m.ones(3, 6, dtype=m.float64).scatter(
        1, idx(m, [[0, 1], [2, 5], [4, 3]]), x[:, :2] * 2),
    "scatter_add": lambda m, x: m.zeros(3, 5, dtype=m.float64).scatter_add(
        1, idx(m, [[0, 0, 4, 1], [2, 2, 2, 2], [1, 3, 1, 3]]), x),
    "index_select": lambda m, x: x.index_select(1, idx(m, [3, 0, 0])),
    "masked_fill": lambda m, x: x.masked_fill(x > 0.5, -1.0),
    "masked_fill_row_mask": lambda m, x: m.masked_fill(
        x, m.tensor([True, False, False, True]), 2.0),
    "tril": lambda m, x: x.tril(),
    "triu": lambda m, x: m.triu(x, 1),
    "tril_neg": lambda m, x: x.tril(-1),
    "split": lambda m, x: x.split([1, 3], dim=1),
    "split_size": lambda m, x: m.split(x, 2),
    "chunk": lambda m, x: x.chunk(3, dim=1),
    "sort": lambda m, x: x.sort(dim=1),
    "sort_desc": lambda m, x: m.sort(x, dim=0, descending=True),
    "topk": lambda m, x: x.topk(2),
    "topk_smallest_dim0": lambda m, x: m.topk(x, 2, dim=0, largest=False),
    "cumsum": lambda m, x: x.cumsum(1),
    "cumsum0": lambda m, x: m.cumsum(x, dim=0),
    "norm": lambda m, x: x.norm(),
    "norm_dim": lambda m, x: x.norm(dim=1, keepdim=True),
    "norm_p1": lambda m, x: m.norm(x, p=1, dim=0),
    "norm_p3": lambda m, x: x.norm(p=3),
    "norm_inf": lambda m, x: x.norm(p=float("inf"), dim=1),
    "clone": lambda m, x: x.clone() * 2,
    "sinh_cosh": lambda m, x: x.sinh() + m.cosh(x),
    "softmax": lambda m, x: m.softmax(x, dim=1),
    "log_softmax": lambda m, x: m.log_softmax(x * 50, 0),
    "softmax_method": lambda m, x: x.softmax(-1),
    "max_dim": lambda m, x: m.max(x, 1),
    "min_dim_keepdim": lambda m, x: x.min(0, keepdim=True),
    "max_all": lambda m, x: m.max(x),
    "max_pair": lambda m, x: m.max(x, x.flip(0) if hasattr(x, "flip") else x[[2, 1, 0]]),
    "argmax": lambda m, x: (m.argmax(x, 1), x.argmin(0, keepdim=True), m.argmax(x)),
    "var_unbiased_false": lambda m, x: x.var(1, False),
    "var_keyword": lambda m, x: x.var(dim=0, unbiased=True, keepdim=True),
    "std": lambda m, x: x.std(),
    "std_correction0": lambda m, x: x.std(dim=1, correction=0),
    "einsum_matmul": lambda m, x: m.einsum("ij,kj->ik", x, x * 1.5),
    "einsum_outer": lambda m, x: m.einsum("ij,k->ik", x, x[0]),
    "einsum_implicit": lambda m, x: m.einsum("ij,jk", x, x.t()),
    "einsum_sum": lambda m, x: m.einsum("ij->j", x),
    "einsum_list": lambda m, x: m.einsum("i,i->", [x[0], x[1]]),
    "meshgrid_ij": lambda m, x: m.meshgrid(x[0], x[1, :2], indexing="ij"),
    "meshgrid_xy": lambda m, x: m.meshgrid(x[0], x[1, :2], x[2, :3], indexing="xy"),
    "nonzero": lambda m, x: (x > 0).nonzero(),
    "nonzero_tuple": lambda m, x: m.nonzero(x > 0, as_tuple=True),
    "floordiv_mod": lambda m, x: (x.detach() // 0.3, x.detach() % 0.7),
    "new_full": lambda m, x: x.new_full((2, 2), 3),
}


def run(fn, lib, x):
    t = lib.tensor(x, dtype=lib.float64, requires_grad=True)
    out = fn(lib, t)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    total = None
    for i, o in enumerate(outs):
        if o.requires_grad:
            w = lib.tensor(np.random.default_rng(i).normal(size=tuple(o.shape)), dtype=o.dtype)
            term = (o * w).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()
    grad = None if t.grad is None else t.grad.numpy()
    return [o.detach().numpy() for o in outs], [str(o.dtype).split(".")[-1] for o in outs], grad


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(name):
    x = np.random.default_rng(0).normal(size=(3, 4))  # no ties
    ours, theirs = run(CASES[name], minidl, x), run(CASES[name], torch, x)
    assert len(ours[0]) == len(theirs[0])
    for a, b in zip(ours[0], theirs[0]):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert ours[1] == theirs[1]
    if theirs[2] is None:
        assert ours[2] is None
    else:
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-10, atol=1e-12)


def test_max_min_with_dim_route_tied_gradients_like_pytorch():
    x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 5.0], [4.0, 4.0, -1.0, -1.0]])
    for fn in (lambda m, t: t.max(dim=1), lambda m, t: m.min(t, 1),
               lambda m, t: t.max(0, keepdim=True), lambda m, t: t.max()):
        ours, theirs = run(fn, minidl, x), run(fn, torch, x)
        for a, b in zip(ours[0], theirs[0]):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12)


@pytest.mark.parametrize(
    "expr",
    [
        "m.full((3,), 1)", "m.full((3,), 1.0)", "m.full((3,), True)", "m.arange(5)",
        "m.arange(0, 1, 0.25)", "m.arange(5.0)", "m.tensor([1, 2]) / m.tensor([2, 2])",
        "m.tensor([1, 2]) / 2", "m.tensor([1, 2]) * 0.5", "m.tensor([1, 2]) + 1",
        "m.tensor([1, 2]) + m.tensor([0.5, 1.5])", "m.tensor([1, 2]).exp()",
        "m.tensor([True, False]) + 1", "m.tensor([True, False]) + 1.5",
        "m.tensor([1, 2], dtype=m.int32) + 1", "m.tensor([1, 2], dtype=m.int32) + m.tensor([1])",
        "m.ones(2) + m.tensor(1.0, dtype=m.float64)", "m.ones(2) * m.ones(2, dtype=m.float64)",
        "m.zeros(2, dtype=m.float64) * 2.5", "m.tensor([7, -7]) // 2", "m.tensor([7, -7]) % 3",
        "m.tensor([3, 4]).sqrt()", "m.tensor([1, 2]).sigmoid()", "m.tensor([[1, 2]]).sum()",
        "m.tensor([True, True]).sum()", "m.tensor(3)", "m.tensor(3.0)", "m.tensor(True)",
        "m.where(m.tensor([True, False]), m.tensor([1, 2]), 0.5)",
        "m.maximum(m.tensor([1, 5]), m.tensor([2.0, 3.0]))",
    ],
)
def test_dtypes_match_pytorch(expr):
    ours, theirs = eval(expr, {"m": minidl}), eval(expr, {"m": torch})
    assert str(ours.dtype).replace("bool_", "bool") == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_bmm_matches_pytorch():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 5))
    grads = []
    for lib in (minidl, torch):
        ta = lib.tensor(a, requires_grad=True)
        tb = lib.tensor(b, requires_grad=True)
        out = lib.bmm(ta, tb)
        (out * out).sum().backward()
        grads.append((out.detach().numpy(), ta.grad.numpy(), tb.grad.numpy()))
    for x, y in zip(*grads):
        np.testing.assert_allclose(x, y, rtol=1e-10)
