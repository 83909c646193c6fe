# Your workbook, generated from solutions/ch08_frameworks.py
# by `python -m minidl.course sync`. Replace each `raise NotImplementedError(...)` with
# your code; sync keeps your edits when the course changes. Check your work with
# check("N.M") in the notebook or `python -m minidl.grade N.M` in a terminal.
"""Chapter 8: from minidl to the frameworks people use (notebooks/08_frameworks.ipynb).

Exercise 8.1 is a pass of the tracer (which recorded ops the outputs need). 8.2 sets a
pre-trained network up for fine-tuning, 8.3 fits a linear probe on frozen features. 8.4–8.6
are attribution methods: a saliency map, integrated gradients, occlusion. 8.7 measures how
unequal a classifier's accuracy is across groups, and 8.8–8.9 count the arithmetic of the two
layers that dominate a network's cost.

Models are minidl callables: ``model(Tensor (N, C, H, W)) -> Tensor (N, K)`` of class scores
(logits). Images are NumPy float32 arrays (N, C, H, W); ``target`` holds one class per image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import minidl
from minidl import nn
from minidl.course import exercise

Model = Callable[[minidl.Tensor], minidl.Tensor]


@exercise("8.1", section="Dynamic and static graphs")
def live_nodes(nodes: Sequence[tuple[Sequence[int], Sequence[int]]],
               outputs: Sequence[int]) -> list[int]:
    """Dead-node elimination: the indices of the nodes the graph's outputs depend on.

    A traced graph is a list of nodes in execution order; ``nodes[k] = (inputs, outputs)``
    lists the value ids node k reads and the value ids it produces. Every node comes after
    the nodes that produce its inputs. ``outputs`` are the value ids the graph returns.

    A node is *live* when one of its outputs is a graph output or is read by a live node.

    Args:
        nodes: list of (input ids, output ids) pairs, ids are ints.
        outputs: the returned value ids (they may also be graph inputs, made by no node).

    Returns:
        The indices of the live nodes, in increasing order (a Python list of ints).

    Hint: decide node by node, in an order in which every consumer of a node has already
    been decided (section "Dynamic and static graphs").
    """
    raise NotImplementedError(
        "Exercise 8.1 (live_nodes): see "
        "notebooks/08_frameworks.ipynb, section 'Dynamic and static graphs'"
    )


@exercise("8.2", section="Transfer learning")
def fine_tuning_param_groups(model: nn.Sequential, mode: str, lr: float,
                             backbone_lr: float | None = None) -> list[dict[str, Any]]:
    """Prepare a pre-trained ``model`` for fine-tuning and return the optimizer's groups.

    ``model[-1]`` is the new classification head; ``model[:-1]`` (every other layer) is the
    pre-trained feature extractor, the *backbone*.

    * ``mode == "frozen"``: the backbone's parameters stop requiring gradients (use
      ``requires_grad_``), the head's require them. One group: the head, at ``lr``.
    * ``mode == "full"``: every parameter requires gradients. Two groups: the backbone at
      ``backbone_lr`` (default ``lr / 10``), then the head at ``lr``.
    * any other mode: raise ``ValueError`` naming the mode.

    Returns:
        A list of dicts ``{"params": [Parameter, ...], "lr": float}``, ready for
        ``minidl.optim.Adam(groups)``; the parameters in each group in ``parameters()`` order.

    Hint: ``nn.Module.requires_grad_(flag)`` sets the flag on every parameter of a module.
    """
    raise NotImplementedError(
        "Exercise 8.2 (fine_tuning_param_groups): see "
        "notebooks/08_frameworks.ipynb, section 'Transfer learning'"
    )


@exercise("8.3", section="Self-supervised pre-training")
def fit_linear_probe(features: np.ndarray, labels: np.ndarray, num_classes: int,
                     l2: float = 1e-2) -> tuple[np.ndarray, np.ndarray]:
    """A linear probe fitted in closed form: ridge regression onto one-hot targets.

    With Y the one-hot matrix of ``labels`` (N, K), find W (D, K) and b (K,) minimising

        ‖F W + 1 bᵀ − Y‖² + l2 · ‖W‖²        (Frobenius norms; the bias is not penalised)

    The notebook derives the minimiser. Classify with ``argmax(F W + b, axis=1)``.

    Args:
        features: F, (N, D) float (any float dtype; compute in float64).
        labels: (N,) ints in [0, K).
        num_classes: K.
        l2: the ridge penalty, ≥ 0 (with l2 = 0 F must have full column rank).

    Returns:
        (W, b): float64 arrays of shapes (D, K) and (K,).

    Hint: minimise over b first (set the derivative to 0); what is left is a ridge problem
    on centred data, whose normal equations are one ``np.linalg.solve``.
    """
    raise NotImplementedError(
        "Exercise 8.3 (fit_linear_probe): see "
        "notebooks/08_frameworks.ipynb, section 'Self-supervised pre-training'"
    )


@exercise("8.4", section="Saliency maps")
def saliency(model: Model, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The saliency map of each image: how strongly its class score reacts to each pixel.

        S[n, h, w] = max over channels c of |∂ f_{target[n]}(x[n]) / ∂ x[n, c, h, w]|

    where f(x) = model(x) are the scores (logits) and f_t the score of class t.

    Args:
        model: a minidl model (in eval mode); it must not be changed (no weight updates).
        x: (N, C, H, W) float32 images.
        target: (N,) ints, the class explained for each image.

    Returns:
        (N, H, W) float32.

    Hint: make the *input* a tensor that requires a gradient. Image n's score depends only on
    image n, so one backward of the sum of the selected scores gives every image's gradient.
    """
    raise NotImplementedError(
        "Exercise 8.4 (saliency): see "
        "notebooks/08_frameworks.ipynb, section 'Saliency maps'"
    )


