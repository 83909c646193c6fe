"""One optimizer step for one parameter array on the GPU: SGD, Adagrad, RMSprop,
Adam/AdamW, AMSGrad, Adadelta.

The CUDA twins of :mod:`minidl.kernels.cpu.optim` (same arguments, formulas and results;
see there). As there, each function is pure: it returns the new parameter and the new
state as new device arrays and leaves its inputs unchanged. Each optimizer is one fused
kernel with **one thread per parameter element** (grid-stride), which reads θ_i, g_i
and the state at i and writes every new value at i. State that is None (no momentum
buffer, no centred average) is passed to the kernel as a placeholder array that the
kernel's flags tell it not to touch.
"""

from __future__ import annotations

import math

from numba import cuda

from minidl.kernels.cuda.elementwise import empty, flat, maximum
from minidl.kernels.cuda.launch import grid_for


def _new(*like):
    """New device arrays shaped like the given ones."""
    return [empty(a.shape, a.dtype) for a in like]


def _run(kernel, param, *args):
    if param.size:
        kernel[grid_for(param.size)](*(flat(a) if hasattr(a, "copy_to_host") else a
                                       for a in args))


@cuda.jit
def _sgd(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first,
         new_param, new_buf):  # pragma: no cover - compiled
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
        g = grad[i] + weight_decay * param[i]
        if momentum != 0:
            b = g if first else momentum * buf[i] + (1.0 - dampening) * g
            new_buf[i] = b
            g = g + momentum * b if nesterov else b
        new_param[i] = param[i] - lr * g


def sgd_update(param, grad, momentum_buffer, lr: float, momentum: float, dampening: float,
               weight_decay: float, nesterov: bool):
    """SGD with optional (Nesterov) momentum and L2 decay → (new_param, new_buffer or None)."""
    (new_param,) = _new(param)
    new_buf = _new(param)[0] if momentum != 0 else None
    first = momentum_buffer is None
    _run(_sgd, param, param, grad, param if first else momentum_buffer, lr, momentum,
         dampening, weight_decay, nesterov, first, new_param,
         new_param if new_buf is None else new_buf)
    return new_param, new_buf


@cuda.jit
def _adagrad(param, grad, state_sum, clr, weight_decay, eps, new_param, new_sum):
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):  # pragma: no cover
        g = grad[i] + weight_decay * param[i]
        s = state_sum[i] + g * g
        new_sum[i] = s
        new_param[i] = param[i] - clr * g / (math.sqrt(s) + eps)


def adagrad_update(param, grad, state_sum, step: int, lr: float, lr_decay: float,
                   weight_decay: float, eps: float):
    """Adagrad → (new_param, new_state_sum); γ_t = lr / (1 + (t − 1)·lr_decay)."""
    new_param, new_sum = _new(param, state_sum)
    clr = lr / (1 + (step - 1) * lr_decay)
    _run(_adagrad, param, param, grad, state_sum, clr, weight_decay, eps, new_param, new_sum)
    return new_param, new_sum


@cuda.jit
def _rmsprop(param, grad, square_avg, buf, grad_avg, lr, alpha, eps, weight_decay, momentum,
             centered, new_param, new_sq, new_buf, new_avg):  # pragma: no cover - compiled
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
        g = grad[i] + weight_decay * param[i]
        v = alpha * square_avg[i] + (1.0 - alpha) * g * g
        new_sq[i] = v
        if centered:
            m = alpha * grad_avg[i] + (1.0 - alpha) * g
            new_avg[i] = m
            a = math.sqrt(v - m * m) + eps
        else:
            a = math.sqrt(v) + eps
        if momentum > 0:
            b = momentum * buf[i] + g / a
            new_buf[i] = b
            new_param[i] = param[i] - lr * b
        else:
            new_param[i] = param[i] - lr * g / a


