"""CPU kernels: NumPy for what BLAS and ufuncs already do well, Numba for the rest."""
