"""A pytest plugin that compiles every CUDA kernel the kernel tests launch to PTX for a real
GPU, on a machine without one (it needs NVIDIA's libnvvm, e.g. from a CUDA toolkit).

The simulator runs kernels as plain Python, so it cannot tell whether numba's CUDA
compiler accepts them (it did not notice that the builtin ``max``/``min`` do not compile
for the CUDA target). This plugin runs ``tests/cuda/test_kernels_*.py`` on the host
instead, *without* ``NUMBA_ENABLE_CUDASIM``: device arrays are replaced by NumPy arrays,
and each kernel launch ``kernel[grid, block](*args)`` compiles the kernel for the argument
types of that launch with ``numba.cuda.compile_ptx(..., cc=(9, 0))`` (an H100/H200)
instead of running it. So every launch site of every twin is typed and lowered exactly as
on a GPU, with the real argument types. Nothing runs, so the tests' own comparisons are
meaningless here and switched off; the session fails when a kernel does not compile.
From the repository root (``-p`` imports the plugin from the path, hence tests/cuda)::

    PYTHONPATH=.:tests/cuda python -m pytest tests/cuda/test_kernels_*.py -p ptx_check -q
"""

from __future__ import annotations

import numba
import numba.cuda.dispatcher as cuda_dispatcher
import numpy as np
import pytest
from numba import cuda

COMPUTE_CAPABILITY = (9, 0)
_compiled: set = set()
_failed: dict = {}


class _HostArray(np.ndarray):
    """A NumPy array standing in for a device array (what the twins allocate)."""

    def copy_to_host(self) -> np.ndarray:
        return np.asarray(self).copy()


class _Device:
    compute_capability = COMPUTE_CAPABILITY


def _compile_instead_of_launch(kernel, _config):
    def launch(*args):
        sig = tuple(numba.typeof(np.asarray(a) if isinstance(a, np.ndarray) else a)
                    for a in args)
        key = (kernel.py_func, sig)
        if key in _compiled or key in _failed:
            return
        try:
            cuda.compile_ptx(kernel.py_func, sig, cc=COMPUTE_CAPABILITY)
            _compiled.add(key)
        except Exception as err:  # report every kernel that does not compile
            _failed[key] = f"{kernel.py_func.__qualname__}{sig}: {type(err).__name__}: {err}"
    return launch


def pytest_configure(config: pytest.Config) -> None:
    if numba.config.ENABLE_CUDASIM:
        raise pytest.UsageError("ptx_check compiles for a real GPU: unset NUMBA_ENABLE_CUDASIM")
    try:
        from numba.cuda.cudadrv.nvvm import NVVM

        NVVM()
    except Exception as err:  # no CUDA toolkit: nothing can be compiled, and it says so
        pytest.exit(f"ptx_check: NVIDIA's libnvvm is not available here ({err}); "
                    "no kernel was compiled", returncode=0)
    cuda.is_available = lambda: True
    cuda.device_array = lambda shape, dtype=np.float64, **_: np.zeros(shape, dtype).view(
        _HostArray)
    cuda.to_device = lambda a, **_: np.array(a, copy=True).view(_HostArray)
    cuda_dispatcher.CUDADispatcher.__getitem__ = _compile_instead_of_launch
    cuda_dispatcher.get_current_device = _Device  # device functions ask for the target
    import cuda_twins  # compare() goes on to the backward kernels after the forward ones

    cuda_twins.assert_same = lambda *args, **kwargs: None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    try:
        yield
    except AssertionError:  # tests that check outputs directly: only compilation counts
        return None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    reporter.write_line(f"ptx_check: {len(_compiled)} kernel signatures compiled for "
                        f"cc {COMPUTE_CAPABILITY}, {len(_failed)} failed")
    for line in _failed.values():
        reporter.write_line(f"FAILED {line}")
    if _failed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
