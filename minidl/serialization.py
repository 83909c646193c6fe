"""Save and load state dicts as ``.npz`` files (NumPy's zip of arrays; no pickle).

    minidl.save(model.state_dict(), "mlp.npz")
    model.load_state_dict(minidl.load("mlp.npz"))

Only arrays are stored, and ``load`` refuses pickled objects (``allow_pickle=False``), so
opening a file from elsewhere cannot run code. The file is written to exactly ``path``
(NumPy's own ``savez`` would append ``.npz`` to other names).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from minidl.errors import DTypeError
from minidl.tensor import Tensor

PathLike = str | os.PathLike | IO[bytes]


def _arrays(obj: Any) -> dict[str, np.ndarray]:
    if not isinstance(obj, Mapping):
        hint = " (pass model.state_dict())" if hasattr(obj, "state_dict") else ""
        raise TypeError(
            f"save: expected a state dict (a mapping of str → Tensor or ndarray), got "
            f"{type(obj).__name__}{hint}"
        )
    arrays = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise TypeError(f"save: state dict keys must be strings, got {key!r}")
        array = value.detach().numpy() if isinstance(value, Tensor) else value
        if not isinstance(array, np.ndarray):
            raise TypeError(
                f"save: entry {key!r} must be a Tensor or ndarray, got {type(value).__name__}"
            )
        if array.dtype.kind not in "fiub":
            raise DTypeError(f"save: entry {key!r} has dtype {array.dtype}; only numeric and "
                             "bool arrays can be saved without pickle")
        arrays[key] = array
    return arrays


def save(obj: Mapping[str, Any], path: PathLike) -> None:
    """Write a state dict (name → Tensor or ndarray) to ``path`` as an ``.npz`` archive."""
    arrays = _arrays(obj)
    if hasattr(path, "write"):
        np.savez(path, allow_pickle=False, **arrays)
        return
    with open(path, "wb") as f:
        np.savez(f, allow_pickle=False, **arrays)


def load(path: PathLike) -> OrderedDict[str, Tensor]:
    """Read a file written by :func:`save`: an OrderedDict of name → Tensor, in saved order."""
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as e:  # not a NumPy file at all (NumPy then suspects a pickle)
        raise ValueError(f"load: {path!r} is not an .npz file written by minidl.save ({e})") \
            from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load: expected an .npz archive of named arrays (from minidl.save), "
                         f"got a single {type(archive).__name__} in {path!r}")
    with archive:
        try:
            return OrderedDict((key, Tensor(archive[key])) for key in archive.files)
        except ValueError as e:  # an object array, which would need pickle
            raise ValueError(f"load: {path!r} holds something other than plain arrays ({e})") \
                from None
