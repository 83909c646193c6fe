"""Comparison helpers for exercise tests, with messages a beginner can act on.

Every failure raises :class:`ExerciseMismatch` (an ``AssertionError``) whose message names
the exercise, the case that failed, expected vs got (shape, dtype, the worst element with
its index, the relative error) and a hint. The autograder shows that message, without a
traceback, as the exercise's feedback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minidl.course.routing import register_all_slots
from minidl.errors import fmt_shape
from minidl.kernels.slots import slots


class ExerciseMismatch(AssertionError):
    """A learner's result differs from what the exercise asks for."""

    def __init__(self, exercise: str, case: str, problem: str, hint: str = "") -> None:
        self.exercise, self.case, self.problem, self.hint = exercise, case, problem, hint
        lines = [f"Exercise {exercise} is not right yet", f"  case: {case}", *(
            f"  {line}" for line in problem.splitlines())]
        if hint:
            lines.append(f"  hint: {hint}")
        super().__init__("\n".join(lines))


def _describe(a: np.ndarray) -> str:
    return f"shape {fmt_shape(a.shape)}, dtype {a.dtype}"


def _as_array(got: Any, expected: np.ndarray, exercise: str, case: str,
              hint: str) -> np.ndarray:
    if got is None:
        raise ExerciseMismatch(exercise, case, "your function returned None",
                               "did you forget the `return` statement?")
    kind = getattr(got, "type_name", type(got).__name__)  # an Opaque stands for an object
    if kind == "Tensor" or hasattr(got, "grad_fn"):
        raise ExerciseMismatch(exercise, case, "got a minidl Tensor, expected a NumPy array",
                               "exercises work on NumPy arrays: use np.* functions")
    if isinstance(got, (tuple, list)) and any(isinstance(g, np.ndarray) for g in got):
        raise ExerciseMismatch(exercise, case, f"got a {type(got).__name__} of "
                               f"{len(got)} values, expected one array", hint)
    if isinstance(got, (tuple, list)) or not isinstance(
            got, (np.ndarray, np.generic, int, float, bool, complex)):
        raise ExerciseMismatch(
            exercise, case, f"your function returned a {kind}, expected a NumPy array "
            f"({_describe(expected)})", "build the result with NumPy (np.array(...) turns "
            "a list into an array), or return the array you computed")
    return np.asarray(got)


def _relation(arr: np.ndarray, exp: np.ndarray, rtol: float, atol: float) -> str:
    """A whole-array mistake worth naming: the sign flipped, or the transpose."""
    with np.errstate(invalid="ignore", over="ignore"):
        if arr.shape == exp.shape and np.any(np.abs(exp) > atol) and np.allclose(
                arr, -exp, rtol=rtol, atol=atol):
            return "\nthe sign is flipped: your result is −expected"
        if arr.ndim >= 2 and arr.shape == exp.swapaxes(-1, -2).shape and np.allclose(
                arr, exp.swapaxes(-1, -2), rtol=rtol, atol=atol):
            return ("\nyour result is the transpose of the expected one (its last two axes "
                    "are swapped)")
    return ""


def assert_close(
    got: Any,
    expected: Any,
    *,
    exercise: str,
    case: str,
    hint: str = "",
    rtol: float = 1e-6,
    atol: float = 1e-8,
    check_dtype: bool = True,
) -> None:
    """Raise :class:`ExerciseMismatch` unless ``got`` matches ``expected`` elementwise.

    Element i is close when |got_i − expected_i| ≤ atol + rtol·|expected_i| (NaN matches
    nothing). Shapes must be equal (no broadcasting), and dtypes too when ``check_dtype``.
    """
    exp = np.asarray(expected)
    arr = _as_array(got, exp, exercise, case, hint)
    if arr.shape != exp.shape:
        raise ExerciseMismatch(
            exercise, case,
            f"wrong shape: expected {fmt_shape(exp.shape)}, got {fmt_shape(arr.shape)}\n"
            f"expected: {_describe(exp)}\ngot:      {_describe(arr)}"
            f"{_relation(arr, exp, rtol, atol)}", hint)
    if check_dtype and arr.dtype != exp.dtype:
        raise ExerciseMismatch(
            exercise, case,
            f"wrong dtype: expected {exp.dtype}, got {arr.dtype} (values not compared yet; "
            f"e.g. .astype(np.{exp.dtype}))", hint)
    if arr.size == 0:
        return
    got64, exp64 = arr.astype(np.float64), exp.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(got64 - exp64)
        allowed = atol + rtol * np.abs(exp64)
        same_inf = np.isinf(exp64) & (got64 == exp64)
        bad = ~((diff <= allowed) | same_inf)
    if not bad.any():
        return
    excess = np.where(bad, np.nan_to_num(diff - allowed, nan=np.inf, posinf=np.inf), -np.inf)
    flat = int(np.argmax(excess))
    index = np.unravel_index(flat, exp.shape) if exp.ndim else ()
    g, e = got64.reshape(-1)[flat], exp64.reshape(-1)[flat]
    # a relative error means nothing next to an expected 0: the absolute error says it all
    error = (f"abs error {abs(g - e):.3g}" if e == 0 or not np.isfinite(g) else
             f"abs error {abs(g - e):.3g}, relative error {abs(g - e) / abs(e):.3g}")
    where = (f"{int(bad.sum())} of {exp.size} elements differ; the worst, at index "
             f"{tuple(int(i) for i in index)}" if exp.ndim else "the value differs")
    raise ExerciseMismatch(
        exercise, case,
        f"expected: {_describe(exp)}\ngot:      {_describe(arr)}\n"
        f"{where}: got {g:.6g}, expected {e:.6g} ({error}; "
        f"tolerance {atol:g} + {rtol:g}·|expected|){_relation(arr, exp, rtol, atol)}", hint)




def assert_true(ok: bool, *, exercise: str, case: str, problem: str, hint: str = "") -> None:
    """Raise :class:`ExerciseMismatch` with ``problem`` unless ``ok`` (for properties)."""
    if not ok:
        raise ExerciseMismatch(exercise, case, problem, hint)


def assert_unchanged(before: np.ndarray, after: np.ndarray, *, exercise: str, case: str,
                     name: str) -> None:
    """An input array must come back unmodified (exercises are pure functions)."""
    if before.shape != after.shape or not np.array_equal(before, after, equal_nan=True):
        raise ExerciseMismatch(exercise, case, f"your function modified its input `{name}`",
                               f"compute a new array instead of changing `{name}` in place")


def numeric_grad(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, grad: np.ndarray,
                 eps: float = 1e-6) -> np.ndarray:
    """Central differences of L(x) = Σ grad ⊙ f(x) with respect to x (float64).

        ∂L/∂x_i ≈ (L(x + ε e_i) − L(x − ε e_i)) / 2ε

    Shapes: x any shape S; f(x) and grad the same shape T; returns shape S.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.asarray(grad, dtype=np.float64)
    out = np.empty_like(x)
    flat, out_flat = x.reshape(-1), out.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + eps
        up = float(np.sum(grad * f(x)))
        flat[i] = keep - eps
        down = float(np.sum(grad * f(x)))
        flat[i] = keep
        out_flat[i] = (up - down) / (2 * eps)
    return out


def reference(name: str) -> Callable[..., Any]:
    """minidl's own implementation of kernel slot ``name`` (never a learner's override)."""
    register_all_slots()
    return slots()[name].reference
