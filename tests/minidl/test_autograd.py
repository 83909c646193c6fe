"""The graph engine: accumulation, retain_graph, topological order, no_grad, errors."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl import GraphError, ShapeError
from minidl.autograd.engine import topological_order


def test_gradients_accumulate_across_backward_calls():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])


def test_a_tensor_used_twice_gets_both_contributions():
    x = minidl.tensor(3.0, requires_grad=True)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    assert x.grad.item() == 7.0


def test_backward_twice_without_retain_graph_is_a_clear_error():
    x = minidl.tensor([1.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(GraphError, match="second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_backward_of_non_scalar_needs_a_gradient():
    x = minidl.ones(2, 2, requires_grad=True)
    y = x * 2
    with pytest.raises(GraphError, match=r"scalar output, got shape \(2, 2\)"):
        y.backward()
    y.backward(gradient=np.ones((2, 2)))
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 2), 2.0))
    with pytest.raises(ShapeError, match="does not match"):
        (x * 2).backward(gradient=np.ones(3))


def test_backward_on_a_tensor_without_grad_explains_why():
    with pytest.raises(GraphError, match="does not require grad"):
        minidl.ones(2).sum().backward()


def test_no_grad_builds_no_graph_and_restores_mode():
    x = minidl.ones(2, requires_grad=True)
    with minidl.no_grad():
        y = x * 2
        assert not minidl.is_grad_enabled()
        with minidl.enable_grad():
            z = x * 2
    assert minidl.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert z.grad_fn is not None

    @minidl.no_grad()
    def double(t):
        return t * 2

    assert double(x).grad_fn is None


def test_topological_order_puts_consumers_before_producers():
    a = minidl.tensor(2.0, requires_grad=True)
    b = a * 3
    c = b + a
    d = c * b
    order = topological_order(d.grad_fn)
    position = {id(n): i for i, n in enumerate(order)}
    assert order[0] is d.grad_fn
    for node in order:
        for parent, _ in node.next_functions:
            if parent is not None:
                assert position[id(node)] < position[id(parent)]
    assert len(order) == len({id(n) for n in order}) == 4  # Mul, Add, Mul, AccumulateGrad(a)


def test_deep_chain_does_not_hit_the_recursion_limit():
    x = minidl.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001**5000, rel=1e-3)


def test_retain_grad_keeps_an_intermediate_gradient():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 12.0])
    assert x.grad is not None


def test_multi_output_function_routes_each_gradient():
    from minidl.autograd import Function

    class SplitHalves(Function):
        @staticmethod
        def forward(ctx, a):
            return a[:2].copy(), a[2:].copy()

        @staticmethod
        def backward(ctx, g1, g2):
            return np.concatenate([g1, g2])

    x = minidl.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    left, right = SplitHalves.apply(x)
    (right * 5).sum().backward()  # left unused: its gradient is zeros
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 5, 5])


def test_a_wrong_backward_shape_names_the_op():
    from minidl.autograd import Function

    class Broken(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g.sum(axis=0)

    x = minidl.ones(3, 2, requires_grad=True)
    expected = r"BrokenBackward: .*\(2,\) for an input of shape \(3, 2\)"
    with pytest.raises(ShapeError, match=expected):
        Broken.apply(x).sum().backward()


def test_mixing_float32_and_numpy_float64_scalars_stays_float32():
    x = minidl.ones(3, requires_grad=True)
    y = x * np.float64(0.5) + np.sqrt(np.float64(2.0))
    assert y.dtype == np.float32


def test_gradcheck_catches_a_wrong_derivative():
    from minidl.autograd import Function

    class WrongSquare(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * a  # should be 2a

    x = minidl.randn(3, dtype=minidl.float64, requires_grad=True)
    with pytest.raises(minidl.GradcheckError, match=r"input 0 element \(\d,\)"):
        minidl.gradcheck(WrongSquare.apply, x)
    with pytest.raises(minidl.DTypeError, match="float64"):
        minidl.gradcheck(lambda t: t * 2, minidl.randn(3, requires_grad=True))
