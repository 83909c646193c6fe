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

from minidl import data, functional, nn, optim, profiler, train
from minidl.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from minidl.autograd.gradcheck import GradcheckError, gradcheck
from minidl.device import Device, device
from minidl.errors import DeviceError, DTypeError, GraphError, ShapeError
from minidl.ops import (
    abs,
    add,
    amax,
    amin,
    cat,
    clamp,
    clip,
    concatenate,
    cos,
    div,
    exp,
    expand,
    flatten,
    log,
    matmul,
    maximum,
    mean,
    minimum,
    mul,
    neg,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    sin,
    sqrt,
    squeeze,
    stack,
    sub,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from minidl.random import manual_seed
from minidl.serialization import load, save
from minidl.tensor import (
    Tensor,
    arange,
    bool_,
    eye,
    float16,
    float32,
    float64,
    from_numpy,
    full,
    int32,
    int64,
    linspace,
    long,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    uint8,
    zeros,
    zeros_like,
)
from minidl.train import fit

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``minidl.use_exercises`` comes from the course layer, imported only when asked for."""
    if name == "use_exercises":
        from minidl.course import use_exercises

        return use_exercises
    raise AttributeError(f"module 'minidl' has no attribute {name!r}")
