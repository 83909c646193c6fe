"""``Optimizer``: parameter groups, per-parameter state, ``step`` and ``zero_grad``.

An optimizer holds the tensors it updates in *parameter groups*: dicts with a ``"params"``
list and the hyperparameters for those tensors (``lr``, ``momentum``, …), filled in from the
optimizer's defaults. One group is the common case; several give, e.g., a smaller learning
rate to a pretrained backbone::

    opt = optim.SGD([{"params": backbone.parameters(), "lr": 1e-4},
                     {"params": head.parameters()}], lr=1e-2, momentum=0.9)

``state[p]`` holds what the optimizer remembers about parameter ``p`` between steps
(momentum buffers, running averages, the step count), as NumPy arrays. A subclass supplies
``_update``: one parameter's step, which calls that optimizer's kernel slot.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from minidl.autograd.grad_mode import enable_grad, no_grad
from minidl.device import CPU, Device, mismatch_error, to_device
from minidl.errors import ShapeError, fmt_shape
from minidl.kernels.dispatch import is_device_array
from minidl.tensor import Tensor

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class: ``Optimizer(params, defaults)``.

    ``params`` is an iterable of tensors (that require grad) or of dicts, each with a
    ``"params"`` entry and per-group options that override ``defaults``.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        name = type(self).__name__
        if isinstance(params, Tensor) or not isinstance(params, Iterable):
            raise TypeError(
                f"{name}: params must be an iterable of tensors or of dicts "
                f"(e.g. model.parameters()), got {type(params).__name__}"
            )
        _check_ordered(name, params)
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list")
        self._check_group(self.defaults)
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- groups and validation ----------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing ones from the defaults)."""
        name = type(self).__name__
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(
                f"{name}: a parameter group must be a dict with a 'params' entry, "
                f"got {type(param_group).__name__}"
            )
        params = param_group["params"]
        _check_ordered(name, params)
        params = [params] if isinstance(params, Tensor) else list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, not a Tensor")
            if not p.requires_grad:
                raise ValueError(
                    f"{name}: parameter {i} {fmt_shape(p.shape)} does not require grad; "
                    "create it with requires_grad=True or leave it out"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{name}: parameter {i} {fmt_shape(p.shape)} is not a leaf tensor "
                    "(it was computed from others); optimize the tensors it came from"
                )
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if len({id(p) for p in params}) != len(params) or seen & {id(p) for p in params}:
            raise ValueError(f"{name}: some parameters appear more than once")
        group = {**self.defaults, **param_group, "params": params}
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError for invalid hyperparameters; subclasses check theirs too."""
        self._check_range(group, "lr")

    def _check_range(
        self, group: dict[str, Any], key: str, high: float | None = None, closed: bool = True
    ) -> None:
        """Require 0 ≤ group[key], and ≤ high (``closed``) or < high when a bound is given."""
        value = group[key]
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and value >= 0
        if ok and high is not None:
            ok = value <= high if closed else value < high
        if not ok:
            if high is None:
                expected = f"{key} ≥ 0"
            else:
                expected = f"0 ≤ {key} {'≤' if closed else '<'} {high:g}"
            raise ValueError(
                f"{type(self).__name__}: invalid {key} {value!r} (expected {expected})"
            )

    # -- the update ----------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set every ``p.grad`` to None (or fill it with zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place; return ``closure()``'s loss.

        ``closure`` (optional) re-evaluates the model and returns the loss; it runs with
        gradients enabled before the update.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for g, group in enumerate(self.param_groups):
                for i, p in enumerate(group["params"]):
                    if p.grad is None:
                        continue
                    if p.grad.shape != p.shape:
                        raise ShapeError(
                            f"{type(self).__name__}.step: parameter {i} of group {g} has shape "
                            f"{fmt_shape(p.shape)} but its .grad has shape "
                            f"{fmt_shape(p.grad.shape)}"
                        )
                    if p.grad.device is not p.device and p.grad.device != p.device:
                        raise mismatch_error(f"{type(self).__name__}.step", p.device,
                                             p.grad.device)
                    state = self.state.setdefault(p, {})
                    _follow(state, p.device)
                    p.copy_(self._update(p._data, p.grad._data, state, group))
        return loss

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> np.ndarray:
        """One step for one parameter: return its new value and update ``state`` in place."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # -- checkpoints -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """A snapshot: ``{"state": {index: {...}}, "param_groups": [{..., "params": [index]}]}``.

        Parameters are numbered in group order, as in PyTorch, so the snapshot holds no
        tensors and loads into a fresh optimizer over the same (shaped) parameters.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = copy.deepcopy({k: v for k, v in group.items() if k != "params"})
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: {k: to_device(v, CPU) if is_device_array(v) else copy.deepcopy(v)
                                for k, v in s.items()}  # host arrays, as minidl.save needs
                 for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by :meth:`state_dict`."""
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state has {len(saved_groups)} parameter groups, "
                f"this optimizer has {len(self.param_groups)}"
            )
        by_index: dict[int, Tensor] = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: group {i} has {len(saved['params'])} parameters "
                    f"in the state and {len(group['params'])} in this optimizer"
                )
            by_index.update(zip((int(k) for k in saved["params"]), group["params"], strict=True))
        state: dict[Tensor, dict[str, Any]] = {}
        for k, saved_state in state_dict["state"].items():
            p = by_index[int(k)]
            state[p] = {key: _restore(name, key, v, p) for key, v in saved_state.items()}
        self.state = state
        self.param_groups = [
            {**copy.deepcopy({k: v for k, v in saved.items() if k != "params"}),
             "params": group["params"]}
            for saved, group in zip(saved_groups, self.param_groups, strict=True)
        ]

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def _follow(state: dict[str, Any], dev: Device) -> None:
    """Move a parameter's state arrays to its device (after ``model.to(...)``), in place."""
    for key, value in state.items():
        if dev.type == "cpu":
            if is_device_array(value):
                state[key] = to_device(value, dev)
        elif isinstance(value, np.ndarray):
            state[key] = to_device(value, dev)


def _check_ordered(name: str, params: Any) -> None:
    """Sets have no stable order, so state_dict indices would not survive a restart."""
    if isinstance(params, (set, frozenset)):
        raise TypeError(f"{name}: params must be an ordered collection (a list), not a set")


def _restore(name: str, key: str, value: Any, param: Tensor) -> Any:
    """A copy of one saved state entry: arrays take the parameter's dtype, scalars unwrap."""
    if not isinstance(value, np.ndarray):
        return copy.deepcopy(value)
    if value.ndim == 0:
        return value.item()
    if value.shape != param.shape:
        raise ShapeError(
            f"{name}.load_state_dict: state {key!r} has shape {fmt_shape(value.shape)}, "
            f"its parameter has shape {fmt_shape(param.shape)}"
        )
    return value.astype(param.dtype, copy=True)
