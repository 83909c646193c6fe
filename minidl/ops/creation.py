"""Factory functions: new tensors from a shape, a value, a range or a random distribution.

Each takes PyTorch's keywords ``dtype``, ``device`` and ``requires_grad``. Floating results
are float32 unless a dtype is given; ``full`` and ``arange`` infer the dtype from their
values as PyTorch does (an int fill gives int64, a float fill float32). Random draws come
from minidl's seeded generator (``minidl.manual_seed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minidl import random as _random
from minidl.device import CPU, check_available, to_device
from minidl.device import device as _parse_device
from minidl.errors import DTypeError, ShapeError, fmt_shape
from minidl.tensor import _DEFAULT_FLOAT, Tensor, _shape_args, int64

# np.arange / np.full on Python numbers: bool → bool, int → int64, float → float32
_INFERRED = {"b": np.dtype(np.bool_), "i": int64, "u": int64, "f": _DEFAULT_FLOAT}


def _size(op: str, size: tuple[Any, ...]) -> tuple[int, ...]:
    shape = _shape_args(size)
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in shape):
        raise ShapeError(f"{op}: expected a size of non-negative ints, got {shape!r}")
    return tuple(int(s) for s in shape)


def _new(array: np.ndarray, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    """Wrap ``array`` (cast to ``dtype`` when given) as a leaf tensor on ``device``."""
    dev = check_available(_parse_device(device))
    if dtype is not None:
        array = array.astype(np.dtype(dtype), copy=False)
    # random draws are made on the host by minidl's generator and uploaded, so a seed gives
    # the same numbers on every device
    array = array if dev is CPU else to_device(array, dev)
    return Tensor._from_op(array, None, 0, dev).requires_grad_(requires_grad)


def _inferred(value: Any) -> np.dtype:
    return _INFERRED.get(np.asarray(value).dtype.kind, _DEFAULT_FLOAT)


# -- filled ------------------------------------------------------------------------------------


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
          ) -> Tensor:
    shape = _size("zeros", size)
    return _new(np.zeros(shape, np.dtype(dtype or _DEFAULT_FLOAT)), None, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
         ) -> Tensor:
    shape = _size("ones", size)
    return _new(np.ones(shape, np.dtype(dtype or _DEFAULT_FLOAT)), None, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
          ) -> Tensor:
    """Uninitialised memory in PyTorch; zeros here, so runs stay reproducible."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size: Sequence[int], fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    shape = _size("full", (tuple(size),))
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    dt = np.dtype(dtype) if dtype is not None else _inferred(value)
    return _new(np.full(shape, value, dt), None, device, requires_grad)


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
               requires_grad: bool = False) -> Tensor:
    return zeros(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
              requires_grad: bool = False) -> Tensor:
    return ones(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
               requires_grad: bool = False) -> Tensor:
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,  # noqa: A002
              requires_grad: bool = False) -> Tensor:
    return full(input.shape, fill_value, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


# -- ranges ------------------------------------------------------------------------------------


def arange(start: float, end: float | None = None, step: float = 1, *, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """[start, end) in steps of ``step``; int64 when all three are integers, else float32."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    dt = np.dtype(dtype) if dtype is not None else _inferred(np.asarray(values))
    return _new(np.arange(*values).astype(dt), None, device, requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    return _new(np.linspace(start, end, steps), dtype or _DEFAULT_FLOAT, device, requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    return _new(np.eye(n, m), dtype or _DEFAULT_FLOAT, device, requires_grad)


# -- random ------------------------------------------------------------------------------------


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
         ) -> Tensor:
    """Uniform samples on [0, 1)."""
    shape = _size("rand", size)
    return _new(_random.default_generator().random(shape), dtype or _DEFAULT_FLOAT, device,
                requires_grad)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
          ) -> Tensor:
    """Standard normal samples."""
    shape = _size("randn", size)
    return _new(_random.default_generator().standard_normal(shape), dtype or _DEFAULT_FLOAT,
                device, requires_grad)


def randint(*args: Any, size: Sequence[int] | None = None, dtype: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high)."""
    if size is None:
        *bounds, size = args
    else:
        bounds = list(args)
    if len(bounds) not in (1, 2):
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size)")
    low, high = (0, bounds[0]) if len(bounds) == 1 else bounds
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    array = _random.default_generator().integers(low, high, _size("randint", (tuple(size),)))
    return _new(array, dtype or int64, device, requires_grad)


def rand_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
              requires_grad: bool = False) -> Tensor:
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
               requires_grad: bool = False) -> Tensor:
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


def randint_like(input: Tensor, low: int, high: int | None = None, *,  # noqa: A002
                 dtype: Any = None, device: Any = None) -> Tensor:
    bounds = (low,) if high is None else (low, high)
    return randint(*bounds, input.shape, dtype=dtype or input.dtype,
                   device=device or input.device)


def randperm(n: int, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
             ) -> Tensor:
    return _new(_random.default_generator().permutation(n), dtype or int64, device,
                requires_grad)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Sequence[int] | None = None, *,
           dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of N(mean, std²): ``normal(0, 1, size=(2, 3))``, or elementwise for tensor
    ``mean``/``std`` (broadcast together)."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = _size("normal", (tuple(size),)) if size is not None else np.broadcast(m, s).shape
    if np.any(np.asarray(s) < 0):
        raise ValueError("normal: std must be ≥ 0")
    like = next((t for t in (mean, std) if isinstance(t, Tensor)), None)
    dt = dtype or (like.dtype if like is not None else _DEFAULT_FLOAT)
    return _new(_random.default_generator().normal(m, s, shape), dt,
                device or (like.device if like is not None else None), requires_grad)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False) -> Tensor:  # noqa: A002
    """Draw ``num_samples`` category indices per row, with probabilities ∝ ``input``.

    input: (C,) or (N, C) non-negative weights (need not sum to 1). Returns int64 (n,) or
    (N, n). Without replacement a category is drawn at most once per row.
    """
    weights = np.asarray(to_device(input._data, CPU), dtype=np.float64)
    if weights.ndim not in (1, 2):
        raise ShapeError(f"multinomial: expected (C,) or (N, C) weights, got "
                         f"{fmt_shape(weights.shape)}")
    if input.dtype.kind != "f":
        raise DTypeError(f"multinomial: weights must be floating point, got {input.dtype}")
    rows = np.atleast_2d(weights)
    if np.any(rows < 0) or not np.all(np.isfinite(rows)) or np.any(rows.sum(axis=1) <= 0):
        raise ValueError("multinomial: weights must be finite, ≥ 0, with a positive sum per row")
    if not replacement and num_samples > np.count_nonzero(rows, axis=1).min():
        raise ValueError(
            f"multinomial: cannot draw {num_samples} samples without replacement from a row "
            f"with only {np.count_nonzero(rows, axis=1).min()} non-zero weights"
        )
    rng = _random.default_generator()
    out = np.stack([rng.choice(rows.shape[1], num_samples, replace=replacement, p=r / r.sum())
                    for r in rows])
    return _new(out.reshape(weights.shape[:-1] + (num_samples,)), int64, input.device, False)
