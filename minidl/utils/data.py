"""``minidl.utils.data``: ``torch.utils.data``'s names, which live in :mod:`minidl.data`.

So ``from minidl.utils.data import DataLoader, TensorDataset`` works as in PyTorch.
"""

from minidl.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]
