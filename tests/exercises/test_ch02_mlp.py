"""Autograder for chapter 2: MLPs, backpropagation, losses, optimizers, init, dropout.

Expected values come from hand computation, from minidl's reference kernels (called
directly, never through a slot), from float64 central differences of the reference forward
passes, and from properties checked independently (graph order, sampling statistics);
never from the implementation under test (``impl``: exercises/ by default, ``--impl
solutions``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from minidl.grading import (
    ExerciseMismatch,
    assert_close,
    assert_true,
    assert_unchanged,
    numeric_grad,
    reference,
)
from minidl.grading.layouts import LAYOUTS as ARRAY_LAYOUTS
from minidl.grading.layouts import describe
from minidl.kernels.slots import set_override, slots
from minidl.train import EarlyStopping

CHAPTER = "ch02_mlp"
POINTS = {"2.1": 1, "2.2": 2, "2.3": 2, "2.4": 2, "2.5": 3, "2.6": 2, "2.7": 2, "2.8": 2,
          "2.9": 2, "2.10": 1, "2.11": 2, "2.12": 2, "2.13": 1, "2.14": 1, "2.15": 2,
          "2.16": 2, "2.17": 3, "2.18": 2}
HINTS = {
    "2.1": "y = x @ weight.T (+ bias when it is not None)",
    "2.2": "sum the leading axes shape lacks, then (keepdims) the axes where shape has 1",
    "2.3": "each operand's gradient is G times the other operand, transposed in its last two axes,"
           " on the side that makes the shapes fit; then sum_to_shape undoes the broadcast batch "
           "axes",
    "2.4": "flatten the leading dims into rows first; each gradient is a product of G with x or W "
           "that has the shape of what it is the gradient of; the bias was added to every row "
           "(None without bias)",
    "2.5": "reverse of a depth-first post-order; visit each node once (by id); no recursion",
    "2.6": "subtract the max along dim first: (x − m) − log Σ exp(x − m)",
    "2.7": "(1 − ε)·(−log p[n, y_n]) + ε·mean_c(−log p[n, c]), log p = log_softmax(dim=1)",
    "2.8": "grad[:, None] · (softmax(logits) − q), q = (1 − ε)·one_hot + ε/C",
    "2.9": "decay, then b = g (copy) on the first step else μb + (1 − τ)g; d = g + μb or b",
    "2.10": "γ_t = lr/(1 + (t − 1)η); s += g²; θ −= γ_t g / (√s + ε)",
    "2.11": "v = αv + (1 − α)g²; a = √v + ε (centered: √(v − ḡ²) + ε); momentum b = μb + g/a",
    "2.12": "m, v moving averages; m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ); θ −= lr·m̂/(√v̂ + ε)",
    "2.13": "b = gain·√(6/(fan_in + fan_out)); one call rng.uniform(-b, b, shape)",
    "2.14": "std = calculate_gain(nonlinearity, a)/√fan; one call rng.normal(0, std, shape)",
    "2.15": "mask = (rng.random(x.shape) >= p) / (1 − p) in x's dtype; p = 0 and p = 1 apart",
    "2.16": "for each i: (f(x + ε e_i) − f(x − ε e_i)) / 2ε on a float64 copy of x, restoring "
            "x_i after both evaluations",
    "2.17": "order = rng.permutation(N) once; for each slice of batch_size indices: zero_grad, "
            "loss_fn(model(tensor(X[idx])), tensor(y[idx])), backward, step; "
            "return Σ loss·len(idx) / N",
    "2.18": "scan the losses keeping the best and its index (an improvement beats the best by "
            "more than min_delta); stop when (number of epochs − 1 − best index) ≥ patience",
}
# no shrinking: feedback must come fast, and assert_close already names the worst element
HYPOTHESIS = settings(max_examples=15, deadline=None,
                      phases=(Phase.explicit, Phase.reuse, Phase.generate))
OPT = settings(max_examples=10, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate))


def tolerances(dtype: np.dtype) -> dict[str, float]:
    return {"rtol": 2e-5, "atol": 2e-6} if dtype == np.float32 else {"rtol": 1e-9, "atol": 1e-11}


def random_array(rng: np.random.Generator, shape: tuple[int, ...], dtype=np.float64,
                 layout: str = "contiguous", scale: float = 1.0) -> np.ndarray:
    """A standard normal array of ``shape``; 'transposed'/'strided' give non-contiguous ones."""
    x = (scale * rng.standard_normal(shape)).astype(dtype)
    if layout == "transposed" and x.ndim >= 2:
        return np.swapaxes(np.ascontiguousarray(np.swapaxes(x, -1, -2)), -1, -2)
    if layout == "strided":
        return np.repeat(x, 2, axis=-1)[..., ::2]
    return x


LAYOUTS = st.sampled_from(ARRAY_LAYOUTS)
DTYPES = st.sampled_from([np.float32, np.float64])


def check_tuple(result, n: int, ex: str, case: str, names: str):
    assert_true(isinstance(result, tuple) and len(result) == n, exercise=ex, case=case,
                problem=f"expected a tuple ({names}), got {type(result).__name__}"
                        + (f" of length {len(result)}" if isinstance(result, tuple) else ""),
                hint=f"return {names}")
    return result


def quietly(ex: str, case: str, fn, *args):
    """Call the learner's ``fn`` with overflow/invalid/divide warnings turned into failures."""
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"), \
                warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            return fn(*args)
    except (FloatingPointError, RuntimeWarning) as err:
        raise ExerciseMismatch(ex, case, f"numerical problem: {err}",
                               HINTS[ex] + " (never exponentiate a large positive number)"
                               ) from None


# ---- 2.1 linear_forward -------------------------------------------------------------------

@pytest.mark.exercise("2.1")
def test_linear_forward_hand_computed(impl):
    x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]])
    w = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]])
    b = np.array([10.0, -1.0])
    # row 0: (1 − 3, 0.5·6) = (−2, 3); row 1: (−1, 0); plus b
    assert_close(impl.linear_forward(x, w, b), np.array([[8.0, 2.0], [9.0, -1.0]]),
                 exercise="2.1", case="x (2, 3), W (2, 3), b (2,) by hand", hint=HINTS["2.1"])
    assert_close(impl.linear_forward(x, w, None), np.array([[-2.0, 3.0], [-1.0, 0.0]]),
                 exercise="2.1", case="the same without bias (bias=None)", hint=HINTS["2.1"])


