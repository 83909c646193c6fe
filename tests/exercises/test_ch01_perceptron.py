"""Autograder for chapter 1: the perceptron (1.1–1.3) and activation functions (1.4–1.9).

Expected values come from hand computation, from plain-Python re-derivations written
here, from minidl's reference kernels and from float64 central differences; never from
the implementation under test (``impl``: exercises/ by default, ``--impl solutions``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minidl.grading import (
    ExerciseMismatch,
    assert_close,
    assert_true,
    assert_unchanged,
    numeric_grad,
    reference,
)
from minidl.grading.layouts import LAYOUTS, describe, relayout

CHAPTER = "ch01_perceptron"
POINTS = {"1.1": 2, "1.2": 2, "1.3": 3, "1.4": 2, "1.5": 1, "1.6": 1, "1.7": 1, "1.8": 1,
          "1.9": 1}
HINTS = {
    "1.1": "ŷ = 1 where X @ w + b ≥ 0 (note: ≥, so z = 0 gives 1), else 0; return int64",
    "1.2": "ŷ = step(w·x + b); then w + lr·(y − ŷ)·x and b + lr·(y − ŷ)",
    "1.3": "start at w = 0, b = 0; visit examples in order; update and count only on "
           "mistakes; stop after the first epoch with 0 errors",
    "1.4": "σ(x) = 1/(1+e^(−x)) for x ≥ 0 and e^x/(1+e^x) for x < 0",
    "1.5": "write σ'(x) in terms of σ(x) (that is out, given), then multiply by grad",
    "1.6": "tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x)) = np.tanh(x)",
    "1.7": "write tanh'(x) in terms of tanh(x) (that is out, given), then multiply by grad",
    "1.8": "max(x, 0), keeping x's dtype",
    "1.9": "dL/dx = grad where x > 0, else 0 (also 0 at x = 0)",
}
# no shrinking: feedback must come fast, and assert_close already names the worst element
HYPOTHESIS = settings(max_examples=15, deadline=None,
                      phases=(Phase.explicit, Phase.reuse, Phase.generate))


def tolerances(dtype: np.dtype) -> dict[str, float]:
    return {"rtol": 1e-5, "atol": 1e-7} if dtype == np.float32 else {"rtol": 1e-9, "atol": 1e-12}


@st.composite
def float_arrays(draw, lo: float = -8.0, hi: float = 8.0) -> np.ndarray:
    """float32/float64 arrays of 1–3 dims (sides 1–6), sometimes non-contiguous."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    x = draw(hnp.arrays(dtype, shape, elements=st.floats(lo, hi, width=32)))
    return relayout(x, draw(st.sampled_from(LAYOUTS)))


# ---- 1.1 perceptron_predict ---------------------------------------------------------------

