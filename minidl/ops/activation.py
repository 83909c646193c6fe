"""Activation functions as differentiable ops (kernels in kernels/cpu/activation.py)."""

from __future__ import annotations

import numpy as np

from minidl.autograd.function import Function, Node
from minidl.kernels.dispatch import kernels

K = kernels("activation")
_loss = kernels("loss")


class ReLU(Function):
    @staticmethod
    def forward(ctx: Node, x):  # noqa: ANN001
        ctx.save_for_backward(x)
        return K.relu_forward(x)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (x,) = ctx.saved_tensors
        return K.relu_backward(grad, x)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx: Node, x):  # noqa: ANN001
        out = K.sigmoid_forward(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (out,) = ctx.saved_tensors
        return K.sigmoid_backward(grad, out)


class Tanh(Function):
    @staticmethod
    def forward(ctx: Node, x):  # noqa: ANN001
        out = K.tanh_forward(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (out,) = ctx.saved_tensors
        return K.tanh_backward(grad, out)


class LeakyReLU(Function):
    @staticmethod
    def forward(ctx: Node, x, negative_slope):  # noqa: ANN001
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return K.leaky_relu_forward(x, negative_slope)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (x,) = ctx.saved_tensors
        return K.leaky_relu_backward(grad, x, ctx.negative_slope), None


class GELU(Function):
    @staticmethod
    def forward(ctx: Node, x, approximate):  # noqa: ANN001
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        return K.gelu_forward(x, approximate)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (x,) = ctx.saved_tensors
        return K.gelu_backward(grad, x, ctx.approximate), None


class Softmax(Function):
    @staticmethod
    def forward(ctx: Node, x, *, dim):  # noqa: ANN001
        out = _loss.softmax_forward(x, dim) if x.size else x.copy()  # empty in, empty out
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (out,) = ctx.saved_tensors
        return _loss.softmax_backward(grad, out, ctx.dim) if out.size else grad.copy()


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx: Node, x, *, dim):  # noqa: ANN001
        out = _loss.log_softmax_forward(x, dim) if x.size else x.copy()  # empty in, empty out
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (out,) = ctx.saved_tensors
        return _loss.log_softmax_backward(grad, out, ctx.dim) if out.size else grad.copy()
