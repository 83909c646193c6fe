"""Containers: ``Sequential`` (a pipeline), ``ModuleList`` and ``ModuleDict`` (holders)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from minidl.nn.module import Module


def _index(container: str, idx: int, n: int) -> int:
    if not isinstance(idx, int):
        raise TypeError(f"{container} indices must be integers or slices, got {type(idx).__name__}")
    if not -n <= idx < n:
        raise IndexError(f"{container}: index {idx} is out of range for {n} modules")
    return idx % n


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(a, b, c)(x) = c(b(a(x)))``.

    Built from modules (named "0", "1", …) or from one OrderedDict of name → module.
    Indexing gives a module, slicing a new Sequential of the same modules.
    ``compile``/``fit``/``evaluate``/``predict`` are a Keras-style facade over
    :mod:`minidl.train.keras`.
    """

    def __init__(self, *args: Module) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input: Any) -> Any:  # noqa: A002
        for module in self._modules.values():
            input = module(input)
        return input

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return type(self)(OrderedDict(items[idx]))
        return items[_index("Sequential", idx, len(items))][1]

    def __setitem__(self, idx: int, module: Module) -> None:
        name = list(self._modules)[_index("Sequential", idx, len(self))]
        self.add_module(name, module)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end (named by its position); returns self."""
        self.add_module(str(len(self)), module)
        return self

    # -- Keras-style facade (the train layer sits above nn: imported on use) ----------------
    def compile(self, loss: Any, optimizer: Any = "adam", metrics: Sequence[Any] = ()) -> Any:
        """Fix the loss, optimizer and metrics for ``fit`` (see ``minidl.train.keras``)."""
        from minidl.train import keras

        return keras.compile(self, loss, optimizer, metrics)

    def fit(
        self, x: Any, y: Any, epochs: int = 1, batch_size: int = 32,
        validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
        callbacks: Sequence[Any] = (), verbose: int = 1,
    ) -> Any:
        """Train on arrays ``x``, ``y``; returns a History (see ``minidl.train.keras.fit``)."""
        from minidl.train import keras

        return keras.fit(self, x, y, epochs=epochs, batch_size=batch_size,
                         validation_split=validation_split, validation_data=validation_data,
                         shuffle=shuffle, callbacks=callbacks, verbose=verbose)

    def evaluate(self, x: Any, y: Any, batch_size: int = 32, verbose: int = 0) -> Any:
        """The compiled loss (and metrics) on ``x``, ``y``."""
        from minidl.train import keras

        return keras.evaluate(self, x, y, batch_size=batch_size, verbose=verbose)

    def predict(self, x: Any, batch_size: int = 32) -> Any:
        """The model's outputs for ``x`` as a NumPy array."""
        from minidl.train import keras

        return keras.predict(self, x, batch_size=batch_size)


class ModuleList(Module):
    """A list of modules, registered so their parameters are found (no forward)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int | slice) -> Any:
        modules = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(modules[idx])
        return modules[_index("ModuleList", idx, len(modules))]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(str(_index("ModuleList", idx, len(self))), module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self


class ModuleDict(Module):
    """A dict of name → module, registered so their parameters are found (no forward)."""

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no module {key!r}; keys: {list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def update(self, modules: Mapping[str, Module]) -> None:
        for key, module in modules.items():
            self[key] = module
