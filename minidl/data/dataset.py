"""Datasets: anything with ``len(ds)`` and ``ds[i]`` (PyTorch's ``torch.utils.data`` names).

A dataset may also offer ``get_batch(indices)``, minidl's whole-batch fast path: it
returns the collated batch for an integer array of indices in one fancy-index per
array, instead of ``len(indices)`` calls to ``__getitem__`` followed by stacking.
:class:`~minidl.data.DataLoader` uses it when it is there (looking through
:class:`Subset`), which is what makes a loader over a :class:`TensorDataset` fast.
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from minidl import random as _random
from minidl.errors import ShapeError, fmt_shape
from minidl.tensor import Tensor, from_numpy


class Dataset(ABC):
    """A map-style dataset: ``ds[i]`` is the i-th sample, ``len(ds)`` how many there are.

    Subclass it and implement both methods::

        class Squares(Dataset):
            def __len__(self):
                return 10

            def __getitem__(self, i):
                return np.float32(i), np.float32(i * i)
    """

    @abstractmethod
    def __getitem__(self, index: int) -> Any:
        """The sample at ``index`` (usually a tuple such as ``(x, y)``)."""

    @abstractmethod
    def __len__(self) -> int:
        """The number of samples."""


def as_generator(generator: np.random.Generator | int | None, where: str) -> np.random.Generator:
    """A NumPy generator from ``generator``: itself, a seed, or (``None``) one seeded from
    :func:`minidl.random.default_generator`, so results repeat after ``minidl.manual_seed``."""
    if generator is None:
        return np.random.default_rng(_random.default_generator().integers(2**63))
    if isinstance(generator, np.random.Generator):
        return generator
    if (
        isinstance(generator, (int, np.integer))
        and not isinstance(generator, bool)
        and generator >= 0
    ):
        return np.random.default_rng(int(generator))
    raise TypeError(
        f"{where}: expected generator to be a numpy.random.Generator, a non-negative int seed "
        f"or None, got {generator!r}"
    )


class TensorDataset(Dataset):
    """Samples are rows of the given tensors: ``ds[i] == (t[i] for t in tensors)``.

    Every tensor (or NumPy array, wrapped without a copy) must have the same size
    along dim 0, e.g. ``TensorDataset(X, y)`` with X (N, D) and y (N,).
    """

    def __init__(self, *tensors: Tensor | np.ndarray) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor, got none")
        wrapped = []
        for k, t in enumerate(tensors):
            if isinstance(t, np.ndarray):
                t = from_numpy(t)
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"TensorDataset: expected Tensors or numpy arrays, "
                    f"got {type(t).__name__} at position {k}"
                )
            if t.ndim == 0:
                raise ShapeError(
                    f"TensorDataset: tensor {k} is a scalar; every tensor needs a dim 0 to index"
                )
            wrapped.append(t)
        sizes = [t.shape[0] for t in wrapped]
        if len(set(sizes)) > 1:
            shapes = ", ".join(fmt_shape(t.shape) for t in wrapped)
            raise ShapeError(
                f"TensorDataset: every tensor must have the same size in dim 0, got shapes {shapes}"
            )
        self.tensors: tuple[Tensor, ...] = tuple(wrapped)

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def get_batch(self, indices: np.ndarray) -> tuple[Tensor, ...]:
        """The batch ``(t[indices] for t in tensors)``: one fancy-index per tensor."""
        return tuple(t[indices] for t in self.tensors)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``: ``Subset(ds, idx)[i] == ds[idx[i]]``."""

    def __init__(self, dataset: Any, indices: Sequence[int] | np.ndarray | Tensor) -> None:
        idx = np.asarray(indices._data if isinstance(indices, Tensor) else indices)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise TypeError(f"Subset: expected a 1-D sequence of ints, got {indices!r}")
        n = len(dataset)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(
                f"Subset: indices must lie in [-{n}, {n}) for a dataset of {n} samples, "
                f"got range [{idx.min()}, {idx.max()}]"
            )
        self.dataset = dataset
        self.indices = idx.astype(np.int64) % max(n, 1)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return len(self.indices)


def _split_lengths(n: int, lengths: Sequence[float]) -> list[int]:
    """Integer lengths from ``lengths`` (ints summing to n, or fractions summing to 1)."""
    if len(lengths) == 0:
        raise ValueError("random_split: expected at least one length, got none")
    if all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in lengths):
        if any(x < 0 for x in lengths) or sum(lengths) != n:
            raise ValueError(
                f"random_split: integer lengths must be >= 0 and sum to the dataset's "
                f"length {n}, got {list(lengths)} (sum {sum(lengths)})"
            )
        return [int(x) for x in lengths]
    if not all(isinstance(x, (float, np.floating)) and 0.0 <= x <= 1.0 for x in lengths) or not (
        math.isclose(sum(lengths), 1.0, abs_tol=1e-6)
    ):
        raise ValueError(
            f"random_split: expected ints summing to {n} or fractions in [0, 1] summing to 1, "
            f"got {list(lengths)}"
        )
    # floor each share, then hand the remainder out one by one from the front (as PyTorch)
    counts = [int(math.floor(n * f)) for f in lengths]
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    for i, c in enumerate(counts):
        if c == 0:
            warnings.warn(f"random_split: split {i} is empty", UserWarning, stacklevel=3)
    return counts


def random_split(
    dataset: Any,
    lengths: Sequence[float],
    generator: np.random.Generator | int | None = None,
) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given lengths.

    ``lengths`` are ints summing to ``len(dataset)``, or fractions summing to 1
    (``[0.8, 0.2]``): each split gets ``floor(n * f)`` samples and the leftover
    samples go one each to the first splits. ``generator`` (a NumPy Generator or a
    seed) makes the split repeatable; by default it is drawn from minidl's seeded
    generator.
    """
    n = len(dataset)
    counts = _split_lengths(n, lengths)
    perm = as_generator(generator, "random_split").permutation(n)
    bounds = np.cumsum([0, *counts])
    return [Subset(dataset, perm[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
