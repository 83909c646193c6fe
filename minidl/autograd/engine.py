"""Reverse-mode differentiation: order the graph, then push gradients back through it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from minidl.autograd.function import Node
from minidl.errors import GraphError, ShapeError, fmt_shape
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
    if gradient is None:
        if root.data.size != 1:
            raise GraphError(
                f"backward: a gradient can only be created implicitly for a scalar output, "
                f"got shape {fmt_shape(root.shape)}; call .sum() or .mean() first, or pass "
                "backward(gradient=...)"
            )
        gradient = np.ones_like(root.data)
    elif gradient.shape != root.shape:
        raise ShapeError(
            f"backward: gradient shape {fmt_shape(gradient.shape)} does not match the "
            f"tensor's shape {fmt_shape(root.shape)}"
        )

    start, index = root._graph_edge()
    pending: dict[int, list[np.ndarray | None]] = {id(start): [None] * len(start.output_meta)}
    pending[id(start)][index] = gradient.astype(root.dtype, copy=False)

    for node in topological_order(start):
        grads = pending.pop(id(node), None)
        if grads is None:  # nothing reached it (a learner's order may list extra nodes)
            continue
        for i, t in node.retained.items():
            tensor = t()
            if tensor is not None and grads[i] is not None:
                tensor._accumulate_grad(grads[i])
        input_grads = node.run_backward(grads)
        for (parent, out_index), g in zip(node.next_functions, input_grads):
            if parent is None or g is None:
                continue
            shape, dtype = parent.output_meta[out_index]
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
