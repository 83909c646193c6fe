"""Array layouts for the autograder's cases: the same values, stored differently.

A learner's kernel must give the same answer for a C-contiguous array, a Fortran-ordered
one and a strided view (a slice of a wider array), as NumPy's own functions do. The tests
build each case with :func:`relayout` and name it in their feedback with :func:`describe`.
"""

from __future__ import annotations

import numpy as np

LAYOUTS = ("contiguous", "transposed", "strided")


def relayout(a: np.ndarray, layout: str) -> np.ndarray:
    """The same values as ``a`` in a contiguous, Fortran-ordered ("transposed") or strided
    (every other column of a twice-as-wide array) array."""
    if layout == "transposed":
        return np.asfortranarray(a)
    if layout == "strided":
        return np.repeat(a, 2, axis=-1)[..., ::2]
    if layout != "contiguous":
        raise ValueError(f"relayout: layout must be one of {LAYOUTS}, got {layout!r}")
    return np.ascontiguousarray(a)


def describe(name: str, a: np.ndarray) -> str:
    """``"x of shape (2, 3), float32, non-contiguous"``: an array as feedback names it."""
    layout = "contiguous" if a.flags.c_contiguous else "non-contiguous"
    return f"{name} of shape {a.shape}, {a.dtype}, {layout}"
