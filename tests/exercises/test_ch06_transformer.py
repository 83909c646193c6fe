"""Autograder for chapter 6: attention (6.1–6.5), positions (6.6), layer norm (6.7, 6.8),
GELU (6.9), sampling (6.10), the warm-up schedule (6.11) and BERT's masking (6.12).

Expected values come from hand computation, from minidl's reference kernels
(``reference(name)``), from float64 central differences of reference forward passes, and
from the formulas written out here; never from the implementation under test (``impl``:
exercises/ by default, ``--impl solutions``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from minidl.grading import assert_close, assert_true, assert_unchanged, numeric_grad, reference

CHAPTER = "ch06_transformer"
POINTS = {"6.1": 3, "6.2": 1, "6.3": 2, "6.4": 1, "6.5": 1, "6.6": 2, "6.7": 2, "6.8": 3,
          "6.9": 1, "6.10": 2, "6.11": 1, "6.12": 2}
HINTS = {
    "6.1": "scores = q @ swapaxes(k, -1, -2) * scale + mask; P = softmax over the last axis "
           "(subtract the row max); return P @ v and P",
    "6.2": "−∞ strictly above the diagonal (j > i), 0 elsewhere: np.triu(ones, k=1)",
    "6.3": "dL/dx = s · (g − Σ g·s) with the sum along dim, keepdims=True",
    "6.4": "reshape (N, L, H, d), transpose to (N, H, L, d), np.ascontiguousarray",
    "6.5": "transpose (N, H, L, d) → (N, L, H, d) first, then reshape to (N, L, H·d)",
    "6.6": "angles = p / 10000^(2i/dim) for p in 0..P−1 (rows) and i in 0..dim/2−1; "
           "sin in the even columns, cos in the odd ones",
    "6.7": "mean and biased variance over the last axis; rstd = 1/√(var + eps); "
           "y = (x − mean)·rstd·γ + β",
    "6.8": "ĝ = g·γ; dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) per row; dγ = Σ g·x̂, dβ = Σ g "
           "over all rows",
    "6.9": "½x(1 + erf(x/√2)), or ½x(1 + tanh(√(2/π)(x + 0.044715x³))) for 'tanh'",
    "6.10": "T = 0 → one-hot argmax; keep logits ≥ the k-th largest; softmax(logits / T)",
    "6.11": "(step + 1)/warmup during warm-up; r + (1 − r)·½(1 + cos(π t)) after; r from "
            "max_steps on",
    "6.12": "u, r, random_ids drawn in that order; chosen = u < p and not special; "
            "r < 0.8 → mask, r < 0.9 → random id; labels −100 where not chosen",
}
HYPOTHESIS = settings(max_examples=12, deadline=None,
                      phases=(Phase.explicit, Phase.reuse, Phase.generate))


def tolerances(dtype) -> dict[str, float]:
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-9, "atol": 1e-10}


def unchanged(ex, arrays: dict, before: dict, case: str) -> None:
    for name, value in arrays.items():
        assert_unchanged(before[name], value, exercise=ex, case=case, name=name)


def check_tuple(ex, got, want, names, case, dtype) -> None:
    assert_true(isinstance(got, tuple) and len(got) == len(want), exercise=ex, case=case,
                problem=f"expected a tuple of {len(want)} arrays ({', '.join(names)}), got "
                        f"{type(got).__name__}", hint=f"return {', '.join(names)}")
    for name, g, w in zip(names, got, want, strict=True):
        assert_close(g, w, exercise=ex, case=f"{case}: {name}", hint=HINTS[ex],
                     **tolerances(dtype))


# ---- 6.1 attention forward ------------------------------------------------------------------

def attention_inputs(lead, length, source, e, ev, dtype, mask_kind, seed):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((*lead, length, e)).astype(dtype)
    k = rng.standard_normal((*lead, source, e)).astype(dtype)
    v = rng.standard_normal((*lead, source, ev)).astype(dtype)
    mask = None
    if mask_kind == "causal":
        mask = reference("causal_mask")(length, source, dtype)
    elif mask_kind == "padding":  # the last keys of the first sample are padding
        mask = np.zeros((*lead[:1], *(1,) * (len(lead) - 1), 1, source), dtype)
        mask[0, ..., source // 2 + 1:] = -np.inf
    elif mask_kind == "float":
        mask = rng.standard_normal((length, source)).astype(dtype)
    return q, k, v, mask


@pytest.mark.exercise("6.1")
@HYPOTHESIS
@given(lead=st.sampled_from([(), (2,), (2, 3)]), length=st.integers(1, 5),
       source=st.integers(1, 5), e=st.integers(1, 4), ev=st.integers(1, 3),
       dtype=st.sampled_from([np.float32, np.float64]),
       mask_kind=st.sampled_from(["none", "causal", "padding", "float"]),
       seed=st.integers(0, 2**16))
def test_attention_forward_matches_minidl(impl, lead, length, source, e, ev, dtype, mask_kind,
                                          seed):
    if mask_kind == "padding" and not lead:
        lead = (2,)
    q, k, v, mask = attention_inputs(lead, length, source, e, ev, dtype, mask_kind, seed)
    arrays = {"q": q, "k": k, "v": v}
    before = {n: a.copy() for n, a in arrays.items()}
    scale = 1 / math.sqrt(e)
    case = (f"q {q.shape}, k {k.shape}, v {v.shape}, {np.dtype(dtype)}, mask: {mask_kind}, "
            f"scale 1/√{e}")
    got = impl.attention_forward(q, k, v, mask, scale)
    want = reference("attention_forward")(q, k, v, mask, scale)
    check_tuple("6.1", got, want, ("out", "probs"), case, dtype)
    unchanged("6.1", arrays, before, case)


@pytest.mark.exercise("6.1")
def test_attention_forward_hand_computed(impl):
    # equal scores → each query averages the values; a huge score → it copies one value
    v = np.array([[1.0, 10.0], [3.0, 30.0]])
    out, probs = impl.attention_forward(np.zeros((1, 2)), np.ones((2, 2)), v, None, 1.0)
    assert_close(probs, np.array([[0.5, 0.5]]), exercise="6.1", case="q = 0: equal weights",
                 hint=HINTS["6.1"])
    assert_close(out, np.array([[2.0, 20.0]]), exercise="6.1",
                 case="q = 0: the mean of the values", hint=HINTS["6.1"])
    q, k = np.array([[100.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    out, _ = impl.attention_forward(q, k, v, None, 1.0)
    assert_close(out, np.array([[1.0, 10.0]]), exercise="6.1",
                 case="q·k₀ = 100 ≫ q·k₁ = 0: copy value 0 (no overflow)", hint=HINTS["6.1"])
    out, _ = impl.attention_forward(q, k, v, np.array([[-np.inf, 0.0]]), 1.0)
    assert_close(out, np.array([[3.0, 30.0]]), exercise="6.1",
                 case="key 0 masked with −∞: only value 1 is left", hint=HINTS["6.1"])


# ---- 6.2 causal mask ------------------------------------------------------------------------

@pytest.mark.exercise("6.2")
@pytest.mark.parametrize("length, source", [(3, 3), (2, 4), (4, 2), (1, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_causal_mask_hand_computed(impl, length, source, dtype):
    want = np.array([[0.0 if j <= i else -np.inf for j in range(source)] for i in range(length)],
                    dtype=dtype)
    assert_close(impl.causal_mask(length, source, np.dtype(dtype)), want, exercise="6.2",
                 case=f"L = {length}, S = {source}, {np.dtype(dtype)}", hint=HINTS["6.2"])


# ---- 6.3 softmax backward -------------------------------------------------------------------

@pytest.mark.exercise("6.3")
@HYPOTHESIS
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16),
       data=st.data())
def test_softmax_backward_matches_minidl(impl, shape, dtype, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(seed)
    out = reference("softmax_forward")(rng.standard_normal(shape).astype(dtype), dim)
    grad = rng.standard_normal(shape).astype(dtype)
    before = {"grad": grad.copy(), "out": out.copy()}
    case = f"shape {tuple(shape)}, dim {dim}, {np.dtype(dtype)}"
    assert_close(impl.softmax_backward(grad, out, dim),
                 reference("softmax_backward")(grad, out, dim), exercise="6.3", case=case,
                 hint=HINTS["6.3"], **tolerances(dtype))
    unchanged("6.3", {"grad": grad, "out": out}, before, case)


@pytest.mark.exercise("6.3")
def test_softmax_backward_matches_central_differences(impl):
    rng = np.random.default_rng(3)
    x, grad = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    softmax = reference("softmax_forward")
    want = numeric_grad(lambda x: softmax(x, 1), x, grad)
    assert_close(impl.softmax_backward(grad, softmax(x, 1), 1), want, exercise="6.3",
                 case="(3, 4) along dim 1, vs central differences", hint=HINTS["6.3"],
                 rtol=1e-6, atol=1e-7)


# ---- 6.4 / 6.5 split and merge heads ---------------------------------------------------------

@pytest.mark.exercise("6.4")
def test_split_heads_hand_computed(impl):
    x = np.arange(12.0).reshape(1, 2, 6)  # tokens [0..5] and [6..11], 3 heads of 2
    got = impl.split_heads(x, 3)
    want = np.array([[[[0, 1], [6, 7]], [[2, 3], [8, 9]], [[4, 5], [10, 11]]]], dtype=float)
    assert_close(got, want, exercise="6.4", case="(1, 2, 6) into 3 heads", hint=HINTS["6.4"])
    assert_true(np.asarray(got).flags.c_contiguous, exercise="6.4", case="contiguity",
                problem="the result is not C-contiguous", hint="np.ascontiguousarray(...)")


@pytest.mark.parametrize("ex, name", [pytest.param("6.4", "split_heads",
                                                   marks=pytest.mark.exercise("6.4")),
                                      pytest.param("6.5", "merge_heads",
                                                   marks=pytest.mark.exercise("6.5"))])
@HYPOTHESIS
@given(n=st.integers(1, 3), length=st.integers(1, 4), heads=st.integers(1, 4),
       d=st.integers(1, 3), dtype=st.sampled_from([np.float32, np.float64]))
def test_heads_match_minidl(impl, ex, name, n, length, heads, d, dtype):
    rng = np.random.default_rng(n * 100 + length * 10 + heads)
    if name == "split_heads":
        x = rng.standard_normal((n, length, heads * d)).astype(dtype)
        args = (x, heads)
    else:
        x = rng.standard_normal((n, heads, length, d)).astype(dtype)
        args = (x,)
    before = x.copy()
    case = f"{name}{tuple(x.shape)}" + (f", {heads} heads" if name == "split_heads" else "")
    got = getattr(impl, name)(*args)
    assert_close(got, reference(name)(*args), exercise=ex, case=case, hint=HINTS[ex])
    assert_true(np.asarray(got).flags.c_contiguous, exercise=ex, case=case,
                problem="the result is not C-contiguous", hint="np.ascontiguousarray(...)")
    assert_unchanged(before, x, exercise=ex, case=case, name="x")


@pytest.mark.exercise("6.5")
def test_merge_undoes_split(impl):
    x = np.random.default_rng(0).standard_normal((2, 3, 8))
    assert_close(impl.merge_heads(reference("split_heads")(x, 4)), x, exercise="6.5",
                 case="merge_heads(split_heads(x, 4)) == x", hint=HINTS["6.5"])


# ---- 6.6 sinusoidal positions ----------------------------------------------------------------

@pytest.mark.exercise("6.6")
@pytest.mark.parametrize("positions, dim", [(1, 2), (5, 4), (50, 16), (7, 6)])
def test_sinusoidal_encoding_formula(impl, positions, dim):
    want = np.empty((positions, dim))
    for p in range(positions):
        for i in range(dim // 2):
            angle = p / 10000 ** (2 * i / dim)
            want[p, 2 * i], want[p, 2 * i + 1] = math.sin(angle), math.cos(angle)
    assert_close(impl.sinusoidal_encoding(positions, dim), want, exercise="6.6",
                 case=f"{positions} positions, dim {dim}", hint=HINTS["6.6"], rtol=1e-12,
                 atol=1e-12)


@pytest.mark.exercise("6.6")
def test_sinusoidal_encoding_refuses_odd_dim(impl):
    with pytest.raises(ValueError):
        impl.sinusoidal_encoding(4, 5)


# ---- 6.7 / 6.8 layer norm --------------------------------------------------------------------

def ln_inputs(shape, dtype, affine, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    d = shape[-1]
    w = rng.uniform(0.5, 1.5, d).astype(dtype) if affine else None
    b = rng.standard_normal(d).astype(dtype) if affine else None
    return x, w, b


@pytest.mark.exercise("6.7")
@HYPOTHESIS
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(lambda s: (*s, 5)),
       dtype=st.sampled_from([np.float32, np.float64]), affine=st.booleans(),
       seed=st.integers(0, 2**16))
def test_layer_norm_forward_matches_minidl(impl, shape, dtype, affine, seed):
    x, w, b = ln_inputs(shape, dtype, affine, seed)
    before = x.copy()
    case = f"x {shape}, {np.dtype(dtype)}, " + ("γ, β given" if affine else "no γ, β")
    got = impl.layer_norm_forward(x, w, b, 1e-5)
    want = reference("layer_norm_forward")(x, w, b, 1e-5)
    check_tuple("6.7", got, want, ("y", "mean", "rstd"), case, dtype)
    assert_unchanged(before, x, exercise="6.7", case=case, name="x")


@pytest.mark.exercise("6.7")
def test_layer_norm_forward_hand_computed(impl):
    # [1, 2, 3]: μ = 2, σ² = 2/3 → x̂ = [−1, 0, 1]·√(3/2); then γ = 2, β = 1
    y, mean, rstd = impl.layer_norm_forward(np.array([[1.0, 2.0, 3.0]]), np.full(3, 2.0),
                                            np.ones(3), 0.0)
    s = math.sqrt(1.5)
    assert_close(mean, np.array([2.0]), exercise="6.7", case="[1, 2, 3]: mean", hint=HINTS["6.7"])
    assert_close(rstd, np.array([s]), exercise="6.7", case="[1, 2, 3]: rstd = 1/√(2/3)",
                 hint=HINTS["6.7"])
    assert_close(y, np.array([[1 - 2 * s, 1.0, 1 + 2 * s]]), exercise="6.7",
                 case="[1, 2, 3], γ = 2, β = 1, eps = 0", hint=HINTS["6.7"])


@pytest.mark.exercise("6.8")
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5)])
def test_layer_norm_backward_matches_central_differences(impl, affine, shape):
    x, w, b = ln_inputs(shape, np.float64, True, 7)
    w = w if affine else None
    grad = np.random.default_rng(8).standard_normal(shape)
    forward = reference("layer_norm_forward")
    _, mean, rstd = forward(x, w, b, 1e-5)
    got = impl.layer_norm_backward(grad, x, w, mean, rstd)
    case = f"x {shape}, " + ("γ given" if affine else "no γ") + ", vs central differences"
    want_x = numeric_grad(lambda x: forward(x, w, b, 1e-5)[0], x, grad)
    w_for_diff = np.ones(shape[-1]) if w is None else w
    want_w = numeric_grad(lambda w: forward(x, w, b, 1e-5)[0], w_for_diff, grad)
    want_b = numeric_grad(lambda b: forward(x, w, b, 1e-5)[0], b, grad)
    assert_true(isinstance(got, tuple) and len(got) == 3, exercise="6.8", case=case,
                problem="expected (grad_x, grad_weight, grad_bias)", hint=HINTS["6.8"])
    for name, g, want in zip(("grad_x", "grad_weight", "grad_bias"), got,
                             (want_x, want_w, want_b), strict=True):
        assert_close(g, want, exercise="6.8", case=f"{case}: {name}", hint=HINTS["6.8"],
                     rtol=1e-6, atol=1e-7)


@pytest.mark.exercise("6.8")
@HYPOTHESIS
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=2).map(lambda s: (*s, 6)),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_layer_norm_backward_matches_minidl(impl, shape, dtype, seed):
    x, w, b = ln_inputs(shape, dtype, True, seed)
    _, mean, rstd = reference("layer_norm_forward")(x, w, b, 1e-5)
    grad = np.random.default_rng(seed + 1).standard_normal(shape).astype(dtype)
    case = f"x {shape}, {np.dtype(dtype)}"
    check_tuple("6.8", impl.layer_norm_backward(grad, x, w, mean, rstd),
                reference("layer_norm_backward")(grad, x, w, mean, rstd),
                ("grad_x", "grad_weight", "grad_bias"), case, dtype)


# ---- 6.9 GELU ---------------------------------------------------------------------------------

@pytest.mark.exercise("6.9")
@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_matches_minidl(impl, approximate, dtype):
    x = np.linspace(-6, 6, 61).astype(dtype).reshape(61, 1)
    case = f"x from −6 to 6, approximate={approximate!r}, {np.dtype(dtype)}"
    assert_close(impl.gelu_forward(x, approximate), reference("gelu_forward")(x, approximate),
                 exercise="6.9", case=case, hint=HINTS["6.9"], **tolerances(dtype))


@pytest.mark.exercise("6.9")
def test_gelu_hand_computed(impl):
    # GELU(0) = 0; GELU(1) = Φ(1) = 0.841344746...; far out it is x (right) or 0 (left)
    x = np.array([0.0, 1.0, 10.0, -10.0])
    assert_close(impl.gelu_forward(x, "none"), np.array([0.0, 0.8413447460685429, 10.0, 0.0]),
                 exercise="6.9", case="x = 0, 1, 10, −10 (exact)", hint=HINTS["6.9"],
                 atol=1e-12)


# ---- 6.10 next-token distribution -------------------------------------------------------------

def softmax_rows(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.exercise("6.10")
@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
def test_next_token_distribution_temperature(impl, temperature):
    logits = np.array([[2.0, 1.0, 0.0, -1.0], [0.0, 0.0, 3.0, 0.0]])
    assert_close(impl.next_token_distribution(logits, temperature),
                 softmax_rows(logits / temperature), exercise="6.10",
                 case=f"T = {temperature}, no top-k", hint=HINTS["6.10"])


@pytest.mark.exercise("6.10")
def test_next_token_distribution_top_k_and_greedy(impl):
    logits = np.array([[2.0, 1.0, 0.0, -1.0], [0.5, 3.0, 3.0, 0.0]])
    top2 = np.array([[math.e / (math.e + 1), 1 / (math.e + 1), 0, 0], [0, 0.5, 0.5, 0]])
    assert_close(impl.next_token_distribution(logits, 1.0, top_k=2), top2, exercise="6.10",
                 case="top_k = 2 (the second row: a tie at the top)", hint=HINTS["6.10"])
    top1 = np.array([[1.0, 0, 0, 0], [0, 0.5, 0.5, 0]])
    assert_close(impl.next_token_distribution(logits, 1.0, top_k=1), top1, exercise="6.10",
                 case="top_k = 1 keeps ties at the k-th value", hint=HINTS["6.10"])
    assert_close(impl.next_token_distribution(logits, 1.0, top_k=10), softmax_rows(logits),
                 exercise="6.10", case="top_k = 10 > V keeps everything", hint=HINTS["6.10"])
    greedy = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0]])
    assert_close(impl.next_token_distribution(logits, 0.0), greedy, exercise="6.10",
                 case="T = 0: one-hot at the first largest logit", hint=HINTS["6.10"])
    with pytest.raises(ValueError):
        impl.next_token_distribution(logits, -1.0)
    with pytest.raises(ValueError):
        impl.next_token_distribution(logits, 1.0, top_k=0)


# ---- 6.11 warm-up + cosine ------------------------------------------------------------------

@pytest.mark.exercise("6.11")
@pytest.mark.parametrize("step, want", [(0, 0.25), (1, 0.5), (3, 1.0), (4, 1.0),
                                        (9, 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 5 / 10))),
                                        (14, 0.1), (100, 0.1)])
def test_warmup_cosine_values(impl, step, want):
    got = impl.warmup_cosine(step, 4, 14, 0.1)
    assert_close(np.asarray(got, dtype=np.float64), np.asarray(want), exercise="6.11",
                 case=f"step {step}, warmup 4, max 14, min_ratio 0.1", hint=HINTS["6.11"],
                 rtol=1e-12)


@pytest.mark.exercise("6.11")
def test_warmup_cosine_without_warmup_starts_at_one(impl):
    assert_close(np.asarray(impl.warmup_cosine(0, 0, 10, 0.0), dtype=np.float64),
                 np.asarray(1.0), exercise="6.11", case="no warm-up: step 0 has factor 1",
                 hint=HINTS["6.11"])


# ---- 6.12 BERT's 80/10/10 masking ----------------------------------------------------------

def expected_mlm(tokens, mask_id, vocab, seed, p, special):
    """The rule of exercise 6.12 written out, position by position."""
    rng = np.random.default_rng(seed)
    u, r = rng.random(tokens.shape), rng.random(tokens.shape)
    random_ids = rng.integers(0, vocab, tokens.shape)
    inputs, labels = tokens.copy(), np.full(tokens.shape, -100)
    for idx in np.ndindex(tokens.shape):
        if u[idx] < p and tokens[idx] not in special:
            labels[idx] = tokens[idx]
            if r[idx] < 0.8:
                inputs[idx] = mask_id
            elif r[idx] < 0.9:
                inputs[idx] = random_ids[idx]
    return inputs, labels


@pytest.mark.exercise("6.12")
@pytest.mark.parametrize("p, special", [(0.15, ()), (0.5, (0, 1)), (1.0, (0,))])
def test_mlm_mask_follows_the_rule(impl, p, special):
    tokens = np.random.default_rng(1).integers(0, 12, (6, 9))
    before = tokens.copy()
    got = impl.mlm_mask(tokens, 11, 12, np.random.default_rng(5), p, special)
    want = expected_mlm(tokens, 11, 12, 5, p, special)
    case = f"(6, 9) tokens, mask_prob {p}, special_ids {special}"
    assert_true(isinstance(got, tuple) and len(got) == 2, exercise="6.12", case=case,
                problem="expected (inputs, labels)", hint=HINTS["6.12"])
    for name, g, w in zip(("inputs", "labels"), got, want, strict=True):
        assert_close(g, w.astype(np.int64), exercise="6.12", case=f"{case}: {name}",
                     hint=HINTS["6.12"])
    assert_unchanged(before, tokens, exercise="6.12", case=case, name="tokens")


@pytest.mark.exercise("6.12")
def test_mlm_mask_proportions(impl):
    tokens = np.full((200, 100), 3)
    inputs, labels = impl.mlm_mask(tokens, 0, 1000, np.random.default_rng(0))
    chosen = labels != -100
    frac = chosen.mean()
    masked = (inputs[chosen] == 0).mean()
    kept = (inputs[chosen] == 3).mean()
    case = f"20,000 tokens: {frac:.3f} chosen, of those {masked:.3f} masked, {kept:.3f} kept"
    assert_true(abs(frac - 0.15) < 0.01 and abs(masked - 0.8) < 0.03 and abs(kept - 0.1) < 0.03,
                exercise="6.12", case=case, problem="expected 15 % chosen, 80 % of them masked "
                "and about 10 % kept (10 % random ids)", hint=HINTS["6.12"])
