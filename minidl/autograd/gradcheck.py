"""Check analytical gradients against central finite differences (in float64).

For inputs x and a fixed random projection v of the output, the scalar
L(x) = Σ v ⊙ f(x) has the numerical gradient

    ∂L/∂x_i ≈ (L(x + ε e_i) − L(x − ε e_i)) / 2ε,

which must match what ``backward`` computes. The error of element i is
|analytical − numerical| / max(1, |analytical|, |numerical|).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from minidl.autograd.grad_mode import no_grad
from minidl.errors import DTypeError


class GradcheckError(AssertionError):
    """Analytical and numerical gradients disagree."""


@dataclass
class GradcheckResult:
    """The worst disagreement found, per input and overall."""

    ok: bool
    worst_error: float
    worst_input: int
    worst_index: tuple[int, ...]
    analytical: float
    numerical: float

    def __bool__(self) -> bool:
        return self.ok


def _outputs(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (tuple, list)) else [value]


def gradcheck(
    fn: Callable[..., Any],
    *inputs: Any,
    eps: float = 1e-6,
    tol: float = 1e-6,
    seed: int = 0,
    raise_exception: bool = True,
) -> GradcheckResult:
    """Compare ``backward`` with central differences for each float64 input that requires grad.

    ``fn(*inputs)`` returns a Tensor or a tuple of Tensors. Returns a truthy
    :class:`GradcheckResult`; raises :class:`GradcheckError` naming the worst
    element when the error exceeds ``tol`` (unless ``raise_exception=False``).
    """
    from minidl.tensor import Tensor

    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise DTypeError(
                f"gradcheck: input {i} is {inputs[i].dtype}; use float64 (x.double()) so "
                "finite differences are accurate"
            )

    for i in checked:
        inputs[i]._data = np.ascontiguousarray(inputs[i]._data)
    rng = np.random.default_rng(seed)
    outs = _outputs(fn(*inputs))
    projections = [rng.standard_normal(o.shape) for o in outs]

    def objective() -> float:
        with no_grad():
            values = _outputs(fn(*inputs))
        return float(sum(np.sum(v._data * p) for v, p in zip(values, projections)))

    for i in checked:
        inputs[i].grad = None
    total = None
    for o, p in zip(outs, projections):
        if o.requires_grad:
            term = (o * Tensor(p, dtype=o.dtype)).sum()
            total = term if total is None else total + term
    if total is None:
        raise ValueError("gradcheck: no output depends on an input that requires grad")
    total.backward()

    worst = GradcheckResult(True, 0.0, checked[0], (), 0.0, 0.0)
    for i in checked:
        x = inputs[i]
        analytical = np.zeros(x.shape) if x.grad is None else x.grad._data
        flat = x._data.reshape(-1)  # a view: edits below change x in place
        for j in range(flat.size):
            saved = flat[j]
            flat[j] = saved + eps
            up = objective()
            flat[j] = saved - eps
            down = objective()
            flat[j] = saved
            numerical = (up - down) / (2 * eps)
            a = float(analytical.reshape(-1)[j])
            error = abs(a - numerical) / max(1.0, abs(a), abs(numerical))
            if error > worst.worst_error or not np.isfinite(error):
                idx = tuple(int(k) for k in np.unravel_index(j, x.shape))
                worst = GradcheckResult(error <= tol, error, i, idx, a, numerical)
    worst.ok = worst.worst_error <= tol
    if not worst.ok and raise_exception:
        raise GradcheckError(
            f"gradcheck: input {worst.worst_input} element {worst.worst_index}: "
            f"analytical {worst.analytical:.8g} vs numerical {worst.numerical:.8g} "
            f"(relative error {worst.worst_error:.3g} > {tol:g})"
        )
    return worst
