"""The weight-randomisation sanity check for attribution methods (Adebayo et al., 2018).

An explanation of *the model* must change when the model does. Re-initialise the weights
(from the output layer down, "cascading") and compare each method's map before and after: a
method whose map stays the same was explaining the input (edges, ink), not the network.
"""

from __future__ import annotations

import copy

from minidl.nn.module import Module


def randomized_copy(model: Module, layers: int | None = None) -> Module:
    """A deep copy of ``model`` whose last ``layers`` layers with weights (all when None)
    are drawn again from their initialisation (``reset_parameters``, from minidl's generator:
    seed it with ``minidl.manual_seed``); ``model`` is unchanged."""
    clone = copy.deepcopy(model)
    resettable = [m for m in clone.modules() if hasattr(m, "reset_parameters")]
    chosen = resettable if layers is None else resettable[len(resettable) - layers:]
    for module in chosen:
        module.reset_parameters()
    return clone