@pytest.mark.exercise("2.1")
@HYPOTHESIS
@given(lead=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=5),
       n_in=st.integers(1, 6), n_out=st.integers(1, 6), bias=st.booleans(), dtype=DTYPES,
       layout=LAYOUTS, seed=st.integers(0, 2**16))
def test_linear_forward_matches_minidl(impl, lead, n_in, n_out, bias, dtype, layout, seed):
    rng = np.random.default_rng(seed)
    x = random_array(rng, (*lead, n_in), dtype, layout)
    w = random_array(rng, (n_out, n_in), dtype, layout)
    b = random_array(rng, (n_out,), dtype) if bias else None
    before = x.copy(), w.copy()
    case = f"{describe('x', x)}, W ({n_out}, {n_in}), bias {'yes' if bias else 'None'}"
    got = impl.linear_forward(x, w, b)
    assert_close(got, reference("linear_forward")(x, w, b), exercise="2.1", case=case,
                 hint=HINTS["2.1"], **tolerances(np.dtype(dtype)))
    assert_unchanged(before[0], x, exercise="2.1", case=case, name="x")
    assert_unchanged(before[1], w, exercise="2.1", case=case, name="weight")


# ---- 2.2 sum_to_shape ---------------------------------------------------------------------

@pytest.mark.exercise("2.2")
@pytest.mark.parametrize("grad_shape, shape", [
    ((4, 3), (3,)), ((4, 3), (1, 3)), ((4, 3), (4, 1)), ((2, 4, 3), (4, 1)),
    ((2, 4, 3), ()), ((5,), (1,)), ((3, 2), (3, 2)), ((1, 1, 5), (1, 5)),
])
def test_sum_to_shape_by_hand(impl, grad_shape, shape):
    grad = np.arange(1.0, 1.0 + math.prod(grad_shape)).reshape(grad_shape)
    # expected: sum every element of grad that maps to each position of the small array
    want = np.zeros(shape)
    padded = (1,) * (len(grad_shape) - len(shape)) + tuple(shape)
    for index in np.ndindex(*grad_shape):
        target = tuple(0 if s == 1 else i for i, s in zip(index, padded, strict=True))
        want[target[len(grad_shape) - len(shape):]] += grad[index]
    before = grad.copy()
    case = f"grad of shape {grad_shape} → shape {shape}"
    assert_close(impl.sum_to_shape(grad, shape), want, exercise="2.2", case=case,
                 hint=HINTS["2.2"])
    assert_unchanged(before, grad, exercise="2.2", case=case, name="grad")


@st.composite
def broadcast_pair(draw):
    """(grad shape, input shape) where the input broadcasts to grad's shape."""
    big = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    k = draw(st.integers(0, len(big)))
    small = tuple(1 if draw(st.booleans()) else s for s in big[len(big) - k:])
    return big, small


@pytest.mark.exercise("2.2")
@HYPOTHESIS
@given(shapes=broadcast_pair(), dtype=DTYPES, layout=LAYOUTS, seed=st.integers(0, 2**16))
def test_sum_to_shape_matches_minidl(impl, shapes, dtype, layout, seed):
    big, small = shapes
    grad = random_array(np.random.default_rng(seed), big, dtype, layout)
    case = f"{describe('grad', grad)} → shape {small}"
    got = impl.sum_to_shape(grad, small)
    assert_close(got, reference("sum_to_shape")(grad, small), exercise="2.2", case=case,
                 hint=HINTS["2.2"], **tolerances(np.dtype(dtype)))


# ---- 2.3 matmul_backward ------------------------------------------------------------------

def matmul_numeric(a: np.ndarray, b: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, ...]:
    return (numeric_grad(lambda t: np.matmul(t, b), a, g),
            numeric_grad(lambda t: np.matmul(a, t), b, g))


@pytest.mark.exercise("2.3")
@pytest.mark.parametrize("a_shape, b_shape", [
    ((1, 1), (1, 1)), ((3, 4), (4, 2)), ((1, 5), (5, 3)), ((2, 3, 4), (4, 2)),
    ((3, 2), (2, 2, 5)), ((2, 1, 3, 2), (4, 2, 3)),
])
def test_matmul_backward_central_differences(impl, a_shape, b_shape):
    rng = np.random.default_rng(len(a_shape) * 10 + len(b_shape))
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    g = rng.standard_normal(np.matmul(a, b).shape)
    before = a.copy(), b.copy()
    case = f"float64 A {a_shape} @ B {b_shape} vs central differences"
    ga, gb = check_tuple(impl.matmul_backward(g, a, b), 2, "2.3", case, "grad_a, grad_b")
    want_a, want_b = matmul_numeric(a, b, g)
    assert_close(ga, want_a, exercise="2.3", case=case + " (dL/dA)", hint=HINTS["2.3"],
                 rtol=1e-6, atol=1e-7)
    assert_close(gb, want_b, exercise="2.3", case=case + " (dL/dB)", hint=HINTS["2.3"],
                 rtol=1e-6, atol=1e-7)
    assert_unchanged(before[0], a, exercise="2.3", case=case, name="a")
    assert_unchanged(before[1], b, exercise="2.3", case=case, name="b")


@pytest.mark.exercise("2.3")
@HYPOTHESIS
@given(n=st.integers(1, 5), k=st.integers(1, 5), m=st.integers(1, 5),
       batch=st.sampled_from([(), (1,), (3,), (2, 1)]), b_batched=st.booleans(),
       dtype=DTYPES, layout=LAYOUTS, seed=st.integers(0, 2**16))
def test_matmul_backward_matches_minidl(impl, n, k, m, batch, b_batched, dtype, layout, seed):
    rng = np.random.default_rng(seed)
    a = random_array(rng, (*batch, n, k), dtype, layout)
    b = random_array(rng, ((*batch, k, m) if b_batched else (k, m)), dtype, layout)
    g = random_array(rng, np.matmul(a, b).shape, dtype)
    case = f"{describe('A', a)} @ {describe('B', b)}"
    ga, gb = check_tuple(impl.matmul_backward(g, a, b), 2, "2.3", case, "grad_a, grad_b")
    want_a, want_b = reference("matmul_backward")(g, a, b)
    assert_close(ga, want_a, exercise="2.3", case=case + " (dL/dA)", hint=HINTS["2.3"],
                 **tolerances(np.dtype(dtype)))
    assert_close(gb, want_b, exercise="2.3", case=case + " (dL/dB)", hint=HINTS["2.3"],
                 **tolerances(np.dtype(dtype)))


# ---- 2.4 linear_backward ------------------------------------------------------------------

