"""``Adagrad``: per-coordinate learning rates that shrink with the gradients seen so far."""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.kernels.dispatch import kernels
from minidl.optim.optimizer import Optimizer, ParamsT

_K = kernels("optim")


class Adagrad(Optimizer):
    """θ ← θ − lr_t · g / (√Σg² + ε) (see ``adagrad_update``).

    State per parameter: ``step`` (int) and ``sum`` (running Σg², starting at
    ``initial_accumulator_value``).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
    ) -> None:
        defaults = dict(
            lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value, eps=eps,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        for key in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            self._check_range(group, key)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> np.ndarray:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param, group["initial_accumulator_value"])
        state["step"] += 1
        new_param, state["sum"] = _K.adagrad_update(
            param, grad, state["sum"], state["step"], group["lr"], group["lr_decay"],
            group["weight_decay"], group["eps"],
        )
        return new_param
