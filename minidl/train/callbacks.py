"""Callbacks: code that ``fit`` runs at fixed points of training.

Subclass :class:`Callback` and override the hooks you need::

    on_train_begin(logs)            before the first epoch
    on_epoch_begin(epoch, logs)     epoch is 0-based
    on_batch_end(batch, logs)       logs: {"loss": this batch's loss, "size": batch size}
    on_epoch_end(epoch, logs)       logs: the epoch's loss, metrics, val_*, lr, time
    on_train_end(logs)              after the last epoch (also after an early stop)

``fit`` gives every callback ``self.model`` and ``self.optimizer`` before
training. A callback stops training by setting ``self.stop_training = True``;
``fit`` checks the flag after every batch and every epoch.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

from minidl.serialization import save
from minidl.tensor import Tensor


class Callback:
    """Base class: every hook does nothing. See the module docstring."""

    def __init__(self) -> None:
        self.model: Any = None
        self.optimizer: Any = None
        self.stop_training = False

    def set_context(self, model: Any, optimizer: Any) -> None:
        """Called by ``fit`` before training: the model and optimizer being trained."""
        self.model = model
        self.optimizer = optimizer
        self.stop_training = False

    def on_train_begin(self, logs: dict[str, float]) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: dict[str, float]) -> None:
        pass

    def on_batch_end(self, batch: int, logs: dict[str, float]) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        pass

    def on_train_end(self, logs: dict[str, float]) -> None:
        pass


class _Monitor:
    """Tracks the best value of one logged quantity: lower is better for losses and
    errors, higher for everything else (``mode="auto"``), or as ``mode`` says."""

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            base = monitor.removeprefix("val_")
            lower = base == "loss" or base.endswith("_loss") or base in ("mse", "mae")
            mode = "min" if lower or base.endswith("error") else "max"
        self.owner, self.monitor, self.mode = owner, monitor, mode
        self.min_delta = abs(min_delta)
        self.best = math.inf if mode == "min" else -math.inf

    def value(self, logs: dict[str, float]) -> float:
        if self.monitor not in logs:
            hint = " (pass val_data to fit)" if self.monitor.startswith("val_") else ""
            raise KeyError(f"{self.owner}: monitored {self.monitor!r} is not logged{hint}; "
                           f"logged keys: {sorted(logs)}")
        return float(logs[self.monitor])

    def improved(self, value: float) -> bool:
        """Whether ``value`` beats the best by more than ``min_delta`` (and becomes best)."""
        if self.mode == "min":
            better = value < self.best - self.min_delta
        else:
            better = value > self.best + self.min_delta
        if better:
            self.best = value
        return better


class EarlyStopping(Callback):
    """Stop after ``patience`` epochs in a row in which ``monitor`` did not improve.

    An improvement is a change by more than ``min_delta`` in the right direction
    (``mode``: "min", "max", or "auto": "min" for losses and errors, else "max").
    With ``restore_best_weights`` the model gets back the weights of its best epoch
    when training ends (by stopping early or running out of epochs).
    ``stopped_epoch`` is the 0-based epoch training stopped after (None if it did not)
    and ``best_epoch`` the 0-based epoch with the best value.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = True) -> None:
        super().__init__()
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.mode, self.restore_best_weights = mode, restore_best_weights

    def on_train_begin(self, logs: dict[str, float]) -> None:
        self._tracker = _Monitor("EarlyStopping", self.monitor, self.mode, self.min_delta)
        self.wait = 0
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self._best_state: dict[str, Tensor] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self._tracker.improved(self._tracker.value(logs)):
            self.wait, self.best_epoch = 0, epoch
            if self.restore_best_weights:
                # state_dict() shares memory with the parameters: clone for a snapshot
                self._best_state = {k: v.clone() for k, v in self.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.stop_training = True

    def on_train_end(self, logs: dict[str, float]) -> None:
        if self.restore_best_weights and self._best_state is not None:
            self.model.load_state_dict(self._best_state)

    @property
    def best(self) -> float:
        """The best monitored value seen so far."""
        return self._tracker.best


class ModelCheckpoint(Callback):
    """Save ``model.state_dict()`` to ``path`` (.npz, via ``minidl.save``) after epochs.

    With ``save_best_only`` it saves only when ``monitor`` improves (``mode`` as in
    :class:`EarlyStopping`); otherwise after every epoch. ``path`` may contain
    format fields filled from the epoch's logs and the 1-based ``epoch``, e.g.
    ``"ckpt/model-{epoch:02d}-{val_loss:.3f}.npz"``. ``saved`` lists the paths written.
    Each save is atomic (``minidl.save`` renames a finished temporary file over ``path``),
    so an interrupted or failed save keeps the previous checkpoint.
    """

    def __init__(self, path: str | os.PathLike[str], monitor: str = "val_loss",
                 save_best_only: bool = True, mode: str = "auto") -> None:
        super().__init__()
        self.path, self.monitor = os.fspath(path), monitor
        self.save_best_only, self.mode = save_best_only, mode
        self.saved: list[str] = []

    def on_train_begin(self, logs: dict[str, float]) -> None:
        self._tracker = _Monitor("ModelCheckpoint", self.monitor, self.mode, 0.0)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self.save_best_only and not self._tracker.improved(self._tracker.value(logs)):
            return
        path = self.path.format(epoch=epoch + 1, **logs)
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        save(self.model.state_dict(), path)
        self.saved.append(path)


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)``.

    ``epoch`` is 0-based and ``lr`` the current learning rate of the first
    parameter group; the result is set on every parameter group (Keras' callback
    of the same name). For PyTorch-style schedulers pass ``scheduler=`` to ``fit``.
    """

    def __init__(self, schedule: Callable[[int, float], float]) -> None:
        super().__init__()
        self.schedule = schedule

    def on_epoch_begin(self, epoch: int, logs: dict[str, float]) -> None:
        lr = float(self.schedule(epoch, self.optimizer.param_groups[0]["lr"]))
        if not math.isfinite(lr) or lr < 0:
            raise ValueError(f"LearningRateScheduler: schedule gave lr={lr} at epoch {epoch}")
        for group in self.optimizer.param_groups:
            group["lr"] = lr