@pytest.mark.exercise("2.4")
@pytest.mark.parametrize("lead", [(1,), (4,), (2, 3)])
@pytest.mark.parametrize("has_bias", [True, False])
def test_linear_backward_central_differences(impl, lead, has_bias):
    rng = np.random.default_rng(len(lead))
    x, w, b = rng.standard_normal((*lead, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    g = rng.standard_normal((*lead, 2))
    fwd = reference("linear_forward")
    case = f"float64 x {x.shape}, W (2, 3), bias {has_bias}, vs central differences"
    result = check_tuple(impl.linear_backward(g, x, w, has_bias), 3, "2.4", case,
                         "grad_x, grad_weight, grad_bias")
    bias = b if has_bias else None
    want = [numeric_grad(lambda t: fwd(t, w, bias), x, g),
            numeric_grad(lambda t: fwd(x, t, bias), w, g)]
    for got, exp, name in zip(result[:2], want, ["dL/dx", "dL/dW"], strict=True):
        assert_close(got, exp, exercise="2.4", case=f"{case} ({name})", hint=HINTS["2.4"],
                     rtol=1e-6, atol=1e-7)
    if has_bias:
        assert_close(result[2], numeric_grad(lambda t: fwd(x, w, t), b, g), exercise="2.4",
                     case=case + " (dL/db)", hint=HINTS["2.4"], rtol=1e-6, atol=1e-7)
    else:
        assert_true(result[2] is None, exercise="2.4", case=case, hint=HINTS["2.4"],
                    problem=f"without a bias grad_bias must be None, got {type(result[2])}")


@pytest.mark.exercise("2.4")
@HYPOTHESIS
@given(lead=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
       n_in=st.integers(1, 5), n_out=st.integers(1, 5), has_bias=st.booleans(),
       dtype=DTYPES, layout=LAYOUTS, seed=st.integers(0, 2**16))
def test_linear_backward_matches_minidl(impl, lead, n_in, n_out, has_bias, dtype, layout, seed):
    rng = np.random.default_rng(seed)
    x = random_array(rng, (*lead, n_in), dtype, layout)
    w = random_array(rng, (n_out, n_in), dtype, layout)
    g = random_array(rng, (*lead, n_out), dtype, layout)
    before = x.copy(), g.copy()
    case = f"{describe('x', x)}, W ({n_out}, {n_in}), {describe('grad', g)}, bias {has_bias}"
    result = check_tuple(impl.linear_backward(g, x, w, has_bias), 3, "2.4", case,
                         "grad_x, grad_weight, grad_bias")
    want = reference("linear_backward")(g, x, w, has_bias)
    for got, exp, name in zip(result[:2], want[:2], ["dL/dx", "dL/dW"], strict=True):
        assert_close(got, exp, exercise="2.4", case=f"{case} ({name})", hint=HINTS["2.4"],
                     **tolerances(np.dtype(dtype)))
    if has_bias:
        assert_close(result[2], want[2], exercise="2.4", case=case + " (dL/db)",
                     hint=HINTS["2.4"], **tolerances(np.dtype(dtype)))
    assert_unchanged(before[0], x, exercise="2.4", case=case, name="x")
    assert_unchanged(before[1], g, exercise="2.4", case=case, name="grad")


# ---- 2.5 topological_order ----------------------------------------------------------------

class FakeNode:
    """A stand-in graph node: only ``next_functions`` matters to the exercise."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.next_functions: tuple = ()

    def __repr__(self) -> str:
        return self.name


def reachable(root) -> dict[int, object]:
    """Every node reachable from root, by breadth-first search (independent of the exercise)."""
    seen, queue = {id(root): root}, [root]
    while queue:
        node = queue.pop()
        for child, _ in node.next_functions:
            if child is not None and id(child) not in seen:
                seen[id(child)] = child
                queue.append(child)
    return seen


def check_order(impl, root, case: str) -> list:
    order = impl.topological_order(root)
    assert_true(isinstance(order, list), exercise="2.5", case=case, hint=HINTS["2.5"],
                problem=f"expected a list of nodes, got {type(order).__name__}")
    ids = [id(n) for n in order]
    want = reachable(root)
    assert_true(len(ids) == len(set(ids)), exercise="2.5", case=case, hint=HINTS["2.5"],
                problem="a node appears more than once (compare nodes by id, keep a visited set)")
    assert_true(set(ids) == set(want), exercise="2.5", case=case, hint=HINTS["2.5"],
                problem=f"expected the {len(want)} reachable nodes, got {len(ids)} "
                        f"({len(set(want) - set(ids))} missing, {len(set(ids) - set(want))} "
                        "not reachable or None)")
    assert_true(order[0] is root, exercise="2.5", case=case, hint=HINTS["2.5"],
                problem=f"the root must come first, got {order[0]!r}")
    position = {i: k for k, i in enumerate(ids)}
    for node in order:
        for child, _ in node.next_functions:
            if child is not None and position[id(child)] < position[id(node)]:
                raise ExerciseMismatch("2.5", case,
                                       f"{child!r} comes before {node!r}, which uses it",
                                       HINTS["2.5"])
    return order


@pytest.mark.exercise("2.5")
def test_topological_order_diamond(impl):
    # loss ← add ← (mul1, mul2) ← shared leaf: the leaf must come after both muls
    leaf, m1, m2, add = FakeNode("leaf"), FakeNode("mul1"), FakeNode("mul2"), FakeNode("add")
    m1.next_functions = ((leaf, 0), (None, 0))
    m2.next_functions = ((leaf, 0),)
    add.next_functions = ((m1, 0), (m2, 0))
    check_order(impl, add, "a diamond: add(mul1(leaf, None), mul2(leaf))")


@pytest.mark.exercise("2.5")
def test_topological_order_single_node(impl):
    root = FakeNode("only")
    check_order(impl, root, "a graph of one node without inputs")


@pytest.mark.exercise("2.5")
def test_topological_order_long_chain(impl):
    nodes = [FakeNode(f"n{i}") for i in range(5000)]
    for parent, child in zip(nodes, nodes[1:], strict=False):
        parent.next_functions = ((child, 0), (None, 0))
    try:
        order = impl.topological_order(nodes[0])
    except RecursionError:
        raise ExerciseMismatch("2.5", "a chain of 5000 nodes (an unrolled RNN)",
                               "RecursionError: recursion is too deep", HINTS["2.5"]) from None
    assert_true([n.name for n in order] == [n.name for n in nodes], exercise="2.5",
                case="a chain of 5000 nodes", hint=HINTS["2.5"],
                problem="a chain must come out in its own order, n0, n1, …, n4999")


@pytest.mark.exercise("2.5")
@HYPOTHESIS
@given(n=st.integers(1, 12), data=st.data())
def test_topological_order_random_dags(impl, n, data):
    nodes = [FakeNode(f"n{i}") for i in range(n)]
    for i, node in enumerate(nodes):  # edges only to higher indices: acyclic
        later = st.one_of(st.none(), st.integers(i + 1, n - 1)) if i < n - 1 else st.none()
        targets = data.draw(st.lists(later, max_size=3))
        node.next_functions = tuple((None if t is None else nodes[t], 0) for t in targets)
    edges = {nd.name: [c.name if c else None for c, _ in nd.next_functions] for nd in nodes}
    check_order(impl, nodes[0], f"random DAG, edges {edges}")


@pytest.mark.exercise("2.5")
def test_topological_order_runs_backward(impl):
    """Your order inside minidl's backward(): d/dx of x·x + 3x at x = 2 is 2x + 3 = 7."""
    x = minidl.tensor(np.array([2.0]), requires_grad=True)
    y = x * x + x * 3.0
    check_order(impl, y.grad_fn, "the graph of x·x + 3x")
    entry = slots()["topological_order"]
    previous = entry.override
    set_override("topological_order", impl.topological_order)
    try:
        y.sum().backward()
    finally:
        set_override("topological_order", previous)
    assert_close(x.grad.numpy(), np.array([7.0]), exercise="2.5", hint=HINTS["2.5"],
                 case="(x·x + 3x).backward() at x = 2 with your order")


# ---- 2.6 log_softmax_forward --------------------------------------------------------------

@pytest.mark.exercise("2.6")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_stable_at_extremes(impl, dtype):
    x = np.array([[1000.0, 1000.0], [-1000.0, -1000.0], [1000.0, -1000.0], [0.0, math.log(3)]],
                 dtype=dtype)
    want = np.array([[-math.log(2)] * 2, [-math.log(2)] * 2, [0.0, -2000.0],
                     [math.log(0.25), math.log(0.75)]], dtype=dtype)
    case = f"x = {x.tolist()} ({np.dtype(dtype)}), dim = 1"
    got = quietly("2.6", case, impl.log_softmax_forward, x, 1)
    assert_close(got, want, exercise="2.6", case=case, hint=HINTS["2.6"],
                 **tolerances(np.dtype(dtype)))


@pytest.mark.exercise("2.6")
@HYPOTHESIS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), data=st.data(),
       dtype=DTYPES, layout=LAYOUTS, seed=st.integers(0, 2**16))
