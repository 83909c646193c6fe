"""``minidl.cuda``: the ``torch.cuda`` calls that PyTorch programs make to pick a device.

``is_available()`` is true when numba.cuda sees a GPU, or runs its CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1`` set before numba is imported), so
``device = "cuda" if minidl.cuda.is_available() else "cpu"`` works as in PyTorch.
minidl uses one GPU (``cuda:0``).
"""

from __future__ import annotations

from minidl.device import cuda_is_available


def is_available() -> bool:
    """Whether minidl tensors can live on a CUDA device here."""
    return cuda_is_available()


def device_count() -> int:
    """How many GPUs minidl can put tensors on (it uses one)."""
    return 1 if cuda_is_available() else 0


def get_device_name(device: int | None = None) -> str:
    """The GPU's name (``"numba CUDA simulator"`` under the simulator)."""
    from numba import cuda

    from minidl.kernels.cuda.launch import SIMULATED

    if SIMULATED:
        return "numba CUDA simulator"
    name = cuda.get_current_device().name
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize(device: int | None = None) -> None:
    """Wait until every kernel launched so far has finished (before timing, say)."""
    from numba import cuda

    if cuda_is_available():
        cuda.synchronize()


def manual_seed(seed: int) -> None:
    """Seed the GPU generators: CUDA tensors' random values are drawn on the host by
    minidl's generator and uploaded, so ``minidl.manual_seed`` seeds them already."""


manual_seed_all = manual_seed
