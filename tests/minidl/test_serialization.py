"""minidl.save / minidl.load: .npz round trips without pickle, and clear errors."""

from __future__ import annotations

import io
from collections import OrderedDict

import numpy as np
import pytest

import minidl
from minidl import nn


def test_round_trip_keeps_names_order_dtypes_values(tmp_path):
    state = OrderedDict([
        ("z.weight", minidl.randn(3, 2)),
        ("a.count", minidl.tensor([7])),
        ("m.mask", np.array([True, False])),
        ("d", minidl.tensor([1.5], dtype=minidl.float64)),
    ])
    path = tmp_path / "state.pt"
    minidl.save(state, path)
    assert path.exists() and not (tmp_path / "state.pt.npz").exists()  # written to exactly path
    loaded = minidl.load(path)
    assert isinstance(loaded, OrderedDict) and list(loaded) == list(state)
    for key, value in state.items():
        expected = value.numpy() if isinstance(value, minidl.Tensor) else value
        assert isinstance(loaded[key], minidl.Tensor)
        assert loaded[key].dtype == expected.dtype
        np.testing.assert_array_equal(loaded[key].numpy(), expected)


def test_model_round_trip_through_a_file_object():
    a = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    buffer = io.BytesIO()
    minidl.save(a.state_dict(), buffer)
    buffer.seek(0)
    b = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    b.load_state_dict(minidl.load(buffer))
    x = minidl.randn(5, 3)
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())


def test_load_refuses_pickles(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="holds something other than plain arrays"):
        minidl.load(path)


def test_save_errors(tmp_path):
    path = tmp_path / "x.npz"
    with pytest.raises(TypeError, match=r"save: expected a state dict .* got Linear "
                                        r"\(pass model.state_dict\(\)\)"):
        minidl.save(nn.Linear(2, 2), path)
    with pytest.raises(TypeError, match="save: state dict keys must be strings, got 3"):
        minidl.save({3: minidl.ones(1)}, path)
    with pytest.raises(TypeError, match="save: entry 'w' must be a Tensor or ndarray, got list"):
        minidl.save({"w": [1.0, 2.0]}, path)
    with pytest.raises(minidl.DTypeError, match="entry 'o' has dtype object"):
        minidl.save({"o": np.array([None])}, path)
    assert not path.exists()


def test_load_errors(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_text("not an archive")
    with pytest.raises(ValueError, match="is not an .npz file written by minidl.save"):
        minidl.load(bad)
    single = tmp_path / "one.npy"
    np.save(single, np.zeros(2))
    with pytest.raises(ValueError, match="got a single ndarray"):
        minidl.load(single)
    with pytest.raises(FileNotFoundError):
        minidl.load(tmp_path / "missing.npz")
