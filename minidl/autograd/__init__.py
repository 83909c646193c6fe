"""Layer 2 (with minidl.tensor): the dynamic graph and reverse-mode differentiation."""

from minidl.autograd.engine import grad
from minidl.autograd.function import AccumulateGrad, Function, Node
from minidl.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from minidl.autograd.gradcheck import gradcheck

__all__ = [
    "AccumulateGrad", "Function", "Node", "enable_grad", "grad", "gradcheck", "inference_mode",
    "is_grad_enabled", "no_grad", "set_grad_enabled",
]
