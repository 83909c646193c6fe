"""The static graph a trace records: values, ops, and running the ops again.

A :class:`Graph` is a straight list of ops in the order one run executed them. Every tensor in
it is a *value* with an integer id: an input of the graph, a constant captured during the run
(a parameter, a tensor made inside the function), or an output of an op. Running the graph
again means walking the list and calling each op's ``Function.apply`` on the values it names:
no Python ``if``, no loop, no module ``forward`` is executed, only the recorded arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minidl.autograd.function import Function
from minidl.errors import DTypeError, ShapeError, fmt_shape
from minidl.tensor import Tensor


@dataclass(frozen=True)
class Value:
    """A reference to the tensor with id ``id`` inside a graph (an op's argument)."""

    id: int


@dataclass
class Op:
    """One recorded call ``function.apply(*args, **kwargs)``.

    ``args`` holds a :class:`Value` for each tensor argument and the Python object itself for
    everything else (a scalar, a shape tuple, ``None``). ``outputs`` are the value ids the
    call produced and ``meta`` their (shape, dtype), as seen during the trace.
    """

    function: type[Function]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    outputs: tuple[int, ...]
    meta: tuple[tuple[tuple[int, ...], np.dtype], ...]
    label: str = ""

    @property
    def inputs(self) -> tuple[int, ...]:
        """The value ids this op reads."""
        return tuple(a.id for a in self.args if isinstance(a, Value))

    @property
    def name(self) -> str:
        return self.label or self.function.__name__


@dataclass
class Graph:
    """A traced computation: ``inputs`` → ``ops`` (in order) → ``outputs``.

    ``constants`` maps value ids to the tensors captured by reference (a model's parameters:
    a later optimizer step is seen by the graph). ``names`` gives values readable names for
    printing; ``meta`` their (shape, dtype) at trace time. ``structure`` is how the traced
    function returned ``outputs``: an index into them, or a (nested) tuple of indices.
    """

    inputs: list[int]
    constants: dict[int, Tensor]
    ops: list[Op]
    outputs: list[int]
    names: dict[int, str] = field(default_factory=dict)
    meta: dict[int, tuple[tuple[int, ...], np.dtype]] = field(default_factory=dict)
    structure: Any = 0

    def replace_ops(self, ops: list[Op]) -> Graph:
        """A copy of this graph with another op list (what a pass returns)."""
        used = {v for op in ops for v in op.inputs} | set(self.outputs)
        return Graph(list(self.inputs), {k: t for k, t in self.constants.items() if k in used},
                     ops, list(self.outputs), dict(self.names), dict(self.meta),
                     self.structure)

    def check_inputs(self, tensors: tuple[Any, ...]) -> None:
        """Raise unless ``tensors`` match the example inputs' count, shapes and dtypes."""
        if len(tensors) != len(self.inputs):
            raise ValueError(f"traced graph: expected {len(self.inputs)} input tensors, "
                             f"got {len(tensors)}")
        for i, (vid, t) in enumerate(zip(self.inputs, tensors)):
            shape, dtype = self.meta[vid]
            if not isinstance(t, Tensor):
                raise TypeError(f"traced graph: input {i} must be a Tensor, got "
                                f"{type(t).__name__}")
            if t.shape != shape:
                raise ShapeError(
                    f"traced graph: input {i} ({self.names[vid]}) was traced with shape "
                    f"{fmt_shape(shape)}, got {fmt_shape(t.shape)}; a traced graph is "
                    "specialised to its example's shapes (trace again for another shape)")
            if t.dtype != dtype:
                raise DTypeError(f"traced graph: input {i} ({self.names[vid]}) was traced "
                                 f"with dtype {dtype}, got {t.dtype}")

    def run(self, *tensors: Tensor) -> Any:
        """Execute the ops on new inputs; returns a Tensor (or a tuple, like the function)."""
        self.check_inputs(tensors)
        env: dict[int, Tensor] = dict(self.constants)
        env.update(zip(self.inputs, tensors))
        for op in self.ops:
            args = [env[a.id] if isinstance(a, Value) else a for a in op.args]
            out = op.function.apply(*args, **op.kwargs)
            env.update(zip(op.outputs, out if isinstance(out, tuple) else (out,)))
        return _rebuild(self.structure, [env[v] for v in self.outputs])

    # -- printing ------------------------------------------------------------------------
    def _type(self, vid: int) -> str:
        shape, dtype = self.meta[vid]
        return f"{fmt_shape(shape)} {dtype}"

    def __str__(self) -> str:
        """TorchScript-like text: inputs and constants by name, op results numbered."""
        names = {v: "%" + self.names[v] for v in [*self.inputs, *self.constants]}
        results = [v for op in self.ops for v in op.outputs]
        names.update((v, f"%{k}") for k, v in enumerate(results, start=1))
        head = ", ".join(f"{names[v]}: {self._type(v)}" for v in self.inputs)
        lines = [f"graph({head}):"]
        for op in self.ops:
            args = [names[a.id] if isinstance(a, Value) else _short(a) for a in op.args]
            args += [f"{k}={_short(v)}" for k, v in op.kwargs.items()]
            outs = ", ".join(names[v] for v in op.outputs)
            types = ", ".join(self._type(v) for v in op.outputs)
            lines.append(f"  {outs} = {op.name}({', '.join(args)})  # {types}")
        lines.append("  return " + ", ".join(names[v] for v in self.outputs))
        return "\n".join(lines)

    __repr__ = __str__


def _rebuild(structure: Any, results: list[Tensor]) -> Any:
    if isinstance(structure, tuple):
        return tuple(_rebuild(s, results) for s in structure)
    return results[structure]


def _short(obj: Any) -> str:
    """A short repr for printing: small Python values as they are, other objects by type."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return repr(obj)
    if isinstance(obj, tuple) and all(isinstance(x, (int, float, type(None))) for x in obj):
        return repr(obj)
    if isinstance(obj, np.ndarray):
        return f"<array {fmt_shape(obj.shape)} {obj.dtype}>"
    if hasattr(obj, "graph_label"):
        return obj.graph_label
    return f"<{type(obj).__name__}>"
