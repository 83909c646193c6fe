"""minidl.jit: traced graphs equal eager results and gradients; passes; the tracer's warnings.

Expected values come from running the same function eagerly (the dynamic graph, tested in
test_autograd.py / test_ops_gradcheck.py) or from hand-counted graphs; never from the graph.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minidl
from minidl import ShapeError, jit, nn
from minidl import functional as F
from minidl.jit.fusion import FusedElementwise


def gelu_tanh(x):
    """GELU's tanh approximation written with primitive ops: 8 elementwise ops."""
    return 0.5 * x * (1 + (0.7978845608 * (x + 0.044715 * x ** 3)).tanh())


def lenet():
    minidl.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 8, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(200, 32), nn.Tanh(), nn.Linear(32, 10))


def values(t):
    return t.detach().numpy()


def quiet_trace(fn, example, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", jit.TracerWarning)   # a clean function must not warn
        return jit.trace(fn, example, **kwargs)


def grads_of(fn, x, params):
    for p in [x, *params]:
        p.grad = None
    out = fn(x)
    (out * minidl.tensor(np.linspace(-1, 1, out.numel(), dtype=np.float32)
                         .reshape(out.shape))).sum().backward()
    return [p.grad.numpy().copy() for p in [x, *params]]


@pytest.mark.parametrize("optimize", [False, True])
def test_traced_cnn_equals_eager_outputs_and_gradients(optimize):
    model = lenet()
    x = minidl.randn(3, 1, 28, 28, requires_grad=True)
    traced = quiet_trace(model, x, optimize=optimize)
    fresh = minidl.randn(3, 1, 28, 28, requires_grad=True)
    np.testing.assert_allclose(values(traced(fresh)), values(model(fresh)), rtol=1e-5,
                               atol=1e-6)
    params = list(model.parameters())
    for got, want in zip(grads_of(traced, fresh, params), grads_of(model, fresh, params)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_fused_chain_equals_eager_values_and_gradients():
    x = minidl.randn(64, 33, requires_grad=True)
    traced = quiet_trace(gelu_tanh, x)
    assert [op.function for op in traced.graph.ops] == [FusedElementwise]
    y = minidl.randn(64, 33, requires_grad=True)
    np.testing.assert_allclose(values(traced(y)), values(gelu_tanh(y)), rtol=1e-5, atol=1e-6)
    (got,) = grads_of(traced, y, [])
    (want,) = grads_of(gelu_tanh, y, [])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_fusion_with_a_broadcast_bias_and_two_inputs_gives_every_gradient():
    w = minidl.randn(7, requires_grad=True)        # broadcast along the rows
    b = minidl.randn(1, requires_grad=True)        # one value

    def f(x, z):
        return (x * w + b).sigmoid() * z.exp() - 3.0 / (1 + z * z)

    x, z = minidl.randn(5, 7, requires_grad=True), minidl.randn(5, 7, requires_grad=True)
    traced = quiet_trace(f, (x, z))
    assert len(traced.graph.ops) == 1 and traced.graph.ops[0].function is FusedElementwise
    np.testing.assert_allclose(values(traced(x, z)), values(f(x, z)), rtol=1e-5, atol=1e-6)
    results = []
    for fn in (traced, f):
        for p in (x, z, w, b):
            p.grad = None
        fn(x, z).sum().backward()
        results.append([p.grad.numpy().copy() for p in (x, z, w, b)])
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_a_value_used_outside_its_chain_is_not_fused_away():
    def f(x):
        h = (x * 2).exp()            # h is used twice: by the sum and by the output
        return h + 1, h.sum()

    x = minidl.randn(4, 3)
    traced = quiet_trace(f, x)
    names = [op.name for op in traced.graph.ops]
    assert names == ["Fused[Mul, Exp]", "Add", "Sum"]
    for got, want in zip(traced(x), f(x)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_dead_nodes_are_dropped():
    def f(x):
        (x.exp() * 3).sum()    # computed, never used
        return F.relu(x) * 2

    traced = quiet_trace(f, minidl.randn(2, 3), optimize=False)
    assert [op.name for op in traced.recorded.ops] == ["Exp", "Mul", "Sum", "ReLU", "Mul"]
    kept = jit.eliminate_dead_nodes(traced.recorded)
    assert [op.name for op in kept.ops] == ["ReLU", "Mul"]


def test_live_nodes_on_a_hand_drawn_graph():
    # values: 0 input; node0: 0 → 1; node1: 1 → 2 (dead); node2: (0, 1) → 3; node3: 2 → 4 (dead)
    nodes = [([0], [1]), ([1], [2]), ([0, 1], [3]), ([2], [4])]
    assert jit.live_nodes(nodes, [3]) == [0, 2]
    assert jit.live_nodes(nodes, [4]) == [0, 1, 3]
    assert jit.live_nodes(nodes, [0]) == []


def test_a_data_dependent_branch_warns_and_is_baked_in():
    def f(x):
        if x.sum() > 0:
            return x * 2
        return x - 1

    with pytest.warns(jit.TracerWarning, match="Python bool"):
        traced = jit.trace(f, minidl.ones(3))
    negative = minidl.full((3,), -3.0)
    np.testing.assert_array_equal(f(negative).numpy(), [-4.0, -4.0, -4.0])       # x - 1
    np.testing.assert_array_equal(traced(negative).numpy(), [-6.0, -6.0, -6.0])  # x * 2, baked in


def test_converting_a_traced_value_to_a_float_warns_naming_the_line():
    def f(x):
        scale = float(x.abs().amax())
        return x / scale

    with pytest.warns(jit.TracerWarning, match="Python float") as record:
        jit.trace(f, minidl.randn(4))
    assert record[0].filename == __file__


def test_a_module_without_python_decisions_traces_silently_and_tracks_its_weights():
    model = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2))
    x = minidl.randn(3, 6)
    traced = quiet_trace(model, x)
    text = str(traced.graph)
    assert "%0.weight" in text and "%2.bias" in text and text.count(" = ") == 3
    with minidl.no_grad():
        model[0].weight.data[...] = 0.0       # an optimizer step changes p.data in place
    np.testing.assert_allclose(values(traced(x)), values(model(x)), rtol=1e-6)


def test_inputs_of_another_shape_are_refused_with_a_clear_message():
    traced = quiet_trace(gelu_tanh, minidl.randn(8, 4))
    with pytest.raises(ShapeError, match=r"traced with shape \(8, 4\), got \(2, 4\)"):
        traced(minidl.randn(2, 4))
