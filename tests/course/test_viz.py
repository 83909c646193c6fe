"""minidl.viz: every helper returns a Figure whose artists sit where the maths says."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from minidl.errors import ShapeError
from minidl.kernels.slots import set_override
from minidl.viz import (
    boundary_points,
    draw_neuron,
    plot_activations,
    plot_decision_boundary,
    plot_linear_boundary,
    plot_training_curve,
    standard_activations,
)

# The four corners of [0, 2]²: with padding=0 the axes span exactly that square.
SQUARE = np.array([[0.0, 0.0], [2.0, 2.0], [0.0, 2.0], [2.0, 0.0]], dtype=np.float32)
LABELS = np.array([0, 1, 0, 1])


def boundary_line(fig: Figure):
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "decision boundary"]
    return lines[0] if lines else None


def test_boundary_points_by_hand():
    xs, ys = boundary_points([1.0, 1.0], -1.0, (0.0, 2.0, 0.0, 2.0))  # x₂ = 1 − x₁
    np.testing.assert_allclose(xs, [0.0, 2.0])
    np.testing.assert_allclose(ys, [1.0, -1.0])
    xs, ys = boundary_points([2.0, 0.0], -2.0, (0.0, 3.0, -1.0, 1.0))  # vertical: x₁ = 1
    np.testing.assert_allclose(xs, [1.0, 1.0])
    np.testing.assert_allclose(ys, [-1.0, 1.0])
    assert boundary_points([0.0, 0.0], 1.0, (0.0, 1.0, 0.0, 1.0)) is None


def test_linear_boundary_line_title_and_limits():
    fig = plot_linear_boundary([1.0, 1.0], -2.0, SQUARE, LABELS, padding=0.0)
    assert isinstance(fig, Figure)
    line = boundary_line(fig)
    # x₁ + x₂ − 2 = 0 across [0, 2]: from (0, 2) to (2, 0)
    np.testing.assert_allclose(line.get_xdata(), [0.0, 2.0])
    np.testing.assert_allclose(line.get_ydata(), [2.0, 0.0])
    ax = fig.axes[0]
    assert ax.get_xlim() == (0.0, 2.0) and ax.get_ylim() == (0.0, 2.0)
    # z = (−2, 2, 0, 0) → predictions (0, 1, 0, 0) against labels (0, 1, 0, 1): 3 of 4
    assert "accuracy 75.0 %" in ax.get_title()
    assert {t.get_text() for t in ax.get_legend().get_texts()} >= {"class 0", "class 1"}


@pytest.mark.parametrize("w, b", [([0.3, -1.7], 0.4), ([-2.0, 0.1], 1.0), ([0.0, 1.0], 0.0)])
def test_linear_boundary_endpoints_lie_on_the_line(w, b):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    fig = plot_linear_boundary(w, b, X, (X[:, 0] > 0).astype(int))
    line = boundary_line(fig)
    z = w[0] * np.asarray(line.get_xdata()) + w[1] * np.asarray(line.get_ydata()) + b
    np.testing.assert_allclose(z, 0.0, atol=1e-12)


def test_linear_boundary_zero_weights_draws_no_line_and_draws_into_given_axes():
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_linear_boundary([0.0, 0.0], 1.0, SQUARE, LABELS, ax=ax) is fig
    assert boundary_line(fig) is None
    assert "accuracy 50.0 %" in ax.get_title()  # every point predicted as class 1


def test_linear_boundary_validates_shapes():
    with pytest.raises(ShapeError, match=r"plot_linear_boundary.*\(N, 2\).*\(4, 3\)"):
        plot_linear_boundary([1.0, 1.0], 0.0, np.zeros((4, 3)), LABELS)
    with pytest.raises(ShapeError, match=r"plot_linear_boundary.*\(4,\).*\(3,\)"):
        plot_linear_boundary([1.0, 1.0], 0.0, SQUARE, LABELS[:3])
    with pytest.raises(ShapeError, match=r"w of shape \(2,\), got \(3,\)"):
        plot_linear_boundary([1.0, 1.0, 1.0], 0.0, SQUARE, LABELS)


def test_decision_boundary_follows_the_classifier():
    seen = {}

    def predict(points):
        seen["shape"], seen["dtype"] = points.shape, points.dtype
        return np.stack([points[:, 0] - 0.5, 0.5 - points[:, 0]], axis=1)  # class 0 iff x₁ > ½

    fig = plot_decision_boundary(predict, SQUARE, LABELS, resolution=41, padding=0.0)
    assert seen == {"shape": (41 * 41, 2), "dtype": np.float32}
    ax = fig.axes[0]
    (lines,) = [c for c in ax.collections if hasattr(c, "levels") and list(c.levels) == [0.5]]
    xs = np.concatenate([p.vertices[:, 0] for p in lines.get_paths()])
    np.testing.assert_allclose(xs, 0.5, atol=2.0 / 40)  # within one grid step of x₁ = ½


def test_decision_boundary_rejects_wrong_prediction_shape():
    with pytest.raises(ShapeError, match="plot_decision_boundary: predict"):
        plot_decision_boundary(lambda P: np.zeros(3), SQUARE, LABELS, resolution=5)


def test_activation_panels_match_the_formulas():
    x = np.linspace(-4.0, 4.0, 81)  # contains 0 exactly
    fig = plot_activations(x=x)
    assert len(fig.axes) == 8
    top = {ax.get_title(): ax for ax in fig.axes[:4]}
    bottom = {ax.get_title(): ax for ax in fig.axes[4:]}
    sig = top["sigmoid(x)"].get_lines()[0]
    np.testing.assert_allclose(sig.get_ydata(), 1 / (1 + np.exp(-x)), rtol=1e-12)
    dtanh = bottom["tanh′(x)"].get_lines()[0]
    np.testing.assert_allclose(dtanh.get_ydata(), 1 / np.cosh(x) ** 2, rtol=1e-10)
    drelu = bottom["ReLU′(x)"].get_lines()[0]
    np.testing.assert_array_equal(drelu.get_ydata()[~np.isnan(drelu.get_ydata())],
                                  np.r_[np.zeros(41), np.ones(40)])
    dstep = bottom["step′(x)"].get_lines()[0].get_ydata()
    assert np.isnan(dstep[40]) and np.all(dstep[np.arange(81) != 40] == 0)  # undefined at 0


def test_step_is_drawn_without_a_vertical_wall():
    x = np.linspace(-1.0, 1.0, 5)
    fig = plot_activations({"step": standard_activations()["step"]}, x=x)
    step_line = fig.axes[0].get_lines()[0]
    # one NaN breaks the line between 0 → 0 at x = 0 and 1 at x = 0.5
    assert np.isnan(step_line.get_ydata()).sum() == 1
    assert len(fig.axes) == 2


def test_activation_plot_uses_the_installed_slot_override():
    set_override("sigmoid_forward", lambda x: np.full_like(x, 0.25))
    try:
        fig = plot_activations({"sigmoid": standard_activations()["sigmoid"]})
    finally:
        set_override("sigmoid_forward", None)
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_ydata(), 0.25)
    # σ' computed as σ(1 − σ) from the overridden forward: 0.25 · 0.75
    np.testing.assert_allclose(fig.axes[1].get_lines()[0].get_ydata(), 0.1875)


def test_training_curve_one_and_several_series():
    fig = plot_training_curve([5, 3, 0], ylabel="mistakes")
    (line,) = fig.axes[0].get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), [5, 3, 0])
    assert fig.axes[0].get_ylabel() == "mistakes"

    fig = plot_training_curve({"train": [1.0, 0.5], "validation": [1.2, 0.9]}, logy=True)
    ax = fig.axes[0]
    assert [ln.get_label() for ln in ax.get_lines()] == ["train", "validation"]
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "validation"]


def test_neuron_diagram_labels():
    texts = {t.get_text() for t in draw_neuron(5).axes[0].texts}
    assert {"$x_1$", "$x_2$", "$x_n$", "$w_n$", "Σ", "step"} <= texts
    assert "$x_3$" not in texts
    with pytest.raises(ValueError, match="n_inputs"):
        draw_neuron(0)