def test_log_softmax_matches_minidl(impl, shape, data, dtype, layout, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = random_array(np.random.default_rng(seed), shape, dtype, layout, scale=30.0)
    before = x.copy()
    case = f"{describe('x', x)}, dim = {dim}"
    got = quietly("2.6", case, impl.log_softmax_forward, x, dim)
    assert_close(got, reference("log_softmax_forward")(x, dim), exercise="2.6", case=case,
                 hint=HINTS["2.6"], **tolerances(np.dtype(dtype)))
    assert_unchanged(before, x, exercise="2.6", case=case, name="x")


# ---- 2.7 / 2.8 cross-entropy --------------------------------------------------------------

@pytest.mark.exercise("2.7")
def test_cross_entropy_hand_computed(impl):
    logits = np.array([[0.0, 0.0, 0.0, 0.0], [math.log(3), 0.0, -1000.0, 1000.0]])
    target = np.array([2, 0])
    # row 0: uniform over 4 → log 4; row 1: the true class has logit log 3 ≪ 1000 → ≈ 1000 − log 3
    case = "logits [[0, 0, 0, 0], [log 3, 0, -1000, 1000]], target [2, 0], ε = 0"
    got = quietly("2.7", case, impl.cross_entropy_forward, logits, target, 0.0)
    assert_close(got, np.array([math.log(4), 1000 - math.log(3)]), exercise="2.7", case=case,
                 hint=HINTS["2.7"], rtol=1e-12)
    # with ε = 0.5 on row 0 every class has −log p = log 4: the loss stays log 4
    got = quietly("2.7", case, impl.cross_entropy_forward, logits[:1], target[:1], 0.5)
    assert_close(got, np.array([math.log(4)]), exercise="2.7", hint=HINTS["2.7"],
                 case="uniform logits (1, 4), label_smoothing 0.5", rtol=1e-12)


@st.composite
def classification(draw):
    n, c = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    dtype, layout = draw(DTYPES), draw(LAYOUTS)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    logits = random_array(rng, (n, c), dtype, layout, scale=draw(st.sampled_from([1.0, 50.0])))
    target = rng.integers(0, c, size=n).astype(np.int64)
    eps = draw(st.sampled_from([0.0, 0.1, 0.5]))
    return logits, target, eps


@pytest.mark.exercise("2.7")
@HYPOTHESIS
@given(problem=classification())
def test_cross_entropy_forward_matches_minidl(impl, problem):
    logits, target, eps = problem
    before = logits.copy()
    case = f"{describe('logits', logits)}, target {target.tolist()}, label_smoothing {eps}"
    got = quietly("2.7", case, impl.cross_entropy_forward, logits, target, eps)
    assert_close(got, reference("cross_entropy_forward")(logits, target, eps), exercise="2.7",
                 case=case, hint=HINTS["2.7"], **tolerances(logits.dtype))
    assert_unchanged(before, logits, exercise="2.7", case=case, name="logits")


@pytest.mark.exercise("2.8")
@pytest.mark.parametrize("n, c, eps", [(1, 1, 0.0), (1, 3, 0.0), (4, 3, 0.0), (3, 5, 0.2)])
def test_cross_entropy_backward_central_differences(impl, n, c, eps):
    rng = np.random.default_rng(n * c)
    logits, grad = rng.standard_normal((n, c)) * 3, rng.standard_normal(n)
    target = rng.integers(0, c, size=n)
    forward = reference("cross_entropy_forward")
    case = f"float64 logits ({n}, {c}), label_smoothing {eps}, vs central differences"
    got = impl.cross_entropy_backward(grad, logits, target, eps)
    assert_close(got, numeric_grad(lambda t: forward(t, target, eps), logits, grad),
                 exercise="2.8", case=case, hint=HINTS["2.8"], rtol=1e-6, atol=1e-7)


@pytest.mark.exercise("2.8")
@HYPOTHESIS
@given(problem=classification(), seed=st.integers(0, 2**16))
def test_cross_entropy_backward_matches_minidl(impl, problem, seed):
    logits, target, eps = problem
    grad = np.random.default_rng(seed).standard_normal(len(target)).astype(logits.dtype)
    before = logits.copy()
    case = f"{describe('logits', logits)}, target {target.tolist()}, label_smoothing {eps}"
    got = quietly("2.8", case, impl.cross_entropy_backward, grad, logits, target, eps)
    assert_close(got, reference("cross_entropy_backward")(grad, logits, target, eps),
                 exercise="2.8", case=case, hint=HINTS["2.8"], **tolerances(logits.dtype))
    assert_unchanged(before, logits, exercise="2.8", case=case, name="logits")


# ---- 2.9–2.12 optimizer updates -----------------------------------------------------------

def optimizer_arrays(seed: int, shape: tuple[int, ...], dtype, n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [random_array(rng, shape, dtype) for _ in range(n)]


def compare_states(ex: str, got: tuple, want: tuple, names: list[str], case: str, dtype) -> None:
    for g, w, name in zip(got, want, names, strict=True):
        if w is None:
            assert_true(g is None, exercise=ex, case=f"{case} ({name})", hint=HINTS[ex],
                        problem=f"{name} must be None here, got {type(g).__name__}")
        else:
            assert_close(g, w, exercise=ex, case=f"{case} ({name})", hint=HINTS[ex],
                         **tolerances(np.dtype(dtype)))


@pytest.mark.exercise("2.9")
def test_sgd_by_hand(impl):
    p, g = np.array([1.0, -2.0]), np.array([0.5, 1.0])
    # plain: θ − 0.1 g
    new_p, buf = check_tuple(impl.sgd_update(p, g, None, 0.1, 0.0, 0.0, 0.0, False), 2, "2.9",
                             "plain SGD", "new_param, new_momentum_buffer")
    compare_states("2.9", (new_p, buf), (np.array([0.95, -2.1]), None),
                   ["param", "buffer"], "plain SGD, lr 0.1", np.float64)
    # first momentum step: buffer None → b = g (with decay: g + 0.5θ = [1, 0])
    new_p, buf = impl.sgd_update(p, g, None, 0.1, 0.9, 0.0, 0.5, False)
    compare_states("2.9", (new_p, buf), (np.array([0.9, -2.0]), np.array([1.0, 0.0])),
                   ["param", "buffer"], "first step, momentum 0.9, weight_decay 0.5", np.float64)
    # a later Nesterov step: b = 0.9·[1, 1] + 0.5·g·(1 − 0.5) ; d = g + 0.9 b
    b = 0.9 * np.ones(2) + 0.5 * g
    new_p, buf = impl.sgd_update(p, g, np.ones(2), 0.1, 0.9, 0.5, 0.0, True)
    compare_states("2.9", (new_p, buf), (p - 0.1 * (g + 0.9 * b), b), ["param", "buffer"],
                   "nesterov, buffer [1, 1], dampening 0.5", np.float64)


@pytest.mark.exercise("2.9")
def test_sgd_first_buffer_is_a_copy(impl):
    p, g = np.ones(3), np.array([1.0, 2.0, 3.0])
    _, buf = impl.sgd_update(p, g, None, 0.1, 0.9, 0.0, 0.0, False)
    assert_true(buf is not None and not np.shares_memory(buf, g), exercise="2.9",
                case="first momentum step", hint=HINTS["2.9"],
                problem="the new momentum buffer shares memory with grad: "
                        "minidl reuses grad's array, which would change your buffer")


@pytest.mark.exercise("2.9")
@OPT
@given(shape=hnp.array_shapes(max_dims=2, max_side=4), dtype=DTYPES,
       momentum=st.sampled_from([0.0, 0.9]), dampening=st.sampled_from([0.0, 0.3]),
       weight_decay=st.sampled_from([0.0, 0.01]), nesterov=st.booleans(),
       first=st.booleans(), seed=st.integers(0, 2**16))
def test_sgd_matches_minidl(impl, shape, dtype, momentum, dampening, weight_decay, nesterov,
                            first, seed):
    p, g, b = optimizer_arrays(seed, shape, dtype, 3)
    buf = None if first or momentum == 0 else b
    before = [a.copy() for a in (p, g, b)]
    args = (p, g, buf, 0.05, momentum, dampening, weight_decay, nesterov)
    case = (f"param {shape} {np.dtype(dtype)}, buffer {'None' if buf is None else 'given'}, "
            f"momentum {momentum}, dampening {dampening}, weight_decay {weight_decay}, "
            f"nesterov {nesterov}")
    got = check_tuple(impl.sgd_update(*args), 2, "2.9", case, "new_param, new_momentum_buffer")
    compare_states("2.9", got, reference("sgd_update")(*args), ["param", "buffer"], case, dtype)
    for a, old, name in zip((p, g, b), before, ("param", "grad", "buffer"), strict=True):
        assert_unchanged(old, a, exercise="2.9", case=case, name=name)


@pytest.mark.exercise("2.10")
def test_adagrad_by_hand(impl):
    p, g, s = np.array([1.0, 1.0]), np.array([3.0, -4.0]), np.array([16.0, 0.0])
    # step 3, lr_decay 0.5 → γ = 0.1 / 2; s = [25, 16]; θ − γ·g/√s = [1 − 0.05·0.6, 1 + 0.05]
    got = check_tuple(impl.adagrad_update(p, g, s, 3, 0.1, 0.5, 0.0, 0.0), 2, "2.10",
                      "by hand", "new_param, new_state_sum")
    compare_states("2.10", got, (np.array([0.97, 1.05]), np.array([25.0, 16.0])),
                   ["param", "state_sum"], "step 3, lr 0.1, lr_decay 0.5, eps 0", np.float64)


@pytest.mark.exercise("2.10")
@OPT
@given(shape=hnp.array_shapes(max_dims=2, max_side=4), dtype=DTYPES, step=st.integers(1, 5),
       lr_decay=st.sampled_from([0.0, 0.1]), weight_decay=st.sampled_from([0.0, 0.01]),
       seed=st.integers(0, 2**16))
def test_adagrad_matches_minidl(impl, shape, dtype, step, lr_decay, weight_decay, seed):
    p, g, s = optimizer_arrays(seed, shape, dtype, 3)
    s = s * s
    args = (p, g, s, step, 0.1, lr_decay, weight_decay, 1e-10)
    case = f"param {shape} {np.dtype(dtype)}, step {step}, lr_decay {lr_decay}, wd {weight_decay}"
    got = check_tuple(impl.adagrad_update(*args), 2, "2.10", case, "new_param, new_state_sum")
    compare_states("2.10", got, reference("adagrad_update")(*args), ["param", "state_sum"],
                   case, dtype)


@pytest.mark.exercise("2.11")
def test_rmsprop_by_hand(impl):
    p, g = np.array([1.0]), np.array([2.0])
    # v = 0.5·0 + 0.5·4 = 2; θ − 0.1·2/√2 = 1 − 0.1·√2
    got = check_tuple(impl.rmsprop_update(p, g, np.zeros(1), None, None, 0.1, 0.5, 0.0, 0.0,
                                          0.0, False), 4, "2.11", "by hand",
                      "new_param, new_square_avg, new_momentum_buffer, new_grad_avg")
    compare_states("2.11", got, (np.array([1 - 0.1 * math.sqrt(2)]), np.array([2.0]), None,
                                 None), ["param", "square_avg", "momentum_buffer", "grad_avg"],
                   "first step, alpha 0.5, eps 0", np.float64)


@pytest.mark.exercise("2.11")
@OPT
@given(shape=hnp.array_shapes(max_dims=2, max_side=4), dtype=DTYPES,
       momentum=st.sampled_from([0.0, 0.9]), centered=st.booleans(),
       weight_decay=st.sampled_from([0.0, 0.01]), seed=st.integers(0, 2**16))
def test_rmsprop_matches_minidl(impl, shape, dtype, momentum, centered, weight_decay, seed):
    p, g, v, b, m = optimizer_arrays(seed, shape, dtype, 5)
    v = v * v + 1  # v ≥ ḡ² + 1 keeps the centred variance positive
    buf = b if momentum else None
    avg = 0.5 * m / np.maximum(1, np.abs(m)) if centered else None
    args = (p, g, v, buf, avg, 0.01, 0.99, 1e-8, weight_decay, momentum, centered)
    case = (f"param {shape} {np.dtype(dtype)}, momentum {momentum}, centered {centered}, "
            f"weight_decay {weight_decay}")
    got = check_tuple(impl.rmsprop_update(*args), 4, "2.11", case,
                      "new_param, new_square_avg, new_momentum_buffer, new_grad_avg")
    compare_states("2.11", got, reference("rmsprop_update")(*args),
                   ["param", "square_avg", "momentum_buffer", "grad_avg"], case, dtype)


@pytest.mark.exercise("2.12")
def test_adam_first_step_bias_correction(impl):
    p, g = np.array([1.0, 1.0, 1.0]), np.array([1e-3, -5.0, 100.0])
    # at t = 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε) ≈ lr·sign(g), whatever |g|
    got = check_tuple(impl.adam_update(p, g, np.zeros(3), np.zeros(3), 1, 0.1, 0.9, 0.999,
                                       1e-8, 0.0, False), 3, "2.12", "first step",
                      "new_param, new_exp_avg, new_exp_avg_sq")
    want = (p - 0.1 * g / (np.abs(g) + 1e-8), 0.1 * g, 0.001 * g * g)
    compare_states("2.12", got, want, ["param", "exp_avg", "exp_avg_sq"],
                   "step 1 from zero state, lr 0.1: every coordinate moves by ≈ 0.1", np.float64)


@pytest.mark.exercise("2.12")
@OPT
@given(shape=hnp.array_shapes(max_dims=2, max_side=4), dtype=DTYPES, step=st.integers(1, 20),
       weight_decay=st.sampled_from([0.0, 0.1]), decoupled=st.booleans(),
       seed=st.integers(0, 2**16))
def test_adam_matches_minidl(impl, shape, dtype, step, weight_decay, decoupled, seed):
    p, g, m, v = optimizer_arrays(seed, shape, dtype, 4)
    v = v * v
    before = [a.copy() for a in (p, g, m, v)]
    args = (p, g, m, v, step, 0.01, 0.9, 0.999, 1e-8, weight_decay, decoupled)
    case = (f"param {shape} {np.dtype(dtype)}, step {step}, weight_decay {weight_decay}, "
            f"decoupled {decoupled}")
    got = check_tuple(impl.adam_update(*args), 3, "2.12", case,
                      "new_param, new_exp_avg, new_exp_avg_sq")
    compare_states("2.12", got, reference("adam_update")(*args),
                   ["param", "exp_avg", "exp_avg_sq"], case, dtype)
    for a, old, name in zip((p, g, m, v), before, ("param", "grad", "exp_avg", "exp_avg_sq"),
                            strict=True):
        assert_unchanged(old, a, exercise="2.12", case=case, name=name)


@pytest.mark.exercise("2.12")
def test_adam_minimises_a_quadratic(impl):
    """100 steps on f(θ) = ½‖θ − 3‖² from 0 with lr 0.1 land near θ = 3."""
    p, m, v = np.zeros(2), np.zeros(2), np.zeros(2)
    for t in range(1, 301):
        p, m, v = impl.adam_update(p, p - 3.0, m, v, t, 0.1, 0.9, 0.999, 1e-8, 0.0, False)
    assert_close(p, np.full(2, 3.0), exercise="2.12", hint=HINTS["2.12"], rtol=0, atol=0.05,
                 case="300 Adam steps on ½‖θ − 3‖² from θ = 0, lr 0.1")


# ---- 2.13 / 2.14 initialisation -----------------------------------------------------------

INIT_SHAPES = [(256, 128), (1, 1), (7, 3), (16, 8, 3, 3)]


@pytest.mark.exercise("2.13")
@pytest.mark.parametrize("shape", INIT_SHAPES)
@pytest.mark.parametrize("gain", [1.0, 5.0 / 3])
def test_xavier_uniform(impl, shape, gain):
    receptive = math.prod(shape[2:])
    bound = gain * math.sqrt(6.0 / ((shape[0] + shape[1]) * receptive))
    case = f"shape {shape}, gain {gain:.3f}: bound b = {bound:.4g}"
    w = impl.xavier_uniform(shape, gain, np.random.default_rng(0))
    assert_close(w, reference("xavier_uniform")(shape, gain, np.random.default_rng(0)),
                 exercise="2.13", case=case + ", same seed as minidl", hint=HINTS["2.13"],
                 rtol=1e-12, atol=1e-12)
    assert_true(np.all(np.abs(w) <= bound), exercise="2.13", case=case, hint=HINTS["2.13"],
                problem=f"samples reach {np.abs(w).max():.4g}, beyond the bound")
    if w.size > 10_000:
        assert_true(abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound, exercise="2.13",
                    case=case, hint=HINTS["2.13"],
                    problem=f"std {w.std():.4g}, expected b/√3 = {bound / math.sqrt(3):.4g}")


@pytest.mark.exercise("2.14")
@pytest.mark.parametrize("shape", INIT_SHAPES)
@pytest.mark.parametrize("mode, nonlinearity, a, gain", [
    ("fan_in", "relu", 0.0, math.sqrt(2)), ("fan_out", "relu", 0.0, math.sqrt(2)),
    ("fan_in", "leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("fan_in", "tanh", 0.0, 5 / 3),
    ("fan_out", "linear", 0.0, 1.0),
])
def test_kaiming_normal(impl, shape, mode, nonlinearity, a, gain):
    receptive = math.prod(shape[2:])
    fan = (shape[1] if mode == "fan_in" else shape[0]) * receptive
    std = gain / math.sqrt(fan)
    case = f"shape {shape}, {mode}, {nonlinearity} (a = {a}): std = {std:.4g}"
    w = impl.kaiming_normal(shape, a, mode, nonlinearity, np.random.default_rng(1))
    want = reference("kaiming_normal")(shape, a, mode, nonlinearity, np.random.default_rng(1))
    assert_close(w, want, exercise="2.14", case=case + ", same seed as minidl",
                 hint=HINTS["2.14"], rtol=1e-12, atol=1e-12)
    if w.size > 10_000:
        assert_true(abs(w.std() - std) < 0.02 * std, exercise="2.14", case=case,
                    hint=HINTS["2.14"], problem=f"sample std {w.std():.4g}, expected {std:.4g}")


# ---- 2.15 dropout -------------------------------------------------------------------------

@pytest.mark.exercise("2.15")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.0, 1.0])
def test_dropout_edge_probabilities(impl, dtype, p):
    x = np.arange(1.0, 7.0, dtype=dtype).reshape(2, 3)
    case = f"p = {p}, {describe('x', x)}"
    out, mask = check_tuple(impl.dropout_forward(x, p, np.random.default_rng(0)), 2, "2.15",
                            case, "out, mask")
    keep = np.float64(1 - p).astype(dtype)
    assert_close(out, x * keep, exercise="2.15", case=case + " (out)", hint=HINTS["2.15"])
    assert_close(mask, np.full_like(x, keep), exercise="2.15", case=case + " (mask)",
                 hint=HINTS["2.15"])


@pytest.mark.exercise("2.15")
@HYPOTHESIS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6), dtype=DTYPES,
       p=st.sampled_from([0.1, 0.5, 0.9]), layout=LAYOUTS, seed=st.integers(0, 2**16))
