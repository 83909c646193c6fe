"""``trace``: run a function once, record every op it executes, return a static graph.

This is the idea behind ``torch.jit.trace`` and the graphs of TensorFlow 1 and JAX's ``jit``:
the *dynamic* graph of a run (chapter 2) is written down once, then optimised and replayed.
The ops are recorded where they all pass: ``Function.apply`` calls a hook
(``minidl.autograd.function.set_trace_hook``) with the op, its arguments and its outputs.

What a trace cannot see is Python itself. ``if x.sum() > 0:`` runs on the example's data and
only the branch it took is recorded, and ``float(x.mean())`` becomes a constant. The tracer
cannot record such a decision, but it notices the moment a traced tensor is turned into a
Python value and warns with a :class:`TracerWarning` naming the line, as PyTorch does.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from minidl.autograd.function import Function, set_trace_hook
from minidl.jit.fusion import fuse_elementwise
from minidl.jit.graph import Graph, Op, Value
from minidl.jit.passes import eliminate_dead_nodes
from minidl.nn.module import Module
from minidl.tensor import Tensor

_PACKAGE = str(Path(__file__).resolve().parents[1])


class TracerWarning(UserWarning):
    """The trace may not generalise: a traced tensor's value steered the Python code."""


class _Recorder:
    """Collects the ops of one run into a :class:`Graph`."""

    def __init__(self, inputs: tuple[Tensor, ...], names: list[str],
                 known: dict[int, str]) -> None:
        self.ids: dict[int, int] = {}          # id(tensor) → value id
        self.keep: list[Any] = []              # keeps recorded tensors alive (ids stay unique)
        self.graph = Graph([], {}, [], [])
        self.known = known                     # id(parameter or buffer) → its module name
        for t, name in zip(inputs, names):
            self.graph.inputs.append(self._new_value(t, name))

    def _new_value(self, t: Tensor, name: str | None = None) -> int:
        vid = len(self.ids)
        self.ids[id(t)] = vid
        self.keep.append(t)
        self.graph.meta[vid] = (t.shape, t.dtype)
        self.graph.names[vid] = name if name is not None else f"v{vid}"
        return vid

    def may_depend_on_inputs(self, t: Tensor) -> bool:
        """False only for a module's own parameters and buffers; a tensor the trace did not
        see being made (``x.sum() > 0`` is computed outside the ops) may come from the data."""
        return id(t) not in self.known

    def value(self, t: Tensor) -> Value:
        """The value of ``t``; a tensor not made by a recorded op becomes a constant."""
        if id(t) not in self.ids:
            name = self.known.get(id(t), f"c{len(self.graph.constants)}")
            self.graph.constants[self._new_value(t, name)] = t
            if id(t) not in self.known and not t.dtype.kind == "f":
                _warn(f"a {t.dtype} tensor {t.shape} that no recorded op produced (a mask or "
                      "index computed outside the graph?) is baked into the trace as a "
                      "constant: the traced graph reuses this example's values")
        return Value(self.ids[id(t)])

    def record(self, function: type[Function], args: tuple, kwargs: dict,
               outputs: tuple[Tensor, ...]) -> None:
        refs = []
        for a in args:
            if isinstance(a, Tensor):
                refs.append(self.value(a))
                continue
            if isinstance(a, np.ndarray) and a.ndim > 0:
                _warn(f"{function.__name__} received a NumPy array {a.shape}: it is baked into "
                      "the trace as a constant (if it came from the data, e.g. x > 0, the "
                      "traced graph reuses this example's)")
            refs.append(a)
        out_ids = tuple(self._new_value(t) for t in outputs)
        self.graph.ops.append(Op(function, tuple(refs), dict(kwargs), out_ids,
                                 tuple((t.shape, t.dtype) for t in outputs)))


