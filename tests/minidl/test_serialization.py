"""minidl.save / minidl.load: .npz round trips without pickle, and clear errors."""

from __future__ import annotations

import io
from collections import OrderedDict

import numpy as np
import pytest

import minidl
from minidl import nn
from minidl.serialization import CheckpointError


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
    with pytest.raises(ValueError, match=r"obj\.npz. holds something other than plain arrays"):
        minidl.load(path)


def test_save_errors(tmp_path):
    path = tmp_path / "x.npz"
    with pytest.raises(TypeError, match=r"save: got a whole module \(Linear\).*"
                                        r"minidl.save\(model.state_dict\(\), path\)"):
        minidl.save(nn.Linear(2, 2), path)
    with pytest.raises(TypeError, match=r"save: keys must be strings or ints, got \(1, 2\)"):
        minidl.save({(1, 2): minidl.ones(1)}, path)
    with pytest.raises(TypeError, match="save: entry 'opt/w' is a set; a checkpoint holds"):
        minidl.save({"opt": {"w": {1.0, 2.0}}}, path)
    with pytest.raises(minidl.DTypeError, match="entry 'o' has dtype object"):
        minidl.save({"o": np.array([None])}, path)
    with pytest.raises(ValueError, match="'__tree__' is reserved"):
        minidl.save({"__tree__": minidl.ones(1), "epoch": 1}, path)
    with pytest.raises(ValueError, match="'__tree__' is reserved"):  # a flat state dict too
        minidl.save({"__tree__": minidl.ones(1)}, path)
    with pytest.raises(ValueError, match="two entries share the path 'a/b'"):
        minidl.save({"a/b": np.zeros(2), "a": {"b": np.ones(2)}}, path)
    with pytest.raises(ValueError, match="two entries share the path '4'"):
        minidl.save({4: np.zeros(2), "4": np.ones(2), "epoch": 1}, path)
    assert not path.exists()


def test_a_checkpoint_with_model_optimizer_and_epoch_resumes_training_exactly(tmp_path):
    """PyTorch's idiom: save {"model": …, "optimizer": …, "epoch": …}, load, go on."""
    rng = np.random.default_rng(0)
    x = minidl.tensor(rng.standard_normal((16, 4), dtype=np.float32))
    y = minidl.tensor(rng.integers(0, 3, 16))

    def build():
        minidl.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        return model, minidl.optim.Adam(model.parameters(), lr=1e-2, betas=(0.8, 0.9))

    def train(model, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()

    model, opt = build()
    train(model, opt, 3)
    path = tmp_path / "checkpoint.npz"
    minidl.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
                 "losses": [0.5, 0.25], "note": None}, path)
    train(model, opt, 2)  # the uninterrupted run

    resumed, resumed_opt = build()
    checkpoint = minidl.load(path)
    assert checkpoint["epoch"] == 3 and checkpoint["losses"] == [0.5, 0.25]
    assert checkpoint["note"] is None
    assert checkpoint["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.9)  # a tuple again
    assert isinstance(checkpoint["model"]["0.weight"], minidl.Tensor)
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    train(resumed, resumed_opt, 2)
    for (name, want), got in zip(model.state_dict().items(), resumed.state_dict().values(),
                                 strict=True):
        np.testing.assert_array_equal(got.numpy(), want.numpy(), err_msg=name)


def test_a_flat_state_dict_keeps_np_savez_layout_and_a_checkpoint_adds_one_member(tmp_path):
    flat, nested = tmp_path / "flat.npz", tmp_path / "nested.npz"
    minidl.save({"w": np.arange(3.0)}, flat)
    minidl.save({"weights": {"w": np.arange(3.0)}, "step": 7, 4: np.ones(2)}, nested)
    with np.load(flat) as archive:
        assert archive.files == ["w"]
    with np.load(nested) as archive:  # still a plain .npz: arrays under their paths
        assert sorted(archive.files) == ["4", "__tree__", "weights/w"]
        np.testing.assert_array_equal(archive["weights/w"], np.arange(3.0))
    back = minidl.load(nested)
    assert back["step"] == 7 and isinstance(back[4], np.ndarray)  # int key, ndarray kept
    np.testing.assert_array_equal(back["weights"]["w"], np.arange(3.0))


def test_load_errors(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_text("not an archive")
    with pytest.raises(ValueError, match=r"bad\.npz. is not an \.npz file .*minidl\.save"):
        minidl.load(bad)
    single = tmp_path / "one.npy"
    np.save(single, np.zeros(2))
    with pytest.raises(ValueError, match="holds a single ndarray"):
        minidl.load(single)
    with pytest.raises(FileNotFoundError):
        minidl.load(tmp_path / "missing.npz")


# -- issue 10, item 4: a save never destroys a good file; any key; clear errors on load ---


def good_checkpoint(path) -> OrderedDict:
    state = OrderedDict([("w", minidl.tensor([1.0, 2.0])), ("b", minidl.tensor([3.0]))])
    minidl.save(state, path)
    return state


def test_any_key_name_works(tmp_path):
    path = tmp_path / "keys.npz"
    state = {"file": np.arange(3), "allow_pickle": np.ones(2), "args": np.zeros(1),
             "a/b.c": np.array([7])}
    minidl.save(state, path)
    loaded = minidl.load(path)
    assert list(loaded) == list(state)
    for key, value in state.items():
        np.testing.assert_array_equal(loaded[key].numpy(), value)


def test_a_failing_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    good_checkpoint(path)
    before = path.read_bytes()
    real_write = np.lib.format.write_array
    calls = []

    def disk_full_at_the_second_entry(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", disk_full_at_the_second_entry)
    with pytest.raises(OSError, match="No space left"):
        minidl.save({"w": minidl.ones(2), "b": minidl.ones(1)}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.npz"]  # no temporary left


def test_an_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    good_checkpoint(path)
    before = path.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np.lib.format, "write_array", interrupted)
    with pytest.raises(KeyboardInterrupt):
        minidl.save({"w": minidl.zeros(5)}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.npz"]


def test_save_replaces_by_rename_and_keeps_the_mode(tmp_path):
    path = tmp_path / "ckpt.npz"
    good_checkpoint(path)
    path.chmod(0o640)
    inode = path.stat().st_ino
    minidl.save({"w": minidl.zeros(2)}, path)
    assert path.stat().st_ino != inode  # a new file renamed over the old, not rewritten
    assert path.stat().st_mode & 0o777 == 0o640
    np.testing.assert_array_equal(minidl.load(path)["w"].numpy(), [0.0, 0.0])


def test_saving_a_whole_module_says_to_save_its_state_dict(tmp_path):
    with pytest.raises(TypeError, match=r"whole module \(Sequential\).*never pickled.*"
                                        r"minidl\.save\(model\.state_dict\(\), path\)"):
        minidl.save(nn.Sequential(nn.Linear(2, 2)), tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize("cut", [0.5, 0.9, 22])
def test_truncated_file_names_the_file(tmp_path, cut):
    path = tmp_path / "ckpt.npz"
    minidl.save({"w": minidl.randn(50, 50), "b": minidl.randn(50)}, path)
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * cut) if cut < 1 else cut])
    with pytest.raises(CheckpointError, match=r"load: '.*ckpt\.npz' is (truncated or )?corrupt"):
        minidl.load(path)


def test_corrupt_bytes_inside_an_entry_name_the_file_and_entry(tmp_path):
    path = tmp_path / "ckpt.npz"
    minidl.save({"w": np.arange(1000, dtype=np.float32)}, path)
    raw = bytearray(path.read_bytes())
    raw[200:210] = b"\xff" * 10  # inside the data of w: the CRC no longer matches
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match=r"ckpt\.npz. is .*corrupt at entry .w."):
        minidl.load(path)


def test_torch_save_files_are_named_and_refused(tmp_path):
    torch = pytest.importorskip("torch")
    for new_format in (True, False):
        path = tmp_path / f"model_{new_format}.pt"
        torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=new_format)
        with pytest.raises(CheckpointError, match=rf"model_{new_format}\.pt' was written by "
                                                  r"torch\.save .*np\.savez"):
            minidl.load(path)


