"""Kernel slots: named, swappable array functions.

A *slot* is a kernel that a learner's exercise can stand in for. The reference
implementation registers itself with :func:`slot`; everything above the kernel
layer calls the returned dispatcher, which runs the learner's function when one
is installed (see :func:`minidl.use_exercises`) and the reference otherwise.

A learner function that still raises ``NotImplementedError`` (an untouched stub)
falls back to the reference. Any other exception propagates: a wrong
implementation must be seen, never silently replaced.

A slot may declare *hints*: keyword arguments that only the reference understands,
such as ``needs_input_grad`` (skip a gradient nobody uses) or a ``workspace`` dict
(reuse what the forward pass computed). They make the reference faster and never
change its result, so they are dropped when a learner's function runs: the
exercise signatures stay those of the textbook formulas.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minidl.errors import DTypeError


@dataclass
class Slot:
    """One swappable kernel: its reference and the learner's override, if any."""

    name: str
    reference: Callable[..., Any]
    override: Callable[..., Any] | None = None
    calls_to_override: int = field(default=0, repr=False)
    fallbacks: int = field(default=0, repr=False)
    hints: tuple[str, ...] = ()
    promotes: bool | None = field(default=None, repr=False)  # reference: float32 → float64?


_SLOTS: dict[str, Slot] = {}

#: Set by :mod:`minidl.profiler` while a profile is recording, ``None`` otherwise:
#: ``profile_hook(name, phase, fn, *args, **kwargs)`` calls ``fn(*args, **kwargs)`` and times it.
profile_hook = None


def slot(fn: Callable[..., Any] | None = None, *, hints: tuple[str, ...] = ()) -> Any:
    """Register ``fn`` as the reference for the slot named ``fn.__name__``.

    Use as ``@slot``, or as ``@slot(hints=("workspace",))`` to name keyword
    arguments that only the reference receives (see the module docstring).
    """
    if fn is None:
        return functools.partial(slot, hints=hints)
    entry = Slot(fn.__name__, fn, hints=hints)
    if entry.name in _SLOTS:
        raise ValueError(f"slot {entry.name!r} is registered twice")
    _SLOTS[entry.name] = entry

    @functools.wraps(fn)
    def dispatch(*args: Any, **kwargs: Any) -> Any:
        if profile_hook is not None:
            return profile_hook(entry.name, None, run, *args, **kwargs)
        return run(*args, **kwargs)

    def run(*args: Any, **kwargs: Any) -> Any:
        impl = entry.override
        if impl is None:
            return fn(*args, **kwargs)
        learner_kwargs = {k: v for k, v in kwargs.items() if k not in entry.hints}
        try:
            result = impl(*args, **learner_kwargs)
        except NotImplementedError:
            entry.fallbacks += 1
            return fn(*args, **kwargs)
        except Exception as err:
            if hasattr(err, "add_note"):  # Python ≥ 3.11
                err.add_note(f"(raised by {_whose(impl)}, which minidl ran for kernel "
                             f"{entry.name!r} under use_exercises())")
            raise
        entry.calls_to_override += 1
        if _promoted(args, result) and _reference_keeps_float32(entry, args, kwargs):
            raise DTypeError(
                f"{_whose(impl)} returned float64 from float32 inputs, as kernel "
                f"{entry.name!r} of a float32 model under use_exercises(): keep the inputs' "
                "dtype (e.g. create arrays with dtype=x.dtype, or end with .astype(x.dtype))")
        return result

    dispatch.slot = entry  # type: ignore[attr-defined]
    return dispatch


def slots() -> dict[str, Slot]:
    """All registered slots by name (a copy of the registry's mapping)."""
    return dict(_SLOTS)


def set_override(name: str, impl: Callable[..., Any] | None) -> None:
    """Route slot ``name`` to ``impl`` (``None`` restores the reference)."""
    if name not in _SLOTS:
        known = ", ".join(sorted(_SLOTS))
        raise KeyError(f"no kernel slot named {name!r}; known slots: {known}")
    entry = _SLOTS[name]
    entry.override = impl
    entry.calls_to_override = 0
    entry.fallbacks = 0


def _whose(impl: Callable[..., Any]) -> str:
    """``your exercise 1.8 (relu_forward in exercises/ch01_perceptron.py)``."""
    info = getattr(impl, "__exercise__", None)
    where = f"{impl.__module__.replace('.', '/')}.py"
    if info is None:
        return f"your function {getattr(impl, '__name__', impl)!r} ({where})"
    return f"your exercise {info.id} ({info.name} in {where})"


def _promoted(args: tuple[Any, ...], result: Any) -> bool:
    """True when every float input is float32 and an array of the result is float64."""
    floats = {a.dtype for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f"}
    outs = result if isinstance(result, tuple) else (result,)
    return floats == {np.dtype(np.float32)} and any(
        isinstance(o, np.ndarray) and o.ndim > 0 and o.dtype == np.float64 for o in outs)


def _reference_keeps_float32(entry: Slot, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Asked once per slot: does the reference keep float32 here (then float64 is a bug)?"""
    if entry.promotes is None:
        entry.promotes = _promoted(args, entry.reference(*args, **kwargs))
    return not entry.promotes
