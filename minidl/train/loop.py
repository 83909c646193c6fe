"""``fit``, ``evaluate``, ``predict``: the training loop written once, with its checks.

One epoch of ``fit`` is the loop every PyTorch tutorial writes by hand::

    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

followed by an evaluation on the validation data under ``no_grad()`` in
``model.eval()`` mode. Around it, ``fit`` averages the loss and metrics over the
epoch, records them in a :class:`History`, runs callbacks and a learning-rate
scheduler, shows a progress bar, and stops with :class:`NonFiniteLossError` as
soon as the loss stops being a finite number.

Data (``train_data``, ``val_data``, ``evaluate``'s ``data``) is a ``Dataset``,
a ``DataLoader`` (used as it is), or a pair ``(X, y)`` of arrays or tensors with
one row per sample; a loader yields batches ``(inputs, targets)``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from minidl import functional as F
from minidl import nn
from minidl.autograd.grad_mode import no_grad
from minidl.data import DataLoader, Dataset, TensorDataset
from minidl.errors import ShapeError, fmt_shape
from minidl.ops import cat
from minidl.optim.lr_scheduler import ReduceLROnPlateau
from minidl.random import manual_seed
from minidl.tensor import Tensor
from minidl.train.callbacks import Callback
from minidl.train.history import History
from minidl.train.metrics import Metric, accuracy, get_metric
from minidl.train.progress import epoch_bar, format_logs

LossFn = Callable[[Tensor, Tensor], Tensor]


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite; the message says when and at which lr."""


def fit(
    model: nn.Module,
    loss_fn: LossFn,
    optimizer: Any,
    train_data: Any,
    epochs: int = 1,
    batch_size: int = 32,
    val_data: Any = None,
    metrics: Sequence[str | Metric] = ("accuracy",),
    callbacks: Sequence[Callback] = (),
    scheduler: Any = None,
    shuffle: bool = True,
    progress: bool = True,
    seed: int | None = None,
) -> History:
    """Train ``model`` for ``epochs`` epochs and return the :class:`History`.

    Args:
        model: an ``nn.Module`` mapping a batch of inputs to outputs.
        loss_fn: ``loss_fn(output, target) -> scalar Tensor`` with mean reduction
            (a loss module such as ``nn.CrossEntropyLoss()`` or a function).
        optimizer: an optimizer built on ``model.parameters()``.
        train_data, val_data: a Dataset, a DataLoader, or ``(X, y)`` (see module doc).
            ``batch_size`` and ``shuffle`` apply when ``fit`` builds the loader.
        metrics: names (``"accuracy"``, ``"mse"``, ``"mae"``) or ``fn(output, target)``.
            ``"accuracy"`` thresholds binary outputs at 0 when ``loss_fn`` takes
            logits (``BCEWithLogitsLoss``), else at 0.5.
        callbacks: :class:`Callback` objects (EarlyStopping, ModelCheckpoint, ...).
        scheduler: an ``optim.lr_scheduler`` object stepped once per epoch;
            ``ReduceLROnPlateau`` is given ``val_loss`` (``loss`` without val_data).
        progress: show a tqdm progress bar per epoch; ``False`` prints nothing.
        seed: when given, ``minidl.manual_seed(seed)`` first, so dropout and the
            shuffling of the loaders ``fit`` builds repeat from run to run.

    The epoch's ``loss`` and training metrics are sample-weighted means of the
    per-batch values (computed with the weights as they were at that batch).

    Raises:
        NonFiniteLossError: the loss became NaN/inf ("fit: loss became nan at
            epoch 3, step 17 (lr=0.5); ..."; epoch and step count from 1).
    """
    _check_count("fit", "epochs", epochs)
    _check_count("fit", "batch_size", batch_size)
    _check_model("fit", model)
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be callable, got {type(loss_fn).__name__}")
    _check_optimizer(model, optimizer)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks must be Callback objects, got {type(cb).__name__}")
    named_metrics = resolve_metrics(metrics, loss_fn)
    if seed is not None:
        manual_seed(seed)
    train_loader = _loader("fit", "train_data", train_data, batch_size, shuffle)
    val_loader = None if val_data is None else _loader(
        "fit", "val_data", val_data, batch_size, False
    )

    history = History()
    for cb in callbacks:
        cb.set_context(model, optimizer)
        cb.on_train_begin({})
    for epoch in range(epochs):
        logs: dict[str, float] = {}
        for cb in callbacks:
            cb.on_epoch_begin(epoch, logs)
        start = time.perf_counter()
        lr = float(optimizer.param_groups[0]["lr"])
        bar = epoch_bar(epoch + 1, epochs, _length(train_loader), progress)
        try:
            logs.update(_train_epoch(model, loss_fn, optimizer, train_loader, named_metrics,
                                     callbacks, bar, epoch, lr))
            if val_loader is not None:
                val = _evaluate_loader(model, val_loader, loss_fn, named_metrics)
                logs.update({"val_" + k: v for k, v in val.items()})
            logs["lr"] = lr
            logs["time"] = time.perf_counter() - start
            bar.set_postfix(**format_logs(logs))
        finally:
            bar.close()
        history.append(epoch, logs)
        for cb in callbacks:
            cb.on_epoch_end(epoch, logs)
        if scheduler is not None:
            _step_scheduler(scheduler, logs)
        if any(cb.stop_training for cb in callbacks):
            break
    for cb in callbacks:
        cb.on_train_end(dict(logs))
    return history


