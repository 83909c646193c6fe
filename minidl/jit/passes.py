"""Graph passes that need no code generation: dead-node elimination.

A traced function may compute values nobody uses (a debugging statistic, the unused output of
a multi-output op, a branch's leftovers). Eager execution pays for them on every call; a
static graph can drop them once, because it knows every use of every value in advance.
"""

from __future__ import annotations

from collections.abc import Sequence

from minidl.jit.graph import Graph


def live_nodes(nodes: Sequence[tuple[Sequence[int], Sequence[int]]],
               outputs: Sequence[int]) -> list[int]:
    """Indices of the nodes whose results the graph's outputs depend on, in order.

    ``nodes[k] = (input value ids, output value ids)`` in execution order (every node comes
    after the nodes producing its inputs); ``outputs`` are the value ids the graph returns.
    A node is live if one of its outputs is a graph output or an input of a live node.
    One walk from the last node to the first decides it: a node's consumers all come after it.
    """
    needed = set(outputs)
    keep = []
    for k in range(len(nodes) - 1, -1, -1):
        ins, outs = nodes[k]
        if needed.intersection(outs):
            keep.append(k)
            needed.update(ins)
    return keep[::-1]


def eliminate_dead_nodes(graph: Graph) -> Graph:
    """The graph without the ops that do not contribute to its outputs."""
    keep = live_nodes([(op.inputs, op.outputs) for op in graph.ops], graph.outputs)
    return graph.replace_ops([graph.ops[k] for k in keep])
