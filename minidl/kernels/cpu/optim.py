"""One optimizer step for one parameter array: SGD, Adagrad, RMSprop, Adam/AdamW.

Each kernel is a pure function: it takes the parameter θ, its gradient g = dL/dθ and the
optimizer's running state for θ, and returns the new θ and the new state (new arrays; the
inputs are never changed). ``minidl.optim`` keeps the state between steps and writes the
results back. The formulas are PyTorch's (``torch.optim``, single-tensor implementations),
so trajectories agree with PyTorch to rounding.

Shapes: ``param``, ``grad`` and every state array have the same shape (any) and dtype.
Hyperparameters are Python floats; ``step`` is the 1-based number of this step.
"""

from __future__ import annotations

import math

import numpy as np

from minidl.kernels.slots import slot


@slot
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
    """Stochastic gradient descent with optional momentum, Nesterov momentum and L2 decay.

    With λ = ``weight_decay``, μ = ``momentum``, τ = ``dampening``, γ = ``lr``:

        g ← g + λθ                                   (when λ ≠ 0)
        b ← g                  on the first step (``momentum_buffer`` is None)
        b ← μb + (1 − τ)g      afterwards            (only when μ ≠ 0)
        d ← g + μb  if ``nesterov``  else  b         (d = g when μ = 0)
        θ ← θ − γd

    Returns ``(new_param, new_momentum_buffer)``; the buffer is None when μ = 0.
    """
    if weight_decay != 0:
        grad = grad + weight_decay * param
    buf = None
    if momentum != 0:
        if momentum_buffer is None:
            buf = grad.copy()
        else:
            buf = momentum * momentum_buffer + (1 - dampening) * grad
        grad = grad + momentum * buf if nesterov else buf
    return param - lr * grad, buf


@slot
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
    """Adagrad: each coordinate's step shrinks with the sum of its squared gradients.

    With λ = ``weight_decay``, η = ``lr_decay``, t = ``step`` (1-based), s = ``state_sum``:

        g ← g + λθ                                   (when λ ≠ 0)
        γ_t = lr / (1 + (t − 1)η)
        s ← s + g²
        θ ← θ − γ_t · g / (√s + ε)

    Returns ``(new_param, new_state_sum)``.
    """
    if weight_decay != 0:
        grad = grad + weight_decay * param
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum = state_sum + grad * grad
    return param - clr * grad / (np.sqrt(state_sum) + eps), state_sum


@slot
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
    """RMSprop: divide the gradient by a running root-mean-square of recent gradients.

    With λ = ``weight_decay``, α = ``alpha``, μ = ``momentum``, γ = ``lr``, v = ``square_avg``,
    ḡ = ``grad_avg``, b = ``momentum_buffer``:

        g ← g + λθ                                   (when λ ≠ 0)
        v ← αv + (1 − α)g²
        ḡ ← αḡ + (1 − α)g,   a = √(v − ḡ²) + ε       (``centered``: variance, not 2nd moment)
                             a = √v + ε              (otherwise)
        b ← μb + g/a,        θ ← θ − γb              (when μ > 0)
                             θ ← θ − γg/a            (otherwise)

    ``momentum_buffer`` is an array (zeros before the first step) when μ > 0, else None;
    ``grad_avg`` likewise when ``centered``. Returns
    ``(new_param, new_square_avg, new_momentum_buffer, new_grad_avg)``, None where unused.
    """
    if weight_decay != 0:
        grad = grad + weight_decay * param
    square_avg = alpha * square_avg + (1 - alpha) * grad * grad
    if centered:
        grad_avg = alpha * grad_avg + (1 - alpha) * grad
        avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = np.sqrt(square_avg) + eps
    if momentum > 0:
        momentum_buffer = momentum * momentum_buffer + grad / avg
        param = param - lr * momentum_buffer
    else:
        param = param - lr * grad / avg
    return param, square_avg, momentum_buffer, grad_avg


@slot
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
    """Adam (and AdamW): momentum on g and on g², corrected for their zero start.

    With λ = ``weight_decay``, γ = ``lr``, t = ``step`` (1-based), m = ``exp_avg``,
    v = ``exp_avg_sq``:

        θ ← θ(1 − γλ)   if ``decoupled_weight_decay`` (AdamW)
        g ← g + λθ      otherwise (Adam's L2 penalty)          (either only when λ ≠ 0)
        m ← β₁m + (1 − β₁)g
        v ← β₂v + (1 − β₂)g²
        m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)
        θ ← θ − γ · m̂ / (√v̂ + ε)

    Returns ``(new_param, new_exp_avg, new_exp_avg_sq)``.
    """
    if weight_decay != 0:
        if decoupled_weight_decay:
            param = param * (1 - lr * weight_decay)
        else:
            grad = grad + weight_decay * param
    exp_avg = beta1 * exp_avg + (1 - beta1) * grad
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    denom = np.sqrt(exp_avg_sq) / math.sqrt(bias_correction2) + eps
    return param - (lr / bias_correction1) * exp_avg / denom, exp_avg, exp_avg_sq


@slot
def amsgrad_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Adam's AMSGrad variant (Reddi et al., 2018): the step divides by the largest v̂ seen.

    m and v follow ``adam_update``; then v_max ← max(v_max, v) and
    θ ← θ − γ · m̂ / (√(v_max / (1 − β₂ᵗ)) + ε), so the effective step size never grows.
    Returns ``(new_param, new_exp_avg, new_exp_avg_sq, new_max_exp_avg_sq)``.
    """
    if weight_decay != 0:
        if decoupled_weight_decay:
            param = param * (1 - lr * weight_decay)
        else:
            grad = grad + weight_decay * param
    exp_avg = beta1 * exp_avg + (1 - beta1) * grad
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
    max_exp_avg_sq = np.maximum(max_exp_avg_sq, exp_avg_sq)
    denom = np.sqrt(max_exp_avg_sq) / math.sqrt(1 - beta2**step) + eps
    new_param = param - (lr / (1 - beta1**step)) * exp_avg / denom
    return new_param, exp_avg, exp_avg_sq, max_exp_avg_sq


@slot
def adadelta_update(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    acc_delta: np.ndarray,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Adadelta (Zeiler, 2012): a step whose units match θ's, from two running averages.

        g ← g + λθ                                  (when λ ≠ 0)
        s ← ρs + (1 − ρ)g²                          (``square_avg``)
        Δ = √(a + ε) / √(s + ε) · g                 (a = ``acc_delta``)
        a ← ρa + (1 − ρ)Δ²
        θ ← θ − γΔ

    Returns ``(new_param, new_square_avg, new_acc_delta)``.
    """
    if weight_decay != 0:
        grad = grad + weight_decay * param
    square_avg = rho * square_avg + (1 - rho) * grad * grad
    delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
    acc_delta = rho * acc_delta + (1 - rho) * delta * delta
    return param - lr * delta, square_avg, acc_delta
