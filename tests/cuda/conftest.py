"""tests/cuda run only where numba.cuda works: on a GPU, or under numba's CUDA simulator.

The simulator must be switched on before numba is imported, so CI runs this folder in its
own process: ``NUMBA_ENABLE_CUDASIM=1 pytest tests/cuda`` (``python course.py test`` does).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from minidl.device import cuda_is_available

HERE = Path(__file__).parent
REASON = ("no CUDA device: numba.cuda.is_available() is False (run NUMBA_ENABLE_CUDASIM=1 "
          "pytest tests/cuda for numba's CUDA simulator, as `python course.py test` does)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if cuda_is_available():
        return
    skip = pytest.mark.skip(reason=REASON)
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(skip)


# The simulator runs a block's threads as Python threads; its barriers wait for each of them
# to get the interpreter lock in turn, so a short switch interval makes tiled kernels much
# faster there (measured by CUDA-B: 6x on the matmul tests). This process runs only tests/cuda.
sys.setswitchinterval(5e-4)