def test_load_accepts_pytorch_keywords(tmp_path):
    path = tmp_path / "ckpt.npz"
    state = good_checkpoint(path)
    loaded = minidl.load(path, map_location="cpu", weights_only=True)
    np.testing.assert_array_equal(loaded["w"].numpy(), state["w"].numpy())
    if not minidl.cuda.is_available():
        with pytest.raises(ValueError, match="map_location='cuda:0' cannot hold tensors"):
            minidl.load(path, map_location="cuda:0")
    with pytest.raises(ValueError, match="weights_only=False would allow pickles"):
        minidl.load(path, weights_only=False)


def test_model_checkpoint_keeps_the_last_good_checkpoint_when_a_save_fails(tmp_path, monkeypatch):
    from minidl.train import ModelCheckpoint

    model = nn.Linear(3, 2)
    ckpt = ModelCheckpoint(tmp_path / "best.npz", monitor="val_loss")
    ckpt.set_context(model, None)
    ckpt.on_train_begin({})
    ckpt.on_epoch_end(0, {"val_loss": 1.0})
    good = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    with minidl.no_grad():
        model.weight.data[...] = 0.0  # the model changes, then the next save fails

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", disk_full)
    with pytest.raises(OSError):
        ckpt.on_epoch_end(1, {"val_loss": 0.5})
    loaded = minidl.load(tmp_path / "best.npz")
    for key, value in good.items():
        np.testing.assert_array_equal(loaded[key].numpy(), value)
    assert ckpt.saved == [str(tmp_path / "best.npz")]


def test_a_damaged_checkpoint_structure_is_reported(tmp_path):
    path = tmp_path / "damaged.npz"
    np.savez(path, **{"__tree__": np.frombuffer(b'{"dict": [["w", {"tensor": "gone"}]]}',
                                                dtype=np.uint8)})
    with pytest.raises(minidl.serialization.CheckpointError,
                       match="damaged.npz.*damaged checkpoint structure.*KeyError"):
        minidl.load(path)
