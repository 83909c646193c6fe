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
from minidl.device import mismatch_error, to_device
from minidl.errors import GraphError, fmt_shape

if TYPE_CHECKING:
    from minidl.tensor import Tensor

_FREED_MESSAGE = (
    "{name}: trying to backward through the graph a second time (its saved values "
    "were freed after the first backward). Call .backward(retain_graph=True) the "
    "first time if you need to backpropagate twice."
)

#: Set by :mod:`minidl.profiler` while a profile is recording, ``None`` otherwise:
#: ``profile_hook(name, phase, fn, *args, **kwargs)`` calls ``fn(*args, **kwargs)`` and times it.
profile_hook = None


class Node:
    """A recorded op in the autograd graph (PyTorch calls it a ``grad_fn``).

    ``next_functions`` holds one ``(node, output_index)`` pair per input of the
    op: the node that produced that input (an :class:`AccumulateGrad` for a leaf
    tensor that requires grad), or ``(None, 0)`` for an input needing no gradient.
    """

    _BOOKKEEPING = frozenset(
        {"function", "next_functions", "needs_input_grad", "output_meta", "freed",
         "retained", "hooks", "_saved", "_saved_versions"}
    )

    def __init__(self, function: type[Function] | None) -> None:
        self.function = function
        self.next_functions: tuple[tuple[Node | None, int], ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()
        self.output_meta: list[tuple[tuple[int, ...], np.dtype, Any]]  # shape, dtype, device = []
        self.retained: dict[int, Any] = {}
        self.freed = False
        self._saved: tuple[np.ndarray, ...] = ()

    #: output index → functions ``register_hook`` added (an instance dict once there is one)
    hooks: dict[int, list[Any]] = {}  # noqa: RUF012  (read-only default, never mutated)
    #: (version counter, version when saved, shape) of each saved input or output tensor
    _saved_versions: tuple[tuple[list[int], int, tuple[int, ...]], ...] = ()

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
        for counter, version, shape in self._saved_versions:
            if counter[0] != version:
                raise GraphError(
                    f"{self.name}: a tensor of shape {fmt_shape(shape)} that this op saved for "
                    f"backward was modified by an in-place operation: it is at version "
                    f"{counter[0]}, expected version {version}. Use an out-of-place op "
                    "(x = x * 2 instead of x.mul_(2) or x *= 2), or change a .clone(). Did an "
                    "optimizer.step() run between the forward pass and backward()?"
                )
        filled = [
            (np.zeros(shape, dtype) if dev is None or dev.type == "cpu" else
             to_device(np.zeros(shape, dtype), dev)) if g is None else g
            for g, (shape, dtype, dev) in zip(grads, self.output_meta)
        ]
        if profile_hook is None:
            result = self.function.backward(self, *filled)
        else:
            result = profile_hook(self.name, "backward", self.function.backward, self, *filled)
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
        self._saved_versions = ()
        self.freed = True


class AccumulateGrad(Node):
    """The graph's sink for a leaf tensor: adds the incoming gradient to ``.grad``."""

    def __init__(self, variable: Tensor) -> None:
        super().__init__(None)
        self.variable = variable
        self.output_meta = [(variable.shape, variable.dtype, variable.device)]

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

    #: True for ops whose output may be a view of their first input (reshape, permute,
    #: slicing, expand): such an output shares its input's version counter, as in PyTorch.
    is_view = False

    #: True for the op that copies between devices: its output lives on ``kwargs["device"]``.
    moves_device = False

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run the op on Tensors/arrays/scalars; returns a Tensor (or a tuple of them)."""
        from minidl.tensor import Tensor

        tensors = [a for a in args if isinstance(a, Tensor)]
        dev = tensors[0].device if tensors else None
        for t in tensors:
            if t.device != dev:
                raise mismatch_error(cls.__name__, dev, t.device)
        out_dev = kwargs["device"] if cls.moves_device else dev
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = is_grad_enabled() and any(needs)

        ctx = Node(cls)
        ctx.needs_input_grad = needs
        # NumPy scalars (np.float64(2.0)) would promote float32 data; treat them as Python numbers
        raw = [a._data if isinstance(a, Tensor) else a.item() if isinstance(a, np.generic) else a
               for a in args]
        if profile_hook is None:
            out = cls.forward(ctx, *raw, **kwargs)
        else:
            out = profile_hook(cls.__name__, "forward", cls.forward, ctx, *raw, **kwargs)
        outputs = out if isinstance(out, tuple) else (out,)
        if record:
            ctx.next_functions = tuple(
                a._graph_edge() if need else (None, 0) for a, need in zip(args, needs)
            )
            ctx.output_meta = [(np.shape(o), o.dtype if hasattr(o, "dtype") else
                                np.asarray(o).dtype, out_dev) for o in outputs]
        wrapped = tuple(
            Tensor._from_op(o, ctx if record else None, i, out_dev) for i, o in enumerate(outputs)
        )
        if cls.is_view and isinstance(args[0], Tensor):
            wrapped[0]._share_version(args[0])
        if record and ctx._saved:
            ctx._saved_versions = _saved_versions(ctx._saved, tensors, wrapped)
        if _trace_hook is not None:
            _trace_hook(cls, args, kwargs, wrapped)
        return wrapped if isinstance(out, tuple) else wrapped[0]


def _saved_versions(saved: tuple[Any, ...], inputs: list[Tensor], outputs: tuple[Tensor, ...]
                    ) -> tuple[tuple[list[int], int, tuple[int, ...]], ...]:
    """For each saved array that is an input's or an output's memory: that tensor's version
    counter and its version now, so backward can tell whether it was changed in place."""
    found = []
    for array in saved:
        for t in (*inputs, *outputs):
            if t._data is array:
                found.append((t._version_counter, t._version_counter[0], array.shape))
                break
    return tuple(found)


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
