"""Ops that move elements around without changing them: reshape, permute, index, join."""

from __future__ import annotations

import numpy as np

from minidl.autograd.function import Function, Node
from minidl.errors import ShapeError, fmt_shape
from minidl.kernels.dispatch import asarray


class Reshape(Function):
    is_view = True

    @staticmethod
    def forward(ctx: Node, a, shape):  # noqa: ANN001
        ctx.in_shape = a.shape
        try:
            return np.reshape(a, shape)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot view {fmt_shape(a.shape)} ({a.size} elements) as {shape}"
            ) from None

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        return grad.reshape(ctx.in_shape), None


class Permute(Function):
    is_view = True

    @staticmethod
    def forward(ctx: Node, a, dims):  # noqa: ANN001
        if sorted(d % max(a.ndim, 1) for d in dims) != list(range(a.ndim)):
            raise ShapeError(
                f"permute: {tuple(dims)} is not a permutation of the {a.ndim} dims of "
                f"{fmt_shape(a.shape)}"
            )
        ctx.dims = dims
        return np.transpose(a, dims)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        return np.transpose(grad, np.argsort([d % grad.ndim for d in ctx.dims])), None


class Expand(Function):
    is_view = True

    @staticmethod
    def forward(ctx: Node, a, shape):  # noqa: ANN001
        ctx.in_shape = a.shape
        lead = len(shape) - a.ndim
        target = tuple(
            a.shape[i - lead] if s == -1 else s for i, s in enumerate(shape)
        )
        try:
            return np.broadcast_to(a, target)
        except ValueError:
            raise ShapeError(
                f"expand: cannot expand {fmt_shape(a.shape)} to {tuple(shape)}"
            ) from None

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        from minidl.kernels.dispatch import kernels

        sum_to_shape = kernels("broadcast").sum_to_shape

        return sum_to_shape(grad, ctx.in_shape), None


def normalize_index(index):  # noqa: ANN001, ANN201
    """Arrays for Tensors inside an index; lists become integer/bool arrays."""
    from minidl.tensor import Tensor

    def one(i):  # noqa: ANN001, ANN202
        if isinstance(i, Tensor):
            return i._data
        if isinstance(i, list):
            return asarray(i)
        return i

    return tuple(one(i) for i in index) if isinstance(index, tuple) else one(index)


class GetItem(Function):
    """``a[index]`` with ints, slices, None, Ellipsis, integer or bool arrays.

    Backward scatters the gradient into zeros: by assignment for basic indexing (ints,
    slices, None, Ellipsis pick each element at most once), else with ``np.add.at``, so an
    element picked twice by an integer array gets both contributions (``np.add.at`` is
    30× slower on a slice of a GPT's q, k, v: 0.9 ms instead of 0.03 ms).
    """

    is_view = True  # basic indexing (ints, slices) returns a view, as in PyTorch

    @staticmethod
    def forward(ctx: Node, a, index):  # noqa: ANN001
        key = index if isinstance(index, tuple) else (index,)
        if not any(k is Ellipsis for k in key):
            index = (*key, Ellipsis)  # so a[0] of a vector is a 0-d view, not a NumPy scalar
        try:
            out = a[index]
        except IndexError as e:
            raise ShapeError(f"getitem: {e} (tensor shape {fmt_shape(a.shape)})") from None
        ctx.meta = (a.shape, a.dtype, index)
        return out

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        shape, dtype, index = ctx.meta
        full = np.zeros_like(grad, shape=shape)  # on grad's device
        if all(k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice))
               for k in index):
            full[index] = grad  # basic indexing picks each element once: no need to add
        else:
            np.add.at(full, index, grad)
        return full, None


class Concatenate(Function):
    @staticmethod
    def forward(ctx: Node, *arrays, dim):  # noqa: ANN001
        ctx.meta = (dim, np.cumsum([a.shape[dim] for a in arrays])[:-1])
        try:
            return np.concatenate(arrays, axis=dim)
        except ValueError:
            shapes = ", ".join(fmt_shape(a.shape) for a in arrays)
            raise ShapeError(
                f"cat: all shapes must match except in dim {dim}, got {shapes}"
            ) from None

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        dim, splits = ctx.meta
        return tuple(np.split(grad, splits, axis=dim))


class Stack(Function):
    @staticmethod
    def forward(ctx: Node, *arrays, dim):  # noqa: ANN001
        ctx.dim = dim
        try:
            return np.stack(arrays, axis=dim)
        except ValueError:
            shapes = ", ".join(fmt_shape(a.shape) for a in arrays)
            raise ShapeError(f"stack: all shapes must be equal, got {shapes}") from None

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        return tuple(np.moveaxis(grad, ctx.dim, 0))


class Repeat(Function):
    """Tile ``a`` ``reps[d]`` times along each dim (``reps`` may add leading dims).

    Backward views the gradient as (r₀, n₀, r₁, n₁, …) and sums over the r axes.
    """

    @staticmethod
    def forward(ctx: Node, a, reps):  # noqa: ANN001
        if len(reps) < a.ndim:
            raise ShapeError(
                f"repeat: give at least one count per dim of {fmt_shape(a.shape)}, got {reps}"
            )
        shape = (1,) * (len(reps) - a.ndim) + a.shape
        ctx.meta = (a.shape, shape, reps)
        return np.tile(a.reshape(shape), reps)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        in_shape, shape, reps = ctx.meta
        split = [n for pair in zip(reps, shape) for n in pair]
        summed = grad.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return summed.reshape(in_shape), None


class Triangle(Function):
    """``tril`` (``upper=False``) or ``triu`` of the last two dims, diagonal offset ``k``."""

    @staticmethod
    def forward(ctx: Node, a, k, upper):  # noqa: ANN001
        if a.ndim < 2:
            name = "triu" if upper else "tril"
            raise ShapeError(f"{name}: expected at least 2 dims, got {fmt_shape(a.shape)}")
        ctx.meta = (k, upper)
        return np.triu(a, k) if upper else np.tril(a, k)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        k, upper = ctx.meta
        return (np.triu(grad, k) if upper else np.tril(grad, k)), None, None