def evaluate(
    model: nn.Module,
    data: Any,
    loss_fn: LossFn | None = None,
    metrics: Sequence[str | Metric] = ("accuracy",),
    batch_size: int = 256,
) -> dict[str, float]:
    """Mean loss (when ``loss_fn`` is given) and metrics of ``model`` on ``data``.

    Runs under ``no_grad()`` in eval mode and restores the model's mode after.
    Returns e.g. ``{"loss": 0.31, "accuracy": 0.91}``: sample-weighted means
    over the batches.
    """
    _check_count("evaluate", "batch_size", batch_size)
    _check_model("evaluate", model)
    loader = _loader("evaluate", "data", data, batch_size, False)
    return _evaluate_loader(model, loader, loss_fn, resolve_metrics(metrics, loss_fn))


def predict(model: nn.Module, X: Any, batch_size: int = 256) -> Tensor:
    """``model``'s outputs for every sample of ``X``, stacked along dim 0.

    ``X`` is an array or Tensor (N, ...) or a Dataset/DataLoader (the first
    element of each sample or batch is the input). Runs under ``no_grad()`` in
    eval mode, in batches of ``batch_size``, and restores the model's mode.
    Returns a Tensor (N, ...) without grad.
    """
    _check_count("predict", "batch_size", batch_size)
    _check_model("predict", model)
    if isinstance(X, (Dataset, DataLoader)):
        loader = _loader("predict", "X", X, batch_size, False)
        batches: Iterable[Any] = (b[0] if isinstance(b, (tuple, list)) else b for b in loader)
    else:
        inputs = X if isinstance(X, Tensor) else Tensor(np.asarray(X))
        if inputs.ndim == 0 or len(inputs) == 0:
            raise ShapeError(f"predict: expected inputs (N, ...) with N >= 1, "
                             f"got {fmt_shape(inputs.shape)}")
        batches = (inputs[i:i + batch_size] for i in range(0, len(inputs), batch_size))
    with _eval_mode(model):
        outputs = [model(x) for x in batches]
    return cat(outputs, dim=0)


# -- the loops ---------------------------------------------------------------------


