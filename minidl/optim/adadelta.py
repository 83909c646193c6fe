"""``Adadelta``: Adagrad's shrinking step, with running averages instead of sums."""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.kernels.dispatch import kernels
from minidl.optim.optimizer import Optimizer, ParamsT

_K = kernels("optim")


class Adadelta(Optimizer):
    """θ ← θ − lr · √(a + ε) / √(s + ε) · g (see ``adadelta_update``); lr = 1 by default.

    State per parameter: ``step`` (int), ``square_avg`` (s) and ``acc_delta`` (a), both
    starting at zero.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
    ) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        self._check_range(group, "rho", high=1.0)
        self._check_range(group, "eps")
        self._check_range(group, "weight_decay")

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> np.ndarray:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            state["acc_delta"] = np.zeros_like(param)
        state["step"] += 1
        new_param, state["square_avg"], state["acc_delta"] = _K.adadelta_update(
            param, grad, state["square_avg"], state["acc_delta"], group["lr"], group["rho"],
            group["eps"], group["weight_decay"],
        )
        return new_param
