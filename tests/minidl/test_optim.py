"""minidl.optim: trajectories against PyTorch, hand-computed steps, state_dict, errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from minidl import optim
from minidl.errors import ShapeError
from minidl.kernels.cpu.optim import adagrad_update, adam_update, rmsprop_update, sgd_update
from minidl.kernels.slots import set_override

RNG = np.random.default_rng(0)
X = RNG.normal(size=(5, 3))
Y = RNG.normal(size=(5, 4))
# Parameters: a matrix, a vector, a size-1 vector and a 0-d scalar.
INIT = [RNG.normal(size=(3, 4)), RNG.normal(size=4), np.array([0.7]), np.array(-0.3)]


def objective(lib, w, b, s, c):
    """A smooth non-quadratic loss touching every parameter (same code for both libraries)."""
    x, y = lib.tensor(X), lib.tensor(Y)
    fit = ((x @ w + b * s - y) ** 2).mean()
    return fit + 0.1 * (w**4).sum() + (b * c).sin().sum() + 0.5 * ((s * c) ** 2).sum()


def trajectory(lib, make_optimizer, steps=25, params=None):
    """Run ``steps`` optimizer steps on ``objective``; return the final parameters."""
    params = params or [lib.tensor(a, requires_grad=True) for a in INIT]
    opt = make_optimizer(lib.optim, params)
    for _ in range(steps):
        opt.zero_grad()
        objective(lib, *params).backward()
        opt.step()
    return [p.detach().numpy().copy() for p in params]


def groups(params, **first_group_options):
    """Two parameter groups; the first with its own options."""
    return [{"params": params[:2], **first_group_options}, {"params": params[2:]}]


CASES = {
    "sgd": lambda o, ps: o.SGD(ps, lr=0.05),
    "sgd_default_lr": lambda o, ps: o.SGD(ps),
    "sgd_momentum": lambda o, ps: o.SGD(ps, lr=0.05, momentum=0.9),
    "sgd_momentum_dampening_wd": lambda o, ps: o.SGD(
        ps, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1
    ),
    "sgd_nesterov_wd": lambda o, ps: o.SGD(
        ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05
    ),
    "sgd_groups": lambda o, ps: o.SGD(groups(ps, lr=0.01, momentum=0.5), lr=0.1),
    "adagrad": lambda o, ps: o.Adagrad(ps, lr=0.1),
    "adagrad_lr_decay_wd_init": lambda o, ps: o.Adagrad(
        ps, lr=0.2, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.3, eps=1e-6
    ),
    "rmsprop": lambda o, ps: o.RMSprop(ps, lr=0.01),
    "rmsprop_momentum_wd": lambda o, ps: o.RMSprop(
        ps, lr=0.01, alpha=0.9, momentum=0.7, weight_decay=0.1
    ),
    "rmsprop_centered": lambda o, ps: o.RMSprop(ps, lr=0.01, centered=True),
    "rmsprop_centered_momentum": lambda o, ps: o.RMSprop(
        ps, lr=0.005, alpha=0.95, eps=1e-6, momentum=0.5, centered=True
    ),
    "adam": lambda o, ps: o.Adam(ps, lr=0.05),
    "adam_betas_eps_l2": lambda o, ps: o.Adam(
        ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1
    ),
    "adam_groups": lambda o, ps: o.Adam(groups(ps, lr=0.01, betas=(0.5, 0.9)), lr=0.05),
    "adamw": lambda o, ps: o.AdamW(ps, lr=0.05),
    "adamw_wd": lambda o, ps: o.AdamW(ps, lr=0.05, betas=(0.85, 0.995), weight_decay=0.3),
    "adamw_groups": lambda o, ps: o.AdamW(groups(ps, weight_decay=0.0), lr=0.02),
    "adam_amsgrad": lambda o, ps: o.Adam(ps, lr=0.05, betas=(0.8, 0.9), amsgrad=True),
    "adam_amsgrad_l2": lambda o, ps: o.Adam(ps, lr=0.05, weight_decay=0.1, amsgrad=True),
    "adamw_amsgrad": lambda o, ps: o.AdamW(ps, lr=0.05, weight_decay=0.3, amsgrad=True),
    "adadelta": lambda o, ps: o.Adadelta(ps),
    "adadelta_options": lambda o, ps: o.Adadelta(ps, lr=0.5, rho=0.8, eps=1e-5,
                                                weight_decay=0.1),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_trajectory_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    ours = trajectory(minidl, CASES[name])
    theirs = trajectory(torch, CASES[name])
    for a, b, start in zip(ours, theirs, INIT, strict=True):
        assert not np.allclose(b, start)  # the oracle moved: the comparison means something
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.torch
def test_adam_and_adamw_weight_decay_differ_as_in_pytorch():
    torch = pytest.importorskip("torch")

    def l2(o, ps):
        return o.Adam(ps, lr=0.05, weight_decay=0.3)

    def decoupled(o, ps):
        return o.AdamW(ps, lr=0.05, weight_decay=0.3)

    ours_l2, ours_dec = trajectory(minidl, l2), trajectory(minidl, decoupled)
    assert not np.allclose(ours_l2[0], ours_dec[0])
    for ours, make in ((ours_l2, l2), (ours_dec, decoupled)):
        for a, b in zip(ours, trajectory(torch, make), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.torch
@settings(max_examples=15, deadline=None)
@given(
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4),
    kind=st.sampled_from(["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]),
)
def test_float32_step_on_any_shape_matches_pytorch(shape, kind):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    start = rng.normal(size=shape).astype(np.float32)
    grads = [rng.normal(size=shape).astype(np.float32) for _ in range(3)]
    kwargs = {"SGD": {"momentum": 0.9, "nesterov": True}, "RMSprop": {"centered": True}}

    def run(lib):
        p = lib.tensor(start, requires_grad=True)
        opt = getattr(lib.optim, kind)([p], lr=0.1, **kwargs.get(kind, {}))
        for g in grads:
            p.grad = lib.tensor(g)
            opt.step()
        return p.detach().numpy()

    ours = run(minidl)
    assert ours.dtype == np.float32 and ours.shape == shape
    np.testing.assert_allclose(ours, run(torch), rtol=1e-5, atol=1e-6)


# -- hand-computed steps (no torch needed) -------------------------------------------------
def quadratic_steps(opt, p, steps):
    """Minimise Σ p² for ``steps`` steps (gradient 2p)."""
    for _ in range(steps):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()


def test_sgd_two_steps_by_hand():
    p = minidl.tensor([1.0, 2.0], requires_grad=True, dtype=minidl.float64)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5)
    quadratic_steps(opt, p, 1)
    # g = 2p + 0.5p = [2.5, 5]; first step: buf = g; p = p − 0.1·g
    np.testing.assert_allclose(p.detach().numpy(), [0.75, 1.5], rtol=1e-14)
    quadratic_steps(opt, p, 1)
    # g = 2.5·[0.75, 1.5] = [1.875, 3.75]; buf = 0.9·[2.5, 5] + g = [4.125, 8.25]
    np.testing.assert_allclose(p.detach().numpy(), [0.3375, 0.675], rtol=1e-14)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [4.125, 8.25], rtol=1e-14)


def test_sgd_nesterov_step_by_hand():
    p = minidl.tensor([1.0], requires_grad=True, dtype=minidl.float64)
    opt = optim.SGD([p], lr=0.1, momentum=0.5, nesterov=True)
    quadratic_steps(opt, p, 2)
    # step 1: g = 2, buf = 2, d = 2 + 0.5·2 = 3, p = 0.7
    # step 2: g = 1.4, buf = 0.5·2 + 1.4 = 2.4, d = 1.4 + 1.2 = 2.6, p = 0.7 − 0.26 = 0.44
    np.testing.assert_allclose(p.detach().numpy(), [0.44], rtol=1e-14)


def test_adam_first_step_is_lr_times_sign_by_hand():
    # After one step m̂ = g and v̂ = g², so θ moves by lr·g/(|g| + ε).
    p = minidl.tensor([1.0, -2.0], requires_grad=True, dtype=minidl.float64)
    opt = optim.Adam([p], lr=0.1)
    quadratic_steps(opt, p, 1)
    expected = [1 - 0.1 * 2 / (2 + 1e-8), -2 + 0.1 * 4 / (4 + 1e-8)]
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-14)
    assert opt.state[p]["step"] == 1
    np.testing.assert_allclose(opt.state[p]["exp_avg"], [0.2, -0.4], rtol=1e-14)
    np.testing.assert_allclose(opt.state[p]["exp_avg_sq"], [0.004, 0.016], rtol=1e-12)


def test_adamw_decays_before_the_adam_step_by_hand():
    p = minidl.tensor([1.0, -2.0], requires_grad=True, dtype=minidl.float64)
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    quadratic_steps(opt, p, 1)
    # θ ← θ·(1 − 0.1·0.5) then θ ← θ − 0.1·sign(g) (ε negligible)
    np.testing.assert_allclose(p.detach().numpy(), [0.85, -1.8], rtol=1e-8)


def test_adagrad_and_rmsprop_first_step_by_hand():
    p = minidl.tensor([3.0], requires_grad=True, dtype=minidl.float64)
    quadratic_steps(optim.Adagrad([p], lr=0.5, eps=0.0), p, 1)
    # s = g² = 36, θ = 3 − 0.5·6/6
    np.testing.assert_allclose(p.detach().numpy(), [2.5], rtol=1e-14)
    q = minidl.tensor([3.0], requires_grad=True, dtype=minidl.float64)
    quadratic_steps(optim.RMSprop([q], lr=0.01, alpha=0.75, eps=0.0), q, 1)
    # v = 0.25·36 = 9, θ = 3 − 0.01·6/3
    np.testing.assert_allclose(q.detach().numpy(), [2.98], rtol=1e-14)


# -- kernels ---------------------------------------------------------------------------------
KERNEL_CALLS = {
    "sgd": lambda p, g, a, b: sgd_update(p, g, a, 0.1, 0.9, 0.1, 0.2, True),
    "adagrad": lambda p, g, a, b: adagrad_update(p, g, a, 3, 0.1, 0.1, 0.2, 1e-10),
    "rmsprop": lambda p, g, a, b: rmsprop_update(
        p, g, a + 1, b, b * 0.5, 0.1, 0.9, 1e-8, 0.2, 0.9, True  # keeps v − ḡ² > 0
    ),
    "adam": lambda p, g, a, b: adam_update(p, g, a, b, 3, 0.1, 0.9, 0.999, 1e-8, 0.2, True),
}


@pytest.mark.parametrize("name", sorted(KERNEL_CALLS))
def test_kernels_are_pure_and_keep_dtype(name):
    rng = np.random.default_rng(2)
    arrays = [rng.random((4, 3)).astype(np.float32).T for _ in range(4)]  # non-contiguous
    before = [a.copy() for a in arrays]
    out = KERNEL_CALLS[name](*arrays)
    for a, b in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(a, b)
    for o in out:
        if o is not None:
            assert o.dtype == np.float32 and o.shape == (3, 4)
            assert not any(np.shares_memory(o, a) for a in arrays)


def test_sgd_kernel_without_momentum_returns_no_buffer():
    new, buf = sgd_update(np.array([1.0]), np.array([2.0]), None, 0.5, 0, 0, 0, False)
    assert buf is None
    np.testing.assert_array_equal(new, [0.0])


def test_optimizer_calls_its_slot_kernel():
    calls = []

    def recording(*args):
        calls.append(args)
        return sgd_update.slot.reference(*args)

    p = minidl.tensor([1.0], requires_grad=True)
    set_override("sgd_update", recording)
    try:
        quadratic_steps(optim.SGD([p], lr=0.1), p, 2)
    finally:
        set_override("sgd_update", None)
    assert len(calls) == 2
    np.testing.assert_allclose(p.detach().numpy(), [0.64], rtol=1e-6)


# -- behaviour ------------------------------------------------------------------------------
def test_parameters_without_grad_are_skipped():
    used = minidl.tensor([1.0], requires_grad=True)
    unused = minidl.tensor([5.0], requires_grad=True)
    opt = optim.Adam([used, unused], lr=0.1)
    quadratic_steps(opt, used, 1)
    assert unused.item() == 5.0 and unused not in opt.state
    assert used.item() != 1.0


def test_step_builds_no_graph_and_keeps_the_array():
    p = minidl.tensor([1.0, 2.0], requires_grad=True)
    data = p.detach().numpy()
    quadratic_steps(optim.SGD([p], lr=0.1), p, 1)
    assert p.is_leaf and p.requires_grad and p.detach().numpy() is data  # updated in place
    np.testing.assert_allclose(data, [0.8, 1.6], rtol=1e-6)


def test_zero_grad_sets_none_or_zeros():
    p = minidl.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p])
    (p * p).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


def test_step_with_closure_returns_loss_and_runs_with_grad():
    p = minidl.tensor([3.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with minidl.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    assert p.item() == 1.5


def test_add_param_group_takes_defaults_and_own_options():
    a = minidl.tensor([1.0], requires_grad=True)
    b = minidl.tensor([1.0], requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    quadratic_steps(opt, b, 1)
    assert b.item() == 0.0  # 1 − 0.5·2


def test_params_may_be_a_generator():
    ps = [minidl.tensor([1.0], requires_grad=True) for _ in range(3)]
    opt = optim.SGD(p for p in ps)
    assert all(a is b for a, b in zip(opt.param_groups[0]["params"], ps, strict=True))


# -- state_dict -------------------------------------------------------------------------------
STATEFUL = {
    "sgd_momentum": lambda o, ps: o.SGD(ps, lr=0.05, momentum=0.9),
    "adagrad": lambda o, ps: o.Adagrad(ps, lr=0.1, lr_decay=0.1),
    "rmsprop_centered_momentum": lambda o, ps: o.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "adam_groups": lambda o, ps: o.Adam(groups(ps, lr=0.01), lr=0.05),
}


@pytest.mark.parametrize("name", sorted(STATEFUL))
def test_state_dict_round_trip_continues_the_trajectory(name):
    make = STATEFUL[name]
    straight = trajectory(minidl, make, steps=16)

    params = [minidl.tensor(a, requires_grad=True) for a in INIT]
    first = make(optim, params)
    for _ in range(8):
        first.zero_grad()
        objective(minidl, *params).backward()
        first.step()
    saved = first.state_dict()
    resumed = [minidl.tensor(p.data, requires_grad=True) for p in params]  # copies
    first.step()  # changes the optimizer after the snapshot: the snapshot must not change
    first.param_groups[0]["lr"] = 123.0

    second = make(optim, resumed)
    second.param_groups[-1]["lr"] = 99.0  # load_state_dict restores the hyperparameters
    second.load_state_dict(saved)
    ends = trajectory(minidl, lambda o, ps: second, steps=8, params=resumed)
    for a, b in zip(ends, straight, strict=True):
        np.testing.assert_array_equal(a, b)


def test_state_dict_uses_indices_not_tensors():
    params = [minidl.tensor(a, requires_grad=True) for a in INIT]
    opt = optim.Adam(groups(params, lr=0.01), lr=0.05)
    quadratic_steps(opt, params[0], 1)
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3]]
    assert list(sd["state"]) == [0] and sd["state"][0]["step"] == 1
    assert sd["param_groups"][0]["lr"] == 0.01 and sd["param_groups"][1]["lr"] == 0.05


# -- errors -----------------------------------------------------------------------------------
def leaf(*shape):
    return minidl.zeros(*shape, requires_grad=True)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: optim.SGD([]), ValueError, "SGD: got an empty parameter list"),
        (lambda: optim.Adam(iter([])), ValueError, "Adam: got an empty parameter list"),
        (lambda: optim.SGD(leaf(2)), TypeError, "SGD: params must be an iterable"),
        (lambda: optim.SGD([leaf(2), 1.0]), TypeError, "SGD: parameter 1 is a float"),
        (lambda: optim.Adam([minidl.zeros(2, 3)]), ValueError,
         "Adam: parameter 0 (2, 3) does not require grad"),
        (lambda: optim.SGD([leaf(2) * 2]), ValueError, "SGD: parameter 0 (2,) is not a leaf"),
        (lambda: optim.SGD([p := leaf(1), p]), ValueError, "more than once"),
        (lambda: optim.SGD([leaf(1)], lr=-0.1), ValueError,
         "SGD: invalid lr -0.1 (expected lr ≥ 0)"),
        (lambda: optim.SGD([{"params": [leaf(1)], "lr": -1.0}]), ValueError,
         "SGD: invalid lr -1.0"),
        (lambda: optim.SGD([leaf(1)], momentum=-0.5), ValueError, "SGD: invalid momentum"),
        (lambda: optim.SGD([leaf(1)], nesterov=True), ValueError,
         "SGD: nesterov=True needs momentum > 0 and dampening = 0"),
        (lambda: optim.SGD([leaf(1)], lr="0.1"), ValueError, "SGD: invalid lr '0.1'"),
        (lambda: optim.Adam([leaf(1)], betas=(1.0, 0.999)), ValueError,
         "Adam: invalid beta1 1.0 (expected 0 ≤ beta1 < 1)"),
        (lambda: optim.AdamW([leaf(1)], betas=(0.9, -0.1)), ValueError, "AdamW: invalid beta2"),
        (lambda: optim.Adam([leaf(1)], betas=0.9), ValueError, "Adam: betas must be a pair"),
        (lambda: optim.Adam([leaf(1)], eps=-1e-8), ValueError, "Adam: invalid eps"),
        (lambda: optim.AdamW([leaf(1)], weight_decay=-1), ValueError,
         "AdamW: invalid weight_decay"),
        (lambda: optim.RMSprop([leaf(1)], alpha=1.5), ValueError,
         "RMSprop: invalid alpha 1.5 (expected 0 ≤ alpha ≤ 1)"),
        (lambda: optim.Adagrad([leaf(1)], lr_decay=-1), ValueError, "Adagrad: invalid lr_decay"),
        (lambda: optim.Adagrad([leaf(1)], initial_accumulator_value=-1), ValueError,
         "Adagrad: invalid initial_accumulator_value"),
        (lambda: optim.SGD([leaf(1)]).add_param_group([leaf(1)]), TypeError,
         "SGD: a parameter group must be a dict"),
        (lambda: optim.SGD({leaf(1)}), TypeError, "not a set"),
    ],
)
def test_invalid_arguments_raise_clear_errors(make, error, message):
    with pytest.raises(error, match=re.escape(message)):
        make()


def test_load_state_dict_rejects_mismatches():
    a, b = leaf(2), leaf(3)
    opt = optim.Adam([a, b])
    (a.sum() + b.sum()).backward()
    opt.step()
    saved = opt.state_dict()
    with pytest.raises(ValueError, match="the state has 1 parameter groups, this optimizer has 2"):
        optim.Adam([{"params": [a]}, {"params": [b]}]).load_state_dict(saved)
    with pytest.raises(ValueError, match="group 0 has 2 parameters in the state and 1"):
        optim.Adam([a]).load_state_dict(saved)
    with pytest.raises(ShapeError, match=r"state 'exp_avg' has shape \(2,\), .* shape \(4,\)"):
        optim.Adam([leaf(4), leaf(3)]).load_state_dict(saved)
