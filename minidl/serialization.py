"""Save and load state dicts and checkpoints as ``.npz`` files (NumPy's zip of arrays; no
pickle).

    minidl.save(model.state_dict(), "mlp.npz")
    model.load_state_dict(minidl.load("mlp.npz"))

    minidl.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3},
                "checkpoint.npz")                      # PyTorch's checkpoint idiom
    checkpoint = minidl.load("checkpoint.npz")
    model.load_state_dict(checkpoint["model"]); opt.load_state_dict(checkpoint["optimizer"])

A flat state dict (str → Tensor/ndarray) is stored as one array member per entry, exactly
the layout ``np.savez`` writes. A nested checkpoint (dicts with str or int keys, lists,
tuples, and leaves that are Tensors, ndarrays, numbers, strings, bools or None) stores its
arrays under their paths (``"optimizer/state/0/exp_avg"``) plus one more member,
``__tree__``: the structure as JSON text in a uint8 array, from which :func:`load` rebuilds
it (Tensors as Tensors, ndarrays as ndarrays).

Only arrays are stored, and ``load`` refuses pickled objects (``allow_pickle=False``), so
opening a file from elsewhere cannot run code. Whole modules are refused for the same
reason: save ``model.state_dict()`` instead.

A save never leaves a half-written file where a good one was: the archive is written to a
temporary file in the same folder and then renamed over ``path`` (an atomic step), so an
error or an interruption keeps the previous checkpoint. Any string works as a key (NumPy's
own ``savez(file, **arrays)`` fails on a key named ``file``), and the file is written to
exactly ``path`` (``savez`` would append ``.npz`` to other names).
"""

from __future__ import annotations

import json
import os
import secrets
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from minidl.device import check_available
from minidl.device import device as parse_device
from minidl.errors import DeviceError, DTypeError
from minidl.tensor import Tensor

PathLike = str | os.PathLike | IO[bytes]

_PICKLE_START = b"\x80"  # every pickle from protocol 2 on starts with the PROTO opcode


class CheckpointError(ValueError):
    """A file given to :func:`load` is not a readable archive written by :func:`save`."""


TREE = "__tree__"  # the member that holds a nested checkpoint's structure


def _check_is_mapping(obj: Any) -> None:
    if isinstance(obj, Mapping):
        return
    if hasattr(obj, "state_dict") and hasattr(obj, "parameters"):
        raise TypeError(
            f"save: got a whole module ({type(obj).__name__}); minidl saves state dicts "
            "only, never pickled objects (loading a pickle can run code). Save its "
            "weights with minidl.save(model.state_dict(), path) and restore them with "
            "model.load_state_dict(minidl.load(path))"
        )
    hint = " (pass its .state_dict())" if hasattr(obj, "state_dict") else ""
    raise TypeError(
        f"save: expected a state dict (a mapping of str → Tensor or ndarray) or a checkpoint "
        f"dict, got {type(obj).__name__}{hint}"
    )


def _host_array(where: str, value: Tensor | np.ndarray) -> np.ndarray:
    array = value.detach().cpu().numpy() if isinstance(value, Tensor) else value
    if array.dtype.kind not in "fiub":
        raise DTypeError(f"save: entry {where!r} has dtype {array.dtype}; only numeric and "
                         "bool arrays can be saved without pickle")
    return array


def _is_flat(obj: Mapping[Any, Any]) -> bool:
    return all(isinstance(k, str) and isinstance(v, (Tensor, np.ndarray))
               for k, v in obj.items())


def _flatten(value: Any, where: str, arrays: dict[str, np.ndarray]) -> Any:
    """The JSON structure of ``value``; its arrays go into ``arrays`` under their paths."""
    if isinstance(value, (Tensor, np.ndarray)):
        if where in arrays:
            raise ValueError(f"save: two entries share the path {where!r} (a key holding '/', "
                             "or an int key beside the same number as a string); rename one")
        arrays[where] = _host_array(where, value)
        return {"tensor" if isinstance(value, Tensor) else "ndarray": where}
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"save: keys must be strings or ints, got {key!r} "
                                + (f"in {where!r}" if where else "at the top level"))
            items.append([key, _flatten(item, f"{where}/{key}" if where else str(key), arrays)])
        return {"dict": items}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {kind: [_flatten(item, f"{where}/{i}", arrays) for i, item in enumerate(value)]}
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    raise TypeError(f"save: entry {where!r} is a {type(value).__name__}; a checkpoint holds "
                    "Tensors, ndarrays, numbers, strings, None, and dicts/lists/tuples of them")


def _arrays(obj: Any) -> dict[str, np.ndarray]:
    """The archive's members: a flat state dict as it is, a nested checkpoint flattened."""
    _check_is_mapping(obj)
    if TREE in obj:
        raise ValueError(f"save: the key {TREE!r} is reserved for a checkpoint's structure")
    if _is_flat(obj):
        return {key: _host_array(key, value) for key, value in obj.items()}
    arrays: dict[str, np.ndarray] = {}
    tree = json.dumps(_flatten(obj, "", arrays))
    arrays[TREE] = np.frombuffer(tree.encode("utf-8"), dtype=np.uint8)
    return arrays


