"""In-place initialisation of weights, with PyTorch's names (``nn.init.kaiming_uniform_``).

Each function fills ``tensor`` under ``no_grad`` with samples from minidl's seeded
generator (``minidl.manual_seed``) and returns it. The sampling math lives in
``kernels/cpu/init.py``; fan_in/fan_out follow PyTorch (weight (out, in, *kernel)).
"""

from __future__ import annotations

import numpy as np

from minidl import random as _random
from minidl.autograd.grad_mode import no_grad
from minidl.kernels.cpu import init as K
from minidl.kernels.cpu.init import calculate_gain
from minidl.tensor import Tensor

__all__ = [
    "calculate_gain", "constant_", "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_",
    "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_",
]


def _check(fn: str, tensor: Tensor) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init.{fn}: expected a Tensor, got {type(tensor).__name__}")


def _fill(fn: str, tensor: Tensor, values: np.ndarray | float) -> Tensor:
    _check(fn, tensor)
    with no_grad():
        tensor.copy_(values)
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples of U(a, b)."""
    _check("uniform_", tensor)
    with no_grad():
        return tensor.uniform_(a, b)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples of N(mean, std²)."""
    _check("normal_", tensor)
    with no_grad():
        return tensor.normal_(mean, std)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _fill("constant_", tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill("zeros_", tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return _fill("ones_", tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot uniform: U(−b, b), b = gain · √(6 / (fan_in + fan_out))."""
    _check("xavier_uniform_", tensor)
    rng = _random.default_generator()
    return _fill("xavier_uniform_", tensor, K.xavier_uniform(tensor.shape, gain, rng))


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot normal: N(0, std²), std = gain · √(2 / (fan_in + fan_out))."""
    _check("xavier_normal_", tensor)
    rng = _random.default_generator()
    return _fill("xavier_normal_", tensor, K.xavier_normal(tensor.shape, gain, rng))


def kaiming_uniform_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """He uniform: U(−b, b), b = gain · √(3 / fan), gain = calculate_gain(nonlinearity, a).

    A tensor with no elements is left as it is (PyTorch does the same).
    """
    _check("kaiming_uniform_", tensor)
    if tensor.numel() == 0:
        return tensor
    values = K.kaiming_uniform(tensor.shape, a, mode, nonlinearity, _random.default_generator())
    return _fill("kaiming_uniform_", tensor, values)


def kaiming_normal_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """He normal: N(0, std²), std = gain / √fan. A tensor with no elements is left as it is."""
    _check("kaiming_normal_", tensor)
    if tensor.numel() == 0:
        return tensor
    values = K.kaiming_normal(tensor.shape, a, mode, nonlinearity, _random.default_generator())
    return _fill("kaiming_normal_", tensor, values)
