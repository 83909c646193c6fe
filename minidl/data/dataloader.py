"""``DataLoader``: iterate over a dataset in (shuffled) mini-batches of minidl Tensors.

::

    loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)
    for xb, yb in loader:        # xb (64, D), yb (64,); the last batch may be smaller
        ...

Each ``iter(loader)`` is one epoch. With ``shuffle=True`` every epoch draws a new
permutation from the loader's own NumPy generator, so after ``minidl.manual_seed(s)``
the same code sees the same batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from minidl.data.dataset import Subset, as_generator
from minidl.errors import ShapeError, fmt_shape
from minidl.tensor import Tensor, from_numpy, tensor


def _stack(arrays: list[np.ndarray]) -> Tensor:
    try:
        return from_numpy(np.stack(arrays))
    except ValueError:
        shapes = sorted({fmt_shape(np.shape(a)) for a in arrays})
        raise ShapeError(
            f"default_collate: cannot stack samples of different shapes {', '.join(shapes)}; "
            f"pass a collate_fn that pads them"
        ) from None


def default_collate(batch: list[Any]) -> Any:
    """Merge a list of samples into one batch, recursively.

    * Tensors, NumPy arrays and NumPy scalars of shape S → a Tensor (B, *S), dtype kept
      (Tensors are stacked by value: a batch is data, it carries no autograd graph);
    * Python numbers → a Tensor (B,): float32 for floats, int64 for ints, bool for bools;
    * tuples and lists → a tuple / list of collated fields (``(x, y)`` samples give
      ``(X_batch, y_batch)``); dicts → a dict with the same keys;
    * strings → a list of strings.
    """
    if not batch:
        raise ValueError("default_collate: expected a non-empty list of samples")
    first = batch[0]
    if isinstance(first, Tensor):
        return _stack([b._data for b in batch])
    if isinstance(first, (np.ndarray, np.generic)):
        return _stack(batch)
    if isinstance(first, (bool, int, float)):
        return tensor(batch)
    if isinstance(first, str):
        return list(batch)
    if isinstance(first, Mapping):
        return {key: default_collate([b[key] for b in batch]) for key in first}
    if isinstance(first, (tuple, list)):
        if any(len(b) != len(first) for b in batch):
            raise ShapeError("default_collate: every sample must have the same number of fields")
        fields = [default_collate(list(f)) for f in zip(*batch, strict=True)]
        if isinstance(first, tuple) and hasattr(first, "_fields"):  # a namedtuple
            return type(first)(*fields)
        return type(first)(fields)
    raise TypeError(
        f"default_collate: samples must be Tensors, numpy arrays, numbers, strings, or "
        f"tuples/lists/dicts of those, got {type(first).__name__}"
    )


def _batch_fetcher(dataset: Any) -> Callable[[np.ndarray], Any] | None:
    """The dataset's ``get_batch`` fast path, seen through any Subsets; None if it has none."""
    index_map = None
    while isinstance(dataset, Subset):
        index_map = dataset.indices if index_map is None else dataset.indices[index_map]
        dataset = dataset.dataset
    get_batch = getattr(dataset, "get_batch", None)
    if get_batch is None or index_map is None:
        return get_batch
    return lambda indices: get_batch(index_map[indices])


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"DataLoader: expected {name} to be a positive int, got {value!r}")
    return int(value)


class DataLoader:
    """Batches of ``dataset``; ``len(loader)`` is the number of batches in an epoch.

    Args:
        dataset: any object with ``__len__`` and ``__getitem__`` (a :class:`Dataset`).
        batch_size: samples per batch B; the last batch holds ``N mod B`` when that is not 0.
        shuffle: draw a fresh random order every epoch.
        drop_last: drop the last, smaller batch, so every batch holds exactly B samples.
        generator: a ``numpy.random.Generator`` or an int seed for shuffling; by default
            one seeded from minidl's generator when the loader is made.
        collate_fn: merges a list of samples into a batch (default :func:`default_collate`).

    When ``collate_fn`` is not given and the dataset has ``get_batch`` (a
    :class:`TensorDataset`, MNIST, or a Subset of them), each batch is fetched with one
    fancy-index instead of B separate ``dataset[i]`` calls.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: np.random.Generator | int | None = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
    ) -> None:
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"DataLoader: expected a dataset with __len__ and __getitem__, "
                f"got {type(dataset).__name__}"
            )
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"DataLoader: expected {name} to be a bool, got {flag!r}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}")
        self.dataset = dataset
        self.batch_size = _check_positive_int("batch_size", batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn or default_collate
        self.generator = as_generator(generator, "DataLoader") if self.shuffle else None
        self._fetch = _batch_fetcher(dataset) if collate_fn is None else None

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.generator is not None else np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start : start + self.batch_size]
            if self._fetch is not None:
                yield self._fetch(indices)
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in indices])

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