def _user_frame() -> tuple[str, int]:
    """File and line of the innermost caller outside minidl (where the conversion was)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    return (frame.f_code.co_filename, frame.f_lineno) if frame else ("<unknown>", 0)


def _warn(message: str) -> None:
    filename, lineno = _user_frame()
    warnings.warn_explicit(f"trace: {message}", TracerWarning, filename, lineno)


_CONVERSIONS = {"__bool__": "a Python bool", "__float__": "a Python float",
                "__int__": "a Python int", "item": "a Python number",
                "tolist": "a Python list", "numpy": "a NumPy array"}


@contextlib.contextmanager
def _watch_conversions(recorder: _Recorder) -> Iterator[None]:
    """Wrap Tensor's conversions to Python values so that converting a traced tensor warns."""
    originals = {name: getattr(Tensor, name) for name in _CONVERSIONS}
    depth = [0]   # float(t) calls t.item(): warn once, for the outermost conversion

    def wrap(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def converted(self: Tensor, *args: Any, **kwargs: Any) -> Any:
            if depth[0] == 0 and recorder.may_depend_on_inputs(self):
                _warn(f"converting a traced tensor to {_CONVERSIONS[name]} (Tensor.{name}): "
                      "the value of this example is baked into the graph, and any Python "
                      "branch taken on it is recorded as if it were always taken")
            depth[0] += 1
            try:
                return original(self, *args, **kwargs)
            finally:
                depth[0] -= 1
        return converted

    for name, original in originals.items():
        setattr(Tensor, name, wrap(name, original))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(Tensor, name, original)


class TracedFunction:
    """A traced function or module: call it like the original (on same-shaped inputs).

    ``graph`` is the graph that runs (optimised unless ``optimize=False``);
    ``recorded`` the graph as traced, before any pass.
    """

    def __init__(self, recorded: Graph, graph: Graph, name: str) -> None:
        self.recorded, self.graph, self.__name__ = recorded, graph, name

    def __call__(self, *inputs: Tensor) -> Any:
        return self.graph.run(*inputs)

    def __repr__(self) -> str:
        return f"TracedFunction({self.__name__}, {len(self.graph.ops)} ops)\n{self.graph}"


def _flatten(out: Any, into: list[Tensor]) -> Any:
    """Collect the Tensors of a (nested) tuple into ``into``; return the nesting as indices."""
    if isinstance(out, tuple):
        return tuple(_flatten(o, into) for o in out)
    if not isinstance(out, Tensor):
        raise TypeError(f"trace: the function must return Tensors (in nested tuples), got "
                        f"{type(out).__name__}")
    into.append(out)
    return len(into) - 1


def _input_names(fn: Callable[..., Any], count: int) -> list[str]:
    code = getattr(getattr(fn, "forward", fn), "__code__", None)
    names = list(code.co_varnames[:code.co_argcount]) if code else []
    if names[:1] == ["self"]:
        names = names[1:]
    return names[:count] if len(names) >= count else [f"x{i}" for i in range(count)]


def trace(fn: Callable[..., Any] | Module, example_inputs: Tensor | tuple[Tensor, ...],
          *, optimize: bool = True) -> TracedFunction:
    """Run ``fn(*example_inputs)`` once and record its ops into a static graph.

    Args:
        fn: a function of Tensors returning a Tensor or a tuple of Tensors, or a Module
            (its parameters and buffers are captured by reference and named in the graph).
        example_inputs: a Tensor or a tuple of Tensors. The graph is specialised to their
            shapes and dtypes, and to the branches the Python code took on them.
        optimize: run the passes (dead-node elimination, then elementwise fusion).

    Returns:
        A :class:`TracedFunction`. Its results equal ``fn``'s on inputs of the same shapes,
        and ``backward`` works through it (each op keeps its own backward; a fused kernel
        recomputes its chain's intermediates and runs their backward rules).

    Warns:
        TracerWarning: when a traced tensor is converted to a Python value (``bool``,
        ``float``, ``int``, ``item``, ``tolist``, ``numpy``), or when data-derived NumPy
        arrays or non-float tensors enter the graph as constants.
    """
    inputs = example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)
    if not inputs or not all(isinstance(t, Tensor) for t in inputs):
        raise TypeError(f"trace: example_inputs must be a Tensor or a tuple of Tensors, got "
                        f"{type(example_inputs).__name__}")
    known = {}
    if isinstance(fn, Module):
        known = {id(t): name for name, t in [*fn.named_parameters(), *fn.named_buffers()]}
    recorder = _Recorder(inputs, _input_names(fn, len(inputs)), known)
    previous = set_trace_hook(recorder.record)
    try:
        with _watch_conversions(recorder):
            out = fn(*inputs)
    finally:
        set_trace_hook(previous)
    graph = recorder.graph
    outputs: list[Tensor] = []
    graph.structure = _flatten(out, outputs)
    graph.outputs = [recorder.value(t).id for t in outputs]
    optimised = fuse_elementwise(eliminate_dead_nodes(graph)) if optimize else graph
    name = getattr(fn, "__name__", type(fn).__name__)
    return TracedFunction(graph, optimised, name)