class _Means:
    """Sample-weighted running means: add(values, n) per batch, then means()."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, values: dict[str, float], n: int) -> None:
        for k, v in values.items():
            self.sums[k] = self.sums.get(k, 0.0) + v * n
        self.count += n

    def means(self) -> dict[str, float]:
        return {k: s / self.count for k, s in self.sums.items()}


def _train_epoch(model: nn.Module, loss_fn: LossFn, optimizer: Any, loader: Iterable[Any],
                 metrics: list[tuple[str, Metric]], callbacks: Sequence[Callback], bar: Any,
                 epoch: int, lr: float) -> dict[str, float]:
    model.train()
    means = _Means()
    for step, batch in enumerate(loader, start=1):
        x, y = _split_batch("fit", batch)
        optimizer.zero_grad()
        output = model(x)
        loss = loss_fn(output, y)
        value = loss.item()
        if not math.isfinite(value):
            raise NonFiniteLossError(
                f"fit: loss became {value} at epoch {epoch + 1}, step {step} (lr={lr:.3g}); "
                "try a smaller learning rate, or check the data and the loss for NaN/inf"
            )
        loss.backward()
        optimizer.step()
        n = len(output)
        means.add({"loss": value, **_metric_values(metrics, output, y)}, n)
        bar.update(1)
        bar.set_postfix(loss=f"{means.sums['loss'] / means.count:.4f}")
        for cb in callbacks:
            cb.on_batch_end(step - 1, {"loss": value, "size": n})
        if any(cb.stop_training for cb in callbacks):
            break
    if means.count == 0:
        raise ValueError("fit: train_data produced no batches")
    return means.means()


def _evaluate_loader(model: nn.Module, loader: Iterable[Any], loss_fn: LossFn | None,
                     metrics: list[tuple[str, Metric]]) -> dict[str, float]:
    means = _Means()
    with _eval_mode(model):
        for batch in loader:
            x, y = _split_batch("evaluate", batch)
            output = model(x)
            values = _metric_values(metrics, output, y)
            if loss_fn is not None:
                values = {"loss": loss_fn(output, y).item(), **values}
            means.add(values, len(output))
    if means.count == 0:
        raise ValueError("evaluate: the data produced no batches")
    return means.means()


class _eval_mode:  # noqa: N801  (used like no_grad)
    """``with _eval_mode(model):`` no_grad + model.eval(), then the previous mode back."""

    def __init__(self, model: nn.Module) -> None:
        self.model, self.no_grad = model, no_grad()

    def __enter__(self) -> None:
        self.was_training = self.model.training
        self.model.eval()
        self.no_grad.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.no_grad.__exit__(*exc)
        self.model.train(self.was_training)


def _metric_values(metrics: list[tuple[str, Metric]], output: Tensor,
                   target: Any) -> dict[str, float]:
    out = output.detach()
    return {name: float(fn(out, target)) for name, fn in metrics}


def resolve_metrics(metrics: Sequence[str | Metric],
                    loss_fn: Any = None) -> list[tuple[str, Metric]]:
    """``[(name, fn), ...]`` for ``metrics``; accuracy on logits when ``loss_fn`` takes logits."""
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    resolved = [get_metric(m) for m in metrics]
    names = [name for name, _ in resolved]
    if len(set(names)) != len(names) or "loss" in names:
        raise ValueError(f"metrics: names must be distinct and not 'loss', got {names}")
    if _takes_logits(loss_fn):
        resolved = [(n, _logit_accuracy if fn is accuracy else fn) for n, fn in resolved]
    return resolved


def _logit_accuracy(output: Any, target: Any) -> float:
    """accuracy with binary outputs read as logits (positive ⇔ probability > 0.5)."""
    return accuracy(output, target, threshold=0.0)


def _takes_logits(loss_fn: Any) -> bool:
    logit_loss = F.binary_cross_entropy_with_logits
    return isinstance(loss_fn, nn.BCEWithLogitsLoss) or loss_fn is logit_loss


def _step_scheduler(scheduler: Any, logs: dict[str, float]) -> None:
    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(logs.get("val_loss", logs["loss"]))
    else:
        scheduler.step()


# -- data and argument checks ---------------------------------------------------------


def _loader(op: str, arg: str, data: Any, batch_size: int, shuffle: bool) -> Any:
    """A DataLoader for a Dataset or an (X, y) pair; a DataLoader is returned as it is."""
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, tuple):
        if len(data) != 2:
            raise ValueError(f"{op}: {arg} as a tuple must be (X, y), got {len(data)} items")
        x, y = (d if isinstance(d, Tensor) else np.asarray(d) for d in data)
        if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
            raise ShapeError(f"{op}: {arg} (X, y) need one row per sample, got X "
                             f"{fmt_shape(x.shape)} and y {fmt_shape(y.shape)}")
        data = TensorDataset(x, y)
    if isinstance(data, (Tensor, np.ndarray)) or not (
        hasattr(data, "__len__") and hasattr(data, "__getitem__")
    ):
        raise TypeError(f"{op}: {arg} must be a Dataset, a DataLoader or a tuple (X, y), "
                        f"got {type(data).__name__}")
    if len(data) == 0:
        raise ValueError(f"{op}: {arg} is empty")
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle)


def _split_batch(op: str, batch: Any) -> tuple[Any, Any]:
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    raise ValueError(f"{op}: expected batches (inputs, targets), got {type(batch).__name__}"
                     + (f" of {len(batch)} items" if isinstance(batch, (tuple, list)) else ""))


def _length(loader: Any) -> int | None:
    try:
        return len(loader)
    except TypeError:
        return None


def _check_count(op: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{op}: {name} must be an int >= 1, got {value!r}")


def _check_model(op: str, model: Any) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"{op}: model must be an nn.Module, got {type(model).__name__}")


def _check_optimizer(model: nn.Module, optimizer: Any) -> None:
    groups = getattr(optimizer, "param_groups", None)
    if not groups or not all(hasattr(optimizer, m) for m in ("zero_grad", "step")):
        raise TypeError(f"fit: optimizer must be an optimizer with param_groups, zero_grad() "
                        f"and step(), got {type(optimizer).__name__}")
    held = {id(p) for g in groups for p in g["params"]}
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise ValueError(f"fit: {type(model).__name__} has no trainable parameters "
                         "(a Lazy layer gets them on its first forward; run one batch first)")
    if not any(id(p) in held for p in trainable):
        raise ValueError("fit: the optimizer holds none of the model's parameters; build it "
                         "with optimizer = optim.SGD(model.parameters(), lr=...)")
