"""``minidl.utils``: PyTorch's ``torch.utils`` import paths (``minidl.utils.data``)."""

from minidl.utils import data

__all__ = ["data"]
