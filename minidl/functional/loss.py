"""Loss functions: regression (MSE), binary (BCE) and multi-class (cross-entropy, NLL).

Each returns per-element losses reduced by ``reduction``: ``'mean'`` (default), ``'sum'``
or ``'none'`` (no reduction: the per-element/per-sample losses).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.autograd.function import Function, Node
from minidl.errors import DTypeError, ShapeError, fmt_shape
from minidl.functional._checks import as_target_array, float_tensor, probability
from minidl.functional._checks import reduction as check_reduction
from minidl.kernels.dispatch import is_array, kernels
from minidl.tensor import Tensor

K = kernels("loss")


class CrossEntropy(Function):
    """Per-sample cross-entropy of logits (N, C) against int targets (N,) (a keyword)."""

    @staticmethod
    def forward(ctx: Node, logits, *, target, label_smoothing):  # noqa: ANN001
        ctx.save_for_backward(logits, target)
        ctx.label_smoothing = label_smoothing
        return K.cross_entropy_forward(logits, target, label_smoothing)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        logits, target = ctx.saved_tensors
        return K.cross_entropy_backward(grad, logits, target, ctx.label_smoothing)


class BCEWithLogits(Function):
    """Elementwise binary cross-entropy of σ(logits) against ``target`` (a keyword)."""

    @staticmethod
    def forward(ctx: Node, logits, *, target):  # noqa: ANN001
        ctx.save_for_backward(logits, target)
        return K.bce_with_logits_forward(logits, target)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        logits, target = ctx.saved_tensors
        return K.bce_with_logits_backward(grad, logits, target)


class BinaryCrossEntropy(Function):
    """Elementwise binary cross-entropy of probabilities against ``target`` (a keyword)."""

    @staticmethod
    def forward(ctx: Node, p, *, target):  # noqa: ANN001
        ctx.save_for_backward(p, target)
        return K.binary_cross_entropy_forward(p, target)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        p, target = ctx.saved_tensors
        return K.binary_cross_entropy_backward(grad, p, target)


def _reduce(losses: Tensor, how: str) -> Tensor:
    if how == "none":
        return losses
    return losses.sum() if how == "sum" else losses.mean()


def _same_shape(fn: str, x: Tensor, target: Any) -> None:
    if np.shape(target._data if isinstance(target, Tensor) else target) != x.shape:
        raise ShapeError(
            f"{fn}: expected target of the input's shape {fmt_shape(x.shape)}, got "
            f"{fmt_shape(np.shape(target._data if isinstance(target, Tensor) else target))}"
        )


def _weighted(fn: str, losses: Tensor, weight: Any) -> Tensor:
    if weight is None:
        return losses
    w = weight._data if isinstance(weight, Tensor) else np.asarray(weight)
    try:
        np.broadcast_shapes(w.shape, losses.shape)
    except ValueError:
        raise ShapeError(
            f"{fn}: weight {fmt_shape(w.shape)} does not broadcast to the input "
            f"{fmt_shape(losses.shape)}"
        ) from None
    return losses * w.astype(losses.dtype, copy=False)


def mse_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Squared error (x − y)², reduced. input and target: the same shape.

    Unlike PyTorch (which only warns), a target of another shape is an error: (N, 1)
    against (N,) would broadcast to (N, N) and silently learn the wrong thing.
    """
    how = check_reduction("mse_loss", reduction)
    x = float_tensor("mse_loss", input)
    _same_shape("mse_loss", x, target)
    y = target if isinstance(target, Tensor) and target.requires_grad else as_target_array(
        "mse_loss", target, x.dtype
    )
    diff = x - y
    return _reduce(diff * diff, how)


