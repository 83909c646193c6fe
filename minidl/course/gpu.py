"""Where the course's CUDA kernels run: a real GPU when one is present, Numba's simulator otherwise.

``numba.cuda`` decides once, when it is first imported, whether ``@cuda.jit`` kernels go to
a GPU or to its **simulator** (``NUMBA_ENABLE_CUDASIM=1``): a pure-Python stand-in that runs
every thread of every block on the CPU, with the same ``cuda.grid``, ``cuda.shared.array``
and ``cuda.syncthreads`` semantics. It is thousands of times slower than a GPU, but it
makes a kernel's correctness checkable on any laptop, which is how chapter 7's CUDA
exercises are graded when there is no GPU.

:func:`simulate_unless_gpu` makes that choice for a notebook or a learner's process before
``numba.cuda`` is imported. Call it before anything touches ``numba.cuda``.
"""

from __future__ import annotations

import glob
import os
import re
import sys
from typing import Any

import numba

from minidl.course.exercise import is_stub

_IMPORTS_CUDA = re.compile(r"^\s*(from numba import .*\bcuda\b|import numba\.cuda)", re.M)


def nvidia_driver_present() -> bool:
    """True when this machine exposes an NVIDIA GPU (Linux device files or the driver's proc
    entry; under WSL2, the driver library Windows shares; on Windows, the driver DLL),
    decided without importing ``numba.cuda``."""
    if (glob.glob("/dev/nvidia[0-9]*") or glob.glob("/proc/driver/nvidia/gpus/*")
            or glob.glob("/usr/lib/wsl/lib/libcuda.so*")):
        return True
    system_root = os.environ.get("SystemRoot", "")
    return bool(system_root) and os.path.exists(os.path.join(system_root, "System32",
                                                             "nvcuda.dll"))


def simulating() -> bool:
    """Whether ``@cuda.jit`` kernels in this process run on the simulator."""
    return bool(numba.config.ENABLE_CUDASIM)


def simulate_unless_gpu() -> str:
    """Switch ``numba.cuda`` to its simulator when there is no GPU; return where kernels run.

    The switch only works before ``numba.cuda`` is imported (it picks its backend then).
    Returns ``"gpu"``, ``"simulator"``, or, when ``numba.cuda`` was imported earlier without a
    GPU, raises ``RuntimeError`` saying to restart the kernel and call this first.
    """
    if simulating():
        return "simulator"
    if nvidia_driver_present():
        return "gpu"
    if "numba.cuda" in sys.modules:
        raise RuntimeError(
            "numba.cuda was imported before simulate_unless_gpu() could switch it to the "
            "simulator, and there is no GPU: restart the kernel and call "
            "minidl.course.gpu.simulate_unless_gpu() before anything imports numba.cuda"
        )
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"  # numba reloads its config from the environment
    numba.config.ENABLE_CUDASIM = True
    # simulated threads wait for each other at every cuda.syncthreads(); with Python's
    # default 5 ms thread switch interval a barrier costs milliseconds (0.5 ms: 2-3x faster)
    sys.setswitchinterval(5e-4)
    return "simulator"


def imports_cuda(source: str) -> bool:
    """Whether a module's source imports ``numba.cuda`` (the grader then prepares a learner
    process with :func:`simulate_unless_gpu` before importing it)."""
    return _IMPORTS_CUDA.search(source) is not None


def launch(kernel: Any, grid: int | tuple[int, ...], block: int | tuple[int, ...],
           *args: Any) -> None:
    """``kernel[grid, block](*args)``, then wait for the GPU to finish.

    An untouched exercise stub raises ``NotImplementedError`` here, before the launch: on a
    real GPU a ``raise`` inside a kernel is not reported back (only the simulator and
    ``debug=True`` kernels report it), so a stub would otherwise look like a wrong answer.
    """
    if is_stub(kernel):
        raise NotImplementedError(kernel.__exercise__.stub_message)
    if not simulating() and not nvidia_driver_present():
        raise RuntimeError(
            f"{kernel.__name__}: there is no GPU and numba.cuda is not in simulator mode; "
            "restart the kernel and call minidl.course.gpu.simulate_unless_gpu() before "
            "anything imports numba.cuda"
        )
    kernel[grid, block](*args)
    from numba import cuda

    cuda.synchronize()


def describe_backend() -> str:
    """One line for a notebook: where this process's CUDA kernels run."""
    if simulating():
        return ("No GPU here: CUDA kernels run on Numba's simulator (correct results, "
                "simulated threads, thousands of times slower than a GPU).")
    import minidl.cuda

    if minidl.cuda.is_available():
        return f"CUDA kernels run on the GPU: {minidl.cuda.get_device_name()}"
    return "No GPU and no simulator: CUDA kernels cannot run in this process."
