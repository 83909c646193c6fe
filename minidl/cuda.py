"""``minidl.cuda``: the ``torch.cuda`` calls that PyTorch programs make to pick a device.

minidl's tensors live on the CPU in this version (see ``minidl/device.py``), so
``is_available()`` is False and ``device = "cuda" if minidl.cuda.is_available() else "cpu"``
picks the CPU. When the numba.cuda backend holds tensors, ``is_available`` becomes
``device.cuda_is_available()`` and the rest of this module follows from it.
"""

from __future__ import annotations


def is_available() -> bool:
    """Whether minidl tensors can live on a CUDA GPU (not in this version)."""
    return False


def device_count() -> int:
    """How many GPUs minidl can put tensors on."""
    return 0


def manual_seed(seed: int) -> None:
    """Seed the GPU generators: nothing to seed without a GPU (``minidl.manual_seed`` seeds
    everything minidl draws)."""


manual_seed_all = manual_seed