def _rebuild(node: dict[str, Any], arrays: Mapping[str, np.ndarray], dev: Any) -> Any:
    """The checkpoint that :func:`_flatten` described with ``node``."""
    (kind, content), = node.items()
    if kind == "tensor":
        return Tensor(arrays[content], device=dev)
    if kind == "ndarray":
        return arrays[content]
    if kind == "dict":
        return {key: _rebuild(item, arrays, dev) for key, item in content}
    if kind in ("list", "tuple"):
        items = [_rebuild(item, arrays, dev) for item in content]
        return items if kind == "list" else tuple(items)
    return content


def _write_npz(f: IO[bytes], arrays: Mapping[str, np.ndarray]) -> None:
    """The .npz layout ``np.savez`` writes (one ``key.npy`` member per array), by hand so
    that every key is allowed."""
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, array in arrays.items():
            with archive.open(key + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


@contextmanager
def replace_atomically(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """``with replace_atomically(path) as f: f.write(...)``: ``path`` gets the new content
    all at once, or (after an error or an interruption) keeps its old content.

    The bytes go to a temporary file in the same folder, which is renamed over ``path``
    only after the block finished (a rename within one folder is atomic). A new file gets
    the mode ``open()`` would give it, a replaced one keeps its mode.
    """
    target = Path(os.path.realpath(path))  # replace a symlink's target, not the link
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    # O_EXCL: never follow or reuse another file; mode 0o666 minus the umask, as open() does
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:  # also KeyboardInterrupt: the old file stays, the temporary goes
        tmp.unlink(missing_ok=True)
        raise


def save(obj: Mapping[str, Any], path: PathLike) -> None:
    """Write a state dict (name → Tensor or ndarray) or a nested checkpoint (see the module
    docstring) to ``path`` as an ``.npz`` archive.

    Atomic for paths (see :func:`replace_atomically`): a failed save keeps the old file.
    """
    arrays = _arrays(obj)
    if hasattr(path, "write"):
        _write_npz(path, arrays)
        return
    with replace_atomically(path) as f:
        _write_npz(f, arrays)


def _name(path: PathLike) -> str:
    return repr(os.fspath(path)) if isinstance(path, (str, os.PathLike)) else "the file object"


def _not_ours(path: PathLike, what: str) -> CheckpointError:
    return CheckpointError(
        f"load: {_name(path)} {what}; minidl.load reads only .npz archives written by "
        "minidl.save (or np.savez)"
    )


def _torch_file(path: PathLike) -> CheckpointError:
    return CheckpointError(
        f"load: {_name(path)} was written by torch.save (a pickle), which minidl does not "
        "load because unpickling can run code. Convert it once in PyTorch: "
        "np.savez(out, **{k: v.cpu().numpy() for k, v in torch.load(path).items()})"
    )


def _first_bytes(path: PathLike) -> bytes:
    try:
        if hasattr(path, "read"):
            return b""
        with open(path, "rb") as f:
            return f.read(2)
    except OSError:
        return b""


def load(path: PathLike, map_location: Any = None, weights_only: bool = True) -> Any:
    """Read a file written by :func:`save`: an OrderedDict of name → Tensor, in saved order,
    or the nested checkpoint it holds (dicts, lists, tuples, Tensors, ndarrays, numbers).

    ``map_location`` (``None``/``"cpu"``, or ``"cuda"`` where a CUDA device is available)
    puts the tensors on that device; ``weights_only`` (always true: no pickles are ever
    loaded) is accepted so PyTorch-style calls run unchanged. A
    truncated, corrupt or foreign file raises :class:`CheckpointError` naming it.
    """
    try:
        dev = check_available(parse_device(map_location))
    except DeviceError as err:
        raise ValueError(f"load: map_location={map_location!r} cannot hold tensors here: {err}"
                         ) from None
    if not weights_only:
        raise ValueError("load: weights_only=False would allow pickles; minidl loads arrays only")
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as e:  # not a NumPy file at all (NumPy then suspects a pickle)
        if _first_bytes(path).startswith(_PICKLE_START):
            raise _torch_file(path) from None
        raise _not_ours(path, f"is not an .npz file ({e})") from None
    except (zipfile.BadZipFile, EOFError) as e:
        raise _not_ours(path, f"is truncated or corrupt ({e}); save it again") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise _not_ours(path, f"holds a single {type(archive).__name__}, not an .npz archive of "
                              "named arrays")
    with archive:
        if any(name.endswith("data.pkl") for name in archive.zip.namelist()):
            raise _torch_file(path)
        strays = [name for name in archive.zip.namelist() if not name.endswith(".npy")]
        if strays:
            raise _not_ours(path, f"holds members that are not arrays ({strays[:3]})")
        arrays = {}
        for key in archive.files:
            try:
                arrays[key] = archive[key]
            except ValueError as e:
                if "pickle" in str(e):  # an object array, which would need pickle
                    raise _not_ours(path, f"holds something other than plain arrays in "
                                          f"{key!r} ({e})") from None
                raise _not_ours(path, f"is corrupt at entry {key!r} ({e}); save it again") \
                    from None
            except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as e:  # CRC, size
                raise _not_ours(path, f"is truncated or corrupt at entry {key!r} ({e}); "
                                      "save it again") from None
    if TREE not in arrays:
        return OrderedDict((key, Tensor(array, device=dev)) for key, array in arrays.items())
    try:
        return _rebuild(json.loads(arrays.pop(TREE).tobytes().decode("utf-8")), arrays, dev)
    except (ValueError, KeyError, TypeError, AttributeError) as e:  # JSON, paths, layout
        raise _not_ours(path, f"holds a damaged checkpoint structure ({type(e).__name__}: "
                              f"{e})") from None
