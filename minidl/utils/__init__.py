"""``minidl.utils``: PyTorch's ``torch.utils`` import paths (``minidl.utils.data``) and tools
around models: ``flops`` (counting a forward pass's arithmetic)."""

from minidl.utils import data
from minidl.utils.flops import FlopCount, conv2d_flops, count_flops, linear_flops

__all__ = ["FlopCount", "conv2d_flops", "count_flops", "data", "linear_flops"]
