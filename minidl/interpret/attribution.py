"""Attribution: which input pixels a classifier's score for one class depends on.

All methods take ``model`` (a callable mapping a float32 Tensor (N, C, H, W) to class scores
(N, K), e.g. logits), a batch ``x`` (N, C, H, W) as a NumPy array and ``target`` (N,) ints:
the class whose score ``f_t`` is explained, per image.

* ``input_gradient``: ∂f_t/∂x by backpropagation (the model's weights stay untouched).
* ``saliency``: max over channels of |∂f_t/∂x| (Simonyan, Vedaldi & Zisserman, 2013).
* ``gradient_x_input``: x ⊙ ∂f_t/∂x (Shrikumar et al., 2016).
* ``integrated_gradients``: (x − x') ⊙ the average gradient on the straight path from the
  baseline x' to x (Sundararajan, Taly & Yan, 2017); its attributions sum to f_t(x) − f_t(x').
* ``occlusion``: how much the score drops when a patch is covered (Zeiler & Fergus, 2014).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minidl.autograd.grad_mode import no_grad
from minidl.errors import ShapeError, fmt_shape
from minidl.tensor import Tensor, tensor

Model = Callable[[Tensor], Tensor]


def _check(fn: str, x: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, target = np.asarray(x, np.float32), np.asarray(target)
    if x.ndim != 4 or target.shape != (x.shape[0],):
        raise ShapeError(f"{fn}: expected x (N, C, H, W) and target (N,), got x "
                         f"{fmt_shape(x.shape)} and target {fmt_shape(target.shape)}")
    return x, target.astype(np.int64)


def target_scores(model: Model, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    """f_t(x) for each image: (N,) float, without building a graph."""
    x, target = _check("target_scores", x, target)
    with no_grad():
        scores = model(tensor(x)).numpy()
    return scores[np.arange(len(target)), target]


def input_gradient(model: Model, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    """∂f_t/∂x for each image: (N, C, H, W) float32 (one backward for the whole batch:
    image n's score depends on image n only, in eval mode)."""
    x, target = _check("input_gradient", x, target)
    xt = tensor(x, requires_grad=True)
    scores = model(xt)
    scores[np.arange(len(target)), target].sum().backward()
    return xt.grad.numpy()


def saliency(model: Model, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    """max_c |∂f_t/∂x[n, c]|: (N, H, W)."""
    x, target = _check("saliency", x, target)
    return np.abs(input_gradient(model, x, target)).max(axis=1)


def gradient_x_input(model: Model, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    """x ⊙ ∂f_t/∂x: (N, C, H, W)."""
    x, target = _check("gradient_x_input", x, target)
    return x * input_gradient(model, x, target)


def integrated_gradients(model: Model, x: np.ndarray, target: np.ndarray,
                         baseline: np.ndarray | None = None, steps: int = 32) -> np.ndarray:
    """(x − x') ⊙ (1/m) Σ_k ∂f_t/∂x at x' + (k + ½)/m · (x − x'), k = 0 … m−1: (N, C, H, W).

    The midpoint rule with m = ``steps`` points; ``baseline`` x' (default: zeros, a black
    image) has x's shape.
    """
    x, target = _check("integrated_gradients", x, target)
    base = np.zeros_like(x) if baseline is None else np.asarray(baseline, np.float32)
    total = np.zeros_like(x)
    for k in range(steps):
        total += input_gradient(model, base + (k + 0.5) / steps * (x - base), target)
    return (x - base) * total / steps


def occlusion(model: Model, x: np.ndarray, target: np.ndarray, patch: int = 4,
              stride: int = 2, fill: float = 0.0) -> np.ndarray:
    """Score drop f_t(x) − f_t(x with a patch × patch square set to ``fill``), averaged per
    pixel over the squares that cover it: (N, H, W). Squares start at 0, stride, 2·stride, …
    while they fit; pixels no square covers get 0."""
    x, target = _check("occlusion", x, target)
    n, _, h, w = x.shape
    base = target_scores(model, x, target)
    drop = np.zeros((n, h, w), np.float64)
    count = np.zeros((h, w), np.float64)
    for r in range(0, h - patch + 1, stride):
        for s in range(0, w - patch + 1, stride):
            covered = x.copy()
            covered[:, :, r:r + patch, s:s + patch] = fill
            drop[:, r:r + patch, s:s + patch] += (base - target_scores(model, covered, target)
                                                  )[:, None, None]
            count[r:r + patch, s:s + patch] += 1
    return (drop / np.maximum(count, 1)).astype(np.float32)


def _ranks(a: Any) -> np.ndarray:
    """Ranks 0 … n−1 of the flattened values; tied values share their average rank."""
    flat = np.ravel(a)
    ranks = np.empty(flat.size)
    ranks[np.argsort(flat, kind="stable")] = np.arange(flat.size)
    _, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
    return (np.bincount(inverse, weights=ranks) / counts)[inverse]


def rank_correlation(a: Any, b: Any) -> float:
    """Spearman's rank correlation of two maps (flattened): the Pearson correlation of their
    ranks. 1: the same ordering of pixels, 0: unrelated orderings."""
    return float(np.corrcoef(_ranks(a), _ranks(b))[0, 1])
