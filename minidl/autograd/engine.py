"""Reverse-mode differentiation: order the graph, then push gradients back through it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from minidl.autograd.function import AccumulateGrad, Node
from minidl.errors import GraphError, ShapeError, fmt_shape
from minidl.kernels.dispatch import is_device_array
from minidl.kernels.slots import slot

if TYPE_CHECKING:
    from minidl.tensor import Tensor


@slot
def topological_order(root: Node) -> list[Node]:
    """Every node reachable from ``root``, each before all the nodes it depends on.

    ``node.next_functions`` lists ``(input_node, output_index)`` pairs (``input_node``
    may be ``None``). The root comes first; a node appears once, after every node
    that consumes its output, so its gradient is complete when it is processed.
    Iterative depth-first post-order, reversed (no recursion limit on long RNNs).
    """
    order: list[Node] = []
    visited: set[int] = {id(root)}
    stack: list[tuple[Node, int]] = [(root, 0)]
    while stack:
        node, child = stack.pop()
        edges = node.next_functions
        while child < len(edges) and (edges[child][0] is None or id(edges[child][0]) in visited):
            child += 1
        if child == len(edges):
            order.append(node)
            continue
        stack.append((node, child + 1))
        nxt = edges[child][0]
        visited.add(id(nxt))
        stack.append((nxt, 0))
    order.reverse()
    return order


def backward(root: Tensor, gradient: np.ndarray | None = None, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires grad."""
    if not root.requires_grad:
        raise GraphError(
            "backward: this tensor does not require grad and has no grad_fn; did you "
            "compute it inside no_grad() or from tensors without requires_grad=True?"
        )
    _run([(root, _seed("backward", root, gradient))], retain_graph)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs), returned instead of added into ``.grad`` (PyTorch's
    ``torch.autograd.grad``, first order: ``create_graph=True`` is not supported because
    ``Function.backward`` works on arrays)."""
    from minidl.tensor import Tensor

    if create_graph:
        raise GraphError(
            "autograd.grad: create_graph=True (higher-order gradients) is not supported: "
            "minidl's Function.backward works on NumPy arrays, outside the graph"
        )
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"autograd.grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs"
        )
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise GraphError(f"autograd.grad: input {i} does not require grad")
    seeds = []
    for o, g in zip(outputs, grad_outputs):
        if not o.requires_grad:
            raise GraphError("autograd.grad: an output does not require grad (no graph)")
        seeds.append((o, _seed("autograd.grad", o, None if g is None else g._data)))
    wanted = {(id(node), index): i for i, (node, index) in
              enumerate(t._graph_edge() for t in inputs)}
    captured: list[np.ndarray | None] = [None] * len(inputs)
    _run(seeds, bool(retain_graph), wanted, captured)
    result = []
    for i, (t, g) in enumerate(zip(inputs, captured)):
        if g is None and not allow_unused:
            raise GraphError(
                f"autograd.grad: input {i} {fmt_shape(t.shape)} was not used to compute the "
                "outputs; pass allow_unused=True to get None for it"
            )
        result.append(None if g is None else Tensor._from_op(g, None, 0, t.device))
    return tuple(result)


def _seed(caller: str, root: Tensor, gradient: np.ndarray | None) -> np.ndarray:
    """The gradient that starts backward at ``root`` (1 for a scalar)."""
    if gradient is None:
        if root._data.size != 1:
            raise GraphError(
                f"{caller}: a gradient can only be created implicitly for a scalar output, "
                f"got shape {fmt_shape(root.shape)}; call .sum() or .mean() first, or pass "
                "backward(gradient=...)"
            )
        return np.ones_like(root._data)
    if gradient.shape != root.shape:
        raise ShapeError(
            f"{caller}: gradient shape {fmt_shape(gradient.shape)} does not match the "
            f"tensor's shape {fmt_shape(root.shape)}"
        )
    return gradient.astype(root.dtype, copy=False)


class GraphRoot(Node):
    """A node above several outputs, so one walk of the graph serves all of them."""

    def __init__(self, seeds: list[tuple[Tensor, np.ndarray]]) -> None:
        super().__init__(None)
        self.next_functions = tuple(t._graph_edge() for t, _ in seeds)
        self.output_meta = [((), np.dtype(np.float64), None)]
        self.seed_grads = tuple(g for _, g in seeds)

    def run_backward(self, grads: list[np.ndarray | None]) -> tuple[np.ndarray, ...]:
        return self.seed_grads


def _run(
    seeds: list[tuple[Tensor, np.ndarray]],
    retain_graph: bool,
    wanted: dict[tuple[int, int], int] | None = None,
    captured: list[np.ndarray | None] | None = None,
) -> None:
    """Push the seed gradients back through the graph.

    Without ``wanted``, leaves accumulate into ``.grad`` (``backward``). With it, the
    gradient reaching each wanted (node, output) edge is stored in ``captured`` and
    leaves' ``.grad`` is left alone (``autograd.grad``).
    """
    if len(seeds) == 1:
        (root, gradient), = seeds
        start, index = root._graph_edge()
        pending: dict[int, list[np.ndarray | None]] = {id(start): [None] * len(start.output_meta)}
        pending[id(start)][index] = gradient
    else:
        start = GraphRoot(seeds)
        pending = {id(start): [np.zeros(())]}

    for node in topological_order(start):
        grads = pending.pop(id(node), None)
        if grads is None:  # nothing reached it (a learner's order may list extra nodes)
            continue
        for i, hooks in node.hooks.items():
            for hook in hooks:
                grads[i] = _call_hook(node, hook, grads[i])
        if wanted is None:
            for i, t in node.retained.items():
                tensor = t()
                if tensor is not None and grads[i] is not None:
                    tensor._accumulate_grad(grads[i])
        else:
            for i, g in enumerate(grads):
                slot_ = wanted.get((id(node), i))
                if slot_ is not None:
                    captured[slot_] = g
            if isinstance(node, AccumulateGrad):
                continue
        input_grads = node.run_backward(grads)
        for (parent, out_index), g in zip(node.next_functions, input_grads):
            if parent is None or g is None:
                continue
            shape, dtype, dev = parent.output_meta[out_index]
            if type(g) is not np.ndarray and not is_device_array(g):
                g = np.asarray(g)
            if g.shape != shape:
                raise ShapeError(
                    f"{node.name}: backward produced a gradient of shape {fmt_shape(g.shape)} "
                    f"for an input of shape {fmt_shape(shape)} (was broadcasting undone?)"
                )
            slots_ = pending.setdefault(id(parent), [None] * len(parent.output_meta))
            g = g.astype(dtype, copy=False)
            slots_[out_index] = g if slots_[out_index] is None else slots_[out_index] + g
        if not retain_graph:
            node.release()


def _call_hook(node: Node, hook: Any, grad: np.ndarray | None) -> np.ndarray | None:
    """Run a ``register_hook`` function on a gradient; it may return a replacement."""
    from minidl.tensor import Tensor

    if grad is None:
        return None
    result = hook(Tensor._from_op(grad, None, 0, None))
    if result is None:
        return grad
    new = result._data if isinstance(result, Tensor) else np.asarray(result)
    if new.shape != grad.shape:
        raise ShapeError(
            f"register_hook: a hook on {node.name} returned a gradient of shape "
            f"{fmt_shape(new.shape)}; expected {fmt_shape(grad.shape)}"
        )
    return new
