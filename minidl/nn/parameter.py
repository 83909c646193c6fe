"""``Parameter``: a Tensor that a Module registers as something to learn."""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.tensor import Tensor, float32


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and that ``Module`` collects.

    Assigning ``self.weight = Parameter(...)`` inside a Module registers it, so it
    shows up in ``module.parameters()`` (what an optimizer updates) and in
    ``state_dict()``. ``Parameter()`` with no data is an empty float32 parameter.
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty((0,), dtype=float32)
        super().__init__(
            data, requires_grad=requires_grad,
            device=data.device if isinstance(data, Tensor) else None,
        )

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
