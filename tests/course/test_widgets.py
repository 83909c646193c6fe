"""minidl.widgets: the live-vs-static rule, the control machinery and the chapter 1 demos."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from minidl.widgets import (
    Choice,
    Player,
    Slider,
    boundary_explorer,
    interactive_figure,
    perceptron_player,
    trace_perceptron,
    widget_mode,
)

W = pytest.importorskip("ipywidgets")

PNG_MAGIC = b"\x89PNG"
# Two points the perceptron separates after one epoch from w = 0 (worked out in the test).
X2 = np.array([[1.0, 0.0], [0.0, 1.0]])
Y2 = np.array([1, 0])


def rosenblatt(w, b, x, y, lr):
    """The perceptron rule, written out for the tests: ŷ = [w·x + b ≥ 0]."""
    err = y - int(w @ x + b >= 0)
    return w + lr * err * x, b + lr * err


@pytest.fixture
def live(monkeypatch):
    monkeypatch.setenv("MINIDL_WIDGETS", "live")


@pytest.fixture
def static(monkeypatch):
    monkeypatch.setenv("MINIDL_WIDGETS", "static")


@pytest.mark.parametrize("override, session, expected", [
    (None, None, "static"),           # nbclient / nbval / a script: no frontend
    (None, "lab-session", "live"),    # a kernel started by jupyter_server
    ("static", "lab-session", "static"),
    ("live", None, "live"),
    (" LIVE ", None, "live"),
])
def test_widget_mode_rule(monkeypatch, override, session, expected):
    for name, value in (("MINIDL_WIDGETS", override), ("JPY_SESSION_NAME", session)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert widget_mode() == expected


def test_widget_mode_rejects_unknown_override(monkeypatch):
    monkeypatch.setenv("MINIDL_WIDGETS", "sometimes")
    with pytest.raises(ValueError, match="MINIDL_WIDGETS: expected 'live' or 'static'"):
        widget_mode()


def make_demo():
    fig = Figure()
    calls = []

    def draw(a, mode, frame):
        calls.append((a, mode, frame))
        fig.clear()
        fig.add_subplot().plot([0, 1], [0, a])

    controls = {"a": Slider("a", -1.0, 1.0, 0.5, 0.5), "mode": Choice("m", ("x", "y"), "y"),
                "frame": Player("step", n_frames=7, interval_ms=90)}
    return fig, draw, controls, calls


def test_static_returns_the_figure_at_initial_values(static):
    fig, draw, controls, calls = make_demo()
    assert interactive_figure(fig, draw, controls) is fig
    assert calls == [(0.5, "y", 0)]


def test_live_builds_controls_that_redraw(live):
    fig, draw, controls, calls = make_demo()
    box = interactive_figure(fig, draw, controls)
    assert isinstance(box, W.VBox)
    slider, choice, player_row, image = box.children
    assert isinstance(slider, W.FloatSlider) and (slider.min, slider.max, slider.value) == (
        -1.0, 1.0, 0.5)
    assert isinstance(choice, W.SelectionSlider) and choice.options == ("x", "y")
    play, frame = player_row.children
    assert isinstance(play, W.Play) and isinstance(frame, W.IntSlider)
    assert (play.max, frame.max, play.interval) == (6, 6, 90)
    assert isinstance(image, W.Image) and bytes(image.value).startswith(PNG_MAGIC)

    before = bytes(image.value)
    slider.value = -1.0
    frame.value = 3
    assert calls == [(0.5, "y", 0), (-1.0, "y", 0), (-1.0, "y", 3)]
    assert bytes(image.value).startswith(PNG_MAGIC) and bytes(image.value) != before


def test_trace_perceptron_by_hand():
    tr = trace_perceptron(X2, Y2, rosenblatt, lr=1.0, epochs=3)
    # epoch 1: x₀ correct (z = 0 → ŷ = 1); x₁ wrong (z = 0, y = 0) → w = (0, −1), b = −1.
    # epoch 2: x₀ wrong (z = −1, y = 1) → w = (1, −1), b = 0; x₁ correct (z = −1).
    # epoch 3: both correct, nothing moves.
    np.testing.assert_array_equal(tr.w, [[0, 0], [0, 0], [0, -1], [1, -1], [1, -1], [1, -1],
                                         [1, -1]])
    np.testing.assert_array_equal(tr.b, [0, 0, -1, 0, 0, 0, 0])
    np.testing.assert_array_equal(tr.sample, [-1, 0, 1, 0, 1, 0, 1])
    np.testing.assert_array_equal(tr.epoch, [0, 0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(tr.mistake, [False, False, True, True, False, False, False])
    np.testing.assert_array_equal(tr.errors_per_epoch, [1, 1, 0])
    np.testing.assert_array_equal(tr.errors_until(2), [1, 0, 0])


def test_trace_perceptron_starts_from_w0_and_checks_the_rule():
    tr = trace_perceptron(X2, Y2, rosenblatt, lr=0.5, epochs=1, w0=[2.0, 2.0], b0=-1.0)
    np.testing.assert_array_equal(tr.w[0], [2.0, 2.0])
    # x₀: z = 1 → correct; x₁: z = 1 but y = 0 → w = (2, 1.5), b = −1.5
    np.testing.assert_array_equal(tr.w[-1], [2.0, 1.5])
    assert tr.b[-1] == -1.5
    with pytest.raises(ValueError, match=r"must return w of shape \(2,\), got \(3,\)"):
        trace_perceptron(X2, Y2, lambda w, b, x, y, lr: (np.zeros(3), b), epochs=1)


def test_boundary_explorer_static_draws_the_initial_line(static):
    fig = boundary_explorer(X2, Y2, w=(1.0, -2.0), b=0.5)
    assert isinstance(fig, Figure)
    (line,) = [ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "decision boundary"]
    z = 1.0 * np.asarray(line.get_xdata()) - 2.0 * np.asarray(line.get_ydata()) + 0.5
    np.testing.assert_allclose(z, 0.0, atol=1e-12)


def test_boundary_explorer_live_has_three_sliders(live):
    box = boundary_explorer(X2, Y2, w=(1.0, -2.0), b=0.5, limit=4.0)
    sliders = [c for c in box.children if isinstance(c, W.FloatSlider)]
    assert [s.value for s in sliders] == [1.0, -2.0, 0.5]
    assert all((s.min, s.max) == (-4.0, 4.0) for s in sliders)
    image = box.children[-1]
    before = bytes(image.value)
    sliders[2].value = -3.0
    assert bytes(image.value) != before


def test_perceptron_player_static_shows_every_learning_rate_at_the_end(static):
    fig = perceptron_player(X2, Y2, rosenblatt, learning_rates=(0.5, 1.0), epochs=2,
                            w0=(1.0, 1.0), b0=0.0)
    data_half, data_one, err_half, err_one = fig.axes
    assert "lr = 0.5" in data_half.get_title() and "lr = 1" in data_one.get_title()
    # lr 1 from w = (1, 1), b = 0: x₁ = (0, 1), y = 0 is wrong → w = (1, 0), b = −1, after
    # which both points are right (x₀ = (1, 0): z = 0 → 1). Epoch mistakes: 1, then 0.
    assert [p.get_height() for p in err_one.patches] == [1, 0]
    (line,) = [ln for ln in data_one.get_lines() if ln.get_gid() == "decision boundary"]
    z = 1.0 * np.asarray(line.get_xdata()) + 0.0 * np.asarray(line.get_ydata()) - 1.0
    np.testing.assert_allclose(z, 0.0, atol=1e-12)
    assert sum(p.get_height() for p in err_half.patches) > 0  # the bars are not empty


def test_perceptron_player_live_frames_and_learning_rates(live):
    box = perceptron_player(X2, Y2, rosenblatt, learning_rates=(0.5, 1.0), epochs=3)
    choice, (play, frame), image = box.children[0], box.children[1].children, box.children[2]
    assert choice.options == (0.5, 1.0)
    assert play.max == frame.max == 3 * len(Y2)
    before = bytes(image.value)
    frame.value = 2
    assert bytes(image.value) != before
    with pytest.raises(ValueError, match=r"perceptron_player.*\(N, 2\)"):
        perceptron_player(np.zeros((3, 3)), np.zeros(3), rosenblatt)
