"""Data: datasets, the DataLoader, transforms, toy 2-D sets and MNIST.

PyTorch's ``torch.utils.data`` names, plus what a course needs::

    from minidl.data import DataLoader, TensorDataset, make_moons

    X, y = make_moons(200, noise=0.1)
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
"""

from minidl.data import transforms
from minidl.data.dataloader import DataLoader, default_collate
from minidl.data.dataset import Dataset, Subset, TensorDataset, random_split
from minidl.data.download import DownloadError
from minidl.data.idx import IDXError
from minidl.data.mnist import MNIST, MNISTData, load_mnist
from minidl.data.toy import (
    make_blobs,
    make_circles,
    make_linearly_separable,
    make_moons,
    make_spirals,
    make_xor,
)
from minidl.data.transforms import fill_missing, standardize

__all__ = [
    "MNIST",
    "DataLoader",
    "Dataset",
    "DownloadError",
    "IDXError",
    "MNISTData",
    "Subset",
    "TensorDataset",
    "default_collate",
    "fill_missing",
    "load_mnist",
    "make_blobs",
    "make_circles",
    "make_linearly_separable",
    "make_moons",
    "make_spirals",
    "make_xor",
    "random_split",
    "standardize",
    "transforms",
]
from minidl.data import augment  # noqa: E402
from minidl.data.augment import (  # noqa: E402
    RandomCrop,
    RandomHorizontalFlip,
    RandomShift,
    augment_batch,
)

__all__ += ["RandomCrop", "RandomHorizontalFlip", "RandomShift", "augment", "augment_batch"]
from minidl.data import sequences, text  # noqa: E402
from minidl.data.sequences import (  # noqa: E402
    adding_problem,
    delayed_recall,
    noisy_signal,
    sliding_windows,
    synthetic_reviews,
)
from minidl.data.text import CharVocab, python_function_names, zen_of_python  # noqa: E402

__all__ += ["CharVocab", "adding_problem", "delayed_recall", "noisy_signal",
            "python_function_names", "sequences", "sliding_windows", "synthetic_reviews", "text",
            "zen_of_python"]

from minidl.data.text import python_docs  # noqa: E402

__all__ += ["python_docs"]