def step_by_hand(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """The step rule written out with Python loops (independent of the exercise)."""
    return np.array([1 if sum(float(xi) * float(wi) for xi, wi in zip(row, w, strict=True))
                     + float(b) >= 0 else 0 for row in X], dtype=np.int64)


@pytest.mark.exercise("1.1")
def test_predict_hand_computed(impl):
    X = np.array([[1.0, 2.0], [-1.0, -1.0], [0.0, 0.0], [2.0, -3.0]])
    w = np.array([0.5, -0.25])
    # z = X·w + 0 = [0, −0.25, 0, 1.75]: z = 0 counts as firing
    got = impl.perceptron_predict(X, w, 0.0)
    assert_close(got, np.array([1, 0, 1, 1], dtype=np.int64), exercise="1.1",
                 case="4 points, w = [0.5, -0.25], b = 0", hint=HINTS["1.1"])


@pytest.mark.exercise("1.1")
def test_predict_uses_the_bias(impl):
    X = np.array([[1.0], [2.0], [3.0]])
    got = impl.perceptron_predict(X, np.array([1.0]), -2.5)
    assert_close(got, np.array([0, 0, 1], dtype=np.int64), exercise="1.1",
                 case="X = [[1], [2], [3]], w = [1], b = -2.5", hint="remember to add b")


@pytest.mark.exercise("1.1")
@HYPOTHESIS
@given(n=st.integers(1, 9), d=st.integers(1, 5), b=st.integers(-4, 4), data=st.data(),
       transposed=st.booleans())
def test_predict_random(impl, n, d, b, data, transposed):
    ints = st.integers(-3, 3).map(float)
    X = data.draw(hnp.arrays(np.float64, (n, d), elements=ints))  # exact sums: z = 0 occurs
    w = data.draw(hnp.arrays(np.float64, (d,), elements=ints))
    if transposed:
        X = np.asfortranarray(X)
    before = X.copy()
    got = impl.perceptron_predict(X, w, np.float64(b))
    case = f"{describe('X', X)}, w of shape {w.shape}, b = {b}"
    assert_close(got, step_by_hand(X, w, b), exercise="1.1", case=case, hint=HINTS["1.1"])
    assert_unchanged(before, X, exercise="1.1", case=case, name="X")


# ---- 1.2 perceptron_update ----------------------------------------------------------------

def check_update(impl, w, b, x, y, lr, want_w, want_b, case):
    w = np.asarray(w, dtype=np.float64)
    before = w.copy()
    result = impl.perceptron_update(w, b, np.asarray(x, dtype=np.float64), y, lr)
    assert_true(isinstance(result, tuple) and len(result) == 2, exercise="1.2", case=case,
                problem=f"expected a tuple (new_w, new_b), got {type(result).__name__}",
                hint="return new_w, new_b")
    new_w, new_b = result
    assert_close(new_w, np.asarray(want_w, dtype=np.float64), exercise="1.2",
                 case=case + " (new_w)", hint=HINTS["1.2"], rtol=1e-12, atol=1e-12)
    assert_close(np.asarray(new_b, dtype=np.float64), np.float64(want_b), exercise="1.2",
                 case=case + " (new_b)", hint=HINTS["1.2"], rtol=1e-12, atol=1e-12)
    assert_unchanged(before, w, exercise="1.2", case=case, name="w")


@pytest.mark.exercise("1.2")
def test_update_false_negative(impl):
    # z = 1 − 2 − 1 = −2 → ŷ = 0, y = 1: w += 0.5·x, b += 0.5
    check_update(impl, [1.0, -1.0], -1.0, [1.0, 2.0], 1, 0.5, [1.5, 0.0], -0.5,
                 "w = [1, -1], b = -1, x = [1, 2], y = 1, lr = 0.5 (ŷ = 0: a false negative)")


@pytest.mark.exercise("1.2")
def test_update_false_positive(impl):
    # z = 3 → ŷ = 1, y = 0: w −= 0.1·x, b −= 0.1
    check_update(impl, [1.0, 1.0], 0.0, [2.0, 1.0], 0, 0.1, [0.8, 0.9], -0.1,
                 "w = [1, 1], b = 0, x = [2, 1], y = 0, lr = 0.1 (ŷ = 1: a false positive)")


@pytest.mark.exercise("1.2")
@pytest.mark.parametrize("y, x", [(1, [1.0, 1.0]), (0, [-1.0, -1.0]), (1, [0.0, -0.25])])
def test_update_changes_nothing_when_correct(impl, y, x):
    check_update(impl, [1.0, 2.0], 0.5, x, y, 0.7, [1.0, 2.0], 0.5,
                 f"w = [1, 2], b = 0.5, x = {x}, y = {y}: already correct, nothing may change")


@pytest.mark.exercise("1.2")
@HYPOTHESIS
@given(d=st.integers(1, 6), b=st.integers(-3, 3), y=st.integers(0, 1),
       lr=st.sampled_from([0.1, 0.5, 1.0, 2.0]), data=st.data())
def test_update_random(impl, d, b, y, lr, data):
    ints = st.integers(-3, 3).map(float)
    w = data.draw(hnp.arrays(np.float64, (d,), elements=ints))
    x = data.draw(hnp.arrays(np.float64, (d,), elements=ints))
    y_hat = 1 if sum(wi * xi for wi, xi in zip(w, x, strict=True)) + b >= 0 else 0
    want_w = [wi + lr * (y - y_hat) * xi for wi, xi in zip(w, x, strict=True)]
    check_update(impl, w, float(b), x, y, lr, want_w, b + lr * (y - y_hat),
                 f"w = {w.tolist()}, b = {b}, x = {x.tolist()}, y = {y}, lr = {lr}")


# ---- 1.3 train_perceptron -----------------------------------------------------------------

def train_by_hand(X, y, lr, epochs):
    """The online perceptron written out with Python lists (independent of the exercise)."""
    w, b, errors = [0.0] * len(X[0]), 0.0, []
    for _ in range(epochs):
        mistakes = 0
        for row, target in zip(X.tolist(), y.tolist(), strict=True):
            y_hat = 1 if sum(a * c for a, c in zip(w, row, strict=True)) + b >= 0 else 0
            if y_hat != target:
                w = [a + lr * (target - y_hat) * c for a, c in zip(w, row, strict=True)]
                b += lr * (target - y_hat)
                mistakes += 1
        errors.append(mistakes)
        if mistakes == 0:
            break
    return np.array(w), b, errors


def check_training(impl, X, y, lr, epochs, want, case):
    result = impl.train_perceptron(X, y, lr=lr, epochs=epochs)
    assert_true(isinstance(result, tuple) and len(result) == 3, exercise="1.3", case=case,
                problem=f"expected a tuple (w, b, errors), got {type(result).__name__}",
                hint="return w, b, errors")
    w, b, errors = result
    want_w, want_b, want_errors = want
    assert_close(np.asarray(errors, dtype=np.int64), np.asarray(want_errors, dtype=np.int64),
                 exercise="1.3", case=case + " (errors per epoch)", hint=HINTS["1.3"],
                 check_dtype=False, rtol=0, atol=0)
    assert_close(w, np.asarray(want_w, dtype=np.float64), exercise="1.3", case=case + " (w)",
                 hint=HINTS["1.3"], rtol=1e-12, atol=1e-12)
    assert_close(np.asarray(b, dtype=np.float64), np.float64(want_b), exercise="1.3",
                 case=case + " (b)", hint=HINTS["1.3"], rtol=1e-12, atol=1e-12)
    return w, b, errors


@pytest.mark.exercise("1.3")
def test_train_hand_computed(impl):
    # epoch 1: x=1 → z=0, ŷ=1 ✓; x=−1 → z=0, ŷ=1 ✗ → w=1, b=−1.  epoch 2: no mistakes.
    X, y = np.array([[1.0], [-1.0]]), np.array([1, 0])
    check_training(impl, X, y, 1.0, 10, ([1.0], -1.0, [1, 0]),
                   "X = [[1], [-1]], y = [1, 0], lr = 1")


@pytest.mark.exercise("1.3")
def test_train_converges_on_separable_data(impl):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(60, 2))
    margin = X @ np.array([1.0, -2.0]) + 0.3
    X, y = X[np.abs(margin) > 0.2], (margin[np.abs(margin) > 0.2] > 0).astype(np.int64)
    case = f"{len(X)} linearly separable points (margin 0.2), lr = 0.5, epochs = 100"
    w, b, errors = check_training(impl, X, y, 0.5, 100, train_by_hand(X, y, 0.5, 100), case)
    predictions = (X @ w + b >= 0).astype(np.int64)
    assert_true(errors[-1] == 0 and np.array_equal(predictions, y), exercise="1.3", case=case,
                problem="training did not reach zero errors on separable data",
                hint=HINTS["1.3"])


