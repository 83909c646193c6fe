"""The PyTorch surface real programs use: each op's gradient (float64 central differences),
its dtype rules and its errors. (Values against PyTorch: test_torch_oracle_surface.py.)"""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl import DTypeError, ShapeError


def leaf(shape, seed=0, low=-2.0, high=2.0):
    rng = np.random.default_rng(seed)
    return minidl.tensor(rng.uniform(low, high, shape), dtype=minidl.float64, requires_grad=True)


IDX = minidl.tensor([[2, 0, 1, 1], [0, 0, 2, 2]])

DIFFERENTIABLE = {
    "t": lambda x: x.t(),
    "narrow": lambda x: x.narrow(1, 1, 2),
    "narrow_negative_start": lambda x: x.narrow(1, -2, 2),
    "repeat": lambda x: x.repeat(2, 1, 3),
    "repeat_interleave": lambda x: x.repeat_interleave(2, dim=1),
    "repeat_interleave_counts": lambda x: x.repeat_interleave(minidl.tensor([1, 0, 3]), dim=0),
    "repeat_interleave_flat": lambda x: x.repeat_interleave(2),
    "gather": lambda x: x.gather(1, minidl.tensor([[3, 3], [0, 1], [2, 2]])),
    "gather_dim0": lambda x: x.gather(0, IDX),
    "scatter": lambda x: x.scatter(1, minidl.tensor([[0], [2], [3]]), value=0.5),
    "scatter_add_src": lambda x: minidl.zeros(3, 5, dtype=minidl.float64).scatter_add(
        1, minidl.tensor([[0, 0, 4, 1], [2, 2, 2, 2], [1, 3, 1, 3]]), x),
    "scatter_src": lambda x: minidl.ones(3, 6, dtype=minidl.float64).scatter(
        1, minidl.tensor([[0, 1], [2, 5], [4, 3]]), x * 2),
    "index_select": lambda x: x.index_select(1, minidl.tensor([3, 0, 0])),
    "masked_fill": lambda x: x.masked_fill(x.detach() > 0, -1.0),
    "masked_fill_row_mask": lambda x: x.masked_fill(minidl.tensor([True, False, True, False]), 0),
    "tril": lambda x: x.tril(),
    "triu_offset": lambda x: x.triu(1),
    "tril_negative": lambda x: minidl.tril(x, -1),
    "split_sizes": lambda x: x.split([1, 3], dim=1),
    "split_size": lambda x: x.split(2, dim=0),
    "chunk": lambda x: x.chunk(2, dim=1),
    "sort": lambda x: x.sort(dim=1)[0],
    "sort_descending": lambda x: x.sort(dim=0, descending=True).values,
    "topk": lambda x: x.topk(2).values,
    "topk_smallest": lambda x: x.topk(2, dim=0, largest=False).values,
    "cumsum": lambda x: x.cumsum(1),
    "cumsum_dim0": lambda x: minidl.cumsum(x, dim=0),
    "norm": lambda x: x.norm(),
    "norm_dim": lambda x: x.norm(dim=1, keepdim=True),
    "norm_p1": lambda x: x.norm(p=1, dim=0),
    "norm_p3": lambda x: x.norm(p=3),
    "norm_inf": lambda x: x.norm(p=float("inf"), dim=1),
    "clone": lambda x: x.clone() * 2,
    "sinh": lambda x: x.sinh(),
    "cosh": lambda x: minidl.cosh(x),
    "softmax": lambda x: minidl.softmax(x, dim=1),
    "log_softmax_method": lambda x: x.log_softmax(0),
    "max_dim": lambda x: minidl.max(x, 1).values,
    "min_dim_keepdim": lambda x: x.min(0, keepdim=True)[0],
    "max_elementwise": lambda x: minidl.max(x, minidl.full((3, 4), 0.3, dtype=minidl.float64)),
    "var_unbiased_false": lambda x: x.var(1, False),
    "std_keyword": lambda x: x.std(dim=0, unbiased=True),
    "std_correction": lambda x: x.std(correction=0),
    "einsum_matmul": lambda x: minidl.einsum("ij,kj->ik", x, x * 1.5),
    "einsum_outer_reduce": lambda x: minidl.einsum("ij,k->ik", x, x[0]),
    "einsum_implicit": lambda x: minidl.einsum("ij,jk", x, x.t()),
    "einsum_trace_free_sum": lambda x: minidl.einsum("ij->", x),
    "meshgrid": lambda x: minidl.meshgrid(x[0], x[1, :2], indexing="ij"),
    "meshgrid_xy": lambda x: minidl.meshgrid(x[0], x[1, :2], indexing="xy"),
}


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_gradients_match_finite_differences(name):
    assert minidl.gradcheck(DIFFERENTIABLE[name], leaf((3, 4), seed=7))


