"""Metrics: numbers that say how good a model's predictions are (not differentiated).

Each metric takes the model's ``output`` and the ``target`` (Tensors or arrays)
and returns a Python float averaged over the samples, so per-batch values can be
combined into an epoch value by a sample-weighted mean.

==============  ==========================================================
``accuracy``    fraction of samples whose predicted class is the true one
``mse``         mean squared error   (1/n) Σ (output − target)²
``mae``         mean absolute error  (1/n) Σ |output − target|
==============  ==========================================================

Metrics are chosen by name (``metrics=("accuracy", "mae")``) or passed as any
callable ``fn(output, target) -> float``; :func:`get_metric` resolves both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minidl.errors import ShapeError, fmt_shape
from minidl.tensor import Tensor

Metric = Callable[[Any, Any], float]


def _array(x: Any) -> np.ndarray:
    return x.detach()._data if isinstance(x, Tensor) else np.asarray(x)


def accuracy(output: Any, target: Any, threshold: float = 0.5) -> float:
    """Fraction of correctly classified samples, in [0, 1].

    Multi-class: ``output`` (N, C) with C ≥ 2 holds scores (logits or
    probabilities); the prediction is ``argmax_c output[n, c]``. ``target`` is
    (N,) integer labels, or (N, C) one-hot / probabilities (compared by argmax).

    Binary: ``output`` (N,) or (N, 1) holds one score per sample; the prediction
    is ``output > threshold`` and ``target`` holds 0/1 labels of the same size.
    The default threshold 0.5 suits probabilities (after a sigmoid); use
    ``threshold=0.0`` for logits (``fit`` does this by itself when the loss is
    ``BCEWithLogitsLoss``).

        accuracy = (1/N) Σ_n [prediction_n = target_n]
    """
    out, tgt = _array(output), _array(target)
    n = out.shape[0] if out.ndim else 0
    if out.ndim == 2 and out.shape[1] >= 2:
        pred = out.argmax(axis=1)
        if tgt.shape == out.shape:
            tgt = tgt.argmax(axis=1)
        elif tgt.shape != (n,):
            raise ShapeError(
                f"accuracy: scores {fmt_shape(out.shape)} need labels ({n},) or one-hot "
                f"{fmt_shape(out.shape)}, got {fmt_shape(tgt.shape)}"
            )
    elif out.ndim in (1, 2) and out.size == n:
        pred = out.reshape(n) > threshold
        if tgt.size != n:
            raise ShapeError(
                f"accuracy: binary scores {fmt_shape(out.shape)} need {n} labels, "
                f"got {fmt_shape(tgt.shape)}"
            )
        tgt = tgt.reshape(n)
    else:
        raise ShapeError(
            f"accuracy: expected scores (N, C) or binary scores (N,) / (N, 1), "
            f"got {fmt_shape(out.shape)}"
        )
    if n == 0:
        raise ShapeError("accuracy: got an empty batch")
    return float(np.mean(pred == tgt))


def _paired(name: str, output: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    """Output and target as float arrays of one shape; (N, 1) and (N,) pair up."""
    out, tgt = _array(output), _array(target)
    if out.size != tgt.size or out.size == 0:
        raise ShapeError(
            f"{name}: output {fmt_shape(out.shape)} and target {fmt_shape(tgt.shape)} "
            "must hold the same (non-zero) number of values"
        )
    return out.astype(np.float64), tgt.reshape(out.shape).astype(np.float64)


def mse(output: Any, target: Any) -> float:
    """Mean squared error (1/n) Σ (output − target)² over all n values.

    ``output`` and ``target`` must hold the same number of values; a (N, 1)
    output pairs with a (N,) target.
    """
    out, tgt = _paired("mse", output, target)
    return float(np.mean((out - tgt) ** 2))


def mae(output: Any, target: Any) -> float:
    """Mean absolute error (1/n) Σ |output − target| over all n values (shapes as in mse)."""
    out, tgt = _paired("mae", output, target)
    return float(np.mean(np.abs(out - tgt)))


METRICS: dict[str, Metric] = {
    "accuracy": accuracy,
    "acc": accuracy,
    "mse": mse,
    "mean_squared_error": mse,
    "mae": mae,
    "mean_absolute_error": mae,
}


def get_metric(metric: str | Metric) -> tuple[str, Metric]:
    """``(name, fn)`` for a metric name in :data:`METRICS` or a callable.

    A callable is named after its ``__name__`` (``functools.partial`` objects
    after the function they wrap), so History keys read ``"val_f1"`` for ``f1``.
    """
    if isinstance(metric, str):
        if metric not in METRICS:
            raise ValueError(
                f"metrics: unknown metric {metric!r}; choose one of {sorted(METRICS)} "
                "or pass a callable fn(output, target) -> float"
            )
        return metric, METRICS[metric]
    if callable(metric):
        name = getattr(metric, "__name__", None) or getattr(metric, "func", metric).__name__
        return name, metric
    raise TypeError(f"metrics: expected a name or a callable, got {type(metric).__name__}")
