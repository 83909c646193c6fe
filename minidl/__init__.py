"""minidl: a small, readable, fast deep learning framework with PyTorch's shape.

Layers, each importing only those above it in this list:

1. ``minidl.kernels``   arrays in, arrays out (NumPy + Numba; swappable *slots*)
2. ``minidl.tensor``, ``minidl.autograd``, ``minidl.ops``   Tensor and the dynamic graph
3. ``minidl.functional``   the differentiable functions models call
4. ``minidl.nn``   Module, Parameter and layers
5. ``minidl.optim``, ``minidl.data``, ``minidl.train``   learning and data
6. the course layer: ``minidl.viz``, ``minidl.widgets``, ``minidl.grading``
"""

from typing import Any

import numpy as np

from minidl import cuda, data, functional, nn, optim, train, utils
from minidl.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from minidl.autograd.gradcheck import GradcheckError, gradcheck
from minidl.device import Device, device
from minidl.errors import DeviceError, DTypeError, GraphError, ShapeError
from minidl.ops import (
    MaxMin,
    abs,
    add,
    amax,
    amin,
    argmax,
    argmin,
    bmm,
    cat,
    chunk,
    clamp,
    clip,
    clone,
    concatenate,
    cos,
    cosh,
    cumsum,
    div,
    einsum,
    exp,
    expand,
    flatten,
    gather,
    index_select,
    log,
    log_softmax,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    meshgrid,
    min,
    minimum,
    mul,
    narrow,
    neg,
    nonzero,
    norm,
    permute,
    pow,
    relu,
    repeat_interleave,
    reshape,
    scatter,
    scatter_add,
    sigmoid,
    sin,
    sinh,
    softmax,
    sort,
    split,
    sqrt,
    squeeze,
    stack,
    sub,
    sum,
    tanh,
    topk,
    transpose,
    tril,
    triu,
    unsqueeze,
    var,
    where,
)
from minidl.ops.creation import (
    arange,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    zeros,
    zeros_like,
)
from minidl.random import manual_seed
from minidl.serialization import load, save
from minidl.tensor import (
    Tensor,
    bool_,
    float16,
    float32,
    float64,
    from_numpy,
    int32,
    int64,
    long,
    tensor,
    uint8,
)
from minidl.train import fit

__version__ = "0.1.0"

# PyTorch's dtype names (they shadow the builtins only inside this namespace)
float, double, half, int, bool = float32, float64, float16, int32, bool_  # noqa: A001
short = np.dtype(np.int16)
int8, int16 = np.dtype(np.int8), short


def __getattr__(name: str) -> Any:
    """``minidl.use_exercises`` comes from the course layer, imported only when asked for."""
    if name == "use_exercises":
        from minidl.course import use_exercises

        return use_exercises
    raise AttributeError(f"module 'minidl' has no attribute {name!r}")