def test_dropout_matches_minidl(impl, shape, dtype, p, layout, seed):
    x = random_array(np.random.default_rng(seed), shape, dtype, layout)
    before = x.copy()
    case = f"{describe('x', x)}, p = {p}, rng seeded {seed}"
    out, mask = check_tuple(impl.dropout_forward(x, p, np.random.default_rng(seed)), 2,
                            "2.15", case, "out, mask")
    want_out, want_mask = reference("dropout_forward")(x, p, np.random.default_rng(seed))
    assert_close(mask, want_mask, exercise="2.15", case=case + " (mask)", hint=HINTS["2.15"],
                 **tolerances(np.dtype(dtype)))
    assert_close(out, want_out, exercise="2.15", case=case + " (out)", hint=HINTS["2.15"],
                 **tolerances(np.dtype(dtype)))
    assert_unchanged(before, x, exercise="2.15", case=case, name="x")


@pytest.mark.exercise("2.15")
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_statistics(impl, p):
    x = np.ones((400, 500), dtype=np.float32)
    case = f"x = ones (400, 500), p = {p}, rng seeded 7"
    out, mask = impl.dropout_forward(x, p, np.random.default_rng(7))
    values = np.unique(mask)
    assert_true(np.allclose(values, [0.0, 1 / (1 - p)], rtol=1e-6), exercise="2.15", case=case,
                hint=HINTS["2.15"],
                problem=f"mask values should be 0 and 1/(1 − p) = {1 / (1 - p):.4g}, got "
                        f"{values[:5].tolist()}")
    kept = float((mask > 0).mean())
    assert_true(abs(kept - (1 - p)) < 0.01, exercise="2.15", case=case, hint=HINTS["2.15"],
                problem=f"kept {100 * kept:.2f} % of the elements, expected {100 * (1 - p):.0f} %")
    assert_true(abs(float(out.mean()) - 1.0) < 0.02, exercise="2.15", case=case,
                hint=HINTS["2.15"],
                problem=f"mean of out is {float(out.mean()):.4f}: inverted dropout keeps E[out] "
                        "= x = 1 (scale the survivors by 1/(1 − p))")


