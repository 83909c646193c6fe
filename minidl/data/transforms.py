"""Transforms applied to one sample at a time, and helpers for tabular data.

Sample transforms (torchvision names) are callables chained with :class:`Compose`::

    transform = Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])
    x = transform(image_uint8_28x28)          # Tensor (1, 28, 28), float32

Tabular helpers work on whole NumPy arrays (n_samples, n_features). The rule they
teach: compute statistics on the *training* split only, then apply the same
numbers to validation and test data::

    X_train, mean, std = standardize(X_train)
    X_test, _, _ = standardize(X_test, mean, std)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minidl.errors import DTypeError, ShapeError, fmt_shape
from minidl.tensor import Tensor, from_numpy


class Compose:
    """Apply ``transforms`` in order: ``Compose([f, g])(x) == g(f(x))``."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        transforms = list(transforms)
        for t in transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {t!r}")
        self.transforms = transforms

    def __call__(self, x: Any) -> Any:
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class Lambda:
    """Wrap any function ``fn(x) -> x'`` as a transform."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        if not callable(fn):
            raise TypeError(f"Lambda: expected a callable, got {fn!r}")
        self.fn = fn

    def __call__(self, x: Any) -> Any:
        return self.fn(x)

    def __repr__(self) -> str:
        return f"Lambda({getattr(self.fn, '__name__', repr(self.fn))})"


class ToTensor:
    """An image array (H, W) or (H, W, C) → a float32 Tensor (C, H, W).

    uint8 pixels are scaled to [0, 1] (``x / 255``); floating-point images are only
    moved to channels-first. (H, W) gets a channel dim of 1.
    """

    def __call__(self, pic: Any) -> Tensor:
        if isinstance(pic, Tensor):
            raise TypeError("ToTensor: the input is already a Tensor; expected a numpy image")
        arr = np.asarray(pic)
        if arr.ndim not in (2, 3):
            raise ShapeError(
                f"ToTensor: expected an image (H, W) or (H, W, C), got {fmt_shape(arr.shape)}"
            )
        if arr.ndim == 3 and arr.shape[0] in (1, 3) and arr.shape[2] > 4:
            raise ShapeError(
                f"ToTensor: expected an image (H, W) or (H, W, C), got {fmt_shape(arr.shape)}, "
                "which is channels-first already (as the items of minidl's MNIST('train') "
                "are): drop ToTensor, or use torchvision's form MNIST(root, train=True, "
                "transform=ToTensor()), whose transform gets the raw image"
            )
        if arr.dtype == np.uint8:
            arr = arr.astype(np.float32) / np.float32(255.0)
        elif arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        else:
            raise DTypeError(f"ToTensor: expected uint8 or floating-point pixels, got {arr.dtype}")
        chw = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
        return from_numpy(np.ascontiguousarray(chw))

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """Per-channel ``out[c] = (x[c] - mean[c]) / std[c]`` for an image (..., C, H, W).

    ``mean`` and ``std`` are a number or a sequence with one value per channel (or a
    single value for all channels). Works on float NumPy arrays and on Tensors
    (differentiably); the result has the input's type and dtype.
    """

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        for name, v in (("mean", self.mean), ("std", self.std)):
            if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)):
                raise ValueError(
                    f"Normalize: {name} must be a number or a sequence of numbers, got {v}"
                )
        if np.any(self.std == 0):
            raise ValueError(
                f"Normalize: std must not contain zeros (division by zero), got {self.std}"
            )

    def __call__(self, x: Any) -> Any:
        data = x._data if isinstance(x, Tensor) else x
        if not isinstance(data, np.ndarray):
            raise TypeError(
                f"Normalize: expected a numpy array or a Tensor, got {type(x).__name__}"
            )
        if data.dtype.kind != "f":
            raise DTypeError(
                f"Normalize: expected float pixels, got {data.dtype} (apply ToTensor first)"
            )
        if data.ndim < 3:
            raise ShapeError(
                f"Normalize: expected an image (..., C, H, W), got {fmt_shape(data.shape)}"
            )
        channels = data.shape[-3]
        for name, v in (("mean", self.mean), ("std", self.std)):
            if v.size not in (1, channels):
                raise ShapeError(
                    f"Normalize: {name} has {v.size} values for an image with {channels} channels "
                    f"(shape {fmt_shape(data.shape)})"
                )
        mean = self.mean.astype(data.dtype).reshape(-1, 1, 1)
        std = self.std.astype(data.dtype).reshape(-1, 1, 1)
        return (x - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


def _float_array(X: Any, where: str) -> np.ndarray:
    arr = np.asarray(X._data if isinstance(X, Tensor) else X)
    if arr.dtype.kind not in "fiub":
        raise DTypeError(f"{where}: expected numeric data, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ShapeError(f"{where}: expected an array (n_samples, ...), got a scalar")
    return arr if arr.dtype.kind == "f" else arr.astype(np.float32)


def _column_stat(
    values: Any, name: str, shape: tuple[int, ...], dtype: np.dtype, where: str
) -> np.ndarray:
    v = np.asarray(values, dtype=dtype)
    if v.shape != shape and v.size != 1:
        raise ShapeError(
            f"{where}: expected {name} of shape {fmt_shape(shape)}, got {fmt_shape(v.shape)}"
        )
    return np.broadcast_to(v, shape).copy()


def standardize(
    X: Any, mean: Any = None, std: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature-wise ``(X - mean) / std`` for X (n_samples, ...); returns (X_std, mean, std).

    When ``mean``/``std`` are not given they are the column statistics of X
    (``std`` the population standard deviation, ddof=0); a constant column has
    std 0 and is left unscaled (std reported as 1) instead of dividing by zero.
    Pass the training split's ``mean`` and ``std`` when standardizing other splits.
    Float dtypes are kept; integer data becomes float32.
    """
    X = _float_array(X, "standardize")
    if np.isnan(X).any():
        raise ValueError("standardize: X contains NaN; fill them first, e.g. with fill_missing(X)")
    stat_shape = X.shape[1:]
    mean = (
        X.mean(axis=0)
        if mean is None
        else _column_stat(mean, "mean", stat_shape, X.dtype, "standardize")
    )
    if std is None:
        std = X.std(axis=0)
        std = np.where(std == 0, np.ones_like(std), std)
    else:
        std = _column_stat(std, "std", stat_shape, X.dtype, "standardize")
        if np.any(std <= 0):
            raise ValueError("standardize: std must be positive everywhere")
    return ((X - mean) / std).astype(X.dtype, copy=False), mean, std


