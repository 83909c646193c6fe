"""CPU kernels: NumPy for what BLAS and ufuncs already do well, Numba for the rest."""

from minidl.kernels.cpu import _memory  # noqa: F401  (keeps freed buffers warm; see there)
