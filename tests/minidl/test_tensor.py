"""Tensor construction, dtypes, conversions and in-place rules."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl import DTypeError, GraphError, ShapeError


def test_python_floats_default_to_float32_and_ints_to_int64():
    assert minidl.tensor([1.0, 2.0]).dtype == np.float32
    assert minidl.tensor([1, 2]).dtype == np.int64
    assert minidl.tensor(True).dtype == np.bool_


def test_numpy_arrays_keep_their_dtype_and_are_copied():
    a = np.arange(3, dtype=np.float64)
    t = minidl.tensor(a)
    a[0] = 100
    assert t.dtype == np.float64
    assert t.numpy()[0] == 0


def test_from_numpy_shares_memory():
    a = np.zeros(3, dtype=np.float32)
    t = minidl.from_numpy(a)
    a[1] = 5
    assert t.numpy()[1] == 5


def test_explicit_dtype_wins():
    assert minidl.tensor([1, 2], dtype=minidl.float64).dtype == np.float64


def test_requires_grad_only_for_floats():
    with pytest.raises(DTypeError, match="only floating-point"):
        minidl.tensor([1, 2], requires_grad=True)


def test_item_on_non_scalar_names_the_shape():
    with pytest.raises(ShapeError, match=r"item: .*got shape \(2, 3\)"):
        minidl.zeros(2, 3).item()
    assert minidl.tensor([[4.5]]).item() == 4.5


def test_numpy_refuses_a_tensor_that_requires_grad():
    x = minidl.ones(2, requires_grad=True)
    with pytest.raises(GraphError, match="detach"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]


def test_detach_cuts_the_graph():
    x = minidl.ones(2, requires_grad=True)
    y = (x * 2).detach()
    assert y.grad_fn is None and not y.requires_grad


def test_in_place_change_of_a_parameter_needs_no_grad():
    w = minidl.ones(3, requires_grad=True)
    with pytest.raises(GraphError, match="no_grad"):
        w.add_(1.0)
    with minidl.no_grad():
        w.add_(1.0)
    np.testing.assert_array_equal(w.detach().numpy(), [2.0, 2.0, 2.0])


def test_copy_into_wrong_shape_is_a_shape_error():
    t = minidl.zeros(2, 2)
    with pytest.raises(ShapeError, match=r"copy_: cannot copy shape \(3,\) into \(2, 2\)"):
        t.copy_(np.ones(3))


def test_factories_shapes_and_seeding():
    assert minidl.zeros(2, 3).shape == (2, 3)
    assert minidl.ones((4,)).dtype == np.float32
    minidl.manual_seed(7)
    a = minidl.randn(5).numpy().copy()
    minidl.manual_seed(7)
    np.testing.assert_array_equal(a, minidl.randn(5).numpy())
    assert minidl.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert minidl.arange(0, 1, 0.5).dtype == np.float32
    with pytest.raises(ShapeError):
        minidl.zeros(-1, 2)


def test_bad_data_is_a_dtype_error():
    with pytest.raises(DTypeError):
        minidl.tensor(["a", "b"])


def test_repr_shows_grad_fn_and_dtype():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    assert "requires_grad=True" in repr(x)
    assert "grad_fn=<MulBackward>" in repr(x * 2)
    assert "dtype=float64" in repr(minidl.zeros(1, dtype=minidl.float64))


def test_bool_of_multi_element_tensor_is_ambiguous():
    with pytest.raises(ShapeError, match="ambiguous"):
        bool(minidl.ones(2))
    assert bool(minidl.ones(1))


def test_to_casts_dtype_and_keeps_gradient_flowing():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(minidl.float64) * 3
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_unknown_and_unavailable_devices_are_clear_errors():
    with pytest.raises(minidl.DeviceError, match="expected one of"):
        minidl.tensor([1.0], device="tpu")
    if not minidl.cuda.is_available():  # tests/cuda covers a machine that has one
        with pytest.raises(minidl.DeviceError, match="cuda: numba.cuda sees no CUDA GPU"):
            minidl.tensor([1.0], device="cuda")
    assert str(minidl.tensor([1.0]).device) == "cpu"


def test_setitem_outside_a_graph_writes_data():
    t = minidl.zeros(3)
    t[1] = 4.0
    t[minidl.tensor([0, 2])] = 1.0
    assert t.tolist() == [1.0, 4.0, 1.0]


def test_comparisons_give_bool_tensors_without_grad():
    x = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = x > 1.5
    assert m.dtype == np.bool_ and not m.requires_grad
    assert m.tolist() == [False, True, True]
    assert (x == 2.0).tolist() == [False, True, False]
    assert (~m).tolist() == [True, False, False]
