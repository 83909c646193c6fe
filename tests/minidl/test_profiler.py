"""minidl.profiler: per-op call counts, self vs total time, phases, the table and the chart."""

from __future__ import annotations

import importlib
import time

import numpy as np
import pytest

import minidl
import minidl.functional as F
from minidl import nn
from minidl.autograd import function as function_module
from minidl.profiler import profile, record_function

slots_module = importlib.import_module("minidl.kernels.slots")


def small_cnn():
    minidl.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3), nn.ReLU(), nn.Flatten(),
        nn.Linear(6 * 11 * 11, 16), nn.ReLU(), nn.Linear(16, 10),
    )


def train_steps(model, steps):
    x = minidl.randn(5, 1, 28, 28)
    y = minidl.tensor(np.arange(5) % 10)
    opt = minidl.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        with record_function("optimizer.step"):
            opt.step()


def by_key(prof):
    return {(e.key, e.phase): e for e in prof.key_averages()}


def test_counts_calls_per_op_and_phase_on_a_known_model():
    model = small_cnn()
    with profile() as prof:
        train_steps(model, steps=3)
    ev = by_key(prof)
    # per step: 2 convolutions, 3 ReLUs, 1 pool, 2 linear layers, forward and backward
    assert ev[("Conv2d", "forward")].count == 6
    assert ev[("Conv2dBackward", "backward")].count == 6
    assert ev[("ReLU", "forward")].count == 9
    assert ev[("ReLUBackward", "backward")].count == 9
    assert ev[("MaxPool2d", "forward")].count == 3
    assert ev[("Linear", "forward")].count == 6
    assert ev[("LinearBackward", "backward")].count == 6
    assert ev[("optimizer.step", "other")].count == 3
    # kernels run inside their op and take its phase
    assert ev[("conv2d_forward", "forward")].count == 6
    assert ev[("conv2d_backward", "backward")].count == 6
    assert ev[("conv2d_forward", "forward")].kind == "kernel"
    assert ("conv2d_backward", "forward") not in ev
    assert ("Conv2d", "backward") not in ev
    # one update per parameter tensor: 4 layers × (weight, bias) per step
    assert ev[("sgd_update", "other")].count == 3 * 8


def test_self_time_never_exceeds_total_and_ops_contain_their_kernels():
    model = small_cnn()
    train_steps(model, steps=1)  # compile outside the profile
    with profile() as prof:
        train_steps(model, steps=2)
    events = prof.key_averages()
    assert events
    for e in events:
        assert 0 <= e.self_cpu_time_total <= e.cpu_time_total + 1e-6, e
    ev = by_key(prof)
    conv, kernel = ev[("Conv2d", "forward")], ev[("conv2d_forward", "forward")]
    assert conv.cpu_time_total >= kernel.cpu_time_total
    assert conv.self_cpu_time_total == pytest.approx(
        conv.cpu_time_total - kernel.cpu_time_total, rel=1e-6, abs=1e-3)


def test_self_time_excludes_nested_events():
    with profile() as prof:
        with record_function("outer"):
            time.sleep(0.02)
            with record_function("inner"):
                time.sleep(0.03)
    ev = by_key(prof)
    outer, inner = ev[("outer", "other")], ev[("inner", "other")]
    assert inner.cpu_time_total >= 30e3  # µs
    assert outer.cpu_time_total >= inner.cpu_time_total + 20e3
    assert outer.self_cpu_time_total >= 20e3
    assert outer.self_cpu_time_total == pytest.approx(
        outer.cpu_time_total - inner.cpu_time_total, abs=1e-3)


def test_hooks_are_removed_after_the_block_even_on_error():
    with pytest.raises(ZeroDivisionError), profile():
        assert function_module.profile_hook is not None
        assert slots_module.profile_hook is not None
        1 / 0  # noqa: B018
    assert function_module.profile_hook is None
    assert slots_module.profile_hook is None
    with profile():
        pass  # a new profile can start


def test_profiles_do_not_nest_and_sort_keys_are_checked():
    with profile() as prof:
        with pytest.raises(RuntimeError, match="already recording"), profile():
            pass
        minidl.relu(minidl.randn(3, requires_grad=True)).sum().backward()
    with pytest.raises(ValueError, match="sort_by must be one of"):
        prof.key_averages().table(sort_by="cuda_time")


def test_record_kernels_false_records_ops_only():
    with profile(record_kernels=False) as prof:
        train_steps(small_cnn(), steps=1)
    kinds = {e.kind for e in prof.key_averages()}
    assert kinds == {"op", "range"}


def test_table_is_sorted_and_limited():
    with profile() as prof:
        train_steps(small_cnn(), steps=1)
    table = prof.key_averages().table(sort_by="count", row_limit=3)
    rows = table.splitlines()[2:5]
    counts = [int(r.split()[-1]) for r in rows]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] == max(e.count for e in prof.key_averages())
    assert "Self time total" in table.splitlines()[-1]
    assert len(table.splitlines()) == 3 + 3 + 1


def test_plot_draws_one_bar_per_row():
    with profile() as prof:
        train_steps(small_cnn(), steps=1)
    fig = prof.plot(row_limit=5)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 5
    top = prof.key_averages().sorted_by("self_cpu_time_total")[0]
    assert labels[0] == f"{top.key} ({top.kind})"
