"""Ops that pick or place elements by index: gather, scatter, masked_fill, index_select.

``gather`` and ``scatter`` address elements as PyTorch does: for ``dim = 1`` of a 2-D tensor,
``out[i][j] = a[i][index[i][j]]`` (gather) and ``out[i][index[i][j]] = src[i][j]`` (scatter).
:func:`along` turns ``index`` into the NumPy fancy index that does exactly that.
"""

from __future__ import annotations

import numpy as np

from minidl.autograd.function import Function, Node
from minidl.errors import DTypeError, ShapeError, fmt_shape
from minidl.kernels.dispatch import asarray


def along(op: str, shape: tuple[int, ...], index: np.ndarray, dim: int) -> tuple[np.ndarray, ...]:
    """The fancy index that reads ``a[..., index[i, j, ...], ...]`` along ``dim`` of ``a``.

    Every other axis d runs over ``range(index.shape[d])`` (so index may be smaller than
    ``a`` there, never larger, as in PyTorch).
    """
    index = asarray(index)
    if index.dtype.kind not in "iu":
        raise DTypeError(f"{op}: index must be an integer tensor, got dtype {index.dtype}")
    if index.ndim != len(shape):
        raise ShapeError(
            f"{op}: index {fmt_shape(index.shape)} must have as many dims as the input "
            f"{fmt_shape(shape)}"
        )
    if any(i > s for d, (i, s) in enumerate(zip(index.shape, shape)) if d != dim):
        raise ShapeError(
            f"{op}: index {fmt_shape(index.shape)} is larger than the input "
            f"{fmt_shape(shape)} outside dim {dim}"
        )
    if index.size and (index.min() < 0 or index.max() >= shape[dim]):
        raise ShapeError(
            f"{op}: index values must lie in [0, {shape[dim]}) for dim {dim} of "
            f"{fmt_shape(shape)}, got [{index.min()}, {index.max()}]"
        )
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


class Gather(Function):
    """out = a[along(index, dim)]; backward adds each gradient back where it was read."""

    @staticmethod
    def forward(ctx: Node, a, dim, index):  # noqa: ANN001
        where = along("gather", a.shape, index, dim)
        ctx.meta = (a.shape, where)
        return a[where]

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        shape, where = ctx.meta
        full = np.zeros_like(grad, shape=shape)  # on grad's device
        np.add.at(full, where, grad)
        return full, None, None


class Scatter(Function):
    """out = a, with ``src`` written (or added, ``reduce='add'``) at ``along(index, dim)``.

    ``src`` is a tensor at least as large as ``index`` (its leading ``index.shape`` block is
    used) or a number. Backward: positions that were overwritten pass no gradient to ``a``;
    ``src`` gets the gradient of the position it went to.
    """

    @staticmethod
    def forward(ctx: Node, a, dim, index, src, reduce):  # noqa: ANN001
        where = along("scatter", a.shape, index, dim)
        block = tuple(slice(n) for n in np.shape(index))
        values = src[block] if np.ndim(src) else src
        out = a.copy()
        if reduce == "add":
            np.add.at(out, where, values)
        else:
            out[where] = values
        ctx.meta = (where, block, np.shape(src), reduce)
        return out

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        where, block, src_shape, reduce = ctx.meta
        grad_a = grad
        if reduce != "add":
            grad_a = grad.copy()
            grad_a[where] = 0
        grad_src = None
        if ctx.needs_input_grad[3]:
            grad_src = np.zeros_like(grad, shape=src_shape)
            grad_src[block] = grad[where]
        return grad_a, None, None, grad_src, None


class MaskedFill(Function):
    """out = value where mask (broadcast to a's shape), else a; filled places pass no gradient."""

    @staticmethod
    def forward(ctx: Node, a, mask, value):  # noqa: ANN001
        mask = asarray(mask)
        if mask.dtype != np.bool_:
            raise DTypeError(f"masked_fill: mask must be a bool tensor, got dtype {mask.dtype}")
        try:
            mask = np.broadcast_to(mask, a.shape)
        except ValueError:
            raise ShapeError(
                f"masked_fill: mask {fmt_shape(mask.shape)} does not broadcast to the "
                f"tensor's shape {fmt_shape(a.shape)}"
            ) from None
        ctx.save_for_backward(mask)
        out = a.copy()
        out[mask] = value
        return out

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (mask,) = ctx.saved_tensors
        return np.where(mask, np.zeros((), grad.dtype), grad), None, None


class SetItem(Function):
    """out = a with ``out[index] = value``: what ``t[index] = value`` records in the graph.

    The overwritten places pass no gradient to ``a``; ``value`` gets the gradient of the
    places it was written to (summed where it was broadcast).
    """

    @staticmethod
    def forward(ctx: Node, a, value, index):  # noqa: ANN001
        out = a.copy()
        try:
            out[index] = value
        except (ValueError, IndexError) as e:
            raise ShapeError(f"__setitem__: {e} (tensor shape {fmt_shape(a.shape)})") from None
        ctx.meta = (index, np.shape(value))
        return out

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        from minidl.kernels.dispatch import kernels

        sum_to_shape = kernels("broadcast").sum_to_shape

        index, value_shape = ctx.meta
        grad_a = grad.copy()
        grad_a[index] = 0
        grad_value = None
        if ctx.needs_input_grad[1]:
            grad_value = sum_to_shape(asarray(grad[index]), value_shape)
        return grad_a, grad_value, None