@pytest.mark.exercise("1.3")
def test_train_never_separates_xor(impl):
    X, y = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0, 1, 1, 0])
    _, _, errors = check_training(impl, X, y, 1.0, 8, train_by_hand(X, y, 1.0, 8),
                                  "XOR, lr = 1, epochs = 8")
    assert_true(len(errors) == 8 and min(errors) > 0, exercise="1.3", case="XOR",
                problem=f"XOR is not linearly separable, yet errors per epoch were {errors}",
                hint="run all `epochs` epochs unless an epoch has zero errors")


@pytest.mark.exercise("1.3")
@HYPOTHESIS
@given(n=st.integers(1, 8), d=st.integers(1, 3), epochs=st.integers(1, 6),
       lr=st.sampled_from([0.5, 1.0]), data=st.data())
def test_train_random(impl, n, d, epochs, lr, data):
    X = data.draw(hnp.arrays(np.float64, (n, d), elements=st.integers(-3, 3).map(float)))
    y = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, 1)))
    before = X.copy()
    check_training(impl, X, y, lr, epochs, train_by_hand(X, y, lr, epochs),
                   f"X = {X.tolist()}, y = {y.tolist()}, lr = {lr}, epochs = {epochs}")
    assert_unchanged(before, X, exercise="1.3", case="random data", name="X")


# ---- 1.4–1.9 activation kernels --------------------------------------------------------

