"""Integer ids in, dense values out: ``embedding`` (a differentiable lookup) and ``one_hot``."""

from __future__ import annotations

import numpy as np

from minidl.autograd.function import Function, Node
from minidl.device import to_device
from minidl.errors import DTypeError, ShapeError, fmt_shape
from minidl.functional._checks import float_tensor
from minidl.kernels.dispatch import kernels
from minidl.tensor import Tensor

K = kernels("embedding")


class Embedding(Function):
    @staticmethod
    def forward(ctx: Node, indices, weight, *, padding_idx):  # noqa: ANN001
        ctx.save_for_backward(indices)
        ctx.num_embeddings = weight.shape[0]
        ctx.padding_idx = padding_idx
        return K.embedding_forward(indices, weight)

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray):
        (indices,) = ctx.saved_tensors
        return None, K.embedding_backward(grad, indices, ctx.num_embeddings, ctx.padding_idx)


def _integer_ids(fn: str, input: Tensor) -> np.ndarray:  # noqa: A002
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: expected input to be a Tensor of ids, got {type(input).__name__}")
    if input.dtype.kind not in "iu":
        raise DTypeError(f"{fn}: expected integer ids, got dtype {input.dtype} (use .long())")
    return input._data


def normalize_padding_idx(fn: str, padding_idx: int | None, num_embeddings: int) -> int | None:
    """``padding_idx`` in [0, num_embeddings) (a negative one counts from the end), or None."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(
            f"{fn}: padding_idx must be within num_embeddings ({num_embeddings}), got {padding_idx}"
        )
    return padding_idx % num_embeddings


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:  # noqa: A002
    """Look up rows of ``weight``: out[..., :] = weight[input[...], :].

    input: integer ids (*), each in [0, V); weight: (V, D). Returns (*, D).
    The gradient w.r.t. ``weight`` adds up over repeated ids; the row ``padding_idx``
    (if given) gets none, so it stays what it is (usually zeros).
    """
    ids = _integer_ids("embedding", input)
    weight = float_tensor("embedding", weight, "weight")
    if weight.ndim != 2:
        raise ShapeError(f"embedding: expected weight (num_embeddings, embedding_dim), "
                         f"got {fmt_shape(weight.shape)}")
    num = weight.shape[0]
    if ids.size and (ids.min() < 0 or ids.max() >= num):
        bad = ids.min() if ids.min() < 0 else ids.max()
        raise IndexError(f"embedding: id {int(bad)} is out of range for a table of "
                         f"{num} embeddings (ids must be in [0, {num}))")
    return Embedding.apply(input, weight,
                           padding_idx=normalize_padding_idx("embedding", padding_idx, num))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class ids (*) → int64 one-hot rows (*, C): out[..., k] = 1 where tensor[...] = k.

    ``num_classes=-1`` takes C = max id + 1. Not differentiable (ids are integers).
    """
    ids = _integer_ids("one_hot", tensor)
    if ids.size and ids.min() < 0:
        raise ValueError(f"one_hot: class ids must be non-negative, got {int(ids.min())}")
    if num_classes == -1:
        if ids.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = int(ids.max()) + 1
    elif ids.size and ids.max() >= num_classes:
        raise ValueError(f"one_hot: class id {int(ids.max())} is not smaller than "
                         f"num_classes={num_classes}")
    eye = to_device(np.eye(num_classes, dtype=np.int64), tensor.device)
    return Tensor._from_op(eye[ids], None, 0, tensor.device)  # on the ids' device