def rmsprop_update(param, grad, square_avg, momentum_buffer, grad_avg, lr: float,
                   alpha: float, eps: float, weight_decay: float, momentum: float,
                   centered: bool):
    """RMSprop → (new_param, new_square_avg, new_momentum_buffer, new_grad_avg), None where
    unused (the buffer when momentum is 0, the average when not centred)."""
    new_param, new_sq = _new(param, square_avg)
    new_buf = _new(param)[0] if momentum > 0 else None
    new_avg = _new(param)[0] if centered else None
    _run(_rmsprop, param, param, grad, square_avg,
         param if momentum_buffer is None else momentum_buffer,
         param if grad_avg is None else grad_avg, lr, alpha, eps, weight_decay, momentum,
         centered, new_param, new_sq, new_param if new_buf is None else new_buf,
         new_param if new_avg is None else new_avg)
    return new_param, new_sq, new_buf, new_avg


@cuda.jit
def _adam(param, grad, exp_avg, exp_avg_sq, max_sq, lr, beta1, beta2, eps, weight_decay,
          decoupled, bc1, bc2, amsgrad, new_param, new_m, new_v, new_max):  # pragma: no cover
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
        p = param[i]
        g = grad[i]
        if decoupled:
            p = p * (1.0 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = beta1 * exp_avg[i] + (1.0 - beta1) * g
        v = beta2 * exp_avg_sq[i] + (1.0 - beta2) * g * g
        new_m[i] = m
        new_v[i] = v
        if amsgrad:
            v = maximum(max_sq[i], v)
            new_max[i] = v
        new_param[i] = p - (lr / bc1) * m / (math.sqrt(v) / math.sqrt(bc2) + eps)


def _adam_family(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2,
                 eps, weight_decay, decoupled_weight_decay):
    new_param, new_m, new_v = _new(param, exp_avg, exp_avg_sq)
    amsgrad = max_exp_avg_sq is not None
    new_max = _new(max_exp_avg_sq)[0] if amsgrad else new_v
    _run(_adam, param, param, grad, exp_avg, exp_avg_sq,
         max_exp_avg_sq if amsgrad else exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
         bool(decoupled_weight_decay), 1 - beta1**step, 1 - beta2**step, amsgrad,
         new_param, new_m, new_v, new_max)
    return (new_param, new_m, new_v, new_max) if amsgrad else (new_param, new_m, new_v)


def adam_update(param, grad, exp_avg, exp_avg_sq, step: int, lr: float, beta1: float,
                beta2: float, eps: float, weight_decay: float, decoupled_weight_decay: bool):
    """Adam (AdamW when ``decoupled_weight_decay``) → (new_param, new_exp_avg, new_exp_avg_sq)."""
    return _adam_family(param, grad, exp_avg, exp_avg_sq, None, step, lr, beta1, beta2, eps,
                        weight_decay, decoupled_weight_decay)


def amsgrad_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step: int, lr: float,
                   beta1: float, beta2: float, eps: float, weight_decay: float,
                   decoupled_weight_decay: bool):
    """AMSGrad → (new_param, new_exp_avg, new_exp_avg_sq, new_max_exp_avg_sq)."""
    return _adam_family(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1,
                        beta2, eps, weight_decay, decoupled_weight_decay)


@cuda.jit
def _adadelta(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, new_param,
              new_sq, new_acc):  # pragma: no cover - compiled
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
        g = grad[i] + weight_decay * param[i]
        s = rho * square_avg[i] + (1.0 - rho) * g * g
        delta = math.sqrt(acc_delta[i] + eps) / math.sqrt(s + eps) * g
        new_sq[i] = s
        new_acc[i] = rho * acc_delta[i] + (1.0 - rho) * delta * delta
        new_param[i] = param[i] - lr * delta


def adadelta_update(param, grad, square_avg, acc_delta, lr: float, rho: float, eps: float,
                    weight_decay: float):
    """Adadelta → (new_param, new_square_avg, new_acc_delta)."""
    new_param, new_sq, new_acc = _new(param, square_avg, acc_delta)
    _run(_adadelta, param, param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay,
         new_param, new_sq, new_acc)
    return new_param, new_sq, new_acc