@exercise("8.5", section="Integrated gradients")
def integrated_gradients(model: Model, x: np.ndarray, target: np.ndarray,
                         baseline: np.ndarray | None = None, steps: int = 32) -> np.ndarray:
    """Integrated gradients (Sundararajan et al., 2017) with the midpoint rule.

    The attribution of input i is (x_i − x'_i) times the average of ∂f_t/∂x_i along the
    straight path from the baseline x' to x (section "Integrated gradients"). Approximate
    the path integral with ``steps`` = m points at the midpoints α_k = (k + ½)/m,
    k = 0 … m − 1.

    Args:
        model, x, target: as in 8.4.
        baseline: x' of x's shape (default: zeros, a black image).
        steps: m ≥ 1.

    Returns:
        (N, C, H, W) float32 attributions; their sum over (C, H, W) approaches
        f_t(x) − f_t(x') as m grows (completeness).
    """
    raise NotImplementedError(
        "Exercise 8.5 (integrated_gradients): see "
        "notebooks/08_frameworks.ipynb, section 'Integrated gradients'"
    )


@exercise("8.6", section="Occlusion")
def occlusion(model: Model, x: np.ndarray, target: np.ndarray, patch: int = 4,
              stride: int = 2, fill: float = 0.0) -> np.ndarray:
    """Occlusion maps (Zeiler & Fergus, 2014): the score lost when a square is covered.

    For every square of ``patch`` × ``patch`` pixels whose top-left corner is at (r, s),
    r and s in 0, stride, 2·stride, … as long as the square fits in the image, set those
    pixels (all channels) to ``fill`` and measure drop = f_t(x) − f_t(x covered). A pixel's
    value in the map is the mean drop over the squares that cover it (0 if none does).

    Args:
        model, x, target: as in 8.4.
        patch, stride: ints ≥ 1; fill: the value that covers.

    Returns:
        (N, H, W) float32.

    Hint: one forward pass per square position, for the whole batch at once; keep a
    per-pixel sum of drops and a per-pixel count of squares.
    """
    raise NotImplementedError(
        "Exercise 8.6 (occlusion): see "
        "notebooks/08_frameworks.ipynb, section 'Occlusion'"
    )


@exercise("8.7", section="Bias from data")
def group_accuracy_gap(predictions: np.ndarray, labels: np.ndarray,
                       groups: np.ndarray) -> tuple[np.ndarray, float]:
    """Accuracy per group and the gap between the best- and the worst-served group.

    Args:
        predictions, labels: (N,) ints.
        groups: (N,) group ids (ints or strings); every group present has ≥ 1 sample.

    Returns:
        (accuracies, gap): accuracies (G,) float64, one per distinct group in the order of
        ``np.unique(groups)``; gap = max − min of them, a Python float.
    """
    raise NotImplementedError(
        "Exercise 8.7 (group_accuracy_gap): see "
        "notebooks/08_frameworks.ipynb, section 'Bias from data'"
    )


@exercise("8.8", section="Energy: counting FLOPs")
def linear_flops(input_shape: Sequence[int], out_features: int, bias: bool = True) -> int:
    """FLOPs of ``nn.Linear(in_features, out_features)`` on an input of shape (..., in).

    Convention: a multiply-add is 2 FLOPs; adding the bias is 1 FLOP per output value.

    Returns:
        A Python int.
    """
    raise NotImplementedError(
        "Exercise 8.8 (linear_flops): see "
        "notebooks/08_frameworks.ipynb, section 'Energy: counting FLOPs'"
    )


@exercise("8.9", section="Energy: counting FLOPs")
def conv2d_flops(input_shape: Sequence[int], weight_shape: Sequence[int],
                 stride: int = 1, padding: int = 0, dilation: int = 1,
                 bias: bool = True) -> int:
    """FLOPs of a 2-D convolution: input (N, C, H, W), weight (O, C, kh, kw).

    The same convention as 8.8 (a multiply-add is 2 FLOPs, a bias 1 per output value).
    ``stride``, ``padding`` and ``dilation`` are ints, the same along H and W (chapter 3).

    Returns:
        A Python int.

    Hint: count the output values first (chapter 3's exercise 3.1), then the work per value.
    """
    raise NotImplementedError(
        "Exercise 8.9 (conv2d_flops): see "
        "notebooks/08_frameworks.ipynb, section 'Energy: counting FLOPs'"
    )