# ---- 2.16 numerical_gradient ----------------------------------------------------------------


@pytest.mark.exercise("2.16")
def test_numerical_gradient_hand_computed(impl):
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    got = impl.numerical_gradient(lambda v: float(np.sum(v ** 3)), x)
    assert_close(got, 3 * before ** 2, exercise="2.16", case="f(x) = Σ x³ at a (2, 2) x",
                 hint=HINTS["2.16"], rtol=1e-6, atol=1e-6)
    assert_unchanged(before, x, exercise="2.16", case="f(x) = Σ x³", name="x")


@pytest.mark.exercise("2.16")
def test_numerical_gradient_mixed_terms(impl):
    x = np.array([2.0, -1.5, 0.3])
    got = impl.numerical_gradient(lambda v: float(v[0] * v[1] + np.sin(v[2])), x)
    assert_close(got, np.array([-1.5, 2.0, np.cos(0.3)]), exercise="2.16",
                 case="f(x) = x₀x₁ + sin x₂ at (2, −1.5, 0.3)", hint=HINTS["2.16"],
                 rtol=1e-6, atol=1e-8)


@pytest.mark.exercise("2.16")
def test_numerical_gradient_is_central_with_the_given_step(impl):
    # with ε = 0.1, central differences of eˣ at 0 give sinh(0.1)/0.1 = 1.0016675;
    # forward differences would give (e^0.1 − 1)/0.1 = 1.0517
    got = impl.numerical_gradient(lambda v: float(np.exp(v[0])), np.zeros(1), eps=0.1)
    assert_close(got, np.array([np.sinh(0.1) / 0.1]), exercise="2.16",
                 case="f(x) = eˣ at 0 with eps = 0.1", hint=HINTS["2.16"], rtol=1e-9, atol=0)


