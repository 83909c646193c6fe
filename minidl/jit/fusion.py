"""Elementwise fusion: a chain of elementwise ops becomes one generated Numba kernel.

Eagerly, ``0.5 * x * (1 + tanh(c * (x + 0.044715 * x**3)))`` is eight ops: eight passes over
memory and seven temporary arrays. Each element's result depends only on the same element of
the inputs, so one loop can compute the whole expression per element and write it once. The
graph knows which values have exactly one consumer; those can stay inside the loop.

:func:`fuse_elementwise` groups such ops, writes the loop as Python source (one line per op,
from :data:`TEMPLATES`), compiles it with ``numba.njit`` once per distinct source, and replaces
the group by a single :class:`FusedElementwise` op. Its backward recomputes the chain's
intermediates from the saved inputs (rematerialisation) and runs each op's own backward rule,
so gradients through a fused graph equal eager ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np

from minidl.autograd.function import Function, Node
from minidl.jit.graph import Graph, Op, Value
from minidl.ops import activation as A
from minidl.ops import elementwise as E


def _clip(a: str, low: str, high: str) -> str:
    out = a if low == "None" else f"max({a}, {low})"
    return out if high == "None" else f"min({out}, {high})"


# One scalar expression per op: its arguments arrive as variable names or literal constants.
TEMPLATES: dict[type[Function], Callable[..., str]] = {
    E.Add: lambda a, b: f"{a} + {b}",
    E.Sub: lambda a, b: f"{a} - {b}",
    E.Mul: lambda a, b: f"{a} * {b}",
    E.Div: lambda a, b: f"{a} / {b}",
    E.Neg: lambda a: f"-{a}",
    E.Pow: lambda a, b: f"{a} ** {b}",
    E.Exp: lambda a: f"math.exp({a})",
    E.Log: lambda a: f"math.log({a})",
    E.Sqrt: lambda a: f"math.sqrt({a})",
    E.Abs: lambda a: f"abs({a})",
    E.Sin: lambda a: f"math.sin({a})",
    E.Cos: lambda a: f"math.cos({a})",
    E.Maximum: lambda a, b: f"max({a}, {b})",
    E.Clip: _clip,
    A.ReLU: lambda a: f"max({a}, 0.0)",
    A.Sigmoid: lambda a: f"1.0 / (1.0 + math.exp(-{a}))",
    A.Tanh: lambda a: f"math.tanh({a})",
    A.LeakyReLU: lambda a, slope: f"{a} if {a} > 0.0 else {a} * {slope}",
}

_KERNELS: dict[str, Callable[..., None]] = {}   # compiled kernels, by source


def _literal(value: Any) -> str | None:
    """``value`` as Python source for the kernel, or None if it cannot be inlined."""
    if value is None:
        return "None"
    if isinstance(value, (bool, int, float)) and math.isfinite(value):
        return f"({value!r})"
    return None


def _fusible(op: Op, graph: Graph) -> bool:
    if op.function not in TEMPLATES or op.kwargs or len(op.outputs) != 1:
        return False
    if op.meta[0][1].kind != "f":
        return False
    for a in op.args:
        if isinstance(a, Value):
            if graph.meta[a.id][1].kind != "f":
                return False
        elif _literal(a) is None:
            return False
    return True


def _index(shape: tuple[int, ...], out_shape: tuple[int, ...]) -> str:
    """How the kernel reads input element i: full, one value, or a repeated trailing block."""
    if shape == out_shape:
        return "{}[i]"
    if math.prod(shape) == 1:
        return "{}[0]"
    trimmed = shape[next((k for k, s in enumerate(shape) if s != 1), len(shape)):]
    if out_shape[len(out_shape) - len(trimmed):] == trimmed:
        return "{}[i % {}.shape[0]]"
    return "{}[i]"   # any other broadcast: the input is expanded to out_shape first


@dataclass
class FusedProgram:
    """What a fused op runs: the original ops (``steps``) and the kernel generated from them."""

    steps: list[Op]
    inputs: list[int]                          # value ids read from outside, in kernel order
    output: int
    shape: tuple[int, ...]
    dtype: np.dtype
    source: str = ""
    input_shapes: list[tuple[int, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        names = {v: f"a{j}" for j, v in enumerate(self.inputs)}
        params = ", ".join(f"in{j}" for j in range(len(self.inputs)))
        body = [f"def fused(out, {params}):", "    for i in range(out.shape[0]):"]
        for j, shape in enumerate(self.input_shapes):
            body.append(f"        a{j} = " + _index(shape, self.shape).format(f"in{j}", f"in{j}"))
        for k, op in enumerate(self.steps):
            names[op.outputs[0]] = f"t{k}"
            args = [names[a.id] if isinstance(a, Value) else _literal(a) for a in op.args]
            body.append(f"        t{k} = {TEMPLATES[op.function](*args)}")
        body.append(f"        out[i] = t{len(self.steps) - 1}")
        self.source = "\n".join(body)

    @property
    def kernel(self) -> Callable[..., None]:
        if self.source not in _KERNELS:
            namespace: dict[str, Any] = {"math": math}
            exec(self.source, namespace)  # noqa: S102 (source generated from TEMPLATES above)
            # error_model="numpy": x / 0 gives inf like NumPy instead of raising
            _KERNELS[self.source] = numba.njit(error_model="numpy")(namespace["fused"])
        return _KERNELS[self.source]

    @property
    def graph_label(self) -> str:
        """How a printed graph shows this program."""
        return f"<Numba kernel, {len(self.steps)} ops in one loop>"


class FusedElementwise(Function):
    """``FusedElementwise.apply(*inputs, program=...)``: run a fused chain in one loop."""

    @staticmethod
    def forward(ctx: Node, *arrays: np.ndarray, program: FusedProgram) -> np.ndarray:
        ctx.save_for_backward(*arrays)
        ctx.program = program
        flat = []
        for a, shape in zip(arrays, program.input_shapes):
            if "%" in _index(shape, program.shape) or math.prod(shape) == 1:
                flat.append(np.ascontiguousarray(a).reshape(-1))
            else:
                flat.append(np.ascontiguousarray(np.broadcast_to(a, program.shape)).reshape(-1))
        out = np.empty(program.shape, program.dtype)
        program.kernel(out.reshape(-1), *flat)
        return out

    @staticmethod
    def backward(ctx: Node, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        program: FusedProgram = ctx.program
        outside = dict(zip(program.inputs, ctx.needs_input_grad))
        env: dict[int, Any] = dict(zip(program.inputs, ctx.saved_tensors))
        nodes = []
        for op in program.steps:   # recompute the intermediates, saving what backward needs
            node = Node(op.function)
            node.needs_input_grad = tuple(isinstance(a, Value) and outside.get(a.id, True)
                                          for a in op.args)
            args = [env[a.id] if isinstance(a, Value) else a for a in op.args]
            env[op.outputs[0]] = op.function.forward(node, *args)
            nodes.append(node)
        grads: dict[int, np.ndarray] = {program.output: grad}
        for op, node in zip(reversed(program.steps), reversed(nodes)):
            g = grads.pop(op.outputs[0], None)
            if g is None:
                continue
            result = op.function.backward(node, g)
            for a, ga in zip(op.args, result if isinstance(result, tuple) else (result,)):
                if isinstance(a, Value) and ga is not None:
                    grads[a.id] = grads[a.id] + ga if a.id in grads else ga
        return tuple(grads.get(v) if need else None for v, need in outside.items())


def fuse_elementwise(graph: Graph) -> Graph:
    """Replace every chain of ≥ 2 fusible elementwise ops by one :class:`FusedElementwise`.

    An op joins the group of the op producing its argument when that value has no other
    consumer, is not a graph output and has the op's output shape: the group then has one
    output (its last op), and its intermediates never need to exist as arrays.
    """
    producer = {v: k for k, op in enumerate(graph.ops) for v in op.outputs}
    consumers: dict[int, set[int]] = {}
    for k, op in enumerate(graph.ops):
        for v in op.inputs:
            consumers.setdefault(v, set()).add(k)
    returned = set(graph.outputs)
    group: dict[int, int] = {}                  # op index → index of its group's last op
    members: dict[int, list[int]] = {}
    for k, op in enumerate(graph.ops):
        if not _fusible(op, graph):
            continue
        members[k] = [k]
        for v in op.inputs:
            p = producer.get(v)
            if (p is None or p not in group or group[p] == k or v in returned
                    or consumers[v] != {k} or graph.meta[v][0] != op.meta[0][0]):
                continue
            for m in members.pop(group[p]):
                group[m] = k
                members[k].append(m)
        group[k] = k
    ops = []
    for k, op in enumerate(graph.ops):
        root = group.get(k)
        if root is None or len(members[root]) == 1:
            ops.append(op)
        elif root == k:
            ops.append(_fused_op(graph, [graph.ops[m] for m in sorted(members[root])]))
    return graph.replace_ops(ops)


def _fused_op(graph: Graph, steps: list[Op]) -> Op:
    made = {op.outputs[0] for op in steps}
    inputs = list(dict.fromkeys(v for op in steps for v in op.inputs if v not in made))
    last = steps[-1]
    program = FusedProgram(steps, inputs, last.outputs[0], last.meta[0][0], last.meta[0][1],
                           input_shapes=[graph.meta[v][0] for v in inputs])
    label = "Fused[" + ", ".join(op.name for op in steps) + "]"
    return Op(FusedElementwise, tuple(Value(v) for v in inputs), {"program": program},
              last.outputs, last.meta, label)
