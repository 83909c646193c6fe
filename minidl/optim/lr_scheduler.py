"""Learning-rate schedules: change each parameter group's ``lr`` as training goes on.

Call ``scheduler.step()`` once per epoch, after ``optimizer.step()``::

    scheduler = lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, optimizer)
        scheduler.step()

Each schedule has a closed form lr_t = f(base_lr, t), where t = ``last_epoch`` counts the
calls to ``step()`` and base_lr is the group's lr when the scheduler was made (kept in the
group as ``"initial_lr"``). Creating a scheduler performs step 0, as in PyTorch.

Alone on an optimizer, a scheduler sets lr_t = f(base_lr, t). When several act on one
optimizer they compose as PyTorch's chainable schedulers do: each multiplies the current lr
by the ratio f(t) / f(t − 1) its own schedule moved, so e.g. ``StepLR`` and ``ExponentialLR``
together give base_lr · γ₁^⌊t/s⌋ · γ₂^t. ``ReduceLROnPlateau`` reacts to a metric and scales
the current lr; ``SequentialLR`` hands the optimizer from one scheduler to the next.
"""

from __future__ import annotations

import bisect
import math
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from minidl.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses give ``get_lr()``, the lrs for epoch ``self.last_epoch``."""

    _not_saved: tuple[str, ...] = ("optimizer",)

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs "
                    f"'initial_lr' in param_groups[{i}]; load the optimizer's state_dict first"
                )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._own_lrs = list(self.base_lrs)  # what this schedule gave at its last step
        _registry(optimizer).add(self)
        self.step()

    def get_lr(self) -> list[float]:
        """The learning rate of each parameter group at epoch ``self.last_epoch``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr")

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch and write the new learning rates into the optimizer."""
        self.last_epoch += 1
        self._apply(self.get_lr())

    def _apply(self, lrs: list[float]) -> None:
        """Set each group's lr to this schedule's value, or, when other schedulers share the
        optimizer, scale the current lr by the ratio this schedule moved (chaining)."""
        live = _registry(self.optimizer).live()
        alone = self not in live or live == [self]
        previous = self._own_lrs
        for i, (group, lr) in enumerate(zip(self.optimizer.param_groups, lrs, strict=True)):
            if alone or previous[i] == 0:
                group["lr"] = lr
            else:
                group["lr"] = group["lr"] * lr / previous[i]
        self._own_lrs = list(lrs)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (and functions), for checkpoints."""
        return {k: v for k, v in self.__dict__.items() if k not in self._not_saved}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved (the optimizer's lrs change at the next step)."""
        self.__dict__.update(state_dict)


class _Registry:
    """The live schedulers acting on one optimizer (weak references: a scheduler that was
    thrown away stops counting)."""

    def __init__(self) -> None:
        self._refs: list[weakref.ref[LRScheduler]] = []

    def live(self) -> list[LRScheduler]:
        alive = [s for s in (r() for r in self._refs) if s is not None]
        self._refs = [weakref.ref(s) for s in alive]
        return alive

    def add(self, scheduler: LRScheduler) -> None:
        self._refs.append(weakref.ref(scheduler))

    def remove(self, scheduler: LRScheduler) -> None:
        self._refs = [r for r in self._refs if r() is not scheduler]


def _registry(optimizer: Optimizer) -> _Registry:
    if not hasattr(optimizer, "_lr_schedulers"):
        optimizer._lr_schedulers = _Registry()
    return optimizer._lr_schedulers


def _check_positive(scheduler: str, name: str, value: Any, integer: bool = False) -> None:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not value > 0:
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{scheduler}: {name} must be {kind} > 0, got {value!r}")


class StepLR(LRScheduler):
    """lr_t = base_lr · γ^⌊t / step_size⌋: multiply by γ every ``step_size`` epochs."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        _check_positive("StepLR", "step_size", step_size, integer=True)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr_t = base_lr · γ^(number of milestones ≤ t): multiply by γ at each milestone epoch."""

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = sorted(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        passed = bisect.bisect_right(self.milestones, self.last_epoch)
        return [base * self.gamma**passed for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr_t = base_lr · γ^t: multiply by γ every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr_t = η_min + (base_lr − η_min) · (1 + cos(π t / T_max)) / 2.

    Half a cosine from base_lr down to ``eta_min`` over ``T_max`` epochs (SGDR without
    restarts); past T_max it rises again, as PyTorch's does.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        _check_positive("CosineAnnealingLR", "T_max", T_max)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]


class LambdaLR(LRScheduler):
    """lr_t = base_lr · f(t) for a function f (or one function per parameter group)."""

    _not_saved = ("optimizer", "lr_lambdas")

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        n_groups = len(optimizer.param_groups)
        if callable(lr_lambda):
            self.lr_lambdas = [lr_lambda] * n_groups
        else:
            self.lr_lambdas = list(lr_lambda)
            if len(self.lr_lambdas) != n_groups:
                raise ValueError(
                    f"LambdaLR: expected {n_groups} lr_lambdas (one per parameter group), "
                    f"got {len(self.lr_lambdas)}"
                )
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        pairs = zip(self.base_lrs, self.lr_lambdas, strict=True)
        return [base * f(self.last_epoch) for base, f in pairs]


class ReduceLROnPlateau(LRScheduler):
    """Multiply lr by ``factor`` when a metric has stopped improving for ``patience`` epochs.

    Call ``scheduler.step(val_loss)`` once per epoch. A value counts as an improvement on
    the best so far when (``mode='min'``, ``threshold_mode='rel'``) it is below
    best · (1 − threshold); ``'abs'`` uses best − threshold; ``mode='max'`` mirrors both
    (above best · (1 + threshold) or best + threshold).
    After more than ``patience`` epochs without improvement every group's lr becomes
    max(lr · factor, min_lr) (changes smaller than ``eps`` are skipped), then ``cooldown``
    epochs pass before bad epochs count again.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"ReduceLROnPlateau: expected an Optimizer, got {type(optimizer).__name__}"
            )
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        if not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in [0, 1), got {factor!r}")
        n_groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n_groups:
                raise ValueError(
                    f"ReduceLROnPlateau: expected {n_groups} min_lrs (one per parameter group), "
                    f"got {len(min_lr)}"
                )
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * n_groups
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, current: float) -> bool:
        """Whether ``current`` improves on ``self.best`` by more than the threshold."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return current < self.best * (1 - self.threshold)
            return current < self.best - self.threshold
        if self.threshold_mode == "rel":
            return current > self.best * (1 + self.threshold)
        return current > self.best + self.threshold

    def step(self, metrics: float) -> None:  # type: ignore[override]
        """Record this epoch's metric (e.g. validation loss) and reduce lr on a plateau."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


class ConstantLR(LRScheduler):
    """lr_t = base_lr · ``factor`` for the first ``total_iters`` epochs, then base_lr."""

    def __init__(
        self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0 <= factor <= 1:
            raise ValueError(f"ConstantLR: factor must be in [0, 1], got {factor!r}")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        factor = self.factor if self.last_epoch < self.total_iters else 1.0
        return [base * factor for base in self.base_lrs]


class LinearLR(LRScheduler):
    """lr_t = base_lr · (s + (e − s) · min(t, T) / T): from ``start_factor`` s to
    ``end_factor`` e linearly over ``total_iters`` T epochs, then constant (a warm-up)."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}")
        _check_positive("LinearLR", "total_iters", total_iters, integer=True)
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        progress = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base * factor for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov & Hutter, 2017): cosine annealing that restarts.

    lr = η_min + (base_lr − η_min) · (1 + cos(π T_cur / T_i)) / 2, where T_cur counts the
    epochs since the last restart and the i-th period lasts T_i = T_0 · T_multⁱ epochs.
    ``step(epoch)`` accepts a fractional epoch (e.g. ``epoch + batch / batches``).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,  # noqa: N803  (PyTorch's names)
        T_mult: int = 1,  # noqa: N803
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        _check_positive("CosineAnnealingWarmRestarts", "T_0", T_0, integer=True)
        if isinstance(T_mult, bool) or not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(
                f"CosineAnnealingWarmRestarts: T_mult must be an integer ≥ 1, got {T_mult!r}"
            )
        self.T_0, self.T_mult, self.eta_min = T_0, T_mult, eta_min
        super().__init__(optimizer, last_epoch)

    def _position(self) -> tuple[float, int]:
        """(T_cur, T_i) at epoch ``last_epoch``."""
        t_cur, t_i = self.last_epoch, self.T_0
        while t_cur >= t_i:
            t_cur -= t_i
            t_i *= self.T_mult
        return t_cur, t_i

    def get_lr(self) -> list[float]:
        t_cur, t_i = self._position()
        cosine = (1 + math.cos(math.pi * t_cur / t_i)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:  # type: ignore[override]
        if epoch is None:
            super().step()
            return
        if epoch < 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: expected epoch ≥ 0, got {epoch}")
        self.last_epoch = epoch
        self._apply(self.get_lr())


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2019), stepped after every *batch*.

    The lr rises from max_lr / ``div_factor`` to ``max_lr`` over the first ``pct_start`` of
    ``total_steps``, then anneals to max_lr / (div_factor · ``final_div_factor``); the
    momentum (SGD's ``momentum`` or Adam's β₁) moves the opposite way between
    ``max_momentum`` and ``base_momentum``. ``anneal_strategy`` 'cos' or 'linear';
    ``three_phase`` goes back down to the start before the final annealing. PyTorch's
    phase boundaries and formulas, so the sequences agree.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float = 0.85,
        max_momentum: float = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
            total_steps = epochs * steps_per_epoch
        _check_positive("OneCycleLR", "total_steps", total_steps, integer=True)
        if not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
            )
        groups = optimizer.param_groups
        max_lrs = list(max_lr) if isinstance(max_lr, (list, tuple)) else [max_lr] * len(groups)
        if len(max_lrs) != len(groups):
            raise ValueError(f"OneCycleLR: expected {len(groups)} max_lr values (one per "
                             f"parameter group), got {len(max_lrs)}")
        self.total_steps = total_steps
        self.anneal = anneal_strategy
        self.cycle_momentum = cycle_momentum
        self.max_lrs = max_lrs
        self.initial_lrs = [m / div_factor for m in max_lrs]
        self.min_lrs = [lr / final_div_factor for lr in self.initial_lrs]
        if three_phase:
            self.phases = [  # (last step of the phase, lr from, lr to, momentum from, to)
                (pct_start * total_steps - 1, "initial", "max", max_momentum, base_momentum),
                (2 * pct_start * total_steps - 2, "max", "initial", base_momentum, max_momentum),
                (total_steps - 1, "initial", "min", max_momentum, max_momentum),
            ]
        else:
            self.phases = [
                (pct_start * total_steps - 1, "initial", "max", max_momentum, base_momentum),
                (total_steps - 1, "max", "min", base_momentum, max_momentum),
            ]
        if cycle_momentum and not all("momentum" in g or "betas" in g for g in groups):
            raise ValueError("OneCycleLR: cycle_momentum needs an optimizer with momentum "
                             "(SGD) or betas (Adam); pass cycle_momentum=False")
        for group, lr in zip(groups, self.initial_lrs, strict=True):
            if last_epoch == -1:
                group["initial_lr"] = lr
        super().__init__(optimizer, last_epoch)

    def _interpolate(self, start: float, end: float, pct: float) -> float:
        if self.anneal == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {step} times; total_steps is {self.total_steps}"
            )
        start_step, lrs, momenta = 0.0, [], []
        for i in range(len(self.optimizer.param_groups)):
            bounds = {"initial": self.initial_lrs[i], "max": self.max_lrs[i],
                      "min": self.min_lrs[i]}
            start_step = 0.0
            for k, (end_step, lr_from, lr_to, m_from, m_to) in enumerate(self.phases):
                if step <= end_step or k == len(self.phases) - 1:
                    pct = (step - start_step) / (end_step - start_step)
                    lrs.append(self._interpolate(bounds[lr_from], bounds[lr_to], pct))
                    momenta.append(self._interpolate(m_from, m_to, pct))
                    break
                start_step = end_step
        if self.cycle_momentum:
            for group, m in zip(self.optimizer.param_groups, momenta, strict=True):
                if "betas" in group:
                    group["betas"] = (m, *group["betas"][1:])
                else:
                    group["momentum"] = m
        return lrs


class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` from its own
    epoch 0, and so on (e.g. a ``LinearLR`` warm-up, then ``CosineAnnealingLR``)."""

    _not_saved = ("optimizer", "_schedulers")

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ) -> None:
        schedulers = list(schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"SequentialLR: expected {len(schedulers) - 1} milestones for "
                f"{len(schedulers)} schedulers, got {len(milestones)}"
            )
        if any(s.optimizer is not optimizer for s in schedulers):
            raise ValueError("SequentialLR: every scheduler must act on the given optimizer")
        self.optimizer = optimizer
        self._schedulers, self._milestones = schedulers, list(milestones)
        self.last_epoch = last_epoch + 1
        registry = _registry(optimizer)
        for s in schedulers:  # they take turns, so they do not chain with each other
            registry.remove(s)
            s.last_epoch -= 1  # undo their step 0, as PyTorch does
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        schedulers[0].step()
        self._last_lr = schedulers[0].get_last_lr()

    def step(self) -> None:
        self.last_epoch += 1
        idx = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler.last_epoch = -1  # the next schedule starts at its epoch 0
        scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        for s, saved in zip(self._schedulers, state.pop("schedulers"), strict=True):
            s.load_state_dict(saved)
        super().load_state_dict(state)
