"""In-place operations, version counters, ``.data``, hooks and grad modes, as in PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl import DTypeError, GraphError, ShapeError, nn


def test_a_hand_written_pytorch_style_training_loop_trains():
    minidl.manual_seed(0)
    X = minidl.randn(64, 3)
    y = X @ minidl.tensor([[1.5], [-2.0], [0.5]]) + 0.3
    w = minidl.zeros(3, 1, requires_grad=True)
    b = minidl.zeros(1, requires_grad=True)
    params, lr = [w, b], 0.1
    before = ((X @ w + b - y) ** 2).mean().item()
    for _ in range(200):
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        with minidl.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad.zero_()
    assert params[0] is w and w.is_leaf and w.requires_grad and w.dtype == minidl.float32
    assert loss.item() < 1e-4 * before
    np.testing.assert_allclose(w.detach().numpy().ravel(), [1.5, -2.0, 0.5], atol=1e-3)


def test_augmented_assignment_changes_the_tensor_itself():
    x = minidl.zeros(3)
    alias = x
    x += 1
    x *= 4
    x -= minidl.tensor([1.0, 2.0, 3.0])
    x /= 2
    assert alias is x and x.tolist() == [1.5, 1.0, 0.5] and x._version == 4


@pytest.mark.parametrize(
    "change",
    [
        lambda x: x.mul_(10),
        lambda x: x.add_(1),
        lambda x: x.__setitem__(0, 5.0),
        lambda x: x.zero_(),
        lambda x: x.copy_(minidl.ones(3)),
        lambda x: x.detach().normal_(),  # detach() shares the version counter
        lambda x: x[1:].fill_(2.0),  # so does a slice
        lambda x: x.view(3, 1).clamp_(0, 1),  # and a view
    ],
)
def test_changing_a_saved_tensor_in_place_makes_backward_raise(change):
    w = minidl.ones(3, requires_grad=True)
    x = minidl.tensor([1.0, 2.0, 3.0])
    y = (x * w).sum()  # Mul saved x to compute dL/dw
    change(x)
    with pytest.raises(GraphError, match=r"MulBackward: a tensor of shape \(3,\) that this op "
                                         r"saved for backward was modified by an in-place "
                                         r"operation: it is at version 1, expected version 0"):
        y.backward()


def test_changing_values_through_data_is_not_tracked_as_in_pytorch():
    w = minidl.ones(3, requires_grad=True)
    x = minidl.tensor([1.0, 2.0, 3.0])
    y = (x * w).sum()
    x.data.mul_(10)
    y.backward()  # PyTorch's documented .data caveat: the gradient uses the new values
    assert w.grad.tolist() == [10.0, 20.0, 30.0]


def test_an_optimizer_step_between_forward_and_backward_raises():
    minidl.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = minidl.optim.SGD(net.parameters(), lr=0.1)
    x = minidl.randn(5, 4)
    net(x).sum().backward()
    out = net(x).sum()  # the GAN mistake: a step between this forward and its backward
    opt.step()
    with pytest.raises(GraphError, match="modified by an in-place operation.*optimizer.step"):
        out.backward()


def test_in_place_on_a_leaf_that_requires_grad_is_refused_with_pytorchs_advice():
    w = minidl.ones(3, requires_grad=True)
    for change in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.zero_(),
                   lambda: w.__setitem__(0, 1.0), lambda: w.__isub__(1), lambda: w[0].mul_(2)):
        with pytest.raises(GraphError, match="leaf tensor that requires grad.*no_grad"):
            change()
    assert w.tolist() == [1.0, 1.0, 1.0] and w._version == 0
    with minidl.no_grad():
        w.mul_(2)
        w[0] = 5.0
    assert w.tolist() == [5.0, 2.0, 2.0] and w._version == 2


@pytest.mark.parametrize(
    "program",
    [
        lambda m, w: (lambda h: (h.mul_(3), h)[1])(w * 2),
        lambda m, w: (lambda h: (h.add_(w), h)[1])(w.sin()),
        lambda m, w: (lambda h: (h.__setitem__(0, w[2] * 5), h)[1])(w * 1),
        lambda m, w: (lambda h: (h[1:].mul_(w[:2]), h)[1])(w * w),
        lambda m, w: (lambda h: (h.clamp_(-0.5, 0.5), h * w)[1])(w.sin()),
        lambda m, w: (lambda h: (h.relu_(), h * w)[1])(w - 0.3),
        lambda m, w: (lambda buf: (buf.copy_(w * 3), buf)[1])(m.zeros(3)),
        lambda m, w: (lambda h: (h.masked_fill_(h > 0, 0.0), h * w)[1])(w - 0.2),
        lambda m, w: (lambda h: (h.scatter_(0, m.tensor([2, 0]), w[:2] * 7), h)[1])(w * 1),
    ],
)
def test_recorded_in_place_changes_give_pytorchs_gradients(program):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (minidl, torch):
        w = lib.tensor([0.1, -0.7, 1.2], dtype=lib.float64, requires_grad=True)
        out = program(lib, w)
        (out * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
        results.append((out.detach().numpy(), w.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_in_place_results_keep_shape_and_dtype_rules():
    x = minidl.zeros(3)
    with pytest.raises(ShapeError, match=r"\+=: the result has shape \(2, 3\) but the tensor"):
        x += minidl.ones(2, 3)
    i = minidl.tensor([1, 2])
    with pytest.raises(DTypeError, match="dtype float32, which cannot be stored in place in a "
                                         "tensor of dtype int64"):
        i += 0.5
    i += 1
    f = minidl.zeros(2)
    f += minidl.tensor([1, 2])
    assert i.tolist() == [2, 3] and f.dtype == minidl.float32 and f.tolist() == [1.0, 2.0]
    with pytest.raises(GraphError, match="read-only.*clone"):
        minidl.zeros(1).expand(3).add_(1)


def test_data_is_a_tensor_that_shares_memory_and_leaves_the_graph():
    p = nn.Parameter(minidl.zeros(3))
    d = p.data
    assert isinstance(d, minidl.Tensor) and not d.requires_grad and d.grad_fn is None
    p.grad = minidl.ones(3)
    p.data -= 0.5 * p.grad  # the trap: this used to turn p.data into a Tensor
    assert p.dtype == minidl.float32 and p.detach().numpy().tolist() == [-0.5, -0.5, -0.5]
    minidl.manual_seed(0)
    p.data.normal_(0, 0.02)
    assert 0 < np.abs(p.detach().numpy()).max() < 0.1
    p.data.copy_(minidl.tensor([1.0, 2.0, 3.0]))
    assert p.tolist() == [1.0, 2.0, 3.0] and p.is_leaf and p.requires_grad


def test_assigning_data_replaces_the_values_with_a_tensor_or_an_array():
    p = nn.Parameter(minidl.zeros(3))
    p.data = minidl.ones(2, 2)  # any shape, as in PyTorch
    assert p.shape == (2, 2) and p.requires_grad
    p.data = np.full(4, 7.0, dtype=np.float32)  # minidl's earlier spelling still works
    assert p.tolist() == [7.0] * 4
    with pytest.raises(AttributeError, match="NumPy array attribute.*t.numpy()"):
        p.data.astype(np.float64)


def test_a_gradient_of_the_wrong_shape_is_refused():
    p = nn.Parameter(minidl.zeros(3))
    with pytest.raises(ShapeError, match=r"grad: assigned a gradient of shape \(2,\) to a "
                                         r"tensor of shape \(3,\)"):
        p.grad = minidl.zeros(2)
    opt = minidl.optim.SGD([p], lr=0.1)
    p.grad = minidl.ones(3)
    p.data = minidl.zeros(4)  # the parameter changed shape after its gradient was made
    with pytest.raises(ShapeError, match=r"SGD.step: parameter 0 of group 0 has shape \(4,\) "
                                         r"but its .grad has shape \(3,\)"):
        opt.step()


def test_autograd_grad_returns_gradients_and_leaves_grad_alone():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    w = minidl.tensor([3.0, -1.0], requires_grad=True)
    y = (x * w).sum() + (x**2).sum()
    gx, gw = minidl.autograd.grad(y, [x, w], retain_graph=True)
    assert gx.tolist() == [5.0, 3.0] and gw.tolist() == [1.0, 2.0]
    assert x.grad is None and w.grad is None
    (gx2,) = minidl.autograd.grad([y, x.sum()], [x], grad_outputs=[minidl.tensor(2.0), None])
    assert gx2.tolist() == [11.0, 7.0]
    h = x * 3
    (gh,) = minidl.autograd.grad((h * h).sum(), h)  # a non-leaf input
    assert gh.tolist() == [6.0, 12.0]
    unused = minidl.ones(2, requires_grad=True)
    with pytest.raises(GraphError, match="not used.*allow_unused"):
        minidl.autograd.grad((x * 2).sum(), [x, unused])
    assert minidl.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)[1] is None
    with pytest.raises(GraphError, match="higher-order"):
        minidl.autograd.grad((x * 2).sum(), x, create_graph=True)


def test_register_hook_sees_and_can_replace_gradients():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.tolist()))
    h = x * 3
    h.register_hook(lambda g: g * 10)
    (h * h).sum().backward()
    assert seen == [[180.0, 360.0]] and x.grad.tolist() == [180.0, 360.0]  # 3 · 10 · 2h
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert len(seen) == 1 and x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(GraphError, match="does not require grad"):
        minidl.ones(2).register_hook(print)


def test_set_grad_enabled_and_inference_mode():
    x = minidl.ones(2, requires_grad=True)
    with minidl.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    minidl.set_grad_enabled(False)  # the plain call switches it, as in PyTorch
    try:
        assert not minidl.is_grad_enabled()
    finally:
        minidl.set_grad_enabled(True)
    with minidl.inference_mode():
        assert not (x * 2).requires_grad
    with minidl.inference_mode(False):
        assert (x * 2).requires_grad

    @minidl.set_grad_enabled(False)
    def evaluate():
        return x * 2

    @minidl.inference_mode()
    def predict():
        return x * 2

    assert not evaluate().requires_grad and not predict().requires_grad
    assert minidl.is_grad_enabled()


def test_relu_inplace_overwrites_its_input_and_backpropagates():
    for layer in (nn.ReLU(inplace=True), nn.LeakyReLU(0.1, inplace=True)):
        w = minidl.tensor([-1.0, 2.0], requires_grad=True)
        h = w * 1
        out = layer(h)
        assert out is h and h.tolist()[1] == 2.0 and round(h.tolist()[0], 6) in (0.0, -0.1)
        out.sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), [0.0 if isinstance(layer, nn.ReLU) else 0.1, 1])
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)" and repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.LeakyReLU(0.2, True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"


def test_clip_grad_norm_returns_a_tensor():
    p = nn.Parameter(minidl.zeros(2))
    p.grad = minidl.tensor([3.0, 4.0])
    total = nn.utils.clip_grad_norm_([p], 1.0)
    assert isinstance(total, minidl.Tensor) and total.ndim == 0
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
