"""The NumPy ufuncs a CudaArray supports, as scalar device functions.

``UFUNCS[np.exp]`` is a launcher made by :func:`~minidl.kernels.cuda._strided.map_kernel`;
``REDUCERS[np.add]`` is the fold used by ``np.add.reduce`` / ``np.sum`` (and so on).
Dtype resolution is NumPy's own (``ufunc.resolve_dtypes``), so a CudaArray op gives the
dtype the same op gives on the host.
"""

from __future__ import annotations

import numpy as np

from minidl.kernels.cuda._strided import map_kernel, reduce_kernel, xmath

m = xmath


def _isnan(x):  # noqa: ANN001, ANN202
    return x != x


def _maximum(a, b):  # noqa: ANN001, ANN202
    return a if (a > b or a != a) else b


def _minimum(a, b):  # noqa: ANN001, ANN202
    return a if (a < b or a != a) else b


def _sign(x):  # noqa: ANN001, ANN202
    if x > 0:
        return 1
    return -1 if x < 0 else 0


def _isfinite(x):  # noqa: ANN001, ANN202
    return x == x and x - x == 0


def _invert(x):  # noqa: ANN001, ANN202
    return not x


_UNARY = {
    np.negative: lambda x: -x,
    np.positive: lambda x: x,
    np.absolute: lambda x: abs(x),
    np.exp: lambda x: m.exp(x),
    np.expm1: lambda x: m.expm1(x),
    np.log: lambda x: m.log(x),
    np.log1p: lambda x: m.log1p(x),
    np.log2: lambda x: m.log2(x),
    np.sqrt: lambda x: m.sqrt(x),
    np.square: lambda x: x * x,
    np.reciprocal: lambda x: 1 / x,
    np.tanh: lambda x: m.tanh(x),
    np.sin: lambda x: m.sin(x),
    np.cos: lambda x: m.cos(x),
    np.sinh: lambda x: m.sinh(x),
    np.cosh: lambda x: m.cosh(x),
    np.floor: lambda x: m.floor(x),
    np.ceil: lambda x: m.ceil(x),
    np.sign: _sign,
    np.isnan: _isnan,
    np.isfinite: _isfinite,
    np.logical_not: lambda x: not x,
    np.invert: _invert,
}

_BINARY = {
    np.add: lambda a, b: a + b,
    np.subtract: lambda a, b: a - b,
    np.multiply: lambda a, b: a * b,
    np.true_divide: lambda a, b: a / b,
    np.floor_divide: lambda a, b: a // b,
    np.remainder: lambda a, b: a % b,
    np.power: lambda a, b: a ** b,
    np.maximum: _maximum,
    np.minimum: _minimum,
    np.equal: lambda a, b: a == b,
    np.not_equal: lambda a, b: a != b,
    np.less: lambda a, b: a < b,
    np.less_equal: lambda a, b: a <= b,
    np.greater: lambda a, b: a > b,
    np.greater_equal: lambda a, b: a >= b,
    np.logical_and: lambda a, b: a and b,
    np.logical_or: lambda a, b: a or b,
    np.bitwise_and: lambda a, b: a & b,
    np.bitwise_or: lambda a, b: a | b,
}

#: ufunc → launcher ``run(shape, out, *ins)``.
UFUNCS = {u: map_kernel(f, 1) for u, f in _UNARY.items()}
UFUNCS.update({u: map_kernel(f, 2) for u, f in _BINARY.items()})

COPY = map_kernel(lambda x: x, 1)
"""Copy/cast: ``out = in`` (the store casts to out's dtype)."""

WHERE = map_kernel(lambda c, a, b: a if c else b, 3)
"""``np.where(cond, a, b)``."""

CLIP = map_kernel(lambda x, lo, hi: _minimum(_maximum(x, lo), hi), 3)
"""``np.clip(x, lo, hi)``."""

#: ufunc → fold for ``ufunc.reduce`` (np.sum, np.max, np.any, …).
REDUCERS = {
    np.add: reduce_kernel(lambda a, b: a + b),
    np.multiply: reduce_kernel(lambda a, b: a * b),
    np.maximum: reduce_kernel(_maximum),
    np.minimum: reduce_kernel(_minimum),
    np.logical_or: reduce_kernel(lambda a, b: a or b),
    np.logical_and: reduce_kernel(lambda a, b: a and b),
}
