"""A Keras-style facade: ``compile`` once, then ``fit``/``evaluate``/``predict`` on arrays.

The classic Keras example reads almost the same (``nn.Sequential`` has thin
methods that call these functions)::

    from minidl import nn
    from minidl.train.keras import Dense

    model = nn.Sequential(Dense(64, activation="relu"), Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(X, y, epochs=10, batch_size=32)

As in Keras, the cross-entropy losses take **probabilities**, the outputs of a
final ``sigmoid`` (binary) or ``softmax`` (categorical) layer, clipped to
[1e-7, 1 − 1e-7] before the log so that a saturated output costs a large but
finite loss. (In PyTorch style the last layer emits logits and the loss applies
the sigmoid/softmax itself, which is more accurate: ``nn.BCEWithLogitsLoss``,
``nn.CrossEntropyLoss``; those work here too, passed as ``loss``.)

=================================  ============================================
loss name                          output (N, ...) vs target
=================================  ============================================
``binary_crossentropy``            probabilities vs 0/1 labels of the same size
``categorical_crossentropy``       (N, C) probabilities vs one-hot (N, C)
``sparse_categorical_crossentropy`` (N, C) probabilities vs integer labels (N,)
``mse`` / ``mean_squared_error``   values vs targets of the same size
``mae`` / ``mean_absolute_error``  values vs targets of the same size
=================================  ============================================

Optimizer names get Keras' default learning rates (``adam`` 0.001, ``sgd`` 0.01,
``rmsprop`` 0.001, ``adagrad`` 0.001, ``adamw`` 0.001); their other settings are
minidl's (PyTorch's) defaults. The optimizer is built on the first ``fit`` and kept
for later ``fit`` calls, as in Keras.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from minidl import functional as F
from minidl import nn, optim
from minidl.errors import ShapeError, fmt_shape
from minidl.tensor import Tensor
from minidl.train import loop
from minidl.train.callbacks import Callback
from minidl.train.history import History
from minidl.train.metrics import Metric

_EPS = 1e-7


# -- losses on probabilities -----------------------------------------------------------


def _as_float_target(name: str, output: Tensor, target: Any) -> Tensor:
    """``target`` as a float tensor of ``output``'s shape ((N,) targets fit (N, 1) outputs)."""
    y = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if y.numel() != output.numel():
        raise ShapeError(f"{name}: output {fmt_shape(output.shape)} and target "
                         f"{fmt_shape(y.shape)} must hold the same number of values")
    return y.to(output.dtype).reshape(output.shape)


def binary_crossentropy(output: Tensor, target: Any) -> Tensor:
    """Mean of −[y log p + (1 − y) log(1 − p)], p = output clipped to [ε, 1 − ε], ε = 1e-7.

    ``output``: probabilities (after a sigmoid), any shape; ``target``: 0/1 labels
    of the same size. Returns a scalar.
    """
    y = _as_float_target("binary_crossentropy", output, target)
    return F.binary_cross_entropy(output.clip(_EPS, 1 - _EPS), y)


def categorical_crossentropy(output: Tensor, target: Any) -> Tensor:
    """(1/N) Σ_n −Σ_c y_nc log p_nc with p = output / Σ_c output, clipped to [ε, 1 − ε].

    ``output``: (N, C) probabilities (after a softmax); ``target``: (N, C) one-hot
    rows (or class probabilities). Returns a scalar.
    """
    if output.ndim != 2:
        raise ShapeError(f"categorical_crossentropy: expected probabilities (N, C), "
                         f"got {fmt_shape(output.shape)}")
    y = _as_float_target("categorical_crossentropy", output, target)
    p = (output / output.sum(dim=1, keepdim=True)).clip(_EPS, 1 - _EPS)
    return -(y * p.log()).sum(dim=1).mean()


