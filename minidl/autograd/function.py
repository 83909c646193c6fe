"""``Function``: a differentiable op, and ``Node``: its place in the graph.

A Function subclass defines two static methods that work on NumPy arrays::

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):          # arrays in, array out
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad):         # dL/d(out) in, dL/d(each input) out
            a, b = ctx.saved_tensors
            return grad * b, grad * a

``Mul.apply(x, y)`` unwraps Tensors to arrays, runs ``forward`` and, when a
gradient is needed, wraps the result in a Tensor whose ``grad_fn`` is a
:class:`Node`. The node *is* the ``ctx``: what forward saves on it, backward
reads. ``loss.backward()`` walks the nodes in reverse topological order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from minidl.autograd.grad_mode import is_grad_enabled
from minidl.errors import DeviceError, GraphError

if TYPE_CHECKING:
    from minidl.tensor import Tensor

_FREED_MESSAGE = (
    "{name}: trying to backward through the graph a second time (its saved values "
    "were freed after the first backward). Call .backward(retain_graph=True) the "
    "first time if you need to backpropagate twice."
)


class Node:
    """A recorded op in the autograd graph (PyTorch calls it a ``grad_fn``).

    ``next_functions`` holds one ``(node, output_index)`` pair per input of the
    op: the node that produced that input (an :class:`AccumulateGrad` for a leaf
    tensor that requires grad), or ``(None, 0)`` for an input needing no gradient.
    """

    _BOOKKEEPING = frozenset(
        {"function", "next_functions", "needs_input_grad", "output_meta", "freed",
         "retained", "_saved"}
    )

    def __init__(self, function: type[Function] | None) -> None:
        self.function = function
        self.next_functions: tuple[tuple[Node | None, int], ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()
        self.output_meta: list[tuple[tuple[int, ...], np.dtype]] = []
        self.retained: dict[int, Any] = {}
        self.freed = False
        self._saved: tuple[np.ndarray, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.function.__name__}Backward" if self.function else type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name}>"

    # -- what Function.forward uses ------------------------------------------------
    def save_for_backward(self, *arrays: Any) -> None:
        """Keep ``arrays`` for backward (freed after it unless ``retain_graph``)."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        if self.freed:
            raise GraphError(_FREED_MESSAGE.format(name=self.name))
        return self._saved

    # -- what the engine uses -----------------------------------------------------
    def run_backward(self, grads: list[np.ndarray | None]) -> tuple[np.ndarray | None, ...]:
        """Gradients w.r.t. this op's inputs, given those w.r.t. its outputs."""
        if self.freed:
            raise GraphError(_FREED_MESSAGE.format(name=self.name))
        filled = [
            np.zeros(shape, dtype) if g is None else g
            for g, (shape, dtype) in zip(grads, self.output_meta)
        ]
        result = self.function.backward(self, *filled)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) != len(self.next_functions):
            raise GraphError(
                f"{self.name}: backward returned {len(result)} gradients for "
                f"{len(self.next_functions)} inputs"
            )
        return result

    def release(self) -> None:
        """Free what forward saved, so a second backward raises a clear error."""
        for key in list(vars(self)):
            if key not in self._BOOKKEEPING:
                delattr(self, key)
        self._saved = ()
        self.freed = True


class AccumulateGrad(Node):
    """The graph's sink for a leaf tensor: adds the incoming gradient to ``.grad``."""

    def __init__(self, variable: Tensor) -> None:
        super().__init__(None)
        self.variable = variable
        self.output_meta = [(variable.shape, variable.dtype)]

    def run_backward(self, grads: list[np.ndarray | None]) -> tuple[()]:
        self.variable._accumulate_grad(grads[0])
        return ()

    def release(self) -> None:  # a leaf stays usable for the next iteration
        pass


class Function:
    """Base class of differentiable ops; subclasses define ``forward`` and ``backward``."""

    @staticmethod
    def forward(ctx: Node, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Node, *grad_outputs: np.ndarray) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run the op on Tensors/arrays/scalars; returns a Tensor (or a tuple of them)."""
        from minidl.tensor import Tensor

        tensors = [a for a in args if isinstance(a, Tensor)]
        dev = tensors[0].device if tensors else None
        for t in tensors:
            if t.device != dev:
                devices = ", ".join(str(x.device) for x in tensors)
                raise DeviceError(
                    f"{cls.__name__}: all tensors must be on one device, got {devices}"
                )
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = is_grad_enabled() and any(needs)

        ctx = Node(cls)
        ctx.needs_input_grad = needs
        # NumPy scalars (np.float64(2.0)) would promote float32 data; treat them as Python numbers
        raw = [a.data if isinstance(a, Tensor) else a.item() if isinstance(a, np.generic) else a
               for a in args]
        out = cls.forward(ctx, *raw, **kwargs)
        outputs = out if isinstance(out, tuple) else (out,)
        if record:
            ctx.next_functions = tuple(
                a._graph_edge() if need else (None, 0) for a, need in zip(args, needs)
            )
            ctx.output_meta = [(np.shape(o), np.asarray(o).dtype) for o in outputs]
        wrapped = tuple(
            Tensor._from_op(o, ctx if record else None, i, dev) for i, o in enumerate(outputs)
        )
        if _trace_hook is not None:
            _trace_hook(cls, args, kwargs, wrapped)
        return wrapped if isinstance(out, tuple) else wrapped[0]


# -- the tracing hook (minidl.jit) ------------------------------------------------------
# While minidl.jit.trace records one run of a function, it installs a callable here that
# sees every op: hook(function_class, args, kwargs, output_tensors). None otherwise.
_trace_hook: Callable[[type[Function], tuple, dict, tuple], None] | None = None


def set_trace_hook(
    hook: Callable[[type[Function], tuple, dict, tuple], None] | None,
) -> Callable[[type[Function], tuple, dict, tuple], None] | None:
    """Install ``hook`` (or None) as the op recorder; returns the one it replaces."""
    global _trace_hook
    previous, _trace_hook = _trace_hook, hook
    return previous
