"""Shipped weights: ``.npz`` archives of float16 arrays (no pickle), with a few numbers.

A file holds the model's state_dict (each array stored as float16 to stay under 2 MB,
loaded back as float32) and ``meta.*`` entries: how it was trained (steps, seconds, seed)
and what it scored, so that a notebook can say which numbers come from the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import minidl
from minidl import nn

WEIGHTS = Path(__file__).resolve().parent / "weights"
META = "meta."


def save_weights(model: nn.Module, path: str | Path, **meta: float) -> Path:
    """Write ``model``'s state_dict (float16) and ``meta`` numbers to ``path`` (.npz)."""
    arrays = {k: v.numpy().astype(np.float16) for k, v in model.state_dict().items()}
    arrays.update({META + k: np.asarray(v, dtype=np.float64) for k, v in meta.items()})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return path


def load_weights(model: nn.Module, path: str | Path) -> dict[str, float]:
    """Load ``path`` into ``model`` (as float32); return its ``meta`` numbers."""
    with np.load(path, allow_pickle=False) as archive:
        state = {k: minidl.tensor(archive[k].astype(np.float32)) for k in archive.files
                 if not k.startswith(META)}
        meta = {k[len(META):]: float(archive[k]) for k in archive.files if k.startswith(META)}
    model.load_state_dict(state)
    return meta