def sparse_categorical_crossentropy(output: Tensor, target: Any) -> Tensor:
    """categorical_crossentropy with integer labels: ``target`` (N,) in [0, C), output (N, C)."""
    labels = (target._data if isinstance(target, Tensor) else np.asarray(target)).reshape(-1)
    if output.ndim != 2 or labels.shape != (output.shape[0],) or labels.dtype.kind not in "iu":
        raise ShapeError(f"sparse_categorical_crossentropy: expected probabilities (N, C) and "
                         f"integer labels (N,), got {fmt_shape(output.shape)} and "
                         f"{labels.dtype} {fmt_shape(np.shape(target))}")
    classes = output.shape[1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"sparse_categorical_crossentropy: labels must lie in [0, {classes}), "
                         f"got [{labels.min()}, {labels.max()}]")
    return categorical_crossentropy(output, np.eye(classes, dtype=output.dtype)[labels])


def mean_squared_error(output: Tensor, target: Any) -> Tensor:
    """(1/n) Σ (output − target)² over all n values; target reshaped to output's shape."""
    return F.mse_loss(output, _as_float_target("mse", output, target))


def mean_absolute_error(output: Tensor, target: Any) -> Tensor:
    """(1/n) Σ |output − target| over all n values; target reshaped to output's shape."""
    return (output - _as_float_target("mae", output, target)).abs().mean()


LOSSES: dict[str, Callable[[Tensor, Any], Tensor]] = {
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "mse": mean_squared_error,
    "mean_squared_error": mean_squared_error,
    "mae": mean_absolute_error,
    "mean_absolute_error": mean_absolute_error,
}

OPTIMIZERS: dict[str, tuple[str, float]] = {
    "sgd": ("SGD", 0.01),
    "adam": ("Adam", 0.001),
    "rmsprop": ("RMSprop", 0.001),
    "adagrad": ("Adagrad", 0.001),
    "adamw": ("AdamW", 0.001),
}


# -- compile / fit / evaluate / predict ------------------------------------------------


@dataclass
class Compiled:
    """What ``compile`` fixed for a model; ``optimizer`` is built on the first ``fit``."""

    loss: Callable[[Tensor, Any], Tensor]
    optimizer_spec: Any
    metrics: tuple[str | Metric, ...]
    optimizer: Any = None


_compiled: weakref.WeakKeyDictionary[nn.Module, Compiled] = weakref.WeakKeyDictionary()


def compile(  # noqa: A001  (Keras' name)
    model: nn.Module,
    loss: str | Callable[[Tensor, Any], Tensor],
    optimizer: Any = "adam",
    metrics: Sequence[str | Metric] = (),
) -> None:
    """Fix ``model``'s loss, optimizer and metrics for ``fit``/``evaluate``.

    ``loss``: a name (module docstring) or a callable/loss module taking
    ``(output, target)``. ``optimizer``: a name, an ``optim`` class (built with
    its default lr) or an optimizer instance. ``metrics``: names or callables.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"compile: model must be an nn.Module, got {type(model).__name__}")
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"compile: unknown loss {loss!r}; choose one of {sorted(LOSSES)} "
                             "or pass a callable")
        loss = LOSSES[loss]
    elif not callable(loss):
        raise TypeError(f"compile: loss must be a name or a callable, got {type(loss).__name__}")
    if isinstance(optimizer, str) and optimizer.lower() not in OPTIMIZERS:
        raise ValueError(f"compile: unknown optimizer {optimizer!r}; choose one of "
                         f"{sorted(OPTIMIZERS)}, an optim class or an optimizer instance")
    if isinstance(metrics, str):
        metrics = (metrics,)
    loop.resolve_metrics(metrics, loss)  # reject unknown metric names now, not at fit
    _compiled[model] = Compiled(loss, optimizer, tuple(metrics))


def fit(
    model: nn.Module,
    x: Any,
    y: Any,
    epochs: int = 1,
    batch_size: int = 32,
    validation_split: float = 0.0,
    validation_data: tuple[Any, Any] | None = None,
    shuffle: bool = True,
    callbacks: Sequence[Callback] = (),
    verbose: int = 1,
) -> History:
    """Train a compiled ``model`` on arrays ``x`` (N, ...) and ``y`` (N, ...); return History.

    ``validation_split`` holds out the **last** fraction of the samples (before
    any shuffling, as Keras does); ``validation_data=(x_val, y_val)`` takes
    precedence over it. ``verbose=0`` prints nothing, otherwise a progress bar
    per epoch. Floating inputs are cast to float32.
    """
    config = compiled(model)
    x, y = _as_tensor(x), _as_tensor(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ShapeError(f"fit: x and y need one row per sample, got x {fmt_shape(x.shape)} "
                         f"and y {fmt_shape(y.shape)}")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"fit: validation_split must lie in [0, 1), got {validation_split}")
    val_data = None
    if validation_data is not None:
        val_data = tuple(_as_tensor(v) for v in validation_data)
    elif validation_split > 0:
        split_at = math.floor(len(x) * (1.0 - validation_split))
        if split_at == 0 or split_at == len(x):
            raise ValueError(f"fit: validation_split={validation_split} of {len(x)} samples "
                             "leaves no training or no validation samples")
        x, y, val_data = x[:split_at], y[:split_at], (x[split_at:], y[split_at:])
    optimizer = _optimizer(config, model)
    return loop.fit(model, config.loss, optimizer, (x, y), epochs=epochs,
                    batch_size=batch_size, val_data=val_data, metrics=config.metrics,
                    callbacks=callbacks, shuffle=shuffle, progress=verbose > 0)


def evaluate(model: nn.Module, x: Any, y: Any, batch_size: int = 32,
             verbose: int = 0) -> float | list[float]:
    """The compiled loss on ``(x, y)``, or ``[loss, *metrics]`` when metrics were compiled."""
    config = compiled(model)
    logs = loop.evaluate(model, (_as_tensor(x), _as_tensor(y)), config.loss,
                         metrics=config.metrics, batch_size=batch_size)
    if verbose:
        print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def predict(model: nn.Module, x: Any, batch_size: int = 32) -> np.ndarray:
    """``model``'s outputs for ``x`` (N, ...) as a NumPy array (eval mode, no grad)."""
    return loop.predict(model, _as_tensor(x), batch_size=batch_size).numpy()


