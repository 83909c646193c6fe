"""minidl.optim.lr_scheduler: lr sequences against PyTorch and by hand, state, errors."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import minidl
from minidl import optim
from minidl.optim import lr_scheduler


def two_group_optimizer(lib, lr=0.1):
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    return lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.03}], lr=lr, momentum=0.9)


def lr_sequence(lib, make_scheduler, epochs=30, metrics=None):
    """The lr of every group after construction and after each of ``epochs`` steps."""
    opt = two_group_optimizer(lib)
    scheduler = make_scheduler(lib.optim.lr_scheduler, opt)
    seen = [scheduler.get_last_lr()]
    for epoch in range(epochs):
        opt.step()  # no gradients: a no-op, but the order PyTorch expects
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[epoch])
        seen.append(scheduler.get_last_lr())
        assert seen[-1] == [g["lr"] for g in opt.param_groups]
    return np.array(seen)


SCHEDULES = {
    "step": lambda s, o: s.StepLR(o, step_size=4),
    "step_gamma": lambda s, o: s.StepLR(o, step_size=3, gamma=0.5),
    "multistep": lambda s, o: s.MultiStepLR(o, milestones=[20, 3, 9, 9], gamma=0.3),
    "exponential": lambda s, o: s.ExponentialLR(o, gamma=0.9),
    "cosine": lambda s, o: s.CosineAnnealingLR(o, T_max=10),
    "cosine_eta_min_past_t_max": lambda s, o: s.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "lambda": lambda s, o: s.LambdaLR(o, lambda epoch: 1 / (1 + epoch)),
    "lambda_per_group": lambda s, o: s.LambdaLR(
        o, [lambda epoch: 0.95**epoch, lambda epoch: min(1.0, (epoch + 1) / 5)]
    ),
    "constant": lambda s, o: s.ConstantLR(o, factor=0.5, total_iters=4),
    "linear_warmup": lambda s, o: s.LinearLR(o, start_factor=0.1, total_iters=8),
    "linear_decay": lambda s, o: s.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=20),
    "warm_restarts": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=7),
    "warm_restarts_mult": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                      eta_min=0.002),
    "one_cycle": lambda s, o: s.OneCycleLR(o, max_lr=0.5, total_steps=30),
    "one_cycle_linear_three_phase": lambda s, o: s.OneCycleLR(
        o, max_lr=[0.5, 0.2], epochs=3, steps_per_epoch=10, pct_start=0.25,
        anneal_strategy="linear", three_phase=True, div_factor=10.0),
    "sequential_warmup_cosine": lambda s, o: s.SequentialLR(
        o, [s.LinearLR(o, start_factor=0.2, total_iters=5), s.CosineAnnealingLR(o, T_max=20)],
        milestones=[5]),
    "sequential_three": lambda s, o: s.SequentialLR(
        o, [s.ConstantLR(o, factor=0.5, total_iters=3), s.ExponentialLR(o, gamma=0.9),
            s.StepLR(o, step_size=4)],
        milestones=[4, 12]),
}


COMPOSED = {  # two schedulers on one optimizer: PyTorch's chainable schedulers multiply
    "step_and_exponential": lambda s, o: [s.StepLR(o, step_size=4, gamma=0.5),
                                          s.ExponentialLR(o, gamma=0.9)],
    "warmup_and_multistep": lambda s, o: [s.LinearLR(o, start_factor=0.25, total_iters=6),
                                          s.MultiStepLR(o, milestones=[10, 20], gamma=0.3)],
}


def composed_sequence(lib, make):
    opt = two_group_optimizer(lib)
    schedulers = make(lib.optim.lr_scheduler, opt)
    seen = [[g["lr"] for g in opt.param_groups]]
    for _ in range(30):
        opt.step()
        for scheduler in schedulers:
            scheduler.step()
        seen.append([g["lr"] for g in opt.param_groups])
    return np.array(seen)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(COMPOSED))
def test_schedulers_on_one_optimizer_compose_like_pytorch(name):
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(composed_sequence(minidl, COMPOSED[name]),
                               composed_sequence(torch, COMPOSED[name]), rtol=1e-10)


@pytest.mark.torch
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_one_cycle_cycles_momentum_like_pytorch(kind):
    torch = pytest.importorskip("torch")
    runs = []
    for lib in (minidl, torch):
        p = lib.zeros(2, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1, momentum=0.9) if kind == "sgd" else \
            lib.optim.Adam([p], lr=0.1)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=20)
        momenta = []
        for _ in range(20):
            opt.step()
            sched.step() if len(momenta) < 19 else None
            g = opt.param_groups[0]
            momenta.append(g["momentum"] if kind == "sgd" else g["betas"][0])
        runs.append(momenta)
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-12)
    assert min(runs[0]) == pytest.approx(0.85, abs=0.01) and max(runs[0]) <= 0.95


def test_one_cycle_refuses_to_step_past_total_steps():
    p = minidl.zeros(1, requires_grad=True)
    sched = lr_scheduler.OneCycleLR(optim.SGD([p], lr=0.1), max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="tried to step 4 times; total_steps is 3"):
        sched.step()


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_lr_sequence_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    ours = lr_sequence(minidl, SCHEDULES[name])
    theirs = lr_sequence(torch, SCHEDULES[name])
    assert len(np.unique(theirs[:, 0])) > 1  # the schedule did change the lr
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-15)


LOSSES = [1.0, 0.9, 0.95, 0.92, 0.91, 0.9, 0.9, 0.89999, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75,
          0.76, 0.69, 0.695, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]

PLATEAU = {
    "min_rel": lambda s, o: s.ReduceLROnPlateau(o, patience=2),
    "min_abs_cooldown": lambda s, o: s.ReduceLROnPlateau(
        o, factor=0.5, patience=1, threshold=0.02, threshold_mode="abs", cooldown=2
    ),
    "max_rel_min_lrs": lambda s, o: s.ReduceLROnPlateau(
        o, mode="max", factor=0.3, patience=0, min_lr=[0.005, 0.01]
    ),
    "max_abs_min_lr": lambda s, o: s.ReduceLROnPlateau(
        o, mode="max", patience=1, threshold=0.05, threshold_mode="abs", min_lr=1e-4
    ),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(PLATEAU))
def test_reduce_on_plateau_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    metrics = LOSSES if name.startswith("min") else [-x for x in LOSSES]
    ours = lr_sequence(minidl, PLATEAU[name], metrics=metrics)
    theirs = lr_sequence(torch, PLATEAU[name], metrics=metrics)
    assert len(np.unique(theirs[:, 0])) > 1
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# -- by hand (no torch needed) -----------------------------------------------------------------
def test_step_lr_by_hand():
    lrs = lr_sequence(minidl, lambda s, o: s.StepLR(o, step_size=2, gamma=0.5), epochs=5)
    np.testing.assert_allclose(lrs[:, 0], [0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
    np.testing.assert_allclose(lrs[:, 1], [0.03, 0.03, 0.015, 0.015, 0.0075, 0.0075])


def test_multistep_counts_repeated_milestones():
    lrs = lr_sequence(minidl, lambda s, o: s.MultiStepLR(o, [3, 1, 3], gamma=0.1), epochs=4)
    np.testing.assert_allclose(lrs[:, 0], [0.1, 0.01, 0.01, 1e-4, 1e-4])


def test_cosine_by_hand():
    lrs = lr_sequence(minidl, lambda s, o: s.CosineAnnealingLR(o, T_max=4, eta_min=0.02), 8)[:, 0]
    # halfway: the mean of the ends; T_max: eta_min; 2·T_max: back to base_lr
    np.testing.assert_allclose(lrs[[0, 2, 4, 8]], [0.1, 0.06, 0.02, 0.1], rtol=1e-12)
    np.testing.assert_allclose(lrs[1], 0.02 + 0.08 * (1 + math.cos(math.pi / 4)) / 2)


def test_reduce_on_plateau_by_hand():
    opt = two_group_optimizer(minidl)
    s = lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1, min_lr=0.02)
    for loss, expected in [(1.0, 0.1), (1.0, 0.1), (1.0, 0.05), (0.5, 0.05), (0.5, 0.05),
                           (0.5, 0.025), (0.5, 0.025), (0.5, 0.02)]:
        s.step(loss)
        assert s.get_last_lr()[0] == pytest.approx(expected)
    assert s.get_last_lr()[1] == 0.02  # 0.03 → max(0.015, 0.02)
    assert s.best == 0.5


def test_scheduler_records_initial_lr_and_resumes():
    opt = two_group_optimizer(minidl)
    s = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        s.step()
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.03]
    saved = s.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 3

    del s  # a scheduler still alive on the same optimizer would compose with the new one
    resumed = lr_scheduler.ExponentialLR(opt, gamma=0.5, last_epoch=2)  # steps to epoch 3
    assert resumed.get_last_lr() == pytest.approx([0.1 / 8, 0.03 / 8])
    fresh = lr_scheduler.ExponentialLR(two_group_optimizer(minidl), gamma=0.5)
    fresh.load_state_dict(saved)
    fresh.step()
    assert fresh.get_last_lr() == pytest.approx([0.1 / 16, 0.03 / 16])


def test_lambda_state_dict_leaves_out_the_functions():
    s = lr_scheduler.LambdaLR(two_group_optimizer(minidl), lambda e: 0.5)
    assert "lr_lambdas" not in s.state_dict()
    assert s.get_last_lr() == pytest.approx([0.05, 0.015])


def test_scheduled_lr_reaches_the_update():
    p = minidl.tensor([1.0], requires_grad=True, dtype=minidl.float64)
    opt = optim.SGD([p], lr=0.1)
    s = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(2):
        opt.zero_grad()
        p.sum().backward()  # gradient 1
        opt.step()
        s.step()
    assert p.item() == pytest.approx(1 - 0.1 - 0.05)


# -- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda o: lr_scheduler.StepLR("sgd", 2), TypeError, "StepLR: expected an Optimizer"),
        (lambda o: lr_scheduler.StepLR(o, 0), ValueError,
         "StepLR: step_size must be an integer > 0, got 0"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError,
         "CosineAnnealingLR: T_max must be a number > 0"),
        (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]), ValueError,
         "LambdaLR: expected 2 lr_lambdas (one per parameter group), got 1"),
        (lambda o: lr_scheduler.ExponentialLR(o, 0.9, last_epoch=4), KeyError,
         "needs 'initial_lr' in param_groups[0]"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError,
         "ReduceLROnPlateau: factor must be in [0, 1), got 1.0"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError,
         "ReduceLROnPlateau: mode must be 'min' or 'max', got 'up'"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError,
         "threshold_mode must be 'rel' or 'abs'"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError,
         "ReduceLROnPlateau: expected 2 min_lrs (one per parameter group), got 1"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(None), TypeError,
         "ReduceLROnPlateau: expected an Optimizer, got NoneType"),
    ],
)
def test_invalid_arguments_raise_clear_errors(make, error, message):
    with pytest.raises(error, match=re.escape(message)):
        make(two_group_optimizer(minidl))
