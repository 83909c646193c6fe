"""``RMSprop``: divide each step by a running RMS of the gradient (optionally centered)."""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.kernels.dispatch import kernels
from minidl.optim.optimizer import Optimizer, ParamsT

_K = kernels("optim")


class RMSprop(Optimizer):
    """θ ← θ − lr · g / (√E[g²] + ε), with optional momentum and centering (``rmsprop_update``).

    State per parameter: ``step`` (int), ``square_avg``, and ``momentum_buffer`` (when
    momentum > 0) and ``grad_avg`` (when centered), all starting at zero.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
            centered=centered,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        self._check_range(group, "alpha", high=1.0)
        for key in ("eps", "weight_decay", "momentum"):
            self._check_range(group, key)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> np.ndarray:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        new_param, state["square_avg"], buf, grad_avg = _K.rmsprop_update(
            param, grad, state["square_avg"], state.get("momentum_buffer"),
            state.get("grad_avg"), group["lr"], group["alpha"], group["eps"],
            group["weight_decay"], group["momentum"], group["centered"],
        )
        if buf is not None:
            state["momentum_buffer"] = buf
        if grad_avg is not None:
            state["grad_avg"] = grad_avg
        return new_param
