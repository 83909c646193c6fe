"""Chapter 2's plots (minidl.viz.mlp) and the optimizer race (minidl.widgets.optimizers)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.figure import Figure

import minidl
from minidl import optim
from minidl.viz.mlp import (
    draw_graph,
    graph_layout,
    plot_activation_stats,
    plot_loss_surface,
    plot_sweep,
)
from minidl.widgets.optimizers import (
    DEFAULT_RACERS,
    SURFACES,
    Surface,
    optimizer_race,
    optimizer_settings,
    optimizer_trajectory,
)

QUADRATIC = Surface("bowl", lambda x, y: x * x + 4.0 * y * y, (2.0, 1.0), (-3, 3, -2, 2),
                    (0.0, 0.0), 0.1)


@pytest.fixture
def static(monkeypatch):
    monkeypatch.setenv("MINIDL_WIDGETS", "static")


@pytest.fixture
def live(monkeypatch):
    monkeypatch.setenv("MINIDL_WIDGETS", "live")


def tiny_graph():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    w = minidl.tensor([3.0, 4.0], requires_grad=True)
    return ((x * w).sum() + x.sum()).tanh()


def test_graph_layout_of_a_tiny_expression():
    layout = graph_layout(tiny_graph())
    labels = sorted(n.label for n in layout)
    # tanh(sum(x·w) + sum(x)): Tanh, Add, two Sums, Mul, two leaves
    assert labels == ["Add", "Mul", "Sum", "Sum", "Tanh", "leaf (2,)", "leaf (2,)"]
    assert layout[0].label == "Tanh" and layout[0].depth == 0
    for node in layout:  # every input lies strictly deeper (to the left) than its consumer
        assert all(layout[k].depth > node.depth for k in node.inputs)
    leaves = [n for n in layout if n.label.startswith("leaf")]
    assert [n.depth for n in leaves] == [4, 4]  # x reaches Tanh through Mul: longest path 4


def test_graph_layout_needs_a_graph():
    with pytest.raises(ValueError, match="no grad_fn"):
        graph_layout(minidl.tensor([1.0], requires_grad=True))


def test_draw_graph_draws_one_box_per_node():
    fig = draw_graph(tiny_graph())
    boxes = [t for t in fig.axes[0].texts if t.get_gid()]
    assert isinstance(fig, Figure) and len(boxes) == 7
    assert "7 nodes" in fig.axes[0].get_title()


def test_sgd_trajectory_is_gradient_descent_by_hand():
    path = optimizer_trajectory(DEFAULT_RACERS["SGD"], QUADRATIC, 3)
    # ∇f = (2x, 8y); x ← x(1 − 0.2), y ← y(1 − 0.8)
    want = np.array([[2.0 * 0.8**t, 1.0 * 0.2**t] for t in range(4)])
    np.testing.assert_allclose(path, want, rtol=1e-12)


def test_trajectory_matches_a_hand_written_adam_loop():
    path = optimizer_trajectory(lambda p, lr: optim.Adam(p, lr=0.1), QUADRATIC, 5)
    theta, m, v = np.array([2.0, 1.0]), np.zeros(2), np.zeros(2)
    for t in range(1, 6):
        g = np.array([2 * theta[0], 8 * theta[1]])
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        theta = theta - 0.1 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        np.testing.assert_allclose(path[t], theta, rtol=1e-10)


def test_diverging_trajectory_stops_and_stays_finite():
    path = optimizer_trajectory(lambda p, lr: optim.SGD(p, lr=10.0), QUADRATIC, 50)
    assert path.shape == (51, 2) and np.all(np.isfinite(path))
    assert np.array_equal(path[-1], path[-2])


@pytest.mark.parametrize("name", list(SURFACES))
def test_every_default_racer_reduces_the_loss(name):
    s = SURFACES[name]
    start = float(s.loss(*s.start))
    assert float(s.loss(*s.minimum)) == 0.0
    for racer, factory in DEFAULT_RACERS.items():
        end = optimizer_trajectory(factory, s, 300)[-1]
        assert float(s.loss(*end)) < start, racer


def test_optimizer_race_static_is_a_figure_at_the_last_step(static):
    fig = optimizer_race(steps=20)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    drawn = {line.get_gid(): line for line in ax.lines if line.get_gid()}
    assert set(drawn) == set(DEFAULT_RACERS)
    assert all(len(line.get_xdata()) == 21 for line in drawn.values())
    assert ax.get_title().startswith("ravine, step 20 of 20: $f = 0.05")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("SGD (lr 0.15): f = ")
    assert legend[1].startswith("momentum (lr 0.15, momentum 0.9): f = ")
    assert "minimum, f = 0" in legend and "θ after step 20" in legend


def test_optimizer_settings_name_what_the_racer_uses():
    s = SURFACES["ravine"]
    assert optimizer_settings(DEFAULT_RACERS["Adam"], s) == "lr 0.1"
    nesterov = lambda p, lr: optim.SGD(p, lr=lr, momentum=0.5, nesterov=True,  # noqa: E731
                                       weight_decay=0.01)
    assert optimizer_settings(nesterov, s) == "lr 0.15, momentum 0.5 Nesterov, weight decay 0.01"


def test_optimizer_race_live_redraws(live):
    w = pytest.importorskip("ipywidgets")
    box = optimizer_race(steps=10, surfaces=("rosenbrock",))
    assert isinstance(box, w.VBox)
    image = box.children[-1]
    before = image.value
    frame = box.children[1].children[1]  # the player's IntSlider
    frame.value = 10
    assert image.value != before


def test_optimizer_race_rejects_unknown_surfaces():
    with pytest.raises(ValueError, match="unknown surface"):
        optimizer_race(surfaces=("himalaya",))


def test_plot_loss_surface_checks_trajectories():
    f = SURFACES["ravine"].loss
    fig = plot_loss_surface(f, (-1, 1, -1, 1), {"a": np.zeros((3, 2))}, minimum=(0, 0))
    assert [ln.get_gid() for ln in fig.axes[0].lines if ln.get_gid()] == ["a"]
    with pytest.raises(ValueError, match=r"must be \(T, 2\)"):
        plot_loss_surface(f, (-1, 1, -1, 1), {"bad": np.zeros((3, 3))})


def test_plot_sweep_rings_the_best_setting():
    fig = plot_sweep([1e-3, 1e-2, 1e-1], {"validation loss": [0.9, 0.2, 2.0]},
                     "learning rate", "final loss")
    ring = fig.axes[0].lines[-1]
    assert ring.get_xdata()[0] == 1e-2 and ring.get_ydata()[0] == 0.2
    fig = plot_sweep([1, 2, 3], {"a": [0.5, 0.9, 0.7], "b": [0.8, 0.6, 0.4]}, "x", "accuracy")
    rings = [ln for ln in fig.axes[0].lines if ln.get_markersize() == 14]
    assert [(r.get_xdata()[0], r.get_ydata()[0]) for r in rings] == [(2, 0.9), (1, 0.8)]
    assert [r.get_markeredgecolor() for r in rings] == ["C0", "C1"]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["a", "b", "best of each curve"]
    with pytest.raises(ValueError, match="2 values for 3"):
        plot_sweep([1, 2, 3], {"x": [1, 2]}, "a", "b")


def test_plot_activation_stats_one_line_per_scheme():
    fig = plot_activation_stats({"a": [1.0, 0.5, 0.25], "b": [1.0, 1.0, 1.0]})
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    assert math.isclose(ax.lines[0].get_ydata()[-1], 0.25)
