"""``Upsample``: resize image batches (nearest neighbour), as a layer."""

from __future__ import annotations

from minidl.functional.upsample import interpolate
from minidl.nn.module import Module
from minidl.tensor import Tensor


class Upsample(Module):
    """``Upsample(size=None, scale_factor=None, mode="nearest")``: (N, C, H, W) →
    (N, C, OH, OW) with OH = ``size`` or ⌊H·scale_factor⌋ (see
    :func:`minidl.functional.interpolate`). No parameters."""

    def __init__(self, size: int | tuple[int, int] | None = None,
                 scale_factor: float | tuple[float, float] | None = None,
                 mode: str = "nearest") -> None:
        super().__init__()
        if mode != "nearest":
            raise ValueError(f"Upsample: only mode='nearest' is supported, got mode={mode!r}")
        self.size, self.scale_factor, self.mode = size, scale_factor, mode

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return interpolate(input, self.size, self.scale_factor, self.mode)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else (
            f"scale_factor={float(self.scale_factor)!r}" if not isinstance(
                self.scale_factor, (tuple, list)) else f"scale_factor={self.scale_factor}")
        return f"{what}, mode='{self.mode}'"
