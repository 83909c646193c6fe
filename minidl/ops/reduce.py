"""Reductions over dims: sum, mean, var, amax, amin (``dim`` int, tuple or None)."""

from __future__ import annotations

import numpy as np

from minidl.autograd.function import Function, Node
from minidl.errors import ShapeError, fmt_shape


def _expand_back(grad: np.ndarray, shape: tuple[int, ...], dims, keepdim: bool) -> np.ndarray:  # noqa: ANN001
    """Re-insert reduced axes (size 1) so ``grad`` broadcasts against the input."""
    if dims is None:
        return np.reshape(grad, (1,) * len(shape))
    if not keepdim:
        grad = np.expand_dims(grad, dims)
    return grad


def _count(shape: tuple[int, ...], dims) -> int:  # noqa: ANN001
    return int(np.prod([shape[d] for d in dims])) if dims is not None else int(np.prod(shape))


class Sum(Function):
    @staticmethod
    def forward(ctx: Node, a, dims, keepdim):  # noqa: ANN001
        ctx.meta = (a.shape, dims, keepdim)
        return np.sum(a, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        shape, dims, keepdim = ctx.meta
        return np.broadcast_to(_expand_back(grad, shape, dims, keepdim), shape).copy(), None, None


class Mean(Function):
    @staticmethod
    def forward(ctx: Node, a, dims, keepdim):  # noqa: ANN001
        if a.size == 0:
            raise ShapeError(f"mean: cannot average an empty tensor of shape {fmt_shape(a.shape)}")
        ctx.meta = (a.shape, dims, keepdim)
        return np.mean(a, axis=dims, keepdims=keepdim).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        shape, dims, keepdim = ctx.meta
        g = _expand_back(grad, shape, dims, keepdim) / _count(shape, dims)
        return np.broadcast_to(g, shape).astype(grad.dtype), None, None


class Var(Function):
    """var = Σ(x − mean)² / (n − correction); d/dx = 2(x − mean) / (n − correction)."""

    @staticmethod
    def forward(ctx: Node, a, dims, correction, keepdim):  # noqa: ANN001
        n = _count(a.shape, dims)
        if n - correction <= 0:
            raise ShapeError(
                f"var: {n} element(s) per group is too few for correction={correction}"
            )
        centered = a - np.mean(a, axis=dims, keepdims=True)
        ctx.save_for_backward(centered)
        ctx.meta = (a.shape, dims, keepdim, n - correction)
        out = np.sum(centered * centered, axis=dims, keepdims=keepdim) / (n - correction)
        return out.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (centered,) = ctx.saved_tensors
        shape, dims, keepdim, denom = ctx.meta
        g = _expand_back(grad, shape, dims, keepdim)
        return (g * 2 * centered / denom).astype(grad.dtype), None, None, None


class AMax(Function):
    """Max over dims; ties share the gradient evenly (PyTorch's ``amax`` rule)."""

    reducer = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx: Node, a, dims, keepdim):  # noqa: ANN001
        if a.size == 0:
            raise ShapeError(f"max/min: empty tensor of shape {fmt_shape(a.shape)}")
        out = cls.reducer(a, axis=dims, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.meta = (dims, keepdim)
        return out if keepdim else np.squeeze(out, axis=dims)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        a, out = ctx.saved_tensors
        dims, keepdim = ctx.meta
        hit = a == out
        g = _expand_back(grad, a.shape, dims, keepdim)
        return g * hit / hit.sum(axis=dims, keepdims=True), None, None


class AMin(AMax):
    reducer = staticmethod(np.min)


class CumSum(Function):
    """Running sum along ``dim``; each input adds to every later output, so the gradient is
    the running sum of the output gradients taken from the end backwards."""

    @staticmethod
    def forward(ctx: Node, a, dim):  # noqa: ANN001
        ctx.dim = dim
        return np.cumsum(a, axis=dim)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        flipped = np.flip(grad, axis=ctx.dim)
        return np.flip(np.cumsum(flipped, axis=ctx.dim), axis=ctx.dim), None


class Norm(Function):
    """‖a‖_p = (Σ |a|^p)^(1/p) over dims; p = inf is the largest |a|.

    d‖a‖_p/da = sign(a) |a|^(p−1) / ‖a‖_p^(p−1); for p = 2 that is a / ‖a‖, taken as 0 where
    the norm is 0 (as in PyTorch). For p = inf the gradient is shared by the tied maxima.
    """

    @staticmethod
    def forward(ctx: Node, a, p, dims, keepdim):  # noqa: ANN001
        absolute = np.abs(a)
        if p == np.inf:
            out = np.max(absolute, axis=dims, keepdims=True)
        elif p == 1:
            out = np.sum(absolute, axis=dims, keepdims=True)
        elif p == 2:
            out = np.sqrt(np.sum(a * a, axis=dims, keepdims=True))
        else:
            out = np.sum(absolute**p, axis=dims, keepdims=True) ** (1.0 / p)
        ctx.save_for_backward(a, out)
        ctx.meta = (p, dims, keepdim)
        return (out if keepdim else np.squeeze(out, axis=dims)).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        a, out = ctx.saved_tensors
        p, dims, keepdim = ctx.meta
        g = _expand_back(grad, a.shape, dims, keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == np.inf:
                hit = np.abs(a) == out
                local = np.sign(a) * hit / hit.sum(axis=dims, keepdims=True)
            elif p == 1:
                local = np.sign(a)
            elif p == 2:
                local = np.where(out == 0, 0, a / out)
            else:
                local = np.where(out == 0, 0, np.sign(a) * np.abs(a) ** (p - 1) / out ** (p - 1))
        return (g * local).astype(grad.dtype, copy=False), None, None, None
