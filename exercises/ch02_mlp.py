# Your workbook, generated from solutions/ch02_mlp.py
# by `python -m minidl.course sync`. Replace each `raise NotImplementedError(...)` with
# your code; sync keeps your edits when the course changes. Check your work with
# check("N.M") in the notebook or `python -m minidl.grade N.M` in a terminal.
"""Chapter 2: multi-layer perceptrons and how they learn (notebooks/02_mlp.ipynb).

Exercises 2.1–2.15 have the names and signatures of minidl's kernel slots, so after
``minidl.use_exercises()`` minidl runs your version: your affine map in every ``nn.Linear``,
your backward rules and topological order inside ``loss.backward()``, your cross-entropy,
your optimizer updates, initialisers and dropout. Exercises 2.16–2.18 are yours to use
directly: a numerical gradient check, one epoch of mini-batch training and the
early-stopping rule.

* 2.1 the fully connected layer's forward pass;
* 2.2–2.5 backpropagation: undoing broadcasting, the backward rules of ``@`` and of a
  linear layer, and the order in which ``backward()`` visits the graph;
* 2.6–2.8 stable log-softmax and softmax cross-entropy with its gradient;
* 2.9–2.12 optimizer steps: SGD with momentum, Adagrad, RMSprop, Adam;
* 2.13–2.14 Xavier and He initialisation;
* 2.15 inverted dropout.
* 2.16 central-difference gradients; 2.17 a mini-batch training epoch; 2.18 early stopping.

Arrays are NumPy arrays. Every kernel (2.1–2.15) is pure: it returns new arrays and never modifies
its inputs. Floating-point results keep the dtype of their float inputs (float32 stays
float32) unless the docstring says otherwise.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minidl.course import exercise
from minidl.kernels.cpu.init import calculate_gain  # noqa: F401 (exercise 2.14 uses it)

# ---- forward propagation ---------------------------------------------------------------


@exercise("2.1", section="Forward propagation")
def linear_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """The forward pass of a fully connected layer (``nn.Linear``) on a batch.

    Section "Forward propagation" derives the batched formula from one neuron's weighted sum.

    Args:
        x: inputs, shape (..., in): any number of leading (batch) dims, float32 or float64.
        weight: W, shape (out, in) (one ROW per output neuron, PyTorch's layout), dtype of x.
        bias: b, shape (out,), or None for a layer without bias.

    Returns:
        y, shape (..., out), dtype of x: a new array.

    Hint: the tests use inputs with zero, one and two leading dims; one expression can
    serve them all.
    """
    raise NotImplementedError(
        "Exercise 2.1 (linear_forward): see "
        "notebooks/02_mlp.ipynb, section 'Forward propagation'"
    )


# ---- backpropagation -------------------------------------------------------------------


@exercise("2.2", section="Backward rules you will write")
def sum_to_shape(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Undo broadcasting in a backward pass: sum ``grad`` down to ``shape``.

    If the forward pass broadcast an input b of shape (3,) to (N, 3) (as in y = x + b),
    every row of y used the same b, so dL/db = Σ_rows dL/dy. In general, with
    grad.shape = (g_1, …, g_m) and shape = (s_1, …, s_k), k ≤ m, right-aligned:

    * sum over the m − k leading axes that ``shape`` does not have;
    * then sum (keeping the axis) over every axis where ``shape`` has size 1 but grad
      does not.

    Example: grad (4, 2, 3) → shape (2, 1): sum axis 0 → (2, 3), then axis 1 keepdims →
    (2, 1).

    Args:
        grad: dL/dy, any shape broadcast-compatible with ``shape``.
        shape: the shape of the input that was broadcast (a tuple of ints).

    Returns:
        An array of exactly ``shape``, dtype of grad.

    Hint: ``grad.sum(axis=tuple_of_axes)`` and ``grad.sum(axis=..., keepdims=True)``.
    """
    raise NotImplementedError(
        "Exercise 2.2 (sum_to_shape): see "
        "notebooks/02_mlp.ipynb, section 'Backward rules you will write'"
    )


@exercise("2.3", section="Backward rules you will write")
def matmul_backward(
    grad: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The backward rule of C = A @ B (matrices, or stacks of them).

    For 2-D A (n, k) and B (k, m), with G = dL/dC of shape (n, m):

        dL/dA = G Bᵀ   (n, k)        dL/dB = Aᵀ G   (k, m)

    Batched: A (..., n, k) @ B (..., k, m), where the leading (batch) dims broadcast like
    NumPy's. Transpose only the last two axes; then sum each gradient back to its input's
    shape with your sum_to_shape (exercise 2.2), because an input whose batch dims were
    broadcast was used by several products.

    Args:
        grad: G = dL/dC, shape (..., n, m).
        a: A, shape (..., n, k), at least 2-D.
        b: B, shape (..., k, m), at least 2-D.

    Returns:
        ``(dL/dA, dL/dB)`` with the shapes of a and b.

    Hint: ``np.swapaxes(b, -1, -2)`` transposes the last two axes of a stack.
    """
    raise NotImplementedError(
        "Exercise 2.3 (matmul_backward): see "
        "notebooks/02_mlp.ipynb, section 'Backward rules you will write'"
    )


@exercise("2.4", section="Backward rules you will write")
def linear_backward(
    grad: np.ndarray, x: np.ndarray, weight: np.ndarray, has_bias: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The backward rule of y = x Wᵀ + b (exercise 2.1), given G = dL/dy.

        dL/dx = G W            (..., in)
        dL/dW = Σ_batch Gᵀ x   (out, in)   summed over ALL leading dims of x
        dL/db = Σ_batch G      (out,)      or None when ``has_bias`` is False

    Args:
        grad: G, shape (..., out).
        x: the forward input, shape (..., in).
        weight: W, shape (out, in).
        has_bias: whether the layer has a bias.

    Returns:
        ``(grad_x, grad_weight, grad_bias)``; grad_bias is None without a bias.

    Hint: flatten the leading dims first, ``G2 = grad.reshape(-1, out)`` and
    ``x2 = x.reshape(-1, in)``; then dL/dW = G2ᵀ x2 and dL/db = G2 summed over axis 0.
    """
    raise NotImplementedError(
        "Exercise 2.4 (linear_backward): see "
        "notebooks/02_mlp.ipynb, section 'Backward rules you will write'"
    )


@exercise("2.5", section="The order of the graph")
def topological_order(root: Any) -> list[Any]:
    """The order in which ``backward()`` visits the nodes of the computational graph.

    Each node has ``node.next_functions``: a tuple of ``(input_node, output_index)``
    pairs, one per input of the op that made it; ``input_node`` is None for an input that
    needs no gradient. Return every node reachable from ``root`` through these edges,
    each exactly once (compare nodes by identity: a shared sub-expression is reached
    along several paths), ordered so that

    * ``root`` comes first, and
    * every node comes before each node it points to (its inputs): so when backward
      reaches a node, every consumer of its output has already added its gradient.

    A reversed depth-first post-order does it: a node is appended after all its inputs
    are finished; reverse the list at the end.

    Args:
        root: the node that made the loss (``loss.grad_fn``).

    Returns:
        A list of nodes, root first.

    Hint: graphs of long recurrent networks are thousands of nodes deep, beyond Python's
    recursion limit: use an explicit stack of ``(node, index of the next input to visit)``
    instead of recursion, and a set of ``id(node)`` for the visited ones.
    """
    raise NotImplementedError(
        "Exercise 2.5 (topological_order): see "
        "notebooks/02_mlp.ipynb, section 'The order of the graph'"
    )


# ---- loss functions --------------------------------------------------------------------


@exercise("2.6", section="Loss functions")
def log_softmax_forward(x: np.ndarray, dim: int) -> np.ndarray:
    """log softmax along ``dim``, computed stably with the log-sum-exp trick.

        log softmax(x)_i = x_i − log Σ_j e^{x_j} = (x_i − m) − log Σ_j e^{x_j − m},

    with m = max_j x_j. Subtracting m changes nothing mathematically but keeps every
    e^{…} ≤ 1: no overflow at x = 1000, and the sum is ≥ 1, so no log(0) at x = −1000.

    Args:
        x: scores, any shape, float32 or float64.
        dim: the axis that holds the classes (may be negative).

    Returns:
        Same shape and dtype as x; along ``dim``, e^{result} sums to 1.

    Hint: ``x.max(axis=dim, keepdims=True)`` keeps the axis so it broadcasts back.
    """
    raise NotImplementedError(
        "Exercise 2.6 (log_softmax_forward): see "
        "notebooks/02_mlp.ipynb, section 'Loss functions'"
    )


@exercise("2.7", section="Loss functions")
def cross_entropy_forward(
    logits: np.ndarray, target: np.ndarray, label_smoothing: float
) -> np.ndarray:
    """Per-example categorical cross-entropy from logits (PyTorch's ``cross_entropy``).

    With log p = log_softmax(logits) over the C classes (your exercise 2.6, dim=1) and
    ε = ``label_smoothing``:

        loss_n = (1 − ε) · (−log p_{n, y_n}) + ε · (1/C) Σ_c (−log p_{n, c})

    ε = 0 is the negative log-likelihood of the true class y_n. With ε > 0 the target is
    "mostly y_n, a little of every class", which discourages over-confident logits.

    Args:
        logits: class scores, shape (N, C), float32 or float64.
        target: class indices, shape (N,), int64, each in [0, C).
        label_smoothing: ε in [0, 1].

    Returns:
        The N losses, shape (N,), dtype of logits (the caller takes the mean).

    Hint: ``logp[np.arange(N), target]`` picks one entry per row.
    """
    raise NotImplementedError(
        "Exercise 2.7 (cross_entropy_forward): see "
        "notebooks/02_mlp.ipynb, section 'Loss functions'"
    )


@exercise("2.8", section="Loss functions")
def cross_entropy_backward(
    grad: np.ndarray, logits: np.ndarray, target: np.ndarray, label_smoothing: float
) -> np.ndarray:
    """The gradient of exercise 2.7 with respect to the logits: remarkably simple.

        dL/dlogits_{n, c} = grad_n · (softmax(logits)_{n, c} − q_{n, c})

    where q is the (smoothed) one-hot target: q_{n, c} = (1 − ε)·[c = y_n] + ε/C.
    "Predicted probabilities minus target probabilities", scaled by the upstream grad_n.

    Args:
        grad: dL/dloss_n, shape (N,).
        logits: shape (N, C); target: shape (N,) int64; label_smoothing: ε.

    Returns:
        dL/dlogits, shape (N, C), dtype of logits.

    Hint: softmax = ``np.exp(log_softmax_forward(logits, 1))``; build q with
    ``np.full`` and fancy indexing ``q[np.arange(N), target] += 1 − ε``.
    """
    raise NotImplementedError(
        "Exercise 2.8 (cross_entropy_backward): see "
        "notebooks/02_mlp.ipynb, section 'Loss functions'"
    )


# ---- optimizers ------------------------------------------------------------------------


@exercise("2.9", section="Optimizers")
def sgd_update(
    param: np.ndarray,
    grad: np.ndarray,
    momentum_buffer: np.ndarray | None,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """One step of SGD with momentum, Nesterov momentum and weight decay (PyTorch's rule).

    With θ = param, g = grad, b = momentum_buffer, λ = weight_decay, μ = momentum,
    τ = dampening, γ = lr:

        g ← g + λθ                                  (L2 weight decay; skip when λ = 0)
        if μ ≠ 0:
            b ← g                 on the first step (momentum_buffer is None)
            b ← μb + (1 − τ)g     on later steps
            d ← g + μb  if nesterov  else  b
        else:
            d ← g,  and the returned buffer is None
        θ ← θ − γd

    Args:
        param, grad: θ and dL/dθ, same shape (any) and dtype.
        momentum_buffer: b from the previous step, or None (first step, or μ = 0).
        lr, momentum, dampening, weight_decay: γ, μ, τ, λ (floats); nesterov: a bool.

    Returns:
        ``(new_param, new_momentum_buffer)``: new arrays (the buffer None when μ = 0).

    Hint: on the first step the buffer is a COPY of g (after weight decay), not g itself.
    """
    raise NotImplementedError(
        "Exercise 2.9 (sgd_update): see "
        "notebooks/02_mlp.ipynb, section 'Optimizers'"
    )


@exercise("2.10", section="Optimizers")
def adagrad_update(
    param: np.ndarray,
    grad: np.ndarray,
    state_sum: np.ndarray,
    step: int,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One Adagrad step: each coordinate's step shrinks with its accumulated squared gradient.

    With s = state_sum, t = step (1-based), λ = weight_decay, η = lr_decay:

        g ← g + λθ                     (skip when λ = 0)
        γ_t = lr / (1 + (t − 1)·η)
        s ← s + g²
        θ ← θ − γ_t · g / (√s + ε)

    Args:
        param, grad, state_sum: same shape and dtype (state_sum starts at zeros).
        step: t ≥ 1; lr, lr_decay, weight_decay, eps: floats.

    Returns:
        ``(new_param, new_state_sum)``.

    Hint: ε is added AFTER the square root.
    """
    raise NotImplementedError(
        "Exercise 2.10 (adagrad_update): see "
        "notebooks/02_mlp.ipynb, section 'Optimizers'"
    )


@exercise("2.11", section="Optimizers")
def rmsprop_update(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    momentum_buffer: np.ndarray | None,
    grad_avg: np.ndarray | None,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """One RMSprop step: divide g by a running root-mean-square of recent gradients.

    With v = square_avg, ḡ = grad_avg, b = momentum_buffer, α = alpha, μ = momentum:

        g ← g + λθ                          (skip when λ = weight_decay = 0)
        v ← αv + (1 − α)g²
        if centered:  ḡ ← αḡ + (1 − α)g,   a = √(v − ḡ²) + ε
        else:                              a = √v + ε
        if μ > 0:     b ← μb + g/a,        θ ← θ − γb
        else:                              θ ← θ − γ·g/a

    Unlike Adagrad's sum, the average forgets old gradients, so steps do not shrink forever.

    Args:
        param, grad, square_avg: same shape and dtype (square_avg starts at zeros).
        momentum_buffer: an array (zeros before the first step) when μ > 0, else None.
        grad_avg: an array (zeros at first) when ``centered``, else None.
        lr, alpha, eps, weight_decay, momentum: floats; centered: a bool.

    Returns:
        ``(new_param, new_square_avg, new_momentum_buffer, new_grad_avg)``, None where
        the state is unused.

    Hint: follow the formulas line by line; return the buffers you were given (None)
    when they are not used.
    """
    raise NotImplementedError(
        "Exercise 2.11 (rmsprop_update): see "
        "notebooks/02_mlp.ipynb, section 'Optimizers'"
    )


@exercise("2.12", section="Optimizers")
def adam_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Adam (or AdamW) step: momentum on g and on g², corrected for their zero start.

    With m = exp_avg, v = exp_avg_sq (both zeros before step 1), t = step (1-based),
    λ = weight_decay, γ = lr:

        θ ← θ(1 − γλ)       if decoupled_weight_decay (AdamW)   } only when λ ≠ 0
        g ← g + λθ          otherwise (Adam's L2 penalty)        }
        m ← β₁m + (1 − β₁)g
        v ← β₂v + (1 − β₂)g²
        m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)           (bias correction)
        θ ← θ − γ · m̂ / (√v̂ + ε)

    At t = 1 the correction makes m̂ = g and v̂ = g², so the first step is ≈ γ·sign(g).

    Args:
        param, grad, exp_avg, exp_avg_sq: same shape and dtype.
        step: t ≥ 1; lr, beta1, beta2, eps, weight_decay: floats;
        decoupled_weight_decay: a bool.

    Returns:
        ``(new_param, new_exp_avg, new_exp_avg_sq)``.

    Hint: ε is added after √v̂ (not inside the root, and not to √v).
    """
    raise NotImplementedError(
        "Exercise 2.12 (adam_update): see "
        "notebooks/02_mlp.ipynb, section 'Optimizers'"
    )


# ---- initialisation --------------------------------------------------------------------


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight (out, in, *kernel): (in·k, out·k), k = Π kernel."""
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


@exercise("2.13", section="Initialisation: Xavier and He")
def xavier_uniform(shape: tuple[int, ...], gain: float, rng: np.random.Generator) -> np.ndarray:
    """Glorot/Xavier uniform initialisation: samples from U(−b, b) with

        b = gain · √(6 / (fan_in + fan_out)),

    so the variance b²/3 = gain² · 2/(fan_in + fan_out) balances the forward signal
    (fan_in) and the backward gradient (fan_out) of a tanh/linear layer.

    For a weight of shape (out, in, *kernel), fan_in = in · Π kernel and
    fan_out = out · Π kernel (Π kernel = 1 for a Linear layer's (out, in)).

    Args:
        shape: the weight's shape, at least 2 dims.
        gain: the scale for the nonlinearity (1 for linear/sigmoid, 5/3 for tanh).
        rng: the NumPy generator to draw from.

    Returns:
        A float64 array of ``shape``.

    Hint: draw with ``rng.uniform(-b, b, shape)`` (exactly one call), so the autograder
    can replay your draws with the same seed.
    """
    raise NotImplementedError(
        "Exercise 2.13 (xavier_uniform): see "
        "notebooks/02_mlp.ipynb, section 'Initialisation: Xavier and He'"
    )


@exercise("2.14", section="Initialisation: Xavier and He")
def kaiming_normal(
    shape: tuple[int, ...], a: float, mode: str, nonlinearity: str, rng: np.random.Generator
) -> np.ndarray:
    """He/Kaiming normal initialisation: samples from N(0, std²) with

        std = gain / √fan,   gain = calculate_gain(nonlinearity, a),

    where fan = fan_in (``mode="fan_in"``: keeps the forward activations' variance) or
    fan_out (``mode="fan_out"``: keeps the backward gradients'), with the fans of
    exercise 2.13. For ReLU the gain is √2: ReLU zeroes half of its inputs, halving the
    variance, and the factor 2 makes up for it.

    Args:
        shape: the weight's shape, at least 2 dims.
        a: the negative slope of a leaky ReLU (used only for "leaky_relu").
        mode: "fan_in" or "fan_out".
        nonlinearity: "relu", "leaky_relu", "tanh", "linear", …
        rng: the NumPy generator to draw from.

    Returns:
        A float64 array of ``shape``.

    Hint: ``calculate_gain`` is imported at the top of this file; draw with
    ``rng.normal(0.0, std, shape)`` (exactly one call).
    """
    raise NotImplementedError(
        "Exercise 2.14 (kaiming_normal): see "
        "notebooks/02_mlp.ipynb, section 'Initialisation: Xavier and He'"
    )


# ---- regularisation --------------------------------------------------------------------


@exercise("2.15", section="Overfitting and regularisation")
def dropout_forward(
    x: np.ndarray, p: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Inverted dropout (training mode): zero each element with probability p.

        keep_i = (u_i ≥ p) with u_i ~ U[0, 1)     (drawn as ``rng.random(x.shape)``)
        mask_i = keep_i / (1 − p)                 (0 or 1/(1 − p))
        out = x ⊙ mask

    The survivors are scaled by 1/(1 − p) so that E[out] = x: at evaluation time the layer
    does nothing. Edge cases: p = 0 keeps everything (mask of ones, no draws needed); p = 1
    drops everything (mask of zeros: do not divide by 1 − p = 0).

    Args:
        x: activations, any shape, float32 or float64.
        p: the drop probability in [0, 1].
        rng: the NumPy generator to draw from.

    Returns:
        ``(out, mask)``: both the shape and dtype of x (backward multiplies by the mask).

    Hint: draw with exactly ``rng.random(x.shape)`` (so the autograder can replay it) and
    keep the dtype: ``(u >= p).astype(x.dtype) / x.dtype.type(1 - p)``.
    """
    raise NotImplementedError(
        "Exercise 2.15 (dropout_forward): see "
        "notebooks/02_mlp.ipynb, section 'Overfitting and regularisation'"
    )


# ---- checking gradients, and the training loop ------------------------------------------


@exercise("2.16", section="Checking gradients numerically")
def numerical_gradient(f: Any, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """The gradient of a scalar function, estimated with central differences.

    Section "Checking gradients numerically" derives the estimate and its error.

    Args:
        f: a function of one array of x's shape that returns a number (a loss).
        x: the point, any shape, float64 (differences of size eps need its precision).
        eps: the step, > 0.

    Returns:
        An array of x's shape, float64: entry i estimates ∂f/∂x_i at x. When your
        function returns, x holds exactly the values it had when you got it.

    Hint: f is evaluated twice per element of x; modifying one element of a copy of x at
    a time is the simplest way.
    """
    raise NotImplementedError(
        "Exercise 2.16 (numerical_gradient): see "
        "notebooks/02_mlp.ipynb, section 'Checking gradients numerically'"
    )


@exercise("2.17", section="Gradient descent: batch, stochastic, mini-batch")
def train_epoch(model: Any, loss_fn: Any, optimizer: Any, X: np.ndarray, y: np.ndarray,
                batch_size: int, rng: np.random.Generator) -> float:
    """One epoch of mini-batch gradient descent on (X, y), in place on the model.

    Visit the N examples in the random order ``rng.permutation(N)`` (draw it exactly once,
    so that the autograder can replay your epoch), in consecutive batches of
    ``batch_size`` (the last one may be smaller), and make one optimizer step per batch
    (section "Gradient descent: batch, stochastic, mini-batch"; the four lines of a
    training step are in section "Training an MLP: XOR and spirals").

    Args:
        model: an ``nn.Module`` mapping a float32 tensor of the rows of X to predictions.
        loss_fn: called as ``loss_fn(predictions, targets)`` with minidl tensors; returns
            the MEAN loss over the batch, a 0-d tensor.
        optimizer: a ``minidl.optim`` optimizer over the model's parameters.
        X: (N, ...) inputs, float32; y: (N, ...) targets (class ids or values).
        batch_size: ≥ 1.
        rng: the NumPy generator that decides the order.

    Returns:
        The mean loss over the epoch's N examples as a Python float: each batch's loss
        counts with the number of examples in it.
    """
    raise NotImplementedError(
        "Exercise 2.17 (train_epoch): see "
        "notebooks/02_mlp.ipynb, section 'Gradient descent: batch, stochastic, mini-batch'"
    )


@exercise("2.18", section="Overfitting and regularisation")
def early_stopping(val_losses: list[float], patience: int,
                   min_delta: float = 0.0) -> tuple[bool, int]:
    """The early-stopping decision after an epoch, from the validation losses so far.

    An epoch *improves* when its loss is lower than the best loss before it by more than
    ``min_delta`` (the first epoch always improves). Training stops as soon as ``patience``
    epochs in a row have not improved (section "Overfitting and regularisation").

    Args:
        val_losses: the validation loss after each epoch so far, oldest first (≥ 1 entry).
        patience: ≥ 1; min_delta: ≥ 0.

    Returns:
        ``(stop, best_epoch)``: whether to stop now, and the 0-based index of the last
        epoch that improved (the weights to restore).
    """
    raise NotImplementedError(
        "Exercise 2.18 (early_stopping): see "
        "notebooks/02_mlp.ipynb, section 'Overfitting and regularisation'"
    )
