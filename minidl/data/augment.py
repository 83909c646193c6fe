"""Random image augmentation for (C, H, W) images and whole (N, C, H, W) batches.

Each transform is a callable on one image (an array or a Tensor, returned as the
same kind) and has a vectorised ``batch(x)`` method that draws independent random
parameters for every image of a (N, C, H, W) array in one go; :func:`augment_batch`
applies any of them (or a :class:`~minidl.data.transforms.Compose` of them) to a
batch. Randomness comes from ``generator`` (a ``numpy.random.Generator``) or, when
it is None, from minidl's seeded generator (``minidl.manual_seed``)::

    aug = Compose([RandomCrop(28, padding=2), RandomHorizontalFlip()])
    xb = augment_batch(xb, aug)          # (64, 1, 28, 28) → (64, 1, 28, 28)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl import random as _random
from minidl.errors import ShapeError, fmt_shape
from minidl.tensor import Tensor


def _as_pair(name: str, value: Any) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 0 for v in pair):
        raise ValueError(f"{name}: expected an int ≥ 0 or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


class RandomTransform:
    """Base class: ``__call__`` on one (C, H, W) image, ``batch`` on (N, C, H, W)."""

    def __init__(self, generator: np.random.Generator | None = None) -> None:
        self.generator = generator

    @property
    def rng(self) -> np.random.Generator:
        return self.generator if self.generator is not None else _random.default_generator()

    def batch(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, img: Any) -> Any:
        arr = img._data if isinstance(img, Tensor) else np.asarray(img)
        if arr.ndim != 3:
            raise ShapeError(f"{type(self).__name__}: expected an image (C, H, W), "
                             f"got {fmt_shape(arr.shape)}")
        out = self.batch(arr[None])[0]
        return Tensor(out) if isinstance(img, Tensor) else out


class RandomCrop(RandomTransform):
    """Zero-pad by ``padding`` on every side, then cut a random ``size`` (h, w) window.

    (C, H, W) → (C, h, w). Each image of a batch gets its own window.
    """

    def __init__(self, size: int | tuple[int, int], padding: int | tuple[int, int] | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(generator)
        self.size = _as_pair("RandomCrop size", size)
        self.padding = _as_pair("RandomCrop padding", padding or 0)

    def _crop_size(self, h: int, w: int) -> tuple[int, int]:
        return self.size

    def batch(self, x: np.ndarray) -> np.ndarray:
        n, _, h, w = x.shape
        (ph, pw), (ch, cw) = self.padding, self._crop_size(h, w)
        if ch > h + 2 * ph or cw > w + 2 * pw:
            raise ShapeError(f"{type(self).__name__}: crop {self.size} is larger than the padded "
                             f"image ({h + 2 * ph}, {w + 2 * pw})")
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        top = self.rng.integers(0, h + 2 * ph - ch + 1, size=n)
        left = self.rng.integers(0, w + 2 * pw - cw + 1, size=n)
        rows = (top[:, None] + np.arange(ch))[:, None, :, None]   # (N, 1, ch, 1)
        cols = (left[:, None] + np.arange(cw))[:, None, None, :]  # (N, 1, 1, cw)
        return xp[np.arange(n)[:, None, None, None], np.arange(x.shape[1])[None, :, None, None],
                  rows, cols]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomShift(RandomCrop):
    """Translate by up to ``max_shift`` pixels in each direction, filling with zeros.

    The same as ``RandomCrop((H, W), padding=max_shift)``: (C, H, W) → (C, H, W).
    """

    def __init__(self, max_shift: int = 2, generator: np.random.Generator | None = None) -> None:
        super().__init__(0, max_shift, generator)
        self.max_shift = max_shift

    def _crop_size(self, h: int, w: int) -> tuple[int, int]:
        return h, w

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift})"


class RandomHorizontalFlip(RandomTransform):
    """Mirror left–right with probability ``p``. (C, H, W) → (C, H, W)."""

    def __init__(self, p: float = 0.5, generator: np.random.Generator | None = None) -> None:
        super().__init__(generator)
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p!r}")
        self.p = p

    def batch(self, x: np.ndarray) -> np.ndarray:
        flip = self.rng.random(x.shape[0]) < self.p
        return np.where(flip[:, None, None, None], x[..., ::-1], x)

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


def augment_batch(batch: Any, transform: Any) -> Any:
    """Apply ``transform`` to every image of a (N, C, H, W) batch, vectorised.

    ``transform`` is a :class:`RandomTransform` or a ``Compose`` of them; each image
    draws its own random parameters. Returns the same kind as ``batch`` (array or Tensor).
    """
    arr = batch._data if isinstance(batch, Tensor) else np.asarray(batch)
    if arr.ndim != 4:
        raise ShapeError(
            f"augment_batch: expected a batch (N, C, H, W), got {fmt_shape(arr.shape)}"
        )
    for t in getattr(transform, "transforms", [transform]):
        if not isinstance(t, RandomTransform):
            raise TypeError(f"augment_batch: {t!r} has no vectorised batch(); use a "
                            "RandomTransform or a Compose of them")
        arr = t.batch(arr)
    return Tensor(arr) if isinstance(batch, Tensor) else arr
