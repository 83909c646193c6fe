"""Matrix multiplication, batched and broadcast like ``numpy.matmul``."""

from __future__ import annotations

import numpy as np

from minidl.autograd.function import Function, Node
from minidl.errors import ShapeError, fmt_shape
from minidl.kernels.dispatch import asarray, kernels
from minidl.kernels.slots import slot

_B = kernels("broadcast")
_G = kernels("gemm")


@slot
def matmul_backward(
    grad: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of ``C = A @ B`` for 2-D or batched (..., n, k) @ (..., k, m).

    dL/dA = dL/dC · Bᵀ  (…, n, k)    dL/dB = Aᵀ · dL/dC  (…, k, m)
    Batch dims that broadcasting stretched are summed back to each input's shape.
    """
    ga = _B.sum_to_shape(_G.matmul(grad, np.swapaxes(b, -1, -2)), a.shape)
    gb = _B.sum_to_shape(_G.matmul(np.swapaxes(a, -1, -2), grad), b.shape)
    return ga, gb


class MatMul(Function):
    """``a @ b``; 1-D operands are promoted to matrices and the result squeezed."""

    @staticmethod
    def forward(ctx: Node, a, b):  # noqa: ANN001
        a, b = asarray(a), asarray(b)
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError("matmul: both operands need at least 1 dim; use * for scalars")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ShapeError(
                f"matmul: inner sizes differ: {fmt_shape(a.shape)} @ {fmt_shape(b.shape)} "
                f"({a.shape[-1]} ≠ {b.shape[-2 if b.ndim > 1 else 0]})"
            )
        ctx.save_for_backward(a, b)
        try:
            return _G.matmul(a, b)
        except ValueError:
            raise ShapeError(
                f"matmul: batch dims of {fmt_shape(a.shape)} and {fmt_shape(b.shape)} "
                "do not broadcast"
            ) from None

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        a, b = ctx.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad[..., None] if b.ndim == 1 else grad
        if a.ndim == 1:
            g2 = g2[..., None, :]
        ga, gb = matmul_backward(g2, a2, b2)
        return ga.reshape(a.shape), gb.reshape(b.shape)


def parse_einsum(equation: str, ndims: list[int]) -> tuple[list[str], str]:
    """Split ``"ij,jk->ik"`` into input subscripts and the output subscript.

    An implicit output (no ``->``) is, as in NumPy and PyTorch, the letters that appear once,
    in alphabetical order. ``...`` (broadcast batch dims) must lead each subscript it is in.
    """
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    subs = inputs.split(",")
    if len(subs) != len(ndims):
        raise ShapeError(
            f"einsum: the equation {equation!r} names {len(subs)} operands, got {len(ndims)}"
        )
    for s, n in zip(subs, ndims):
        letters = s.replace("...", "")
        if ("..." in s and not s.startswith("...")) or (letters and not letters.isalpha()):
            raise ShapeError(f"einsum: unsupported subscript {s!r} in {equation!r}")
        if len(letters) != n and not ("..." in s and len(letters) <= n):
            raise ShapeError(
                f"einsum: subscript {s!r} has {len(letters)} letters for an operand with {n} dims"
            )
    if not arrow:
        letters = "".join(subs).replace("...", "")
        once = sorted(c for c in set(letters) if letters.count(c) == 1)
        output = ("..." if any("..." in s for s in subs) else "") + "".join(once)
    return subs, output


class Einsum(Function):
    """``einsum(equation, *operands)``: sums of products over named indices.

    The gradient of operand i is itself an einsum: the output gradient times every other
    operand, summed over the indices operand i does not have. Letters that only operand i
    has (summed away in forward) come back by broadcasting; batch dims that ``...``
    stretched are summed back.
    """

    @staticmethod
    def forward(ctx: Node, *arrays, equation):  # noqa: ANN001
        subs, output = parse_einsum(equation, [np.ndim(a) for a in arrays])
        ctx.save_for_backward(*arrays)
        ctx.meta = (subs, output)
        try:
            return np.einsum(",".join(subs) + "->" + output, *arrays)
        except ValueError as e:
            shapes = ", ".join(fmt_shape(np.shape(a)) for a in arrays)
            raise ShapeError(f"einsum {equation!r} on {shapes}: {e}") from None

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        arrays = ctx.saved_tensors
        subs, output = ctx.meta
        grads = []
        for i, (s, a) in enumerate(zip(subs, arrays)):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            letters = s.replace("...", "")
            if len(set(letters)) != len(letters):
                raise ShapeError(
                    f"einsum: no gradient for an operand with a repeated index ({s!r})"
                )
            others = [t for j, t in enumerate(subs) if j != i]
            seen = output + "".join(others)
            kept = "".join(c for c in letters if c in seen)
            ellipsis = "..." if "..." in output + "".join(subs) else ""
            g = np.einsum(",".join([output, *others]) + "->" + ellipsis + kept, grad,
                          *(t for j, t in enumerate(arrays) if j != i))
            # letters only this operand has were summed away: back as size-1 axes, broadcast
            batch = g.shape[: g.ndim - len(kept)]
            g = np.expand_dims(g, [len(batch) + k for k, c in enumerate(letters) if c not in seen])
            lead = np.ndim(a) - len(letters)
            g = np.broadcast_to(g, batch + np.shape(a)[lead:])
            grads.append(np.ascontiguousarray(_B.sum_to_shape(g, np.shape(a))))
        return tuple(grads)
