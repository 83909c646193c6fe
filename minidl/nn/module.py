"""``Module``: the base class of every layer and model.

A Module owns Parameters (what training learns), buffers (state that is saved but
not learned, e.g. running means) and submodules. Assigning them as attributes
registers them::

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()                 # must come first
            self.hidden = nn.Linear(784, 128)  # a submodule
            self.out = nn.Linear(128, 10)

        def forward(self, x):                  # model(x) calls this
            return self.out(F.relu(self.hidden(x)))

``model.parameters()`` then yields all four weights and biases, ``model.state_dict()``
names them ``hidden.weight``, ``hidden.bias``, … and ``print(model)`` shows the tree
with parameter counts.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from minidl.autograd.grad_mode import no_grad
from minidl.device import Device, check_available, to_device
from minidl.device import device as parse_device
from minidl.errors import DTypeError, fmt_shape
from minidl.kernels.dispatch import is_device_array
from minidl.nn.parameter import Parameter
from minidl.tensor import Tensor, float32, float64

_REGISTRIES = ("_parameters", "_buffers", "_modules")


class StateDictError(RuntimeError):
    """``load_state_dict`` got missing, unexpected or mis-shaped entries (PyTorch raises
    RuntimeError here too)."""


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns: keys it did not find and keys it did not use."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of layers and models; subclasses call ``super().__init__()`` and
    define ``forward``."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: a Module subclass must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- registration -------------------------------------------------------------------
    def _registry(self, kind: str) -> OrderedDict[str, Any]:
        try:
            return self.__dict__[kind]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() in __init__ before assigning "
                "parameters, buffers or submodules"
            ) from None

    def _check_new_name(self, what: str, name: Any, registry: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{what} name must be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{what} name must be non-empty and contain no '.', got {name!r}")
        if hasattr(self, name) and name not in self._registry(registry):
            raise KeyError(f"{type(self).__name__} already has an attribute {name!r}")

    def _forget(self, name: str, keep: str = "") -> None:
        """Remove ``name`` from wherever it is but registry ``keep`` (where it goes next, so
        replacing an entry keeps its place in the order)."""
        self.__dict__.pop(name, None)
        for kind in _REGISTRIES:
            if kind != keep:
                self.__dict__[kind].pop(name, None)
        self._non_persistent.discard(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None: a slot without a parameter, e.g. ``bias=False``)."""
        self._registry("_parameters")
        self._check_new_name("parameter", name, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot register {type(param).__name__} as parameter {name!r} "
                "(nn.Parameter or None expected; wrap it: nn.Parameter(tensor))"
            )
        self._forget(name, "_parameters")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a tensor that is state but not learned (saved in state_dict when
        ``persistent``; moved and cast by ``to``)."""
        self._registry("_buffers")
        self._check_new_name("buffer", name, "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot register {type(tensor).__name__} as buffer {name!r} "
                            "(Tensor or None expected)")
        self._forget(name, "_buffers")
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child named ``name``."""
        self._registry("_modules")
        self._check_new_name("module", name, "_modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._forget(name, "_modules")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            self._registry("_parameters")
            self._forget(name, "_parameters")
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._registry("_modules")
            self._forget(name, "_modules")
            self._modules[name] = value
        elif name in self.__dict__.get("_parameters", ()):
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                "(nn.Parameter or None expected)")
            self._parameters[name] = None
        elif name in self.__dict__.get("_modules", ()):
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module "
                                f"{name!r} (Module or None expected)")
            self._modules[name] = None
        elif name in self.__dict__.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} "
                                "(Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:  # only called when normal lookup fails
        state = self.__dict__
        for kind in _REGISTRIES:
            if kind in state and name in state[kind]:
                return state[kind][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        if any(name in self.__dict__.get(kind, ()) for kind in _REGISTRIES):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        names = set(super().__dir__())
        for kind in _REGISTRIES:
            names.update(self.__dict__.get(kind, ()))
        return sorted(names)

    # -- traversal ------------------------------------------------------------------------
    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and all below it, depth first, as (dotted name, module); '' is self."""
        if remove_duplicate:
            memo = set() if memo is None else memo
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(
                    memo, f"{prefix}.{name}" if prefix else name, remove_duplicate
                )

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct submodules as (name, module), each once."""
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(
        self, kind: str, prefix: str, recurse: bool, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        seen: set[int] = set()
        for module_name, module in modules:
            for name, value in module.__dict__[kind].items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, each shared parameter once by default."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter (what an optimizer updates), each once."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def num_parameters(self, only_trainable: bool = False) -> int:
        """How many numbers the parameters hold (shared ones counted once)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not only_trainable)

    # -- modes and bulk changes -------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode here and below (Dropout drops, BatchNorm uses batch stats)."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode must be True or False, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch gradients of every parameter on or off (e.g. to freeze a backbone)."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (set to None, or fill with zeros)."""
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad._data = np.zeros_like(param.grad._data)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first), then on self; e.g. custom init."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, device: str | Device | Any = None, dtype: Any = None) -> Module:
        """``to('cuda')``, ``to(minidl.float64)`` or ``to('cpu', dtype)``: move/cast in place.

        Parameters and buffers (and their ``.grad``) move to ``device``; floating-point
        ones get ``dtype`` (integer buffers keep theirs). Parameters stay the same
        objects, so an optimizer built before still updates them (its state moves when
        it next steps, see :class:`~minidl.optim.Optimizer`).
        """
        if device is not None and not isinstance(device, (str, Device)):
            device, dtype = None, device
        dev = None if device is None else check_available(parse_device(device))
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype.kind != "f":
                raise DTypeError(f"Module.to: only floating-point dtypes are allowed, got {dtype}")
        for t in [*self.parameters(), *self.buffers()]:
            for holder in (t, t.grad) if t.grad is not None else (t,):
                if dtype is not None and holder.dtype.kind == "f":
                    holder._data = holder._data.astype(dtype)
                if dev is not None and holder.device != dev:
                    holder._data, holder.device = to_device(holder._data, dev), dev
        return self

    def cuda(self, device: Any = None) -> Module:
        return self.to("cuda" if device is None else f"cuda:{int(device)}")

    def float(self) -> Module:
        return self.to(float32)

    def double(self) -> Module:
        return self.to(float64)

    def cpu(self) -> Module:
        return self.to("cpu")

    # -- state ------------------------------------------------------------------------------
    def _state_items(self) -> Iterator[tuple[str, Tensor]]:
        """(name, tensor) for every parameter and persistent buffer, in PyTorch's order."""
        for module_name, module in self.named_modules(remove_duplicate=False):
            head = f"{module_name}." if module_name else ""
            for name, param in module._parameters.items():
                if param is not None:
                    yield head + name, param
            for name, buf in module._buffers.items():
                if buf is not None and name not in module._non_persistent:
                    yield head + name, buf

    def state_dict(self) -> OrderedDict[str, Tensor]:
        """name → each parameter and persistent buffer, detached (outside the graph).

        As in PyTorch the tensors share memory with the module: ``sd[k].copy_(v)`` changes
        the module, and training on changes ``sd``. For a snapshot, clone the values
        (``{k: v.clone() for k, v in sd.items()}``) or save them (``minidl.save``).
        """
        return OrderedDict((name, t.detach()) for name, t in self._state_items())

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into the parameters and buffers (in place).

        Raises :class:`StateDictError` listing every problem (nothing is loaded then):
        mis-shaped entries always; missing and unexpected keys when ``strict``.
        Returns the missing and unexpected keys.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping of name → Tensor, got "
                            f"{type(state_dict).__name__}")
        own = OrderedDict(self._state_items())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        values, mismatched = {}, []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value._data if isinstance(value, Tensor) else value
            if not isinstance(array, np.ndarray) and not is_device_array(array):
                raise TypeError(f"load_state_dict: entry {key!r} must be a Tensor or ndarray, "
                                f"got {type(value).__name__}")
            if array.shape != target.shape:
                mismatched.append(f"{key}: expected {fmt_shape(target.shape)}, "
                                  f"got {fmt_shape(array.shape)}")
            values[key] = array
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if mismatched:
            problems.append("shape mismatches: " + "; ".join(mismatched))
        if problems:
            raise StateDictError(
                f"load_state_dict for {type(self).__name__}:\n  " + "\n  ".join(problems)
            )
        with no_grad():
            for key, array in values.items():  # copied to the module's device
                own[key].copy_(to_device(array, own[key].device))
        return IncompatibleKeys(missing, unexpected)

    # -- display ----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr``; layers override it."""
        return ""

    def _tree_repr(self) -> str:
        extra = self.extra_repr()
        children = [(name, m) for name, m in self._modules.items()]
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = extra.split("\n") if extra else []
        for name, child in children:
            text = "None" if child is None else child._tree_repr()
            count = 0 if child is None else child.num_parameters()
            if count:
                text += f"  # {count:,} params"
            lines.append(f"({name}): {text}")
        body = "\n".join("  " + line for block in lines for line in block.split("\n"))
        return f"{type(self).__name__}(\n{body}\n)"

    def __repr__(self) -> str:
        """PyTorch's module tree, each submodule's parameter count after it, and a total."""
        text = self._tree_repr()
        if any(m is not None for m in self._modules.values()):
            text += f"  # total: {self.num_parameters():,} params"
        return text
