"""Layer 5: static graphs. ``trace`` records one run of a function or module; passes optimise it.

>>> traced = minidl.jit.trace(model, example)   # records, drops dead ops, fuses elementwise
>>> print(traced.graph)                         # the static graph
>>> traced(x)                                   # runs the graph (same shapes as the example)
"""

from minidl.jit.fusion import FusedElementwise, fuse_elementwise
from minidl.jit.graph import Graph, Op, Value
from minidl.jit.passes import eliminate_dead_nodes, live_nodes
from minidl.jit.tracer import TracedFunction, TracerWarning, trace

__all__ = ["FusedElementwise", "Graph", "Op", "TracedFunction", "TracerWarning", "Value",
           "eliminate_dead_nodes", "fuse_elementwise", "live_nodes", "trace"]