def test_bmm_and_batched_einsum_gradients():
    a, b = leaf((2, 3, 4), seed=1), leaf((2, 4, 5), seed=2)
    assert minidl.gradcheck(minidl.bmm, a, b)
    assert minidl.gradcheck(lambda x, y: minidl.einsum("bij,bjk->bik", x, y), a, b)
    assert minidl.gradcheck(lambda x, y: minidl.einsum("...ij,...jk->...ik", x, y), a, b)
    assert minidl.gradcheck(lambda x, y: minidl.einsum("...ij,jk->...ik", x, y), a, leaf((4, 2)))


def test_max_with_dim_gives_the_gradient_to_the_returned_index_only():
    x = minidl.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    values.sum().backward()
    assert indices.tolist() == [1, 0]
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def test_sort_is_stable_and_topk_takes_the_first_of_equal_values():
    x = minidl.tensor([2.0, 1.0, 2.0, 0.0])
    assert x.sort().indices.tolist() == [3, 1, 0, 2]
    assert x.sort(descending=True).indices.tolist() == [0, 2, 1, 3]
    assert x.topk(2).indices.tolist() == [0, 2]


def test_split_chunk_and_nonzero_shapes():
    x = minidl.arange(10)
    assert [p.tolist() for p in x.split(4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [len(p) for p in x.chunk(3)] == [4, 4, 2]
    assert [len(p) for p in minidl.arange(6).chunk(4)] == [2, 2, 2]  # fewer chunks, as in torch
    m = minidl.tensor([[0, 1], [2, 0]])
    assert m.nonzero().tolist() == [[0, 1], [1, 0]]
    assert [t.tolist() for t in m.nonzero(as_tuple=True)] == [[0, 1], [1, 0]]
    assert m.nonzero().dtype == minidl.int64


def test_integer_scalars_work_as_python_indices():
    classes = ["cat", "dog", "bird"]
    t = minidl.tensor([0, 2]).max()
    assert classes[t] == "bird"
    assert list(range(minidl.tensor(3))) == [0, 1, 2]
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        classes[minidl.tensor(1.0)]
    with pytest.raises(TypeError, match="shape"):
        range(minidl.tensor([1, 2]))


@pytest.mark.parametrize(
    "make, dtype",
    [
        (lambda: minidl.full((3,), 1), minidl.int64),
        (lambda: minidl.full((3,), 1.0), minidl.float32),
        (lambda: minidl.full((3,), True), minidl.bool_),
        (lambda: minidl.arange(5), minidl.int64),
        (lambda: minidl.arange(0, 1, 0.5), minidl.float32),
        (lambda: minidl.tensor([1, 2]) / minidl.tensor([2, 2]), minidl.float32),
        (lambda: minidl.tensor([1, 2]) / 2, minidl.float32),
        (lambda: minidl.tensor([1, 2]) * 0.5, minidl.float32),
        (lambda: minidl.tensor([1, 2]) + minidl.tensor([0.5, 1.0]), minidl.float32),
        (lambda: minidl.tensor([1, 2]).exp(), minidl.float32),
        (lambda: minidl.tensor([1, 4]).sqrt(), minidl.float32),
        (lambda: minidl.tensor([True]) + 1, minidl.int64),
        (lambda: minidl.tensor([1, 2], dtype=minidl.int32) + 1, minidl.int32),
        (lambda: minidl.ones(2) + minidl.tensor(1.0, dtype=minidl.float64), minidl.float32),
        (lambda: minidl.ones(2) + minidl.ones(2, dtype=minidl.float64), minidl.float64),
        (lambda: minidl.zeros(2, dtype=minidl.float64) * 2.5, minidl.float64),
        (lambda: minidl.tensor([3, 4]) // 2, minidl.int64),
        (lambda: minidl.randint(0, 5, (2,)), minidl.int64),
        (lambda: minidl.normal(0.0, 1.0, size=(2,)), minidl.float32),
    ],
)
def test_dtype_rules_follow_pytorch(make, dtype):
    assert make().dtype == dtype


def test_dtype_aliases_are_pytorchs_names():
    assert minidl.float == minidl.float32 and minidl.double == minidl.float64
    assert minidl.long == minidl.int64 and minidl.int == minidl.int32
    assert minidl.bool == np.bool_ and minidl.half == minidl.float16
    assert minidl.ones(2).type(minidl.long).dtype == minidl.int64
    assert minidl.ones(2).type() == "minidl.FloatTensor"


@pytest.mark.parametrize(
    "factory",
    [
        lambda **k: minidl.zeros(2, 3, **k),
        lambda **k: minidl.ones((2, 3), **k),
        lambda **k: minidl.empty(2, 3, **k),
        lambda **k: minidl.full((2, 3), 0.5, **k),
        lambda **k: minidl.rand(2, 3, **k),
        lambda **k: minidl.randn(2, 3, **k),
        lambda **k: minidl.arange(0.0, 6.0, **k),
        lambda **k: minidl.tensor(np.ones((2, 3)), **k),
        lambda **k: minidl.zeros_like(minidl.ones(2, 3), **k),
        lambda **k: minidl.ones_like(minidl.ones(2, 3), **k),
        lambda **k: minidl.full_like(minidl.ones(2, 3), 2.0, **k),
        lambda **k: minidl.empty_like(minidl.ones(2, 3), **k),
        lambda **k: minidl.rand_like(minidl.ones(2, 3), **k),
        lambda **k: minidl.randn_like(minidl.ones(2, 3), **k),
        lambda **k: minidl.normal(0.0, 1.0, size=(2, 3), **k),
        lambda **k: minidl.linspace(0, 1, 6, **k),
        lambda **k: minidl.eye(2, 3, **k),
    ],
)
def test_factories_take_device_dtype_and_requires_grad(factory):
    t = factory(dtype=minidl.float64, device="cpu", requires_grad=True)
    assert t.numel() == 6 and t.dtype == minidl.float64 and t.requires_grad and t.is_leaf
    assert str(t.device) == "cpu" and not t.is_cuda
    if not minidl.cuda.is_available():
        with pytest.raises(minidl.DeviceError, match="no CUDA GPU"):
            factory(device="cuda")


def test_randint_forms_and_ranges():
    minidl.manual_seed(0)
    a = minidl.randint(3, (1000,))
    b = minidl.randint(5, 8, size=(1000,))
    assert a.min().item() == 0 and a.max().item() == 2
    assert b.min().item() == 5 and b.max().item() == 7
    assert minidl.randint(0, 10, (2, 3), dtype=minidl.int32).dtype == minidl.int32


def test_normal_with_tensor_mean_and_std_broadcasts():
    minidl.manual_seed(0)
    s = minidl.normal(minidl.tensor([0.0, 100.0]).reshape(2, 1).expand(2, 5000),
                      minidl.tensor(1.0))
    assert s.shape == (2, 5000)
    assert abs(s[0].mean().item()) < 0.1 and abs(s[1].mean().item() - 100) < 0.1


def test_multinomial_draws_in_proportion_and_without_repeats():
    minidl.manual_seed(0)
    probs = minidl.tensor([0.1, 0.0, 0.9])
    draws = probs.multinomial(4000, replacement=True)
    counts = np.bincount(draws.numpy(), minlength=3)
    assert counts[1] == 0 and 0.07 < counts[0] / 4000 < 0.13
    rows = minidl.multinomial(minidl.ones(5, 4), 4)
    assert rows.shape == (5, 4) and all(sorted(r) == [0, 1, 2, 3] for r in rows.tolist())
    with pytest.raises(ValueError, match="without replacement"):
        probs.multinomial(3)


def test_new_tensors_take_dtype_and_device_from_self():
    x = minidl.ones(2, dtype=minidl.float64)
    assert x.new_zeros(3, 1).dtype == minidl.float64 and x.new_zeros((3, 1)).shape == (3, 1)
    assert x.new_ones(2).tolist() == [1.0, 1.0]
    assert x.new_full((2,), 7).dtype == minidl.float64
    assert x.new_tensor([1, 2]).dtype == minidl.float64
    assert x.new_zeros(2, dtype=minidl.int64).dtype == minidl.int64


def test_to_accepts_pytorchs_forms():
    x = minidl.ones(2)
    assert x.to("cpu") is x
    assert x.to(device="cpu", dtype=minidl.float64).dtype == minidl.float64
    assert x.to(minidl.zeros(1, dtype=minidl.int64)).dtype == minidl.int64
    assert x.to("cpu", minidl.float16).dtype == minidl.float16
    if not minidl.cuda.is_available():
        with pytest.raises(minidl.DeviceError):
            x.cuda()


@pytest.mark.skipif(minidl.cuda.is_available(), reason="a CUDA device is available here")
def test_cuda_module_says_no_gpu():
    assert minidl.cuda.is_available() is False
    assert minidl.cuda.device_count() == 0
    minidl.cuda.manual_seed_all(0)  # accepted, as PyTorch programs call it unconditionally
    device = "cuda" if minidl.cuda.is_available() else "cpu"
    assert minidl.zeros(1, device=device).device == minidl.device("cpu")


def test_pytorch_import_paths():
    import minidl.nn.functional as F
    from minidl.utils.data import DataLoader, Dataset, Subset, TensorDataset, random_split

    assert F.relu is minidl.functional.relu and F.cross_entropy is minidl.functional.cross_entropy
    assert DataLoader is minidl.data.DataLoader and Dataset is minidl.data.Dataset
    assert (Subset, TensorDataset, random_split) == (
        minidl.data.Subset, minidl.data.TensorDataset, minidl.data.random_split)


# -- messages (issue 10) -----------------------------------------------------------------


def test_a_ragged_nested_list_says_where_it_stops_being_rectangular():
    with pytest.raises(ShapeError, match=r"rectangular; element \[1\] has 1 element but "
                                         r"element \[0\] has 2 elements"):
        minidl.tensor([[1, 2], [3]])
    with pytest.raises(ShapeError, match=r"element \[0, 1\] has 3 elements"):
        minidl.tensor([[[1, 2], [3, 4, 5]]])


def test_adding_a_string_names_the_op_and_the_type():
    with pytest.raises(DTypeError, match="add: expected Tensors or numbers, got str 'a'"):
        minidl.ones(2) + "a"
    with pytest.raises(DTypeError, match="mul: .* got str"):
        "a" * minidl.ones(2)


# -- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: minidl.ones(2, 3).gather(1, minidl.tensor([[0, 3]])), r"gather: index values"),
        (lambda: minidl.ones(2, 3).gather(1, minidl.tensor([0, 1])), r"as many dims"),
        (lambda: minidl.ones(2, 3).masked_fill(minidl.ones(3, 2) > 0, 0), r"does not broadcast"),
        (lambda: minidl.ones(2, 3).narrow(1, 2, 2), r"narrow: \[2, 4\) is outside"),
        (lambda: minidl.ones(4).split([1, 2]), r"do not add up to 4"),
        (lambda: minidl.bmm(minidl.ones(2, 3, 4), minidl.ones(3, 4, 5)), r"bmm: expected"),
        (lambda: minidl.einsum("ij,jk->ik", minidl.ones(2, 3)), r"names 2 operands"),
        (lambda: minidl.einsum("ijk,jk->ik", minidl.ones(2, 3), minidl.ones(3, 2)),
         r"has 3 letters"),
        (lambda: minidl.ones(3).topk(4), r"topk: k=4"),
        (lambda: minidl.ones(3).tril(), r"tril: expected at least 2 dims"),
        (lambda: minidl.ones(2, 2, 2).t(), r"t: expects a tensor with ≤ 2 dims"),
        (lambda: minidl.ones(2).repeat(2, 2)[:, :].repeat(3), r"repeat: give at least one"),
    ],
)
def test_bad_input_names_the_op(call, message):
    with pytest.raises(ShapeError, match=message):
        call()


def test_an_index_of_floats_is_a_dtype_error():
    with pytest.raises(DTypeError, match="gather: index must be an integer tensor"):
        minidl.ones(2, 3).gather(1, minidl.tensor([[0.0]]))
