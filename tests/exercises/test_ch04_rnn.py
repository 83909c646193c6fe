"""Autograder for chapter 4: recurrent cells (4.1–4.5, 4.8), clipping (4.6), sampling (4.7),
backpropagation through time (4.9).

Expected values come from hand computation, from minidl's reference kernels
(``reference(name)``), from float64 central differences of the reference forward passes and,
for sampling, from the softmax probabilities computed here; never from the implementation
under test (``impl``: exercises/ by default, ``--impl solutions``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from minidl.grading import assert_close, assert_true, assert_unchanged, numeric_grad, reference
from minidl.grading.layouts import relayout

CHAPTER = "ch04_rnn"
POINTS = {"4.1": 2, "4.2": 3, "4.3": 2, "4.4": 4, "4.5": 2, "4.6": 2, "4.7": 3, "4.8": 4,
          "4.9": 3}
HINTS = {
    "4.1": "h' = act(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh); skip the biases when None",
    "4.2": "first the gradient at the pre-activation (act' written with h'); then each matrix "
           "product's backward as in exercise 2.4; each bias was added to every row",
    "4.3": "split the (N, 4H) pre-activation into i, f, g, o (in that order); "
           "c' = f·c + i·g, h' = o·tanh(c'); return the gates concatenated as [i|f|g|o]",
    "4.4": "the total gradient at c' adds grad_c_new and the path through h' = o·tanh(c'); each "
           "gate's gradient is what multiplies it in c' = f·c + i·g (in h' for o), times its "
           "activation's derivative written with the gate value",
    "4.5": "r, z from gi + gh; n = tanh(gi_n + r·gh_n) with gh_n including b_hn; "
           "h' = (1 − z)·n + z·h; cache = [r|z|n|gh_n]",
    "4.6": "total = (Σ |g|^p)^(1/p) over all arrays (max |g| for p = inf); scale by "
           "max_norm / (total + 1e-6) only when that is < 1; return new arrays and total",
    "4.7": "p = softmax(logits / T) (subtract the row max first); T = 0 → argmax; "
           "top_k keeps the k largest logits; one rng.random() per row against cumsum(p)",
    "4.8": "from h' = (1 − z)·n + z·h back to n and z, then through n = tanh(gi_n + r·gh_n) to r "
           "and gh_n; h reaches h' twice (directly, and through gh)",
    "4.9": "from t = T−1 down to 0: call rnn_cell_backward with grad_output[t] + dh (dh starts "
           "as grad_h_n), h_prev = output[t−1] (h0 at t = 0); sum the weight gradients",
}
HYPOTHESIS = settings(max_examples=12, deadline=None,
                      phases=(Phase.explicit, Phase.reuse, Phase.generate))
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
# cell forward outputs, and the names of the arrays each backward differentiates
GRAD_NAMES = {
    "rnn": ("x", "h", "w_ih", "w_hh", "b_ih", "b_hh"),
    "lstm": ("x", "h", "c", "w_ih", "w_hh", "b_ih", "b_hh"),
    "gru": ("x", "h", "w_ih", "w_hh", "b_ih", "b_hh"),
}


def tolerances(dtype: np.dtype) -> dict[str, float]:
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-9, "atol": 1e-10}


def cell_inputs(family: str, n: int, i: int, h: int, dtype=np.float64, bias: bool = True,
                strided: bool = False, seed: int = 0, scale: float = 0.8) -> dict:
    """Random inputs of one cell step: x (N, I), h (N, H), [c (N, H)], weights and biases."""
    rng = np.random.default_rng(seed)
    g = GATES[family] * h
    arrays = {"x": rng.standard_normal((n, i)), "h": rng.uniform(-0.9, 0.9, (n, h))}
    if family == "lstm":
        arrays["c"] = rng.standard_normal((n, h))
    arrays["w_ih"] = rng.uniform(-scale, scale, (g, i))
    arrays["w_hh"] = rng.uniform(-scale, scale, (g, h))
    arrays = {k: v.astype(dtype) for k, v in arrays.items()}
    if strided:
        arrays = {k: relayout(v, "strided") for k, v in arrays.items()}
    arrays["b_ih"] = rng.uniform(-0.5, 0.5, g).astype(dtype) if bias else None
    arrays["b_hh"] = rng.uniform(-0.5, 0.5, g).astype(dtype) if bias else None
    return arrays


def forward_args(family: str, a: dict, nonlinearity: str = "tanh") -> tuple:
    if family == "rnn":
        return a["x"], a["h"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"], nonlinearity
    if family == "lstm":
        return a["x"], a["h"], a["c"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"]
    return a["x"], a["h"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"]


def describe(family: str, a: dict, extra: str = "") -> str:
    n, i = a["x"].shape
    layout = "" if a["x"].flags.c_contiguous else ", non-contiguous inputs"
    bias = "" if a["b_ih"] is not None else ", no biases"
    return f"{family} cell, N={n}, I={i}, H={a['h'].shape[1]}, {a['x'].dtype}{bias}{layout}{extra}"


def check_outputs(ex: str, got, want: tuple, names: tuple[str, ...], case: str,
                  dtype: np.dtype) -> None:
    """Compare a tuple result element by element, naming the element that is wrong."""
    assert_true(isinstance(got, tuple) and len(got) == len(want), exercise=ex, case=case,
                problem=f"expected a tuple of {len(want)} arrays ({', '.join(names)}), got "
                        f"{type(got).__name__}" + (f" of {len(got)}" if isinstance(got, tuple)
                                                   else ""),
                hint=f"return {', '.join(names)}")
    for name, g, w in zip(names, got, want, strict=True):
        assert_close(g, w, exercise=ex, case=f"{case}: {name}", hint=HINTS[ex],
                     **tolerances(dtype))


def check_inputs_unchanged(ex: str, a: dict, before: dict, case: str) -> None:
    for name, value in a.items():
        if value is not None:
            assert_unchanged(before[name], value, exercise=ex, case=case, name=name)


shapes = st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 5))


# ---- 4.1 / 4.3 / 4.5: cell forward vs minidl's kernels ---------------------------------------

FORWARDS = [
    pytest.param("4.1", "rnn", "rnn_cell_forward", ("h_new",), marks=pytest.mark.exercise("4.1"),
                 id="rnn"),
    pytest.param("4.3", "lstm", "lstm_cell_forward", ("h_new", "c_new", "gates"),
                 marks=pytest.mark.exercise("4.3"), id="lstm"),
    pytest.param("4.5", "gru", "gru_cell_forward", ("h_new", "cache"),
                 marks=pytest.mark.exercise("4.5"), id="gru"),
]


def as_tuple(result, names):
    return (result,) if len(names) == 1 and not isinstance(result, tuple) else result


@pytest.mark.parametrize("ex, family, name, outputs", FORWARDS)
@HYPOTHESIS
@given(shape=shapes, dtype=st.sampled_from([np.float32, np.float64]), bias=st.booleans(),
       strided=st.booleans(), relu=st.booleans(), seed=st.integers(0, 2**16))
def test_forward_matches_minidl(impl, ex, family, name, outputs, shape, dtype, bias, strided,
                                relu, seed):
    a = cell_inputs(family, *shape, dtype=dtype, bias=bias, strided=strided, seed=seed)
    before = {k: v.copy() for k, v in a.items() if v is not None}
    args = forward_args(family, a, "relu" if relu else "tanh")
    case = describe(family, a, ", relu" if relu and family == "rnn" else "")
    got = as_tuple(getattr(impl, name)(*args), outputs)
    want = as_tuple(reference(name)(*args), outputs)
    check_outputs(ex, got, want, outputs, case, np.dtype(dtype))
    check_inputs_unchanged(ex, a, before, case)


@pytest.mark.exercise("4.1")
def test_rnn_forward_hand_computed(impl):
    # h' = tanh(2·1 + 0.5·(−1) + 0.25 + 0.25) = tanh(2); relu: max(−0.5 − 1 + 0, 0) = 0
    x, h = np.array([[1.0]]), np.array([[-1.0]])
    w_ih, w_hh, b = np.array([[2.0]]), np.array([[0.5]]), np.array([0.25])
    assert_close(impl.rnn_cell_forward(x, h, w_ih, w_hh, b, b, "tanh"), np.array([[np.tanh(2)]]),
                 exercise="4.1", case="x = 1, h = −1, w_ih = 2, w_hh = 0.5, b_ih = b_hh = 0.25",
                 hint=HINTS["4.1"])
    got = impl.rnn_cell_forward(x, np.array([[2.0]]), -0.5 * w_ih / 2, -w_hh, None, None, "relu")
    assert_close(got, np.array([[0.0]]), exercise="4.1",
                 case="relu, x = 1, h = 2, w_ih = −0.5, w_hh = −0.5, no bias", hint=HINTS["4.1"])


@pytest.mark.exercise("4.3")
def test_lstm_forward_zero_weights(impl):
    # all pre-activations = 0: i = f = o = ½, g = 0 → c' = ½c, h' = ½ tanh(½c)
    c = np.array([[2.0, -4.0]])
    h_new, c_new, gates = impl.lstm_cell_forward(np.ones((1, 3)), np.ones((1, 2)), c,
                                                 np.zeros((8, 3)), np.zeros((8, 2)), None, None)
    case = "zero weights, c = [2, −4]: every gate ½ except g = 0"
    assert_close(c_new, 0.5 * c, exercise="4.3", case=case + " (c_new)", hint=HINTS["4.3"])
    assert_close(h_new, 0.5 * np.tanh(0.5 * c), exercise="4.3", case=case + " (h_new)",
                 hint=HINTS["4.3"])
    assert_close(gates, np.array([[0.5, 0.5, 0.5, 0.5, 0, 0, 0.5, 0.5]]), exercise="4.3",
                 case=case + " (gates, order i, f, g, o)", hint=HINTS["4.3"])


@pytest.mark.exercise("4.3")
def test_lstm_forward_gate_order(impl):
    # bias only: a_i = 0, a_f = +50 (f = 1), a_g = 50 (g = 1), a_o = −50 (o = 0)
    b = np.array([0.0, 50.0, 50.0, -50.0])
    h_new, c_new, _ = impl.lstm_cell_forward(np.zeros((1, 1)), np.zeros((1, 1)),
                                             np.array([[3.0]]), np.zeros((4, 1)),
                                             np.zeros((4, 1)), b, np.zeros(4))
    case = "bias [a_i, a_f, a_g, a_o] = [0, 50, 50, −50], c = 3: c' = 1·3 + ½·1, h' = 0"
    assert_close(c_new, np.array([[3.5]]), exercise="4.3", case=case, hint=HINTS["4.3"])
    assert_close(h_new, np.array([[0.0]]), exercise="4.3", case=case, hint=HINTS["4.3"],
                 atol=1e-12)


@pytest.mark.exercise("4.5")
def test_gru_forward_update_gate_keeps_state(impl):
    # b_z = +50 → z = 1 → h' = h whatever the candidate; b_z = −50 → h' = n = tanh(gi_n + r·gh_n)
    h = np.array([[0.3, -0.7]])
    w_ih, w_hh = np.zeros((6, 1)), np.zeros((6, 2))
    b_ih = np.array([0.0, 0.0, 50.0, 50.0, 1.0, 1.0])
    b_hh = np.array([0.0, 0.0, 0.0, 0.0, 2.0, 2.0])
    h_new, cache = impl.gru_cell_forward(np.zeros((1, 1)), h, w_ih, w_hh, b_ih, b_hh)
    assert_close(h_new, h, exercise="4.5", case="update gate z = 1: h' = h", hint=HINTS["4.5"])
    b_ih[2:4] = -50.0
    h_new, cache = impl.gru_cell_forward(np.zeros((1, 1)), h, w_ih, w_hh, b_ih, b_hh)
    n = np.tanh(1.0 + 0.5 * 2.0)  # r = σ(0) = ½ scales b_hn = 2
    assert_close(h_new, np.full((1, 2), n), exercise="4.5",
                 case="z = 0, r = ½, b_in = 1, b_hn = 2: h' = tanh(1 + ½·2)", hint=HINTS["4.5"])
    assert_close(cache[:, 6:], np.full((1, 2), 2.0), exercise="4.5",
                 case="the cache's last block is gh_n = h W_hnᵀ + b_hn", hint=HINTS["4.5"])


# ---- 4.2 / 4.4: cell backward vs minidl and vs central differences ---------------------------

def backward_call(family: str, fn, a: dict, up: dict, nonlinearity: str = "tanh"):
    """Call a backward kernel ``fn`` with the values of the reference forward pass."""
    out = reference(f"{family}_cell_forward")(*forward_args(family, a, nonlinearity))
    if family == "rnn":
        return fn(up["h"], a["x"], a["h"], out, a["w_ih"], a["w_hh"], nonlinearity)
    if family == "gru":
        return fn(up["h"], a["x"], a["h"], out[1], a["w_ih"], a["w_hh"])
    h_new, c_new, gates = out
    return fn(up["h"], up["c"], a["x"], a["h"], a["c"], c_new, gates, a["w_ih"], a["w_hh"])


def upstream(family: str, a: dict, seed: int) -> dict:
    rng = np.random.default_rng(seed + 1)
    shape, dtype = a["h"].shape, a["h"].dtype
    up = {"h": rng.standard_normal(shape).astype(dtype)}
    if family == "lstm":
        up["c"] = rng.standard_normal(shape).astype(dtype)
    return up


def loss_of(family: str, a: dict, up: dict, nonlinearity: str) -> float:
    """L = Σ dL/dh' ⊙ h' (+ Σ dL/dc' ⊙ c'): its gradients are what backward returns."""
    out = reference(f"{family}_cell_forward")(*forward_args(family, a, nonlinearity))
    if family == "rnn":
        return float(np.sum(up["h"] * out))
    if family == "gru":
        return float(np.sum(up["h"] * out[0]))
    return float(np.sum(up["h"] * out[0]) + np.sum(up["c"] * out[1]))


def central_differences(family: str, a: dict, up: dict, name: str, nonlinearity: str):
    def f(value: np.ndarray) -> np.ndarray:
        return np.array(loss_of(family, {**a, name: value}, up, nonlinearity))

    return numeric_grad(f, a[name], np.array(1.0))


BACKWARDS = [
    pytest.param("4.2", "rnn", marks=pytest.mark.exercise("4.2"), id="rnn"),
    pytest.param("4.4", "lstm", marks=pytest.mark.exercise("4.4"), id="lstm"),
    pytest.param("4.8", "gru", marks=pytest.mark.exercise("4.8"), id="gru"),
]


@pytest.mark.parametrize("ex, family", BACKWARDS)
@HYPOTHESIS
@given(shape=shapes, dtype=st.sampled_from([np.float32, np.float64]), strided=st.booleans(),
       relu=st.booleans(), seed=st.integers(0, 2**16))
def test_backward_matches_minidl(impl, ex, family, shape, dtype, strided, relu, seed):
    a = cell_inputs(family, *shape, dtype=dtype, strided=strided, seed=seed)
    up = upstream(family, a, seed)
    nonlinearity = "relu" if relu else "tanh"
    before = {k: v.copy() for k, v in a.items() if v is not None}
    name = f"{family}_cell_backward"
    got = backward_call(family, getattr(impl, name), a, up, nonlinearity)
    want = backward_call(family, reference(name), a, up, nonlinearity)
    case = describe(family, a, ", relu" if relu and family == "rnn" else "")
    check_outputs(ex, got, want, tuple(f"grad_{n}" for n in GRAD_NAMES[family]), case,
                  np.dtype(dtype))
    check_inputs_unchanged(ex, a, before, case)


@pytest.mark.parametrize("ex, family, nonlinearity", [
    pytest.param("4.2", "rnn", "tanh", marks=pytest.mark.exercise("4.2"), id="rnn-tanh"),
    pytest.param("4.2", "rnn", "relu", marks=pytest.mark.exercise("4.2"), id="rnn-relu"),
    pytest.param("4.4", "lstm", "tanh", marks=pytest.mark.exercise("4.4"), id="lstm"),
    pytest.param("4.8", "gru", "tanh", marks=pytest.mark.exercise("4.8"), id="gru"),
])
@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 2, 4), (2, 5, 3)])
def test_backward_matches_central_differences(impl, ex, family, shape, nonlinearity):
    a = cell_inputs(family, *shape, seed=sum(shape))
    up = upstream(family, a, seed=7)
    got = backward_call(family, getattr(impl, f"{family}_cell_backward"), a, up, nonlinearity)
    names = GRAD_NAMES[family]
    assert_true(isinstance(got, tuple) and len(got) == len(names), exercise=ex,
                case=describe(family, a), problem=f"expected {len(names)} gradients "
                f"({', '.join('grad_' + n for n in names)})", hint=HINTS[ex])
    for name, g in zip(names, got, strict=True):
        want = central_differences(family, a, up, name, nonlinearity)
        assert_close(g, want, exercise=ex,
                     case=f"{describe(family, a)}, {nonlinearity}: grad_{name} vs central "
                          "differences", hint=HINTS[ex], rtol=1e-5, atol=1e-7)


@pytest.mark.exercise("4.4")
def test_lstm_backward_cell_path_is_forget_gate(impl):
    # with dL/dh' = 0 the gradient reaching c is exactly f ⊙ dL/dc'
    a = cell_inputs("lstm", 2, 3, 2, seed=3)
    up = {"h": np.zeros((2, 2)), "c": np.ones((2, 2))}
    got = backward_call("lstm", impl.lstm_cell_backward, a, up)
    _, _, gates = reference("lstm_cell_forward")(*forward_args("lstm", a))
    assert_close(got[2], gates[:, 2:4], exercise="4.4",
                 case="dL/dh' = 0, dL/dc' = 1: grad_c must equal the forget gate f",
                 hint="dL/dc = dc ⊙ f, where dc = dL/dc' + dL/dh' ⊙ o ⊙ (1 − tanh²(c'))")


# ---- 4.6 clip_grad_norm -----------------------------------------------------------------------

def check_clip(impl, grads, max_norm, norm_type, want_grads, want_total, case):
    before = [g.copy() for g in grads]
    result = impl.clip_grad_norm(grads, max_norm, norm_type)
    assert_true(isinstance(result, tuple) and len(result) == 2, exercise="4.6", case=case,
                problem=f"expected a tuple (clipped, total), got {type(result).__name__}",
                hint="return clipped_list, total")
    clipped, total = result
    assert_true(isinstance(clipped, list) and len(clipped) == len(grads), exercise="4.6",
                case=case, problem=f"expected a list of {len(grads)} arrays",
                hint="one clipped array per gradient, in order")
    assert_close(np.float64(total), np.float64(want_total), exercise="4.6",
                 case=case + " (total norm)", hint=HINTS["4.6"], rtol=1e-6, check_dtype=False)
    for k, (g, w) in enumerate(zip(clipped, want_grads, strict=True)):
        assert_close(g, w, exercise="4.6", case=f"{case} (array {k})", hint=HINTS["4.6"],
                     **tolerances(w.dtype))
        assert_true(g is not grads[k], exercise="4.6", case=case,
                    problem=f"array {k} is the input array itself",
                    hint="return new arrays (g.copy() when nothing is scaled)")
    for k, (b, g) in enumerate(zip(before, grads, strict=True)):
        assert_unchanged(b, g, exercise="4.6", case=case, name=f"grads[{k}]")


@pytest.mark.exercise("4.6")
def test_clip_hand_computed(impl):
    # joint 2-norm of [3] and [[4]] is 5; max_norm 1 scales by 1 / (5 + 1e-6)
    grads = [np.array([3.0]), np.array([[4.0]])]
    c = 1 / (5 + 1e-6)
    check_clip(impl, grads, 1.0, 2.0, [np.array([3 * c]), np.array([[4 * c]])], 5.0,
               "grads [3] and [[4]] (joint norm 5), max_norm = 1, p = 2")


@pytest.mark.exercise("4.6")
def test_clip_leaves_small_gradients(impl):
    grads = [np.array([0.3, -0.4], dtype=np.float32), np.zeros((2, 2), dtype=np.float32)]
    check_clip(impl, grads, 1.0, 2.0, [g.copy() for g in grads], 0.5,
               "joint norm 0.5 ≤ max_norm 1: nothing changes (float32)")


@pytest.mark.exercise("4.6")
@pytest.mark.parametrize("norm_type, total", [(1.0, 10.0), (math.inf, 4.0), (3.0, 100 ** (1 / 3))])
def test_clip_other_norms(impl, norm_type, total):
    grads = [np.array([1.0, -2.0]), np.array([3.0, -4.0])]
    c = 2.0 / (total + 1e-6)
    check_clip(impl, grads, 2.0, norm_type, [g * c for g in grads], total,
               f"grads [1, −2] and [3, −4], max_norm = 2, p = {norm_type}")


@pytest.mark.exercise("4.6")
@HYPOTHESIS
@given(sizes=st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3)), min_size=1, max_size=4),
       max_norm=st.sampled_from([0.1, 1.0, 5.0]), norm_type=st.sampled_from([1.0, 2.0, math.inf]),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_clip_matches_minidl(impl, sizes, max_norm, norm_type, dtype, seed):
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal(s).astype(dtype) for s in sizes]
    want, total = reference("clip_grad_norm")([g.copy() for g in grads], max_norm, norm_type)
    check_clip(impl, grads, max_norm, norm_type, want, total,
               f"{len(grads)} {np.dtype(dtype)} arrays of shapes {sizes}, max_norm = "
               f"{max_norm}, p = {norm_type}")


# ---- 4.7 sample_with_temperature ------------------------------------------------------------

LOGITS = np.array([2.0, 1.0, 0.5, -1.0, 0.0])
DRAWS = 20000


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def frequencies(impl, logits, temperature, top_k=None, seed=0) -> np.ndarray:
    batch = np.tile(logits, (DRAWS, 1))
    got = impl.sample_with_temperature(batch, temperature, np.random.default_rng(seed),
                                       top_k=top_k)
    case = f"logits of shape {batch.shape}, T = {temperature}, top_k = {top_k}"
    assert_true(isinstance(got, np.ndarray) and got.shape == (DRAWS,)
                and np.issubdtype(got.dtype, np.integer), exercise="4.7", case=case,
                problem=f"expected an int array of shape ({DRAWS},), got "
                        f"{getattr(got, 'shape', type(got).__name__)} "
                        f"{getattr(got, 'dtype', '')}", hint="one class id per row, int64")
    return np.bincount(got, minlength=len(logits)) / DRAWS


@pytest.mark.exercise("4.7")
@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
def test_sampling_frequencies_match_softmax(impl, temperature):
    # 20000 draws: the standard error of each frequency is ≤ 0.0036; allow 5 of them
    got = frequencies(impl, LOGITS, temperature)
    assert_close(got, softmax(LOGITS / temperature), exercise="4.7",
                 case=f"frequencies of {DRAWS} draws at T = {temperature}, logits "
                      f"{LOGITS.tolist()}", hint=HINTS["4.7"], rtol=0, atol=0.018,
                 check_dtype=False)


@pytest.mark.exercise("4.7")
def test_sampling_top_k(impl):
    got = frequencies(impl, LOGITS, 1.0, top_k=2)
    want = np.zeros(5)
    want[:2] = softmax(LOGITS[:2])
    assert_close(got, want, exercise="4.7", case=f"top_k = 2, logits {LOGITS.tolist()}: only "
                 "classes 0 and 1 may appear, renormalised", hint=HINTS["4.7"], rtol=0,
                 atol=0.018, check_dtype=False)
    assert_true(got[2:].sum() == 0, exercise="4.7", case="top_k = 2",
                problem=f"classes outside the top 2 were drawn: frequencies {got.tolist()}",
                hint="set the other logits to −inf (probability 0) before the softmax")


@pytest.mark.exercise("4.7")
@pytest.mark.parametrize("temperature", [0.0, 1e-4])
def test_sampling_cold_is_argmax(impl, temperature):
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((50, 7)) * 3
    got = impl.sample_with_temperature(logits, temperature, np.random.default_rng(2))
    assert_close(np.asarray(got), logits.argmax(axis=1), exercise="4.7",
                 case=f"50 rows of 7 logits at T = {temperature}: always the largest",
                 hint="T = 0 is the argmax; for tiny T subtract the row maximum before exp",
                 check_dtype=False, rtol=0, atol=0)


@pytest.mark.exercise("4.7")
def test_sampling_single_row_and_seed(impl):
    got = impl.sample_with_temperature(LOGITS, 1.0, np.random.default_rng(5))
    arr = np.asarray(got)
    assert_true(arr.shape == () and np.issubdtype(arr.dtype, np.integer) and 0 <= arr < 5,
                exercise="4.7", case="logits of shape (5,)",
                problem=f"expected a single class id (0-d int array), got {got!r}",
                hint="the result has the shape of logits without its last axis")
    draws = [int(impl.sample_with_temperature(LOGITS, 1.0, np.random.default_rng(9)))
             for _ in range(3)]
    assert_true(len(set(draws)) == 1, exercise="4.7", case="three calls with rng seeded 9",
                problem=f"the same seed gave different samples {draws}",
                hint="draw all randomness from the rng argument, not np.random")


@pytest.mark.exercise("4.7")
@pytest.mark.parametrize("kwargs", [{"temperature": -1.0}, {"temperature": 1.0, "top_k": 0},
                                    {"temperature": 1.0, "top_k": 6}])
def test_sampling_rejects_bad_arguments(impl, kwargs):
    try:
        impl.sample_with_temperature(LOGITS, rng=np.random.default_rng(0), **kwargs)
    except ValueError:
        return
    assert_true(False, exercise="4.7", case=f"logits of 5 classes, {kwargs}",
                problem="expected a ValueError", hint="check temperature ≥ 0 and 1 ≤ top_k ≤ V")


# ---- 4.8 gru_cell_backward: also in the parametrised backward tests above ----------------------

@pytest.mark.exercise("4.8")
def test_gru_backward_update_gate_copies_gradient(impl):
    # with z = 1 (huge update-gate bias) h' = h: all of dL/dh' reaches h, nothing the weights
    a = cell_inputs("gru", 2, 3, 2, seed=5)
    a["b_ih"] = a["b_ih"].copy()
    a["b_ih"][2:4] = 60.0
    up = {"h": np.array([[1.0, -2.0], [0.5, 3.0]])}
    got = backward_call("gru", impl.gru_cell_backward, a, up)
    assert_close(got[1], up["h"], exercise="4.8",
                 case="update gate z = 1 (h' = h): grad_h must equal dL/dh'",
                 hint="h' = (1 − z)·n + z·h: the direct path gives dL/dh'·z", rtol=1e-6,
                 atol=1e-9)


# ---- 4.9 rnn_backward: BPTT over a whole sequence ----------------------------------------------

def sequence_inputs(steps: int, n: int, i: int, h: int, dtype=np.float64, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    a = {"x": rng.standard_normal((steps, n, i)), "h0": rng.uniform(-0.5, 0.5, (n, h)),
         "w_ih": rng.uniform(-0.7, 0.7, (h, i)), "w_hh": rng.uniform(-0.7, 0.7, (h, h)),
         "b_ih": rng.uniform(-0.3, 0.3, h), "b_hh": rng.uniform(-0.3, 0.3, h)}
    a = {k: v.astype(dtype) for k, v in a.items()}
    a["up_out"] = rng.standard_normal((steps, n, h)).astype(dtype)
    a["up_hn"] = rng.standard_normal((n, h)).astype(dtype)
    return a


def run_forward(a: dict, nonlinearity: str) -> np.ndarray:
    from minidl.kernels.cpu.rnn import rnn_forward

    return rnn_forward(a["x"], a["h0"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"], nonlinearity)


def bptt_call(fn, a: dict, nonlinearity: str):
    out = run_forward(a, nonlinearity)
    return fn(a["up_out"], a["up_hn"], a["x"], a["h0"], out, a["w_ih"], a["w_hh"], nonlinearity)


BPTT_NAMES = ("grad_x", "grad_h0", "grad_w_ih", "grad_w_hh", "grad_b_ih", "grad_b_hh")


@pytest.mark.exercise("4.9")
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (4, 2, 3, 2), (6, 3, 1, 4)])
def test_rnn_backward_matches_central_differences(impl, shape, nonlinearity):
    a = sequence_inputs(*shape, seed=sum(shape))
    got = bptt_call(impl.rnn_backward, a, nonlinearity)
    steps, n, _, h = shape
    case = f"sequence T={steps}, N={n}, H={h}, {nonlinearity}, float64"
    assert_true(isinstance(got, tuple) and len(got) == 6, exercise="4.9", case=case,
                problem="expected a tuple of 6 arrays (" + ", ".join(BPTT_NAMES) + ")",
                hint=HINTS["4.9"])

    def loss(name):
        def f(value):
            out = run_forward({**a, name: value}, nonlinearity)
            return np.array(np.sum(a["up_out"] * out) + np.sum(a["up_hn"] * out[-1]))
        return f

    for g, name, arg in zip(got, BPTT_NAMES, ("x", "h0", "w_ih", "w_hh", "b_ih", "b_hh")):
        assert_close(g, numeric_grad(loss(arg), a[arg], np.array(1.0)), exercise="4.9",
                     case=f"{case}: {name} vs central differences (loss reads every output and "
                          "the final state)", hint=HINTS["4.9"], rtol=1e-5, atol=1e-7)


@pytest.mark.exercise("4.9")
@HYPOTHESIS
@given(steps=st.integers(1, 6), shape=shapes, dtype=st.sampled_from([np.float32, np.float64]),
       relu=st.booleans(), seed=st.integers(0, 2**16))
def test_rnn_backward_matches_minidl(impl, steps, shape, dtype, relu, seed):
    a = sequence_inputs(steps, *shape, dtype=dtype, seed=seed)
    nonlinearity = "relu" if relu else "tanh"
    before = {k: v.copy() for k, v in a.items()}
    got = bptt_call(impl.rnn_backward, a, nonlinearity)
    want = bptt_call(reference("rnn_backward"), a, nonlinearity)
    case = f"sequence T={steps}, N={shape[0]}, I={shape[1]}, H={shape[2]}, {nonlinearity}, " \
           f"{np.dtype(dtype)}"
    check_outputs("4.9", got, want, BPTT_NAMES, case, np.dtype(dtype))
    for name, value in a.items():
        assert_unchanged(before[name], value, exercise="4.9", case=case, name=name)