def binary_cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None, *,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """−w · [y log p + (1 − y) log(1 − p)], each log clamped at −100 like PyTorch.

    input: probabilities p in [0, 1], any shape   target y: same shape (0/1 or soft labels)
    weight: broadcastable to the input, rescales each element's loss.
    """
    how = check_reduction("binary_cross_entropy", reduction)
    x = float_tensor("binary_cross_entropy", input)
    _same_shape("binary_cross_entropy", x, target)
    nan = np.isnan(x._data)
    if nan.any():
        raise ValueError(
            f"binary_cross_entropy: input must hold probabilities in [0, 1], got NaN at flat "
            f"position {int(np.argmax(nan))} of input {fmt_shape(x.shape)} (a NaN comes from an "
            "earlier step: look at what produced the input, e.g. an overflow or log(0))"
        )
    if x._data.size and (x._data.min() < 0 or x._data.max() > 1):
        raise ValueError(
            "binary_cross_entropy: input must hold probabilities in [0, 1], got values in "
            f"[{x._data.min():.4g}, {x._data.max():.4g}] (apply sigmoid first, or use "
            "binary_cross_entropy_with_logits)"
        )
    y = as_target_array("binary_cross_entropy", target, x.dtype)
    losses = BinaryCrossEntropy.apply(x, target=y)
    return _reduce(_weighted("binary_cross_entropy", losses, weight), how)