@pytest.mark.exercise("2.16")
def test_numerical_gradient_checks_a_linear_layer(impl):
    rng = np.random.default_rng(3)
    x, w, upstream = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), \
        rng.standard_normal((4, 2))
    got = impl.numerical_gradient(lambda v: float(np.sum(upstream * (x @ v.T))), w)
    assert_close(got, upstream.T @ x, exercise="2.16",
                 case="L(W) = Σ G ⊙ (x Wᵀ), W (2, 3): the gradient is Gᵀ x", hint=HINTS["2.16"],
                 rtol=1e-6, atol=1e-8)


# ---- 2.17 train_epoch -----------------------------------------------------------------------


def epoch_problem(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)).astype(np.float32)
    y = rng.integers(0, 2, n)
    return X, y


def fresh_model():
    minidl.manual_seed(0)
    return minidl.nn.Sequential(minidl.nn.Linear(3, 4), minidl.nn.Tanh(), minidl.nn.Linear(4, 2))


def epoch_by_hand(X, y, batch_size, seed):
    """The expected epoch, written out here: parameters after it and the mean loss."""
    model = fresh_model()
    opt = minidl.optim.SGD(model.parameters(), lr=0.3)
    order = np.random.default_rng(seed).permutation(len(X))
    total = 0.0
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        opt.zero_grad()
        loss = minidl.nn.CrossEntropyLoss()(model(minidl.tensor(X[idx])), minidl.tensor(y[idx]))
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    return [p.detach().numpy().copy() for p in model.parameters()], total / len(X)