def compiled(model: nn.Module) -> Compiled:
    """What ``compile`` fixed for ``model`` (and its optimizer, once ``fit`` built it)."""
    if model not in _compiled:
        raise RuntimeError(f"{type(model).__name__} is not compiled: compile the model first, "
                           "e.g. model.compile(loss='binary_crossentropy', optimizer='adam')")
    return _compiled[model]


def _as_tensor(data: Any) -> Tensor:
    t = data if isinstance(data, Tensor) else Tensor(np.asarray(data))
    return t.float() if t.dtype.kind == "f" else t


def _optimizer(config: Compiled, model: nn.Module) -> Any:
    """The compiled optimizer, built now from a name or class if not built yet."""
    if config.optimizer is None:
        spec = config.optimizer_spec
        if isinstance(spec, str):
            cls_name, lr = OPTIMIZERS[spec.lower()]
            spec = getattr(optim, cls_name)(model.parameters(), lr=lr)
        elif isinstance(spec, type):
            spec = spec(model.parameters())
        config.optimizer = spec
    return config.optimizer


# -- layers -------------------------------------------------------------------------------


ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "softmax": lambda: nn.Softmax(dim=-1),
}


def Dense(units: int, activation: str | None = None,  # noqa: N802  (Keras' name)
          input_dim: int | None = None) -> nn.Module:
    """Keras' ``Dense``: a linear layer with ``units`` outputs, then ``activation``.

    ``nn.Linear(input_dim, units)`` when ``input_dim`` is given, else
    ``nn.LazyLinear(units)`` (input size taken from the first batch). With an
    activation ("relu", "sigmoid", "tanh", "softmax" over the last dim, "gelu";
    "linear" or None for none) the result is ``nn.Sequential(linear, activation)``.
    Input (N, in) → output (N, units).
    """
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise ValueError(f"Dense: units must be an int >= 1, got {units!r}")
    linear = nn.LazyLinear(units) if input_dim is None else nn.Linear(input_dim, units)
    if activation is None or activation == "linear":
        return linear
    if activation not in ACTIVATIONS:
        raise ValueError(f"Dense: unknown activation {activation!r}; choose one of "
                         f"{sorted([*ACTIVATIONS, 'linear'])} or None")
    return nn.Sequential(linear, ACTIVATIONS[activation]())
