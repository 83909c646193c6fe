"""``SGD``: stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.kernels.dispatch import kernels
from minidl.optim.optimizer import Optimizer, ParamsT

_K = kernels("optim")


class SGD(Optimizer):
    """θ ← θ − lr · d, where d is the gradient or its momentum buffer (see ``sgd_update``).

    State per parameter: ``momentum_buffer`` (an array once momentum is used, else None).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
            nesterov=nesterov,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        self._check_range(group, "momentum")
        self._check_range(group, "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> np.ndarray:
        new_param, state["momentum_buffer"] = _K.sgd_update(
            param, grad, state.get("momentum_buffer"), group["lr"], group["momentum"],
            group["dampening"], group["weight_decay"], group["nesterov"],
        )
        return new_param