@pytest.mark.exercise("2.17")
@pytest.mark.parametrize("n, batch_size", [(10, 4), (7, 1), (6, 6), (5, 16)])
def test_train_epoch_matches_the_loop(impl, n, batch_size):
    X, y = epoch_problem(n, seed=n)
    want_params, want_loss = epoch_by_hand(X, y, batch_size, seed=n + 1)
    model = fresh_model()
    opt = minidl.optim.SGD(model.parameters(), lr=0.3)
    case = f"N = {n} examples, batch_size {batch_size}, SGD lr 0.3, rng seeded {n + 1}"
    got_loss = impl.train_epoch(model, minidl.nn.CrossEntropyLoss(), opt, X, y, batch_size,
                                np.random.default_rng(n + 1))
    assert_true(isinstance(got_loss, float), exercise="2.17", case=case,
                problem=f"expected the mean loss as a Python float, got {type(got_loss).__name__}",
                hint="loss.item() gives a Python float")
    assert_close(np.float64(got_loss), np.float64(want_loss), exercise="2.17",
                 case=case + ": the returned mean loss (weighted by batch size)",
                 hint=HINTS["2.17"], rtol=1e-5, atol=1e-6)
    for i, (p, want) in enumerate(zip(model.parameters(), want_params)):
        assert_close(p.detach().numpy(), want, exercise="2.17",
                     case=case + f": parameter {i} after the epoch", hint=HINTS["2.17"],
                     rtol=1e-5, atol=1e-6)


@pytest.mark.exercise("2.17")
def test_train_epoch_counts_one_step_per_batch(impl):
    # The inputs are all zero, so the loss gives the weight no gradient and only SGD's weight
    # decay moves it: each step halves it (lr 0.5, weight_decay 1), and counting the halvings
    # counts the steps (the learner's loop runs in its own process, so this is what we see).
    X, y = np.zeros((10, 3), np.float32), np.arange(10) % 2
    minidl.manual_seed(0)
    model = minidl.nn.Linear(3, 2)
    start = model.weight.detach().numpy().copy()
    opt = minidl.optim.SGD(model.parameters(), lr=0.5, weight_decay=1.0)
    impl.train_epoch(model, minidl.nn.CrossEntropyLoss(), opt, X, y, 3,
                     np.random.default_rng(0))
    steps = np.log2(np.abs(start).sum() / np.abs(model.weight.detach().numpy()).sum())
    assert_true(np.isclose(steps, 4), exercise="2.17", case="N = 10, batch_size 3",
                problem=f"expected 4 optimizer steps (batches of 3, 3, 3, 1), got {steps:.3g}",
                hint=HINTS["2.17"])


# ---- 2.18 early_stopping --------------------------------------------------------------------


@pytest.mark.exercise("2.18")
@pytest.mark.parametrize("losses, patience, min_delta, want", [
    ([1.0], 2, 0.0, (False, 0)),
    ([1.0, 0.9, 0.95], 2, 0.0, (False, 1)),
    ([1.0, 0.9, 0.95, 0.97], 2, 0.0, (True, 1)),
    ([1.0, 1.0], 1, 0.0, (True, 0)),                  # equal is not better
    ([1.0, 0.95, 0.96], 2, 0.1, (True, 0)),           # 0.95 is not better by more than 0.1
    ([0.5, 0.6, 0.4, 0.7, 0.8], 3, 0.0, (False, 2)),
])
def test_early_stopping_hand_computed(impl, losses, patience, min_delta, want):
    got = impl.early_stopping(list(losses), patience, min_delta)
    case = f"val_losses {losses}, patience {patience}, min_delta {min_delta}"
    assert_true(isinstance(got, tuple) and len(got) == 2, exercise="2.18", case=case,
                problem=f"expected a tuple (stop, best_epoch), got {got!r}", hint=HINTS["2.18"])
    assert_true((bool(got[0]), int(got[1])) == want, exercise="2.18", case=case,
                problem=f"expected (stop, best_epoch) = {want}, got {got!r}", hint=HINTS["2.18"])


@pytest.mark.exercise("2.18")
@HYPOTHESIS
@given(losses=st.lists(st.floats(0.0, 2.0), min_size=1, max_size=12),
       patience=st.integers(1, 4), min_delta=st.sampled_from([0.0, 0.05]))
def test_early_stopping_agrees_with_minidl_callback(impl, losses, patience, min_delta):
    callback = EarlyStopping(patience=patience, min_delta=min_delta, restore_best_weights=False)
    callback.on_train_begin({})
    for epoch, loss in enumerate(losses):
        callback.on_epoch_end(epoch, {"val_loss": loss})
        got = impl.early_stopping(losses[:epoch + 1], patience, min_delta)
        case = f"val_losses {losses[:epoch + 1]}, patience {patience}, min_delta {min_delta}"
        want = (callback.stop_training, callback.best_epoch)
        assert_true((bool(got[0]), int(got[1])) == want, exercise="2.18", case=case,
                    problem=f"expected (stop, best_epoch) = {want} (as minidl's EarlyStopping "
                            f"decides), got {got!r}", hint=HINTS["2.18"])
        if callback.stop_training:
            break
