"""``Embedding``: a learned table of vectors, one row per token id."""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.autograd.grad_mode import no_grad
from minidl.errors import ShapeError, fmt_shape
from minidl.functional._checks import float_tensor
from minidl.functional.sparse import embedding, normalize_padding_idx
from minidl.nn import init
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor, float32


class Embedding(Module):
    """Look up ``weight[ids]``: integer ids (*) → vectors (*, embedding_dim).

    weight: (num_embeddings, embedding_dim), drawn from N(0, 1) like PyTorch; the row
    ``padding_idx`` (if given; negative counts from the end) starts at zero and gets
    no gradient, so it stays zero (the vector of a padding token).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        for what, n in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"Embedding: {what} must be an int >= 1, got {n!r}")
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.padding_idx = normalize_padding_idx("Embedding", padding_idx, self.num_embeddings)
        dtype = np.dtype(dtype or float32)
        self.weight = Parameter(np.zeros((self.num_embeddings, self.embedding_dim), dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight ~ N(0, 1), with the padding row set to zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None) -> Embedding:
        """An Embedding holding a copy of ``embeddings`` (V, D); ``freeze`` stops its training."""
        table = float_tensor("Embedding.from_pretrained", embeddings, "embeddings")
        if table.ndim != 2:
            raise ShapeError("Embedding.from_pretrained: expected embeddings (num_embeddings, "
                             f"embedding_dim), got {fmt_shape(table.shape)}")
        layer = cls(*table.shape, padding_idx=padding_idx, dtype=table.dtype)
        with no_grad():
            layer.weight.copy_(table)
        layer.weight.requires_grad = not freeze
        return layer

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else f"{text}, padding_idx={self.padding_idx}"
