"""Batch normalisation layers ``BatchNorm1d`` / ``BatchNorm2d`` and ``Dropout2d``."""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.functional._checks import float_tensor, probability
from minidl.functional.normalization import batch_norm, check_batch_norm_input, dropout2d
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor, float32


class _BatchNorm(Module):
    """y = γ · (x − μ) / √(σ² + eps) + β per channel (see :func:`minidl.functional.batch_norm`).

    Training mode normalises with the batch's statistics and updates the running ones
    (buffers ``running_mean``, ``running_var``, ``num_batches_tracked``, saved in the
    state_dict); eval mode uses the running statistics. γ starts at 1, β at 0.
    """

    _ndims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) \
                or num_features < 1:
            raise ValueError(f"{type(self).__name__}: num_features must be an int >= 1, "
                             f"got {num_features!r}")
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = np.dtype(dtype or float32)
        if affine:
            self.weight = Parameter(np.ones(self.num_features, dtype))
            self.bias = Parameter(np.zeros(self.num_features, dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        name = f"{type(self).__name__}({self.num_features})"
        check_batch_norm_input(name, float_tensor(name, input), self.num_features, self._ndims)
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data += 1
            if momentum is None:  # cumulative moving average, as PyTorch
                momentum = 1.0 / int(self.num_batches_tracked.item())
        # eval without running statistics normalises with the batch's own, as PyTorch
        use_batch = self.training or not self.track_running_stats
        return batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                          use_batch, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs, statistics per channel C."""

    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs, statistics per channel over (N, H, W)."""

    _ndims = (4,)


class Dropout2d(Module):
    """In training mode, zero whole channels x[n, c] with probability ``p`` and scale the
    rest by 1/(1 − p); identity in eval mode. (N, C, H, W) or (C, H, W)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = probability("Dropout2d", p)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return dropout2d(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
