"""minidl.interpret: attribution maps on models whose gradients are known by hand, integrated
gradients' completeness, occlusion counted by hand, and the randomised copy."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl import interpret, nn

RNG = np.random.default_rng(0)
W = RNG.standard_normal((3, 1 * 4 * 5)).astype(np.float32)   # 3 classes, images 1×4×5
B = np.array([0.5, -1.0, 2.0], np.float32)


def linear_model(x):
    """f(x) = W · vec(x) + b: ∂f_t/∂x = W[t] reshaped, by hand."""
    return x.reshape(x.shape[0], -1) @ minidl.tensor(W.T) + minidl.tensor(B)


X = RNG.standard_normal((2, 1, 4, 5)).astype(np.float32)
T = np.array([2, 0])


def test_gradients_of_a_linear_model_are_its_weights():
    want = W[T].reshape(2, 1, 4, 5)
    np.testing.assert_allclose(interpret.input_gradient(linear_model, X, T), want, rtol=1e-6)
    np.testing.assert_allclose(interpret.saliency(linear_model, X, T), np.abs(want)[:, 0],
                               rtol=1e-6)
    np.testing.assert_allclose(interpret.gradient_x_input(linear_model, X, T), X * want,
                               rtol=1e-6)


def test_integrated_gradients_add_up_to_the_score_difference():
    minidl.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(20, 16), nn.Tanh(), nn.Linear(16, 3)).eval()
    baseline = np.full_like(X, 0.25)
    ig = interpret.integrated_gradients(model, X, T, baseline=baseline, steps=64)
    want = (interpret.target_scores(model, X, T)
            - interpret.target_scores(model, baseline, T))
    np.testing.assert_allclose(ig.sum(axis=(1, 2, 3)), want, rtol=1e-3, atol=1e-4)


def test_occlusion_of_a_linear_model_counted_by_hand():
    got = interpret.occlusion(linear_model, X, T, patch=2, stride=2, fill=0.0)
    contrib = (W[T].reshape(2, 4, 5) * X[:, 0])           # what each pixel adds to f_t
    want = np.zeros((2, 4, 5), np.float32)
    for r in (0, 2):                                      # 2×2 squares at rows 0, 2
        for s in (0, 2):                                  # and columns 0, 2 (4 does not fit)
            want[:, r:r + 2, s:s + 2] = contrib[:, r:r + 2, s:s + 2].sum(axis=(1, 2))[:, None,
                                                                                        None]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_bad_shapes_name_the_method():
    with pytest.raises(minidl.ShapeError, match=r"saliency.*\(N, C, H, W\).*\(4, 5\)"):
        interpret.saliency(linear_model, X[0, 0], T)


def test_randomized_copy_redraws_the_last_layers_and_leaves_the_model_alone():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    before = [p.detach().numpy().copy() for p in model.parameters()]
    top = interpret.randomized_copy(model, layers=1)
    everything = interpret.randomized_copy(model)
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)
    np.testing.assert_array_equal(top[0].weight.data, before[0])
    assert not np.allclose(top[2].weight.data, before[2])
    assert not np.allclose(everything[0].weight.data, before[0])


def test_rank_correlation_of_equal_reversed_and_monotone_maps():
    a = RNG.standard_normal(50)
    assert interpret.rank_correlation(a, a) == pytest.approx(1.0)
    assert interpret.rank_correlation(a, -a) == pytest.approx(-1.0)
    assert interpret.rank_correlation(a, np.exp(a)) == pytest.approx(1.0)
    # ties share their average rank: ranks (0.5, 0.5, 2) and (0, 1, 2) → r = √3/2
    assert interpret.rank_correlation([1, 1, 5], [1, 2, 3]) == pytest.approx(np.sqrt(3) / 2)