def binary_cross_entropy_with_logits(
    input: Tensor, target: Tensor, weight: Tensor | None = None, *,  # noqa: A002
    reduction: str = "mean", pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy of σ(x) against y, from the logits x (stable for any |x|).

    ℓ = −w · [p_w · y log σ(x) + (1 − y) log(1 − σ(x))]
    input: logits, any shape   target: same shape   weight: broadcastable to the input
    pos_weight: (C,) broadcast along the last dim, weighs the positive term (p_w > 1 raises
    recall on a rare positive class). With ℓ₀(x, y) the unweighted loss,
    ℓ = ℓ₀(x, y) + (p_w − 1) · y · ℓ₀(x, 1).
    """
    fn = "binary_cross_entropy_with_logits"
    how = check_reduction(fn, reduction)
    x = float_tensor(fn, input)
    _same_shape(fn, x, target)
    y = as_target_array(fn, target, x.dtype)
    losses = BCEWithLogits.apply(x, target=y)
    if pos_weight is not None:
        pw = pos_weight._data if isinstance(pos_weight, Tensor) else np.asarray(pos_weight)
        if pw.ndim > 1 or (pw.ndim == 1 and x.ndim and pw.shape[0] not in (1, x.shape[-1])):
            raise ShapeError(
                f"{fn}: expected pos_weight of shape (C,) with C = {x.shape[-1] if x.ndim else 1} "
                f"(the last dim of the input), got {fmt_shape(pw.shape)}"
            )
        positive = BCEWithLogits.apply(x, target=np.ones_like(y))
        losses = losses + (pw.astype(x.dtype, copy=False) - 1) * y * positive
    return _reduce(_weighted(fn, losses, weight), how)


def _class_layout(fn: str, x: Tensor, target: Any) -> tuple[Tensor, np.ndarray, tuple[int, ...]]:
    """Flatten (N, C, d1, …) scores to (M, C) rows and the target to (M,) class indices.

    Returns the rows, the indices, and the shape of the per-sample losses: (N, d1, …)
    for a batched input, () for a single sample given as (C,).
    """
    t = target._data if isinstance(target, Tensor) else target
    if not is_array(t):
        raise TypeError(f"{fn}: expected target to be a Tensor, got {type(target).__name__}")
    if t.dtype.kind not in "iu":
        hint = (" (class-probability targets are not supported; pass class indices)"
                if t.dtype.kind == "f" and t.shape == x.shape else " (use .long())")
        raise DTypeError(f"{fn}: expected integer class indices as target, got dtype "
                         f"{t.dtype}{hint}")
    if x.ndim == 0:
        raise ShapeError(f"{fn}: expected input (N, C) of class scores, got a scalar")
    expected = () if x.ndim == 1 else x.shape[:1] + x.shape[2:]
    if t.shape != expected:
        names = "()" if x.ndim == 1 else "(N,)" if x.ndim == 2 else "(N, d1, ...)"
        raise ShapeError(
            f"{fn}: expected target {names} = {fmt_shape(expected)} for input "
            f"{fmt_shape(x.shape)}, got {fmt_shape(t.shape)}"
        )
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    if x.ndim > 2:
        x = x.permute(0, *range(2, x.ndim), 1)
    return x.reshape(-1, c), t.reshape(-1).astype(np.int64, copy=False), expected


def _check_classes(fn: str, t: np.ndarray, keep: np.ndarray, c: int, ignore_index: int) -> None:
    bad = keep & ((t < 0) | (t >= c))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{fn}: target class indices must be in [0, {c}) (or ignore_index={ignore_index}), "
            f"got {int(t[i])} at flat position {i}"
        )


def _check_not_empty(fn: str, x: Tensor, how: str) -> None:
    """A mean over no samples is undefined: say so (PyTorch returns nan, which then spreads)."""
    if how == "mean" and 0 in x.shape:
        raise ShapeError(
            f"{fn}: expected a non-empty batch of class scores (N, C) with N ≥ 1, got input "
            f"{fmt_shape(x.shape)}: the mean loss over no samples is undefined. Check the "
            "DataLoader or the slice that made this batch (reduction='sum' would give 0)"
        )


def _masked_reduce(
    losses: Tensor, keep: np.ndarray, shape: tuple[int, ...], how: str
) -> Tensor:
    """Zero the ignored samples; 'mean' averages over the kept ones only (as PyTorch)."""
    if not keep.all():
        losses = losses * keep.astype(losses.dtype)
    if how == "none":
        return losses.reshape(shape)
    if how == "sum" or keep.all():
        return _reduce(losses, how)
    if not keep.any():  # as PyTorch: the mean over no kept sample is nan, with zero gradient
        return losses.sum() * 0.0 + float("nan")
    return losses.sum() / float(keep.sum())


def cross_entropy(
    input: Tensor, target: Tensor, *, ignore_index: int = -100,  # noqa: A002
    reduction: str = "mean", label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of class scores against class indices.

    loss_n = (1 − ε)(−log p_{n, y_n}) + ε · mean_c(−log p_{n, c}),  p = softmax over classes
    input: (N, C) logits, (N, C, d1, …) or (C,)   target: (N,), (N, d1, …) or () int
    Samples whose target equals ``ignore_index`` contribute nothing, and 'mean' averages
    over the others.
    """
    fn = "cross_entropy"
    how = check_reduction(fn, reduction)
    eps = probability(fn, label_smoothing, "label_smoothing")
    _check_not_empty(fn, float_tensor(fn, input), how)
    rows, t, shape = _class_layout(fn, input, target)
    keep = t != ignore_index
    _check_classes(fn, t, keep, rows.shape[1], ignore_index)
    losses = CrossEntropy.apply(rows, target=np.where(keep, t, 0), label_smoothing=eps)
    return _masked_reduce(losses, keep, shape, how)


def nll_loss(
    input: Tensor, target: Tensor, *, ignore_index: int = -100,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood −input[n, y_n] of log-probabilities (e.g. from log_softmax).

    input: (N, C) log-probabilities, (N, C, d1, …) or (C,)   target: (N,), (N, d1, …) or ()
    ``ignore_index`` as in :func:`cross_entropy`.
    """
    fn = "nll_loss"
    how = check_reduction(fn, reduction)
    _check_not_empty(fn, float_tensor(fn, input), how)
    rows, t, shape = _class_layout(fn, input, target)
    keep = t != ignore_index
    _check_classes(fn, t, keep, rows.shape[1], ignore_index)
    losses = -rows[np.arange(t.shape[0]), np.where(keep, t, 0)]
    return _masked_reduce(losses, keep, shape, how)

