"""Gradient clipping for training loops, PyTorch's ``nn.utils.clip_grad_norm_`` / ``_value_``.

Call them between ``loss.backward()`` and ``optimizer.step()``::

    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()

Both change each parameter's ``.grad`` in place; parameters whose ``.grad`` is None are
skipped.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from minidl.kernels.dispatch import asarray, kernels
from minidl.tensor import Tensor, float32

_K = kernels("clip")


def _with_grads(parameters: Tensor | Iterable[Tensor], caller: str) -> list[Tensor]:
    """The tensors among ``parameters`` (one tensor or an iterable) that hold a gradient."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(
                f"{caller}: expected tensors (e.g. model.parameters()), "
                f"got {type(p).__name__} at position {i}"
            )
    return [p for p in params if p.grad is not None]


def _check_non_negative(caller: str, name: str, value: object) -> None:
    if not (isinstance(value, numbers.Real) and not isinstance(value, bool) and value >= 0):
        raise ValueError(f"{caller}: expected {name} ≥ 0, got {value!r}")


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Rescale the gradients so that their joint ``norm_type``-norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if concatenated into one vector;
    when it exceeds ``max_norm`` every gradient is multiplied by max_norm / (norm + 10⁻⁶).
    ``norm_type`` may be ``float('inf')`` (the largest absolute element).

    Returns the total norm *before* clipping as a 0-d tensor, as PyTorch does (``.item()``
    gives the number to log).
    With ``error_if_nonfinite=True`` a NaN or infinite norm raises a RuntimeError.
    """
    caller = "clip_grad_norm_"
    _check_non_negative(caller, "max_norm", max_norm)
    if not (isinstance(norm_type, numbers.Real) and norm_type > 0):
        raise ValueError(f"{caller}: norm_type must be > 0 or inf, got {norm_type!r}")
    params = _with_grads(parameters, caller)
    clipped, total = _K.clip_grad_norm([p.grad._data for p in params], max_norm, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"{caller}: the total norm of order {norm_type} of the gradients is {total}; "
            "check the loss for NaN/inf, or pass error_if_nonfinite=False to clip anyway"
        )
    for p, g in zip(params, clipped, strict=True):
        p.grad.copy_(g)
    dtype = params[0].grad.dtype if params else float32
    return Tensor(asarray(total, dtype=dtype), device=params[0].device if params else None)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into [−clip_value, clip_value], in place."""
    caller = "clip_grad_value_"
    _check_non_negative(caller, "clip_value", clip_value)
    params = _with_grads(parameters, caller)
    clipped = _K.clip_grad_value([p.grad._data for p in params], clip_value)
    for p, g in zip(params, clipped, strict=True):
        p.grad.copy_(g)
