"""Elementwise arithmetic and math functions, with broadcasting undone in backward."""

from __future__ import annotations

import numpy as np

from minidl.autograd.function import Function, Node
from minidl.device import CPU, CUDA, to_device
from minidl.errors import DTypeError
from minidl.kernels.dispatch import asarray, kernels
from minidl.ops._util import broadcast_error

_B = kernels("broadcast")


def _binary(op: str, fn, a, b):  # noqa: ANN001
    try:
        return fn(a, b)
    except ValueError:
        raise broadcast_error(op, a, b) from None


class Add(Function):
    @staticmethod
    def forward(ctx: Node, a, b):  # noqa: ANN001
        ctx.shapes = (np.shape(a), np.shape(b))
        return _binary("add", np.add, a, b)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (_B.sum_to_shape(grad, sa) if need_a else None,
                _B.sum_to_shape(grad, sb) if need_b else None)


class Sub(Function):
    @staticmethod
    def forward(ctx: Node, a, b):  # noqa: ANN001
        ctx.shapes = (np.shape(a), np.shape(b))
        return _binary("sub", np.subtract, a, b)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (_B.sum_to_shape(grad, sa) if need_a else None,
                _B.sum_to_shape(-grad, sb) if need_b else None)


class Mul(Function):
    """a · b; each input's gradient needs only the other input, so only that is saved."""

    @staticmethod
    def forward(ctx: Node, a, b):  # noqa: ANN001
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        ctx.shapes = (np.shape(a), np.shape(b))
        return _binary("mul", np.multiply, a, b)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        ga = _B.sum_to_shape(grad * b, sa) if ctx.needs_input_grad[0] else None
        gb = _B.sum_to_shape(grad * a, sb) if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    """a / b: d/da = 1/b, d/db = −a/b² (a is saved only when b needs a gradient)."""

    @staticmethod
    def forward(ctx: Node, a, b):  # noqa: ANN001
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        ctx.shapes = (np.shape(a), np.shape(b))
        return _binary("div", np.true_divide, a, b)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        ga = _B.sum_to_shape(grad / b, sa) if ctx.needs_input_grad[0] else None
        gb = _B.sum_to_shape(-grad * a / (b * b), sb) if ctx.needs_input_grad[1] else None
        return ga, gb


class Neg(Function):
    @staticmethod
    def forward(ctx: Node, a):  # noqa: ANN001
        return -a

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        return -grad


class Pow(Function):
    """a ** b: d/da = b·a^(b−1), d/db = a^b · ln a."""

    @staticmethod
    def forward(ctx: Node, a, b):  # noqa: ANN001
        out = _binary("pow", np.power, a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = _B.sum_to_shape(grad * b * np.power(a, np.subtract(b, 1)), np.shape(a))
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where(asarray(a) > 0, np.log(np.where(asarray(a) > 0, a, 1)), 0)
            gb = _B.sum_to_shape(grad * out * log_a, np.shape(b))
        return ga, gb


class Exp(Function):
    @staticmethod
    def forward(ctx: Node, a):  # noqa: ANN001
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Function):
    @staticmethod
    def forward(ctx: Node, a):  # noqa: ANN001
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(a)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (a,) = ctx.saved_tensors
        return grad / a


class Sqrt(Function):
    @staticmethod
    def forward(ctx: Node, a):  # noqa: ANN001
        with np.errstate(invalid="ignore"):
            out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (out,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return grad / (2 * out)


class Abs(Function):
    @staticmethod
    def forward(ctx: Node, a):  # noqa: ANN001
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (a,) = ctx.saved_tensors
        return grad * np.sign(a)


class Sin(Function):
    @staticmethod
    def forward(ctx: Node, a):  # noqa: ANN001
        ctx.save_for_backward(a)
        return np.sin(a)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (a,) = ctx.saved_tensors
        return grad * np.cos(a)


class Cos(Function):
    @staticmethod
    def forward(ctx: Node, a):  # noqa: ANN001
        ctx.save_for_backward(a)
        return np.cos(a)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (a,) = ctx.saved_tensors
        return -grad * np.sin(a)


class Clip(Function):
    """clip(x, lo, hi); the gradient passes where lo ≤ x ≤ hi (as in PyTorch)."""

    @staticmethod
    def forward(ctx: Node, a, lo, hi):  # noqa: ANN001
        ctx.save_for_backward(a)
        ctx.bounds = (lo, hi)
        return np.clip(a, lo, hi)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (a,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        keep = np.ones_like(a, dtype=bool)  # on a's device
        if lo is not None:
            keep &= a >= lo
        if hi is not None:
            keep &= a <= hi
        return grad * keep, None, None


class Where(Function):
    """where(cond, x, y): x where cond is True, else y; cond gets no gradient."""

    @staticmethod
    def forward(ctx: Node, cond, x, y):  # noqa: ANN001
        cond = asarray(cond)
        if cond.dtype != np.bool_:
            raise DTypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
        ctx.save_for_backward(cond)
        ctx.shapes = (np.shape(x), np.shape(y))
        try:
            return np.where(cond, x, y)
        except ValueError:
            raise broadcast_error("where", x, y) from None

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (cond,) = ctx.saved_tensors
        sx, sy = ctx.shapes
        zero = np.zeros((), grad.dtype)
        return (
            None,
            _B.sum_to_shape(np.where(cond, grad, zero), sx),
            _B.sum_to_shape(np.where(cond, zero, grad), sy),
        )


class Maximum(Function):
    """Elementwise max(a, b); at ties the gradient is split evenly (as in PyTorch)."""

    @staticmethod
    def forward(ctx: Node, a, b):  # noqa: ANN001
        ctx.save_for_backward(a, b)
        return _binary("maximum", np.maximum, a, b)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        a, b = ctx.saved_tensors
        share_a = (a > b) + 0.5 * (a == b)
        return (
            _B.sum_to_shape(grad * share_a, np.shape(a)),
            _B.sum_to_shape(grad * (1 - share_a), np.shape(b)),
        )


class Cast(Function):
    """Change dtype; the gradient is cast back to the input's dtype."""

    @staticmethod
    def forward(ctx: Node, a, dtype):  # noqa: ANN001
        ctx.source_dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        return grad.astype(ctx.source_dtype)


class ToDevice(Function):
    """Copy to another device (``t.to('cuda')``, ``t.cpu()``); the gradient goes back."""

    moves_device = True

    @staticmethod
    def forward(ctx: Node, a, device):  # noqa: ANN001
        ctx.source = CPU if type(a) is np.ndarray else CUDA
        return to_device(a, device)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        return to_device(grad, ctx.source)


class Sinh(Function):
    @staticmethod
    def forward(ctx: Node, a):  # noqa: ANN001
        ctx.save_for_backward(a)
        return np.sinh(a)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (a,) = ctx.saved_tensors
        return grad * np.cosh(a)


class Cosh(Function):
    @staticmethod
    def forward(ctx: Node, a):  # noqa: ANN001
        ctx.save_for_backward(a)
        return np.cosh(a)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (a,) = ctx.saved_tensors
        return grad * np.sinh(a)


class Clone(Function):
    """A copy in new memory; the gradient passes through unchanged."""

    @staticmethod
    def forward(ctx: Node, a):  # noqa: ANN001
        return a.copy()

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        return grad
