"""``Adam`` and ``AdamW``: bias-corrected running averages of g and g²."""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.kernels.dispatch import kernels
from minidl.optim.optimizer import Optimizer, ParamsT

_K = kernels("optim")


class Adam(Optimizer):
    """θ ← θ − lr · m̂ / (√v̂ + ε) (see ``adam_update``).

    ``weight_decay`` is an L2 penalty added to the gradient (g ← g + λθ), unless
    ``decoupled_weight_decay=True``, which is AdamW's rule (θ ← θ(1 − lr·λ)).
    ``amsgrad=True`` divides by the largest v̂ seen so far (see ``amsgrad_update``).
    State per parameter: ``step`` (int), ``exp_avg`` and ``exp_avg_sq`` (starting at zero),
    and ``max_exp_avg_sq`` with amsgrad.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        betas = group["betas"]
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(
                f"{type(self).__name__}: betas must be a pair (beta1, beta2), got {betas!r}"
            )
        for i, key in enumerate(("beta1", "beta2")):
            self._check_range({key: betas[i]}, key, high=1.0, closed=False)
        self._check_range(group, "eps")
        self._check_range(group, "weight_decay")

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> np.ndarray:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        if group.get("amsgrad", False):
            state.setdefault("max_exp_avg_sq", np.zeros_like(param))
            (new_param, state["exp_avg"], state["exp_avg_sq"],
             state["max_exp_avg_sq"]) = _K.amsgrad_update(
                param, grad, state["exp_avg"], state["exp_avg_sq"], state["max_exp_avg_sq"],
                state["step"], group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                group["decoupled_weight_decay"],
            )
            return new_param
        new_param, state["exp_avg"], state["exp_avg_sq"] = _K.adam_update(
            param, grad, state["exp_avg"], state["exp_avg_sq"], state["step"], group["lr"],
            beta1, beta2, group["eps"], group["weight_decay"], group["decoupled_weight_decay"],
        )
        return new_param


class AdamW(Adam):
    """Adam with decoupled weight decay: θ ← θ(1 − lr·λ) before the Adam step (Loshchilov &
    Hutter, 2019), so decay does not pass through the adaptive scaling."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad,
                         decoupled_weight_decay=True)
