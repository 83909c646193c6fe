"""Layer 5: tools around models: ``flops`` (counting a forward pass's arithmetic)."""

from minidl.utils.flops import FlopCount, conv2d_flops, count_flops, linear_flops

__all__ = ["FlopCount", "conv2d_flops", "count_flops", "linear_flops"]
