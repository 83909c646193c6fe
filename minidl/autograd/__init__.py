"""Layer 2 (with minidl.tensor): the dynamic graph and reverse-mode differentiation."""

from minidl.autograd.function import AccumulateGrad, Function, Node
from minidl.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad

__all__ = ["AccumulateGrad", "Function", "Node", "enable_grad", "is_grad_enabled", "no_grad"]
