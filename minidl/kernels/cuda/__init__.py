"""CUDA kernels (numba.cuda): the twins of :mod:`minidl.kernels.cpu`, on device arrays.

``kernels/cuda/<name>.py`` has the functions of ``kernels/cpu/<name>.py`` with the same
names, signatures and semantics, taking and returning C-contiguous numba device arrays
where the CPU twin takes NumPy arrays. :class:`~minidl.kernels.cuda.array.CudaArray`
is the array a CUDA tensor holds: a strided view of a device buffer that speaks NumPy's
protocols, so the ops layer runs unchanged on it. :mod:`minidl.kernels.dispatch` picks
the CPU or CUDA module by the arrays' type.

Importing this package imports numba.cuda; it is imported only when a CUDA tensor is made.
"""
