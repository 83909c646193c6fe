"""nn.utils.clip_grad_norm_ / clip_grad_value_ and the clip kernels."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from minidl.kernels.cpu.clip import clip_grad_norm
from minidl.nn.utils import clip_grad_norm_, clip_grad_value_


def with_grads(lib, grads, dtype=None):
    """Leaf tensors whose .grad is set to ``grads`` (None leaves a parameter without one)."""
    params = []
    for g in grads:
        shape = np.shape(g) if g is not None else (2,)
        p = lib.tensor(np.zeros(shape), dtype=dtype or lib.float64, requires_grad=True)
        if g is not None:
            p.grad = lib.tensor(np.asarray(g), dtype=dtype or lib.float64)
        params.append(p)
    return params


def test_clip_by_hand():
    params = with_grads(minidl, [[3.0], [4.0, 0.0]])
    total = clip_grad_norm_(params, max_norm=1.0)
    assert isinstance(total, minidl.Tensor) and total.ndim == 0 and total.item() == 5.0  # as torch
    np.testing.assert_allclose(params[0].grad.numpy(), [3 / (5 + 1e-6)], rtol=1e-15)
    np.testing.assert_allclose(params[1].grad.numpy(), [4 / (5 + 1e-6), 0.0], rtol=1e-15)


def test_small_gradients_are_left_alone():
    params = with_grads(minidl, [[0.3, -0.4]])
    assert clip_grad_norm_(params, max_norm=1.0).item() == pytest.approx(0.5)
    np.testing.assert_array_equal(params[0].grad.numpy(), [0.3, -0.4])


def test_inf_and_one_norms_by_hand():
    params = with_grads(minidl, [[3.0, -6.0], [2.0]])
    assert clip_grad_norm_(params, 3.0, norm_type=math.inf) == 6.0
    np.testing.assert_allclose(params[0].grad.numpy(), [1.5, -3.0], rtol=1e-6)
    params = with_grads(minidl, [[3.0, -6.0], [2.0]])
    assert clip_grad_norm_(params, 100.0, norm_type=1) == 11.0


def test_single_tensor_and_missing_grads():
    (p,) = with_grads(minidl, [[6.0, 8.0]])
    assert clip_grad_norm_(p, 5.0) == 10.0
    np.testing.assert_allclose(p.grad.numpy(), [3.0, 4.0], rtol=1e-6)
    params = with_grads(minidl, [None, [2.0]])
    assert clip_grad_norm_(params, 1.0) == 2.0 and params[0].grad is None
    assert clip_grad_norm_([], 1.0) == 0.0


def test_grad_is_changed_in_place_and_keeps_dtype():
    (p,) = with_grads(minidl, [np.full((2, 3), 10.0)], dtype=minidl.float32)
    grad, array = p.grad, p.grad.numpy()
    clip_grad_norm_([p], 1.0)
    assert p.grad is grad and p.grad.numpy() is array and array.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(array), 1.0, rtol=1e-5)


def test_clip_grad_value_by_hand():
    params = with_grads(minidl, [[-3.0, 0.5, 2.0], None])
    assert clip_grad_value_(params, 1.0) is None
    np.testing.assert_array_equal(params[0].grad.numpy(), [-1.0, 0.5, 1.0])
    assert params[1].grad is None


def test_kernel_is_pure():
    grads = [np.array([3.0, 4.0]), np.arange(6.0).reshape(2, 3).T]
    before = [g.copy() for g in grads]
    for max_norm in (1.0, 100.0):
        clipped, _ = clip_grad_norm(grads, max_norm, 2.0)
        for g, b, c in zip(grads, before, clipped, strict=True):
            np.testing.assert_array_equal(g, b)
            assert not np.shares_memory(g, c) and c.shape == g.shape


def test_nonfinite_norm_raises_when_asked():
    params = with_grads(minidl, [[1.0, math.nan]])
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm .* is nan"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert math.isnan(clip_grad_norm_(params, 1.0))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda ps: clip_grad_norm_(ps, -1.0), ValueError,
         "clip_grad_norm_: expected max_norm ≥ 0, got -1.0"),
        (lambda ps: clip_grad_norm_(ps, 1.0, norm_type=0), ValueError,
         "clip_grad_norm_: norm_type must be > 0 or inf, got 0"),
        (lambda ps: clip_grad_norm_([*ps, 3.0], 1.0), TypeError,
         "clip_grad_norm_: expected tensors (e.g. model.parameters()), got float at position 1"),
        (lambda ps: clip_grad_value_(ps, -0.5), ValueError,
         "clip_grad_value_: expected clip_value ≥ 0, got -0.5"),
        (lambda ps: clip_grad_value_([None], 1.0), TypeError,
         "clip_grad_value_: expected tensors"),
    ],
)
def test_invalid_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call(with_grads(minidl, [[1.0]]))


# -- PyTorch oracle -------------------------------------------------------------------------
shapes_lists = st.lists(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4),
                        min_size=1, max_size=4)


@pytest.mark.torch
@settings(max_examples=25, deadline=None)
@given(
    shapes=shapes_lists,
    norm_type=st.sampled_from([1.0, 2.0, 3.0, math.inf]),
    max_norm=st.sampled_from([0.1, 1.0, 1e3]),
    float32=st.booleans(),
)
def test_clip_grad_norm_matches_pytorch(shapes, norm_type, max_norm, float32):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(shapes))
    grads = [rng.normal(size=s) for s in shapes]
    ours = with_grads(minidl, grads, minidl.float32 if float32 else None)
    theirs = with_grads(torch, grads, torch.float32 if float32 else None)
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type).item()
    rtol = 1e-5 if float32 else 1e-12
    assert total.item() == pytest.approx(expected, rel=rtol)
    for a, b in zip(ours, theirs, strict=True):
        assert a.grad.dtype == (np.float32 if float32 else np.float64)
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=1e-7)


@pytest.mark.torch
def test_clip_grad_value_matches_pytorch():
    torch = pytest.importorskip("torch")
    grads = [np.random.default_rng(3).normal(size=(4, 5)), np.array(-2.5)]
    ours, theirs = with_grads(minidl, grads), with_grads(torch, grads)
    clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