_FILL_STRATEGIES = ("mean", "median", "zero")


def fill_missing(
    X: Any, strategy: str = "mean", values: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Replace NaNs in X (n_samples, ...) column by column; returns (X_filled, values).

    ``strategy`` picks the fill value of each column from its non-missing entries:
    ``"mean"``, ``"median"`` or ``"zero"``. ``values`` (shape ``X.shape[1:]``)
    overrides it: pass the values returned for the training split when filling the
    validation and test splits. X itself is not modified.
    """
    X = _float_array(X, "fill_missing")
    missing = np.isnan(X)
    if values is not None:
        fill = _column_stat(values, "values", X.shape[1:], X.dtype, "fill_missing")
        if np.isnan(fill).any():
            raise ValueError("fill_missing: values must not contain NaN")
    elif strategy not in _FILL_STRATEGIES:
        raise ValueError(
            f"fill_missing: strategy must be one of {_FILL_STRATEGIES}, got {strategy!r}"
        )
    elif strategy == "zero":
        fill = np.zeros(X.shape[1:], dtype=X.dtype)
    else:
        empty = missing.all(axis=0)
        if np.any(empty):
            cols = (
                np.argwhere(empty).ravel().tolist()
                if empty.ndim == 1
                else np.argwhere(empty).tolist()
            )
            raise ValueError(
                f"fill_missing: column(s) {cols} hold only NaN; the {strategy} is undefined "
                f"(use strategy='zero' or pass values=)"
            )
        fill = (np.nanmean if strategy == "mean" else np.nanmedian)(X, axis=0).astype(X.dtype)
    return np.where(missing, fill, X), fill