FORWARDS = [  # (exercise, kernel, hand-computed (x, f(x)) pairs)
    pytest.param("1.4", "sigmoid_forward",
                 [(0.0, 0.5), (np.log(3.0), 0.75), (-np.log(3.0), 0.25), (-1000.0, 0.0),
                  (1000.0, 1.0)], marks=pytest.mark.exercise("1.4"), id="sigmoid"),
    pytest.param("1.6", "tanh_forward",
                 [(0.0, 0.0), (np.log(2.0), 0.6), (-np.log(2.0), -0.6), (-1000.0, -1.0),
                  (1000.0, 1.0)], marks=pytest.mark.exercise("1.6"), id="tanh"),
    pytest.param("1.8", "relu_forward",
                 [(0.0, 0.0), (2.5, 2.5), (-2.5, 0.0), (-1000.0, 0.0), (1000.0, 1000.0)],
                 marks=pytest.mark.exercise("1.8"), id="relu"),
]
BACKWARDS = [  # (exercise, kernel, its forward kernel, second argument: "out" or "x")
    pytest.param("1.5", "sigmoid_backward", "sigmoid_forward", "out",
                 marks=pytest.mark.exercise("1.5"), id="sigmoid"),
    pytest.param("1.7", "tanh_backward", "tanh_forward", "out",
                 marks=pytest.mark.exercise("1.7"), id="tanh"),
    pytest.param("1.9", "relu_backward", "relu_forward", "x",
                 marks=pytest.mark.exercise("1.9"), id="relu"),
]


def run_forward(impl, ex, name, x):
    """Call the learner's kernel with overflow/invalid warnings turned into failures."""
    before = x.copy()
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"), \
                warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            got = getattr(impl, name)(x)
    except (FloatingPointError, RuntimeWarning) as err:
        raise ExerciseMismatch(ex, describe("x", x), f"numerical problem: {err}",
                               HINTS[ex] + " (never exponentiate a large positive number)"
                               ) from None
    assert_unchanged(before, x, exercise=ex, case=describe("x", x), name="x")
    return got


@pytest.mark.parametrize("ex, name, pairs", FORWARDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_hand_computed(impl, ex, name, pairs, dtype):
    x = np.array([p[0] for p in pairs], dtype=dtype)
    want = np.array([p[1] for p in pairs], dtype=dtype)
    got = run_forward(impl, ex, name, x)
    assert_close(got, want, exercise=ex, case=f"x = {x.tolist()} ({np.dtype(dtype)})",
                 hint=HINTS[ex], **tolerances(np.dtype(dtype)))


@pytest.mark.parametrize("ex, name, pairs", FORWARDS)
@HYPOTHESIS
@given(x=float_arrays(lo=-60.0, hi=60.0))
def test_forward_matches_minidl(impl, ex, name, pairs, x):
    got = run_forward(impl, ex, name, x)
    assert_close(got, reference(name)(x), exercise=ex, case=describe("x", x), hint=HINTS[ex],
                 **tolerances(x.dtype))


def second_argument(forward: str, kind: str, x: np.ndarray) -> np.ndarray:
    return reference(forward)(x) if kind == "out" else x


@pytest.mark.parametrize("ex, name, forward, kind", BACKWARDS)
@HYPOTHESIS
@given(x=float_arrays(lo=-5.0, hi=5.0), seed=st.integers(0, 2**16))
def test_backward_matches_minidl(impl, ex, name, forward, kind, x, seed):
    grad = np.random.default_rng(seed).standard_normal(x.shape).astype(x.dtype)
    arg = second_argument(forward, kind, x)
    before = arg.copy()
    got = getattr(impl, name)(grad, arg)
    case = f"{describe('grad', grad)}, {kind} of the same shape"
    assert_close(got, reference(name)(grad, arg), exercise=ex, case=case, hint=HINTS[ex],
                 **tolerances(x.dtype))
    assert_unchanged(before, arg, exercise=ex, case=case, name=kind)


@pytest.mark.parametrize("ex, name, forward, kind", BACKWARDS)
@pytest.mark.parametrize("shape", [(1,), (3, 4), (2, 3, 5)])
def test_backward_matches_central_differences(impl, ex, name, forward, kind, shape):
    rng = np.random.default_rng(len(shape))
    x = rng.uniform(-3, 3, size=shape)
    x[np.abs(x) < 0.05] = 0.5  # keep away from ReLU's kink at 0
    grad = rng.standard_normal(shape)
    got = getattr(impl, name)(grad, second_argument(forward, kind, x))
    assert_close(got, numeric_grad(reference(forward), x, grad), exercise=ex,
                 case=f"float64 x of shape {shape} vs central differences of {forward}",
                 hint=HINTS[ex], rtol=1e-6, atol=1e-7)


@pytest.mark.exercise("1.9")
def test_relu_backward_is_zero_at_zero(impl):
    grad, x = np.array([2.0, 3.0, 4.0]), np.array([-1.0, 0.0, 1.0])
    assert_close(impl.relu_backward(grad, x), np.array([0.0, 0.0, 4.0]), exercise="1.9",
                 case="x = [-1, 0, 1], grad = [2, 3, 4]", hint=HINTS["1.9"])
